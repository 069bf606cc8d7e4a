/**
 * The classic group protocol, request by request: JoinGroup/SyncGroup/Heartbeat/LeaveGroup,
 * the records they write, timers on a ManualClock, and replay reproducing the durable state.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { JoinGroupResponse } from '../../src/protocol/messages/join-group.js';
import { durableState, harness, info, joinRequest, replayed, settle, subscription, type Harness } from './harness.js';

/** Joins a new dynamic member with the v5 two-step (MEMBER_ID_REQUIRED) handshake; returns its pending join. */
async function joinNew(h: Harness, groupId: string, extra: Parameters<typeof joinRequest>[2] = {}, clientId = 'client'): Promise<{ memberId: string; join: Promise<JoinGroupResponse> }> {
  const first = await h.service.joinGroup(joinRequest(groupId, '', extra), info(5, clientId));
  assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  assert.match(first.memberId, new RegExp(`^${clientId}-[0-9a-f-]{36}$`));
  return { memberId: first.memberId, join: h.service.joinGroup(joinRequest(groupId, first.memberId, extra), info(5, clientId)) };
}

async function syncAll(h: Harness, groupId: string, generationId: number, leader: string, members: string[]): Promise<Map<string, Buffer>> {
  const syncs = members.filter((m) => m !== leader).map((m) => h.service.syncGroup(
    { groupId, generationId, memberId: m, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [] }, info(5)));
  const leaderSync = h.service.syncGroup({
    groupId, generationId, memberId: leader, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range',
    assignments: members.map((m) => ({ memberId: m, assignment: Buffer.from(`assignment-of-${m}`) })),
  }, info(5));
  const out = new Map<string, Buffer>();
  const all = await Promise.all([leaderSync, ...syncs]);
  const order = [leader, ...members.filter((m) => m !== leader)];
  all.forEach((r, i) => {
    assert.equal(r.errorCode, ErrorCode.NONE);
    out.set(order[i]!, r.assignment);
  });
  return out;
}

test('two members join, the leader assigns, both get their assignment; replay gives the same state', async () => {
  const h = await harness({ groupInitialRebalanceDelayMs: 100 });
  const a = await joinNew(h, 'g', {}, 'alice');
  const b = await joinNew(h, 'g', {}, 'bob');
  assert.equal(h.group('g')!.state, 'PreparingRebalance');
  h.clock.advance(100);
  await settle();
  assert.equal(h.group('g')!.state, 'PreparingRebalance', 'a member arrived during the delay: it is extended');
  h.clock.advance(100);
  const [ja, jb] = await Promise.all([a.join, b.join]);
  assert.equal(ja.errorCode, ErrorCode.NONE);
  assert.equal(ja.generationId, 1);
  assert.equal(jb.generationId, 1);
  assert.equal(ja.leader, a.memberId, 'the first member to join leads');
  assert.equal(ja.protocolName, 'range');
  assert.equal(ja.members.length, 2, 'the leader sees every member');
  assert.equal(jb.members.length, 0, 'followers see none');
  assert.equal(h.group('g')!.state, 'CompletingRebalance');
  assert.equal(h.log.records().length, 0, 'nothing is written before the leader syncs');

  const assignments = await syncAll(h, 'g', 1, a.memberId, [a.memberId, b.memberId]);
  assert.equal(assignments.get(b.memberId)!.toString(), `assignment-of-${b.memberId}`);
  assert.equal(h.group('g')!.state, 'Stable');
  const written = h.log.decoded();
  assert.equal(written.length, 1);
  assert.equal(written[0]!.type, 'group');
  assert.equal(h.log.batches[0]!.partition, h.service.partitionFor('g'));

  const hb = await h.service.heartbeat({ groupId: 'g', generationId: 1, memberId: b.memberId, groupInstanceId: null }, info(4));
  assert.equal(hb.errorCode, ErrorCode.NONE);
  assert.deepEqual(durableState(await replayed(h)), durableState(h.service));
  h.close();
});

