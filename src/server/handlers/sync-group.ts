/**
 * SyncGroup (API key 14), versions 0-5: the second phase of a classic-group rebalance.
 *
 * Behavior: followers wait until the leader's SyncGroup carries the assignments; the leader's
 * assignments are written to `__consumer_offsets` (GroupMetadataValue) and only once that is
 * durable does every member get its assignment and the group become Stable.
 * - INVALID_GROUP_ID (empty id), UNKNOWN_MEMBER_ID (unknown group or member),
 *   FENCED_INSTANCE_ID (replaced static member), ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS
 *   (the group is rejoining), INCONSISTENT_GROUP_PROTOCOL (v5 type/name mismatch).
 * - A Stable group answers at once with the member's current assignment.
 * Version notes: v1 throttle, v3 groupInstanceId, v4 flexible, v5 protocolType/protocolName.
 */
import { SyncGroup, type SyncGroupResponse } from '../../protocol/messages/sync-group.js';
import { syncError } from '../../coordinator/group/member-responses.js';
import { defineHandler } from '../handler.js';
import { getGroupRuntime, requestInfo } from '../group-runtime.js';

export default defineHandler({
  api: SyncGroup,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req): Promise<SyncGroupResponse> {
    const groups = getGroupRuntime(ctx.broker);
    const unavailable = await groups.availability();
    if (unavailable !== 0) return syncError(unavailable);
    return groups.service.syncGroup(req, requestInfo(ctx));
  },
});
