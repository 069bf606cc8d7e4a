/**
 * Group coordinator shards are loaded and unloaded with the leadership of their
 * `__consumer_offsets` partition: NOT_COORDINATOR for a partition not led here,
 * COORDINATOR_LOAD_IN_PROGRESS while it loads, parked requests answered and timers stopped on
 * unload, and a reload rebuilding the state that was durable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/base/clock.js';
import { silentLogger } from '../../src/base/logger.js';
import { SeededRandom } from '../../src/base/random.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { OffsetCommitRequest } from '../../src/protocol/messages/offset-commit.js';
import { DEFAULT_GROUP_COORDINATOR_CONFIG } from '../../src/coordinator/group/group-config.js';
import { GroupCoordinatorService } from '../../src/coordinator/group/group-coordinator-service.js';
import { durableState, harness, info, joinRequest, MemoryPartitions, replayed, settle } from './harness.js';

const commit = (groupId: string, offset: number): OffsetCommitRequest => ({
  groupId, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1,
  topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }] }],
});

/** The error every group API answers for group `g` of `service`, by API. */
async function errorsFor(service: GroupCoordinatorService): Promise<Record<string, number>> {
  const syncReq = { groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] };
  return {
    join: (await service.joinGroup(joinRequest('g', ''), info(5))).errorCode,
    sync: (await service.syncGroup(syncReq, info(5))).errorCode,
    heartbeat: (await service.heartbeat({ groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null }, info(4))).errorCode,
    leave: (await service.leaveGroup({ groupId: 'g', memberId: 'm', members: [] }, info(1))).errorCode,
    commit: (await service.commitOffsets(commit('g', 1), info(8))).topics[0]!.partitions[0]!.errorCode,
    fetch: (await service.fetchOffsets('g', null)).errorCode,
    deleteOffsets: (await service.deleteOffsets({ groupId: 'g', topics: [] })).errorCode,
    describe: (await service.describeGroups(['g']))[0]!.errorCode,
    deleteGroups: (await service.deleteGroups(['g'])).results[0]!.errorCode,
  };
}

const all = (code: number) => ({ join: code, sync: code, heartbeat: code, leave: code, commit: code, fetch: code, deleteOffsets: code, describe: code, deleteGroups: code });

test('a partition not elected answers NOT_COORDINATOR; while it loads, COORDINATOR_LOAD_IN_PROGRESS', async () => {
  const log = new MemoryPartitions();
  const config = { ...DEFAULT_GROUP_COORDINATOR_CONFIG, groupInitialRebalanceDelayMs: 0, offsetsTopicNumPartitions: 3 };
  const service = new GroupCoordinatorService({ config, clock: new ManualClock(), random: new SeededRandom(1), logger: silentLogger, writer: log, loader: log });
  const p = service.partitionFor('g');
  assert.deepEqual(await errorsFor(service), all(ErrorCode.NOT_COORDINATOR));
  assert.deepEqual(await service.listGroups([], []), { errorCode: ErrorCode.NONE, groups: [] }, 'ListGroups skips partitions not led here');

  log.holdLoads();
  service.onElection(p, 0);
  assert.deepEqual(await errorsFor(service), all(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS));
  assert.deepEqual(await service.listGroups([], []), { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, groups: [] });
  log.releaseLoads();
  assert.equal(await service.runtime.awaitLoaded(p), true);
  assert.equal((await service.commitOffsets(commit('g', 1), info(8))).topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
  assert.equal(log.batches.length, 1);
  assert.equal(log.batches[0]!.partition, p, 'written to the group\'s partition');
  service.close();
});

test('unload answers parked requests and queued operations NOT_COORDINATOR and stops timers; a reload rebuilds the durable state', async () => {
  const h = await harness({ offsetsRetentionMs: 60_000, offsetsRetentionCheckIntervalMs: 10_000 });
  const p = h.service.partitionFor('g');
  // g: Stable with member a (session 10 s); b joins and is parked while a has not rejoined.
  const ja = h.service.joinGroup(joinRequest('g', '', { sessionTimeoutMs: 10_000 }), info(3));
  h.clock.advance(0);
  const a = await ja;
  await h.service.syncGroup({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] }, info(3));
  const committed = await h.service.commitOffsets({ ...commit('g', 5), generationIdOrMemberEpoch: 1, memberId: a.memberId }, info(8));
  assert.equal(committed.topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
  const parked = h.service.joinGroup(joinRequest('g', '', { sessionTimeoutMs: 10_000 }), info(3));
  await settle();
  assert.equal(h.group('g')!.state, 'PreparingRebalance');
  const durableBefore = durableState(await replayed(h));
  h.log.hold();
  const inFlight = h.service.commitOffsets({ ...commit('g', 6), generationIdOrMemberEpoch: 1, memberId: a.memberId }, info(8));
  const queued = h.service.fetchOffsets('g', null);
  await settle();

  h.service.onResignation(p, 1);
  assert.equal((await parked).errorCode, ErrorCode.NOT_COORDINATOR, 'a parked JoinGroup learns the coordinator moved');
  assert.equal((await queued).errorCode, ErrorCode.NOT_COORDINATOR);
  h.log.failNext = 1;
  h.log.release();
  assert.equal((await inFlight).topics[0]!.partitions[0]!.errorCode, ErrorCode.NOT_COORDINATOR);
  const batches = h.log.batches.length;
  h.clock.advance(120_000);
  await settle();
  assert.equal(h.log.batches.length, batches, 'no timer of the unloaded shard ran (session expiry, offset retention)');
  assert.equal((await h.service.heartbeat({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null }, info(4))).errorCode, ErrorCode.NOT_COORDINATOR);

  h.service.onElection(p, 0);
  assert.equal(h.service.runtime.isActive(p), false, 'an election older than the resignation is ignored');
  h.service.onElection(p, 2);
  assert.equal(await h.service.runtime.awaitLoaded(p), true);
  assert.deepEqual(durableState(h.service), durableBefore, 'the reload rebuilds what was durable');
  assert.equal(h.group('g')!.state, 'Stable');
  // The reloaded shard's timers run: a did not heartbeat, so its session expires and g empties.
  h.clock.advance(10_000);
  await settle();
  assert.equal(h.group('g')!.state, 'Empty');
  assert.ok(h.log.batches.length > batches);
  assert.deepEqual(durableState(await replayed(h)), durableState(h.service));
  h.close();
});
