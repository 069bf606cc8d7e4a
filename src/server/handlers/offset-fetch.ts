/**
 * OffsetFetch (API key 9), versions 1-9: reads a group's committed offsets.
 *
 * Behavior: a partition without a committed offset (or of an unknown group) answers offset -1,
 * leader epoch -1, metadata "" and NONE. topics null (v2+) means every partition the group has
 * committed. v8+ batches groups, each with its own errorCode. Offsets committed inside a
 * transaction that has not ended (TxnOffsetCommit) are never shown; with requireStable (v7+) a
 * partition that has one answers UNSTABLE_OFFSET_COMMIT (offset -1) so the consumer retries.
 * While the group's `__consumer_offsets` partition loads: COORDINATOR_LOAD_IN_PROGRESS
 * (NOT_COORDINATOR if this broker does not lead it), per partition in v1, top level in v2-7,
 * per group in v8+. The read waits for the group's earlier writes (a commit in flight), so it
 * only ever answers durable offsets.
 * Version notes: v2 top-level errorCode and null topics, v3 throttle, v5 committedLeaderEpoch,
 * v6 flexible, v7 requireStable, v8 groups, v9 memberId/memberEpoch (consumer protocol only).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { OffsetFetch, type OffsetFetchResponse } from '../../protocol/messages/offset-fetch.js';
import type { FetchedGroupOffsets } from '../../coordinator/group/group-coordinator-service.js';
import { defineHandler } from '../handler.js';
import { getGroupRuntime } from '../group-runtime.js';

export default defineHandler({
  api: OffsetFetch,
  minVersion: 1,
  maxVersion: 9,
  async handle(ctx, req): Promise<OffsetFetchResponse> {
    const version = ctx.header.apiVersion;
    const groups = getGroupRuntime(ctx.broker);
    const unavailable = await groups.availability();
    const requireStable = version >= 7 && req.requireStable;
    const fetch = (groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null): Promise<FetchedGroupOffsets> =>
      unavailable !== 0 ? Promise.resolve({ errorCode: unavailable, topics: [] }) : groups.service.fetchOffsets(groupId, topics, requireStable);
    if (version >= 8) {
      const fetched = await Promise.all(req.groups.map((g) => fetch(g.groupId, g.topics)));
      return {
        throttleTimeMs: 0,
        topics: [],
        errorCode: 0,
        groups: req.groups.map((g, i) => ({ groupId: g.groupId, topics: fetched[i]!.topics, errorCode: fetched[i]!.errorCode })),
      };
    }
    const topics = req.topics === null && version < 2 ? [] : req.topics;
    const fetched = await fetch(req.groupId, topics);
    if (fetched.errorCode !== ErrorCode.NONE && version < 2) {
      // v1 has no top-level error: each requested partition carries it.
      const partitions = (topics ?? []).map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: fetched.errorCode })),
      }));
      return { throttleTimeMs: 0, topics: partitions, errorCode: ErrorCode.NONE, groups: [] };
    }
    return { throttleTimeMs: 0, topics: fetched.topics, errorCode: version >= 2 ? fetched.errorCode : ErrorCode.NONE, groups: [] };
  },
});
