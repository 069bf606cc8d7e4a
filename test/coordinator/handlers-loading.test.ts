/**
 * While `__consumer_offsets` is still loading, every group API answers
 * COORDINATOR_LOAD_IN_PROGRESS in the place its version puts errors (and FindCoordinator
 * COORDINATOR_NOT_AVAILABLE), and every such response encodes at that version.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { Handler, RequestContext } from '../../src/server/handler.js';
import findCoordinator from '../../src/server/handlers/find-coordinator.js';
import joinGroup from '../../src/server/handlers/join-group.js';
import syncGroup from '../../src/server/handlers/sync-group.js';
import heartbeat from '../../src/server/handlers/heartbeat.js';
import leaveGroup from '../../src/server/handlers/leave-group.js';
import offsetCommit from '../../src/server/handlers/offset-commit.js';
import offsetFetch from '../../src/server/handlers/offset-fetch.js';
import describeGroups from '../../src/server/handlers/describe-groups.js';
import listGroups from '../../src/server/handlers/list-groups.js';
import deleteGroups from '../../src/server/handlers/delete-groups.js';
import offsetDelete from '../../src/server/handlers/offset-delete.js';

const LOADING = ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;

function ctx(apiVersion: number): RequestContext {
  const loadingRuntime = { availability: async () => LOADING, awaitReady: async () => false };
  const broker = {
    groups: loadingRuntime,
    endpoints: () => [{ nodeId: 1, host: 'h', port: 9092, rack: null }],
    topics: { get: () => ({ numPartitions: 1 }) },
  };
  return {
    header: { apiKey: 0, apiVersion, correlationId: 1, clientId: 'c' },
    broker: broker as unknown as RequestContext['broker'],
    connection: { id: 1, remoteAddress: '127.0.0.1', remotePort: 1, listenerName: 'PLAINTEXT', principal: 'User:ANONYMOUS' },
    principal: 'User:ANONYMOUS',
  };
}

async function call(h: Handler, version: number, body: Record<string, unknown>): Promise<any> {
  const req = { ...h.api.request.empty(version), ...body };
  const res = await h.handle(ctx(version), req);
  h.api.response.encode(res, version);
  return res;
}

test('group APIs answer COORDINATOR_LOAD_IN_PROGRESS while loading, at every version', async () => {
  for (const v of [0, 3, 4, 6]) {
    const r = await call(findCoordinator, v, { key: 'g', coordinatorKeys: ['g'] });
    assert.equal(v >= 4 ? r.coordinators[0].errorCode : r.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE, `FindCoordinator v${v}`);
  }
  for (const v of [0, 5, 7, 9]) assert.equal((await call(joinGroup, v, { groupId: 'g' })).errorCode, LOADING, `JoinGroup v${v}`);
  for (const v of [0, 5]) assert.equal((await call(syncGroup, v, { groupId: 'g' })).errorCode, LOADING);
  for (const v of [0, 4]) assert.equal((await call(heartbeat, v, { groupId: 'g' })).errorCode, LOADING);
  for (const v of [0, 5]) assert.equal((await call(leaveGroup, v, { groupId: 'g' })).errorCode, LOADING);
  const topics = [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }] }];
  for (const v of [2, 9]) assert.equal((await call(offsetCommit, v, { groupId: 'g', topics })).topics[0].partitions[0].errorCode, LOADING);
  assert.equal((await call(offsetFetch, 1, { groupId: 'g', topics: [{ name: 't', partitionIndexes: [0] }] })).topics[0].partitions[0].errorCode, LOADING);
  assert.equal((await call(offsetFetch, 5, { groupId: 'g', topics: null })).errorCode, LOADING);
  assert.equal((await call(offsetFetch, 8, { groups: [{ groupId: 'g', memberId: null, memberEpoch: -1, topics: null }] })).groups[0].errorCode, LOADING);
  assert.equal((await call(describeGroups, 5, { groups: ['g'] })).groups[0].errorCode, LOADING);
  assert.equal((await call(listGroups, 5, {})).errorCode, LOADING);
  assert.equal((await call(deleteGroups, 2, { groupsNames: ['g'] })).results[0].errorCode, LOADING);
  assert.equal((await call(offsetDelete, 0, { groupId: 'g', topics: [] })).errorCode, LOADING);
});
