/**
 * Committed offsets and the admin APIs: OffsetCommit validation and durability, OffsetFetch,
 * OffsetDelete, DeleteGroups, DescribeGroups/ListGroups, retention — with the records written
 * and replay reproducing the state.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { OffsetCommitRequest } from '../../src/protocol/messages/offset-commit.js';
import { decodeGroupRecord, encodeGroupRecord, javaStringHashCode, offsetCommitRecord, partitionForGroup } from '../../src/coordinator/group/records.js';
import { committedOffset, durableState, harness, info, joinRequest, replayed, settle, subscription, type Harness } from './harness.js';

function commit(groupId: string, offsets: [string, number, number][], extra: Partial<OffsetCommitRequest> = {}): OffsetCommitRequest {
  const topics = new Map<string, { partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; commitTimestamp: number; committedMetadata: string | null }[]>();
  for (const [t, p, o] of offsets) {
    if (!topics.has(t)) topics.set(t, []);
    topics.get(t)!.push({ partitionIndex: p, committedOffset: o, committedLeaderEpoch: 3, commitTimestamp: -1, committedMetadata: `m${o}` });
  }
  return {
    groupId, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1,
    topics: [...topics].map(([name, partitions]) => ({ name, partitions })), ...extra,
  };
}

const codes = (r: { topics: { partitions: { errorCode: number }[] }[] }) => r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode));

/** OffsetFetch of one group, through the group's queue. */
const fetchOffsets = async (h: Harness, groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null) =>
  (await h.service.fetchOffsets(groupId, topics)).topics;
const describeGroup = async (h: Harness, groupId: string) => (await h.service.describeGroups([groupId]))[0]!;
const listGroups = async (h: Harness, states: string[], types: string[]) => (await h.service.listGroups(states, types)).groups;

async function stableGroup(h: Harness, groupId: string, topics: string[]): Promise<{ memberId: string; generationId: number }> {
  const join = h.service.joinGroup(joinRequest(groupId, '', { protocols: [{ name: 'range', metadata: subscription(topics) }] }), info(3));
  h.clock.advance(0);
  const j = await join;
  const s = await h.service.syncGroup({ groupId, generationId: j.generationId, memberId: j.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] }, info(3));
  assert.equal(s.errorCode, ErrorCode.NONE);
  return { memberId: j.memberId, generationId: j.generationId };
}

test('standalone commits create a simple group; offsets and metadata round-trip; replay agrees', async () => {
  const h = await harness();
  const r = await h.service.commitOffsets(commit('simple', [['t', 0, 10], ['t', 1, 20], ['u', 0, 5]]), info(8));
  assert.deepEqual(codes(r), [0, 0, 0]);
  assert.equal(h.log.records().length, 3);
  assert.ok(h.log.batches.every((b) => b.partition === partitionForGroup('simple', 5)));
  const fetched = await fetchOffsets(h, 'simple', [{ name: 't', partitionIndexes: [0, 1, 2] }]);
  assert.deepEqual(fetched[0]!.partitions.map((p) => [p.committedOffset, p.committedLeaderEpoch, p.metadata]), [[10, 3, 'm10'], [20, 3, 'm20'], [-1, -1, '']]);
  const all = await fetchOffsets(h, 'simple', null);
  assert.deepEqual(all.map((t) => [t.name, t.partitions.map((p) => p.committedOffset)]), [['t', [10, 20]], ['u', [5]]]);
  assert.deepEqual(await fetchOffsets(h, 'nobody', null), []);
  assert.deepEqual(await listGroups(h, [], []), [{ groupId: 'simple', protocolType: '', groupState: 'Empty', groupType: 'classic' }]);
  assert.deepEqual(durableState(await replayed(h)), durableState(h.service));
  h.close();
});

