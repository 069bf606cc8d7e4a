import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetadataDelta } from '../../../../src/cluster/metadata/metadata-delta.js';
import { EMPTY_METADATA_IMAGE, imageRecords, type MetadataImage } from '../../../../src/cluster/metadata/metadata-image.js';
import type { MetadataRecord } from '../../../../src/cluster/metadata/metadata-records.js';

const id = (n: number) => Buffer.alloc(16, n);

function topic(name: string, n: number, partitions: number, replicas = [1]): MetadataRecord[] {
  const out: MetadataRecord[] = [{ type: 'TopicRecord', name, topicId: id(n) }];
  for (let p = 0; p < partitions; p++) {
    out.push({ type: 'PartitionRecord', topicId: id(n), partitionId: p, replicas, isr: replicas, leader: replicas[0]!, leaderEpoch: 0, partitionEpoch: 0 });
  }
  return out;
}

function applyAll(image: MetadataImage, records: MetadataRecord[]) {
  return new MetadataDelta(image).replayAll(records).apply();
}

test('creating topics: the image, the offset and the change summary', () => {
  const { image, changes } = applyAll(EMPTY_METADATA_IMAGE, [
    { type: 'RegisterBrokerRecord', brokerId: 1, rack: 'r1' },
    ...topic('a', 1, 2),
    { type: 'ConfigRecord', resourceType: 'topic', resourceName: 'a', name: 'retention.ms', value: '5' },
    ...topic('__consumer_offsets', 2, 1),
  ]);
  assert.equal(image.offset, 1 + 3 + 1 + 2);
  assert.equal(image.topicCount, 2);
  assert.equal(image.partitionCount, 3);
  assert.equal(image.replicaCount(1), 3);
  const a = image.topic('a')!;
  assert.deepEqual(a.configs, { 'retention.ms': '5' });
  assert.equal(a.partitions.length, 2);
  assert.equal(image.topicById(id(1)), a);
  assert.equal(image.topic('__consumer_offsets')!.isInternal, true);
  assert.equal(a.isInternal, false);
  assert.deepEqual([...image.brokers()], [{ brokerId: 1, rack: 'r1' }]);
  assert.deepEqual(changes.createdTopics.map((t) => t.name).sort(), ['__consumer_offsets', 'a']);
  assert.deepEqual(changes.changedPartitions.map((c) => `${c.topic.name}-${c.partition}:${c.before === undefined}`).sort(),
    ['__consumer_offsets-0:true', 'a-0:true', 'a-1:true']);
  assert.deepEqual(changes.changedTopicConfigs, [], 'a created topic is not also a config change');
  assert.equal(changes.brokerConfigsChanged, false);
  assert.equal(EMPTY_METADATA_IMAGE.topicCount, 0, 'the base image is untouched');
});

test('changes to existing topics: partitions added, leader moved, configs, removal', () => {
  const first = applyAll(EMPTY_METADATA_IMAGE, [...topic('a', 1, 1, [1, 2]), ...topic('b', 2, 1)]).image;
  const { image, changes } = applyAll(first, [
    { type: 'PartitionRecord', topicId: id(1), partitionId: 1, replicas: [2, 1], isr: [2, 1], leader: 2, leaderEpoch: 0, partitionEpoch: 0 },
    { type: 'PartitionChangeRecord', topicId: id(1), partitionId: 0, leader: 2, isr: [2] },
    { type: 'PartitionChangeRecord', topicId: id(1), partitionId: 0, isr: [2, 1] },
    { type: 'ConfigRecord', resourceType: 'topic', resourceName: 'a', name: 'cleanup.policy', value: 'compact' },
    { type: 'RemoveTopicRecord', topicId: id(2) },
  ]);
  const a = image.topic('a')!;
  assert.deepEqual(a.partitions[0], { replicas: [1, 2], isr: [2, 1], leader: 2, leaderEpoch: 1, partitionEpoch: 2 });
  assert.equal(a.partitions[1]!.leader, 2);
  assert.equal(image.topic('b'), undefined);
  assert.equal(image.topicById(id(2)), undefined);
  assert.equal(image.partitionCount, 2);
  assert.equal(image.replicaCount(1), 2);
  assert.equal(image.replicaCount(2), 2);
  assert.deepEqual(changes.deletedTopics.map((t) => t.name), ['b']);
  assert.deepEqual(changes.changedPartitions.map((c) => [c.partition, c.before?.leader, c.after.leader]), [[0, 1, 2], [1, undefined, 2]]);
  assert.deepEqual(changes.changedTopicConfigs.map((t) => t.configs), [{ 'cleanup.policy': 'compact' }]);
  // The old image still shows the old state.
  assert.equal(first.topic('a')!.partitions.length, 1);
  assert.ok(first.topic('b'));
  // Untouched topics are shared, not copied.
  const c = applyAll(image, topic('c', 3, 1)).image;
  assert.equal(c.topic('a'), a);
});

