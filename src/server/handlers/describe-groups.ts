/**
 * DescribeGroups (API key 15), versions 0-5.
 *
 * Behavior: per group its state (Kafka's names: Empty, PreparingRebalance,
 * CompletingRebalance, Stable, Dead), protocol type, and members (id, client id, host). Only a
 * Stable group reports its protocol name and each member's metadata and assignment bytes. An
 * unknown group is "Dead" with NONE (as Kafka answers before v6).
 * COORDINATOR_LOAD_IN_PROGRESS / NOT_COORDINATOR per group whose `__consumer_offsets` partition
 * is loading / not led here (the request is split per partition).
 * Version notes: v1 throttle, v3 authorizedOperations (when asked for; no authorizer ⇒ every
 * group operation), v4 groupInstanceId, v5 flexible.
 */
import { DescribeGroups, type DescribeGroupsResponse } from '../../protocol/messages/describe-groups.js';
import { defineHandler } from '../handler.js';
import { getGroupRuntime } from '../group-runtime.js';
import { AUTHORIZED_OPERATIONS_OMITTED, GROUP_AUTHORIZED_OPERATIONS } from './_group-helpers.js';

export default defineHandler({
  api: DescribeGroups,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req): Promise<DescribeGroupsResponse> {
    const groups = getGroupRuntime(ctx.broker);
    const unavailable = await groups.availability();
    const authorizedOperations = req.includeAuthorizedOperations ? GROUP_AUTHORIZED_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED;
    if (unavailable !== 0) {
      return {
        throttleTimeMs: 0,
        groups: req.groups.map((groupId) => ({ errorCode: unavailable, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations })),
      };
    }
    const described = await groups.service.describeGroups(req.groups);
    return { throttleTimeMs: 0, groups: described.map((d) => ({ ...d, authorizedOperations })) };
  },
});
