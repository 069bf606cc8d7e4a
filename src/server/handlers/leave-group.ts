/**
 * LeaveGroup (API key 13), versions 0-5: members leave a classic group, which rebalances.
 *
 * Behavior: v0-2 name one member (the top-level errorCode is its result); v3+ batch members,
 * each identified by memberId and/or groupInstanceId (a static member may leave by instance id
 * alone), with a per-member errorCode and top-level NONE. Errors: INVALID_GROUP_ID,
 * UNKNOWN_MEMBER_ID (unknown group or member), FENCED_INSTANCE_ID, COORDINATOR_LOAD_IN_PROGRESS.
 * When the last members leave, the group's Empty generation is written to `__consumer_offsets`
 * first; if that write fails the response carries its error at top level (as Kafka's does)
 * and the group turns Empty only once a retried write is durable.
 * Version notes: v1 throttle, v3 members, v4 flexible, v5 reason.
 */
import { LeaveGroup, type LeaveGroupResponse } from '../../protocol/messages/leave-group.js';
import { defineHandler } from '../handler.js';
import { getGroupRuntime, requestInfo } from '../group-runtime.js';

export default defineHandler({
  api: LeaveGroup,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req): Promise<LeaveGroupResponse> {
    const groups = getGroupRuntime(ctx.broker);
    const unavailable = await groups.availability();
    if (unavailable !== 0) return { throttleTimeMs: 0, errorCode: unavailable, members: [] };
    return groups.service.leaveGroup(req, requestInfo(ctx));
  },
});
