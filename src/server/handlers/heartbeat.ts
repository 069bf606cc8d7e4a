/**
 * Heartbeat (API key 12), versions 0-4: keeps a classic-group member alive.
 *
 * Behavior: a member that does not heartbeat (or join/sync) within its session timeout is
 * removed and the group rebalances. Errors: INVALID_GROUP_ID, UNKNOWN_MEMBER_ID (unknown group
 * or member, or Empty group), FENCED_INSTANCE_ID, ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS
 * (the member must rejoin), COORDINATOR_LOAD_IN_PROGRESS while loading.
 * Version notes: v1 throttle, v3 groupInstanceId, v4 flexible.
 */
import { Heartbeat, type HeartbeatResponse } from '../../protocol/messages/heartbeat.js';
import { defineHandler } from '../handler.js';
import { getGroupRuntime, requestInfo } from '../group-runtime.js';

export default defineHandler({
  api: Heartbeat,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, req): Promise<HeartbeatResponse> {
    const groups = getGroupRuntime(ctx.broker);
    const unavailable = await groups.availability();
    if (unavailable !== 0) return { throttleTimeMs: 0, errorCode: unavailable };
    return groups.service.heartbeat(req, requestInfo(ctx));
  },
});
