/**
 * The group and transaction coordinators in a cluster (three in-process brokers over TCP):
 * the internal topics are created with offsets.topic.replication.factor /
 * transaction.state.log.replication.factor replicas (and fail to while fewer brokers are live);
 * FindCoordinator answers, from every broker, the leader of the key's internal partition; a
 * broker that does not lead it answers group requests NOT_COORDINATOR; when leadership moves the
 * new leader loads the partition (committed offsets survive) and FindCoordinator follows it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tcpTransport } from '../../src/base/transport.js';
import { KafkaClient } from '../../src/client/index.js';
import { FindCoordinator } from '../../src/protocol/messages/find-coordinator.js';
import { OffsetCommit } from '../../src/protocol/messages/offset-commit.js';
import { OffsetFetch } from '../../src/protocol/messages/offset-fetch.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { partitionForGroup } from '../../src/coordinator/group/records.js';
import { partitionForTransactionalId } from '../../src/coordinator/transaction/records.js';
import { eventually, startInProcessCluster, type InProcessCluster } from '../helpers/in-process-cluster.js';

const PARTITIONS = 3;
const overrides = { 'offsets.topic.num.partitions': String(PARTITIONS), 'transaction.state.log.num.partitions': String(PARTITIONS) };

async function withClient<T>(c: InProcessCluster, id: number, f: (client: KafkaClient) => Promise<T>): Promise<T> {
  const client = await KafkaClient.connect(c.broker(id).bootstrap);
  try {
    return await f(client);
  } finally {
    await client.close();
  }
}

function findCoordinators(client: KafkaClient, keyType: number, keys: string[]) {
  return client.request(FindCoordinator, { key: '', keyType, coordinatorKeys: keys }, { version: 4 });
}

function commit(client: KafkaClient, groupId: string, offset: number) {
  return client.request(OffsetCommit, {
    groupId, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1,
    topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }] }],
  }, { version: 5 });
}

async function fetchOffset(client: KafkaClient, groupId: string): Promise<{ errorCode: number; offset: number }> {
  const r = await client.request(OffsetFetch, { groupId, topics: [{ name: 'orders', partitionIndexes: [0] }], groups: [], requireStable: false }, { version: 5 });
  return { errorCode: r.errorCode, offset: r.topics[0]?.partitions[0]?.committedOffset ?? -2 };
}

test('FindCoordinator answers the leader of the key\'s internal partition from every broker; others answer NOT_COORDINATOR', { timeout: 60_000 }, async () => {
  const c = await startInProcessCluster({ brokers: 3, transport: tcpTransport, overrides });
  try {
    await c.createTopic('orders', 1, 3);
    const groups = ['g-a', 'g-b', 'g-c', 'g-d', 'g-e', 'g-f'];
    const first = await withClient(c, 1, (client) => findCoordinators(client, 0, groups));
    // Created on first use with Kafka's default replication factor 3.
    for (let p = 0; p < PARTITIONS; p++) assert.equal(c.registration('__consumer_offsets', p).replicas.length, 3);
    for (const id of [1, 2, 3]) {
      const r = await withClient(c, id, (client) => findCoordinators(client, 0, groups));
      for (const [i, g] of groups.entries()) {
        const leader = c.registration('__consumer_offsets', partitionForGroup(g, PARTITIONS)).leader;
        const answer = r.coordinators[i]!;
        assert.equal(answer.errorCode, ErrorCode.NONE, `${g} from broker ${id}: ${answer.errorMessage}`);
        assert.deepEqual([answer.key, answer.nodeId, answer.port], [g, leader, c.broker(leader).port], `${g} from broker ${id}`);
        assert.equal(first.coordinators[i]!.nodeId, leader);
      }
    }
    // Transactional ids: __transaction_state, likewise.
    const ids = ['t-1', 't-2', 't-3', 't-4'];
    const tx = await withClient(c, 2, (client) => findCoordinators(client, 1, ids));
    for (const [i, t] of ids.entries()) {
      const leader = c.registration('__transaction_state', partitionForTransactionalId(t, PARTITIONS)).leader;
      assert.deepEqual([tx.coordinators[i]!.errorCode, tx.coordinators[i]!.nodeId], [ErrorCode.NONE, leader], t);
    }
    assert.equal(c.registration('__transaction_state', 0).replicas.length, 3);

    // A broker that does not lead the group's partition is not its coordinator.
    const leader = c.registration('__consumer_offsets', partitionForGroup('g-a', PARTITIONS)).leader;
    const other = [1, 2, 3].find((b) => b !== leader)!;
    const wrong = await withClient(c, other, (client) => commit(client, 'g-a', 5));
    assert.equal(wrong.topics[0]!.partitions[0]!.errorCode, ErrorCode.NOT_COORDINATOR);
    assert.equal((await withClient(c, other, (client) => fetchOffset(client, 'g-a'))).errorCode, ErrorCode.NOT_COORDINATOR);
  } finally {
    await c.close();
  }
});

test('when leadership of a group\'s partition moves, the new leader loads it: FindCoordinator follows and committed offsets survive', { timeout: 60_000 }, async () => {
  const c = await startInProcessCluster({ brokers: 3, transport: tcpTransport, overrides });
  try {
    await c.createTopic('orders', 1, 3);
    const group = 'moving-group';
    const p = partitionForGroup(group, PARTITIONS);
    const before = await withClient(c, 1, (client) => findCoordinators(client, 0, [group]));
    const old = before.coordinators[0]!.nodeId;
    assert.equal(old, c.registration('__consumer_offsets', p).leader);
    const committed = await withClient(c, old, (client) => commit(client, group, 42));
    assert.equal(committed.topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE);

    // The followers have the commit; leadership moves to one of them (leader epoch + 1).
    const next = c.registration('__consumer_offsets', p).replicas.find((r) => r !== old)!;
    await eventually(() => c.partition(next, '__consumer_offsets', p).logEndOffset === c.partition(old, '__consumer_offsets', p).logEndOffset, 'the follower has the commit');
    await c.electLeader('__consumer_offsets', p, next);
    const oldService = c.broker(old).broker.groups.service;
    await eventually(() => !oldService.runtime.isActive(p), 'the old leader unloads the partition');
    await eventually(() => c.broker(next).broker.groups.service.runtime.isActive(p), 'the new leader loads the partition');

    for (const id of [1, 2, 3]) {
      const r = await withClient(c, id, (client) => findCoordinators(client, 0, [group]));
      assert.deepEqual([r.coordinators[0]!.errorCode, r.coordinators[0]!.nodeId], [ErrorCode.NONE, next], `from broker ${id}`);
    }
    assert.deepEqual(await withClient(c, next, (client) => fetchOffset(client, group)), { errorCode: ErrorCode.NONE, offset: 42 });
    assert.equal((await withClient(c, old, (client) => fetchOffset(client, group))).errorCode, ErrorCode.NOT_COORDINATOR);
  } finally {
    await c.close();
  }
});

test('with fewer live brokers than offsets.topic.replication.factor, FindCoordinator answers COORDINATOR_NOT_AVAILABLE', { timeout: 60_000 }, async () => {
  const c = await startInProcessCluster({ brokers: 2, transport: tcpTransport, overrides });
  try {
    const r = await withClient(c, 1, (client) => findCoordinators(client, 0, ['lonely']));
    assert.equal(r.coordinators[0]!.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    assert.equal(c.broker(1).broker.topics.get('__consumer_offsets'), undefined, 'not created');
  } finally {
    await c.close();
  }
});