test('JoinGroup validation: group id, session timeout, unknown member, protocol, group size', async () => {
  let h = await harness();
  let join = (req: ReturnType<typeof joinRequest>, v = 5) => h.service.joinGroup(req, info(v));
  assert.equal((await join(joinRequest('', ''))).errorCode, ErrorCode.INVALID_GROUP_ID);
  assert.equal((await join(joinRequest('g', '', { sessionTimeoutMs: 10 }))).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
  assert.equal((await join(joinRequest('g', '', { sessionTimeoutMs: 3_600_000 }))).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
  assert.equal((await join(joinRequest('g', 'nobody'))).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(h.group('g'), undefined, 'failed joins leave no group behind');
  assert.equal((await join(joinRequest('g', '', { protocolType: '' }))).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  // v3 (no KIP-394): the member is added straight away.
  const first = join(joinRequest('g', ''), 3);
  h.clock.advance(0);
  await settle();
  const other = await join(joinRequest('g', '', { protocolType: 'connect' }));
  assert.equal(other.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  const noCommon = await join(joinRequest('g', '', { protocols: [{ name: 'roundrobin', metadata: Buffer.alloc(0) }] }));
  assert.equal(noCommon.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  assert.equal((await first).errorCode, ErrorCode.NONE);
  h.close();

  h = await harness({ groupMaxSize: 1 });
  join = (req: ReturnType<typeof joinRequest>, v = 5) => h.service.joinGroup(req, info(v));
  const one = join(joinRequest('g', ''), 3);
  h.clock.advance(0);
  assert.equal((await one).errorCode, ErrorCode.NONE);
  const full = await join(joinRequest('g', ''), 3);
  assert.equal(full.errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED);
  h.close();
});

test('protocol selection: only protocols every member supports; members vote by preference', async () => {
  const h = await harness();
  const p = (names: string[]) => names.map((name) => ({ name, metadata: Buffer.from(name) }));
  const a = await joinNew(h, 'g', { protocols: p(['range', 'roundrobin', 'sticky']) });
  const b = await joinNew(h, 'g', { protocols: p(['sticky', 'roundrobin']) });
  const c = await joinNew(h, 'g', { protocols: p(['sticky', 'range', 'roundrobin']) });
  h.clock.advance(0);
  const [ja] = await Promise.all([a.join, b.join, c.join]);
  assert.equal(ja.protocolName, 'sticky');
  assert.deepEqual(ja.members.map((m) => m.metadata.toString()), ['sticky', 'sticky', 'sticky']);
  h.close();
});

test('Heartbeat errors and REBALANCE_IN_PROGRESS when a member joins a Stable group', async () => {
  const h = await harness();
  const a = await joinNew(h, 'g');
  h.clock.advance(0);
  const ja = await a.join;
  await syncAll(h, 'g', ja.generationId, a.memberId, [a.memberId]);
  const hb = (memberId: string, generationId: number, groupId = 'g') => h.service.heartbeat({ groupId, generationId, memberId, groupInstanceId: null }, info(4));
  assert.equal((await hb(a.memberId, 1)).errorCode, ErrorCode.NONE);
  assert.equal((await hb(a.memberId, 7)).errorCode, ErrorCode.ILLEGAL_GENERATION);
  assert.equal((await hb('stranger', 1)).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal((await hb(a.memberId, 1, 'other-group')).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal((await hb(a.memberId, 1, '')).errorCode, ErrorCode.INVALID_GROUP_ID);
  const b = await joinNew(h, 'g');
  await settle();
  assert.equal((await hb(a.memberId, 1)).errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
  const sync = await h.service.syncGroup({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] }, info(3));
  assert.equal(sync.errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
  const rejoin = h.service.joinGroup(joinRequest('g', a.memberId), info(5));
  const [ra, rb] = await Promise.all([rejoin, b.join]);
  assert.equal(ra.generationId, 2);
  assert.equal(rb.generationId, 2);
  h.close();
});

test('a member that stops heartbeating is removed after its session timeout; the group rebalances', async () => {
  const h = await harness();
  const a = await joinNew(h, 'g', { sessionTimeoutMs: 6000, rebalanceTimeoutMs: 20000 });
  const b = await joinNew(h, 'g', { sessionTimeoutMs: 6000, rebalanceTimeoutMs: 20000 });
  h.clock.advance(0);
  const [ja] = await Promise.all([a.join, b.join]);
  await syncAll(h, 'g', ja.generationId, a.memberId, [a.memberId, b.memberId]);
  // a keeps heartbeating, b goes silent.
  for (let t = 0; t < 5; t++) {
    h.clock.advance(2000);
    const r = await h.service.heartbeat({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null }, info(4));
    if (t < 2) assert.equal(r.errorCode, ErrorCode.NONE, `heartbeat ${t}`);
  }
  await settle();
  const group = h.group('g')!;
  assert.equal(group.members.has(b.memberId), false, 'b was evicted');
  assert.equal(group.state, 'PreparingRebalance');
  const rejoin = await h.service.joinGroup(joinRequest('g', a.memberId, { sessionTimeoutMs: 6000 }), info(5));
  assert.equal(rejoin.generationId, 2);
  assert.equal(rejoin.members.length, 1);
  // Now a dies too: with no member left the rebalance completes at once, Empty, and that is written.
  h.clock.advance(5000);
  await settle();
  assert.equal(group.state, 'CompletingRebalance');
  h.clock.advance(2000);
  await settle();
  assert.equal(group.state, 'Empty');
  assert.equal(group.generationId, 3);
  const last = h.log.decoded().at(-1)!;
  assert.equal(last.type, 'group');
  assert.deepEqual(last.type === 'group' ? last.value!.members : null, []);
  assert.deepEqual(durableState(await replayed(h)), durableState(h.service));
  h.close();
});

test('LeaveGroup: v0 single member, v3 batch with per-member errors; the last leave empties the group', async () => {
  const h = await harness();
  const a = await joinNew(h, 'g');
  const b = await joinNew(h, 'g');
  h.clock.advance(0);
  const [ja] = await Promise.all([a.join, b.join]);
  await syncAll(h, 'g', ja.generationId, a.memberId, [a.memberId, b.memberId]);
  const v0 = await h.service.leaveGroup({ groupId: 'g', memberId: 'ghost', members: [] }, info(0));
  assert.equal(v0.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  const v3 = await h.service.leaveGroup({
    groupId: 'g', memberId: '',
    members: [{ memberId: a.memberId, groupInstanceId: null, reason: null }, { memberId: 'ghost', groupInstanceId: null, reason: null }, { memberId: b.memberId, groupInstanceId: null, reason: null }],
  }, info(3));
  assert.equal(v3.errorCode, ErrorCode.NONE);
  assert.deepEqual(v3.members.map((m) => m.errorCode), [ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.NONE]);
  const group = h.group('g')!;
  assert.equal(group.state, 'Empty');
  assert.equal(group.members.size, 0);
  assert.equal((await h.service.leaveGroup({ groupId: 'nope', memberId: 'x', members: [] }, info(1))).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.deepEqual(durableState(await replayed(h)), durableState(h.service));
  h.close();
});

test('static membership: a returning instance replaces its old member id, which is fenced', async () => {
  const h = await harness();
  const first = h.service.joinGroup(joinRequest('g', '', { groupInstanceId: 'i-1' }), info(5));
  h.clock.advance(0);
  const j1 = await first;
  assert.equal(j1.errorCode, ErrorCode.NONE, 'static members need no MEMBER_ID_REQUIRED round trip');
  assert.match(j1.memberId, /^i-1-/);
  await h.service.syncGroup({ groupId: 'g', generationId: 1, memberId: j1.memberId, groupInstanceId: 'i-1', protocolType: null, protocolName: null, assignments: [{ memberId: j1.memberId, assignment: Buffer.from('A') }] }, info(5));
  // The instance restarts: same instance id, no member id, same protocols ⇒ no rebalance.
  const j2 = await h.service.joinGroup(joinRequest('g', '', { groupInstanceId: 'i-1' }), info(9));
  assert.equal(j2.errorCode, ErrorCode.NONE);
  assert.notEqual(j2.memberId, j1.memberId);
  assert.equal(j2.generationId, 1, 'no new generation');
  assert.equal(j2.skipAssignment, true, 'a static leader keeps its assignment (v9)');
  assert.equal(h.group('g')!.state, 'Stable');
  const fenced = await h.service.heartbeat({ groupId: 'g', generationId: 1, memberId: j1.memberId, groupInstanceId: 'i-1' }, info(4));
  assert.equal(fenced.errorCode, ErrorCode.FENCED_INSTANCE_ID);
  const sync = await h.service.syncGroup({ groupId: 'g', generationId: 1, memberId: j2.memberId, groupInstanceId: 'i-1', protocolType: null, protocolName: null, assignments: [] }, info(5));
  assert.equal(sync.assignment.toString(), 'A', 'the assignment carried over');
  const leave = await h.service.leaveGroup({ groupId: 'g', memberId: '', members: [{ memberId: '', groupInstanceId: 'i-1', reason: null }] }, info(4));
  assert.equal(leave.members[0]!.errorCode, ErrorCode.NONE);
  assert.equal(h.group('g')!.state, 'Empty');
  assert.deepEqual(durableState(await replayed(h)), durableState(h.service));
  h.close();
});

test('a member that never sends SyncGroup is removed after the rebalance timeout', async () => {
  const h = await harness();
  const a = await joinNew(h, 'g', { rebalanceTimeoutMs: 8000 });
  const b = await joinNew(h, 'g', { rebalanceTimeoutMs: 8000 });
  h.clock.advance(0);
  const [ja] = await Promise.all([a.join, b.join]);
  const leaderSync = h.service.syncGroup({ groupId: 'g', generationId: ja.generationId, memberId: a.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] }, info(3));
  assert.equal((await leaderSync).errorCode, ErrorCode.NONE);
  h.clock.advance(7999);
  await settle();
  const group = h.group('g')!;
  assert.equal(group.members.size, 2);
  h.clock.advance(1);
  await settle();
  assert.equal(group.members.has(b.memberId), false);
  assert.equal(group.members.has(a.memberId), true);
  assert.equal(group.state, 'PreparingRebalance');
  h.close();
});

test('a failed write of the leader assignment answers COORDINATOR_NOT_AVAILABLE and rebalances', async () => {
  const h = await harness();
  const a = await joinNew(h, 'g');
  h.clock.advance(0);
  const ja = await a.join;
  h.log.failNext = 1;
  const r = await h.service.syncGroup({ groupId: 'g', generationId: ja.generationId, memberId: a.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] }, info(3));
  assert.equal(r.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
  assert.equal(h.group('g')!.state, 'PreparingRebalance');
  h.close();
});

test('a member id handed out with MEMBER_ID_REQUIRED expires unless used; the group does not linger', async () => {
  const h = await harness();
  const first = await h.service.joinGroup(joinRequest('g', '', { sessionTimeoutMs: 6000 }), info(5));
  assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  assert.ok(h.group('g')!.pendingMembers.has(first.memberId));
  h.clock.advance(6000);
  await settle();
  assert.equal(h.group('g'), undefined);
  const late = await h.service.joinGroup(joinRequest('g', first.memberId), info(5));
  assert.equal(late.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  h.close();
});

test('subscription helper encodes what the coordinator parses', () => {
  assert.deepEqual(subscription(['a', 'bc']).subarray(0, 6), Buffer.from([0, 0, 0, 0, 0, 2]));
});
