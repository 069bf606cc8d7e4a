/**
 * The transactional APIs on the wire with Sherwood's own client, version by version:
 * FindCoordinator key type 1, AddPartitionsToTxn v0-3, AddOffsetsToTxn, TxnOffsetCommit,
 * OffsetFetch requireStable, EndTxn v0-4 (PRODUCER_FENCED vs INVALID_PRODUCER_EPOCH),
 * WriteTxnMarkers v1, DescribeTransactions, ListTransactions v0-1; markers in the partitions;
 * a marker that cannot be written is retried until it can; and after a restart a transaction
 * left in PrepareCommit gets its markers and completes.
 *
 * InitProducerId is not served yet (it waits for producer state in the partitions), so the
 * producer ids come from the broker's transaction coordinator in-process unless it is
 * advertised, in which case the wire is used.
 */
import { untilValue as until } from '../helpers/wait.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBroker, tempDir, withBroker } from '../helpers/broker.js';
import type { RunningBroker } from '../../src/index.js';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { ATTR_CONTROL, ATTR_TRANSACTIONAL } from '../../src/protocol/record-batch.js';
import { decodeBatches, decodeControlRecord } from '../../src/protocol/records.js';
import { FindCoordinator } from '../../src/protocol/messages/find-coordinator.js';
import { InitProducerId, type InitProducerIdRequest, type InitProducerIdResponse } from '../../src/protocol/messages/init-producer-id.js';
import type { Handler } from '../../src/server/handler.js';
import type { Authorizer } from '../../src/server/pipeline/authorization.js';
import { AddPartitionsToTxn } from '../../src/protocol/messages/add-partitions-to-txn.js';
import { AddOffsetsToTxn } from '../../src/protocol/messages/add-offsets-to-txn.js';
import { EndTxn } from '../../src/protocol/messages/end-txn.js';
import { TxnOffsetCommit } from '../../src/protocol/messages/txn-offset-commit.js';
import { OffsetFetch } from '../../src/protocol/messages/offset-fetch.js';
import { WriteTxnMarkers } from '../../src/protocol/messages/write-txn-markers.js';
import { DescribeTransactions } from '../../src/protocol/messages/describe-transactions.js';
import { ListTransactions } from '../../src/protocol/messages/list-transactions.js';
import { Fetch } from '../../src/protocol/messages/fetch.js';
import { ZERO_UUID } from '../../src/protocol/primitives.js';
import { partitionForGroup } from '../../src/coordinator/group/records.js';

const E = ErrorCode;

/** A producer id and epoch for a transactional id: InitProducerId on the wire if it is served, else in-process. */
async function initProducer(b: RunningBroker, c: KafkaClient, transactionalId: string, transactionTimeoutMs = 60_000): Promise<{ producerId: number; producerEpoch: number }> {
  if (b.broker.handlers.has(InitProducerId.apiKey)) {
    for (;;) {
      const r = await c.request(InitProducerId, { transactionalId, transactionTimeoutMs, producerId: -1, producerEpoch: -1 }, { version: 4 });
      if (r.errorCode === E.CONCURRENT_TRANSACTIONS) continue;
      assert.equal(r.errorCode, E.NONE);
      return { producerId: r.producerId, producerEpoch: r.producerEpoch };
    }
  }
  assert.equal(await b.broker.transactions.availability(), E.NONE);
  for (;;) {
    const r = await b.broker.transactions.service.initProducerId(transactionalId, transactionTimeoutMs, null);
    if (r.errorCode === E.CONCURRENT_TRANSACTIONS) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      continue;
    }
    assert.equal(r.errorCode, E.NONE);
    return { producerId: r.producerId, producerEpoch: r.producerEpoch };
  }
}

/** Every batch of a partition (read_uncommitted, control batches included). */
async function batches(c: KafkaClient, topic: string, partition: number) {
  const res = await c.request(Fetch, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, topicId: ZERO_UUID, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20, replicaDirectoryId: ZERO_UUID }] }],
    forgottenTopicsData: [], rackId: '',
  }, { version: 11 });
  return decodeBatches(res.responses[0]!.partitions[0]!.records);
}

