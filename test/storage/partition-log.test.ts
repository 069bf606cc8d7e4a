import { it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/base/clock.js';
import { silentLogger } from '../../src/base/logger.js';
import { LogManager } from '../../src/storage/log-manager.js';
import { OffsetOutOfRangeError } from '../../src/storage/partition-log.js';
import { scanBatchHeaders } from '../../src/storage/log-scan.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../../src/storage/log-config.js';
import { checkBatch } from '../../src/protocol/record-batch.js';
import { describeBothFs } from './_fs.js';
import { baseOffsetOf, makeSimpleBatch, splitBatches } from './_batches.js';

function cfg(overrides: Partial<LogConfig> = {}): LogConfig {
  return { ...DEFAULT_LOG_CONFIG, cleanupPolicy: { ...DEFAULT_LOG_CONFIG.cleanupPolicy }, ...overrides };
}

describeBothFs('partition log basics', (newEnv) => {
  it('assigns offsets, rewrites epoch, reads back whole batches, survives reopen', async () => {
    const env = await newEnv();
    const clock = new ManualClock();
    const logs = await LogManager.open({ fs: env.fs, dirs: [env.dir], clock, logger: silentLogger });
    const log = await logs.create('t', 0, cfg());
    assert.equal(await logs.create('t', 0, cfg()), log, 'create is idempotent');
    assert.equal(logs.get('t', 0), log);
    const appended: Buffer[] = [];
    for (let i = 0; i < 5; i++) {
      const b = makeSimpleBatch(3, 10, { baseOffset: 999 });
      const r = await log.appendAsLeader(b, 7);
      assert.equal(r.firstOffset, i * 3);
      assert.equal(r.lastOffset, i * 3 + 2);
      assert.equal(r.logAppendTimeMs, -1);
      assert.equal(baseOffsetOf(b), i * 3);
      assert.equal(b.readInt32BE(12), 7);
      assert.equal(checkBatch(b, 0), b.length, 'CRC still valid after in-place rewrite');
      appended.push(Buffer.from(b));
    }
    assert.equal(log.logEndOffset, 15);
    assert.equal(log.highWatermark, 0);
    let fired = 0;
    const off = log.onHighWatermarkChange(() => fired++);
    log.setHighWatermark(15);
    assert.equal(fired, 1);
    log.setHighWatermark(15);
    assert.equal(fired, 1, 'no event without change');
    off();
    const all = await log.read(0, 1 << 20, log.highWatermark);
    assert.deepEqual(all.records, Buffer.concat(appended));
    const mid = await log.read(7, 1, 15);
    assert.equal(mid.firstOffset, 6, 'batch containing offset 7 starts at 6');
    assert.deepEqual(mid.records, appended[2], 'first batch returned even if larger than maxBytes');
    const bounded = await log.read(0, 1 << 20, 9);
    assert.equal(splitBatches(bounded.records).length, 3, 'never a batch at/after maxOffsetExclusive');
    const none = await log.read(0, 10, 15, false);
    assert.equal(none.records.length, 0, 'minOneBatch=false respects maxBytes');
    assert.equal((await log.read(15, 100, 15)).records.length, 0);
    await assert.rejects(log.read(16, 100, 15), OffsetOutOfRangeError);
    assert.deepEqual(log.endOffsetForEpoch(7), { leaderEpoch: 7, endOffset: 15 });
    await logs.close();

    const reopened = await LogManager.open({ fs: env.fs, dirs: [env.dir], clock, logger: silentLogger });
    const log2 = reopened.get('t', 0)!;
    assert.ok(log2);
    assert.equal(log2.logEndOffset, 15);
    assert.equal(log2.latestEpoch, 7);
    assert.deepEqual((await log2.read(0, 1 << 20, 15)).records, Buffer.concat(appended));
    await reopened.close();
  });

  it('rolls segments by size and reads across them via the index', async () => {
    const env = await newEnv();
    const clock = new ManualClock();
    const logs = await LogManager.open({ fs: env.fs, dirs: [env.dir], clock, logger: silentLogger });
    const log = await logs.create('roll', 3, cfg({ segmentBytes: 2000, indexIntervalBytes: 300 }));
    const batches: Buffer[] = [];
    for (let i = 0; i < 60; i++) {
      const b = makeSimpleBatch(2, 40);
      await log.appendAsLeader(b, 0);
      batches.push(Buffer.from(b));
    }
    assert.ok(log.segments.length > 3, `rolled into ${log.segments.length} segments`);
    log.setHighWatermark(log.logEndOffset);
    for (let off = 0; off < 120; off += 7) {
      const r = await log.read(off, 1, 120);
      assert.deepEqual(r.records, batches[Math.floor(off / 2)], `offset ${off}`);
    }
    const names = await env.fs.readdir(`${env.dir}/roll-3`);
    assert.ok(names.includes('00000000000000000000.log'));
    assert.ok(names.includes('00000000000000000000.index'));
    assert.ok(names.some((n) => n.endsWith('.timeindex')));
    await logs.close();
    const reopened = await LogManager.open({ fs: env.fs, dirs: [env.dir], clock, logger: silentLogger });
    const log2 = reopened.get('roll', 3)!;
    assert.equal(log2.logEndOffset, 120);
    for (let off = 0; off < 120; off += 5) {
      assert.deepEqual((await log2.read(off, 1, 120)).records, batches[Math.floor(off / 2)]);
    }
    await reopened.close();
  });

  it('scans batch headers from an offset across segments', async () => {
    const env = await newEnv();
    const logs = await LogManager.open({ fs: env.fs, dirs: [env.dir], clock: new ManualClock(), logger: silentLogger });
    const log = await logs.create('scan', 0, cfg({ segmentBytes: 500 }));
    for (let i = 0; i < 20; i++) await log.appendAsLeader(makeSimpleBatch(2, 50, { producerId: 1000 + i }), 0);
    const seen: number[] = [];
    await scanBatchHeaders(log, 9, (h) => {
      seen.push(h.baseOffset);
      assert.equal(h.producerId, 1000 + h.baseOffset / 2);
    });
    assert.deepEqual(seen, Array.from({ length: 16 }, (_, i) => 8 + i * 2));
    const firstTwo: number[] = [];
    await scanBatchHeaders(log, 0, (h) => (firstTwo.push(h.baseOffset), firstTwo.length < 2));
    assert.deepEqual(firstTwo, [0, 2]);
    await logs.close();
  });

  it('serializes concurrent appends', async () => {
    const env = await newEnv();
    const logs = await LogManager.open({ fs: env.fs, dirs: [env.dir], clock: new ManualClock(), logger: silentLogger });
    const log = await logs.create('c', 0, cfg());
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => log.appendAsLeader(makeSimpleBatch(1 + (i % 3)), 0)));
    const sorted = [...results].sort((a, b) => a.firstOffset - b.firstOffset);
    let expected = 0;
    for (const r of sorted) {
      assert.equal(r.firstOffset, expected);
      expected = r.lastOffset + 1;
    }
    assert.equal(log.logEndOffset, expected);
    const all = await log.read(0, 1 << 24, expected);
    assert.equal(splitBatches(all.records).length, 50);
    await logs.close();
  });

  it('stamps LogAppendTime', async () => {
    const env = await newEnv();
    const clock = new ManualClock(1_800_000_000_000);
    const logs = await LogManager.open({ fs: env.fs, dirs: [env.dir], clock, logger: silentLogger });
    const log = await logs.create('lat', 0, cfg({ messageTimestampType: 'LogAppendTime' }));
    const b = makeSimpleBatch(2);
    const r = await log.appendAsLeader(b, 0);
    assert.equal(r.logAppendTimeMs, 1_800_000_000_000);
    assert.equal(checkBatch(b, 0), b.length);
    assert.equal(b.readInt16BE(21) & 0x08, 0x08);
    assert.deepEqual(log.maxTimestampOffset(), { offset: 1, timestamp: 1_800_000_000_000 });
    await logs.close();
  });
});
