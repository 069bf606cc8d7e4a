/**
 * OffsetCommit (API key 8), versions 2-9: stores a group's consumed positions.
 *
 * Behavior (Kafka's KafkaApis + classic group validateOffsetCommit):
 * - Partitions of unknown topics get UNKNOWN_TOPIC_OR_PARTITION; the rest go to the coordinator.
 * - generation -1 with an empty member id commits to an Empty (or new, "simple") group, as
 *   admin tools and consumers without group management do; otherwise the member must exist
 *   (UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID) and the generation match (ILLEGAL_GENERATION);
 *   REBALANCE_IN_PROGRESS while CompletingRebalance. An unknown group with a generation >= 0 is
 *   ILLEGAL_GENERATION (GROUP_ID_NOT_FOUND from v9).
 * - OFFSET_METADATA_TOO_LARGE beyond offset.metadata.max.bytes; metadata round-trips via OffsetFetch.
 * - v2-4 retentionTimeMs (>= 0) sets an explicit expiry; otherwise offsets.retention.minutes
 *   applies once the group is empty.
 * - The response is sent once the OffsetCommit records are durable in `__consumer_offsets`.
 * Version notes: v3 throttle, v6 committedLeaderEpoch, v7 groupInstanceId, v8 flexible.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { OffsetCommit, type OffsetCommitRequest, type OffsetCommitResponse } from '../../protocol/messages/offset-commit.js';
import { defineHandler } from '../handler.js';
import { getGroupRuntime, requestInfo } from '../group-runtime.js';
import { partitionExists, tpKey } from './_group-helpers.js';

export default defineHandler({
  api: OffsetCommit,
  minVersion: 2,
  maxVersion: 9,
  async handle(ctx, req): Promise<OffsetCommitResponse> {
    const groups = getGroupRuntime(ctx.broker);
    const unavailable = await groups.availability();
    const codes = new Map<string, number>();
    if (unavailable === 0) {
      const known: OffsetCommitRequest = {
        ...req,
        topics: req.topics
          .map((t) => ({ name: t.name, partitions: t.partitions.filter((p) => partitionExists(ctx.broker, t.name, p.partitionIndex)) }))
          .filter((t) => t.partitions.length > 0),
      };
      const res = known.topics.length === 0
        ? { throttleTimeMs: 0, topics: [] }
        : await groups.service.commitOffsets(known, requestInfo(ctx));
      for (const t of res.topics) for (const p of t.partitions) codes.set(tpKey(t.name, p.partitionIndex), p.errorCode);
    }
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          errorCode: unavailable !== 0 ? unavailable : codes.get(tpKey(t.name, p.partitionIndex)) ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        })),
      })),
    };
  },
});
