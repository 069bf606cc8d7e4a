/**
 * Regression: offset expiration decided on state that did not include a commit still being
 * written. A simple group's offset, about to expire, was committed again; while that commit's
 * write was in flight the retention timer fired, saw only the old commit, and wrote a
 * tombstone after the new commit: the new offset was gone from memory and, on replay, from
 * disk, although the client had been told it was committed. (Checked against the code before
 * the coordinator runtime: both reads below answered -1.)
 *
 * Now the shard's operations run one at a time: the expiration waits for the commit, then
 * sees it and keeps it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { OffsetCommitRequest } from '../../src/protocol/messages/offset-commit.js';
import { committedOffset, durableState, harness, info, replayed, settle } from '../coordinator/harness.js';

const commit = (offset: number): OffsetCommitRequest => ({
  groupId: 'g', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1,
  topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }] }],
});

test('issue: offset expiry never tombstones a commit that is still being written', async () => {
  const h = await harness({ offsetsRetentionMs: 60_000, offsetsRetentionCheckIntervalMs: 10_000 });
  assert.equal((await h.service.commitOffsets(commit(1), info(8))).topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
  h.clock.advance(55_000);
  await settle();
  h.log.hold();
  const pending = h.service.commitOffsets(commit(2), info(8));
  // Offset 1 is now past its retention: the expiration timer fires while commit 2 is written.
  h.clock.advance(5_000);
  await settle();
  h.log.release();
  assert.equal((await pending).topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
  await settle();
  assert.equal(await committedOffset(h, 'g', 't', 0), 2, 'the acknowledged commit is kept in memory');
  const re = await replayed(h);
  assert.equal((await re.fetchOffsets('g', [{ name: 't', partitionIndexes: [0] }])).topics[0]!.partitions[0]!.committedOffset, 2, 'and on disk');
  assert.ok(!h.log.decoded().some((r) => r.type === 'offset' && r.value === null), 'no tombstone was written');
  assert.deepEqual(durableState(re), durableState(h.service));
  // It still expires in its own time: a retention after its commit.
  h.clock.advance(60_000);
  await settle();
  assert.equal(await committedOffset(h, 'g', 't', 0), -1);
  assert.equal(h.group('g'), undefined);
  h.close();
});