test('commit validation: generation, member, unknown group by version, metadata size', async () => {
  const h = await harness({ offsetMetadataMaxBytes: 4 });
  const run = (req: OffsetCommitRequest, v = 8) => h.service.commitOffsets(req, info(v));
  assert.deepEqual(codes(await run(commit('ghost', [['t', 0, 1]], { generationIdOrMemberEpoch: 3, memberId: 'm' }))), [ErrorCode.ILLEGAL_GENERATION]);
  assert.deepEqual(codes(await run(commit('ghost', [['t', 0, 1]], { generationIdOrMemberEpoch: 3, memberId: 'm' }), 9)), [ErrorCode.GROUP_ID_NOT_FOUND]);
  const { memberId, generationId } = await stableGroup(h, 'g', ['t']);
  assert.deepEqual(codes(await run(commit('g', [['t', 0, 1]], { generationIdOrMemberEpoch: generationId + 1, memberId }))), [ErrorCode.ILLEGAL_GENERATION]);
  assert.deepEqual(codes(await run(commit('g', [['t', 0, 1]], { generationIdOrMemberEpoch: generationId, memberId: 'who' }))), [ErrorCode.UNKNOWN_MEMBER_ID]);
  assert.deepEqual(codes(await run(commit('g', [['t', 0, 1]]))), [ErrorCode.UNKNOWN_MEMBER_ID], 'standalone commits need an empty group');
  const big = commit('g', [['t', 0, 1], ['t', 1, 12345]], { generationIdOrMemberEpoch: generationId, memberId });
  assert.deepEqual(codes(await run(big)), [ErrorCode.NONE, ErrorCode.OFFSET_METADATA_TOO_LARGE]);
  assert.deepEqual((await fetchOffsets(h, 'g', [{ name: 't', partitionIndexes: [0, 1] }]))[0]!.partitions.map((p) => p.committedOffset), [1, -1]);
  h.close();
});

test('offsets become visible only once durable; a failed write answers COORDINATOR_NOT_AVAILABLE', async () => {
  const h = await harness();
  h.log.failNext = 1;
  const r = await h.service.commitOffsets(commit('g', [['t', 0, 7]]), info(8));
  assert.deepEqual(codes(r), [ErrorCode.COORDINATOR_NOT_AVAILABLE]);
  assert.equal(await committedOffset(h, 'g', 't', 0), -1);
  // A fetch sent while a commit is being written waits for that write: it answers the new
  // offset once durable, and the old one if the write fails; never an offset not on disk.
  for (const [fails, expected] of [[false, 8], [true, 8]] as const) {
    h.log.hold();
    if (fails) h.log.failNext = 1;
    const pending = h.service.commitOffsets(commit('g', [['t', 0, fails ? 9 : 8]]), info(8));
    let fetched: number | null = null;
    const fetch = committedOffset(h, 'g', 't', 0).then((o) => { fetched = o; });
    await settle();
    assert.equal(fetched, null, 'not answered before the write settles');
    h.log.release();
    assert.deepEqual(codes(await pending), [fails ? ErrorCode.COORDINATOR_NOT_AVAILABLE : ErrorCode.NONE]);
    await fetch;
    assert.equal(fetched, expected);
  }
  assert.deepEqual(durableState(await replayed(h)), durableState(h.service));
  h.close();
});

