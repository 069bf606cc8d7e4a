// The aborted-transaction index through PartitionLog, on disk and in memory: appended when an
// ABORT marker completes a transaction (with the LSO of that moment), one `.txnindex` per
// segment, collected across segments for read_committed fetches, truncated, deleted with its
// segment, and rebuilt from the producer state after an unclean restart or when a file is
// missing or garbage; randomized crash rounds compare the recovered indexes with indexes
// rebuilt from nothing but the log.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/base/clock.js';
import { SeededRandom } from '../../src/base/random.js';
import { silentLogger } from '../../src/base/logger.js';
import { LogManager } from '../../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../../src/storage/log-config.js';
import type { AbortedTxn, PartitionLog } from '../../src/storage/partition-log.js';
import { decodeAbortedTxn, TXN_INDEX_ENTRY_SIZE } from '../../src/storage/transaction-index.js';
import { describeBothFs, type FsEnv } from './_fs.js';
import { markerBatch, plainBatch, producerBatch } from './_producer-batches.js';

function cfg(overrides: Partial<LogConfig> = {}): LogConfig {
  return { ...DEFAULT_LOG_CONFIG, cleanupPolicy: { ...DEFAULT_LOG_CONFIG.cleanupPolicy }, segmentBytes: 300, ...overrides };
}

function openLogs(env: FsEnv, clock = new ManualClock()): Promise<LogManager> {
  return LogManager.open({ fs: env.fs, dirs: [env.dir], clock, logger: silentLogger });
}

const txnData = (log: PartitionLog, pid: number, seq: number, count = 2) => log.appendAsLeader(producerBatch(pid, 0, seq, { transactional: true, count }), 0);
const marker = (log: PartitionLog, pid: number, commit: boolean) => log.appendAsLeader(markerBatch(pid, 0, commit), 0, undefined, 'coordinator');
const txn = (producerId: number, firstOffset: number, lastOffset: number, lastStableOffset: number): AbortedTxn => ({ producerId, firstOffset, lastOffset, lastStableOffset });

/** Every segment's index entries, by base offset. */
function indexes(log: PartitionLog): [number, AbortedTxn[]][] {
  return log.segments.map((s) => [s.baseOffset, [...s.txnIndex.allAbortedTxns()]]);
}

function allEntries(log: PartitionLog): AbortedTxn[] {
  return log.segments.flatMap((s) => [...s.txnIndex.allAbortedTxns()]);
}

async function txnIndexFile(env: FsEnv, log: PartitionLog, base: number): Promise<AbortedTxn[]> {
  const raw = await env.fs.readFile(`${log.dir}/${String(base).padStart(20, '0')}.txnindex`);
  const out: AbortedTxn[] = [];
  for (let at = 0; at < raw.length; at += TXN_INDEX_ENTRY_SIZE) {
    const { version, ...t } = decodeAbortedTxn(raw, at);
    assert.equal(version, 0);
    out.push(t);
  }
  return out;
}

/**
 * Producer 1 aborts twice, producer 2 commits in between, over several 300-byte segments:
 *   0-1 p1 data, 2-3 p2 data, 4 plain, 5 ABORT p1 (p2 still open: LSO 2), 6-7 p1 data,
 *   8 COMMIT p2, 9 plain, 10 ABORT p1 (nothing open: LSO 11), 11 plain.
 */
async function story(log: PartitionLog): Promise<AbortedTxn[]> {
  await txnData(log, 1, 0);
  await txnData(log, 2, 0);
  await log.appendAsLeader(plainBatch(1), 0);
  await marker(log, 1, false);
  await txnData(log, 1, 2);
  await marker(log, 2, true);
  await log.appendAsLeader(plainBatch(1), 0);
  await marker(log, 1, false);
  await log.appendAsLeader(plainBatch(1), 0);
  log.setHighWatermark(log.logEndOffset);
  return [txn(1, 0, 5, 2), txn(1, 6, 10, 11)];
}

