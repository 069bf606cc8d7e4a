import { it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/base/clock.js';
import { silentLogger } from '../../src/base/logger.js';
import { LogManager } from '../../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../../src/storage/log-config.js';
import { describeBothFs } from './_fs.js';
import { makeSimpleBatch, splitBatches } from './_batches.js';

function cfg(overrides: Partial<LogConfig> = {}): LogConfig {
  return { ...DEFAULT_LOG_CONFIG, cleanupPolicy: { ...DEFAULT_LOG_CONFIG.cleanupPolicy }, ...overrides };
}

describeBothFs('leader epochs, truncation, follower appends', (newEnv) => {
  it('tracks epochs, answers endOffsetForEpoch like Kafka, and persists the cache', async () => {
    const env = await newEnv();
    const clock = new ManualClock();
    const logs = await LogManager.open({ fs: env.fs, dirs: [env.dir], clock, logger: silentLogger });
    const log = await logs.create('ep', 0, cfg());
    await log.appendAsLeader(makeSimpleBatch(5), 1); // 0-4 epoch 1
    await log.appendAsLeader(makeSimpleBatch(5), 3); // 5-9 epoch 3
    await log.appendAsLeader(makeSimpleBatch(5), 3); // 10-14
    await log.appendAsLeader(makeSimpleBatch(5), 4); // 15-19 epoch 4
    assert.equal(log.latestEpoch, 4);
    assert.deepEqual(log.endOffsetForEpoch(4), { leaderEpoch: 4, endOffset: 20 });
    assert.deepEqual(log.endOffsetForEpoch(3), { leaderEpoch: 3, endOffset: 15 });
    assert.deepEqual(log.endOffsetForEpoch(2), { leaderEpoch: 1, endOffset: 5 });
    assert.deepEqual(log.endOffsetForEpoch(0), { leaderEpoch: 0, endOffset: 0 });
    assert.deepEqual(log.endOffsetForEpoch(9), { leaderEpoch: -1, endOffset: -1 });
    const text = (await env.fs.readFile(`${env.dir}/ep-0/leader-epoch-checkpoint`)).toString();
    assert.equal(text, '0\n3\n1 0\n3 5\n4 15\n');

    log.setHighWatermark(20);
    let hwEvents = 0;
    log.onHighWatermarkChange(() => hwEvents++);
    await log.truncateTo(12); // batch 10-14 goes away entirely; LEO = 12 like Kafka
    assert.equal(log.logEndOffset, 12);
    assert.equal(log.highWatermark, 12);
    assert.equal(hwEvents, 1);
    assert.equal(log.latestEpoch, 3);
    const all = splitBatches((await log.read(0, 1 << 20, 12)).records);
    assert.equal(all.length, 2);
    // Follower append keeps offsets and epochs from the batches.
    const f = makeSimpleBatch(3, 10, { baseOffset: 12, partitionLeaderEpoch: 6 });
    const copy = Buffer.from(f);
    assert.deepEqual(await log.appendAsFollower(f), { firstOffset: 12, lastOffset: 14 });
    assert.equal(log.latestEpoch, 6);
    assert.deepEqual((await log.read(12, 1 << 20, 15)).records, copy);
    await assert.rejects(log.appendAsFollower(makeSimpleBatch(1, 10, { baseOffset: 3 })));
    await logs.close();
    const again = await LogManager.open({ fs: env.fs, dirs: [env.dir], clock, logger: silentLogger });
    const log2 = again.get('ep', 0)!;
    assert.equal(log2.latestEpoch, 6);
    assert.deepEqual(log2.endOffsetForEpoch(3), { leaderEpoch: 3, endOffset: 12 });
    await log2.truncateFullyAndStartAt(100);
    assert.equal(log2.logStartOffset, 100);
    assert.equal(log2.logEndOffset, 100);
    assert.equal(log2.latestEpoch, -1);
    assert.equal((await log2.appendAsLeader(makeSimpleBatch(1), 7)).firstOffset, 100);
    await again.close();
    const third = await LogManager.open({ fs: env.fs, dirs: [env.dir], clock, logger: silentLogger });
    assert.equal(third.get('ep', 0)!.logStartOffset, 100);
    assert.equal(third.get('ep', 0)!.logEndOffset, 101);
    await third.close();
  });

  it('truncates across segments', async () => {
    const env = await newEnv();
    const logs = await LogManager.open({ fs: env.fs, dirs: [env.dir], clock: new ManualClock(), logger: silentLogger });
    const log = await logs.create('tr', 0, cfg({ segmentBytes: 300 }));
    for (let i = 0; i < 30; i++) await log.appendAsLeader(makeSimpleBatch(1, 50), 0);
    const segs = log.segments.length;
    await log.truncateTo(7);
    assert.ok(log.segments.length < segs);
    assert.equal(log.logEndOffset, 7);
    assert.equal((await log.appendAsLeader(makeSimpleBatch(1), 1)).firstOffset, 7);
    await logs.close();
    const again = await LogManager.open({ fs: env.fs, dirs: [env.dir], clock: new ManualClock(), logger: silentLogger });
    assert.equal(again.get('tr', 0)!.logEndOffset, 8);
    await again.close();
  });
});
