/**
 * Transactional offsets in the group coordinator (Kafka's OffsetMetadataManager pending
 * offsets): a TxnOffsetCommit is written as a transactional batch and stays pending — invisible
 * to OffsetFetch, UNSTABLE_OFFSET_COMMIT with requireStable — until the producer's COMMIT marker
 * reaches the group's `__consumer_offsets` partition; an ABORT drops it. Both survive a shard
 * reload (the loader replays transactional batches and markers). Then the whole path with the
 * transaction coordinator: AddOffsetsToTxn, TxnOffsetCommit, EndTxn, markers, visible offsets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/base/clock.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { ATTR_CONTROL, ATTR_TRANSACTIONAL } from '../../src/protocol/record-batch.js';
import { decodeBatches, decodeControlRecord } from '../../src/protocol/records.js';
import type { TxnOffsetCommitRequest } from '../../src/protocol/messages/txn-offset-commit.js';
import type { GroupCoordinatorService } from '../../src/coordinator/group/group-coordinator-service.js';
import { committedOffset, harness, info, joinRequest, MemoryPartitions, reloaded, type Harness } from './harness.js';
import { drainMarkers, groupCoordinator, init, OFFSETS_TOPIC, tp, txnHarness } from './transaction-harness.js';

const E = ErrorCode;

function txnCommit(groupId: string, producerId: number, offsets: Record<string, number>, extra: Partial<TxnOffsetCommitRequest> = {}): TxnOffsetCommitRequest {
  const byTopic = new Map<string, { partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; committedMetadata: string | null }[]>();
  for (const [k, offset] of Object.entries(offsets)) {
    const [topic, p] = k.split('-');
    if (!byTopic.has(topic!)) byTopic.set(topic!, []);
    byTopic.get(topic!)!.push({ partitionIndex: Number(p), committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: 'm' });
  }
  return {
    transactionalId: 'tx', groupId, producerId, producerEpoch: 0, generationId: -1, memberId: '', groupInstanceId: null,
    topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })), ...extra,
  };
}

const codes = (r: { topics: { partitions: { errorCode: number }[] }[] }) => r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode));

async function stable(service: GroupCoordinatorService, groupId: string, topic: string, partition: number) {
  const r = await service.fetchOffsets(groupId, [{ name: topic, partitionIndexes: [partition] }], true);
  const p = r.topics[0]!.partitions[0]!;
  return [p.errorCode, p.committedOffset];
}

async function complete(h: Harness, groupId: string, producerId: number, result: 'COMMIT' | 'ABORT', producerEpoch = 0) {
  return h.service.completeTransaction(h.service.partitionFor(groupId), producerId, producerEpoch, 7, result);
}

test('pending transactional offsets: invisible, UNSTABLE_OFFSET_COMMIT with requireStable, visible after COMMIT', async () => {
  const h = await harness();
  assert.deepEqual(codes(await h.service.commitTransactionalOffsets(txnCommit('g', 500, { 't-0': 10, 't-1': 20 }))), [E.NONE, E.NONE]);
  const batch = h.log.batches.at(-1)!;
  assert.equal(batch.partition, h.service.partitionFor('g'));
  const header = decodeBatches(batch.batch)[0]!.header;
  assert.deepEqual([header.producerId, header.producerEpoch, (header.attributes & ATTR_TRANSACTIONAL) !== 0, header.baseSequence], [500, 0, true, 0],
    'one transactional batch of the producer');
  assert.equal(await committedOffset(h, 'g', 't', 0), -1, 'OffsetFetch does not show a pending offset');
  assert.deepEqual(await stable(h.service, 'g', 't', 0), [E.UNSTABLE_OFFSET_COMMIT, -1]);
  assert.deepEqual(await stable(h.service, 'g', 'other', 0), [E.NONE, -1], 'only partitions with a pending offset are unstable');
  assert.equal(h.group('g')?.protocolType, null, 'the simple group exists');

  assert.equal(await complete(h, 'g', 500, 'COMMIT'), E.NONE);
  const marker = decodeBatches(h.log.batches.at(-1)!.batch)[0]!;
  assert.ok((marker.header.attributes & ATTR_CONTROL) !== 0 && (marker.header.attributes & ATTR_TRANSACTIONAL) !== 0);
  assert.deepEqual([marker.header.producerId, decodeControlRecord(marker.records[0]!)], [500, { type: 1, coordinatorEpoch: 7 }]);
  assert.equal(await committedOffset(h, 'g', 't', 0), 10);
  assert.equal(await committedOffset(h, 'g', 't', 1), 20);
  assert.deepEqual(await stable(h.service, 'g', 't', 0), [E.NONE, 10]);
  h.close();
});

test('ABORT drops pending offsets; another producer\'s marker does not touch them', async () => {
  const h = await harness();
  await h.service.commitOffsets({ groupId: 'g', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1,
    topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 5, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }] }] }, info(8));
  await h.service.commitTransactionalOffsets(txnCommit('g', 500, { 't-0': 10 }));
  await h.service.commitTransactionalOffsets(txnCommit('g', 600, { 't-0': 11 }));
  assert.equal(await complete(h, 'g', 600, 'ABORT'), E.NONE);
  assert.deepEqual(await stable(h.service, 'g', 't', 0), [E.UNSTABLE_OFFSET_COMMIT, -1], '500 is still open');
  assert.equal(await complete(h, 'g', 500, 'ABORT'), E.NONE);
  assert.deepEqual(await stable(h.service, 'g', 't', 0), [E.NONE, 5], 'the plain commit stays');
  assert.equal(await complete(h, 'g', 999, 'COMMIT'), E.NONE, 'a marker with nothing pending is written and ignored');
  h.close();
});

test('a plain commit written after the transactional one wins when the transaction commits (Kafka keeps the latest record)', async () => {
  const h = await harness();
  await h.service.commitTransactionalOffsets(txnCommit('g', 500, { 't-0': 10, 't-1': 10 }));
  await h.service.commitOffsets({ groupId: 'g', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1,
    topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 3, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }] }] }, info(8));
  await complete(h, 'g', 500, 'COMMIT');
  assert.equal(await committedOffset(h, 'g', 't', 0), 3, 'written later, kept');
  assert.equal(await committedOffset(h, 'g', 't', 1), 10);
  const r = await reloaded(h);
  assert.equal(await committedOffset(r, 'g', 't', 0), 3, 'same after a reload');
  assert.equal(await committedOffset(r, 'g', 't', 1), 10);
  h.close();
  r.close();
});

test('a shard reload replays pending offsets (transactional batches) and markers', async () => {
  const h = await harness();
  await h.service.commitTransactionalOffsets(txnCommit('g', 500, { 't-0': 10 }));
  await h.service.commitTransactionalOffsets(txnCommit('g', 600, { 't-1': 20 }));
  await h.service.commitTransactionalOffsets(txnCommit('g', 700, { 't-2': 30 }));
  await complete(h, 'g', 600, 'COMMIT');
  await complete(h, 'g', 700, 'ABORT');
  const r = await reloaded(h);
  assert.deepEqual(await stable(r.service, 'g', 't', 0), [E.UNSTABLE_OFFSET_COMMIT, -1], 'still pending after the reload');
  assert.deepEqual(await stable(r.service, 'g', 't', 1), [E.NONE, 20], 'committed before the reload');
  assert.deepEqual(await stable(r.service, 'g', 't', 2), [E.NONE, -1], 'aborted before the reload');
  assert.equal(await complete(r, 'g', 500, 'COMMIT'), E.NONE, 'the marker after the reload completes it');
  assert.equal(await committedOffset(r, 'g', 't', 0), 10);
  h.close();
  r.close();
});

test('TxnOffsetCommit validation: unknown group with a generation, members, no rebalance check; metadata too large; write failure', async () => {
  const h = await harness();
  assert.deepEqual(codes(await h.service.commitTransactionalOffsets(txnCommit('none', 1, { 't-0': 1 }, { generationId: 3, memberId: 'm' }))), [E.ILLEGAL_GENERATION]);
  assert.deepEqual(codes(await h.service.commitTransactionalOffsets(txnCommit('', 1, { 't-0': 1 }))), [E.INVALID_GROUP_ID]);
  // A group with a member: v0-2 commits without member are accepted anyway; with a member it must match.
  const join = h.service.joinGroup(joinRequest('live', ''), info(3));
  h.clock.advance(0);
  const j = await join;
  assert.equal(h.group('live')!.state, 'CompletingRebalance');
  assert.deepEqual(codes(await h.service.commitTransactionalOffsets(txnCommit('live', 1, { 't-0': 1 }))), [E.NONE], 'no member: accepted (old TxnOffsetCommit)');
  assert.deepEqual(codes(await h.service.commitTransactionalOffsets(txnCommit('live', 1, { 't-0': 1 }, { generationId: j.generationId, memberId: j.memberId }))),
    [E.NONE], 'CompletingRebalance does not refuse a transactional commit');
  assert.deepEqual(codes(await h.service.commitTransactionalOffsets(txnCommit('live', 1, { 't-0': 1 }, { generationId: j.generationId + 1, memberId: j.memberId }))), [E.ILLEGAL_GENERATION]);
  assert.deepEqual(codes(await h.service.commitTransactionalOffsets(txnCommit('live', 1, { 't-0': 1 }, { generationId: j.generationId, memberId: 'stranger' }))), [E.UNKNOWN_MEMBER_ID]);
  const big = txnCommit('g', 1, { 't-0': 1, 't-1': 2 });
  big.topics[0]!.partitions[1]!.committedMetadata = 'x'.repeat(h.config.offsetMetadataMaxBytes + 1);
  assert.deepEqual(codes(await h.service.commitTransactionalOffsets(big)), [E.NONE, E.OFFSET_METADATA_TOO_LARGE]);
  h.log.failNext = 1;
  assert.deepEqual(codes(await h.service.commitTransactionalOffsets(txnCommit('g', 2, { 't-5': 1 }))), [E.COORDINATOR_NOT_AVAILABLE]);
  assert.deepEqual(await stable(h.service, 'g', 't', 5), [E.NONE, -1], 'the failed write left nothing pending');
  h.close();
});

test('tombstones drop pending offsets: OffsetDelete, DeleteGroups; expiry waits for open transactions', async () => {
  const h = await harness({ offsetsRetentionMs: 1000, offsetsRetentionCheckIntervalMs: 500 });
  await h.service.commitTransactionalOffsets(txnCommit('g', 500, { 't-0': 10 }));
  const del = await h.service.deleteOffsets({ groupId: 'g', topics: [{ name: 't', partitions: [{ partitionIndex: 0 }] }] });
  assert.equal(del.errorCode, E.NONE);
  await complete(h, 'g', 500, 'COMMIT');
  assert.equal(await committedOffset(h, 'g', 't', 0), -1, 'the pending offset was deleted before its commit');

  await h.service.commitTransactionalOffsets(txnCommit('dg', 501, { 't-0': 10 }));
  assert.deepEqual((await h.service.deleteGroups(['dg'])).results, [{ groupId: 'dg', errorCode: E.NONE }]);
  await complete(h, 'dg', 501, 'COMMIT');
  assert.equal(await committedOffset(h, 'dg', 't', 0), -1);

  // Expiry: an Empty simple group with a committed offset and an open transaction keeps both.
  await h.service.commitOffsets({ groupId: 'e', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1,
    topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }] }] }, info(8));
  await h.service.commitTransactionalOffsets(txnCommit('e', 502, { 't-0': 2 }));
  h.clock.advance(5000);
  assert.equal(await committedOffset(h, 'e', 't', 0), 1, 'not expired while a transaction is open on it');
  assert.ok(h.group('e') !== undefined);
  await complete(h, 'e', 502, 'COMMIT');
  assert.equal(await committedOffset(h, 'e', 't', 0), 2);
  h.clock.advance(5000);
  assert.equal(await committedOffset(h, 'e', 't', 0), -1, 'expires once the transaction ended');
  h.close();
});

test('end to end in the coordinators: AddOffsetsToTxn, TxnOffsetCommit, EndTxn → markers → offsets visible', async () => {
  const t = await txnHarness();
  const groupsLog = new MemoryPartitions();
  const groups = await groupCoordinator(t.clock, groupsLog);
  t.markers.groups = groups;
  const offsetsPartition = groups.partitionFor('g');
  for (const result of ['ABORT', 'COMMIT'] as const) {
    const p = await init(t, `tx-${result}`);
    assert.equal(await t.service.addPartitionsToTransaction(`tx-${result}`, p.producerId, p.producerEpoch, [tp('out', 0), tp(OFFSETS_TOPIC, offsetsPartition)]), E.NONE);
    const req = txnCommit('g', p.producerId, { 'in-0': result === 'COMMIT' ? 100 : 50 }, { transactionalId: `tx-${result}`, producerEpoch: p.producerEpoch });
    assert.deepEqual(codes(await groups.commitTransactionalOffsets(req)), [E.NONE]);
    assert.deepEqual(await stable(groups, 'g', 'in', 0), [E.UNSTABLE_OFFSET_COMMIT, -1]);
    assert.equal(await t.service.endTransaction(`tx-${result}`, p.producerId, p.producerEpoch, result), E.NONE);
    await drainMarkers(t);
    assert.equal(t.txn(`tx-${result}`)!.state, result === 'COMMIT' ? 'CompleteCommit' : 'CompleteAbort');
  }
  assert.deepEqual(await stable(groups, 'g', 'in', 0), [E.NONE, 100], 'the aborted offset never showed, the committed one does');
  // The group coordinator wrote both markers to its partition, with the coordinator epoch.
  const markers = groupsLog.batches.filter((b) => b.partition === offsetsPartition).flatMap((b) => decodeBatches(b.batch))
    .filter((b) => (b.header.attributes & ATTR_CONTROL) !== 0).map((b) => decodeControlRecord(b.records[0]!));
  assert.deepEqual(markers, [{ type: 0, coordinatorEpoch: 0 }, { type: 1, coordinatorEpoch: 0 }]);
  t.close();
  groups.close();
});

test('a marker for a __consumer_offsets partition not loaded here is NOT_COORDINATOR / LOAD_IN_PROGRESS (retried by the writer)', async () => {
  const clock = new ManualClock();
  const log = new MemoryPartitions();
  const groups = await groupCoordinator(clock, log, 3);
  groups.onResignation(1, 1);
  assert.equal(await groups.completeTransaction(1, 5, 0, 0, 'COMMIT'), E.NOT_COORDINATOR);
  log.holdLoads();
  groups.onElection(1, 2);
  assert.equal(await groups.completeTransaction(1, 5, 0, 0, 'COMMIT'), E.COORDINATOR_LOAD_IN_PROGRESS);
  log.releaseLoads();
  await groups.runtime.awaitLoaded(1);
  log.failNext = 1;
  assert.equal(await groups.completeTransaction(1, 5, 0, 0, 'COMMIT'), E.COORDINATOR_NOT_AVAILABLE);
  assert.equal(await groups.completeTransaction(1, 5, 0, 0, 'COMMIT'), E.NONE);
  groups.close();
});

test('a marker whose write fails is reverted: the offsets stay pending until a marker is written', async () => {
  const h = await harness();
  await h.service.commitTransactionalOffsets(txnCommit('g', 500, { 't-0': 10 }));
  h.log.failNext = 1;
  assert.equal(await complete(h, 'g', 500, 'COMMIT'), E.COORDINATOR_NOT_AVAILABLE);
  assert.deepEqual(await stable(h.service, 'g', 't', 0), [E.UNSTABLE_OFFSET_COMMIT, -1], 'still pending');
  assert.equal(await complete(h, 'g', 500, 'COMMIT'), E.NONE);
  assert.deepEqual(await stable(h.service, 'g', 't', 0), [E.NONE, 10]);
  h.close();
});