describeBothFs('transaction index', (newEnv, kind) => {
  it('an ABORT marker adds its transaction to the index of the segment holding the marker, with the LSO of that moment; a COMMIT adds nothing', async () => {
    const env = await newEnv();
    const logs = await openLogs(env);
    const log = await logs.create('t', 0, cfg());
    const expected = await story(log);
    assert.equal(log.logEndOffset, 12);
    assert.ok(log.segments.length >= 3, `several segments (${log.segments.length})`);
    assert.deepEqual(allEntries(log), expected);
    for (const [base, entries] of indexes(log)) {
      const seg = log.segments.find((s) => s.baseOffset === base)!;
      for (const e of entries) assert.ok(e.lastOffset >= base && e.lastOffset < seg.nextOffset, `entry ${e.lastOffset} sits in the marker's segment ${base}`);
    }
    // Rolled segments were flushed with their index; close writes the active one's.
    await logs.close();
    for (const [base, entries] of indexes(log)) assert.deepEqual(await txnIndexFile(env, log, base), entries, `${base}.txnindex on disk`);
  });

  it('collects the aborted transactions overlapping a fetch range across segments, and stops when an LSO shows it is complete', async () => {
    const env = await newEnv();
    const logs = await openLogs(env);
    const log = await logs.create('t', 0, cfg());
    const [first, second] = await story(log);
    assert.deepEqual(log.collectAbortedTransactions(0, 2), [first], 'fetching p1\'s first records: its abort is found in a later segment');
    assert.deepEqual(log.collectAbortedTransactions(2, 5), [first]);
    assert.deepEqual(log.collectAbortedTransactions(0, 12), [first, second]);
    assert.deepEqual(log.collectAbortedTransactions(6, 8), [second]);
    assert.deepEqual(log.collectAbortedTransactions(11, 12), [], 'after the last abort');
    await logs.close();
  });

  it('truncateTo drops the entries whose marker is cut off and rewrites the file', async () => {
    const env = await newEnv();
    const logs = await openLogs(env);
    const log = await logs.create('t', 0, cfg({ segmentBytes: 1 << 20 }));
    const [first] = await story(log);
    await log.truncateTo(10);
    assert.deepEqual(allEntries(log), [first]);
    await logs.close();
    assert.deepEqual(await txnIndexFile(env, log, 0), [first]);
    const again = await openLogs(env);
    assert.deepEqual(allEntries(again.get('t', 0)!), [first]);
    await again.close();
  });

  it('an unclean restart rebuilds the unflushed entries from the producer state replay, also after a restart in the middle', async () => {
    const env = await newEnv();
    const clock = new ManualClock();
    const logs = await openLogs(env, clock);
    const log = await logs.create('t', 0, cfg());
    const expected = await story(log);
    const before = indexes(log);
    await logs.abandon();
    const second = await openLogs(env, clock);
    const log2 = second.get('t', 0)!;
    assert.deepEqual(indexes(log2), before);
    // More aborts after the restart (the rebuild left a snapshot at the old log end), then another crash.
    await txnData(log2, 3, 0, 1); // 12
    await log2.appendAsLeader(plainBatch(1), 0); // 13
    await marker(log2, 3, false); // 14
    const more = [...expected, txn(3, 12, 14, 15)];
    assert.deepEqual(allEntries(log2), more);
    const before2 = indexes(log2);
    await second.abandon();
    const third = await openLogs(env, clock);
    assert.deepEqual(indexes(third.get('t', 0)!), before2);
    await third.close();
  });

  it('a crash right after a recovery keeps what the recovery derived (its snapshot is written after the entries below it)', async () => {
    const env = await newEnv();
    const clock = new ManualClock();
    const logs = await openLogs(env, clock);
    const log = await logs.create('t', 0, cfg({ segmentBytes: 1 << 20 }));
    await story(log);
    await log.flush(); // the index file holds the story's two aborts
    await txnData(log, 3, 0, 1); // 12
    await marker(log, 3, false); // 13
    const expected = [...allEntries(log)];
    assert.equal(expected.length, 3);
    await logs.abandon(); // the third abort is not in the file
    const recovered = await openLogs(env, clock);
    assert.deepEqual(allEntries(recovered.get('t', 0)!), expected);
    await recovered.abandon(); // the recovery's snapshot at the log end is there: the next open replays nothing
    const again = await openLogs(env, clock);
    assert.deepEqual(allEntries(again.get('t', 0)!), expected);
    await again.close();
  });

  it('a deleted or garbage .txnindex is rebuilt, never trusted (clean restart, no snapshot below it)', async () => {
    const env = await newEnv();
    const clock = new ManualClock();
    const logs = await openLogs(env, clock);
    const log = await logs.create('t', 0, cfg());
    await story(log);
    const before = indexes(log);
    const withEntries = before.filter(([, e]) => e.length > 0).map(([b]) => b);
    assert.equal(withEntries.length, 2);
    await logs.close();
    const name = (base: number) => `${log.dir}/${String(base).padStart(20, '0')}.txnindex`;
    await env.fs.unlink(name(withEntries[0]!));
    await env.fs.writeFileAtomic(name(withEntries[1]!), Buffer.alloc(TXN_INDEX_ENTRY_SIZE, 0x7f));
    // The segments' snapshots go too: the rebuild must replay from the log start.
    for (const n of await env.fs.readdir(log.dir)) if (n.endsWith('.snapshot') && !n.startsWith(String(log.logEndOffset).padStart(20, '0'))) await env.fs.unlink(`${log.dir}/${n}`);
    const again = await openLogs(env, clock);
    const log2 = again.get('t', 0)!;
    assert.deepEqual(indexes(log2), before);
    for (const base of withEntries) assert.deepEqual(await txnIndexFile(env, log2, base), before.find(([b]) => b === base)![1], 'rewritten on open');
    await again.close();
  });

  it('a segment taken by retention or DeleteRecords takes its .txnindex along', async () => {
    const env = await newEnv();
    const logs = await openLogs(env);
    const log = await logs.create('t', 0, cfg());
    await story(log);
    const doomed = log.segments[0]!.baseOffset;
    const next = log.segments[1]!.baseOffset;
    await log.deleteRecordsBefore(next);
    const names = await env.fs.readdir(log.dir);
    assert.ok(!names.includes(`${String(doomed).padStart(20, '0')}.txnindex`), names.join());
    assert.ok(names.includes(`${String(next).padStart(20, '0')}.txnindex`), 'rolled segments have theirs');
    await logs.close();
  });

  if (kind === 'memory') {
    it('crash rounds: the recovered indexes equal indexes rebuilt from the log alone', async () => {
      const seed = Number(process.env.STORAGE_SEED ?? Date.now() % 1_000_000);
      console.log(`# transaction index crash seed ${seed} (rounds use seed..seed+5; STORAGE_SEED=${seed} reruns them)`);
      for (let round = 0; round < 6; round++) await crashRound(await newEnv(), seed + round);
    });
  }
});

