// Compaction merges small segments (Kafka's LogCleaner.groupSegmentsBySize + replaceSegments):
// many small segments compact into few, offsets and each key's latest value survive, reads
// work across the merged range, tombstone rules are unchanged, and a crash at every step of
// the multi-segment swap recovers to either the old segments or the new one.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/base/clock.js';
import { silentLogger } from '../../src/base/logger.js';
import { MemoryFileSystem, type FileSystem } from '../../src/base/file-system.js';
import { LogManager } from '../../src/storage/log-manager.js';
import type { PartitionLog } from '../../src/storage/partition-log.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../../src/storage/log-config.js';
import { groupSegmentsBySize } from '../../src/storage/log-cleaner.js';
import { readRecords } from '../../src/storage/batch-records.js';
import { checkBatch } from '../../src/protocol/record-batch.js';
import { describeBothFs } from './_fs.js';
import { makeBatch, splitBatches } from './_batches.js';
import { crashingFs } from './_crashing-fs.js';

const KEYS = 5;

function cfg(overrides: Partial<LogConfig> = {}): LogConfig {
  return {
    ...DEFAULT_LOG_CONFIG,
    cleanupPolicy: { delete: false, compact: true },
    segmentBytes: 1024,
    minCleanableDirtyRatio: 0.01,
    deleteRetentionMs: 60_000,
    ...overrides,
  };
}

interface Rec {
  offset: number;
  key: string;
  value: string | null;
}

/** The test's value string inside a record's raw bytes. */
function valueOf(raw: Buffer): string {
  const m = /r\d+-\d+-x+/.exec(raw.toString('latin1'));
  assert.ok(m !== null, 'a value written by this test');
  return m[0];
}

async function recordsFrom(log: PartitionLog, from: number): Promise<Rec[]> {
  const out: Rec[] = [];
  let offset = from;
  while (offset < log.logEndOffset) {
    const batches = splitBatches((await log.read(offset, 1 << 20, log.logEndOffset)).records);
    if (batches.length === 0) break;
    for (const b of batches) {
      assert.equal(checkBatch(b, 0), b.length, 'valid CRC');
      for (const r of readRecords(b)) {
        if (r.offset >= from) out.push({ offset: r.offset, key: r.key!.toString(), value: r.isTombstone ? null : valueOf(r.raw) });
      }
      offset = b.readInt32BE(4) + b.readInt32BE(23) + 1;
    }
  }
  return out;
}

/** Appends `count` one-record batches cycling over the keys; returns what was written. */
async function appendRound(log: PartitionLog, round: number, count: number, now: number, keys: string[] | ((i: number) => string) = (i) => `k${i % KEYS}`): Promise<Rec[]> {
  const out: Rec[] = [];
  for (let i = 0; i < count; i++) {
    const key = typeof keys === 'function' ? keys(i) : keys[i % keys.length]!;
    const value = `r${round}-${i}-${'x'.repeat(40)}`;
    const r = await log.appendAsLeader(makeBatch([{ key, value, timestamp: now }]), 0);
    out.push({ offset: r.firstOffset, key, value });
  }
  return out;
}

function latestByKey(recs: readonly Rec[]): Map<string, Rec> {
  const m = new Map<string, Rec>();
  for (const r of recs) m.set(r.key, r);
  return m;
}

/** Offsets increase, every record is the one written at its offset, each key's latest is there. */
function assertValid(after: readonly Rec[], written: readonly Rec[]): void {
  const byOffset = new Map(written.map((r) => [r.offset, r]));
  for (let i = 1; i < after.length; i++) assert.ok(after[i]!.offset > after[i - 1]!.offset, 'offsets strictly increase');
  for (const r of after) assert.deepEqual(r, byOffset.get(r.offset), `record at ${r.offset} is the one written there`);
  for (const [key, r] of latestByKey(written)) assert.ok(after.some((a) => a.offset === r.offset), `latest of ${key} kept`);
}

