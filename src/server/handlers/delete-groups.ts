/**
 * DeleteGroups (API key 42), versions 0-2.
 *
 * Behavior: per group, GROUP_ID_NOT_FOUND if it does not exist, NON_EMPTY_GROUP unless it is
 * Empty; otherwise tombstones for its offsets and its metadata are written to
 * `__consumer_offsets` and the group is gone once they are durable (then answered). While
 * the write is in flight the group takes no joins or commits (COORDINATOR_NOT_AVAILABLE); if it
 * fails, the group and its offsets are unchanged and the group's result is the write error.
 * COORDINATOR_LOAD_IN_PROGRESS per group while loading.
 * Version notes: v1 identical, v2 flexible.
 */
import { DeleteGroups, type DeleteGroupsResponse } from '../../protocol/messages/delete-groups.js';
import { deleteGroups } from '../../coordinator/group/group-admin.js';
import { defineHandler } from '../handler.js';
import { getGroupRuntime } from '../group-runtime.js';

export default defineHandler({
  api: DeleteGroups,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, req): Promise<DeleteGroupsResponse> {
    const rt = getGroupRuntime(ctx.broker);
    const unavailable = await rt.availability();
    if (unavailable !== 0) return { throttleTimeMs: 0, results: req.groupsNames.map((groupId) => ({ groupId, errorCode: unavailable })) };
    return rt.run(deleteGroups(rt.coordinator, req.groupsNames));
  },
});
