import { it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/base/clock.js';
import { silentLogger } from '../../src/base/logger.js';
import { LogManager } from '../../src/storage/log-manager.js';
import type { PartitionLog } from '../../src/storage/partition-log.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../../src/storage/log-config.js';
import { readRecords } from '../../src/storage/batch-records.js';
import { checkBatch } from '../../src/protocol/record-batch.js';
import { describeBothFs } from './_fs.js';
import { makeBatch, splitBatches } from './_batches.js';

function cfg(overrides: Partial<LogConfig> = {}): LogConfig {
  return {
    ...DEFAULT_LOG_CONFIG,
    cleanupPolicy: { delete: false, compact: true },
    segmentBytes: 700,
    minCleanableDirtyRatio: 0.1,
    deleteRetentionMs: 60_000,
    ...overrides,
  };
}

async function allRecords(log: PartitionLog): Promise<{ offset: number; key: string | null; value: boolean }[]> {
  const out: { offset: number; key: string | null; value: boolean }[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const batches = splitBatches((await log.read(offset, 1 << 20, log.logEndOffset)).records);
    if (batches.length === 0) break;
    for (const b of batches) {
      assert.equal(checkBatch(b, 0), b.length, 'compacted batches keep a valid CRC');
      for (const r of readRecords(b)) out.push({ offset: r.offset, key: r.key?.toString() ?? null, value: !r.isTombstone });
      offset = b.readInt32BE(4) + b.readInt32BE(23) + 1;
    }
  }
  return out;
}

describeBothFs('compaction', (newEnv) => {
  it('keeps the latest record per key, keeps offsets, never touches the active segment', async () => {
    const env = await newEnv();
    const clock = new ManualClock(10_000_000);
    const logs = await LogManager.open({ fs: env.fs, dirs: [env.dir], clock, logger: silentLogger });
    const log = await logs.create('cmp', 0, cfg({ segmentBytes: 400 }));
    const now = clock.now();
    for (let round = 0; round < 6; round++) {
      await log.appendAsLeader(makeBatch(
        [0, 1, 2, 3].map((k) => ({ key: `k${k}`, value: `v${round}-${k}-padding-padding`, timestamp: now })),
        { producerId: 42, producerEpoch: 3, baseSequence: round * 4, compression: round === 1 ? 1 : 0 },
      ), 0);
    }
    await log.appendAsLeader(makeBatch([{ key: 'k1', value: null, timestamp: now }]), 0); // tombstone at 24
    await log.appendAsLeader(makeBatch([{ key: 'k9', value: 'x', timestamp: now }]), 0); // 25
    log.setHighWatermark(log.logEndOffset);
    const activeBase = log.activeSegment.baseOffset;
    const beforeActive = (await allRecords(log)).filter((r) => r.offset >= activeBase);
    assert.ok(log.segments.length >= 3);

    const result = await log.compact();
    assert.ok(result !== null && result.segmentsRewritten > 0 && result.recordsRemoved > 0, JSON.stringify(result));
    const after = await allRecords(log);
    const cleaned = after.filter((r) => r.offset < activeBase);
    const keys = cleaned.map((r) => r.key);
    assert.equal(new Set(keys).size, keys.length, `one record per key in the cleaned part: ${keys}`);
    assert.deepEqual(after.filter((r) => r.offset >= activeBase), beforeActive, 'active segment untouched');
    for (let i = 1; i < after.length; i++) assert.ok(after[i]!.offset > after[i - 1]!.offset, 'offsets increase');
    assert.equal(log.logEndOffset, 26);
    // Producer fields survive the rewrite.
    const first = splitBatches((await log.read(0, 1 << 20, 26)).records)[0]!;
    assert.equal(first.readInt32BE(43 + 4), 42);
    // Nothing dirty: the ratio check skips the next pass.
    assert.equal(await log.compact(), null);

    // Survives an unclean restart and a clean one.
    await logs.abandon();
    const again = await LogManager.open({ fs: env.fs, dirs: [env.dir], clock, logger: silentLogger });
    assert.deepEqual(await allRecords(again.get('cmp', 0)!), after);
    const reconfigured = await again.create('cmp', 0, cfg({ segmentBytes: 400 }));
    // A reopened log's high watermark starts at its log start; the replica layer restores it.
    reconfigured.setHighWatermark(reconfigured.logEndOffset);
    assert.notEqual(await reconfigured.compact(), null, 'unclean stop: progress unknown, recleans');
    await again.close();
    // A clean stop persists cleaner-offset-checkpoint: nothing dirty after restart.
    const third = await LogManager.open({ fs: env.fs, dirs: [env.dir], clock, logger: silentLogger });
    const log3 = await third.create('cmp', 0, cfg({ segmentBytes: 400 }));
    log3.setHighWatermark(log3.logEndOffset);
    assert.equal(log3.firstDirtyOffset, reconfigured.firstDirtyOffset);
    assert.equal(await log3.compact(), null);
    assert.deepEqual(await allRecords(log3), after);
    await third.close();
  });

  it('drops tombstones only after delete.retention.ms and honours min.compaction.lag.ms', async () => {
    const env = await newEnv();
    const clock = new ManualClock(50_000_000);
    const logs = await LogManager.open({ fs: env.fs, dirs: [env.dir], clock, logger: silentLogger });
    const log = await logs.create('tomb', 0, cfg({ minCompactionLagMs: 30_000, messageTimestampType: 'LogAppendTime' }));
    const pad = 'p'.repeat(200);
    await log.appendAsLeader(makeBatch([{ key: 'a', value: `1${pad}` }, { key: 'b', value: `1${pad}` }]), 0);
    await log.appendAsLeader(makeBatch([{ key: 'a', value: null }]), 0);
    await log.appendAsLeader(makeBatch([{ key: 'b', value: `2${pad}` }, { key: 'c', value: `1${pad}` }]), 0);
    await log.appendAsLeader(makeBatch([{ key: 'c', value: `2${pad}` }, { key: 'd', value: `2${pad}` }]), 0);
    await log.appendAsLeader(makeBatch([{ key: 'e', value: `2${pad}` }]), 0);
    log.setHighWatermark(log.logEndOffset);
    assert.equal(await log.compact(), null, 'too recent for min.compaction.lag.ms');
    clock.advance(31_000);
    assert.notEqual(await log.compact(), null);
    let recs = await allRecords(log);
    assert.ok(recs.some((r) => r.key === 'a' && !r.value), 'fresh tombstone kept');
    assert.ok(!recs.some((r) => r.key === 'a' && r.value), 'value superseded by tombstone removed');
    clock.advance(61_000);
    // Make the log dirty again so the ratio allows a pass.
    await log.appendAsLeader(makeBatch([{ key: 'f', value: pad }]), 0);
    await log.appendAsLeader(makeBatch([{ key: 'g', value: pad }]), 0);
    await log.appendAsLeader(makeBatch([{ key: 'h', value: pad }]), 0);
    log.setHighWatermark(log.logEndOffset);
    log.firstDirtyOffset = 0;
    clock.advance(31_000);
    assert.notEqual(await log.compact(), null);
    recs = await allRecords(log);
    assert.ok(!recs.some((r) => r.key === 'a'), 'expired tombstone removed');
    await logs.close();
  });

  it('finishes an interrupted swap and discards half-written cleaner output on open', async () => {
    const env = await newEnv();
    const clock = new ManualClock();
    const logs = await LogManager.open({ fs: env.fs, dirs: [env.dir], clock, logger: silentLogger });
    const log = await logs.create('swap', 0, cfg());
    for (let i = 0; i < 8; i++) await log.appendAsLeader(makeBatch([{ key: `k${i % 2}`, value: 'v'.repeat(150) }]), 0);
    const base = log.segments[0]!.logPath;
    await logs.close();
    const only = makeBatch([{ key: 'k0', value: 'swapped' }]);
    await env.fs.writeFileAtomic(base.replace(/\.log$/, '.log.swap'), only);
    await env.fs.writeFileAtomic(base.replace(/\.log$/, '.log.cleaned'), Buffer.from('half'));
    const again = await LogManager.open({ fs: env.fs, dirs: [env.dir], clock, logger: silentLogger });
    const names = await env.fs.readdir(`${env.dir}/swap-0`);
    assert.ok(!names.some((n) => n.endsWith('.swap') || n.endsWith('.cleaned')), names.join(','));
    const first = splitBatches((await again.get('swap', 0)!.read(0, 1 << 20, 100)).records)[0]!;
    assert.deepEqual(first, only);
    await again.close();
  });
});

