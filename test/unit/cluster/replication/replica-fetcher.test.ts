/**
 * Where a follower truncates (Kafka's getOffsetTruncationState), on a real follower partition
 * whose log holds epoch 0 at offsets 0-4 and epoch 2 at offsets 5-9.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../../src/base/clock.js';
import { MemoryFileSystem } from '../../../../src/base/file-system.js';
import { createLogger } from '../../../../src/base/logger.js';
import { encodeBatch } from '../../../../src/protocol/records.js';
import { setBaseOffset, setPartitionLeaderEpoch } from '../../../../src/protocol/record-batch.js';
import { LogManager } from '../../../../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG } from '../../../../src/storage/log-config.js';
import { Partition } from '../../../../src/cluster/partition.js';
import { truncationOffset } from '../../../../src/cluster/replication/replica-fetcher.js';

function replicated(baseOffset: number, epoch: number, n: number): Buffer {
  const b = encodeBatch({ records: Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `v${i}` })), timestamp: 1_700_000_000_000 });
  setBaseOffset(b, 0, baseOffset);
  setPartitionLeaderEpoch(b, 0, epoch);
  return b;
}

async function follower(): Promise<Partition> {
  const clock = new ManualClock();
  const logger = createLogger('error');
  const logs = await LogManager.open({ fs: new MemoryFileSystem({ trackDurability: false }), dirs: ['/data'], clock, logger });
  const log = await logs.create('t', 0, DEFAULT_LOG_CONFIG);
  const p = new Partition({
    topic: 't', partition: 0, topicId: Buffer.alloc(16, 1), log, localBrokerId: 2, clock, logger,
    config: { validation: {} as never, minInsyncReplicas: 1, isInternal: false, replicaLagTimeMaxMs: 30_000 },
  });
  p.makeFollower({ replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 3, partitionEpoch: 3 });
  await p.appendRecordsAsFollower(replicated(0, 0, 5));
  await p.appendRecordsAsFollower(replicated(5, 2, 5));
  p.updateFollowerHighWatermark(3);
  return p;
}

test('the follower keeps what it shares with the leader, epoch by epoch', async () => {
  const p = await follower();
  assert.equal(p.logEndOffset, 10);
  // The leader has our last epoch 2 up to offset 7: keep 0-6.
  assert.equal(truncationOffset(p, 2, 7), 7);
  // The leader's epoch 2 goes further than ours: nothing to drop.
  assert.equal(truncationOffset(p, 2, 12), 10);
  // The leader never had epoch 2; its latest below is 1, ending at 8. We have no epoch 1: our
  // largest below it (0) ends at 5, so keep 0-4 (and compare again next round).
  assert.equal(truncationOffset(p, 1, 8), 5);
  // The leader's epoch 0 ended at 3, ours at 5: keep 0-2.
  assert.equal(truncationOffset(p, 0, 3), 3);
  // An unknown epoch keeps the high watermark.
  assert.equal(truncationOffset(p, -1, -1), 3);
  await p.truncateTo(truncationOffset(p, 1, 8));
  assert.equal(p.logEndOffset, 5);
  assert.equal(p.log.latestEpoch, 0);
});

test('a follower append under an old epoch, or after becoming leader, writes nothing', async () => {
  const p = await follower();
  assert.equal(await p.appendRecordsAsFollower(replicated(10, 3, 1), 2), null);
  assert.equal(p.logEndOffset, 10);
  assert.deepEqual(await p.appendRecordsAsFollower(replicated(10, 3, 1), 3), { firstOffset: 10, lastOffset: 10 });
});
