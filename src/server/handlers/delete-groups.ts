/**
 * DeleteGroups (API key 42), versions 0-2.
 *
 * Behavior: per group, GROUP_ID_NOT_FOUND if it does not exist, NON_EMPTY_GROUP unless it is
 * Empty; otherwise tombstones for its offsets and its metadata are written to the group's
 * `__consumer_offsets` partition and the group is gone once they are durable (then answered).
 * Groups on different partitions are deleted by one write per partition: if one partition's
 * write fails, its groups (and their offsets) stay and answer the write error, while the other
 * partitions' groups are deleted. Requests for a group wait while its deletion is written.
 * COORDINATOR_LOAD_IN_PROGRESS / NOT_COORDINATOR per group for a partition loading / not led here.
 * Version notes: v1 identical, v2 flexible.
 */
import { DeleteGroups, type DeleteGroupsResponse } from '../../protocol/messages/delete-groups.js';
import { defineHandler } from '../handler.js';
import { getGroupRuntime } from '../group-runtime.js';

export default defineHandler({
  api: DeleteGroups,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, req): Promise<DeleteGroupsResponse> {
    const groups = getGroupRuntime(ctx.broker);
    const unavailable = await groups.availability();
    if (unavailable !== 0) return { throttleTimeMs: 0, results: req.groupsNames.map((groupId) => ({ groupId, errorCode: unavailable })) };
    return groups.service.deleteGroups(req.groupsNames);
  },
});
