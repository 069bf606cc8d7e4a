import { it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/base/clock.js';
import { silentLogger } from '../../src/base/logger.js';
import { LogManager } from '../../src/storage/log-manager.js';
import { OffsetOutOfRangeError } from '../../src/storage/partition-log.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../../src/storage/log-config.js';
import { describeBothFs } from './_fs.js';
import { makeBatch, makeSimpleBatch } from './_batches.js';

function cfg(overrides: Partial<LogConfig> = {}): LogConfig {
  return { ...DEFAULT_LOG_CONFIG, cleanupPolicy: { ...DEFAULT_LOG_CONFIG.cleanupPolicy }, ...overrides };
}

describeBothFs('retention and log start offset', (newEnv) => {
  it('retention.ms deletes whole expired segments, rolling the active one when it expired', async () => {
    const env = await newEnv();
    const clock = new ManualClock(1_000_000);
    const logs = await LogManager.open({ fs: env.fs, dirs: [env.dir], clock, logger: silentLogger, retentionCheckIntervalMs: 1000 });
    const log = await logs.create('ret', 0, cfg({ segmentBytes: 600, retentionMs: 10_000, messageTimestampType: 'LogAppendTime' }));
    for (let i = 0; i < 10; i++) await log.appendAsLeader(makeSimpleBatch(2, 60), 0);
    clock.advance(5_000);
    for (let i = 0; i < 10; i++) await log.appendAsLeader(makeSimpleBatch(2, 60), 0);
    log.setHighWatermark(log.logEndOffset);
    const before = log.segments.length;
    clock.advance(6_000); // first half is 11 s old, second half 6 s
    assert.ok((await logs.runRetention()) > 0);
    assert.ok(log.segments.length < before);
    assert.ok(log.logStartOffset > 0 && log.logStartOffset <= 20, `logStartOffset ${log.logStartOffset}`);
    assert.equal(log.logEndOffset, 40);
    await assert.rejects(log.read(0, 100, 40), OffsetOutOfRangeError);
    // Background task on the injected clock: after everything expires only an empty active segment remains.
    logs.startBackgroundTasks();
    clock.advance(20_000);
    for (let i = 0; i < 200 && log.logStartOffset < 40; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(log.logStartOffset, 40);
    assert.equal(log.logEndOffset, 40);
    assert.equal(log.segments.length, 1);
    assert.equal((await log.appendAsLeader(makeSimpleBatch(1), 0)).firstOffset, 40);
    await logs.close();
  });

  it('retention.bytes keeps the newest segments within the limit', async () => {
    const env = await newEnv();
    const clock = new ManualClock();
    const logs = await LogManager.open({ fs: env.fs, dirs: [env.dir], clock, logger: silentLogger });
    const log = await logs.create('bytes', 0, cfg({ segmentBytes: 500, retentionBytes: 1200, retentionMs: -1 }));
    for (let i = 0; i < 30; i++) await log.appendAsLeader(makeSimpleBatch(1, 100), 0);
    // As in Kafka, retention never deletes records above the high watermark.
    const before = log.size;
    await log.deleteOldSegments();
    assert.equal(log.size, before, 'nothing is committed yet, so nothing is deleted');
    log.setHighWatermark(log.logEndOffset);
    await log.deleteOldSegments();
    assert.ok(log.size <= 1200 + 500, `size ${log.size}`);
    assert.ok(log.size >= 1200 - 500);
    assert.equal(log.logStartOffset, log.segments[0]!.baseOffset);
    await logs.close();
  });

  it('deleteRecordsBefore moves logStartOffset durably and deletes covered segments', async () => {
    const env = await newEnv();
    const clock = new ManualClock();
    let logs = await LogManager.open({ fs: env.fs, dirs: [env.dir], clock, logger: silentLogger });
    let log = await logs.create('dr', 0, cfg({ segmentBytes: 400 }));
    for (let i = 0; i < 20; i++) await log.appendAsLeader(makeSimpleBatch(2, 50), 0);
    await assert.rejects(log.deleteRecordsBefore(10), OffsetOutOfRangeError, 'beyond the high watermark');
    log.setHighWatermark(40);
    assert.equal(await log.deleteRecordsBefore(25), 25);
    assert.equal(log.logStartOffset, 25);
    assert.ok(log.segments[0]!.baseOffset <= 25 && log.segments[0]!.baseOffset > 0);
    await assert.rejects(log.read(24, 100, 40), OffsetOutOfRangeError);
    const r = await log.read(25, 1, 40);
    assert.equal(r.firstOffset, 24, 'the batch containing 25 is returned whole');
    // Survives an unclean restart (the checkpoint is written before deleteRecordsBefore resolves).
    await logs.abandon();
    logs = await LogManager.open({ fs: env.fs, dirs: [env.dir], clock, logger: silentLogger });
    log = logs.get('dr', 0)!;
    assert.equal(log.logStartOffset, 25);
    assert.equal(log.logEndOffset, 40);
    await logs.close();
  });

  it('reads racing retention get data or OFFSET_OUT_OF_RANGE, never an I/O error', async () => {
    const env = await newEnv();
    const clock = new ManualClock();
    const logs = await LogManager.open({ fs: env.fs, dirs: [env.dir], clock, logger: silentLogger });
    const log = await logs.create('race', 0, cfg({ segmentBytes: 300, retentionMs: -1 }));
    for (let i = 0; i < 60; i++) await log.appendAsLeader(makeSimpleBatch(1, 80), 0);
    log.setHighWatermark(60);
    const reads: Promise<unknown>[] = [];
    for (let i = 0; i < 60; i++) {
      reads.push(log.read(i, 1000, 60).then(
        (r) => assert.ok(r.records.length > 0),
        (err: unknown) => assert.ok(err instanceof OffsetOutOfRangeError, String(err)),
      ));
      if (i % 10 === 0) reads.push(log.deleteRecordsBefore(i + 5));
    }
    await Promise.all(reads);
    assert.equal(log.logStartOffset, 55);
    await logs.close();
  });

  it('offsetForTimestamp finds the first record at or after a timestamp', async () => {
    const env = await newEnv();
    const logs = await LogManager.open({ fs: env.fs, dirs: [env.dir], clock: new ManualClock(), logger: silentLogger });
    const log = await logs.create('ts', 0, cfg({ segmentBytes: 300, indexIntervalBytes: 100 }));
    for (let i = 0; i < 20; i++) {
      await log.appendAsLeader(makeBatch([
        { key: 'a', value: 'x', timestamp: 1000 + i * 10 },
        { key: 'b', value: 'y', timestamp: 1000 + i * 10 + 5 },
      ]), 0);
    }
    assert.deepEqual(await log.offsetForTimestamp(0), { offset: 0, timestamp: 1000 });
    assert.deepEqual(await log.offsetForTimestamp(1052), { offset: 11, timestamp: 1055 });
    assert.deepEqual(await log.offsetForTimestamp(1190), { offset: 38, timestamp: 1190 });
    assert.equal(await log.offsetForTimestamp(5000), null);
    assert.deepEqual(log.maxTimestampOffset(), { offset: 39, timestamp: 1195 });
    await logs.close();
  });

  it('deletes a log and its directory', async () => {
    const env = await newEnv();
    const logs = await LogManager.open({ fs: env.fs, dirs: [env.dir], clock: new ManualClock(), logger: silentLogger });
    await logs.create('gone', 1, cfg());
    await logs.get('gone', 1)!.appendAsLeader(makeSimpleBatch(1), 0);
    await logs.delete('gone', 1);
    assert.equal(logs.get('gone', 1), undefined);
    assert.deepEqual((await env.fs.readdir(env.dir)).filter((n) => n.startsWith('gone')), []);
    await logs.close();
  });
});