test('a name removed and created again in one delta, and a topic created and removed in one delta', () => {
  const first = applyAll(EMPTY_METADATA_IMAGE, topic('x.y', 1, 1)).image;
  assert.deepEqual(first.topicsWithUnifiedName('x_y'), ['x.y']);
  const { image, changes } = applyAll(first, [
    { type: 'RemoveTopicRecord', topicId: id(1) },
    ...topic('x.y', 2, 3),
    ...topic('tmp', 3, 1),
    { type: 'RemoveTopicRecord', topicId: id(3) },
  ]);
  assert.ok(image.topic('x.y')!.topicId.equals(id(2)));
  assert.equal(image.topic('x.y')!.partitions.length, 3);
  assert.equal(image.topic('tmp'), undefined);
  assert.deepEqual(image.topicsWithUnifiedName('x_y'), ['x.y']);
  assert.deepEqual(changes.deletedTopics.map((t) => t.topicId[0]), [1]);
  assert.deepEqual(changes.createdTopics.map((t) => t.topicId[0]), [2]);
  assert.equal(image.partitionCount, 3);
});

test('broker configs, producer ids', () => {
  const { image, changes } = applyAll(EMPTY_METADATA_IMAGE, [
    { type: 'ConfigRecord', resourceType: 'broker', resourceName: '', name: 'log.retention.ms', value: '10' },
    { type: 'ConfigRecord', resourceType: 'broker', resourceName: '1', name: 'message.max.bytes', value: '100' },
    { type: 'ProducerIdsRecord', brokerId: 1, nextProducerId: 1000 },
  ]);
  assert.deepEqual(image.brokerConfigs('default'), { 'log.retention.ms': '10' });
  assert.deepEqual(image.brokerConfigs(1), { 'message.max.bytes': '100' });
  assert.deepEqual(image.brokerConfigs(2), {});
  assert.equal(image.nextProducerId(), 1000);
  assert.equal(changes.brokerConfigsChanged, true);
  const again = applyAll(image, [{ type: 'ConfigRecord', resourceType: 'broker', resourceName: '', name: 'log.retention.ms', value: null }]);
  assert.deepEqual(again.image.brokerConfigs('default'), {});
  assert.equal(again.changes.brokerConfigsChanged, true);
  assert.throws(() => applyAll(image, [{ type: 'ProducerIdsRecord', brokerId: 1, nextProducerId: 5 }]), /below 1000/);
});

test('records that do not fit the image are refused', () => {
  const image = applyAll(EMPTY_METADATA_IMAGE, topic('a', 1, 1)).image;
  const bad: [MetadataRecord, RegExp][] = [
    [{ type: 'TopicRecord', name: 'a', topicId: id(9) }, /already exists/],
    [{ type: 'TopicRecord', name: 'z', topicId: id(1) }, /already exists/],
    [{ type: 'PartitionRecord', topicId: id(7), partitionId: 0, replicas: [1], isr: [1], leader: 1, leaderEpoch: 0, partitionEpoch: 0 }, /no topic/],
    [{ type: 'PartitionRecord', topicId: id(1), partitionId: 5, replicas: [1], isr: [1], leader: 1, leaderEpoch: 0, partitionEpoch: 0 }, /gap/],
    [{ type: 'PartitionChangeRecord', topicId: id(1), partitionId: 3, leader: 1 }, /no partition 3/],
    [{ type: 'RemoveTopicRecord', topicId: id(7) }, /no topic/],
    [{ type: 'ConfigRecord', resourceType: 'topic', resourceName: 'nope', name: 'x', value: '1' }, /no topic nope/],
    [{ type: 'ConfigRecord', resourceType: 'broker', resourceName: 'b1', name: 'x', value: '1' }, /bad broker resource/],
  ];
  for (const [r, msg] of bad) assert.throws(() => applyAll(image, [r]), msg, r.type);
});

test('imageRecords rebuilds the same image', () => {
  const { image } = applyAll(EMPTY_METADATA_IMAGE, [
    { type: 'RegisterBrokerRecord', brokerId: 1, rack: null },
    { type: 'ProducerIdsRecord', brokerId: 1, nextProducerId: 2000 },
    { type: 'ConfigRecord', resourceType: 'broker', resourceName: '', name: 'log.retention.ms', value: '10' },
    ...topic('a', 1, 3),
    { type: 'ConfigRecord', resourceType: 'topic', resourceName: 'a', name: 'retention.ms', value: '5' },
    { type: 'PartitionChangeRecord', topicId: id(1), partitionId: 2, leader: -1, isr: [] },
  ]);
  const rebuilt = applyAll(EMPTY_METADATA_IMAGE, [...imageRecords(image)]).image;
  assert.deepEqual(rebuilt.topic('a'), image.topic('a'));
  assert.deepEqual(rebuilt.brokerConfigs('default'), image.brokerConfigs('default'));
  assert.equal(rebuilt.nextProducerId(), 2000);
  assert.deepEqual([...rebuilt.brokers()], [...image.brokers()]);
  assert.equal(rebuilt.replicaCount(1), image.replicaCount(1));
});
