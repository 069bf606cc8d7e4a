// The reassignment planner on a real metadata image: adding and removing replicas, completion
// when the ISR covers the target (at once, or on the ISR change that brings the last new
// replica in), a removed leader handing over, cancelling, listing, and Kafka's errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../../src/protocol/error-codes.js';
import { MetadataDelta } from '../../../../src/cluster/metadata/metadata-delta.js';
import type { MetadataImage } from '../../../../src/cluster/metadata/metadata-image.js';
import { decodeRecord, encodeRecord, type MetadataRecord } from '../../../../src/cluster/metadata/metadata-records.js';
import { imageRecords } from '../../../../src/cluster/metadata/metadata-image.js';
import {
  completeReassignmentIfDone, listPartitionReassignments, planAlterPartitionReassignments,
} from '../../../../src/cluster/controller/partition-reassignment.js';

const topicId = Buffer.alloc(16, 7);
const live = (...ids: number[]) => (id: number) => ids.includes(id);

function imageWith(replicas: number[], isr: number[], leader: number): MetadataImage {
  const records: MetadataRecord[] = [
    ...[1, 2, 3, 4].map((brokerId) => ({ type: 'RegisterBrokerRecord' as const, brokerId, rack: null })),
    { type: 'TopicRecord', name: 't', topicId },
    { type: 'PartitionRecord', topicId, partitionId: 0, replicas, isr, leader, leaderEpoch: 3, partitionEpoch: 5 },
  ];
  return new MetadataDelta().replayAll(records).apply().image;
}

/** Applies records the way every broker does, through their serialized form. */
function apply(image: MetadataImage, records: readonly MetadataRecord[]): MetadataImage {
  return new MetadataDelta(image).replayAll(records.map((r) => decodeRecord(JSON.parse(JSON.stringify(encodeRecord(r)))))).apply().image;
}

const reassign = (image: MetadataImage, replicas: number[] | null, isLive = live(1, 2, 3, 4)) =>
  planAlterPartitionReassignments(image, [{ topic: 't', partitions: [{ partition: 0, replicas }] }], isLive);

test('RF 1 → 3: the new replicas are added and listed; the ISR change that brings the last one in finishes it', () => {
  let image = imageWith([1], [1], 1);
  const plan = reassign(image, [1, 2, 3]);
  assert.deepEqual(plan.results.map((r) => r.errorCode), [ErrorCode.NONE]);
  image = apply(image, plan.records);
  const p = image.topic('t')!.partitions[0]!;
  assert.deepEqual([p.replicas, p.isr, p.leader, p.addingReplicas, p.removingReplicas], [[1, 2, 3], [1], 1, [2, 3], []]);
  assert.deepEqual(listPartitionReassignments(image, null), [{ topic: 't', partition: 0, replicas: [1, 2, 3], addingReplicas: [2, 3], removingReplicas: [] }]);
  assert.equal(completeReassignmentIfDone(p, [1, 2], live(1, 2, 3)), null, 'replica 3 is not in yet');
  const done = completeReassignmentIfDone(p, [1, 2, 3], live(1, 2, 3))!;
  image = apply(image, [{ type: 'PartitionChangeRecord', topicId, partitionId: 0, isr: [1, 2, 3], ...done }]);
  const after = image.topic('t')!.partitions[0]!;
  assert.deepEqual([after.replicas, after.isr, after.leader, after.leaderEpoch, after.addingReplicas], [[1, 2, 3], [1, 2, 3], 1, 3, undefined]);
  assert.deepEqual(listPartitionReassignments(image, null), []);
});

test('moving a partition off its leader: the removed leader hands over to the first target replica in the ISR', () => {
  let image = imageWith([1, 2], [1, 2], 1);
  image = apply(image, reassign(image, [3, 2]).records);
  let p = image.topic('t')!.partitions[0]!;
  assert.deepEqual([p.replicas, p.addingReplicas, p.removingReplicas, p.leader], [[3, 2, 1], [3], [1], 1], 'target first, then the removed one');
  const done = completeReassignmentIfDone(p, [1, 2, 3], live(1, 2, 3))!;
  image = apply(image, [{ type: 'PartitionChangeRecord', topicId, partitionId: 0, isr: [1, 2, 3], ...done }]);
  p = image.topic('t')!.partitions[0]!;
  assert.deepEqual([p.replicas, p.isr, p.leader, p.leaderEpoch], [[3, 2], [2, 3], 3, 4], 'new leader, epoch + 1');
});

test('shrinking (nothing to add) completes at once; a reorder just reorders; the same replicas change nothing', () => {
  let image = imageWith([1, 2, 3], [1, 2, 3], 2);
  image = apply(image, reassign(image, [1]).records);
  const p = image.topic('t')!.partitions[0]!;
  assert.deepEqual([p.replicas, p.isr, p.leader, p.addingReplicas], [[1], [1], 1, undefined]);
  image = imageWith([1, 2, 3], [1, 2, 3], 2);
  image = apply(image, reassign(image, [3, 1, 2]).records);
  assert.deepEqual(image.topic('t')!.partitions[0]!.replicas, [3, 1, 2]);
  assert.deepEqual(reassign(image, [3, 1, 2]).records, [], 'already so: no record');
});

test('cancel: back to the replicas before the reassignment; NO_REASSIGNMENT_IN_PROGRESS without one', () => {
  let image = imageWith([1], [1], 1);
  assert.equal(reassign(image, null).results[0]!.errorCode, ErrorCode.NO_REASSIGNMENT_IN_PROGRESS);
  image = apply(image, reassign(image, [2, 3]).records);
  assert.deepEqual(image.topic('t')!.partitions[0]!.replicas, [2, 3, 1]);
  const cancel = reassign(image, null);
  assert.equal(cancel.results[0]!.errorCode, ErrorCode.NONE);
  image = apply(image, cancel.records);
  const p = image.topic('t')!.partitions[0]!;
  assert.deepEqual([p.replicas, p.isr, p.leader, p.addingReplicas], [[1], [1], 1, undefined]);
});

test('errors: unknown partition, empty list, a broker twice, an unregistered broker', () => {
  const image = imageWith([1], [1], 1);
  const r = planAlterPartitionReassignments(image, [
    { topic: 't', partitions: [{ partition: 9, replicas: [1] }, { partition: 0, replicas: [] }] },
    { topic: 'nope', partitions: [{ partition: 0, replicas: [1] }] },
  ], live(1, 2, 3, 4));
  assert.deepEqual(r.results.map((x) => x.errorCode), [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.INVALID_REPLICA_ASSIGNMENT, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
  assert.equal(reassign(image, [1, 1]).results[0]!.errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  assert.match(reassign(image, [1, 9]).results[0]!.errorMessage!, /broker 9, but no such broker is registered/);
  assert.deepEqual(r.records, []);
});

test('a reassignment in progress survives a snapshot (the image written out as records and read back)', () => {
  let image = imageWith([1], [1], 1);
  image = apply(image, reassign(image, [2, 3]).records);
  const reread = new MetadataDelta().replayAll([...imageRecords(image)].map((r) => decodeRecord(JSON.parse(JSON.stringify(encodeRecord(r)))))).apply().image;
  const p = reread.topic('t')!.partitions[0]!;
  assert.deepEqual([p.replicas, p.addingReplicas, p.removingReplicas], [[2, 3, 1], [2, 3], [1]]);
});
