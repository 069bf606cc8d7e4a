// The partition layer's side of the idempotent producer: a retried batch is a successful append
// answered with the original offsets (and, as Kafka does, the original batch's stored
// timestamp as logAppendTime), sequence and epoch rejections are failed appends carrying
// Kafka's code and no message, and acks=all of a duplicate waits for the original offsets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/base/clock.js';
import { MemoryFileSystem } from '../../../src/base/file-system.js';
import { createLogger } from '../../../src/base/logger.js';
import { ErrorCode } from '../../../src/protocol/error-codes.js';
import { encodeBatch } from '../../../src/protocol/records.js';
import { LogManager } from '../../../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG } from '../../../src/storage/log-config.js';
import { ReplicaManager, type MetadataView, type TopicView } from '../../../src/cluster/replica-manager.js';
import type { PartitionFetchRequest, PartitionState } from '../../../src/cluster/partition.js';

const LOCAL = 1;
const FOLLOWER = 2;
const TS = 1_700_000_000_000;

function image(state: PartitionState): MetadataView {
  const t: TopicView = { name: 't', topicId: Buffer.alloc(16, 7), partitions: [state] };
  return { topic: (name) => (name === 't' ? t : undefined), topics: () => [t] };
}

function settings(timestampType: 'CreateTime' | 'LogAppendTime') {
  return {
    logConfig: { ...DEFAULT_LOG_CONFIG, messageTimestampType: timestampType },
    partition: {
      validation: { maxMessageBytes: 1048588, segmentBytes: 1 << 30, compacted: false, timestampType, timestampBeforeMaxMs: Number.MAX_SAFE_INTEGER, timestampAfterMaxMs: Number.MAX_SAFE_INTEGER, compressionType: 'producer' as const },
      minInsyncReplicas: 1,
      isInternal: false,
      replicaLagTimeMaxMs: 30_000,
    },
  };
}

async function leader(isr: number[], timestampType: 'CreateTime' | 'LogAppendTime' = 'CreateTime') {
  const fs = new MemoryFileSystem({ trackDurability: false });
  await fs.mkdirp('/data');
  const clock = new ManualClock(TS + 1000);
  const logger = createLogger('error');
  const logs = await LogManager.open({ fs, dirs: ['/data'], clock, logger });
  const rm = new ReplicaManager({ localBrokerId: LOCAL, logs, fs, clock, logger, topicSettings: () => settings(timestampType), highWatermarkCheckpointIntervalMs: 5000 });
  await rm.startup(image({ replicas: [LOCAL, FOLLOWER], isr, leader: LOCAL, leaderEpoch: 1, partitionEpoch: 1 }));
  return { logs, rm, clock, p: rm.getPartition('t', 0)! };
}

function idempotent(producerId: number, producerEpoch: number, baseSequence: number, count = 1): Buffer {
  return encodeBatch({
    records: Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: `v${i}`, timestamp: TS + i })),
    producerId,
    producerEpoch,
    baseSequence,
  });
}

const followerFetch = (fetchOffset: number): PartitionFetchRequest =>
  ({ fetchOffset, maxBytes: 1 << 20, currentLeaderEpoch: -1, isolationLevel: 0, minOneMessage: true, replicaId: FOLLOWER, lastFetchedEpoch: -1, followerLogStartOffset: 0 });

test('a retried batch answers its original offsets; gaps and stale epochs answer Kafka codes without a message', async () => {
  const { logs, rm, p } = await leader([LOCAL]);
  const append = (b: Buffer) => rm.appendRecords('t', 0, b, { acks: -1, timeoutMs: 1000, origin: 'client' });
  assert.equal((await append(idempotent(5, 0, 0, 3))).baseOffset, 0);
  assert.equal((await append(idempotent(5, 0, 3, 2))).baseOffset, 3);
  const dup = await append(idempotent(5, 0, 0, 3));
  assert.deepEqual(
    { errorCode: dup.errorCode, baseOffset: dup.baseOffset, lastOffset: dup.lastOffset, logAppendTimeMs: dup.logAppendTimeMs },
    { errorCode: ErrorCode.NONE, baseOffset: 0, lastOffset: 2, logAppendTimeMs: TS + 2 },
    'Kafka answers a duplicate with the cached batch\'s timestamp in logAppendTime',
  );
  assert.equal(p.logEndOffset, 5, 'nothing written');
  const gap = await append(idempotent(5, 0, 9));
  assert.deepEqual([gap.errorCode, gap.errorMessage, gap.baseOffset], [ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, null, -1]);
  assert.equal((await append(idempotent(5, 1, 0))).baseOffset, 5);
  assert.equal((await append(idempotent(5, 0, 5))).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
  assert.equal(p.logEndOffset, 6);
  await rm.shutdown();
  await logs.close();
});

test('LogAppendTime: a duplicate carries the original append time', async () => {
  const { logs, rm, clock } = await leader([LOCAL], 'LogAppendTime');
  const append = (b: Buffer) => rm.appendRecords('t', 0, b, { acks: 1, timeoutMs: 1000, origin: 'client' });
  const first = await append(idempotent(6, 0, 0));
  assert.equal(first.logAppendTimeMs, clock.now());
  const stamped = clock.now();
  clock.advance(5000);
  const dup = await append(idempotent(6, 0, 0));
  assert.deepEqual([dup.errorCode, dup.baseOffset, dup.logAppendTimeMs], [ErrorCode.NONE, 0, stamped]);
  await rm.shutdown();
  await logs.close();
});

test('acks=all of a duplicate waits until the original batch is replicated', async () => {
  const { logs, rm, p } = await leader([LOCAL, FOLLOWER]);
  const first = rm.appendRecords('t', 0, idempotent(7, 0, 0), { acks: -1, timeoutMs: 30_000, origin: 'client' });
  const retry = rm.appendRecords('t', 0, idempotent(7, 0, 0), { acks: -1, timeoutMs: 30_000, origin: 'client' });
  let settled = 0;
  void first.then(() => settled++);
  void retry.then(() => settled++);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(settled, 0, 'both wait for the follower');
  assert.equal(p.logEndOffset, 1, 'the retry wrote nothing');
  await rm.fetchPartition('t', 0, followerFetch(1));
  const [a, b] = await Promise.all([first, retry]);
  assert.deepEqual([a.errorCode, a.baseOffset, b.errorCode, b.baseOffset], [ErrorCode.NONE, 0, ErrorCode.NONE, 0]);
  await rm.shutdown();
  await logs.close();
});
