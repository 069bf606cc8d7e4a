// Idempotent producer state through PartitionLog, on disk and in memory: Kafka 4's answers to
// retries, gaps, stale epochs and unknown producers; the same answers after a restart from a
// snapshot and after one with the snapshots deleted (log replay); truncation, retention,
// DeleteRecords and expiration keeping the state consistent; torn snapshots ignored.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/base/clock.js';
import { SeededRandom } from '../../src/base/random.js';
import { createLogger, silentLogger, type Logger } from '../../src/base/logger.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { LogManager } from '../../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../../src/storage/log-config.js';
import { ProducerStateError, type AppendResult, type PartitionLog } from '../../src/storage/partition-log.js';
import { describeBothFs, type FsEnv } from './_fs.js';
import { markerBatch, plainBatch, producerBatch } from './_producer-batches.js';

function cfg(overrides: Partial<LogConfig> = {}): LogConfig {
  return { ...DEFAULT_LOG_CONFIG, cleanupPolicy: { ...DEFAULT_LOG_CONFIG.cleanupPolicy }, ...overrides };
}

const INT32_MAX = 2147483647;

function openLogs(env: FsEnv, clock: ManualClock, logger: Logger = silentLogger, extra: Partial<Parameters<typeof LogManager.open>[0]> = {}): Promise<LogManager> {
  return LogManager.open({ fs: env.fs, dirs: [env.dir], clock, logger, ...extra });
}

/** Stops using a manager as if the process died (nothing flushed, no clean-shutdown marker, locks freed). */
async function abandon(logs: LogManager): Promise<void> {
  await logs.abandon();
}

function send(log: PartitionLog, pid: number, epoch: number, seq: number, count = 1, origin: 'client' | 'coordinator' = 'client'): Promise<AppendResult> {
  return log.appendAsLeader(producerBatch(pid, epoch, seq, { count }), 0, undefined, origin);
}

async function expectDuplicate(log: PartitionLog, pid: number, epoch: number, seq: number, count: number, first: number): Promise<void> {
  const end = log.logEndOffset;
  const r = await send(log, pid, epoch, seq, count);
  assert.equal(r.duplicate, true, `seq ${seq} is a duplicate`);
  assert.equal(r.firstOffset, first);
  assert.equal(r.lastOffset, first + count - 1);
  assert.equal(log.logEndOffset, end, 'a duplicate writes nothing');
}

async function expectRejected(log: PartitionLog, pid: number, epoch: number, seq: number, code: number, origin: 'client' | 'coordinator' = 'client', count = 1): Promise<void> {
  const end = log.logEndOffset;
  await assert.rejects(send(log, pid, epoch, seq, count, origin), (err: unknown) => err instanceof ProducerStateError && err.errorCode === code, `epoch ${epoch} seq ${seq}`);
  assert.equal(log.logEndOffset, end, 'a rejected append writes nothing');
}

async function snapshotFiles(env: FsEnv, log: PartitionLog): Promise<string[]> {
  return (await env.fs.readdir(log.dir)).filter((n) => n.endsWith('.snapshot')).sort();
}

/** Producer 1, epoch 0: seven batches of two records, sequences 0..13 at offsets 0..13. */
async function sevenBatches(log: PartitionLog): Promise<void> {
  for (let i = 0; i < 7; i++) {
    const r = await send(log, 1, 0, 2 * i, 2);
    assert.equal(r.firstOffset, 2 * i);
    assert.equal(r.duplicate, false);
  }
}