function markersOf(list: Awaited<ReturnType<typeof batches>>) {
  return list.filter((x) => (x.header.attributes & ATTR_CONTROL) !== 0)
    .map((x) => ({ producerId: x.header.producerId, producerEpoch: x.header.producerEpoch, transactional: (x.header.attributes & ATTR_TRANSACTIONAL) !== 0, ...decodeControlRecord(x.records[0]!) }));
}


const describe = async (c: KafkaClient, id: string) => (await c.request(DescribeTransactions, { transactionalIds: [id] }, { version: 0 })).transactionStates[0]!;

test('transactional APIs on the wire: add partitions and offsets, commit, markers, offsets, describe and list', { timeout: 90_000 }, async () => {
  await withBroker(async (b) => {
    await b.broker.topics.create({ name: 'out', numPartitions: 2, replicationFactor: 1, configs: {} });
    const c = await KafkaClient.connect(b.bootstrap, { clientId: 'txn-wire' });
    try {
      // FindCoordinator key type 1 creates __transaction_state and answers this broker.
      const f1 = await c.request(FindCoordinator, { key: 'tx-1', keyType: 1 }, { version: 1 });
      assert.deepEqual([f1.errorCode, f1.nodeId, f1.port], [E.NONE, b.broker.nodeId, b.port]);
      assert.ok(b.broker.topics.get('__transaction_state')?.isInternal, 'created on first use');
      assert.equal(b.broker.topics.get('__transaction_state')!.numPartitions, 50);
      const f4 = await c.request(FindCoordinator, { keyType: 1, coordinatorKeys: ['a', 'b'] }, { version: 4 });
      assert.deepEqual(f4.coordinators.map((x) => [x.key, x.errorCode, x.nodeId]), [['a', 0, b.broker.nodeId], ['b', 0, b.broker.nodeId]]);

      const p = await initProducer(b, c, 'tx-1');
      const add = (version: number, topics: { name: string; partitions: number[] }[], epoch = p.producerEpoch) => c.request(AddPartitionsToTxn, {
        v3AndBelowTransactionalId: 'tx-1', v3AndBelowProducerId: p.producerId, v3AndBelowProducerEpoch: epoch, v3AndBelowTopics: topics,
      }, { version });
      const codesOf = (r: Awaited<ReturnType<typeof add>>) => r.resultsByTopicV3AndBelow.flatMap((t) => t.resultsByPartition.map((x) => [t.name, x.partitionIndex, x.partitionErrorCode]));
      // One bad partition: nothing is added.
      assert.deepEqual(codesOf(await add(3, [{ name: 'out', partitions: [0] }, { name: 'nope', partitions: [0] }, { name: 'out', partitions: [7] }])),
        [['out', 0, E.OPERATION_NOT_ATTEMPTED], ['out', 7, E.UNKNOWN_TOPIC_OR_PARTITION], ['nope', 0, E.UNKNOWN_TOPIC_OR_PARTITION]]);
      assert.deepEqual(codesOf(await add(3, [{ name: '__consumer_offsets', partitions: [0] }])), [['__consumer_offsets', 0, E.TOPIC_AUTHORIZATION_FAILED]],
        'internal topics are added through AddOffsetsToTxn only');
      assert.equal((await describe(c, 'tx-1')).transactionState, 'Empty');
      for (const version of [0, 1, 2, 3]) {
        assert.deepEqual(codesOf(await add(version, [{ name: 'out', partitions: [version % 2] }])), [['out', version % 2, E.NONE]], `v${version}`);
      }
      assert.deepEqual(codesOf(await add(1, [{ name: 'out', partitions: [0] }], p.producerEpoch + 1)), [['out', 0, E.INVALID_PRODUCER_EPOCH]], 'v1: INVALID_PRODUCER_EPOCH');
      assert.deepEqual(codesOf(await add(2, [{ name: 'out', partitions: [0] }], p.producerEpoch + 1)), [['out', 0, E.PRODUCER_FENCED]], 'v2: PRODUCER_FENCED');

      // Transactional records, then the group's offsets inside the transaction.
      for (const partition of [0, 1]) {
        await c.produce('out', partition, [{ key: null, value: Buffer.from(`r${partition}`) }], { producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence: 0, transactional: true, transactionalId: 'tx-1' });
      }
      const ao = await c.request(AddOffsetsToTxn, { transactionalId: 'tx-1', producerId: p.producerId, producerEpoch: p.producerEpoch, groupId: 'g' }, { version: 3 });
      assert.equal(ao.errorCode, E.NONE);
      const described = await describe(c, 'tx-1');
      // Before any group request: the partition the group coordinator will use (offsets.topic.num.partitions).
      assert.equal(b.broker.topics.get('__consumer_offsets'), undefined);
      const offsetsPartition = partitionForGroup('g', 50);
      assert.deepEqual([described.transactionState, described.producerId, described.topics],
        ['Ongoing', p.producerId, [{ topic: '__consumer_offsets', partitions: [offsetsPartition] }, { topic: 'out', partitions: [0, 1] }]]);
      const commit = (version: number, offset: number, extra: Record<string, unknown> = {}) => c.request(TxnOffsetCommit, {
        transactionalId: 'tx-1', groupId: 'g', producerId: p.producerId, producerEpoch: p.producerEpoch, generationId: -1, memberId: '', groupInstanceId: null,
        topics: [{ name: 'in', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: 'meta' }] }, { name: 'ghost', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: null }] }],
        ...extra,
      }, { version });
      await b.broker.topics.create({ name: 'in', numPartitions: 1, replicationFactor: 1, configs: {} });
      for (const version of [0, 2, 3, 4]) {
        const r = await commit(version, 40 + version);
        assert.deepEqual(r.topics.map((t) => [t.name, t.partitions[0]!.errorCode]), [['in', E.NONE], ['ghost', E.UNKNOWN_TOPIC_OR_PARTITION]], `v${version}`);
      }
      const fetchOffset = async (requireStable: boolean) => {
        const r = await c.request(OffsetFetch, { groupId: 'g', topics: [{ name: 'in', partitionIndexes: [0] }], requireStable }, { version: 7 });
        const x = r.topics[0]!.partitions[0]!;
        return [x.errorCode, x.committedOffset];
      };
      assert.deepEqual(await fetchOffset(false), [E.NONE, -1], 'pending offsets are not visible');
      assert.deepEqual(await fetchOffset(true), [E.UNSTABLE_OFFSET_COMMIT, -1]);

      // Commit: answered once PrepareCommit is durable; the markers follow.
      const end = await c.request(EndTxn, { transactionalId: 'tx-1', producerId: p.producerId, producerEpoch: p.producerEpoch, committed: true }, { version: 3 });
      assert.equal(end.errorCode, E.NONE);
      await until('CompleteCommit', () => describe(c, 'tx-1'), (d) => d.transactionState === 'CompleteCommit');
      for (const partition of [0, 1]) {
        const markers = markersOf(await batches(c, 'out', partition));
        assert.deepEqual(markers, [{ producerId: p.producerId, producerEpoch: p.producerEpoch, transactional: true, type: 1, coordinatorEpoch: 0 }]);
      }
      assert.deepEqual(await fetchOffset(true), [E.NONE, 44], 'the last TxnOffsetCommit became the committed offset');
      assert.deepEqual(markersOf(await batches(c, '__consumer_offsets', offsetsPartition)).map((m) => m.type), [1], 'the group coordinator wrote its marker');
      // Retrying the commit is fine; aborting now is not.
      const again = (committed: boolean, version: number, epoch = p.producerEpoch) => c.request(EndTxn, { transactionalId: 'tx-1', producerId: p.producerId, producerEpoch: epoch, committed }, { version });
      assert.equal((await again(true, 0)).errorCode, E.NONE);
      assert.equal((await again(false, 4)).errorCode, E.INVALID_TXN_STATE);
      assert.equal((await again(true, 1, p.producerEpoch + 3)).errorCode, E.INVALID_PRODUCER_EPOCH, 'v1 maps PRODUCER_FENCED');
      assert.equal((await again(true, 2, p.producerEpoch + 3)).errorCode, E.PRODUCER_FENCED);
      assert.equal((await c.request(EndTxn, { transactionalId: 'nobody', producerId: 1, producerEpoch: 0, committed: true }, { version: 4 })).errorCode, E.INVALID_PRODUCER_ID_MAPPING);
      assert.equal((await c.request(AddOffsetsToTxn, { transactionalId: 'nobody', producerId: 1, producerEpoch: 0, groupId: 'g' }, { version: 4 })).errorCode, E.INVALID_PRODUCER_ID_MAPPING);
      // TxnOffsetCommit outside a transaction fails verification (KIP-890).
      const stray = await commit(3, 99);
      assert.equal(stray.topics[0]!.partitions[0]!.errorCode, E.INVALID_TXN_STATE);

      // An aborted transaction: its markers are ABORT and its offsets never show.
      const q = await initProducer(b, c, 'tx-2');
      await c.request(AddPartitionsToTxn, { v3AndBelowTransactionalId: 'tx-2', v3AndBelowProducerId: q.producerId, v3AndBelowProducerEpoch: q.producerEpoch, v3AndBelowTopics: [{ name: 'out', partitions: [0] }] }, { version: 3 });
      await c.request(AddOffsetsToTxn, { transactionalId: 'tx-2', producerId: q.producerId, producerEpoch: q.producerEpoch, groupId: 'g' }, { version: 3 });
      await c.request(TxnOffsetCommit, { transactionalId: 'tx-2', groupId: 'g', producerId: q.producerId, producerEpoch: q.producerEpoch, topics: [{ name: 'in', partitions: [{ partitionIndex: 0, committedOffset: 1000, committedLeaderEpoch: -1, committedMetadata: null }] }] }, { version: 3 });
      assert.equal((await c.request(EndTxn, { transactionalId: 'tx-2', producerId: q.producerId, producerEpoch: q.producerEpoch, committed: false }, { version: 3 })).errorCode, E.NONE);
      await until('CompleteAbort', () => describe(c, 'tx-2'), (d) => d.transactionState === 'CompleteAbort');
      assert.deepEqual(markersOf(await batches(c, 'out', 0)).map((m) => m.type), [1, 0]);
      assert.deepEqual(await fetchOffset(true), [E.NONE, 44], 'the aborted offset was dropped');

      // DescribeTransactions and ListTransactions.
      const d = await c.request(DescribeTransactions, { transactionalIds: ['tx-1', 'nobody', ''] }, { version: 0 });
      assert.deepEqual(d.transactionStates.map((s) => [s.transactionalId, s.errorCode, s.transactionState]),
        [['tx-1', E.NONE, 'CompleteCommit'], ['nobody', E.TRANSACTIONAL_ID_NOT_FOUND, ''], ['', E.INVALID_REQUEST, '']]);
      const list0 = await c.request(ListTransactions, { stateFilters: [], producerIdFilters: [] }, { version: 0 });
      assert.deepEqual(list0.transactionStates.map((s) => [s.transactionalId, s.transactionState]).sort(), [['tx-1', 'CompleteCommit'], ['tx-2', 'CompleteAbort']]);
      const list1 = await c.request(ListTransactions, { stateFilters: ['CompleteAbort', 'Bogus'], producerIdFilters: [], durationFilter: -1 }, { version: 1 });
      assert.deepEqual([list1.errorCode, list1.unknownStateFilters, list1.transactionStates.map((s) => s.transactionalId)], [E.NONE, ['Bogus'], ['tx-2']]);
      const byPid = await c.request(ListTransactions, { stateFilters: [], producerIdFilters: [p.producerId], durationFilter: 3_600_000 }, { version: 1 });
      assert.deepEqual(byPid.transactionStates, [], 'not running longer than an hour');
    } finally {
      await c.close();
    }
  });
});

