/**
 * Batches without timestamps (maxTimestamp -1, as a client may send with CreateTime) must not
 * put a (-1, offset -1) entry in the time index. Such an entry made every segment fail its
 * index sanity check, so each clean restart rebuilt all indexes with a warning per segment
 * (found by test/e2e/robust-close-under-load.test.ts). Kafka's TimeIndex only appends
 * timestamps larger than the last entry, starting from -1. Likewise an index with no entries
 * (a segment smaller than index.interval.bytes) must still be written, or it counts as missing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/base/clock.js';
import { createLogger } from '../../src/base/logger.js';
import { MemoryFileSystem } from '../../src/base/file-system.js';
import { LogManager } from '../../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG } from '../../src/storage/log-config.js';
import { makeSimpleBatch } from '../storage/_batches.js';

test('segments of timestamp-less batches reopen cleanly after a clean shutdown', async () => {
  const fs = new MemoryFileSystem({ seed: 3 });
  await fs.mkdirp('/data');
  const lines: string[] = [];
  const logger = createLogger('warn', (l) => lines.push(l));
  const clock = new ManualClock();
  const config = { ...DEFAULT_LOG_CONFIG, cleanupPolicy: { ...DEFAULT_LOG_CONFIG.cleanupPolicy }, segmentBytes: 4000, indexIntervalBytes: 500 };
  let logs = await LogManager.open({ fs, dirs: ['/data'], clock, logger });
  const log = await logs.create('nots', 0, config);
  for (let i = 0; i < 40; i++) await log.appendAsLeader(makeSimpleBatch(2, 100, { baseTimestamp: -1 }), 0);
  assert.ok(log.segments.length >= 3);
  await logs.close();

  logs = await LogManager.open({ fs, dirs: ['/data'], clock, logger });
  const again = logs.get('nots', 0)!;
  assert.equal(again.logEndOffset, 80);
  assert.deepEqual(lines, [], 'no index was rebuilt');
  assert.equal((await again.read(0, 1 << 20, 80)).firstOffset, 0);
  assert.equal(await again.offsetForTimestamp(0), null, 'no record has a timestamp');
  await logs.close();
});

test('a segment too small for any index entry reopens cleanly after a clean shutdown', async () => {
  const fs = new MemoryFileSystem({ seed: 4 });
  await fs.mkdirp('/data');
  const lines: string[] = [];
  const logger = createLogger('warn', (l) => lines.push(l));
  const clock = new ManualClock();
  let logs = await LogManager.open({ fs, dirs: ['/data'], clock, logger });
  const log = await logs.create('tiny', 0, { ...DEFAULT_LOG_CONFIG, cleanupPolicy: { ...DEFAULT_LOG_CONFIG.cleanupPolicy } });
  await log.appendAsLeader(makeSimpleBatch(1, 10), 0);
  await logs.close();
  logs = await LogManager.open({ fs, dirs: ['/data'], clock, logger });
  assert.equal(logs.get('tiny', 0)!.logEndOffset, 1);
  assert.deepEqual(lines, [], 'the empty indexes were written and trusted');
  await logs.close();
});