/** The answers that must hold for sevenBatches' producer whatever the restart. */
async function commonAnswers(log: PartitionLog): Promise<void> {
  await expectDuplicate(log, 1, 0, 12, 2, 12);
  await expectRejected(log, 1, 0, 15, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  await expectRejected(log, 1, 0, 2, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  await expectRejected(log, 1, 1, 3, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  await expectRejected(log, 1, -1, 14, ErrorCode.INVALID_PRODUCER_EPOCH);
  const unknown = await send(log, 99, 0, 12345);
  assert.equal(unknown.duplicate, false, 'an unknown producer is accepted with any sequence');
}

describeBothFs('producer state', (newEnv, kind) => {
  it('Kafka 4 answers: duplicates of the last 5 batches, gaps, epochs, unknown producers, wrap-around, coordinator origin', async () => {
    const env = await newEnv();
    const clock = new ManualClock();
    const logs = await openLogs(env, clock);
    const log = await logs.create('t', 0, cfg());
    await sevenBatches(log);
    assert.equal(log.logEndOffset, 14);
    // A retry of each of the last five batches gets its original offsets back.
    for (let i = 2; i < 7; i++) await expectDuplicate(log, 1, 0, 2 * i, 2, 2 * i);
    // The sixth-back batch is no longer cached: not a duplicate, and out of sequence.
    await expectRejected(log, 1, 0, 2, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'client', 2);
    // A retry with the same first sequence but another length is no duplicate either.
    await assert.rejects(send(log, 1, 0, 12, 1), (e: unknown) => e instanceof ProducerStateError && e.errorCode === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    await expectRejected(log, 1, 0, 15, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    // A new epoch must start at 0.
    await expectRejected(log, 1, 1, 14, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert.equal((await send(log, 1, 1, 0)).firstOffset, 14);
    // The old epoch is fenced now, retries of its batches included.
    await expectRejected(log, 1, 0, 14, ErrorCode.INVALID_PRODUCER_EPOCH);
    await expectRejected(log, 1, 0, 12, ErrorCode.INVALID_PRODUCER_EPOCH);
    assert.equal((await send(log, 1, 1, 1)).firstOffset, 15);
    // Unknown producers: any sequence (Kafka 4 has no UNKNOWN_PRODUCER_ID here).
    assert.equal((await send(log, 2, 0, 777)).firstOffset, 16);
    assert.equal((await send(log, 2, 0, 778)).firstOffset, 17);
    // Sequences wrap from Int32 max to 0, also inside a batch.
    assert.equal((await send(log, 3, 0, INT32_MAX - 2, 3)).firstOffset, 18);
    assert.equal((await send(log, 3, 0, 0, 2)).firstOffset, 21);
    assert.equal((await send(log, 4, 0, INT32_MAX - 1, 3)).lastOffset, 25, 'sequences 2147483646, 2147483647, 0');
    await expectDuplicate(log, 4, 0, INT32_MAX - 1, 3, 23);
    assert.equal((await send(log, 4, 0, 1)).firstOffset, 26);
    // Coordinator origin: no sequence checks, but the epoch is checked.
    assert.equal((await send(log, 1, 1, 500, 1, 'coordinator')).firstOffset, 27);
    await expectRejected(log, 1, 0, 501, ErrorCode.INVALID_PRODUCER_EPOCH, 'coordinator');
    // Plain batches are untouched by all this.
    assert.equal((await log.appendAsLeader(plainBatch(2), 0)).firstOffset, 28);
    assert.deepEqual(
      log.activeProducers().map((p) => [p.producerId, p.producerEpoch, p.lastSequence]).sort((a, b) => a[0]! - b[0]!),
      [[1, 1, 500], [2, 0, 778], [3, 0, 1], [4, 0, 1]],
    );
    await logs.close();
  });

  it('concurrent appends of one producer are checked against each other inside the queue', async () => {
    const env = await newEnv();
    const logs = await openLogs(env, new ManualClock());
    const log = await logs.create('t', 0, cfg());
    const results = await Promise.allSettled([send(log, 7, 0, 0), send(log, 7, 0, 1), send(log, 7, 0, 0), send(log, 7, 0, 3), send(log, 7, 0, 2)]);
    const value = (i: number) => (results[i] as PromiseFulfilledResult<AppendResult>).value;
    assert.equal(value(0).firstOffset, 0);
    assert.equal(value(1).firstOffset, 1);
    assert.deepEqual([value(2).duplicate, value(2).firstOffset], [true, 0], 'the in-flight retry sees the first append');
    assert.equal(results[3]!.status, 'rejected');
    assert.equal(value(4).firstOffset, 2);
    assert.equal(log.logEndOffset, 3);
    await logs.close();
  });

  it('the same answers after a clean restart (from the snapshot at the log end)', async () => {
    const env = await newEnv();
    const clock = new ManualClock();
    const logs = await openLogs(env, clock);
    await sevenBatches(await logs.create('t', 0, cfg()));
    await logs.close();
    const reopened = await openLogs(env, clock);
    const log = reopened.get('t', 0)!;
    assert.deepEqual(await snapshotFiles(env, log), ['00000000000000000014.snapshot']);
    await commonAnswers(log);
    // A snapshot keeps only each producer's last batch (Kafka's format): an older retry is out of sequence.
    await expectRejected(log, 1, 0, 10, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert.equal((await send(log, 1, 0, 14)).firstOffset, 15);
    await reopened.close();
  });

  it('the same answers after a restart with the snapshots deleted (state from log replay), clean or not', async () => {
    for (const clean of [true, false]) {
      const env = await newEnv();
      const clock = new ManualClock();
      const logs = await openLogs(env, clock);
      const first = await logs.create('t', 0, cfg());
      await sevenBatches(first);
      if (clean) await logs.close();
      else {
        await first.flush();
        await abandon(logs);
      }
      for (const name of await snapshotFiles(env, first)) await env.fs.unlink(`${first.dir}/${name}`);
      const reopened = await openLogs(env, clock);
      const log = reopened.get('t', 0)!;
      // Replayed from the log: all five last batches are known again.
      for (let i = 2; i < 7; i++) await expectDuplicate(log, 1, 0, 2 * i, 2, 2 * i);
      await commonAnswers(log);
      assert.deepEqual(await snapshotFiles(env, log), ['00000000000000000014.snapshot'], 'a snapshot is written after the replay');
      await reopened.close();
    }
  });

  it('a clean open replays nothing: the snapshot at the log end is the state', async () => {
    const env = await newEnv();
    const clock = new ManualClock();
    const logs = await openLogs(env, clock);
    const log = await logs.create('t', 0, cfg());
    await sevenBatches(log);
    await logs.close();
    let logReads = 0;
    const counting = { ...env, fs: countingFs(env.fs, () => logReads++) };
    const reopened = await openLogs(counting, clock);
    const withSnapshot = logReads;
    assert.ok(withSnapshot <= log.segments.length, `only loading the segments reads the log (each its tail after the last index entry): ${withSnapshot} reads`);
    await expectDuplicate(reopened.get('t', 0)!, 1, 0, 12, 2, 12);
    await reopened.close();
    // The same open without the snapshot has to read the log.
    for (const name of await snapshotFiles(env, log)) await env.fs.unlink(`${log.dir}/${name}`);
    logReads = 0;
    const replayed = await openLogs(counting, clock);
    assert.ok(logReads > withSnapshot, `replay reads the log (${logReads} reads)`);
    await replayed.close();
  });

  it('a torn, garbage or CRC-failing snapshot is ignored with a warning and rebuilt from an older one and the log', async () => {
    for (const damage of ['torn', 'garbage', 'crc'] as const) {
      const env = await newEnv();
      const clock = new ManualClock();
      const logs = await openLogs(env, clock);
      const log = await logs.create('t', 0, cfg({ segmentBytes: 300 }));
      await sevenBatches(log);
      await logs.close();
      const names = await snapshotFiles(env, log);
      assert.ok(names.length >= 3, `snapshots at every roll and at the end: ${names.join(', ')}`);
      const latest = `${log.dir}/${names[names.length - 1]}`;
      const bytes = await env.fs.readFile(latest);
      const bad = damage === 'torn' ? bytes.subarray(0, bytes.length - 7) : damage === 'garbage' ? Buffer.alloc(bytes.length, 0x5a) : Buffer.from(bytes);
      if (damage === 'crc') bad[bad.length - 3] ^= 0x40;
      await env.fs.writeFileAtomic(latest, bad);
      const warnings: string[] = [];
      const logger = createLogger('warn', (line) => warnings.push(line));
      const reopened = await openLogs(env, clock, logger);
      const again = reopened.get('t', 0)!;
      assert.ok(warnings.some((w) => w.includes('unreadable producer state snapshot')), `${damage}: warned`);
      await expectDuplicate(again, 1, 0, 12, 2, 12);
      await commonAnswers(again);
      await reopened.close();
    }
  });

  it('truncation reloads the state of the remaining log (truncateTo, truncateFullyAndStartAt)', async () => {
    const env = await newEnv();
    const clock = new ManualClock();
    const logs = await openLogs(env, clock);
    const log = await logs.create('t', 0, cfg({ segmentBytes: 250 }));
    for (let seq = 0; seq < 10; seq++) assert.equal((await send(log, 5, 0, seq)).firstOffset, seq);
    assert.ok(log.segments.length >= 3);
    await log.truncateTo(4);
    assert.equal(log.logEndOffset, 4);
    for (const name of await snapshotFiles(env, log)) assert.ok(Number(name.slice(0, 20)) <= 4, `${name} is not above the log end`);
    await expectDuplicate(log, 5, 0, 3, 1, 3);
    await expectRejected(log, 5, 0, 6, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    const rewritten = await send(log, 5, 0, 4);
    assert.deepEqual([rewritten.duplicate, rewritten.firstOffset], [false, 4], 'a truncated batch is written again, not answered as a duplicate');
    // Truncating into an earlier segment: the state comes from an older snapshot plus replay.
    await log.truncateTo(1);
    await expectDuplicate(log, 5, 0, 0, 1, 0);
    assert.equal((await send(log, 5, 0, 1)).firstOffset, 1);
    await log.truncateFullyAndStartAt(100);
    assert.deepEqual(log.activeProducers(), []);
    assert.deepEqual(await snapshotFiles(env, log), []);
    assert.equal((await send(log, 5, 0, 42)).firstOffset, 100, 'everything forgotten: any sequence');
    await logs.close();
  });

  it('retention and DeleteRecords delete snapshots with their segments but keep producers (KIP-360); expiration forgets them', async () => {
    const env = await newEnv();
    const clock = new ManualClock();
    const logs = await openLogs(env, clock, silentLogger, { producerStateConfig: { producerIdExpirationMs: 60_000 } });
    const log = await logs.create('t', 0, cfg({ retentionMs: 10_000 }));
    const ts = clock.now();
    await log.appendAsLeader(producerBatch(1, 0, 0, { count: 2, timestamp: ts }), 0); // 0-1
    await log.roll();
    await log.appendAsLeader(producerBatch(2, 0, 0, { timestamp: ts }), 0); // 2
    await log.appendAsLeader(plainBatch(1, ts), 0); // 3
    await log.roll();
    await log.appendAsLeader(plainBatch(2, ts + 20_000), 0); // 4-5
    assert.deepEqual(await snapshotFiles(env, log), ['00000000000000000002.snapshot', '00000000000000000004.snapshot']);
    log.setHighWatermark(log.logEndOffset);
    assert.equal(await log.deleteRecordsBefore(2), 2);
    assert.deepEqual(await snapshotFiles(env, log), ['00000000000000000002.snapshot', '00000000000000000004.snapshot'], 'the log start segment keeps its snapshot');
    clock.advance(15_000);
    assert.equal(await log.deleteOldSegments(), 1, 'retention deletes the segment of 2-3');
    assert.equal(log.logStartOffset, 4);
    assert.deepEqual(await snapshotFiles(env, log), ['00000000000000000004.snapshot']);
    // Producer 1's data is gone, its state is not: its sequence still counts.
    await expectRejected(log, 1, 0, 5, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    await expectDuplicate(log, 1, 0, 0, 2, 0);
    // ...also after an unclean restart (from the snapshot at the log start segment).
    await log.flush();
    await abandon(logs);
    const reopened = await openLogs(env, clock, silentLogger, { producerStateConfig: { producerIdExpirationMs: 60_000 } });
    const again = reopened.get('t', 0)!;
    assert.equal(again.logStartOffset, 4);
    await expectRejected(again, 1, 0, 5, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert.equal((await send(again, 2, 0, 1)).firstOffset, 6);
    // producer.id.expiration.ms after its last write (batch timestamps) forgets producer 1, not 2 (written just now).
    clock.advance(50_000);
    await again.appendAsLeader(producerBatch(2, 0, 2, { timestamp: clock.now() }), 0);
    assert.equal(await reopened.runProducerExpiration(), 1);
    assert.deepEqual(again.activeProducers().map((p) => p.producerId), [2]);
    assert.equal((await send(again, 1, 0, 999)).duplicate, false, 'an expired producer is unknown: any sequence');
    await reopened.close();
  });

  it('producers that expired while the broker was down are not loaded from the snapshot', async () => {
    const env = await newEnv();
    const clock = new ManualClock();
    const options = { producerStateConfig: { producerIdExpirationMs: 60_000 } };
    const logs = await openLogs(env, clock, silentLogger, options);
    const log = await logs.create('t', 0, cfg());
    await log.appendAsLeader(producerBatch(1, 0, 0, { timestamp: clock.now() }), 0);
    await log.appendAsLeader(producerBatch(2, 0, 0, { timestamp: clock.now() + 30_000 }), 0);
    await logs.close();
    clock.advance(60_000);
    const reopened = await openLogs(env, clock, silentLogger, options);
    assert.deepEqual(reopened.get('t', 0)!.activeProducers().map((p) => p.producerId), [2]);
    await reopened.close();
  });

  it('the LogManager expires producers every producer.id.expiration.check.interval.ms on its clock', async () => {
    const env = await newEnv();
    const clock = new ManualClock();
    const logs = await openLogs(env, clock, silentLogger, { producerIdExpirationCheckIntervalMs: 1000, producerStateConfig: { producerIdExpirationMs: 5000 } });
    const log = await logs.create('t', 0, cfg());
    await log.appendAsLeader(producerBatch(1, 0, 0, { timestamp: clock.now() }), 0);
    logs.startBackgroundTasks();
    // One check interval at a time; setImmediate lets the task finish and re-arm its timer.
    const tick = async () => {
      clock.advance(1000);
      await log.flush();
      await new Promise((resolve) => setImmediate(resolve));
    };
    for (let i = 0; i < 4; i++) await tick();
    assert.equal(log.activeProducers().length, 1, 'not yet: 4 s idle');
    await tick();
    assert.equal(log.activeProducers().length, 0, 'expired by the background task after 5 s');
    await logs.close();
  });

  it('an open transaction holds the last stable offset at its first offset until its marker is below the high watermark', async () => {
    const env = await newEnv();
    const logs = await openLogs(env, new ManualClock());
    const log = await logs.create('t', 0, cfg());
    await log.appendAsLeader(plainBatch(2), 0); // 0-1
    await log.appendAsLeader(producerBatch(8, 0, 0, { transactional: true, count: 2 }), 0); // 2-3
    await log.appendAsLeader(plainBatch(1), 0); // 4
    let wakeups = 0;
    log.onHighWatermarkChange(() => wakeups++);
    log.setHighWatermark(5);
    assert.deepEqual([log.highWatermark, log.lastStableOffset], [5, 2]);
    await expectRejected(log, 8, 0, 2, ErrorCode.INVALID_TXN_STATE);
    await log.appendAsLeader(markerBatch(8, 0, true, 1), 0, undefined, 'coordinator'); // 5
    assert.equal(log.lastStableOffset, 2, 'decided, but the marker is not below the high watermark yet');
    wakeups = 0;
    log.setHighWatermark(6);
    assert.deepEqual([log.lastStableOffset, wakeups > 0], [6, true], 'the commit below the high watermark releases read_committed');
    // After a restart the open transaction comes back from the log (replay) or the snapshot.
    await log.appendAsLeader(producerBatch(8, 0, 2, { transactional: true }), 0); // 6
    await logs.close();
    const reopened = await openLogs(env, new ManualClock());
    const again = reopened.get('t', 0)!;
    again.setHighWatermark(again.logEndOffset);
    assert.equal(again.lastStableOffset, 6);
    assert.equal(again.activeProducers()[0]!.currentTxnStartOffset, 6);
    await reopened.close();
  });

  it('a follower takes the leader state from replicated batches, markers included', async () => {
    const env = await newEnv();
    const clock = new ManualClock();
    const logs = await openLogs(env, clock);
    const leader = await logs.create('leader', 0, cfg());
    const follower = await logs.create('follower', 0, cfg());
    await send(leader, 1, 0, 0, 3);
    await leader.appendAsLeader(producerBatch(2, 0, 0, { transactional: true }), 0);
    await leader.appendAsLeader(markerBatch(2, 0, false, 3), 0, undefined, 'coordinator');
    await send(leader, 1, 0, 3);
    leader.setHighWatermark(leader.logEndOffset);
    const all = await leader.read(0, 1 << 20, leader.logEndOffset);
    await follower.appendAsFollower(all.records);
    const view = (log: PartitionLog) => log.activeProducers().sort((a, b) => a.producerId - b.producerId);
    assert.deepEqual(view(follower), view(leader));
    assert.equal(view(follower)[1]!.coordinatorEpoch, 3);
    await expectDuplicate(follower, 1, 0, 3, 1, 5);
    await logs.close();
  });

  if (kind === 'memory') {
    it('crash mid-stream: after recovery the state is what the recovered log says, never ahead of it', async () => {
      const seed = Number(process.env.STORAGE_SEED ?? Date.now() % 1_000_000);
      console.log(`# producer state crash seed ${seed} (rounds use seed..seed+7; STORAGE_SEED=${seed} reruns them)`);
      for (let round = 0; round < 8; round++) {
        await crashRound(await newEnv(), seed + round);
      }
    });
  }
});

/** A FileSystem whose handles report every read of a `.log` file. */
function countingFs(fs: FsEnv['fs'], onLogRead: () => void): FsEnv['fs'] {
  return {
    ...fs,
    open: async (path, mode) => {
      const fh = await fs.open(path, mode);
      if (!path.endsWith('.log')) return fh;
      return {
        ...fh,
        read: (buf, off, len, pos) => {
          onLogRead();
          return fh.read(buf, off, len, pos);
        },
        readSync: fh.readSync === undefined ? undefined : (buf, off, len, pos) => {
          onLogRead();
          return fh.readSync!(buf, off, len, pos);
        },
        write: fh.write.bind(fh),
        writev: fh.writev?.bind(fh),
        sync: fh.sync.bind(fh),
        truncate: fh.truncate.bind(fh),
        size: fh.size.bind(fh),
        close: fh.close.bind(fh),
      };
    },
    readFile: fs.readFile.bind(fs),
    writeFileAtomic: fs.writeFileAtomic.bind(fs),
    exists: fs.exists.bind(fs),
    mkdirp: fs.mkdirp.bind(fs),
    readdir: fs.readdir.bind(fs),
    rename: fs.rename.bind(fs),
    unlink: fs.unlink.bind(fs),
    rmrf: fs.rmrf.bind(fs),
    syncDir: fs.syncDir.bind(fs),
    lock: fs.lock.bind(fs),
  };
}

/** Expected per producer from the log itself: the epoch and last sequence of its last batch. */
async function producersInLog(log: PartitionLog): Promise<Map<number, { epoch: number; lastSeq: number; lastOffset: number }>> {
  const out = new Map<number, { epoch: number; lastSeq: number; lastOffset: number }>();
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const r = await log.read(offset, 1 << 20, log.logEndOffset);
    if (r.records.length === 0) break;
    for (let pos = 0; pos < r.records.length; pos += r.records.readInt32BE(pos + 8) + 12) {
      const b = r.records;
      const base = b.readInt32BE(pos) * 4294967296 + b.readUInt32BE(pos + 4);
      const delta = b.readInt32BE(pos + 23);
      const pid = b.readInt32BE(pos + 43) * 4294967296 + b.readUInt32BE(pos + 47);
      if (pid >= 0) out.set(pid, { epoch: b.readInt16BE(pos + 51), lastSeq: b.readInt32BE(pos + 53) + delta, lastOffset: base + delta });
      offset = base + delta + 1;
    }
  }
  return out;
}

async function crashRound(env: FsEnv, seed: number): Promise<void> {
  const mem = env.memory!;
  const clock = new ManualClock();
  const rng = new SeededRandom(seed);
  const random = (n: number) => rng.int(n);
  const config = cfg({ segmentBytes: 400 + random(1200), flushMessages: random(2) === 0 ? 1 : Number.MAX_SAFE_INTEGER });
  const nextSeq = new Map<number, number>([[1, 0], [2, 0], [3, 0]]);
  for (let life = 0; life < 4; life++) {
    const logs = await openLogs(env, clock);
    const log = await logs.create('crashy', 0, config);
    const inLog = await producersInLog(log);
    const state = new Map(log.activeProducers().map((p) => [p.producerId, p]));
    for (const [pid, expected] of inLog) {
      const got = state.get(pid);
      assert.ok(got !== undefined, `seed ${seed} life ${life}: producer ${pid} is in the log but not in the state`);
      assert.equal(got.producerEpoch, expected.epoch, `seed ${seed}: epoch of ${pid}`);
      assert.equal(got.lastSequence, expected.lastSeq, `seed ${seed}: producer ${pid} state vs log`);
      // The retry of its last logged batch is a duplicate at its offset: state and log agree.
      const dup = await send(log, pid, expected.epoch, expected.lastSeq, 1);
      assert.deepEqual([dup.duplicate, dup.lastOffset], [true, expected.lastOffset], `seed ${seed}: retry of ${pid}'s last batch`);
      nextSeq.set(pid, expected.lastSeq + 1);
    }
    for (const pid of state.keys()) assert.ok(inLog.has(pid), `seed ${seed}: producer ${pid} in the state but not in the log`);
    for (const pid of nextSeq.keys()) if (!inLog.has(pid)) nextSeq.set(pid, 0);
    const pending: Promise<unknown>[] = [];
    const n = 5 + random(25);
    for (let i = 0; i < n; i++) {
      const pid = 1 + random(3);
      const seq = nextSeq.get(pid)!;
      nextSeq.set(pid, seq + 1);
      pending.push(send(log, pid, 0, seq).catch(() => undefined));
      if (random(3) === 0) pending.push(log.appendAsLeader(plainBatch(1 + random(3)), 0).catch(() => undefined));
      if (random(4) === 0) await pending[pending.length - 1];
    }
    if (random(3) === 0) {
      // A process crash, a restart (whose rebuild writes a snapshot at the recovered log end
      // while that tail is still only in the page cache), then power loss: the snapshot is now
      // above the log end and must not be believed.
      await Promise.allSettled(pending);
      await abandon(logs);
      await abandon(await openLogs(env, clock));
      mem.crash();
    } else {
      for (let k = random(300); k > 0; k--) await Promise.resolve();
      mem.crash();
      await Promise.allSettled(pending);
    }
  }
}
