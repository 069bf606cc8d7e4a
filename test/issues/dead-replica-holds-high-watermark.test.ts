// Regression: a replica caught up a moment ago held the leader's high watermark after its
// broker died and the controller had removed it from the ISR — acks=all waited until
// replica.lag.time.max.ms (30 s) had passed since its last fetch (seen as a 30 s failover in
// test/e2e/cluster-failover-data.test.ts). Kafka counts a caught-up replica outside the ISR
// only while its broker is ISR-eligible (KIP-841: not fenced); Partition's
// isReplicaIsrEligible is that check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/base/clock.js';
import { MemoryFileSystem } from '../../src/base/file-system.js';
import { createLogger } from '../../src/base/logger.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { encodeBatch } from '../../src/protocol/records.js';
import { LogManager } from '../../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG } from '../../src/storage/log-config.js';
import { ReplicaManager, type MetadataView, type TopicView } from '../../src/cluster/replica-manager.js';
import type { PartitionState } from '../../src/cluster/partition.js';

const LOCAL = 1;
const DEAD = 2;
const settings = {
  logConfig: DEFAULT_LOG_CONFIG,
  partition: {
    validation: { maxMessageBytes: 1048588, segmentBytes: 1 << 30, compacted: false, timestampType: 'CreateTime' as const, timestampBeforeMaxMs: Number.MAX_SAFE_INTEGER, timestampAfterMaxMs: Number.MAX_SAFE_INTEGER, compressionType: 'producer' as const },
    minInsyncReplicas: 1,
    isInternal: false,
    replicaLagTimeMaxMs: 30_000,
  },
};

function view(state: PartitionState): MetadataView & { t: TopicView } {
  const t: TopicView = { name: 't', topicId: Buffer.alloc(16, 3), partitions: [state] };
  return { t, topic: (name) => (name === 't' ? t : undefined), topics: () => [t] };
}

async function leaderWithDeadFollower(eligible: boolean) {
  const fs = new MemoryFileSystem({ trackDurability: false });
  await fs.mkdirp('/data');
  const clock = new ManualClock();
  const logger = createLogger('error');
  const logs = await LogManager.open({ fs, dirs: ['/data'], clock, logger });
  const rm = new ReplicaManager({
    localBrokerId: LOCAL, logs, fs, clock, logger, topicSettings: () => settings, highWatermarkCheckpointIntervalMs: 5000,
    replication: {
      // A leader fetches nothing; the fetcher manager only has to accept being told so.
      fetchers: { removePartition: () => undefined, addPartition: () => undefined, isFetching: () => false, shutdown: async () => undefined } as never,
      alterIsr: async () => ErrorCode.NONE,
      replicaLagTimeMaxMs: 30_000,
      isReplicaIsrEligible: (id) => id !== DEAD || eligible,
    },
  });
  const both: PartitionState = { replicas: [LOCAL, DEAD], isr: [LOCAL, DEAD], leader: LOCAL, leaderEpoch: 1, partitionEpoch: 1 };
  await rm.startup(view(both));
  const batch = encodeBatch({ records: [{ key: 'k', value: 'v' }], timestamp: 1_700_000_000_000 });
  assert.equal((await rm.appendRecords('t', 0, batch, { acks: 1, timeoutMs: 1000, origin: 'client' })).errorCode, ErrorCode.NONE);
  // The follower fetched everything (caught up), then its broker died; the controller removes it from the ISR.
  await rm.fetchPartition('t', 0, { fetchOffset: 1, maxBytes: 1 << 20, currentLeaderEpoch: 1, isolationLevel: 0, minOneMessage: true, replicaId: DEAD, lastFetchedEpoch: 1, followerLogStartOffset: 0 });
  const alone: PartitionState = { ...both, isr: [LOCAL], partitionEpoch: 2 };
  await rm.onMetadataUpdate({ deletedTopics: [], changedPartitions: [{ topic: view(alone).t, partition: 0, after: alone }], changedTopicConfigs: [], brokerConfigsChanged: false }, view(alone));
  clock.advance(1000);
  const r = await rm.appendRecords('t', 0, batch, { acks: -1, timeoutMs: 2000, origin: 'client' });
  const hw = rm.getPartition('t', 0)!.highWatermark;
  await rm.shutdown();
  await logs.close();
  return { errorCode: r.errorCode, hw };
}

test('a dead broker caught up a moment ago does not hold the high watermark once it left the ISR', async () => {
  const dead = await leaderWithDeadFollower(false);
  assert.deepEqual(dead, { errorCode: ErrorCode.NONE, hw: 2 }, 'acks=all answered at once; the high watermark moved to the log end');
});
