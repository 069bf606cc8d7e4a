/**
 * Every coordinator write goes to one `__consumer_offsets` partition: a request or timer that
 * touches groups of several partitions is one operation per shard, each all-or-nothing in
 * memory and on disk alike (DeleteGroups, offset expiry, the offsets of deleted topics).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { OffsetCommitRequest } from '../../src/protocol/messages/offset-commit.js';
import { decodeBatches } from '../../src/protocol/records.js';
import { decodeGroupRecord } from '../../src/coordinator/group/records.js';
import { committedOffset, durableState, groupsOnDifferentPartitions, harness, info, replayed, settle, type Harness } from './harness.js';

function commit(groupId: string, offsets: [string, number, number][]): OffsetCommitRequest {
  return {
    groupId, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1,
    topics: offsets.map(([name, partitionIndex, committedOffset]) => ({
      name, partitions: [{ partitionIndex, committedOffset, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }],
    })),
  };
}

/** The groups each written batch names, with the partition it went to. */
function writtenBatches(h: Harness, from = 0): { partition: number; groups: string[] }[] {
  return h.log.batches.slice(from).map((b) => ({
    partition: b.partition,
    groups: decodeBatches(b.batch).flatMap((batch) => batch.records.map((r) => decodeGroupRecord(r.key!, r.value)!.key.group)),
  }));
}

/** A group id on the same partition as `groupId` (and different from it). */
function neighbour(h: Harness, groupId: string): string {
  for (let i = 0; ; i++) if (`n-${i}` !== groupId && h.service.partitionFor(`n-${i}`) === h.service.partitionFor(groupId)) return `n-${i}`;
}

test('DeleteGroups across partitions: a failed partition keeps its groups in memory and on disk; the others are deleted', async () => {
  const h = await harness();
  const [g1, g2] = groupsOnDifferentPartitions(h);
  const g3 = neighbour(h, g1);
  for (const g of [g1, g2, g3]) await h.service.commitOffsets(commit(g, [['t', 0, 10], ['t', 1, 11]]), info(8));
  const from = h.log.batches.length;
  h.log.failNextOn.set(h.service.partitionFor(g2), 1);
  const r = await h.service.deleteGroups([g2, g1, 'missing', g3]);
  assert.deepEqual(r.results, [
    { groupId: g2, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE },
    { groupId: g1, errorCode: ErrorCode.NONE },
    { groupId: 'missing', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
    { groupId: g3, errorCode: ErrorCode.NONE },
  ], 'answers in request order');
  // In memory: g1 and g3 are gone, g2 keeps its group and offsets.
  assert.equal(h.group(g1), undefined);
  assert.equal(h.group(g3), undefined);
  assert.notEqual(h.group(g2), undefined);
  assert.equal(await committedOffset(h, g2, 't', 1), 11);
  // On disk: one batch, to g1's partition, with g1's and g3's tombstones only.
  assert.deepEqual(writtenBatches(h, from).map((b) => ({ ...b, groups: [...new Set(b.groups)].sort() })), [{ partition: h.service.partitionFor(g1), groups: [g1, g3].sort() }]);
  const re = await replayed(h);
  assert.equal(re.shardFor(g1)!.groups.has(g1), false);
  assert.equal(re.shardFor(g2)!.offsets.count(g2), 2);
  assert.deepEqual(durableState(re), durableState(h.service));
  h.close();
});

test('offset expiry runs per shard: a shard whose write fails keeps its offsets until the next run; the others expire theirs', async () => {
  const h = await harness({ offsetsRetentionMs: 60_000, offsetsRetentionCheckIntervalMs: 10_000 });
  const [g1, g2] = groupsOnDifferentPartitions(h);
  for (const g of [g1, g2]) await h.service.commitOffsets(commit(g, [['t', 0, 1]]), info(8));
  h.clock.advance(50_000);
  await settle();
  h.log.failNextOn.set(h.service.partitionFor(g2), 1);
  h.clock.advance(10_000);
  await settle();
  assert.equal(h.group(g1), undefined, 'g1 expired');
  assert.equal(await committedOffset(h, g2, 't', 0), 1, 'g2\'s expiry write failed: nothing changed');
  assert.deepEqual(durableState(await replayed(h)), durableState(h.service));
  h.clock.advance(10_000);
  await settle();
  assert.equal(h.group(g2), undefined, 'expired by the next run');
  assert.deepEqual(durableState(await replayed(h)), durableState(h.service));
  h.close();
});

test('onTopicsDeleted: every shard tombstones every group\'s offsets of the deleted topics', async () => {
  const h = await harness();
  const [g1, g2] = groupsOnDifferentPartitions(h);
  await h.service.commitOffsets(commit(g1, [['gone', 0, 1], ['gone', 1, 2], ['kept', 0, 3]]), info(8));
  await h.service.commitOffsets(commit(g2, [['gone', 0, 4]]), info(8));
  const from = h.log.batches.length;
  await h.service.onTopicsDeleted(['gone', 'never-committed']);
  assert.deepEqual((await h.service.fetchOffsets(g1, null)).topics.map((t) => t.name), ['kept']);
  assert.equal(h.group(g2), undefined, 'a simple group left without offsets is gone');
  assert.deepEqual(writtenBatches(h, from).map((b) => b.partition).sort(), [h.service.partitionFor(g1), h.service.partitionFor(g2)].sort(), 'one write per shard that had offsets of the topic');
  assert.deepEqual(durableState(await replayed(h)), durableState(h.service));
  const batches = h.log.batches.length;
  await h.service.onTopicsDeleted(['gone']);
  assert.equal(h.log.batches.length, batches, 'nothing left to delete: nothing written');
  h.close();
});