test('WriteTxnMarkers v1 appends control batches and completes pending transactional offsets', { timeout: 60_000 }, async () => {
  await withBroker(async (b) => {
    await b.broker.topics.create({ name: 'w', numPartitions: 1, replicationFactor: 1, configs: {} });
    const c = await KafkaClient.connect(b.bootstrap, { clientId: 'txn-markers' });
    try {
      await c.findCoordinator('g2');
      const offsetsPartition = b.broker.groups.service.partitionFor('g2');
      // A pending transactional offset of producer 777 (written through the group coordinator).
      const pending = await b.broker.groups.service.commitTransactionalOffsets({ transactionalId: 't', groupId: 'g2', producerId: 777, producerEpoch: 2, generationId: -1, memberId: '', groupInstanceId: null,
        topics: [{ name: 'w', partitions: [{ partitionIndex: 0, committedOffset: 5, committedLeaderEpoch: -1, committedMetadata: null }] }] });
      assert.equal(pending.topics[0]!.partitions[0]!.errorCode, E.NONE);
      const r = await c.request(WriteTxnMarkers, { markers: [{
        producerId: 777, producerEpoch: 2, transactionResult: true, coordinatorEpoch: 9,
        topics: [{ name: 'w', partitionIndexes: [0] }, { name: '__consumer_offsets', partitionIndexes: [offsetsPartition] }, { name: 'missing', partitionIndexes: [0] }],
      }] }, { version: 1 });
      assert.deepEqual(r.markers[0]!.topics.map((t) => [t.name, t.partitions[0]!.errorCode]),
        [['w', E.NONE], ['__consumer_offsets', E.NONE], ['missing', E.UNKNOWN_TOPIC_OR_PARTITION]]);
      assert.deepEqual(markersOf(await batches(c, 'w', 0)), [{ producerId: 777, producerEpoch: 2, transactional: true, type: 1, coordinatorEpoch: 9 }]);
      assert.deepEqual((await c.fetchCommittedOffsets('g2', 'w', [0])).get(0), 5, 'the COMMIT marker made the pending offset visible');

      // Without CLUSTER_ACTION nothing is written and every partition says why.
      const broker = b.broker as { authorizer: Authorizer };
      const allowAll = broker.authorizer;
      broker.authorizer = { authorize: (r) => r.operation !== 'CLUSTER_ACTION' };
      try {
        const denied = await c.request(WriteTxnMarkers, { markers: [{ producerId: 778, producerEpoch: 0, transactionResult: false, coordinatorEpoch: 9, topics: [{ name: 'w', partitionIndexes: [0] }] }] }, { version: 1 });
        assert.deepEqual(denied.markers[0]!.topics[0]!.partitions, [{ partitionIndex: 0, errorCode: E.CLUSTER_AUTHORIZATION_FAILED }]);
        assert.equal(markersOf(await batches(c, 'w', 0)).length, 1);
      } finally {
        broker.authorizer = allowAll;
      }
    } finally {
      await c.close();
    }
  });
});

