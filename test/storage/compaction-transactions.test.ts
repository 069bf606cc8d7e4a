// Compaction of transactional data (Kafka's LogCleaner with CleanedTransactionMetadata):
// aborted records are discarded and never shadow a committed value; COMMIT/ABORT markers stay
// while any batch of their transaction remains, get a delete horizon (KIP-534) once it is gone
// and go delete.retention.ms later; a producer's last batch is kept (empty) so a rebuild from
// the log still knows its sequence; the cleaner never passes the last stable offset; the
// transaction index of a merged segment keeps describing the aborted data still there, also
// after a crash at any step of the swap.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/base/clock.js';
import { silentLogger } from '../../src/base/logger.js';
import { MemoryFileSystem, type FileSystem } from '../../src/base/file-system.js';
import { LogManager } from '../../src/storage/log-manager.js';
import type { PartitionLog } from '../../src/storage/partition-log.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../../src/storage/log-config.js';
import { readRecords } from '../../src/storage/batch-records.js';
import { checkBatch, readInt64 } from '../../src/protocol/record-batch.js';
import { describeBothFs, type FsEnv } from './_fs.js';
import { makeBatch, splitBatches } from './_batches.js';
import { crashingFs } from './_crashing-fs.js';
import { markerBatch, TS } from './_producer-batches.js';

const PAD = 'p'.repeat(120);

function cfg(overrides: Partial<LogConfig> = {}): LogConfig {
  return {
    ...DEFAULT_LOG_CONFIG,
    cleanupPolicy: { delete: false, compact: true },
    segmentBytes: 400,
    minCleanableDirtyRatio: 0.01,
    deleteRetentionMs: 60_000,
    ...overrides,
  };
}

interface BatchView {
  baseOffset: number;
  lastOffset: number;
  producerId: number;
  control: 'COMMIT' | 'ABORT' | 'empty' | null;
  /** The KIP-534 delete horizon, when set. */
  deleteHorizon: number | null;
  records: { offset: number; key: string | null; value: string | null; timestamp: number }[];
}

/** Every batch of the log, read_uncommitted, markers and empty batches included. */
async function batchesOf(log: PartitionLog): Promise<BatchView[]> {
  const out: BatchView[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const batches = splitBatches((await log.read(offset, 1 << 20, log.logEndOffset)).records);
    if (batches.length === 0) break;
    for (const b of batches) {
      assert.equal(checkBatch(b, 0), b.length, 'valid CRC');
      const attributes = b.readInt16BE(21);
      const records = readRecords(b);
      const control = (attributes & 0x20) === 0 ? null : records.length === 0 ? 'empty' : records[0]!.key!.readInt16BE(2) === 1 ? 'COMMIT' : 'ABORT';
      out.push({
        baseOffset: readInt64(b, 0),
        lastOffset: readInt64(b, 0) + b.readInt32BE(23),
        producerId: readInt64(b, 43),
        control,
        deleteHorizon: (attributes & 0x40) !== 0 ? readInt64(b, 27) : null,
        records: records.map((r) => ({
          offset: r.offset,
          key: control === null ? r.key?.toString() ?? null : null,
          value: control === null && !r.isTombstone ? /v=([^|]*)/.exec(r.raw.toString('latin1'))![1]! : null,
          timestamp: r.timestamp,
        })),
      });
      offset = readInt64(b, 0) + b.readInt32BE(23) + 1;
    }
  }
  return out;
}

/** Values by key as a consumer reading everything would see last (read_uncommitted, no markers). */
async function latestValues(log: PartitionLog): Promise<Map<string, string | null>> {
  const m = new Map<string, string | null>();
  for (const b of await batchesOf(log)) for (const r of b.records) if (r.key !== null) m.set(r.key, r.value);
  return m;
}

function record(key: string, value: string): { key: string; value: string; timestamp: number } {
  return { key, value: `v=${value}|${PAD}`, timestamp: TS };
}

