// ElectLeaders' planner: PREFERRED moves leadership to a live in-sync first replica, UNCLEAN
// elects only for partitions without a live leader (out-of-sync replicas as the last resort),
// unknown partitions and "all partitions" are answered as Kafka does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../../src/protocol/error-codes.js';
import { ELECTION_PREFERRED, ELECTION_UNCLEAN, electLeaderChange, planElectLeaders } from '../../../../src/cluster/controller/elect-leaders.js';
import type { MetadataImage, PartitionRegistration, TopicImage } from '../../../../src/cluster/metadata/metadata-image.js';

const reg = (replicas: number[], isr: number[], leader: number): PartitionRegistration => ({ replicas, isr, leader, leaderEpoch: 4, partitionEpoch: 9 });
const live = (...ids: number[]) => (id: number) => ids.includes(id);

test('PREFERRED: the first replica if live and in the ISR; not needed when it leads; not available otherwise', () => {
  assert.deepEqual(electLeaderChange(reg([1, 2, 3], [1, 2, 3], 2), ELECTION_PREFERRED, live(1, 2, 3)), { leader: 1 });
  assert.equal(electLeaderChange(reg([1, 2, 3], [1, 2, 3], 1), ELECTION_PREFERRED, live(1, 2, 3)), ErrorCode.ELECTION_NOT_NEEDED);
  assert.equal(electLeaderChange(reg([1, 2, 3], [2, 3], 2), ELECTION_PREFERRED, live(1, 2, 3)), ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, 'not in the ISR');
  assert.equal(electLeaderChange(reg([1, 2, 3], [1, 2, 3], 2), ELECTION_PREFERRED, live(2, 3)), ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, 'not live');
});

test('UNCLEAN: only without a live leader; a live ISR member first, else any live replica with an ISR of itself', () => {
  assert.equal(electLeaderChange(reg([1, 2, 3], [1, 2, 3], 2), ELECTION_UNCLEAN, live(1, 2, 3)), ErrorCode.ELECTION_NOT_NEEDED);
  assert.deepEqual(electLeaderChange(reg([1, 2, 3], [2, 3], 2), ELECTION_UNCLEAN, live(1, 3)), { leader: 3, isr: [3] });
  assert.deepEqual(electLeaderChange(reg([1, 2, 3], [2], -1), ELECTION_UNCLEAN, live(1, 3)), { leader: 1, isr: [1] }, 'out-of-sync replica: data loss accepted');
  assert.equal(electLeaderChange(reg([1, 2, 3], [2], -1), ELECTION_UNCLEAN, live()), ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE);
});

test('the plan: records for elections, unknown partitions answered, "all" leaves out partitions that need nothing', () => {
  const topicId = Buffer.alloc(16, 1);
  const t: TopicImage = { name: 't', topicId, isInternal: false, configs: {}, partitions: [reg([1, 2], [1, 2], 2), reg([2, 1], [2, 1], 2)] };
  const image = { topic: (n: string) => (n === 't' ? t : undefined), topics: () => [t] } as unknown as MetadataImage;
  const asked = planElectLeaders(image, ELECTION_PREFERRED, [{ topic: 't', partitions: [0, 1, 7] }, { topic: 'nope', partitions: [0] }], live(1, 2));
  assert.deepEqual(asked.records, [{ type: 'PartitionChangeRecord', topicId, partitionId: 0, leader: 1 }]);
  assert.deepEqual(asked.results.map((r) => [r.topic, r.partition, r.errorCode]), [
    ['t', 0, ErrorCode.NONE], ['t', 1, ErrorCode.ELECTION_NOT_NEEDED], ['t', 7, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION], ['nope', 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
  ]);
  assert.equal(asked.results[1]!.errorMessage, 'Leader election not needed for topic partition.');
  assert.equal(asked.results[0]!.errorMessage, null);
  const all = planElectLeaders(image, ELECTION_PREFERRED, null, live(1, 2));
  assert.deepEqual(all.results.map((r) => [r.topic, r.partition, r.errorCode]), [['t', 0, ErrorCode.NONE]]);
});