test('markers that cannot be written are retried until they can; after a restart a transaction left in PrepareCommit completes', { timeout: 90_000 }, async () => {
  const dir = tempDir();
  try {
    let b = await startTestBroker({ dataDir: dir.path });
    // acks=-1 appends to this topic fail (min.insync.replicas 2 > 1 replica): so do its markers.
    await b.broker.topics.create({ name: 'stuck', numPartitions: 1, replicationFactor: 1, configs: { 'min.insync.replicas': '2' } });
    let c = await KafkaClient.connect(b.bootstrap, { clientId: 'txn-stuck' });
    const begin = async (id: string) => {
      const p = await initProducer(b, c, id);
      await c.request(AddPartitionsToTxn, { v3AndBelowTransactionalId: id, v3AndBelowProducerId: p.producerId, v3AndBelowProducerEpoch: p.producerEpoch, v3AndBelowTopics: [{ name: 'stuck', partitions: [0] }] }, { version: 3 });
      await c.produce('stuck', 0, [{ key: null, value: Buffer.from(id) }], { acks: 1, producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence: 0, transactional: true, transactionalId: id });
      assert.equal((await c.request(EndTxn, { transactionalId: id, producerId: p.producerId, producerEpoch: p.producerEpoch, committed: true }, { version: 3 })).errorCode, E.NONE);
      return p;
    };
    try {
      await begin('live');
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal((await describe(c, 'live')).transactionState, 'PrepareCommit', 'the marker keeps failing');
      assert.equal(b.broker.transactions.service.pendingCompletions, 1);
      const r = await c.request(InitProducerId, { transactionalId: 'live', transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 }, { version: 4 });
      assert.equal(r.errorCode, E.CONCURRENT_TRANSACTIONS);
      assert.equal((await b.broker.topics.alterConfigs('stuck', { 'min.insync.replicas': '1' })).errorCode, E.NONE);
      await until('CompleteCommit', () => describe(c, 'live'), (d) => d.transactionState === 'CompleteCommit');
      assert.deepEqual(markersOf(await batches(c, 'stuck', 0)).map((m) => m.type), [1]);

      // Again, but the broker stops while the marker is stuck: PrepareCommit is on disk, the marker is not.
      assert.equal((await b.broker.topics.alterConfigs('stuck', { 'min.insync.replicas': '2' })).errorCode, E.NONE);
      const p = await begin('restarted');
      assert.equal((await describe(c, 'restarted')).transactionState, 'PrepareCommit');
      await c.close();
      await b.close();

      b = await startTestBroker({ dataDir: dir.path });
      c = await KafkaClient.connect(b.bootstrap, { clientId: 'txn-stuck-2' });
      await c.request(FindCoordinator, { key: 'restarted', keyType: 1 }, { version: 1 });
      assert.equal((await describe(c, 'restarted')).transactionState, 'PrepareCommit', 'loaded in PrepareCommit; the marker still cannot be written');
      assert.equal((await b.broker.topics.alterConfigs('stuck', { 'min.insync.replicas': '1' })).errorCode, E.NONE);
      const d = await until('CompleteCommit after the restart', () => describe(c, 'restarted'), (x) => x.transactionState === 'CompleteCommit');
      assert.deepEqual([d.producerId, d.producerEpoch], [p.producerId, p.producerEpoch]);
      const markers = markersOf(await batches(c, 'stuck', 0));
      assert.deepEqual(markers.map((m) => [m.producerId, m.type]), [[markers[0]!.producerId, 1], [p.producerId, 1]]);
      assert.equal((await describe(c, 'live')).transactionState, 'CompleteCommit', 'the other id came back as it was');
    } finally {
      await c.close();
      await b.close();
    }
  } finally {
    dir.remove();
  }
});

