/**
 * Which log reads skip the thread pool (LogSegment.read, RECENT_READ_*): only bytes this
 * process appended to the active segment in the last RECENT_READ_MS, read a chunk of at most
 * RECENT_READ_MAX_CHUNK at a time, go through FileHandle.readSync; bytes found on disk at open,
 * older appends, large reads and segments no longer active are read asynchronously. The data
 * is the same either way. A file system wrapper counts the two kinds of read.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/base/clock.js';
import { silentLogger } from '../../src/base/logger.js';
import type { FileHandle, FileSystem } from '../../src/base/file-system.js';
import { LogManager } from '../../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG } from '../../src/storage/log-config.js';
import { RECENT_READ_MAX_CHUNK, RECENT_READ_MS } from '../../src/storage/log-segment.js';
import { describeBothFs } from './_fs.js';
import { makeSimpleBatch } from './_batches.js';

function counting(inner: FileSystem): { fs: FileSystem; counts: { read: number; readSync: number } } {
  const counts = { read: 0, readSync: 0 };
  const wrap = (h: FileHandle): FileHandle => new Proxy(h, {
    get(target, key) {
      if (key === 'read') return (...args: Parameters<FileHandle['read']>) => { counts.read++; return target.read(...args); };
      if (key === 'readSync' && target.readSync !== undefined) return (...args: Parameters<NonNullable<FileHandle['readSync']>>) => { counts.readSync++; return target.readSync!(...args); };
      const v = (target as unknown as Record<PropertyKey, unknown>)[key];
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  const fs = new Proxy(inner, {
    get(target, key) {
      if (key === 'open') return async (path: string, mode: Parameters<FileSystem['open']>[1]) => wrap(await target.open(path, mode));
      const v = (target as unknown as Record<PropertyKey, unknown>)[key];
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { fs, counts };
}

describeBothFs('recent reads', (newEnv) => {
  it('reads what this process appended to the active segment synchronously, the rest through the thread pool', async () => {
    const env = await newEnv();
    const clock = new ManualClock();
    const cfg = { ...DEFAULT_LOG_CONFIG, cleanupPolicy: { ...DEFAULT_LOG_CONFIG.cleanupPolicy } };
    const first = counting(env.fs);
    let logs = await LogManager.open({ fs: first.fs, dirs: [env.dir], clock, logger: silentLogger });
    let log = await logs.create('t', 0, cfg);
    for (let i = 0; i < 4; i++) await log.appendAsLeader(makeSimpleBatch(5, 2000), 1);
    const before = await log.read(0, 1 << 20, log.logEndOffset);
    assert.ok(first.counts.readSync > 0, 'our own appends: synchronous');
    assert.equal(first.counts.read, 0, 'no thread-pool read for them');
    await logs.close();

    // Reopened: those bytes were found on disk, so they are read asynchronously.
    const second = counting(env.fs);
    logs = await LogManager.open({ fs: second.fs, dirs: [env.dir], clock, logger: silentLogger });
    log = logs.get('t', 0)!;
    second.counts.read = 0;
    second.counts.readSync = 0;
    const again = await log.read(0, 1 << 20, log.logEndOffset);
    assert.deepEqual(again.records, before.records);
    assert.ok(second.counts.read > 0 && second.counts.readSync === 0, `found at open: ${JSON.stringify(second.counts)}`);

    // Appends after the reopen are ours: a read from them is synchronous (a read from offset 20
    // would start at the index entry before it, in bytes found at open).
    await log.appendAsLeader(makeSimpleBatch(5, 2000), 1);
    await log.appendAsLeader(makeSimpleBatch(5, 2000), 1);
    second.counts.read = 0;
    second.counts.readSync = 0;
    const tail = await log.read(25, 1 << 20, log.logEndOffset);
    assert.equal(tail.firstOffset, 25);
    assert.ok(second.counts.readSync > 0 && second.counts.read === 0, `appended after open: ${JSON.stringify(second.counts)}`);

    // The same bytes once RECENT_READ_MS has passed: no longer presumed in the page cache.
    clock.advance(RECENT_READ_MS + 1);
    second.counts.read = 0;
    second.counts.readSync = 0;
    assert.deepEqual((await log.read(25, 1 << 20, log.logEndOffset)).records, tail.records);
    assert.ok(second.counts.read > 0 && second.counts.readSync === 0, `older than ${RECENT_READ_MS} ms: ${JSON.stringify(second.counts)}`);

    // Recent bytes, but a read larger than RECENT_READ_MAX_CHUNK: the thread pool copies it.
    const firstBig = log.logEndOffset;
    for (let i = 0; i < 3; i++) await log.appendAsLeader(makeSimpleBatch(1000, 1000), 1); // ~1 MB each
    second.counts.read = 0;
    second.counts.readSync = 0;
    const big = await log.read(firstBig, 2 * RECENT_READ_MAX_CHUNK, log.logEndOffset);
    assert.ok(big.records.length > RECENT_READ_MAX_CHUNK);
    assert.ok(second.counts.read > 0 && second.counts.readSync === 0, `a ${big.records.length}-byte read: ${JSON.stringify(second.counts)}`);
    second.counts.read = 0;
    second.counts.readSync = 0;
    assert.equal((await log.read(firstBig + 1000, 1 << 20, log.logEndOffset)).firstOffset, firstBig + 1000);
    assert.ok(second.counts.readSync > 0 && second.counts.read === 0, `a 1 MB read of them: ${JSON.stringify(second.counts)}`);

    // Rolled: the old segment is no longer active, its reads go to the thread pool.
    await log.roll();
    await log.appendAsLeader(makeSimpleBatch(5, 2000), 1);
    second.counts.read = 0;
    second.counts.readSync = 0;
    const old = await log.read(25, 1 << 20, log.logEndOffset);
    assert.equal(old.firstOffset, 25);
    assert.ok(second.counts.read > 0 && second.counts.readSync === 0, `inactive segment: ${JSON.stringify(second.counts)}`);
    await logs.close();
  });
});

describeBothFs('recent read marks', (newEnv) => {
  it('a partition written for a long time and never read keeps only the marks a read could use', async () => {
    const env = await newEnv();
    const clock = new ManualClock();
    const cfg = { ...DEFAULT_LOG_CONFIG, cleanupPolicy: { ...DEFAULT_LOG_CONFIG.cleanupPolicy } };
    const logs = await LogManager.open({ fs: env.fs, dirs: [env.dir], clock, logger: silentLogger });
    const log = await logs.create('t', 0, cfg);
    for (let i = 0; i < 200; i++) {
      await log.appendAsLeader(makeSimpleBatch(1, 10), 1);
      clock.advance(1000);
    }
    const marks = (log.activeSegment as unknown as { recentMarks: unknown[] }).recentMarks.length;
    assert.ok(marks <= RECENT_READ_MS / 1000 + 1, `${marks} marks after 200 s of appends`);
    await logs.close();
  });
});
