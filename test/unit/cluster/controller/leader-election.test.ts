import { test } from 'node:test';
import assert from 'node:assert/strict';
import { electionChange, planLeaderElections } from '../../../../src/cluster/controller/leader-election.js';
import { MetadataDelta } from '../../../../src/cluster/metadata/metadata-delta.js';
import { createTopic, topicId } from '../../../helpers/metadata-store-contract.js';

const p = (replicas: number[], isr: number[], leader: number) => ({ replicas, isr, leader, leaderEpoch: 4, partitionEpoch: 9 });
const alive = (...ids: number[]) => (b: number) => ids.includes(b);

test('a dead leader: the first live ISR member in replica order leads; dead members leave the ISR', () => {
  assert.deepEqual(electionChange(p([1, 2, 3], [1, 2, 3], 1), alive(2, 3)), { leader: 2, isr: [2, 3] });
  assert.deepEqual(electionChange(p([1, 3, 2], [2, 3, 1], 1), alive(2, 3)), { leader: 3, isr: [2, 3] });
});

test('a live leader keeps leading; only dead followers leave the ISR', () => {
  assert.deepEqual(electionChange(p([1, 2, 3], [1, 2, 3], 1), alive(1, 2)), { isr: [1, 2] });
  assert.equal(electionChange(p([1, 2, 3], [1, 2, 3], 1), alive(1, 2, 3)), null);
});

test('no live ISR member: no leader, and the ISR is kept for the last leader to return (no unclean election)', () => {
  assert.deepEqual(electionChange(p([1, 2], [1], 1), alive(2)), { leader: -1 });
  assert.equal(electionChange(p([1, 2], [1], -1), alive(2)), null);
  // It comes back: it leads again.
  assert.deepEqual(electionChange(p([1, 2], [1], -1), alive(1, 2)), { leader: 1 });
});

test('planLeaderElections: one PartitionChangeRecord per partition that needs one; the epoch goes up by one', () => {
  const { image } = new MetadataDelta().replayAll([...createTopic(1, 3, [1, 2, 3]), ...createTopic(2, 1, [2, 3, 1])]).apply();
  const records = planLeaderElections(image, alive(2, 3));
  assert.deepEqual(records.map((r) => [r.topicId.equals(topicId(1)) ? 't1' : 't2', r.partitionId, r.leader, r.isr]), [
    ['t1', 0, 2, [2, 3]], ['t1', 1, 2, [2, 3]], ['t1', 2, 2, [2, 3]], ['t2', 0, undefined, [2, 3]],
  ]);
  const after = new MetadataDelta(image).replayAll(records).apply().image;
  assert.equal(after.topic('t1')!.partitions[0]!.leaderEpoch, 1);
  assert.equal(after.topic('t2')!.partitions[0]!.leaderEpoch, 0);
  assert.deepEqual(planLeaderElections(after, alive(2, 3)), []);
});

test('unclean.leader.election.enable: with no live ISR member, the first live replica leads with an ISR of itself; per topic', async () => {
  const { planLeaderElections: plan } = await import('../../../../src/cluster/controller/leader-election.js');
  assert.deepEqual(electionChange(p([1, 2, 3], [1], 1), alive(2, 3), true), { leader: 2, isr: [2] });
  assert.deepEqual(electionChange(p([1, 2, 3], [1], 1), alive(2, 3), false), { leader: -1 });
  assert.deepEqual(electionChange(p([1, 2, 3], [1, 3], 1), alive(2, 3), true), { leader: 3, isr: [3] }, 'a live ISR member still comes first');
  const topic = (name: string, unclean: boolean) => ({ name, topicId: Buffer.alloc(16, name.length), isInternal: false, configs: unclean ? { 'unclean.leader.election.enable': 'true' } : {}, partitions: [p([1, 2], [1], 1)] });
  const topics = [topic('dirty', true), topic('clean-topic', false)];
  const image = { topics: () => topics, topic: (n: string) => topics.find((t) => t.name === n) } as never;
  const records = plan(image, alive(2), (t) => t.configs['unclean.leader.election.enable'] === 'true');
  assert.deepEqual(records.map((r) => [r.topicId.equals(topics[0]!.topicId) ? 'dirty' : 'clean-topic', r.leader, r.isr]), [['dirty', 2, [2]], ['clean-topic', -1, undefined]]);
});