function assertCompacted(after: readonly Rec[], written: readonly Rec[], activeBase: number): void {
  assertValid(after, written);
  const cleanedKeys = after.filter((r) => r.offset < activeBase).map((r) => r.key);
  assert.equal(new Set(cleanedKeys).size, cleanedKeys.length, `one record per key below the active segment: ${cleanedKeys}`);
}

it('groupSegmentsBySize: size, index size and int32 offset range limits, empty segments never split', () => {
  const seg = (baseOffset: number, size: number, idx = 0, tidx = 0) => ({ baseOffset, size, offsetIndex: { entries: idx }, timeIndex: { entries: tidx } });
  const bases = (groups: { baseOffset: number }[][]) => groups.map((g) => g.map((s) => s.baseOffset));
  assert.deepEqual(bases(groupSegmentsBySize([seg(0, 400), seg(10, 400), seg(20, 300), seg(30, 100)], 1000, 1 << 20, 40)), [[0, 10], [20, 30]]);
  assert.deepEqual(bases(groupSegmentsBySize([seg(0, 2000), seg(10, 1)], 1000, 1 << 20, 20)), [[0], [10]], 'an oversized segment is a group alone');
  assert.deepEqual(bases(groupSegmentsBySize([seg(0, 1, 10), seg(10, 1, 10), seg(20, 1, 1)], 1000, 160, 30)), [[0, 10], [20]], 'offset index bytes');
  assert.deepEqual(bases(groupSegmentsBySize([seg(0, 1, 0, 10), seg(10, 1, 0, 4)], 1000, 160, 20)), [[0], [10]], 'time index bytes');
  const big = 2 ** 31;
  assert.deepEqual(bases(groupSegmentsBySize([seg(0, 1), seg(big - 10, 1), seg(big + 10, 1)], 1000, 1 << 20, big + 20)), [[0], [big - 10, big + 10]], 'int32 relative offsets');
  assert.deepEqual(bases(groupSegmentsBySize([seg(0, 1), seg(big + 5, 0), seg(big + 10, 1)], 1000, 1 << 20, big + 20)), [[0, big + 5], [big + 10]], 'empty segment joins');
});

