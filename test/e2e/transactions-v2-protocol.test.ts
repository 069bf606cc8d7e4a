/**
 * Transaction V2 (KIP-890 part 2) on the wire, with Sherwood's own client pinning versions:
 * - Produce v12: a transactional batch for a partition not yet in the transaction adds it at
 *   the coordinator (no AddPartitionsToTxn); Produce v11 only verifies (TRANSACTION_ABORTABLE),
 *   v9 answers INVALID_TXN_STATE; a stale epoch is INVALID_PRODUCER_EPOCH;
 * - TxnOffsetCommit v5 adds the group's `__consumer_offsets` partition (no AddOffsetsToTxn),
 *   also with transaction.partition.verification.enable=false; v4 without it answers
 *   TRANSACTION_ABORTABLE, v3 INVALID_TXN_STATE;
 * - EndTxn v5: the answer carries the bumped epoch; markers are written with it; a retry with
 *   the previous epoch is NONE, the bumped epoch is then a new transaction; an abort with
 *   nothing added works; read_committed sees the committed data only;
 * - AddPartitionsToTxn v4-5 (the brokers' form): batched transactions, verifyOnly answers per
 *   partition, v5 adds as Transaction V2, CLUSTER_ACTION required.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import type { RunningBroker } from '../../src/index.js';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { encodeBatch } from '../../src/protocol/records.js';
import { ApiVersions } from '../../src/protocol/messages/api-versions.js';
import { InitProducerId } from '../../src/protocol/messages/init-producer-id.js';
import { AddPartitionsToTxn } from '../../src/protocol/messages/add-partitions-to-txn.js';
import { EndTxn } from '../../src/protocol/messages/end-txn.js';
import { Produce } from '../../src/protocol/messages/produce.js';
import { TxnOffsetCommit } from '../../src/protocol/messages/txn-offset-commit.js';
import { OffsetFetch } from '../../src/protocol/messages/offset-fetch.js';
import { IncrementalAlterConfigs } from '../../src/protocol/messages/incremental-alter-configs.js';
import type { Authorizer } from '../../src/server/pipeline/authorization.js';
import { partitionForGroup } from '../../src/coordinator/group/records.js';
import { describeTransaction, partitionBatches, until } from './transactions-helpers.js';

const E = ErrorCode;
const OVERRIDES = { 'offsets.topic.num.partitions': '1', 'transaction.state.log.num.partitions': '1', 'group.initial.rebalance.delay.ms': '0' };

function txnBatch(producerId: number, producerEpoch: number, baseSequence: number, value: string): Buffer {
  return encodeBatch({ records: [{ key: null, value: Buffer.from(value) }], timestamp: Date.now(), producerId, producerEpoch, baseSequence, transactional: true });
}

async function produce(c: KafkaClient, version: number, transactionalId: string, topic: string, partition: number, records: Buffer): Promise<number> {
  const res = await c.request(Produce, { transactionalId, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] }, { version });
  return res.responses[0]!.partitionResponses[0]!.errorCode;
}

async function init(c: KafkaClient, transactionalId: string): Promise<{ producerId: number; producerEpoch: number }> {
  for (;;) {
    const r = await c.request(InitProducerId, { transactionalId, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 }, { version: 5 });
    if (r.errorCode === E.CONCURRENT_TRANSACTIONS) continue;
    assert.equal(r.errorCode, E.NONE);
    return { producerId: r.producerId, producerEpoch: r.producerEpoch };
  }
}

const endTxn = (c: KafkaClient, transactionalId: string, producerId: number, producerEpoch: number, committed: boolean, version = 5) =>
  c.request(EndTxn, { transactionalId, producerId, producerEpoch, committed }, { version });

async function withClient(b: RunningBroker, fn: (c: KafkaClient) => Promise<void>): Promise<void> {
  const c = await KafkaClient.connect(b.bootstrap, { clientId: 'txn-v2' });
  try {
    await fn(c);
  } finally {
    await c.close();
  }
}

test('ApiVersions v3+ advertises transaction.version 0-2, finalized at the configured level, with the metadata offset as epoch', { timeout: 30_000 }, async () => {
  for (const level of [2, 1, 0]) {
    await withBroker((b) => withClient(b, async (c) => {
      const r = await c.request(ApiVersions, { clientSoftwareName: 'sherwood-test', clientSoftwareVersion: '1' }, { version: 3 });
      assert.deepEqual(r.supportedFeatures, [{ name: 'transaction.version', minVersion: 0, maxVersion: 2 }]);
      assert.deepEqual(r.finalizedFeatures, level === 0 ? [] : [{ name: 'transaction.version', maxVersionLevel: level, minVersionLevel: level }]);
      assert.equal(r.finalizedFeaturesEpoch, b.broker.topics.image.offset);
      assert.ok(r.finalizedFeaturesEpoch >= 0);
      const versions = new Map(r.apiKeys.map((k) => [k.apiKey, k.maxVersion]));
      assert.deepEqual([versions.get(Produce.apiKey), versions.get(EndTxn.apiKey), versions.get(TxnOffsetCommit.apiKey), versions.get(AddPartitionsToTxn.apiKey)], [12, 5, 5, 5]);
    }), { overrides: { 'transaction.version': String(level) } });
  }
});

test('Produce v12 adds the partition, EndTxn v5 bumps the epoch, markers carry it, retries with the previous epoch are NONE', { timeout: 60_000 }, async () => {
  await withBroker(async (b) => {
    await b.broker.topics.create({ name: 'v2', numPartitions: 2, replicationFactor: 1, configs: {} });
    await withClient(b, async (c) => {
      const p = await init(c, 'v2-tx');
      // Older produce versions only verify.
      assert.equal(await produce(c, 9, 'v2-tx', 'v2', 0, txnBatch(p.producerId, p.producerEpoch, 0, 'x')), E.INVALID_TXN_STATE);
      assert.equal(await produce(c, 11, 'v2-tx', 'v2', 0, txnBatch(p.producerId, p.producerEpoch, 0, 'x')), E.TRANSACTION_ABORTABLE);
      assert.equal(b.broker.partitionLog('v2', 0)!.logEndOffset, 0);
      // v12 adds it.
      assert.equal(await produce(c, 12, 'v2-tx', 'v2', 0, txnBatch(p.producerId, p.producerEpoch, 0, 'a0')), E.NONE);
      assert.equal(await produce(c, 12, 'v2-tx', 'v2', 1, txnBatch(p.producerId, p.producerEpoch, 0, 'a1')), E.NONE);
      assert.equal(await produce(c, 12, 'v2-tx', 'v2', 0, txnBatch(p.producerId, p.producerEpoch, 1, 'a2')), E.NONE);
      let d = await describeTransaction(c, 'v2-tx');
      assert.deepEqual([d.transactionState, d.topics], ['Ongoing', [{ topic: 'v2', partitions: [0, 1] }]]);
      assert.equal(await produce(c, 12, 'v2-tx', 'v2', 0, txnBatch(p.producerId, p.producerEpoch + 1, 0, 'z')), E.INVALID_PRODUCER_EPOCH, 'an epoch the coordinator does not have');

      const end = await endTxn(c, 'v2-tx', p.producerId, p.producerEpoch, true);
      assert.deepEqual([end.errorCode, end.producerId, end.producerEpoch], [E.NONE, p.producerId, p.producerEpoch + 1]);
      d = await until('CompleteCommit', () => describeTransaction(c, 'v2-tx'), (x) => x.transactionState === 'CompleteCommit');
      assert.equal(d.producerEpoch, p.producerEpoch + 1);
      for (const partition of [0, 1]) {
        const markers = (await partitionBatches(c, 'v2', partition)).filter((x) => x.control !== null);
        assert.deepEqual(markers.map((m) => [m.producerEpoch, m.control]), [[p.producerEpoch + 1, 'COMMIT']]);
      }
      const retry = await endTxn(c, 'v2-tx', p.producerId, p.producerEpoch, true);
      assert.deepEqual([retry.errorCode, retry.producerId, retry.producerEpoch], [E.NONE, p.producerId, p.producerEpoch + 1], 'a retried commit');
      assert.equal((await endTxn(c, 'v2-tx', p.producerId, p.producerEpoch, false)).errorCode, E.INVALID_TXN_STATE, 'a retried abort of a commit');
      assert.equal((await endTxn(c, 'v2-tx', p.producerId, p.producerEpoch + 1, true)).errorCode, E.INVALID_TXN_STATE, 'a new commit with nothing added');
      assert.equal((await endTxn(c, 'v2-tx', p.producerId, p.producerEpoch + 7, true)).errorCode, E.PRODUCER_FENCED);
      const failed = await endTxn(c, 'v2-tx', p.producerId + 1, p.producerEpoch, true);
      assert.deepEqual([failed.errorCode, failed.producerId, failed.producerEpoch], [E.INVALID_PRODUCER_ID_MAPPING, -1, -1]);

      // The next transaction at the new epoch (sequence 0 again), aborted.
      const e1 = p.producerEpoch + 1;
      assert.equal(await produce(c, 12, 'v2-tx', 'v2', 0, txnBatch(p.producerId, p.producerEpoch, 2, 'late')), E.INVALID_PRODUCER_EPOCH, 'the old epoch is over');
      assert.equal(await produce(c, 12, 'v2-tx', 'v2', 0, txnBatch(p.producerId, e1, 0, 'b0')), E.NONE);
      const abort = await endTxn(c, 'v2-tx', p.producerId, e1, false);
      assert.deepEqual([abort.errorCode, abort.producerEpoch], [E.NONE, e1 + 1]);
      await until('CompleteAbort', () => describeTransaction(c, 'v2-tx'), (x) => x.transactionState === 'CompleteAbort');
      // An abort with nothing added (Transaction V2 allows it).
      const empty = await endTxn(c, 'v2-tx', p.producerId, e1 + 1, false);
      assert.deepEqual([empty.errorCode, empty.producerEpoch], [E.NONE, e1 + 2]);
      await until('CompleteAbort', () => describeTransaction(c, 'v2-tx'), (x) => x.transactionState === 'CompleteAbort' && x.producerEpoch === e1 + 2);

      const batches = await partitionBatches(c, 'v2', 0);
      assert.deepEqual(batches.map((x) => x.control ?? x.values.join()), ['a0', 'a2', 'COMMIT', 'b0', 'ABORT']);
      assert.deepEqual(batches.map((x) => x.producerEpoch), [0, 0, 1, 1, 2].map((n) => p.producerEpoch + n));
    });
  }, { overrides: OVERRIDES });
});

test('TxnOffsetCommit v5 adds the group\'s offsets partition; v4 without AddOffsetsToTxn is TRANSACTION_ABORTABLE; offsets visible after the commit', { timeout: 60_000 }, async () => {
  await withBroker(async (b) => {
    await b.broker.topics.create({ name: 'in', numPartitions: 1, replicationFactor: 1, configs: {} });
    await withClient(b, async (c) => {
      const p = await init(c, 'off-tx');
      const commit = (version: number, offset: number) => c.request(TxnOffsetCommit, {
        transactionalId: 'off-tx', groupId: 'g2', producerId: p.producerId, producerEpoch: p.producerEpoch, generationId: -1, memberId: '', groupInstanceId: null,
        topics: [{ name: 'in', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: '' }] }],
      }, { version });
      const fetchOffset = async () => (await c.request(OffsetFetch, { groupId: 'g2', topics: [{ name: 'in', partitionIndexes: [0] }], groups: [], requireStable: false }, { version: 5 }))
        .topics[0]!.partitions[0]!.committedOffset;
      assert.equal((await commit(4, 5)).topics[0]!.partitions[0]!.errorCode, E.TRANSACTION_ABORTABLE);
      assert.equal((await commit(3, 5)).topics[0]!.partitions[0]!.errorCode, E.INVALID_TXN_STATE);
      // KIP-890 part 1 verification switched off: v5 still adds the partition (Kafka's ReplicaManager).
      const off = await c.request(IncrementalAlterConfigs, {
        resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'transaction.partition.verification.enable', configOperation: 0, value: 'false' }] }], validateOnly: false,
      }, { version: 1 });
      assert.equal(off.responses[0]!.errorCode, E.NONE);
      assert.equal((await commit(5, 17)).topics[0]!.partitions[0]!.errorCode, E.NONE);
      const d = await describeTransaction(c, 'off-tx');
      assert.deepEqual([d.transactionState, d.topics], ['Ongoing', [{ topic: '__consumer_offsets', partitions: [partitionForGroup('g2', 1)] }]]);
      assert.equal(await fetchOffset(), -1, 'pending until the commit');
      assert.equal((await endTxn(c, 'off-tx', p.producerId, p.producerEpoch, true)).errorCode, E.NONE);
      await until('the offsets committed', fetchOffset, (o) => o === 17);
    });
  }, { overrides: OVERRIDES });
});

test('AddPartitionsToTxn v4-5: batched transactions, verifyOnly per partition, v5 adds as Transaction V2; CLUSTER_ACTION is required', { timeout: 60_000 }, async () => {
  await withBroker(async (b) => {
    await b.broker.topics.create({ name: 'ap', numPartitions: 2, replicationFactor: 1, configs: {} });
    await withClient(b, async (c) => {
      const a = await init(c, 'ap-a');
      const z = await init(c, 'ap-z');
      const entry = (id: string, p: { producerId: number; producerEpoch: number }, verifyOnly: boolean, partitions: number[], topic = 'ap') =>
        ({ transactionalId: id, producerId: p.producerId, producerEpoch: p.producerEpoch, verifyOnly, topics: [{ name: topic, partitions }] });
      const send = async (version: number, transactions: ReturnType<typeof entry>[]) => {
        const r = await c.request(AddPartitionsToTxn, { transactions, v3AndBelowTransactionalId: '', v3AndBelowProducerId: 0, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: [] }, { version });
        return { errorCode: r.errorCode, results: r.resultsByTransaction.map((t) => [t.transactionalId, t.topicResults.flatMap((x) => x.resultsByPartition.map((q) => `${x.name}-${q.partitionIndex}:${q.partitionErrorCode}`))]) };
      };
      assert.deepEqual(await send(5, [entry('ap-a', a, false, [0]), entry('ap-z', z, true, [0, 1])]), {
        errorCode: E.NONE, results: [['ap-a', [`ap-0:${E.NONE}`]], ['ap-z', [`ap-0:${E.TRANSACTION_ABORTABLE}`, `ap-1:${E.TRANSACTION_ABORTABLE}`]]],
      });
      assert.equal(b.broker.transactions.serviceIfStarted!.shardFor('ap-a')!.transactions.get('ap-a')!.clientTransactionVersion, 2, 'v5 adds as Transaction V2');
      assert.deepEqual(await send(4, [entry('ap-a', a, true, [0, 1]), entry('ap-z', { ...z, producerEpoch: z.producerEpoch + 1 }, true, [0])]), {
        errorCode: E.NONE, results: [['ap-a', [`ap-0:${E.NONE}`, `ap-1:${E.TRANSACTION_ABORTABLE}`]], ['ap-z', [`ap-0:${E.PRODUCER_FENCED}`]]],
      });
      assert.deepEqual(await send(4, [entry('ap-z', z, false, [0, 9])]), {
        errorCode: E.NONE, results: [['ap-z', [`ap-0:${E.OPERATION_NOT_ATTEMPTED}`, `ap-9:${E.UNKNOWN_TOPIC_OR_PARTITION}`]]],
      });
      assert.equal((await describeTransaction(c, 'ap-z')).transactionState, 'Empty', 'nothing added');
      assert.deepEqual(await send(4, [entry('ap-z', z, false, [1])]), { errorCode: E.NONE, results: [['ap-z', [`ap-1:${E.NONE}`]]] });
      assert.equal(b.broker.transactions.serviceIfStarted!.shardFor('ap-z')!.transactions.get('ap-z')!.clientTransactionVersion, 0, 'v4 adds as Transaction V1');

      // Without CLUSTER_ACTION only the top-level error.
      const allowAllBut: Authorizer = { authorize: (r) => r.operation !== 'CLUSTER_ACTION' };
      const original = b.broker.authorizer;
      (b.broker as { authorizer: Authorizer }).authorizer = allowAllBut;
      try {
        assert.deepEqual(await send(5, [entry('ap-a', a, false, [1])]), { errorCode: E.CLUSTER_AUTHORIZATION_FAILED, results: [] });
      } finally {
        (b.broker as { authorizer: Authorizer }).authorizer = original;
      }
    });
  }, { overrides: OVERRIDES });
});