/** Random transactions of three producers, crashes at random points; after each recovery the indexes must be what the log says. */
async function crashRound(env: FsEnv, seed: number): Promise<void> {
  const mem = env.memory!;
  const clock = new ManualClock();
  const rng = new SeededRandom(seed);
  const random = (n: number) => rng.int(n);
  const config = cfg({ segmentBytes: 250 + random(600), flushMessages: random(3) === 0 ? 1 : Number.MAX_SAFE_INTEGER });
  for (let life = 0; life < 5; life++) {
    const logs = await openLogs(env, clock);
    const live = await logs.create('crashy', 0, config);
    // Reference: the same .log files in another dir, without indexes or snapshots: rebuilt by a replay from the start.
    const refDir = `/ref-${seed}-${life}`;
    await env.fs.mkdirp(`${refDir}/crashy-0`);
    for (const n of await env.fs.readdir(live.dir)) {
      if (n.endsWith('.log')) await env.fs.writeFileAtomic(`${refDir}/crashy-0/${n}`, await env.fs.readFile(`${live.dir}/${n}`));
    }
    const ref = await LogManager.open({ fs: env.fs, dirs: [refDir], clock, logger: silentLogger });
    assert.deepEqual(indexes(live), indexes(await ref.create('crashy', 0, config)), `seed ${seed} life ${life}: recovered indexes vs a rebuild from the log`);
    await ref.close();
    // Producers' transactions: open ones continue, new ones start; sequences restart at a new epoch per life.
    const epoch = life;
    const seq = new Map<number, number>();
    const pending: Promise<unknown>[] = [];
    const n = 5 + random(30);
    for (let i = 0; i < n; i++) {
      const pid = 1 + random(3);
      const roll = random(6);
      if (roll < 3) {
        const s = seq.get(pid) ?? 0;
        seq.set(pid, s + 1);
        pending.push(live.appendAsLeader(producerBatch(pid, epoch, s, { transactional: true }), 0).catch(() => undefined));
      } else if (roll < 5) {
        pending.push(live.appendAsLeader(markerBatch(pid, epoch, roll === 3), 0, undefined, 'coordinator').catch(() => undefined));
      } else {
        pending.push(live.appendAsLeader(plainBatch(1 + random(2)), 0).catch(() => undefined));
      }
      if (random(8) === 0) pending.push(live.flush().catch(() => undefined));
      if (random(4) === 0) await pending[pending.length - 1];
    }
    const ending = random(4);
    if (ending === 0) {
      // A process crash: the page cache survives, unflushed index entries do not.
      await Promise.allSettled(pending);
      await logs.abandon();
    } else if (ending === 1) {
      await Promise.allSettled(pending);
      await logs.abandon();
      await (await openLogs(env, clock)).abandon();
      mem.crash();
    } else {
      for (let k = random(300); k > 0; k--) await Promise.resolve();
      mem.crash();
      await Promise.allSettled(pending);
    }
  }
}
