/**
 * ListGroups (API key 16), versions 0-5.
 *
 * Behavior: every group this broker coordinates (all of them) except Dead ones, with protocol
 * type ("" for simple groups that only commit offsets). v4+ statesFilter and v5+ typesFilter
 * match case-insensitively; every group is of type "classic".
 * COORDINATOR_LOAD_IN_PROGRESS while loading.
 * Version notes: v1 throttle, v3 flexible, v4 states, v5 types.
 */
import { ListGroups, type ListGroupsResponse } from '../../protocol/messages/list-groups.js';
import { listGroups } from '../../coordinator/group/group-admin.js';
import { defineHandler } from '../handler.js';
import { getGroupRuntime } from '../group-runtime.js';

export default defineHandler({
  api: ListGroups,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req): Promise<ListGroupsResponse> {
    const rt = getGroupRuntime(ctx.broker);
    const unavailable = await rt.availability();
    if (unavailable !== 0) return { throttleTimeMs: 0, errorCode: unavailable, groups: [] };
    return { throttleTimeMs: 0, errorCode: 0, groups: listGroups(rt.coordinator, req.statesFilter, req.typesFilter) };
  },
});