const plain = (log: PartitionLog, key: string, value: string) => log.appendAsLeader(makeBatch([record(key, value)]), 0);
const txnData = (log: PartitionLog, pid: number, seq: number, ...kv: [string, string][]) =>
  log.appendAsLeader(makeBatch(kv.map(([k, v]) => record(k, v)), { producerId: pid, producerEpoch: 0, baseSequence: seq, attributes: 0x10 }), 0);
const marker = (log: PartitionLog, pid: number, commit: boolean) => log.appendAsLeader(markerBatch(pid, 0, commit), 0, undefined, 'coordinator');

/** Rolls and raises the high watermark so that everything written so far is cleanable. */
async function settle(log: PartitionLog): Promise<void> {
  await log.enqueue(() => log.roll());
  log.setHighWatermark(log.logEndOffset);
}

/** Another full pass over everything (progress forgotten, as after an unclean stop). */
async function compactAll(log: PartitionLog): Promise<void> {
  log.firstDirtyOffset = 0;
  await log.compact();
}

function openLogs(env: FsEnv | { fs: FileSystem; dir: string }, clock: ManualClock): Promise<LogManager> {
  return LogManager.open({ fs: env.fs, dirs: [env.dir], clock, logger: silentLogger });
}

describeBothFs('compaction with transactions', (newEnv) => {
  it('aborted records go and never shadow the committed value; markers stay while their data does, then get a delete horizon, then go', async () => {
    const env = await newEnv();
    const clock = new ManualClock(TS + 1000);
    const logs = await openLogs(env, clock);
    const log = await logs.create('c', 0, cfg());
    await plain(log, 'a', 'committed'); // 0
    await txnData(log, 1, 0, ['a', 'aborted'], ['b', 'aborted']); // 1-2
    await marker(log, 1, false); // 3
    await txnData(log, 2, 0, ['x', 'x1']); // 4
    await marker(log, 2, true); // 5
    await plain(log, 'x', 'x2'); // 6: shadows p2's committed x1
    await txnData(log, 1, 2, ['c', 'c1']); // 7: p1's last data
    await marker(log, 1, true); // 8
    await txnData(log, 2, 1, ['y', 'y1']); // 9: p2's last data
    await marker(log, 2, true); // 10
    await settle(log);
    const abortedTxn = { producerId: 1, firstOffset: 1, lastOffset: 3, lastStableOffset: 4 };
    assert.deepEqual(log.collectAbortedTransactions(0, log.logEndOffset), [abortedTxn]);

    assert.notEqual(await log.compact(), null);
    let batches = await batchesOf(log);
    assert.deepEqual(Object.fromEntries(await latestValues(log)), { a: 'committed', x: 'x2', c: 'c1', y: 'y1' }, 'the aborted a never shadows the committed one; b is gone');
    assert.ok(!batches.some((b) => b.baseOffset === 1), 'the aborted batch is discarded');
    assert.ok(!batches.some((b) => b.baseOffset === 4), 'p2\'s shadowed committed batch is gone');
    const markerAt = (offset: number) => batches.find((b) => b.baseOffset === offset);
    assert.equal(markerAt(3)?.control, 'ABORT', 'the abort marker stays: its data was there in this pass');
    assert.equal(markerAt(5)?.control, 'COMMIT', 'so does the commit marker');
    assert.equal(markerAt(3)?.deleteHorizon, null);
    assert.deepEqual(log.collectAbortedTransactions(0, log.logEndOffset), [abortedTxn], 'a retained abort marker keeps its index entry');

    // The next pass finds the transactions' data gone: the markers get a delete horizon, the entry goes.
    await compactAll(log);
    batches = await batchesOf(log);
    assert.equal(markerAt(3)?.deleteHorizon, clock.now() + 60_000);
    assert.equal(markerAt(5)?.deleteHorizon, clock.now() + 60_000);
    assert.equal(markerAt(3)?.records[0]?.timestamp, TS, 'the marker record keeps its timestamp under the horizon');
    assert.equal(markerAt(8)?.deleteHorizon, null, 'p1\'s commit of c1 keeps its data');
    assert.deepEqual(log.collectAbortedTransactions(0, log.logEndOffset), []);

    clock.advance(30_000);
    await compactAll(log);
    batches = await batchesOf(log);
    assert.ok(markerAt(3) !== undefined && markerAt(5) !== undefined, 'kept until the horizon');
    clock.advance(31_000);
    await compactAll(log);
    batches = await batchesOf(log);
    assert.deepEqual(batches.filter((b) => b.control !== null).map((b) => [b.baseOffset, b.control]), [[8, 'COMMIT'], [10, 'COMMIT']],
      'markers go delete.retention.ms after their data; those with data stay');
    assert.deepEqual(Object.fromEntries(await latestValues(log)), { a: 'committed', x: 'x2', c: 'c1', y: 'y1' });

    // A clean restart and an unclean one (indexes rebuilt by the replay) agree.
    await logs.close();
    for (const clean of [true, false]) {
      const again = await openLogs(env, clock);
      const reopened = again.get('c', 0)!;
      assert.deepEqual(Object.fromEntries(await latestValues(reopened)), { a: 'committed', x: 'x2', c: 'c1', y: 'y1' });
      assert.deepEqual(reopened.collectAbortedTransactions(0, reopened.logEndOffset), []);
      if (clean) await again.close();
      else await again.abandon();
    }
  });

  it('a producer\'s last batch is kept, empty, so that a rebuild from the log still answers its retry as a duplicate', async () => {
    const env = await newEnv();
    const clock = new ManualClock(TS + 1000);
    const logs = await openLogs(env, clock);
    const log = await logs.create('c', 0, cfg());
    await log.appendAsLeader(makeBatch([record('k', 'v1')], { producerId: 5, producerEpoch: 0, baseSequence: 0 }), 0); // 0
    await plain(log, 'k', 'v2'); // 1
    await settle(log);
    await log.compact();
    const batches = await batchesOf(log);
    assert.deepEqual(batches.filter((b) => b.producerId === 5).map((b) => [b.baseOffset, b.records.length]), [[0, 0]], 'p5\'s batch stays, without records');
    assert.deepEqual(Object.fromEntries(await latestValues(log)), { k: 'v2' });
    await logs.abandon();
    // The state comes from the log alone: no snapshots.
    for (const n of await env.fs.readdir(log.dir)) if (n.endsWith('.snapshot')) await env.fs.unlink(`${log.dir}/${n}`);
    const again = await openLogs(env, clock);
    const retry = await again.get('c', 0)!.appendAsLeader(makeBatch([record('k', 'v1')], { producerId: 5, producerEpoch: 0, baseSequence: 0 }), 0);
    assert.deepEqual([retry.duplicate, retry.firstOffset], [true, 0], 'the retry of p5\'s last batch is still a duplicate');
    await again.close();
  });

  it('never cleans past the last stable offset: an open transaction holds the cleaner back', async () => {
    const env = await newEnv();
    const clock = new ManualClock(TS + 1000);
    const logs = await openLogs(env, clock);
    const log = await logs.create('c', 0, cfg());
    await plain(log, 'a', 'old'); // 0
    await log.enqueue(() => log.roll());
    await txnData(log, 7, 0, ['z', 'open']); // 1: undecided
    await log.enqueue(() => log.roll());
    await plain(log, 'a', 'new'); // 2
    await settle(log);
    assert.deepEqual([log.highWatermark, log.lastStableOffset], [3, 1]);
    await log.compact();
    assert.ok((await batchesOf(log)).some((b) => b.records.some((r) => r.value === 'old')), 'a=old lies below the LSO but its successor does not: kept');
    await marker(log, 7, true); // 3
    await settle(log);
    assert.equal(log.lastStableOffset, log.logEndOffset);
    await compactAll(log);
    const values = (await batchesOf(log)).flatMap((b) => b.records.map((r) => r.value));
    assert.ok(!values.includes('old') && values.includes('new') && values.includes('open'), values.join());
    await logs.close();
  });
});

