/**
 * ListGroups (API key 16), versions 0-5.
 *
 * Behavior: every group of every `__consumer_offsets` partition this broker leads (all of them
 * on a single broker), with protocol type ("" for simple groups that only commit offsets).
 * v4+ statesFilter and v5+ typesFilter match case-insensitively; every group is of type
 * "classic". If a partition is still loading the answer is COORDINATOR_LOAD_IN_PROGRESS with
 * no groups (as Kafka's). Groups are listed partition by partition.
 * Version notes: v1 throttle, v3 flexible, v4 states, v5 types.
 */
import { ListGroups, type ListGroupsResponse } from '../../protocol/messages/list-groups.js';
import { defineHandler } from '../handler.js';
import { getGroupRuntime } from '../group-runtime.js';

export default defineHandler({
  api: ListGroups,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req): Promise<ListGroupsResponse> {
    const groups = getGroupRuntime(ctx.broker);
    const unavailable = await groups.availability();
    if (unavailable !== 0) return { throttleTimeMs: 0, errorCode: unavailable, groups: [] };
    const listed = await groups.service.listGroups(req.statesFilter, req.typesFilter);
    return { throttleTimeMs: 0, errorCode: listed.errorCode, groups: listed.groups };
  },
});
