import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../../../src/base/random.js';
import { ErrorCode } from '../../../../src/protocol/error-codes.js';
import {
  planCreatePartitions, planCreateTopics, planDeleteTopics, type ControllerContext,
} from '../../../../src/cluster/controller/replication-control.js';
import { configDiff, planAlterBrokerConfigs, planAlterTopicConfigs } from '../../../../src/cluster/controller/config-control.js';
import { MetadataDelta } from '../../../../src/cluster/metadata/metadata-delta.js';
import { EMPTY_METADATA_IMAGE, type MetadataImage } from '../../../../src/cluster/metadata/metadata-image.js';
import type { MetadataRecord, PartitionRecord } from '../../../../src/cluster/metadata/metadata-records.js';

function cluster(brokers: [number, string | null][]): MetadataImage {
  return new MetadataDelta(EMPTY_METADATA_IMAGE).replayAll(brokers.map(([brokerId, rack]) => ({ type: 'RegisterBrokerRecord' as const, brokerId, rack }))).apply().image;
}

function ctx(image: MetadataImage, extra: Partial<ControllerContext> = {}): ControllerContext {
  return { image, random: new SeededRandom(1), defaultNumPartitions: 1, defaultReplicationFactor: 1, maxPartitionsPerBroker: 100_000, deleteTopicEnable: true, ...extra };
}

const apply = (image: MetadataImage, records: MetadataRecord[]) => new MetadataDelta(image).replayAll(records).apply().image;
const partitionRecords = (records: MetadataRecord[]) => records.filter((r): r is PartitionRecord => r.type === 'PartitionRecord');

