/**
 * The group APIs on the wire, version by version, with Sherwood's own client: FindCoordinator
 * (single and batched keys, key types), JoinGroup v0 and v9 (MEMBER_ID_REQUIRED, nullable
 * protocol name), SyncGroup, Heartbeat, OffsetCommit (unknown topics, retention), OffsetFetch
 * v1/v7/v8 (all topics, batched groups), DescribeGroups, ListGroups filters, LeaveGroup v0/v5,
 * OffsetDelete and DeleteGroups, plus the error codes Kafka gives for bad input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBroker, tempDir, withBroker } from '../helpers/broker.js';
import { until } from '../helpers/wait.js';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { FindCoordinator } from '../../src/protocol/messages/find-coordinator.js';
import { JoinGroup } from '../../src/protocol/messages/join-group.js';
import { SyncGroup } from '../../src/protocol/messages/sync-group.js';
import { Heartbeat } from '../../src/protocol/messages/heartbeat.js';
import { LeaveGroup } from '../../src/protocol/messages/leave-group.js';
import { OffsetCommit } from '../../src/protocol/messages/offset-commit.js';
import { OffsetFetch } from '../../src/protocol/messages/offset-fetch.js';
import { DescribeGroups } from '../../src/protocol/messages/describe-groups.js';
import { ListGroups } from '../../src/protocol/messages/list-groups.js';
import { DeleteGroups } from '../../src/protocol/messages/delete-groups.js';
import { OffsetDelete } from '../../src/protocol/messages/offset-delete.js';
import { ApiVersions } from '../../src/protocol/messages/api-versions.js';

const protocols = [{ name: 'range', metadata: Buffer.from([0, 0, 0, 0, 0, 1, 0, 1, 0x74, 0xff, 0xff, 0xff, 0xff]) }];

test('group APIs on the wire across versions', { timeout: 60_000 }, async () => {
  await withBroker(async (b) => {
    await b.broker.topics.create({ name: 't', numPartitions: 2, replicationFactor: 1, configs: {} });
    const c = await KafkaClient.connect(b.bootstrap, { clientId: 'wire' });
    try {
      const versions = await c.request(ApiVersions, { clientSoftwareName: 'wire', clientSoftwareVersion: '1' }, { version: 3 });
      const range = (key: number) => versions.apiKeys.find((k) => k.apiKey === key);
      assert.deepEqual([8, 9, 10, 11, 12, 13, 14, 15, 16, 42, 47].map((k) => [range(k)?.minVersion, range(k)?.maxVersion]),
        [[2, 9], [1, 9], [0, 6], [0, 9], [0, 4], [0, 5], [0, 5], [0, 5], [0, 5], [0, 2], [0, 0]]);

      // FindCoordinator: this broker, single key (v0, v3) and batched keys (v4+); unknown key types fail.
      const f0 = await c.request(FindCoordinator, { key: 'g' }, { version: 0 });
      assert.deepEqual([f0.errorCode, f0.nodeId, f0.host, f0.port], [0, b.broker.nodeId, b.host, b.port]);
      assert.ok(b.broker.topics.get('__consumer_offsets')?.isInternal, 'the offsets topic exists after FindCoordinator');
      const f4 = await c.request(FindCoordinator, { keyType: 0, coordinatorKeys: ['a', 'b'] }, { version: 4 });
      assert.deepEqual(f4.coordinators.map((x) => [x.key, x.nodeId, x.errorCode]), [['a', b.broker.nodeId, 0], ['b', b.broker.nodeId, 0]]);
      const txn = await c.request(FindCoordinator, { keyType: 1, coordinatorKeys: ['tx'] }, { version: 6 });
      assert.equal(txn.coordinators[0]!.errorCode, 0);
      const bad = await c.request(FindCoordinator, { key: 'g', keyType: 7 }, { version: 3 });
      assert.equal(bad.errorCode, ErrorCode.INVALID_REQUEST);

      // JoinGroup v0: no MEMBER_ID_REQUIRED; response protocol name is a plain string.
      const j0 = await c.request(JoinGroup, { groupId: 'old', sessionTimeoutMs: 10000, memberId: '', protocolType: 'consumer', protocols }, { version: 0 });
      assert.equal(j0.errorCode, 0);
      assert.equal(j0.protocolName, 'range');
      assert.equal(j0.leader, j0.memberId);
      assert.match(j0.memberId, /^wire-/);
      const s0 = await c.request(SyncGroup, { groupId: 'old', generationId: j0.generationId, memberId: j0.memberId, assignments: [{ memberId: j0.memberId, assignment: Buffer.from('x') }] }, { version: 0 });
      assert.deepEqual([s0.errorCode, s0.assignment.toString()], [0, 'x']);
      const hb = await c.request(Heartbeat, { groupId: 'old', generationId: j0.generationId, memberId: j0.memberId }, { version: 0 });
      assert.equal(hb.errorCode, 0);

      // JoinGroup v9: MEMBER_ID_REQUIRED, then join; errors have a null protocol name.
      const j9a = await c.request(JoinGroup, { groupId: 'new', sessionTimeoutMs: 10000, rebalanceTimeoutMs: 10000, memberId: '', protocolType: 'consumer', protocols }, { version: 9 });
      assert.equal(j9a.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
      assert.equal(j9a.protocolName, null);
      const j9 = await c.request(JoinGroup, { groupId: 'new', sessionTimeoutMs: 10000, rebalanceTimeoutMs: 10000, memberId: j9a.memberId, protocolType: 'consumer', protocols }, { version: 9 });
      assert.deepEqual([j9.errorCode, j9.protocolType, j9.protocolName, j9.skipAssignment], [0, 'consumer', 'range', false]);
      const s5 = await c.request(SyncGroup, { groupId: 'new', generationId: j9.generationId, memberId: j9.memberId, protocolType: 'consumer', protocolName: 'range', assignments: [] }, { version: 5 });
      assert.deepEqual([s5.errorCode, s5.protocolType, s5.protocolName], [0, 'consumer', 'range']);
      const wrongProto = await c.request(SyncGroup, { groupId: 'new', generationId: j9.generationId, memberId: j9.memberId, protocolType: 'connect', protocolName: 'range', assignments: [] }, { version: 5 });
      assert.equal(wrongProto.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
      const invalid = await c.request(JoinGroup, { groupId: '', sessionTimeoutMs: 10000, memberId: '', protocolType: 'consumer', protocols }, { version: 5 });
      assert.equal(invalid.errorCode, ErrorCode.INVALID_GROUP_ID);
      const timeout = await c.request(JoinGroup, { groupId: 'x', sessionTimeoutMs: 1, memberId: '', protocolType: 'consumer', protocols }, { version: 2 });
      assert.equal(timeout.errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);

      // OffsetCommit: member commit, unknown topic, then fetch at several versions.
      const commit = await c.request(OffsetCommit, {
        groupId: 'new', generationIdOrMemberEpoch: j9.generationId, memberId: j9.memberId,
        topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 5, committedLeaderEpoch: 0, commitTimestamp: -1, committedMetadata: 'meta' }, { partitionIndex: 9, committedOffset: 1, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }] },
          { name: 'missing', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }] }],
      }, { version: 8 });
      assert.deepEqual(commit.topics.map((t) => t.partitions.map((p) => p.errorCode)), [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION], [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]);
      const stale = await c.request(OffsetCommit, { groupId: 'new', generationIdOrMemberEpoch: 99, memberId: j9.memberId, topics: [{ name: 't', partitions: [{ partitionIndex: 1, committedOffset: 1, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: '' }] }] }, { version: 2 });
      assert.equal(stale.topics[0]!.partitions[0]!.errorCode, ErrorCode.ILLEGAL_GENERATION);
      const f1 = await c.request(OffsetFetch, { groupId: 'new', topics: [{ name: 't', partitionIndexes: [0, 1] }] }, { version: 1 });
      assert.deepEqual(f1.topics[0]!.partitions.map((p) => [p.committedOffset, p.metadata, p.errorCode]), [[5, 'meta', 0], [-1, '', 0]]);
      const f7 = await c.request(OffsetFetch, { groupId: 'new', topics: null, requireStable: true }, { version: 7 });
      assert.deepEqual(f7.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.committedLeaderEpoch])]), [['t', [[0, 5, 0]]]]);
      const f8 = await c.request(OffsetFetch, { groups: [{ groupId: 'new', memberId: null, memberEpoch: -1, topics: null }, { groupId: 'unknown', memberId: null, memberEpoch: -1, topics: [{ name: 't', partitionIndexes: [0] }] }] }, { version: 8 });
      assert.deepEqual(f8.groups.map((g) => [g.groupId, g.errorCode, g.topics.flatMap((t) => t.partitions.map((p) => p.committedOffset))]), [['new', 0, [5]], ['unknown', 0, [-1]]]);

      // DescribeGroups / ListGroups.
      const d = await c.request(DescribeGroups, { groups: ['new', 'nope'], includeAuthorizedOperations: true }, { version: 5 });
      assert.deepEqual(d.groups.map((g) => [g.groupId, g.errorCode, g.groupState, g.protocolType, g.protocolData, g.members.length]),
        [['new', 0, 'Stable', 'consumer', 'range', 1], ['nope', 0, 'Dead', '', '', 0]]);
      assert.notEqual(d.groups[0]!.authorizedOperations, -2147483648);
      assert.equal(d.groups[0]!.members[0]!.clientId, 'wire');
      const all = await c.request(ListGroups, {}, { version: 0 });
      assert.deepEqual(all.groups.map((g) => g.groupId).sort(), ['new', 'old']);
      const stable = await c.request(ListGroups, { statesFilter: ['Stable'], typesFilter: ['classic'] }, { version: 5 });
      assert.deepEqual(stable.groups.map((g) => [g.groupState, g.groupType]), [['Stable', 'classic'], ['Stable', 'classic']]);
      const none = await c.request(ListGroups, { statesFilter: ['Empty'] }, { version: 4 });
      assert.deepEqual(none.groups, []);

      // OffsetDelete while subscribed; DeleteGroups while not empty; then leave and delete.
      const od = await c.request(OffsetDelete, { groupId: 'new', topics: [{ name: 't', partitions: [{ partitionIndex: 0 }] }, { name: 'missing', partitions: [{ partitionIndex: 0 }] }] }, { version: 0 });
      assert.deepEqual(od.topics.map((t) => t.partitions[0]!.errorCode), [ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
      const busy = await c.request(DeleteGroups, { groupsNames: ['new', 'ghost'] }, { version: 2 });
      assert.deepEqual(busy.results.map((r) => r.errorCode), [ErrorCode.NON_EMPTY_GROUP, ErrorCode.GROUP_ID_NOT_FOUND]);
      const leave0 = await c.request(LeaveGroup, { groupId: 'old', memberId: j0.memberId }, { version: 0 });
      assert.equal(leave0.errorCode, 0);
      const leave5 = await c.request(LeaveGroup, { groupId: 'new', members: [{ memberId: j9.memberId, groupInstanceId: null, reason: 'done' }, { memberId: 'who', groupInstanceId: null, reason: null }] }, { version: 5 });
      assert.deepEqual([leave5.errorCode, ...leave5.members.map((m) => m.errorCode)], [0, 0, ErrorCode.UNKNOWN_MEMBER_ID]);
      const afterLeave = await c.request(Heartbeat, { groupId: 'new', generationId: j9.generationId, memberId: j9.memberId }, { version: 4 });
      assert.equal(afterLeave.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
      const od2 = await c.request(OffsetDelete, { groupId: 'new', topics: [{ name: 't', partitions: [{ partitionIndex: 0 }] }] }, { version: 0 });
      assert.deepEqual([od2.errorCode, od2.topics[0]!.partitions[0]!.errorCode], [0, 0]);
      const del = await c.request(DeleteGroups, { groupsNames: ['new', 'old'] }, { version: 0 });
      assert.deepEqual(del.results.map((r) => r.errorCode), [0, 0]);
      assert.deepEqual((await c.request(ListGroups, {}, { version: 3 })).groups, []);
    } finally {
      await c.close();
    }
  }, { overrides: { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '4' } });
});

test('group membership survives a restart; members that do not come back expire after their session timeout', { timeout: 60_000 }, async () => {
  const dir = tempDir('sherwood-groups-restart-');
  const overrides = { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '2', 'group.min.session.timeout.ms': '500' };
  try {
    let b = await startTestBroker({ dataDir: dir.path, overrides });
    let memberId: string;
    try {
      const c = await KafkaClient.connect(b.bootstrap, { clientId: 'restart' });
      try {
        const j = await c.request(JoinGroup, { groupId: 'r', sessionTimeoutMs: 1500, rebalanceTimeoutMs: 5000, memberId: '', protocolType: 'consumer', protocols }, { version: 3 });
        memberId = j.memberId;
        const s = await c.request(SyncGroup, { groupId: 'r', generationId: j.generationId, memberId, assignments: [{ memberId, assignment: Buffer.from('mine') }] }, { version: 3 });
        assert.equal(s.errorCode, 0);
      } finally {
        await c.close();
      }
    } finally {
      await b.close();
    }
    b = await startTestBroker({ dataDir: dir.path, overrides });
    try {
      const c = await KafkaClient.connect(b.bootstrap);
      try {
        const d = (await c.request(DescribeGroups, { groups: ['r'] }, { version: 4 })).groups[0]!;
        assert.deepEqual([d.groupState, d.members.map((m) => [m.memberId, m.clientId, m.memberAssignment.toString()])], ['Stable', [[memberId, 'restart', 'mine']]]);
        // Asked over the wire, as a client would see it.
        let state = d.groupState;
        await until('the loaded member to expire', async () => {
          state = (await c.request(DescribeGroups, { groups: ['r'] }, { version: 4 })).groups[0]!.groupState;
          return state === 'Empty';
        }, { timeoutMs: 10_000, intervalMs: 50, detail: () => `state ${state}` });
      } finally {
        await c.close();
      }
    } finally {
      await b.close();
    }
  } finally {
    dir.remove();
  }
});