test('OffsetDelete: GROUP_SUBSCRIBED_TO_TOPIC while consumed, tombstones otherwise; unknown group', async () => {
  const h = await harness();
  const { memberId, generationId } = await stableGroup(h, 'g', ['t']);
  await h.service.commitOffsets(commit('g', [['t', 0, 1], ['old', 0, 2]], { generationIdOrMemberEpoch: generationId, memberId }), info(8));
  const r = await h.service.deleteOffsets({ groupId: 'g', topics: [{ name: 't', partitions: [{ partitionIndex: 0 }] }, { name: 'old', partitions: [{ partitionIndex: 0 }] }] });
  assert.equal(r.errorCode, ErrorCode.NONE);
  assert.deepEqual(codes(r), [ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, ErrorCode.NONE]);
  assert.deepEqual((await fetchOffsets(h, 'g', null)).map((t) => t.name), ['t']);
  const last = h.log.decoded().at(-1)!;
  assert.equal(last.type === 'offset' && last.value === null && last.key.topic, 'old');
  assert.equal((await h.service.deleteOffsets({ groupId: 'nope', topics: [] })).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  assert.deepEqual(durableState(await replayed(h)), durableState(h.service));
  h.close();
});

test('DeleteGroups: NON_EMPTY_GROUP, GROUP_ID_NOT_FOUND, and a deleted group is gone after replay', async () => {
  const h = await harness();
  await stableGroup(h, 'busy', ['t']);
  await h.service.commitOffsets(commit('idle', [['t', 0, 4]]), info(8));
  const r = await h.service.deleteGroups(['busy', 'idle', 'missing', 'idle']);
  assert.deepEqual(r.results.map((x) => [x.groupId, x.errorCode]), [
    ['busy', ErrorCode.NON_EMPTY_GROUP], ['idle', ErrorCode.NONE], ['missing', ErrorCode.GROUP_ID_NOT_FOUND], ['idle', ErrorCode.GROUP_ID_NOT_FOUND],
  ]);
  assert.equal(h.group('idle'), undefined);
  assert.equal((await describeGroup(h, 'idle')).groupState, 'Dead');
  const re = await replayed(h);
  assert.equal(re.shardFor('idle')!.groups.has('idle'), false);
  assert.deepEqual(durableState(re), durableState(h.service));
  h.close();
});

test('DescribeGroups reports members with metadata and assignment when Stable; ListGroups filters', async () => {
  const h = await harness();
  const { memberId } = await stableGroup(h, 'g', ['t']);
  const d = await describeGroup(h, 'g');
  assert.equal(d.groupState, 'Stable');
  assert.equal(d.protocolType, 'consumer');
  assert.equal(d.protocolData, 'range');
  assert.equal(d.members[0]!.memberId, memberId);
  assert.equal(d.members[0]!.clientHost, '/127.0.0.1');
  assert.deepEqual(d.members[0]!.memberMetadata, subscription(['t']));
  await h.service.commitOffsets(commit('s', [['t', 0, 1]]), info(8));
  assert.deepEqual((await listGroups(h, ['STABLE'], [])).map((g) => g.groupId), ['g']);
  assert.deepEqual((await listGroups(h, ['empty'], ['Classic'])).map((g) => g.groupId), ['s']);
  assert.deepEqual(await listGroups(h, [], ['consumer']), []);
  h.close();
});

test('offsets expire after offsets.retention.minutes; an empty group without offsets is deleted', async () => {
  const h = await harness({ offsetsRetentionMs: 60_000, offsetsRetentionCheckIntervalMs: 10_000 });
  await h.service.commitOffsets(commit('old', [['t', 0, 1]]), info(8));
  h.clock.advance(30_000);
  await h.service.commitOffsets(commit('young', [['t', 0, 1]]), info(8));
  await h.service.commitOffsets(commit('explicit', [['t', 0, 1]], { retentionTimeMs: 5_000 }), info(2));
  h.clock.advance(10_000);
  await settle();
  assert.equal(h.group('explicit'), undefined, 'an explicit retention wins');
  h.clock.advance(20_000);
  await settle();
  assert.equal(h.group('old'), undefined);
  assert.notEqual(h.group('young'), undefined);
  const written = h.log.decoded();
  assert.ok(written.some((r) => r.type === 'offset' && r.key.group === 'old' && r.value === null));
  assert.ok(written.some((r) => r.type === 'group' && r.key.group === 'old' && r.value === null));
  assert.deepEqual(durableState(await replayed(h)), durableState(h.service));
  h.close();
});

test('records use Kafka formats; partitions follow Java String.hashCode', () => {
  assert.equal(javaStringHashCode('hello'), 99162322);
  assert.equal(partitionForGroup('hello', 50), 22);
  assert.equal(javaStringHashCode('polygenelubricants'), -2147483648);
  assert.equal(partitionForGroup('polygenelubricants', 50), 0);
  const r = encodeGroupRecord(offsetCommitRecord({ group: 'g', topic: 't', partition: 2 }, { offset: 9, leaderEpoch: -1, metadata: '', commitTimestamp: 5, expireTimestamp: -1 }));
  // key v1: version, group, topic, partition
  assert.deepEqual(r.key, Buffer.from([0, 1, 0, 1, 0x67, 0, 1, 0x74, 0, 0, 0, 2]));
  assert.equal(r.value!.readInt16BE(0), 3, 'value v3 without an explicit expiry');
  assert.deepEqual(decodeGroupRecord(r.key, r.value), { type: 'offset', key: { group: 'g', topic: 't', partition: 2 }, value: { offset: 9, leaderEpoch: -1, metadata: '', commitTimestamp: 5, expireTimestamp: -1 } });
  const withExpiry = encodeGroupRecord(offsetCommitRecord({ group: 'g', topic: 't', partition: 2 }, { offset: 9, leaderEpoch: -1, metadata: '', commitTimestamp: 5, expireTimestamp: 6 }));
  assert.equal(withExpiry.value!.readInt16BE(0), 1);
  assert.equal(decodeGroupRecord(Buffer.from([0, 9, 0, 0]), null), null, 'unknown key versions are skipped');
});