test('an explicit assignment is kept: replicas as given, leader the first live replica, ISR the live ones', () => {
  const image = cluster([[1, null], [2, null], [3, null]]);
  const plan = planCreateTopics(ctx(image), [{ name: 'a', numPartitions: -1, replicationFactor: -1, assignments: [[3, 1], [2, 3]] }], { requestLimit: true });
  assert.equal(plan.results[0]!.errorCode, ErrorCode.NONE);
  assert.deepEqual(plan.results[0]!.replicationFactor, 2);
  const after = apply(image, plan.records).topic('a')!;
  assert.deepEqual(after.partitions, [
    { replicas: [3, 1], isr: [3, 1], leader: 3, leaderEpoch: 0, partitionEpoch: 0 },
    { replicas: [2, 3], isr: [2, 3], leader: 2, leaderEpoch: 0, partitionEpoch: 0 },
  ]);
  // An unregistered broker is refused, as Kafka does.
  const bad = planCreateTopics(ctx(image), [{ name: 'b', numPartitions: -1, replicationFactor: -1, assignments: [[4]] }], { requestLimit: true });
  assert.equal(bad.results[0]!.errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  assert.match(bad.results[0]!.errorMessage!, /broker 4, but no such broker is registered/);
  assert.deepEqual(bad.records, []);
});

test('without an assignment, replicas are placed over the registered brokers and racks', () => {
  const image = cluster([[1, 'a'], [2, 'b'], [3, 'c']]);
  const plan = planCreateTopics(ctx(image), [{ name: 't', numPartitions: 6, replicationFactor: 3 }], { requestLimit: true });
  const parts = partitionRecords(plan.records);
  assert.equal(parts.length, 6);
  for (const p of parts) {
    assert.equal(new Set(p.replicas).size, 3);
    assert.equal(p.leader, p.replicas[0]);
    assert.deepEqual(p.isr, p.replicas);
  }
  assert.deepEqual(new Set(parts.map((p) => p.leader)), new Set([1, 2, 3]), 'leaders spread over the brokers');
  const tooWide = planCreateTopics(ctx(image), [{ name: 'w', numPartitions: 1, replicationFactor: 4 }], { requestLimit: true });
  assert.equal(tooWide.results[0]!.errorMessage, 'Replication factor: 4 larger than available brokers: 3.');
});

test('the per-request limit: more than 10,000 partitions in one CreateTopics fails every topic', () => {
  const image = cluster([[1, null]]);
  const specs = Array.from({ length: 10 }, (_, i) => ({ name: `big-${i}`, numPartitions: 10_000, replicationFactor: 1 }));
  const plan = planCreateTopics(ctx(image), specs, { requestLimit: true });
  assert.deepEqual(plan.records, []);
  for (const r of plan.results) {
    assert.equal(r.errorCode, ErrorCode.POLICY_VIOLATION);
    assert.equal(r.errorMessage, 'Excessively large number of partitions per request.');
    assert.equal(r.numPartitions, -1);
  }
  // Exactly at the limit is fine; -1 counts as num.partitions.
  const atLimit = planCreateTopics(ctx(image, { defaultNumPartitions: 5000 }), [{ name: 'x', numPartitions: 5000, replicationFactor: 1 }, { name: 'y', numPartitions: -1, replicationFactor: -1 }], { requestLimit: true });
  assert.deepEqual(atLimit.results.map((r) => r.errorCode), [0, 0]);
  const over = planCreateTopics(ctx(image, { defaultNumPartitions: 5001 }), [{ name: 'x', numPartitions: 5000, replicationFactor: 1 }, { name: 'y', numPartitions: -1, replicationFactor: -1 }], { requestLimit: true });
  assert.deepEqual(over.results.map((r) => r.errorCode), [ErrorCode.POLICY_VIOLATION, ErrorCode.POLICY_VIOLATION]);
});

test('the per-broker limit counts the image and the earlier topics of the request', () => {
  let image = cluster([[1, null]]);
  image = apply(image, planCreateTopics(ctx(image), [{ name: 'old', numPartitions: 6, replicationFactor: 1 }], { requestLimit: true }).records);
  const c = ctx(image, { maxPartitionsPerBroker: 10 });
  const plan = planCreateTopics(c, [
    { name: 'a', numPartitions: 3, replicationFactor: 1 },
    { name: 'b', numPartitions: 2, replicationFactor: 1 },
    { name: 'c', numPartitions: 1, replicationFactor: 1 },
  ], { requestLimit: true });
  assert.deepEqual(plan.results.map((r) => r.errorCode), [ErrorCode.NONE, ErrorCode.POLICY_VIOLATION, ErrorCode.NONE]);
  assert.match(plan.results[1]!.errorMessage!, /broker 1, which has 9, would exceed the limit of 10 per broker \(sherwood.max.broker.partitions\)/);
  const grown = planCreatePartitions(c, [{ name: 'old', count: 11 }], false);
  assert.equal(grown.results[0]!.errorCode, ErrorCode.POLICY_VIOLATION);
});

test('CreatePartitions: placement with the topic\'s width, kept assignments, and the records limit', () => {
  const image0 = cluster([[1, null], [2, null]]);
  const image = apply(image0, planCreateTopics(ctx(image0), [
    { name: 't', numPartitions: 1, replicationFactor: 2 },
    { name: 'u', numPartitions: 1, replicationFactor: 1 },
  ], { requestLimit: true }).records);
  const plan = planCreatePartitions(ctx(image), [{ name: 't', count: 3 }, { name: 'u', count: 2, assignments: [[2]] }, { name: 'nope', count: 2 }], false);
  assert.deepEqual(plan.results.map((r) => r.errorCode), [ErrorCode.NONE, ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
  const after = apply(image, plan.records);
  assert.deepEqual(after.topic('t')!.partitions.map((p) => p.replicas.length), [2, 2, 2]);
  assert.deepEqual(after.topic('u')!.partitions[1], { replicas: [2], isr: [2], leader: 2, leaderEpoch: 0, partitionEpoch: 0 });
  const wrongWidth = planCreatePartitions(ctx(image), [{ name: 't', count: 2, assignments: [[1]] }], false);
  assert.match(wrongWidth.results[0]!.errorMessage!, /1 replica\(s\), but this is not consistent with previous partitions, which have 2/);
  assert.deepEqual(planCreatePartitions(ctx(image), [{ name: 't', count: 3 }], true).records, [], 'validateOnly writes nothing');
  const huge = planCreatePartitions(ctx(image), [{ name: 't', count: 6000 }, { name: 'u', count: 6000 }], false);
  assert.deepEqual(huge.records, []);
  for (const r of huge.results) assert.deepEqual(r, { errorCode: ErrorCode.POLICY_VIOLATION, errorMessage: 'Unable to perform excessively large batch operation.' });
});

test('validateOnly reserves its name within the request but writes nothing', () => {
  const image = cluster([[1, null]]);
  const plan = planCreateTopics(ctx(image), [
    { name: 'a.b', numPartitions: 1, replicationFactor: 1, validateOnly: true },
    { name: 'a_b', numPartitions: 1, replicationFactor: 1, validateOnly: true },
  ], { requestLimit: true });
  assert.deepEqual(plan.records, []);
  assert.deepEqual(plan.results.map((r) => r.errorCode), [ErrorCode.NONE, ErrorCode.INVALID_TOPIC_EXCEPTION]);
  assert.equal(plan.results[0]!.topicId, null);
});

test('DeleteTopics and config changes', () => {
  let image = cluster([[1, null]]);
  image = apply(image, planCreateTopics(ctx(image), [{ name: 'a', numPartitions: 1, replicationFactor: 1, configs: { 'retention.ms': '5' } }], { requestLimit: true }).records);
  const del = planDeleteTopics(ctx(image), ['a', 'nope']);
  assert.deepEqual(del.results.map((r) => r.errorCode), [ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
  assert.deepEqual(del.records.map((r) => r.type), ['RemoveTopicRecord']);
  assert.equal(planDeleteTopics(ctx(image, { deleteTopicEnable: false }), ['a']).results[0]!.errorCode, ErrorCode.TOPIC_DELETION_DISABLED);

  const alter = planAlterTopicConfigs(image, 'a', { 'cleanup.policy': 'compact' });
  assert.deepEqual(alter.records.map((r) => r.type === 'ConfigRecord' && [r.name, r.value]), [['retention.ms', null], ['cleanup.policy', 'compact']]);
  assert.deepEqual(planAlterTopicConfigs(image, 'a', { 'retention.ms': '5' }).records, [], 'no change, no records');
  assert.equal(planAlterTopicConfigs(image, 'a', { 'retention.ms': 'x' }).results[0]!.errorCode, ErrorCode.INVALID_CONFIG);
  assert.equal(planAlterTopicConfigs(image, 'zz', {}).results[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assert.deepEqual(planAlterBrokerConfigs(image, 1, { 'log.retention.ms': '1' }), [{ type: 'ConfigRecord', resourceType: 'broker', resourceName: '1', name: 'log.retention.ms', value: '1' }]);
  assert.deepEqual(configDiff('broker', '', { a: '1', b: '2' }, { b: '3' }).map((r) => [r.name, r.value]), [['a', null], ['b', '3']]);
});

test('a cluster: replicas go to live brokers first; a dead one is never a leader nor in a new ISR; a live one not yet in the image counts', () => {
  const image = cluster([[1, 'a'], [2, 'b'], [3, 'c']]);
  const live = new Map([[1, { brokerId: 1, rack: 'a' }], [2, { brokerId: 2, rack: 'b' }], [4, { brokerId: 4, rack: 'd' }]]);
  const c = ctx(image, { liveBrokers: () => live });
  const plan = planCreateTopics(c, [{ name: 'x', numPartitions: 8, replicationFactor: 4 }], { requestLimit: true });
  assert.equal(plan.results[0]!.errorCode, ErrorCode.NONE, plan.results[0]!.errorMessage ?? '');
  for (const p of partitionRecords(plan.records)) {
    assert.deepEqual([...p.replicas].sort(), [1, 2, 3, 4]);
    assert.notEqual(p.leader, 3);
    assert.ok(!p.isr.includes(3));
    assert.deepEqual([...p.isr].sort(), [1, 2, 4]);
  }
  // Broker 4's registration record has not arrived yet, but an assignment may name it.
  const assigned = planCreateTopics(c, [{ name: 'y', numPartitions: -1, replicationFactor: -1, assignments: [[4, 1]] }], { requestLimit: true });
  assert.equal(assigned.results[0]!.errorCode, ErrorCode.NONE);
});
