import { it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/base/clock.js';
import { silentLogger } from '../../src/base/logger.js';
import { LogManager, parseLogDirName } from '../../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../../src/storage/log-config.js';
import { describeBothFs } from './_fs.js';
import { makeSimpleBatch } from './_batches.js';

function cfg(overrides: Partial<LogConfig> = {}): LogConfig {
  return { ...DEFAULT_LOG_CONFIG, cleanupPolicy: { ...DEFAULT_LOG_CONFIG.cleanupPolicy }, ...overrides };
}

it('parses <topic>-<partition> dir names', () => {
  assert.deepEqual(parseLogDirName('my-topic-12'), { topic: 'my-topic', partition: 12 });
  assert.equal(parseLogDirName('t-0.abc-delete'), undefined);
  assert.equal(parseLogDirName('recovery-point-offset-checkpoint'), undefined);
});

describeBothFs('log manager', (newEnv) => {
  it('spreads logs over dirs, reopens them all, and applies configs', async () => {
    const env = await newEnv();
    const dirs = [`${env.dir}/a`, `${env.dir}/b`];
    const clock = new ManualClock();
    const logs = await LogManager.open({ fs: env.fs, dirs, clock, logger: silentLogger });
    for (let p = 0; p < 4; p++) await (await logs.create('multi', p, cfg())).appendAsLeader(makeSimpleBatch(p + 1), 0);
    assert.equal((await env.fs.readdir(dirs[0]!)).filter((n) => n.startsWith('multi-')).length, 2);
    assert.equal((await env.fs.readdir(dirs[1]!)).filter((n) => n.startsWith('multi-')).length, 2);
    logs.updateConfig('multi', 0, cfg({ retentionMs: 5 }));
    assert.equal(logs.get('multi', 0)!.config.retentionMs, 5);
    await logs.close();
    const again = await LogManager.open({ fs: env.fs, dirs, clock, logger: silentLogger });
    assert.equal(again.all().length, 4);
    for (let p = 0; p < 4; p++) assert.equal(again.get('multi', p)!.logEndOffset, p + 1);
    const log = await again.create('multi', 2, cfg({ segmentBytes: 12345 }));
    assert.equal(log.config.segmentBytes, 12345, 'create on an existing log applies the config');
    await again.close();
  });

  it('rolls on segment.ms and on a full index', async () => {
    const env = await newEnv();
    const clock = new ManualClock();
    const logs = await LogManager.open({ fs: env.fs, dirs: [env.dir], clock, logger: silentLogger });
    const timed = await logs.create('timed', 0, cfg({ segmentMs: 1000 }));
    await timed.appendAsLeader(makeSimpleBatch(1), 0);
    await timed.appendAsLeader(makeSimpleBatch(1), 0);
    assert.equal(timed.segments.length, 1);
    clock.advance(1001);
    await timed.appendAsLeader(makeSimpleBatch(1), 0);
    assert.equal(timed.segments.length, 2);
    assert.equal(timed.activeSegment.baseOffset, 2);
    const indexed = await logs.create('indexed', 0, cfg({ indexIntervalBytes: 1, segmentIndexBytes: 8 * 3 }));
    for (let i = 0; i < 10; i++) await indexed.appendAsLeader(makeSimpleBatch(1), 0);
    assert.ok(indexed.segments.length >= 3, `segments ${indexed.segments.length}`);
    for (const s of indexed.segments) assert.ok(s.offsetIndex.entries <= 3);
    await logs.close();
  });

  it('flush.ms flushes in the background on the injected clock', async () => {
    const env = await newEnv();
    const clock = new ManualClock();
    const logs = await LogManager.open({ fs: env.fs, dirs: [env.dir], clock, logger: silentLogger, flushCheckIntervalMs: 100 });
    const log = await logs.create('fms', 0, cfg({ flushMs: 500 }));
    await log.appendAsLeader(makeSimpleBatch(2), 0);
    assert.equal(log.recoveryPoint, 0);
    logs.startBackgroundTasks();
    clock.advance(600);
    for (let i = 0; i < 200 && log.recoveryPoint < 2; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(log.recoveryPoint, 2);
    if (env.memory !== undefined) {
      env.memory.crash();
      const again = await LogManager.open({ fs: env.fs, dirs: [env.dir], clock, logger: silentLogger });
      assert.equal(again.get('fms', 0)!.logEndOffset, 2, 'flushed data survives a crash');
      await again.close();
    } else {
      await logs.close();
    }
  });
});
