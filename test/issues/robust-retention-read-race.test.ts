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
import { until, withTimeout } from '../helpers/wait.js';

interface UnlinkGate {
  fs: FileSystem;
  /** While true, every unlink waits in `pending` until the test calls its release function. */
  holding: boolean;
  pending: (() => void)[];
}

/** A file system whose unlinks can be held: retention stops in the middle of its deletion, once per file. */
function gatedUnlinks(fs: FileSystem): UnlinkGate {
  const gate: UnlinkGate = { fs, holding: false, pending: [] };
  gate.fs = new Proxy(fs, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (prop === 'unlink' && typeof v === 'function') {
        return async (path: string) => {
          if (gate.holding) await new Promise<void>((r) => gate.pending.push(r));
          return (v as (p: string) => Promise<void>).call(target, path);
        };
      }
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return gate;
}

test('reads racing retention deletion get OFFSET_OUT_OF_RANGE, never later records', async () => {
  const memory = new MemoryFileSystem({ seed: 7 });
  await memory.mkdirp('/data');
  const gate = gatedUnlinks(memory);
  const logs = await LogManager.open({ fs: gate.fs, dirs: ['/data'], clock: new ManualClock(), logger: silentLogger });
  const log = await logs.create('race', 0, { ...DEFAULT_LOG_CONFIG, cleanupPolicy: { ...DEFAULT_LOG_CONFIG.cleanupPolicy }, segmentBytes: 500, retentionBytes: 1500, retentionMs: -1 });
  for (let i = 0; i < 30; i++) await log.appendAsLeader(makeSimpleBatch(1, 100), 0);
  log.setHighWatermark(log.logEndOffset);
  assert.ok(log.segments.length > 6);

  const outcomes: string[] = [];
  const readAt = async (offset: number): Promise<void> => {
    try {
      const r = await log.read(offset, 100_000, log.highWatermark);
      // Whatever comes back must start at the batch holding `offset` (one record per batch here).
      const first = r.records.length >= 8 ? Number(r.records.readBigInt64BE(0)) : -1;
      outcomes.push(first === offset ? 'ok' : `offset ${offset} answered with records from ${first}`);
    } catch (err) {
      if (!(err instanceof OffsetOutOfRangeError)) throw err;
      outcomes.push('out-of-range');
    }
  };
  gate.holding = true;
  const deleting = log.deleteOldSegments();
  let finished = false;
  deleting.then(() => { finished = true; }, () => { finished = true; });
  // Each time retention is about to unlink a file, reads of every offset start (a read looks at
  // the log start offset and the segment list before its first await, so each read sees the
  // state the deletion is held in), then the unlink goes. Every state the deletion passes
  // through is read, whatever the machine's speed. A read may finish later, or wait for the
  // deletion: what it answers is checked once all are done.
  const reads: Promise<void>[] = [];
  let heldUnlinks = 0;
  for (;;) {
    await until('retention to unlink a file or finish', () => gate.pending.length > 0 || finished, { timeoutMs: 10_000, intervalMs: 0 });
    if (gate.pending.length === 0) break;
    heldUnlinks++;
    reads.push(...[0, 3, 6, 9, 12].map(readAt));
    gate.pending.shift()!();
  }
  gate.holding = false;
  await withTimeout('the reads started during the deletion', Promise.all(reads), 10_000);
  const deleted = await deleting;
  assert.ok(deleted > 0, 'retention deleted segments');
  assert.ok(heldUnlinks >= 3 * deleted, `reads ran while each of the ${deleted} segments' files were unlinked (${heldUnlinks} held unlinks)`);
  assert.deepEqual(outcomes.filter((o) => o !== 'ok' && o !== 'out-of-range'), []);
  assert.ok(outcomes.includes('out-of-range'));
  await logs.close();
});
