/**
 * A Fetch racing retention: while retention deletes the oldest segments, a read at an offset
 * inside them must get OFFSET_OUT_OF_RANGE (the consumer then resets), never the records of
 * the next remaining segment as if they were the ones asked for. Before the fix the segment
 * list shrank first and logStartOffset moved only after the files were unlinked, so in between
 * a read at a just-deleted offset silently returned later records (found by
 * test/e2e/robust-sigkill-cleanup.test.ts as a gap in the log read end to end).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/base/clock.js';
import { silentLogger } from '../../src/base/logger.js';
import { MemoryFileSystem, type FileSystem } from '../../src/base/file-system.js';
import { LogManager } from '../../src/storage/log-manager.js';
import { OffsetOutOfRangeError } from '../../src/storage/partition-log.js';
import { DEFAULT_LOG_CONFIG } from '../../src/storage/log-config.js';
import { makeSimpleBatch } from '../storage/_batches.js';

/** A file system whose unlinks take a few milliseconds, to hold retention mid-deletion. */
function slowUnlinks(fs: FileSystem): FileSystem {
  return new Proxy(fs, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (prop === 'unlink' && typeof v === 'function') {
        return async (path: string) => {
          await new Promise((r) => setTimeout(r, 5));
          return (v as (p: string) => Promise<void>).call(target, path);
        };
      }
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

test('reads racing retention deletion get OFFSET_OUT_OF_RANGE, never later records', async () => {
  const memory = new MemoryFileSystem({ seed: 7 });
  await memory.mkdirp('/data');
  const fs = slowUnlinks(memory);
  const logs = await LogManager.open({ fs, dirs: ['/data'], clock: new ManualClock(), logger: silentLogger });
  const log = await logs.create('race', 0, { ...DEFAULT_LOG_CONFIG, cleanupPolicy: { ...DEFAULT_LOG_CONFIG.cleanupPolicy }, segmentBytes: 500, retentionBytes: 1500, retentionMs: -1 });
  for (let i = 0; i < 30; i++) await log.appendAsLeader(makeSimpleBatch(1, 100), 0);
  log.setHighWatermark(log.logEndOffset);
  assert.ok(log.segments.length > 6);

  const deleting = log.deleteOldSegments();
  const outcomes: string[] = [];
  for (let step = 0; step < 40; step++) {
    await new Promise((r) => setTimeout(r, 1));
    for (const offset of [0, 3, 6, 9, 12]) {
      try {
        const r = await log.read(offset, 100_000, log.highWatermark);
        // Whatever comes back must start at the batch holding `offset` (one record per batch here).
        const first = r.records.length >= 8 ? Number(r.records.readBigInt64BE(0)) : -1;
        outcomes.push(first === offset ? 'ok' : `offset ${offset} answered with records from ${first}`);
      } catch (err) {
        if (!(err instanceof OffsetOutOfRangeError)) throw err;
        outcomes.push('out-of-range');
      }
    }
  }
  const deleted = await deleting;
  assert.ok(deleted > 0, 'retention deleted segments');
  assert.deepEqual(outcomes.filter((o) => o !== 'ok' && o !== 'out-of-range'), []);
  assert.ok(outcomes.includes('out-of-range'));
  await logs.close();
});