test('after a restart, a transaction left Ongoing is aborted at its timeout and one left in PrepareAbort completes its abort', { timeout: 90_000 }, async () => {
  const dir = tempDir();
  try {
    let b = await startTestBroker({ dataDir: dir.path });
    await b.broker.topics.create({ name: 'open', numPartitions: 1, replicationFactor: 1, configs: {} });
    await b.broker.topics.create({ name: 'stuck', numPartitions: 1, replicationFactor: 1, configs: { 'min.insync.replicas': '2' } });
    let c = await KafkaClient.connect(b.bootstrap, { clientId: 'txn-restart' });
    try {
      const write = async (id: string, topic: string, timeoutMs: number) => {
        const p = await initProducer(b, c, id, timeoutMs);
        await c.request(AddPartitionsToTxn, { v3AndBelowTransactionalId: id, v3AndBelowProducerId: p.producerId, v3AndBelowProducerEpoch: p.producerEpoch, v3AndBelowTopics: [{ name: topic, partitions: [0] }] }, { version: 3 });
        await c.produce(topic, 0, [{ key: null, value: Buffer.from(id) }], { acks: 1, producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence: 0, transactional: true, transactionalId: id });
        return p;
      };
      const ongoing = await write('ongoing', 'open', 2_000);
      const aborting = await write('aborting', 'stuck', 60_000);
      assert.equal((await c.request(EndTxn, { transactionalId: 'aborting', producerId: aborting.producerId, producerEpoch: aborting.producerEpoch, committed: false }, { version: 3 })).errorCode, E.NONE);
      assert.equal((await describe(c, 'aborting')).transactionState, 'PrepareAbort', 'its marker cannot be written');
      assert.equal((await describe(c, 'ongoing')).transactionState, 'Ongoing');
      await c.close();
      await b.close();

      b = await startTestBroker({ dataDir: dir.path });
      c = await KafkaClient.connect(b.bootstrap, { clientId: 'txn-restart-2' });
      await c.request(FindCoordinator, { key: 'ongoing', keyType: 1 }, { version: 1 });
      assert.equal((await describe(c, 'aborting')).transactionState, 'PrepareAbort', 'loaded in PrepareAbort');
      assert.equal((await b.broker.topics.alterConfigs('stuck', { 'min.insync.replicas': '1' })).errorCode, E.NONE);
      await until('CompleteAbort after the restart', () => describe(c, 'aborting'), (x) => x.transactionState === 'CompleteAbort');
      assert.deepEqual(markersOf(await batches(c, 'stuck', 0)).map((m) => [m.producerId, m.type]), [[aborting.producerId, 0]], 'one ABORT marker');
      const timedOut = await until('the ongoing transaction aborted at its timeout', () => describe(c, 'ongoing'), (x) => x.transactionState === 'CompleteAbort');
      assert.equal(timedOut.producerId, ongoing.producerId);
      assert.ok(timedOut.producerEpoch > ongoing.producerEpoch, 'the timeout abort fences the old epoch (Kafka bumps it)');
      assert.deepEqual(markersOf(await batches(c, 'open', 0)).map((m) => m.type), [0], 'one ABORT marker');
    } finally {
      await c.close();
      await b.close();
    }
  } finally {
    dir.remove();
  }
});

