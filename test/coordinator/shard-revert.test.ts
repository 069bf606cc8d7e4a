/**
 * A group coordinator shard loaded from a record stream runs a series of operations, some of
 * whose writes fail. Each failure must leave the shard exactly as it was before that operation,
 * and at the end the shard must equal a fresh replay of what was written: a canonical dump of
 * everything a shard holds (groups with every field, members, static ids, offsets) is compared.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { OffsetCommitRequest } from '../../src/protocol/messages/offset-commit.js';
import type { GroupCoordinatorShard } from '../../src/coordinator/group/group-coordinator-shard.js';
import { harness, info, joinRequest, reloaded, type Harness } from './harness.js';

function commit(groupId: string, offsets: [string, number, number][], extra: Partial<OffsetCommitRequest> = {}): OffsetCommitRequest {
  return {
    groupId, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1,
    topics: offsets.map(([name, partitionIndex, committedOffset]) => ({
      name, partitions: [{ partitionIndex, committedOffset, committedLeaderEpoch: 1, commitTimestamp: -1, committedMetadata: `m${committedOffset}` }],
    })),
    ...extra,
  };
}

/** Everything the shard holds, in a canonical order. */
function canonicalDump(shard: GroupCoordinatorShard): unknown {
  const byId = <T>(a: [string, T], b: [string, T]) => a[0].localeCompare(b[0]);
  return {
    groups: [...shard.groups.entries()].sort(byId).map(([id, g]) => ({
      id, state: g.state, currentStateTimestamp: g.currentStateTimestamp, generationId: g.generationId,
      protocolType: g.protocolType, protocolName: g.protocolName, leaderId: g.leaderId,
      staticMembers: [...g.staticMembers.entries()].sort(byId),
      pendingMembers: [...g.pendingMembers].sort(),
      members: [...g.members.entries()].sort(byId).map(([memberId, m]) => ({
        memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs, sessionTimeoutMs: m.sessionTimeoutMs, protocolType: m.protocolType,
        protocols: m.protocols.map((p) => [p.name, p.metadata.toString('hex')]), assignment: m.assignment.toString('hex'),
      })),
    })),
    offsets: shard.offsets.groupIds().sort().map((id) => [id, shard.offsets.list(id)]),
  };
}

const codes = (r: { topics: { partitions: { errorCode: number }[] }[] }) => r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode));

/** Builds a record stream on one partition: a Stable static group with offsets, an Empty group, simple groups. */
async function recordStream(): Promise<{ h: Harness; member: { memberId: string; generationId: number } }> {
  const h = await harness({ offsetsTopicNumPartitions: 1 });
  const join = h.service.joinGroup(joinRequest('a', '', { groupInstanceId: 'a-1' }), info(5));
  h.clock.advance(0);
  const j = await join;
  await h.service.syncGroup({ groupId: 'a', generationId: j.generationId, memberId: j.memberId, groupInstanceId: 'a-1', protocolType: null, protocolName: null, assignments: [{ memberId: j.memberId, assignment: Buffer.from('A') }] }, info(5));
  await h.service.commitOffsets(commit('a', [['t', 0, 100]], { generationIdOrMemberEpoch: j.generationId, memberId: j.memberId, groupInstanceId: 'a-1' }), info(8));
  const e = h.service.joinGroup(joinRequest('e', ''), info(3));
  h.clock.advance(0);
  const je = await e;
  await h.service.syncGroup({ groupId: 'e', generationId: je.generationId, memberId: je.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] }, info(3));
  await h.service.leaveGroup({ groupId: 'e', memberId: je.memberId, members: [] }, info(1));
  for (const [id, offsets] of [['e', [['t', 0, 7], ['t', 1, 8]]], ['s1', [['t', 0, 1], ['u', 1, 2]]], ['s2', [['u', 0, 9]]]] as const) {
    assert.deepEqual(codes(await h.service.commitOffsets(commit(id, offsets.map((o) => [...o])), info(8))), offsets.map(() => ErrorCode.NONE));
  }
  h.close();
  return { h, member: { memberId: j.memberId, generationId: j.generationId } };
}

test('a shard that reverts failed writes ends in exactly the state of a fresh replay of the successful records', async () => {
  const { h: stream, member } = await recordStream();
  const live = await reloaded(stream);
  const shard = live.shard('a');
  const before = live.log.batches.length;

  // Each step: an operation and whether its write fails.
  const steps: { what: string; fails: boolean; run: () => Promise<unknown> }[] = [
    { what: 'commit to a new simple group', fails: false, run: () => live.service.commitOffsets(commit('s3', [['t', 0, 5]]), info(8)) },
    { what: 'overwrite and add offsets of a simple group', fails: false, run: () => live.service.commitOffsets(commit('s1', [['t', 0, 11], ['v', 0, 3]]), info(8)) },
    { what: 'delete two groups with their offsets', fails: true, run: () => live.service.deleteGroups(['s1', 'e']) },
    { what: 'commit to a new simple group', fails: true, run: () => live.service.commitOffsets(commit('s4', [['t', 0, 1], ['t', 1, 2]]), info(8)) },
    { what: 'delete one offset of the Empty group', fails: false, run: () => live.service.deleteOffsets({ groupId: 'e', topics: [{ name: 't', partitions: [{ partitionIndex: 0 }] }] }) },
    { what: 'delete every offset of the topic u', fails: true, run: () => live.service.onTopicsDeleted(['u']) },
    { what: 'delete the last offset of a simple group (the group goes)', fails: true, run: () => live.service.deleteOffsets({ groupId: 's2', topics: [{ name: 'u', partitions: [{ partitionIndex: 0 }] }] }) },
    { what: 'the Stable member commits', fails: true, run: () => live.service.commitOffsets(commit('a', [['t', 0, 200]], { ...member, generationIdOrMemberEpoch: member.generationId, groupInstanceId: 'a-1' }), info(8)) },
    { what: 'the Stable member commits', fails: false, run: () => live.service.commitOffsets(commit('a', [['t', 0, 201]], { ...member, generationIdOrMemberEpoch: member.generationId, groupInstanceId: 'a-1' }), info(8)) },
    { what: 'delete two groups with their offsets', fails: false, run: () => live.service.deleteGroups(['s2', 'e']) },
  ];
  let written = 0;
  for (const step of steps) {
    const dumpBefore = canonicalDump(shard);
    const batches = live.log.batches.length;
    if (step.fails) live.log.failNext = 1;
    await step.run();
    assert.equal(live.log.failNext, 0, `${step.what}: it wrote`);
    if (step.fails) {
      assert.deepEqual(canonicalDump(shard), dumpBefore, `${step.what}: a failed write leaves exactly the state before it`);
      assert.equal(live.log.batches.length, batches);
    } else {
      assert.notDeepEqual(canonicalDump(shard), dumpBefore, `${step.what}: changed the state`);
      written++;
    }
  }
  assert.equal(live.log.batches.length, before + written);
  const fresh = await reloaded(live);
  assert.deepEqual(canonicalDump(shard), canonicalDump(fresh.shard('a')), 'the same state as a fresh replay of everything written');
  // And the state is what the successful operations say.
  assert.deepEqual([...shard.groups.keys()].sort(), ['a', 's1', 's3']);
  assert.deepEqual(shard.offsets.list('s1').map((o) => [o.topic, o.partition, o.offset.offset]), [['t', 0, 11], ['u', 1, 2], ['v', 0, 3]]);
  assert.equal(shard.offsets.get('a', 't', 0)!.offset, 201);
  live.close();
  fresh.close();
});
