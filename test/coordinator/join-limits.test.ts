/**
 * Kafka's limits on the classic join phase: the new-member JoinGroup timeout (KIP-394,
 * 5 minutes), group.max.size on a group loaded over capacity, static members surviving a
 * join phase they missed, and the JoinGroup answer to a static member's replacement.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { JoinGroupResponse } from '../../src/protocol/messages/join-group.js';
import { DEFAULT_GROUP_COORDINATOR_CONFIG } from '../../src/coordinator/group/group-config.js';
import { durableState, harness, info, joinRequest, reloaded, replayed, settle, subscription, type Harness } from './harness.js';

async function syncLeader(h: Harness, groupId: string, j: JoinGroupResponse, members: string[]): Promise<void> {
  const s = await h.service.syncGroup({
    groupId, generationId: j.generationId, memberId: j.memberId, groupInstanceId: null, protocolType: null, protocolName: null,
    assignments: members.map((m) => ({ memberId: m, assignment: Buffer.from(m) })),
  }, info(5));
  assert.equal(s.errorCode, ErrorCode.NONE);
}

const heartbeat = (h: Harness, groupId: string, memberId: string, generationId: number) =>
  h.service.heartbeat({ groupId, generationId, memberId, groupInstanceId: null }, info(4));

test('a new member parked in JoinGroup is removed after group.new.member.join.timeout.ms (5 minutes)', async () => {
  assert.equal(DEFAULT_GROUP_COORDINATOR_CONFIG.groupNewMemberJoinTimeoutMs, 300000);
  const h = await harness();
  const long = { sessionTimeoutMs: 10000, rebalanceTimeoutMs: 600000 };
  const a = h.service.joinGroup(joinRequest('g', '', long), info(3));
  h.clock.advance(0);
  const ja = await a;
  await syncLeader(h, 'g', ja, [ja.memberId]);
  // b joins; a keeps heartbeating but does not rejoin, so the join phase lasts a's 10 minutes.
  const b = h.service.joinGroup(joinRequest('g', '', long), info(3));
  let bAnswer: JoinGroupResponse | null = null;
  void b.then((r) => { bAnswer = r; });
  await settle();
  const group = h.group('g')!;
  assert.equal(group.state, 'PreparingRebalance');
  const bId = [...group.members.keys()].find((id) => id !== ja.memberId)!;
  for (let t = 0; t < 99; t++) {
    h.clock.advance(3000);
    assert.equal((await heartbeat(h, 'g', ja.memberId, 1)).errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
  }
  await settle();
  assert.equal(bAnswer, null, 'still parked at 297 s');
  assert.ok(group.members.has(bId));
  h.clock.advance(3000);
  await settle();
  assert.deepEqual(bAnswer && [(bAnswer as JoinGroupResponse).errorCode, (bAnswer as JoinGroupResponse).memberId], [ErrorCode.UNKNOWN_MEMBER_ID, '']);
  assert.equal(group.members.has(bId), false, 'the new member is gone');
  assert.equal(group.state, 'PreparingRebalance', 'a has still not rejoined');
  // Once a member completed a join phase, the session timeout applies again.
  const rejoin = await h.service.joinGroup(joinRequest('g', ja.memberId, long), info(3));
  assert.equal(rejoin.generationId, 2);
  assert.equal(rejoin.members.length, 1);
  h.close();
});

test('a group loaded over group.max.size rebalances; members beyond the limit get GROUP_MAX_SIZE_REACHED and are removed', async () => {
  const h = await harness();
  const joins = [0, 1, 2].map((i) => h.service.joinGroup(joinRequest('g', '', { rebalanceTimeoutMs: 20000 }), info(3, `c${i}`)));
  h.clock.advance(0);
  const js = await Promise.all(joins);
  const leader = js.find((j) => j.members.length > 0)!;
  await syncLeader(h, 'g', leader, js.map((j) => j.memberId));
  h.close();

  const r = await reloaded(h, { groupMaxSize: 2 });
  const group = r.group('g')!;
  assert.equal(group.members.size, 3);
  assert.equal(group.state, 'PreparingRebalance', 'over capacity on load: rebalance');
  const rejoin = (j: JoinGroupResponse) => r.service.joinGroup(joinRequest('g', j.memberId, { rebalanceTimeoutMs: 20000 }), info(3));
  const first = rejoin(js[0]!);
  const second = rejoin(js[1]!);
  const third = await rejoin(js[2]!);
  assert.equal(third.errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED);
  assert.equal(third.memberId, '');
  assert.equal(group.members.has(js[2]!.memberId), false, 'the member over the limit is removed');
  r.clock.advance(20000);
  const [j0, j1] = await Promise.all([first, second]);
  assert.equal(j0.errorCode, ErrorCode.NONE);
  assert.equal(j0.generationId, 2);
  assert.equal(j1.generationId, 2);
  assert.equal(group.members.size, 2);
  r.close();
});

test('group.max.size: Stable/CompletingRebalance count members, PreparingRebalance counts members awaiting join', async () => {
  const h = await harness({ groupMaxSize: 1 });
  const a = h.service.joinGroup(joinRequest('g', '', { rebalanceTimeoutMs: 20000 }), info(3));
  h.clock.advance(0);
  const ja = await a;
  await syncLeader(h, 'g', ja, [ja.memberId]);
  // A new member is refused while the group is full.
  const full = await h.service.joinGroup(joinRequest('g', ''), info(3));
  assert.deepEqual([full.errorCode, full.memberId], [ErrorCode.GROUP_MAX_SIZE_REACHED, '']);
  // The existing member rejoins: accepted (it is a member), and the rebalance completes.
  const again = await h.service.joinGroup(joinRequest('g', ja.memberId, { rebalanceTimeoutMs: 20000 }), info(3));
  assert.equal(again.errorCode, ErrorCode.NONE);
  assert.equal(again.generationId, 2);
  h.close();
});

test('a static member that misses the join phase stays in the group (only dynamic members are dropped)', async () => {
  const h = await harness();
  const s = h.service.joinGroup(joinRequest('g', '', { groupInstanceId: 'static-1', sessionTimeoutMs: 60000, rebalanceTimeoutMs: 10000 }), info(5));
  const d = h.service.joinGroup(joinRequest('g', '', { rebalanceTimeoutMs: 10000, sessionTimeoutMs: 60000 }), info(3));
  h.clock.advance(0);
  const [js, jd] = await Promise.all([s, d]);
  const leader = js.members.length > 0 ? js : jd;
  await syncLeader(h, 'g', leader, [js.memberId, jd.memberId]);
  const other = leader === js ? jd : js;
  await h.service.syncGroup({ groupId: 'g', generationId: 1, memberId: other.memberId, groupInstanceId: other === js ? 'static-1' : null, protocolType: null, protocolName: null, assignments: [] }, info(5));
  // The dynamic member rejoins with a new subscription (a rebalance), the static one does not.
  const rejoin = h.service.joinGroup(joinRequest('g', jd.memberId, {
    rebalanceTimeoutMs: 10000, sessionTimeoutMs: 60000, protocols: [{ name: 'range', metadata: subscription(['t', 'u']) }],
  }), info(3));
  await settle();
  h.clock.advance(10000);
  const r = await rejoin;
  assert.equal(r.errorCode, ErrorCode.NONE);
  assert.equal(r.generationId, 2);
  assert.equal(r.leader, jd.memberId, 'the leader is a member that rejoined');
  const group = h.group('g')!;
  assert.ok(group.members.has(js.memberId), 'the static member is still a member');
  assert.equal(r.members.length, 2, 'and the leader assigns to it');
  h.close();
});

test('static member replacement before v9 answers the old leader id and no members (Kafka), and keeps the assignment', async () => {
  const h = await harness();
  const s = h.service.joinGroup(joinRequest('g', '', { groupInstanceId: 'i-1' }), info(5));
  h.clock.advance(0);
  const j1 = await s;
  await syncLeader(h, 'g', j1, [j1.memberId]);
  const j2 = await h.service.joinGroup(joinRequest('g', '', { groupInstanceId: 'i-1' }), info(7));
  assert.equal(j2.errorCode, ErrorCode.NONE);
  assert.notEqual(j2.memberId, j1.memberId);
  assert.equal(j2.leader, j1.memberId, 'the leader as it was before the replacement');
  assert.deepEqual(j2.members, []);
  assert.equal(j2.skipAssignment, false);
  const group = h.group('g')!;
  assert.equal(group.leaderId, j2.memberId, 'the group itself follows the new id');
  assert.equal(group.members.get(j2.memberId)!.assignment.toString(), j1.memberId);
  assert.deepEqual(durableState(await replayed(h)), durableState(h.service));
  h.close();
});

test('a member cannot rejoin with protocols no current member (itself included) supports: INCONSISTENT_GROUP_PROTOCOL', async () => {
  const h = await harness();
  const a = h.service.joinGroup(joinRequest('g', ''), info(3));
  h.clock.advance(0);
  const ja = await a;
  await syncLeader(h, 'g', ja, [ja.memberId]);
  const switched = await h.service.joinGroup(joinRequest('g', ja.memberId, { protocols: [{ name: 'roundrobin', metadata: Buffer.alloc(0) }] }), info(5));
  assert.equal(switched.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  assert.equal(h.group('g')!.state, 'Stable');
  // Adding a protocol while keeping a shared one is fine.
  const both = h.service.joinGroup(joinRequest('g', ja.memberId, {
    protocols: [{ name: 'roundrobin', metadata: Buffer.alloc(0) }, { name: 'range', metadata: Buffer.alloc(0) }],
  }), info(5));
  h.clock.advance(0);
  assert.equal((await both).errorCode, ErrorCode.NONE);
  h.close();
});

test('the first wait of a new group is the full group.initial.rebalance.delay.ms even with a shorter rebalance timeout', async () => {
  const h = await harness({ groupInitialRebalanceDelayMs: 3000 });
  const a = h.service.joinGroup(joinRequest('g', '', { rebalanceTimeoutMs: 1000 }), info(3));
  await settle();
  h.clock.advance(1000);
  await settle();
  assert.equal(h.group('g')!.state, 'PreparingRebalance');
  h.clock.advance(2000);
  const ja = await a;
  assert.equal(ja.errorCode, ErrorCode.NONE);
  assert.equal(ja.generationId, 1);
  h.close();
});
