/**
 * Every coordinator operation that writes records is applied only once they are durable, or
 * not at all (apache/kafka CoordinatorRuntime reverts to the last committed snapshot when a
 * write fails), and nothing else about its shard is decided or answered while it is written.
 * Each test injects a failing or held `__consumer_offsets` writer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { OffsetCommitRequest } from '../../src/protocol/messages/offset-commit.js';
import type { JoinGroupResponse } from '../../src/protocol/messages/join-group.js';
import { coordinatorErrorFor, CoordinatorWriteError } from '../../src/coordinator/runtime/coordinator-errors.js';
import { committedOffset, durableState, harness, info, joinRequest, replayed, settle, type Harness } from './harness.js';

function commit(groupId: string, topic: string, partition: number, offset: number, extra: Partial<OffsetCommitRequest> = {}): OffsetCommitRequest {
  return {
    groupId, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1,
    topics: [{ name: topic, partitions: [{ partitionIndex: partition, committedOffset: offset, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }] }],
    ...extra,
  };
}

const heartbeat = (h: Harness, groupId: string, memberId: string, generationId: number, groupInstanceId: string | null = null) =>
  h.service.heartbeat({ groupId, generationId, memberId, groupInstanceId }, info(4));

/** One static member, Stable at generation 1 with assignment 'A'. */
async function stableStaticGroup(h: Harness, groupId: string, instanceId: string): Promise<JoinGroupResponse> {
  const join = h.service.joinGroup(joinRequest(groupId, '', { groupInstanceId: instanceId }), info(5));
  h.clock.advance(0);
  const j = await join;
  assert.equal(j.errorCode, ErrorCode.NONE);
  const s = await h.service.syncGroup({
    groupId, generationId: j.generationId, memberId: j.memberId, groupInstanceId: instanceId, protocolType: null, protocolName: null,
    assignments: [{ memberId: j.memberId, assignment: Buffer.from('A') }],
  }, info(5));
  assert.equal(s.errorCode, ErrorCode.NONE);
  return j;
}