test('InitProducerId\'s transactional path, through its handler: validation, creation on first use, KIP-360 bump, fencing', { timeout: 60_000 }, async () => {
  await withBroker(async (b) => {
    const handler = b.broker.handlers.get(InitProducerId.apiKey) as Handler<InitProducerIdRequest, InitProducerIdResponse> | undefined;
    assert.ok(handler !== undefined, 'InitProducerId is served');
const ctx = (apiVersion: number) => ({
      header: { apiKey: InitProducerId.apiKey, apiVersion, correlationId: 1, clientId: 'direct' },
      broker: b.broker,
      connection: { id: 1, remoteAddress: '127.0.0.1', remotePort: 1, listenerName: 'PLAINTEXT', principal: 'User:ANONYMOUS' },
      principal: 'User:ANONYMOUS',
    });
    const init = async (apiVersion: number, req: { transactionalId: string | null; transactionTimeoutMs: number; producerId?: number; producerEpoch?: number }) =>
      (await handler.handle(ctx(apiVersion), { producerId: -1, producerEpoch: -1, ...req }))!;
    assert.equal(b.broker.topics.get('__transaction_state'), undefined);
    assert.equal((await init(4, { transactionalId: '', transactionTimeoutMs: 1000 })).errorCode, E.INVALID_REQUEST);
    assert.equal((await init(4, { transactionalId: 'x', transactionTimeoutMs: 900_001 })).errorCode, E.INVALID_TRANSACTION_TIMEOUT);
    assert.equal(b.broker.topics.get('__transaction_state'), undefined, 'invalid requests create nothing');
    assert.equal((await init(4, { transactionalId: 'x', transactionTimeoutMs: 1000, producerId: 5 })).errorCode, E.INVALID_REQUEST, 'id without epoch');
    const first = await init(2, { transactionalId: 'x', transactionTimeoutMs: 1000 });
    assert.deepEqual([first.errorCode, first.producerEpoch], [E.NONE, 0]);
    assert.ok(b.broker.topics.get('__transaction_state') !== undefined, 'created on first use');
    const bumped = await init(3, { transactionalId: 'x', transactionTimeoutMs: 1000, producerId: first.producerId, producerEpoch: 0 });
    assert.deepEqual([bumped.errorCode, bumped.producerId, bumped.producerEpoch], [E.NONE, first.producerId, 1], 'KIP-360 bump');
    const stale = { transactionalId: 'x', transactionTimeoutMs: 1000, producerId: first.producerId, producerEpoch: 7 };
    assert.equal((await init(3, stale)).errorCode, E.INVALID_PRODUCER_EPOCH, 'v3: PRODUCER_FENCED mapped');
    assert.equal((await init(4, stale)).errorCode, E.PRODUCER_FENCED);
    // An ongoing transaction of the old producer is fenced: CONCURRENT_TRANSACTIONS, then epoch + 3
    // (fence + 1, the abort at transaction.version 2 + 1, the new producer + 1).
    assert.equal(await b.broker.transactions.service.addPartitionsToTransaction('x', first.producerId, 1, []), E.NONE);
    assert.equal((await init(5, { transactionalId: 'x', transactionTimeoutMs: 1000 })).errorCode, E.CONCURRENT_TRANSACTIONS);
    const after = await until('the fenced transaction aborted', () => init(5, { transactionalId: 'x', transactionTimeoutMs: 1000 }), (r) => r.errorCode === E.NONE);
    assert.deepEqual([after.producerId, after.producerEpoch], [first.producerId, 4]);
    const idempotent = await init(4, { transactionalId: null, transactionTimeoutMs: 0 });
    assert.deepEqual([idempotent.errorCode, idempotent.producerEpoch], [E.NONE, 0]);
    assert.notEqual(idempotent.producerId, first.producerId);
  });
});

