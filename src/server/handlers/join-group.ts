/**
 * JoinGroup (API key 11), versions 0-9: the first phase of a classic-group rebalance.
 *
 * Behavior (Kafka's classic group protocol, see src/coordinator/group/group-coordinator-shard.ts):
 * - INVALID_GROUP_ID for an empty group id; INVALID_SESSION_TIMEOUT outside
 *   group.min/max.session.timeout.ms; GROUP_MAX_SIZE_REACHED beyond group.max.size;
 *   INCONSISTENT_GROUP_PROTOCOL when the protocol type differs or no protocol is shared.
 * - v4+: a member without an id gets MEMBER_ID_REQUIRED with its new id and must rejoin (KIP-394).
 *   A new member's parked JoinGroup is dropped (UNKNOWN_MEMBER_ID) if the join phase has not
 *   completed within 5 minutes (Kafka's new-member join timeout).
 * - group.max.size: while rebalancing only members awaiting join count, so a group loaded over
 *   a lowered limit rebalances and turns away (and removes) its last rejoiners.
 * - v5+ static membership (groupInstanceId, KIP-345): a returning instance replaces its old
 *   member id, which is then FENCED_INSTANCE_ID; in a Stable group that is written first and
 *   applied once durable (a failed write answers its error and keeps the old id).
 * - The response waits until the rebalance completes: every known member rejoined, the
 *   rebalance timeout expired, or (new group) group.initial.rebalance.delay.ms passed.
 *   The leader gets every member's metadata for the selected protocol.
 * - COORDINATOR_LOAD_IN_PROGRESS while the group's `__consumer_offsets` partition is being
 *   loaded, NOT_COORDINATOR if this broker does not lead it.
 * Version notes: v1 rebalanceTimeoutMs (v0 uses the session timeout), v2 throttle, v5
 * groupInstanceId, v6 flexible, v7 protocolType/protocolName nullable in the response,
 * v8 reason, v9 skipAssignment (always false except for a static leader's replacement).
 */
import { JoinGroup, type JoinGroupResponse } from '../../protocol/messages/join-group.js';
import { joinError } from '../../coordinator/group/member-responses.js';
import { defineHandler } from '../handler.js';
import { getGroupRuntime, requestInfo } from '../group-runtime.js';

export default defineHandler({
  api: JoinGroup,
  minVersion: 0,
  maxVersion: 9,
  async handle(ctx, req): Promise<JoinGroupResponse> {
    const version = ctx.header.apiVersion;
    const groups = getGroupRuntime(ctx.broker);
    const unavailable = await groups.availability();
    const res = unavailable !== 0 ? joinError(req.memberId, unavailable) : await groups.service.joinGroup(req, requestInfo(ctx));
    // Before v7 the protocol name is not nullable.
    if (version < 7 && res.protocolName === null) return { ...res, protocolName: '' };
    return res;
  },
});
