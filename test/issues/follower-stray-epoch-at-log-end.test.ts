/**
 * Regression (chaos campaign, seed 20261205): a follower fetched forever with the leader
 * answering the same diverging epoch, logging "nothing to truncate". The broker had been leader
 * of the partition at epoch X for a moment: becoming leader records (X, log end) in the
 * leader-epoch cache before any append, and it lost leadership before appending. As a follower
 * its fetches named epoch X as the last fetched one; the new leader never had X and answered
 * "diverging at my epoch 22, which ends at your log end"; truncating to the log end removed
 * nothing, and X stayed. Kafka's UnifiedLog.truncateTo drops epoch entries from the log end even
 * when no record goes; so does PartitionLog.truncateTo now.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/base/clock.js';
import { silentLogger } from '../../src/base/logger.js';
import { LogManager } from '../../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG } from '../../src/storage/log-config.js';
import { MemoryFileSystem } from '../../src/base/memory-file-system.js';
import { makeSimpleBatch } from '../storage/_batches.js';

test('issue: truncating to the log end drops an epoch that started there without records', async () => {
  const fs = new MemoryFileSystem();
  const logs = await LogManager.open({ fs, dirs: ['/data'], clock: new ManualClock(), logger: silentLogger });
  const log = await logs.create('t', 0, { ...DEFAULT_LOG_CONFIG, cleanupPolicy: { ...DEFAULT_LOG_CONFIG.cleanupPolicy } });
  await log.appendAsFollower(makeSimpleBatch(5, 10, { baseOffset: 0, partitionLeaderEpoch: 22 }));
  await log.assignEpochStartOffset(23, log.logEndOffset); // leader for a moment, no append
  assert.equal(log.latestEpoch, 23);
  // The new leader (epoch 24, without 23) says: epoch 22 ends at 5 — our log end.
  await log.truncateTo(5);
  assert.deepEqual([log.logEndOffset, log.latestEpoch], [5, 22], 'no record removed, the stray epoch is');
  assert.deepEqual(log.endOffsetForEpoch(22), { leaderEpoch: 22, endOffset: 5 });
  await logs.close();
  const again = await LogManager.open({ fs, dirs: ['/data'], clock: new ManualClock(), logger: silentLogger });
  assert.equal(again.get('t', 0)!.latestEpoch, 22, 'the cache checkpoint says so too');
  await again.close();
});