test('a partition deleted during a transaction is skipped by its markers; the transaction completes', { timeout: 60_000 }, async () => {
  await withBroker(async (b) => {
    for (const name of ['kept', 'doomed']) await b.broker.topics.create({ name, numPartitions: 1, replicationFactor: 1, configs: {} });
    const c = await KafkaClient.connect(b.bootstrap, { clientId: 'txn-deleted' });
    try {
      const p = await initProducer(b, c, 'tx-del');
      const add = await c.request(AddPartitionsToTxn, { v3AndBelowTransactionalId: 'tx-del', v3AndBelowProducerId: p.producerId, v3AndBelowProducerEpoch: p.producerEpoch,
        v3AndBelowTopics: [{ name: 'kept', partitions: [0] }, { name: 'doomed', partitions: [0] }] }, { version: 3 });
      assert.ok(add.resultsByTopicV3AndBelow.every((t) => t.resultsByPartition.every((x) => x.partitionErrorCode === E.NONE)));
      assert.equal((await b.broker.topics.delete('doomed')).errorCode, E.NONE);
      assert.equal((await c.request(EndTxn, { transactionalId: 'tx-del', producerId: p.producerId, producerEpoch: p.producerEpoch, committed: true }, { version: 3 })).errorCode, E.NONE);
      await until('CompleteCommit', () => describe(c, 'tx-del'), (d) => d.transactionState === 'CompleteCommit');
      assert.deepEqual(markersOf(await batches(c, 'kept', 0)).map((m) => m.type), [1]);
    } finally {
      await c.close();
    }
  });
});