describeBothFs('compaction merges small segments', (newEnv) => {
  it('many small segments compact into few; latest values, offsets and reads across the merged range survive restarts', async () => {
    const env = await newEnv();
    const clock = new ManualClock(10_000_000);
    const logs = await LogManager.open({ fs: env.fs, dirs: [env.dir], clock, logger: silentLogger });
    const log = await logs.create('merge', 0, cfg());
    const written: Rec[] = [];
    let maxSegments = 0;
    let merged = 0;
    const counts: number[] = [];
    for (let round = 0; round < 12; round++) {
      written.push(...(await appendRound(log, round, 60, clock.now())));
      log.setHighWatermark(log.logEndOffset);
      maxSegments = Math.max(maxSegments, log.segments.length);
      const result = await log.compact();
      counts.push(log.segments.length);
      assert.ok(result !== null, `round ${round}: the cleaner ran`);
      merged += result.segmentsMerged;
    }
    const logEnd = log.logEndOffset;
    assert.equal(logEnd, 720);
    assert.ok(maxSegments >= 8, `a round rolls many segments (${maxSegments})`);
    assert.ok(merged > 0, 'segments were merged');
    // Each round rolls ~6 full segments, which the next pass merges: the count stays bounded.
    assert.ok(Math.max(...counts.slice(2)) <= Math.max(...counts.slice(0, 2)) + 1, `segment count stays bounded: ${counts}`);
    assert.ok(log.segments.length <= 10, `few segments remain: ${counts}`);
    const files = (await env.fs.readdir(`${env.dir}/merge-0`)).filter((n) => n.endsWith('.log'));
    assert.equal(files.length, log.segments.length, `no stray segment files: ${files}`);
    const after = await recordsFrom(log, log.logStartOffset);
    assertCompacted(after, written, log.activeSegment.baseOffset);
    // Reads starting anywhere in the merged range return exactly the suffix.
    for (let from = 0; from < logEnd; from += 37) {
      assert.deepEqual(await recordsFrom(log, from), after.filter((r) => r.offset >= from), `read from ${from}`);
    }
    // Unclean stop, then a clean one: same records.
    await logs.abandon();
    const again = await LogManager.open({ fs: env.fs, dirs: [env.dir], clock, logger: silentLogger });
    assert.deepEqual(await recordsFrom(again.get('merge', 0)!, 0), after);
    await again.close();
    const third = await LogManager.open({ fs: env.fs, dirs: [env.dir], clock, logger: silentLogger });
    const log3 = third.get('merge', 0)!;
    assert.deepEqual(await recordsFrom(log3, 0), after);
    assert.equal(log3.logEndOffset, logEnd);
    await third.close();
  });

  it('reads racing a merge see the old segments or the merged one, never an error or a gap', async () => {
    const env = await newEnv();
    const clock = new ManualClock(20_000_000);
    const logs = await LogManager.open({ fs: env.fs, dirs: [env.dir], clock, logger: silentLogger });
    const log = await logs.create('race', 0, cfg());
    const written = await appendRound(log, 0, 120, clock.now(), (i) => (i % 6 === 2 ? `u${i}` : `k${i % KEYS}`));
    log.setHighWatermark(log.logEndOffset);
    assert.notEqual(await log.compact(), null);
    written.push(...(await appendRound(log, 1, 60, clock.now())));
    log.setHighWatermark(log.logEndOffset);
    let done = false;
    const cleaning = log.compact().finally(() => {
      done = true;
    });
    let reads = 0;
    while (!done || reads < 3) {
      assertValid(await recordsFrom(log, 0), written);
      reads++;
    }
    const result = await cleaning;
    assert.ok(result !== null && result.segmentsMerged > 0, JSON.stringify(result));
    assertCompacted(await recordsFrom(log, 0), written, log.activeSegment.baseOffset);
    await logs.close();
  });

  it('tombstone rules are unchanged across merged groups', async () => {
    const env = await newEnv();
    const clock = new ManualClock(50_000_000);
    const logs = await LogManager.open({ fs: env.fs, dirs: [env.dir], clock, logger: silentLogger });
    const log = await logs.create('tomb', 0, cfg({ messageTimestampType: 'LogAppendTime' }));
    await appendRound(log, 0, 40, clock.now());
    await log.appendAsLeader(makeBatch([{ key: 'k1', value: null }]), 0);
    await appendRound(log, 1, 30, clock.now(), ['k0', 'k2', 'k3', 'k4']);
    log.setHighWatermark(log.logEndOffset);
    assert.notEqual(await log.compact(), null);
    let recs = await recordsFrom(log, 0);
    const k1 = recs.filter((r) => r.key === 'k1');
    assert.ok(k1.some((r) => r.value === null), 'fresh tombstone kept');
    assert.ok(!k1.some((r) => r.value !== null && r.offset < 40), 'values shadowed by the tombstone removed');
    clock.advance(61_000);
    await appendRound(log, 2, 40, clock.now());
    log.setHighWatermark(log.logEndOffset);
    const before = log.segments.length;
    const result = await log.compact();
    assert.ok(result !== null && result.segmentsMerged > 0, JSON.stringify(result));
    assert.ok(log.segments.length < before);
    recs = await recordsFrom(log, 0);
    const activeBase = log.activeSegment.baseOffset;
    assert.ok(!recs.some((r) => r.key === 'k1' && r.value === null), 'expired tombstone removed');
    assert.ok(recs.some((r) => r.key === 'k1' && r.value !== null && r.offset > 40), 'k1 written after the tombstone survives');
    assert.ok(recs.filter((r) => r.offset < activeBase).length <= KEYS, 'one record per key below the active segment');
    await logs.close();
  });
});

