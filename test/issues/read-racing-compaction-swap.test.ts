/**
 * Regression: a read racing a multi-segment compaction swap on the real disk failed with
 * "kept racing with segment deletion". The swap deletes the group's files over several awaits
 * before it installs the merged segment, and the reader retried immediately four times; it now
 * waits for the partition's queue before retrying. Many rounds on the real disk, where the swap
 * takes long enough for the race to show.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeFileSystem } from '../../src/base/file-system.js';
import { ManualClock } from '../../src/base/clock.js';
import { silentLogger } from '../../src/base/logger.js';
import { LogManager } from '../../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../../src/storage/log-config.js';
import { encodeBatch, decodeBatches } from '../../src/protocol/records.js';
import { tempDir } from '../helpers/broker.js';

const config: LogConfig = {
  ...DEFAULT_LOG_CONFIG,
  segmentBytes: 2048,
  cleanupPolicy: { delete: false, compact: true },
  minCleanableDirtyRatio: 0,
};

test('reads racing a multi-segment compaction swap on disk never fail and never skip the latest values', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  try {
    const clock = new ManualClock(30_000_000);
    const logs = await LogManager.open({ fs: nodeFileSystem, dirs: [dir.path], clock, logger: silentLogger });
    const log = await logs.create('swap-race', 0, config);
    const latest = new Map<string, string>();
    let failures = 0;
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 80; i++) {
        const key = `k${i % 10}`;
        const value = `r${round}-${i}-${'x'.repeat(40)}`;
        latest.set(key, value);
        await log.appendAsLeader(encodeBatch({ records: [{ key: Buffer.from(key), value: Buffer.from(value), timestamp: clock.now() }] }), 0);
      }
      log.setHighWatermark(log.logEndOffset);
      let done = false;
      const cleaning = log.compact().finally(() => { done = true; });
      while (!done) {
        try {
          // A read returns batches of one segment at most: walk the log as a consumer does.
          const seen = new Map<string, string>();
          let offset = log.logStartOffset;
          const end = log.highWatermark;
          while (offset < end) {
            const r = await log.read(offset, 1 << 22, end);
            const batches = decodeBatches(r.records);
            assert.ok(batches.length > 0, `no progress at offset ${offset}`);
            for (const b of batches) for (const rec of b.records) {
              if (rec.offset >= offset) seen.set(rec.key!.toString(), rec.value!.toString());
            }
            offset = batches[batches.length - 1]!.header.baseOffset + batches[batches.length - 1]!.header.lastOffsetDelta + 1;
          }
          for (const [k, v] of latest) assert.equal(seen.get(k), v, `latest value of ${k} in round ${round}`);
        } catch (err) {
          if (err instanceof assert.AssertionError) throw err;
          failures++;
        }
      }
      await cleaning;
    }
    assert.equal(failures, 0, 'no read failed while compaction swapped segments');
    await logs.close();
  } finally {
    dir.remove();
  }
});
