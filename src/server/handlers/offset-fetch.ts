/**
 * OffsetFetch (API key 9), versions 1-9: reads a group's committed offsets.
 *
 * Behavior: a partition without a committed offset (or of an unknown group) answers offset -1,
 * leader epoch -1, metadata "" and NONE. topics null (v2+) means every partition the group has
 * committed. v8+ batches groups, each with its own errorCode. requireStable (v7+) would yield
 * UNSTABLE_OFFSET_COMMIT only for pending transactional offsets, which do not exist yet.
 * While `__consumer_offsets` loads: COORDINATOR_LOAD_IN_PROGRESS (per partition in v1, top
 * level in v2-7, per group in v8+).
 * Version notes: v2 top-level errorCode and null topics, v3 throttle, v5 committedLeaderEpoch,
 * v6 flexible, v7 requireStable, v8 groups, v9 memberId/memberEpoch (consumer protocol only).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { OffsetFetch, type OffsetFetchResponse } from '../../protocol/messages/offset-fetch.js';
import { fetchOffsets } from '../../coordinator/group/offsets.js';
import { defineHandler } from '../handler.js';
import { getGroupRuntime } from '../group-runtime.js';

export default defineHandler({
  api: OffsetFetch,
  minVersion: 1,
  maxVersion: 9,
  async handle(ctx, req): Promise<OffsetFetchResponse> {
    const version = ctx.header.apiVersion;
    const rt = getGroupRuntime(ctx.broker);
    const unavailable = await rt.availability();
    if (version >= 8) {
      return {
        throttleTimeMs: 0,
        topics: [],
        errorCode: 0,
        groups: req.groups.map((g) => ({
          groupId: g.groupId,
          topics: unavailable !== 0 ? [] : fetchOffsets(rt.coordinator, g.groupId, g.topics),
          errorCode: unavailable,
        })),
      };
    }
    const topics = req.topics === null && version < 2 ? [] : req.topics;
    let result = unavailable === 0 ? fetchOffsets(rt.coordinator, req.groupId, topics) : [];
    if (unavailable !== 0 && version < 2) {
      result = (topics ?? []).map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: unavailable })),
      }));
    }
    return { throttleTimeMs: 0, topics: result, errorCode: version >= 2 ? unavailable : ErrorCode.NONE, groups: [] };
  },
});