test('a static member replacement whose write fails is not applied: the old member id stays valid', async () => {
  const h = await harness();
  const j1 = await stableStaticGroup(h, 'g', 'i-1');
  const before = durableState(h.service);
  h.log.failNext = 1;
  const failed = await h.service.joinGroup(joinRequest('g', '', { groupInstanceId: 'i-1' }), info(9));
  assert.equal(failed.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
  assert.equal(failed.memberId, '', 'Kafka answers with an unknown member id');
  assert.equal(failed.generationId, 1);
  assert.equal(failed.leader, j1.memberId);
  const group = h.group('g')!;
  assert.equal(group.staticMembers.get('i-1'), j1.memberId);
  assert.deepEqual(durableState(h.service), before, 'nothing changed in memory');
  assert.equal((await heartbeat(h, 'g', j1.memberId, 1, 'i-1')).errorCode, ErrorCode.NONE, 'the old member is not fenced');

  // While the next replacement's write is in flight the old id is still the member...
  h.log.hold();
  const pending = h.service.joinGroup(joinRequest('g', '', { groupInstanceId: 'i-1' }), info(9));
  await settle();
  assert.equal(group.staticMembers.get('i-1'), j1.memberId);
  h.log.release();
  // ...and once it is durable the new id replaces it.
  const j2 = await pending;
  assert.equal(j2.errorCode, ErrorCode.NONE);
  assert.equal(j2.generationId, 1);
  assert.equal(group.staticMembers.get('i-1'), j2.memberId);
  assert.equal((await heartbeat(h, 'g', j1.memberId, 1, 'i-1')).errorCode, ErrorCode.FENCED_INSTANCE_ID);
  assert.deepEqual(durableState(await replayed(h)), durableState(h.service));
  h.close();
});

test('DeleteGroups applies only once its tombstones are durable; a failed write leaves the group and its offsets', async () => {
  const h = await harness();
  await h.service.commitOffsets(commit('idle', 't', 0, 42), info(8));
  const before = durableState(h.service);
  h.log.failNext = 1;
  const failed = await h.service.deleteGroups(['idle']);
  assert.deepEqual(failed.results, [{ groupId: 'idle', errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE }]);
  assert.notEqual(h.group('idle'), undefined, 'the group survives a failed delete');
  assert.equal(await committedOffset(h, 'idle', 't', 0), 42, 'and so do its offsets');
  assert.equal((await h.service.describeGroups(['idle']))[0]!.groupState, 'Empty');
  assert.deepEqual(durableState(h.service), before, 'exactly as before');

  h.log.hold();
  const pending = h.service.deleteGroups(['idle']);
  await settle();
  // Requests for the group's partition wait until the deletion is durable: a read never sees
  // it half-done, and a second delete and a commit decide after it.
  const readDuring = committedOffset(h, 'idle', 't', 0);
  const secondDelete = h.service.deleteGroups(['idle']);
  const commitDuring = h.service.commitOffsets(commit('idle', 't', 0, 43), info(8));
  const answeredEarly = await Promise.race([Promise.race([readDuring, secondDelete, commitDuring]).then(() => true), settle().then(() => false)]);
  assert.equal(answeredEarly, false, 'nothing about the group is answered while its deletion is written');
  assert.equal(h.log.appendsStarted, 3, 'and nothing else is written');
  h.log.release();
  assert.deepEqual((await pending).results, [{ groupId: 'idle', errorCode: ErrorCode.NONE }]);
  assert.equal(await readDuring, -1, 'the read queued behind the deletion sees it done');
  assert.deepEqual((await secondDelete).results, [{ groupId: 'idle', errorCode: ErrorCode.GROUP_ID_NOT_FOUND }]);
  // The commit came after the deletion: it starts a new simple group (it is not lost, and it
  // does not land in the deleted group).
  assert.equal((await commitDuring).topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
  assert.equal(await committedOffset(h, 'idle', 't', 0), 43);
  assert.deepEqual(durableState(await replayed(h)), durableState(h.service));
  h.close();
});

test('a standalone commit whose write fails leaves no group behind', async () => {
  const h = await harness();
  h.log.failNext = 1;
  const r = await h.service.commitOffsets(commit('fresh', 't', 0, 1), info(8));
  assert.equal(r.topics[0]!.partitions[0]!.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
  assert.equal(h.group('fresh'), undefined);
  h.close();
});

test('the last member leaving: the Empty generation applies once durable; a failed write is retried, LeaveGroup answers the error', async () => {
  const h = await harness();
  const j1 = await stableStaticGroup(h, 'g', 'i-1');
  const group = h.group('g')!;
  h.log.failNext = 1;
  const leave = await h.service.leaveGroup({ groupId: 'g', memberId: j1.memberId, members: [] }, info(1));
  assert.equal(leave.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE, 'Kafka answers the write error');
  assert.equal(group.generationId, 1, 'the next generation is not applied');
  assert.notEqual(group.state, 'Empty');
  h.clock.advance(1000);
  await settle();
  assert.equal(group.state, 'Empty', 'the Empty generation is written again');
  assert.equal(group.generationId, 2);
  const last = h.log.decoded().at(-1)!;
  assert.equal(last.type === 'group' && last.value?.generation, 2);
  assert.deepEqual(durableState(await replayed(h)), durableState(h.service));
  h.close();
});

test('a failed Empty-generation write from a timer does not apply either, and is retried', async () => {
  const h = await harness();
  const first = h.service.joinGroup(joinRequest('g', '', { sessionTimeoutMs: 6000, rebalanceTimeoutMs: 6000 }), info(3));
  h.clock.advance(0);
  assert.equal((await first).errorCode, ErrorCode.NONE);
  const group = h.group('g')!;
  assert.equal(group.state, 'CompletingRebalance');
  // The only member never syncs: at the rebalance timeout it is removed and the group empties.
  h.log.failNext = 1;
  h.clock.advance(6000);
  await settle();
  assert.equal(group.generationId, 1, 'generation 2 (Empty) was not durable');
  assert.equal(h.log.records().length, 0);
  h.clock.advance(1000);
  await settle();
  assert.equal(group.state, 'Empty');
  assert.equal(group.generationId, 2);
  assert.deepEqual(durableState(await replayed(h)), durableState(h.service));
  h.close();
});

test('a failed write answers Kafka\'s coordinator error for it (GroupCoordinatorService.normalizeException)', () => {
  const of = (code: number) => coordinatorErrorFor(new CoordinatorWriteError(code, 'x'));
  assert.equal(of(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION), ErrorCode.COORDINATOR_NOT_AVAILABLE);
  assert.equal(of(ErrorCode.NOT_ENOUGH_REPLICAS), ErrorCode.COORDINATOR_NOT_AVAILABLE);
  assert.equal(of(ErrorCode.REQUEST_TIMED_OUT), ErrorCode.COORDINATOR_NOT_AVAILABLE);
  assert.equal(of(ErrorCode.NOT_LEADER_OR_FOLLOWER), ErrorCode.NOT_COORDINATOR);
  assert.equal(of(ErrorCode.KAFKA_STORAGE_ERROR), ErrorCode.NOT_COORDINATOR);
  assert.equal(of(ErrorCode.MESSAGE_TOO_LARGE), ErrorCode.UNKNOWN_SERVER_ERROR);
  assert.equal(of(ErrorCode.CORRUPT_MESSAGE), ErrorCode.CORRUPT_MESSAGE, 'other Kafka errors are answered as they are');
  assert.equal(coordinatorErrorFor(new Error('bug')), ErrorCode.UNKNOWN_SERVER_ERROR, 'and non-Kafka failures are UNKNOWN_SERVER_ERROR');
});

test('two static members replaced at once: the second waits for the first write, so the log ends with both', async () => {
  const h = await harness();
  const ja = h.service.joinGroup(joinRequest('g', '', { groupInstanceId: 'a' }), info(5));
  const jb = h.service.joinGroup(joinRequest('g', '', { groupInstanceId: 'b' }), info(5));
  h.clock.advance(0);
  const [a, b] = await Promise.all([ja, jb]);
  const leader = a.members.length > 0 ? a : b;
  await h.service.syncGroup({
    groupId: 'g', generationId: 1, memberId: leader.memberId, groupInstanceId: leader === a ? 'a' : 'b', protocolType: null, protocolName: null,
    assignments: [{ memberId: a.memberId, assignment: Buffer.from('A') }, { memberId: b.memberId, assignment: Buffer.from('B') }],
  }, info(5));
  h.log.hold();
  const ra = h.service.joinGroup(joinRequest('g', '', { groupInstanceId: 'a' }), info(9));
  const rb = h.service.joinGroup(joinRequest('g', '', { groupInstanceId: 'b' }), info(9));
  await settle();
  h.log.release();
  const [a2, b2] = await Promise.all([ra, rb]);
  assert.equal(a2.errorCode, ErrorCode.NONE);
  assert.equal(b2.errorCode, ErrorCode.NONE);
  const group = h.group('g')!;
  assert.equal(group.staticMembers.get('a'), a2.memberId);
  assert.equal(group.staticMembers.get('b'), b2.memberId);
  assert.equal(group.state, 'Stable');
  assert.deepEqual(durableState(await replayed(h)), durableState(h.service), 'the last snapshot written has both new ids');
  h.close();
});
