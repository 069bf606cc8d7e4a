import { test } from 'node:test';
import assert from 'node:assert/strict';
import { controlledShutdownChange, movableLeaderships, planControlledShutdown, partitionKey } from '../../../../src/cluster/controller/controlled-shutdown.js';
import { planLeaderElections } from '../../../../src/cluster/controller/leader-election.js';
import { MetadataDelta } from '../../../../src/cluster/metadata/metadata-delta.js';
import { createTopic, topicId } from '../../../helpers/metadata-store-contract.js';

const p = (replicas: number[], isr: number[], leader: number) => ({ replicas, isr, leader, leaderEpoch: 4, partitionEpoch: 9 });
const alive = (...ids: number[]) => (b: number) => ids.includes(b);
const down = (...ids: number[]) => (b: number) => ids.includes(b);

test('a leader in controlled shutdown: the first other live ISR member in replica order leads, and it leaves the ISR', () => {
  assert.deepEqual(controlledShutdownChange(p([1, 2, 3], [1, 2, 3], 1), alive(1, 2, 3), down(1)), { leader: 2, isr: [2, 3] });
  assert.deepEqual(controlledShutdownChange(p([1, 3, 2], [2, 1, 3], 1), alive(1, 2, 3), down(1)), { leader: 3, isr: [2, 3] });
  // Dead ISR members are not elected (the election removes them separately).
  assert.deepEqual(controlledShutdownChange(p([1, 2, 3], [1, 2, 3], 1), alive(1, 3), down(1)), { leader: 3, isr: [2, 3] });
});

test('a follower in controlled shutdown leaves the ISR; the leader stays', () => {
  assert.deepEqual(controlledShutdownChange(p([1, 2, 3], [1, 2, 3], 1), alive(1, 2, 3), down(2)), { isr: [1, 3] });
  assert.equal(controlledShutdownChange(p([1, 2, 3], [1, 3], 1), alive(1, 2, 3), down(2)), null);
});

test('the only live ISR member cannot move: no change (it leads until it goes)', () => {
  assert.equal(controlledShutdownChange(p([1, 2], [1], 1), alive(1, 2), down(1)), null);
  assert.equal(controlledShutdownChange(p([1, 2], [1, 2], 1), alive(1), down(1)), null);
  // Two shutting down at once: a third one takes over if in sync.
  assert.deepEqual(controlledShutdownChange(p([1, 2, 3], [1, 2, 3], 1), alive(1, 2, 3), down(1, 2)), { leader: 3, isr: [3] });
  assert.equal(controlledShutdownChange(p([1, 2, 3], [1, 2], 1), alive(1, 2, 3), down(1, 2)), null);
});

test('partitions without a replica on a shutting-down broker are untouched', () => {
  assert.equal(controlledShutdownChange(p([2, 3], [2, 3], 2), alive(1, 2, 3), down(1)), null);
});

test('planControlledShutdown: records bump the leader epoch, skip what the election planned, and movableLeaderships reaches 0', () => {
  const { image } = new MetadataDelta().replayAll([...createTopic(1, 3, [1, 2, 3]), ...createTopic(2, 1, [1])]).apply();
  assert.equal(movableLeaderships(image, 1, alive(1, 2, 3), down(1)), 3);
  const records = planControlledShutdown(image, alive(1, 2, 3), down(1));
  // t2 has one replica (broker 1): it cannot move.
  assert.deepEqual(records.map((r) => [r.topicId.equals(topicId(1)) ? 't1' : 't2', r.partitionId, r.leader, r.isr]), [
    ['t1', 0, 2, [2, 3]], ['t1', 1, 2, [2, 3]], ['t1', 2, 2, [2, 3]],
  ]);
  const after = new MetadataDelta(image).replayAll(records).apply().image;
  assert.equal(after.topic('t1')!.partitions[0]!.leaderEpoch, 1);
  assert.equal(movableLeaderships(after, 1, alive(1, 2, 3), down(1)), 0);
  assert.deepEqual(planControlledShutdown(after, alive(1, 2, 3), down(1)), []);
  assert.deepEqual(planLeaderElections(after, alive(1, 2, 3)), [], 'the election leaves a live broker in controlled shutdown alone');
  assert.deepEqual(planControlledShutdown(image, alive(1, 2, 3), down(1), new Set(records.slice(0, 1).map(partitionKey))).length, 2);
});
