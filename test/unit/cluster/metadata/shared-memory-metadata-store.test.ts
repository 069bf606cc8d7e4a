/**
 * SharedMemoryMetadataStore against the shared-store contract (metadata-store.ts), and two
 * TopicManagers on one shared log: remote records reach the other broker's image and
 * listeners, and a change planned against a stale image is planned again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../../../src/base/random.js';
import { silentLogger } from '../../../../src/base/logger.js';
import { StorageError } from '../../../../src/base/errors.js';
import { BrokerConfig } from '../../../../src/server/config.js';
import { ErrorCode } from '../../../../src/protocol/error-codes.js';
import { TopicManager } from '../../../../src/cluster/topic-manager.js';
import { SharedMetadataLog } from '../../../../src/cluster/metadata/shared-memory-metadata-store.js';
import { MetadataConflictError } from '../../../../src/cluster/metadata/metadata-store.js';
import type { MetadataChanges, MetadataImage } from '../../../../src/cluster/metadata/metadata-image.js';
import type { MetadataRecord } from '../../../../src/cluster/metadata/metadata-records.js';

const topicId = (n: number): Buffer => Buffer.alloc(16, n);
const topicRecords = (name: string, n: number): MetadataRecord[] => [
  { type: 'TopicRecord', name, topicId: topicId(n) },
  { type: 'PartitionRecord', topicId: topicId(n), partitionId: 0, replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 0, partitionEpoch: 0 },
];
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

test('append is a compare-and-set at the expected offset', async () => {
  const log = new SharedMetadataLog();
  const a = log.attach();
  const b = log.attach();
  await a.load();
  await b.load();
  const image = await a.append(topicRecords('t1', 1), 0);
  assert.equal(image.offset, 2);
  await assert.rejects(b.append(topicRecords('t2', 2), 0), (err: unknown) => {
    assert.ok(err instanceof MetadataConflictError);
    assert.equal(err.expectedOffset, 0);
    assert.equal(err.actualOffset, 2);
    return true;
  });
  assert.equal(log.offset, 2, 'a rejected append writes nothing');
  assert.equal((await b.append(topicRecords('t2', 2), 2)).offset, 4);
  // Without an expected offset (a single writer) it appends at the end.
  assert.equal((await a.append([{ type: 'RegisterBrokerRecord', brokerId: 1, rack: null }])).offset, 5);
});

test('remote batches arrive in log order, exactly once, never the own ones, only after load', async () => {
  const log = new SharedMetadataLog();
  const writer = log.attach();
  await writer.load();
  await writer.append(topicRecords('before', 1), 0);
  const reader = log.attach();
  const seen: { types: string[]; offset: number }[] = [];
  reader.onRemoteRecords((records, image) => seen.push({ types: records.map((r) => r.type), offset: image.offset }));
  const loaded = await reader.load();
  assert.equal(loaded.offset, 2);
  assert.ok(loaded.topic('before'));
  await writer.append(topicRecords('one', 2), 2);
  await reader.append([{ type: 'RegisterBrokerRecord', brokerId: 2, rack: null }], 4);
  await writer.append(topicRecords('two', 3), 5);
  await tick();
  assert.deepEqual(seen, [
    { types: ['TopicRecord', 'PartitionRecord'], offset: 4 },
    { types: ['TopicRecord', 'PartitionRecord'], offset: 7 },
  ]);
  await tick();
  assert.equal(seen.length, 2, 'nothing delivered twice');
  await reader.close();
  await writer.append([{ type: 'RegisterBrokerRecord', brokerId: 3, rack: null }], 7);
  await tick();
  assert.equal(seen.length, 2, 'a closed store hears nothing');
});

test('a failed append writes nothing', async () => {
  const log = new SharedMetadataLog();
  const a = log.attach();
  await a.load();
  log.failAppends = 1;
  await assert.rejects(a.append(topicRecords('t', 1), 0), StorageError);
  assert.equal(log.offset, 0);
  assert.equal((await a.append(topicRecords('t', 1), 0)).offset, 2);
});

async function openManager(log: SharedMetadataLog, nodeId: number) {
  const updates: { changes: MetadataChanges; image: MetadataImage }[] = [];
  const topics = await TopicManager.open({
    store: log.attach(), config: BrokerConfig.fromProperties({ 'log.dirs': '/data' }), random: new SeededRandom(nodeId),
    logger: silentLogger, nodeId,
  });
  topics.addListener({ onMetadataUpdate: async (changes, image) => void updates.push({ changes, image }) });
  return { topics, updates };
}

test('two TopicManagers on one log: remote changes reach the image and the listeners; stale plans are planned again', async () => {
  const log = new SharedMetadataLog();
  const one = await openManager(log, 1);
  const two = await openManager(log, 2);
  await tick();
  assert.deepEqual(one.topics.brokerIds(), [1, 2], 'broker 2 registered after broker 1 loaded: a remote record');
  assert.deepEqual(two.topics.brokerIds(), [1, 2]);

  const created = await one.topics.create({ name: 'orders', numPartitions: 2, replicationFactor: 2 });
  assert.equal(created.errorCode, ErrorCode.NONE);
  await tick();
  const seen = two.topics.get('orders');
  assert.ok(seen, 'broker 2 sees the topic broker 1 created');
  assert.equal(seen.partitions[0]!.replicas.length, 2);
  const update = two.updates.find((u) => u.changes.createdTopics.some((t) => t.name === 'orders'));
  assert.ok(update, 'broker 2\'s listeners heard of it');
  assert.equal(update.image, two.topics.image);

  // Both plan against the same image; the second append conflicts, waits for the first's
  // records and plans again: its answer is TOPIC_ALREADY_EXISTS, not a duplicate topic.
  const [a, b] = await Promise.all([
    one.topics.create({ name: 'race', numPartitions: 1, replicationFactor: 2 }),
    two.topics.create({ name: 'race', numPartitions: 1, replicationFactor: 2 }),
  ]);
  assert.deepEqual([a.errorCode, b.errorCode].sort(), [ErrorCode.NONE, ErrorCode.TOPIC_ALREADY_EXISTS].sort());
  await tick();
  assert.equal(one.topics.image.offset, log.offset);
  assert.equal(two.topics.image.offset, log.offset);

  // ISR changes are a compare-and-set on the partition epoch, by the leader only.
  const p = one.topics.get('race')!.partitions[0]!;
  const leader = p.leader === 1 ? one : two;
  const other = p.leader === 1 ? two : one;
  const follower = p.replicas.find((r) => r !== p.leader)!;
  assert.equal(await other.topics.alterPartitionIsr('race', 0, p.leaderEpoch, p.partitionEpoch, [p.leader]), ErrorCode.NOT_LEADER_OR_FOLLOWER);
  assert.equal(await leader.topics.alterPartitionIsr('race', 0, p.leaderEpoch, p.partitionEpoch + 1, [p.leader]), ErrorCode.INVALID_UPDATE_VERSION);
  assert.equal(await leader.topics.alterPartitionIsr('race', 0, p.leaderEpoch, p.partitionEpoch, [p.leader]), ErrorCode.NONE);
  assert.equal(await leader.topics.alterPartitionIsr('race', 0, p.leaderEpoch, p.partitionEpoch, [p.leader, follower]), ErrorCode.INVALID_UPDATE_VERSION, 'the epoch moved');
  await tick();
  assert.deepEqual(other.topics.get('race')!.partitions[0]!.isr, [p.leader]);
  assert.equal(other.topics.get('race')!.partitions[0]!.partitionEpoch, p.partitionEpoch + 1);

  await one.topics.registerEndpoints([{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9092 }]);
  await tick();
  assert.deepEqual(two.topics.image.broker(1)?.endpoints, [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9092 }]);
  const offset = log.offset;
  await one.topics.registerEndpoints([{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9092 }]);
  assert.equal(log.offset, offset, 'unchanged endpoints write nothing');
  await one.topics.close();
  await two.topics.close();
});