it('a crash at every step of a swap that drops aborted data leaves a log whose indexes describe its aborted data (memory FS)', { timeout: 60_000 }, async () => {
  const clock = new ManualClock(TS + 1000);
  const prepare = async (fs: FileSystem) => {
    const logs = await openLogs({ fs, dir: '/data' }, clock);
    const log = await logs.create('crash', 0, cfg({ segmentBytes: 300 }));
    for (let i = 0; i < 4; i++) {
      await txnData(log, 1, 2 * i, ['k', `abort${i}`], ['m', `abort${i}`]);
      await plain(log, `p${i}`, 'x');
      await marker(log, 1, false);
      await txnData(log, 2, i, ['k', `commit${i}`]);
      await marker(log, 2, true);
    }
    await settle(log);
    await log.flush();
    return { logs, log };
  };
  const probeMem = new MemoryFileSystem({ seed: 3 });
  await probeMem.mkdirp('/data');
  const probe = crashingFs(probeMem);
  const base = await prepare(probe.fs);
  probe.arm(Number.MAX_SAFE_INTEGER);
  assert.notEqual(await base.log.compact(), null);
  const steps = probe.ops.length;
  assert.ok(probe.ops.some((o) => o.includes('.log.swap')), probe.ops.join('\n'));
  await base.logs.close();

  for (let crashAt = 0; crashAt < steps; crashAt++) {
    const memory = new MemoryFileSystem({ seed: 200 + crashAt });
    await memory.mkdirp('/data');
    const wrapped = crashingFs(memory);
    const { log } = await prepare(wrapped.fs);
    wrapped.arm(crashAt);
    await assert.rejects(log.compact(), /injected crash/, `crash at step ${crashAt}`);
    const reopened = await openLogs({ fs: memory, dir: '/data' }, clock);
    const recovered = await reopened.create('crash', 0, cfg({ segmentBytes: 300 }));
    recovered.setHighWatermark(recovered.logEndOffset);
    const seen = await readCommittedValues(recovered);
    assert.ok(!seen.some((v) => v.startsWith('abort')), `step ${crashAt}: read_committed sees only committed values: ${seen}`);
    assert.equal(seen.filter((v) => v.startsWith('commit')).at(-1), 'commit3', `step ${crashAt}`);
    // And it converges: further passes leave no aborted record behind.
    await compactAll(recovered);
    await compactAll(recovered);
    assert.ok(!(await batchesOf(recovered)).some((b) => b.records.some((r) => r.value?.startsWith('abort'))), `step ${crashAt}: aborted data cleaned`);
    // p1's last data batch stays (empty) for its sequence, and with it its abort marker and entry.
    assert.deepEqual(recovered.collectAbortedTransactions(0, recovered.logEndOffset), [{ producerId: 1, firstOffset: 18, lastOffset: 21, lastStableOffset: 22 }], `step ${crashAt}`);
    await reopened.close();
  }
});

/** What a read_committed consumer shows: data batches minus those of the aborted transactions the fetch reports. */
async function readCommittedValues(log: PartitionLog): Promise<string[]> {
  const aborted = log.collectAbortedTransactions(log.logStartOffset, log.lastStableOffset);
  const out: string[] = [];
  for (const b of await batchesOf(log)) {
    if (b.baseOffset >= log.lastStableOffset) break;
    if (b.control !== null) continue;
    if (aborted.some((t) => t.producerId === b.producerId && t.firstOffset <= b.baseOffset && b.baseOffset <= t.lastOffset)) continue;
    for (const r of b.records) if (r.value !== null) out.push(r.value);
  }
  return out;
}