/** Builds a log whose next compaction merges several segments; returns everything written. */
async function prepare(fs: FileSystem, clock: ManualClock): Promise<{ logs: LogManager; log: PartitionLog; written: Rec[] }> {
  const logs = await LogManager.open({ fs, dirs: ['/data'], clock, logger: silentLogger });
  const log = await logs.create('crash', 0, cfg());
  // Every eighth record has a key of its own: each segment keeps one record after the first
  // pass, so the second pass merges segments whose records all survive.
  const written = await appendRound(log, 0, 80, clock.now(), (i) => (i % 8 === 3 ? `u${i}` : `k${i % KEYS}`));
  log.setHighWatermark(log.logEndOffset);
  assert.notEqual(await log.compact(), null);
  // A few more records for two keys, then a roll: the merged group ends with records it keeps,
  // so the merged segment covers the base offsets of all the segments it replaces.
  written.push(...(await appendRound(log, 1, 4, clock.now(), ['k0', 'k1'])));
  await log.enqueue(() => log.roll());
  log.setHighWatermark(log.logEndOffset);
  await log.flush();
  return { logs, log, written };
}

it('a crash at every step of a multi-segment swap recovers the old segments or the merged one (memory FS)', { timeout: 60_000 }, async () => {
  const clock = new ManualClock(10_000_000);
  const probeMem = new MemoryFileSystem({ seed: 7 });
  await probeMem.mkdirp('/data');
  const probe = crashingFs(probeMem);
  const base = await prepare(probe.fs, clock);
  const segmentsBefore = base.log.segments.length;
  const expectedLogEnd = base.log.logEndOffset;
  probe.arm(Number.MAX_SAFE_INTEGER);
  const result = await base.log.compact();
  const steps = probe.ops.length;
  assert.ok(result !== null && result.segmentsMerged >= 2, `a multi-segment merge: ${JSON.stringify(result)}`);
  assert.ok(base.log.segments.length < segmentsBefore);
  assert.ok(probe.ops.some((o) => o.includes('.log.swap')), probe.ops.join('\n'));
  const merged = await recordsFrom(base.log, 0);
  await base.logs.close();

  let sawOld = 0;
  let sawNew = 0;
  for (let crashAt = 0; crashAt < steps; crashAt++) {
    const memory = new MemoryFileSystem({ seed: 100 + crashAt });
    await memory.mkdirp('/data');
    const wrapped = crashingFs(memory);
    const { log, written } = await prepare(wrapped.fs, clock);
    const oldRecords = await recordsFrom(log, 0);
    wrapped.arm(crashAt);
    await assert.rejects(log.compact(), /injected crash/, `crash at step ${crashAt}`);
    const reopened = await LogManager.open({ fs: memory, dirs: ['/data'], clock, logger: silentLogger });
    const recovered = reopened.get('crash', 0)!;
    const names = await memory.readdir('/data/crash-0');
    assert.ok(!names.some((n) => n.endsWith('.swap') || n.endsWith('.cleaned')), `step ${crashAt}: ${names}`);
    assert.equal(recovered.logEndOffset, expectedLogEnd, `step ${crashAt}: log end offset`);
    const recs = await recordsFrom(recovered, 0);
    // Whatever survived, every record is the original at its offset and each key's latest is there.
    assertValid(recs, written);
    if (JSON.stringify(recs) === JSON.stringify(oldRecords)) sawOld++;
    else if (JSON.stringify(recs) === JSON.stringify(merged)) sawNew++;
    else {
      // Only an untouched suffix of the group may survive beyond the merged segment's last record.
      const extra = recs.filter((r) => !merged.some((m) => m.offset === r.offset));
      assert.ok(extra.every((r) => oldRecords.some((o) => o.offset === r.offset)), `step ${crashAt}: unexpected records`);
      sawNew++;
    }
    // The recovered log keeps working: another pass converges to the merged result.
    const again = await reopened.create('crash', 0, cfg());
    again.setHighWatermark(again.logEndOffset);
    again.firstDirtyOffset = 0;
    await again.compact();
    assert.deepEqual((await recordsFrom(again, 0)).map((r) => r.offset), merged.map((r) => r.offset), `step ${crashAt}: converges`);
    await reopened.close();
  }
  assert.ok(sawOld > 0 && sawNew > 0, `crashes recovered to both old (${sawOld}) and new (${sawNew}) states over ${steps} steps`);
});
