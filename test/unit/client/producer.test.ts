/**
 * Producer against a scripted broker (./fake-broker.ts): what goes on the wire for an
 * idempotent producer (producer id, epoch and sequences on every batch, retries keeping them),
 * the KIP-360 reactions the Java client has (OUT_OF_ORDER_SEQUENCE_NUMBER / UNKNOWN_PRODUCER_ID:
 * bump the epoch and restart at sequence 0; a new producer id once the epoch is exhausted), and
 * a transactional producer's requests (FindCoordinator key type 1, InitProducerId,
 * AddPartitionsToTxn before the first batch, AddOffsetsToTxn + TxnOffsetCommit, EndTxn), with
 * fencing fatal and sequence errors abortable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AbortableTransactionError, FatalProducerError, KafkaClient, Producer, incrementSequence, resolveIdempotence,
} from '../../../src/client/index.js';
import { ErrorCode } from '../../../src/protocol/error-codes.js';
import { ATTR_TRANSACTIONAL, readBatchHeader, batchCrcValid } from '../../../src/protocol/record-batch.js';
import type { MetadataResponse } from '../../../src/protocol/messages/metadata.js';
import type { ProduceRequest } from '../../../src/protocol/messages/produce.js';
import type { InitProducerIdRequest } from '../../../src/protocol/messages/init-producer-id.js';
import type { AddPartitionsToTxnRequest } from '../../../src/protocol/messages/add-partitions-to-txn.js';
import type { EndTxnRequest } from '../../../src/protocol/messages/end-txn.js';
import type { TxnOffsetCommitRequest } from '../../../src/protocol/messages/txn-offset-commit.js';
import type { AddOffsetsToTxnRequest } from '../../../src/protocol/messages/add-offsets-to-txn.js';
import { apiVersionsBody, defaultRanges, startFakeBroker, type FakeBroker, type FakeRequest } from './fake-broker.js';

const API = { produce: 0, metadata: 3, findCoordinator: 10, initProducerId: 22, addPartitions: 24, addOffsets: 25, endTxn: 26, txnOffsetCommit: 28 };
const RANGES: [number, number, number][] = [...defaultRanges(), [22, 0, 5], [24, 0, 3], [25, 0, 4], [26, 0, 4], [28, 0, 4]];

interface Sent {
  partition: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  count: number;
  transactional: boolean;
}

/** A broker with one topic `t` (2 partitions) whose answers to the interesting APIs the test scripts. */
async function scriptedBroker(script: {
  produce?: (sent: Sent, n: number) => number | Promise<number>;
  initProducerId?: (req: InitProducerIdRequest, n: number) => { errorCode?: number; producerId: number; producerEpoch: number };
  addPartitions?: (req: AddPartitionsToTxnRequest, n: number) => number | Promise<number>;
  endTxn?: (req: EndTxnRequest, n: number) => number;
  txnOffsetCommit?: (req: TxnOffsetCommitRequest, n: number) => number;
}): Promise<FakeBroker & { sent: Sent[]; byApi(key: number): FakeRequest[] }> {
  const sent: Sent[] = [];
  const counts = new Map<number, number>();
  let port = 0;
  const fake = await startFakeBroker(async (req) => {
    const n = (counts.get(req.apiKey) ?? 0) + 1;
    counts.set(req.apiKey, n);
    switch (req.apiKey) {
      case 18: return apiVersionsBody(RANGES);
      case API.metadata: return metadata(port);
      case API.findCoordinator: return { errorCode: 0, nodeId: 1, host: '127.0.0.1', port, coordinators: [{ key: 'x', nodeId: 1, host: '127.0.0.1', port, errorCode: 0, errorMessage: null }] };
      case API.initProducerId: {
        const r = script.initProducerId?.(req.body as InitProducerIdRequest, n) ?? { producerId: 1000, producerEpoch: 0 };
        return { errorCode: r.errorCode ?? 0, producerId: r.producerId, producerEpoch: r.producerEpoch };
      }
      case API.addPartitions: {
        const body = req.body as AddPartitionsToTxnRequest;
        const code = (await script.addPartitions?.(body, n)) ?? 0;
        return { resultsByTopicV3AndBelow: body.v3AndBelowTopics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: code })) })) };
      }
      case API.addOffsets: return { errorCode: 0 };
      case API.endTxn: return { errorCode: script.endTxn?.(req.body as EndTxnRequest, n) ?? 0 };
      case API.txnOffsetCommit: {
        const body = req.body as TxnOffsetCommitRequest;
        const code = script.txnOffsetCommit?.(body, n) ?? 0;
        return { topics: body.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code })) })) };
      }
      case API.produce: {
        const body = req.body as ProduceRequest;
        const pd = body.topicData[0]!.partitionData[0]!;
        const h = readBatchHeader(pd.records!);
        assert.ok(batchCrcValid(pd.records!, 0, pd.records!.length), 'the stamped batch has a valid CRC');
        const s: Sent = {
          partition: pd.index, producerId: h.producerId, producerEpoch: h.producerEpoch, baseSequence: h.baseSequence,
          count: h.recordsCount, transactional: (h.attributes & ATTR_TRANSACTIONAL) !== 0,
        };
        sent.push(s);
        const at = sent.length;
        const errorCode = (await script.produce?.(s, at)) ?? 0;
        return { responses: [{ name: 't', partitionResponses: [{ index: pd.index, errorCode, baseOffset: errorCode === 0 ? at * 10 : -1, logAppendTimeMs: -1, logStartOffset: 0, recordErrors: [], errorMessage: null }] }] };
      }
      default: return null;
    }
  });
  port = fake.port;
  return Object.assign(fake, { sent, byApi: (key: number) => fake.requests.filter((r) => r.apiKey === key) });
}

function metadata(port: number): Partial<MetadataResponse> {
  return {
    brokers: [{ nodeId: 1, host: '127.0.0.1', port, rack: null }], clusterId: 'fake', controllerId: 1,
    topics: [{
      errorCode: 0, name: 't', topicId: Buffer.alloc(16, 1), isInternal: false, topicAuthorizedOperations: 0,
      partitions: [0, 1].map((p) => ({ errorCode: 0, partitionIndex: p, leaderId: 1, leaderEpoch: 0, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] })),
    }],
  };
}

const recs = (...values: string[]) => values.map((value) => ({ key: null, value }));
const brief = (s: Sent) => [s.partition, s.producerEpoch, s.baseSequence, s.count];

async function withProducer(broker: Awaited<ReturnType<typeof scriptedBroker>>, options: Parameters<typeof Producer.create>[1], fn: (p: Producer) => Promise<void>): Promise<void> {
  const client = await KafkaClient.connect(broker.bootstrap, { clientId: 'producer-test' });
  try {
    await fn(await Producer.create(client, { retryBackoffMs: 5, ...options }));
  } finally {
    await client.close();
    await broker.close();
  }
}

test('idempotence follows the Java producer: on by default with acks=all, conflicts refused by name', () => {
  assert.equal(resolveIdempotence({}), true);
  assert.equal(resolveIdempotence({ acks: 1 }), false);
  assert.equal(resolveIdempotence({ acks: -1, retries: 0 }), false);
  assert.equal(resolveIdempotence({ idempotent: false }), false);
  assert.throws(() => resolveIdempotence({ idempotent: true, acks: 1 }), /Must set acks to all/);
  assert.throws(() => resolveIdempotence({ idempotent: true, retries: 0 }), /retries to non-zero/);
  assert.throws(() => resolveIdempotence({ idempotent: true, maxInFlight: 6 }), /at most 5/);
  assert.throws(() => resolveIdempotence({ transactionalId: 'x', idempotent: false }), /Cannot set a transactional.id without also enabling idempotence/);
  assert.equal(resolveIdempotence({ transactionalId: 'x' }), true);
  assert.equal(incrementSequence(2147483646, 1), 2147483647);
  assert.equal(incrementSequence(2147483647, 1), 0);
  assert.equal(incrementSequence(2147483640, 10), 2);
});

test('an idempotent producer gets a producer id and numbers each partition\'s batches from 0', { timeout: 10_000 }, async () => {
  const broker = await scriptedBroker({ initProducerId: () => ({ producerId: 4242, producerEpoch: 3 }) });
  await withProducer(broker, {}, async (p) => {
    assert.equal(p.idempotent, true);
    const init = broker.byApi(API.initProducerId);
    assert.equal(init.length, 1);
    assert.equal((init[0]!.body as InitProducerIdRequest).transactionalId, null);
    await Promise.all([p.send('t', 0, recs('a', 'b')), p.send('t', 0, recs('c')), p.send('t', 1, recs('x', 'y', 'z'))]);
    await p.send('t', 0, recs('d'));
    assert.ok(broker.sent.every((s) => s.producerId === 4242 && !s.transactional), 'every batch carries the producer id');
    assert.deepEqual(broker.sent.filter((s) => s.partition === 0).map(brief), [[0, 3, 0, 2], [0, 3, 2, 1], [0, 3, 3, 1]]);
    assert.deepEqual(broker.sent.filter((s) => s.partition === 1).map(brief), [[1, 3, 0, 3]]);
  });
});

test('a plain producer (acks=1) sends no producer id and no InitProducerId', { timeout: 10_000 }, async () => {
  const broker = await scriptedBroker({});
  await withProducer(broker, { acks: 1 }, async (p) => {
    await p.send('t', 0, recs('a'));
    assert.equal(broker.byApi(API.initProducerId).length, 0);
    assert.deepEqual(brief(broker.sent[0]!), [0, -1, -1, 1]);
    assert.equal(broker.sent[0]!.producerId, -1);
  });
});

test('retries keep the sequence: a batch answered NOT_LEADER_OR_FOLLOWER, and the batch behind it, are resent as they were', { timeout: 10_000 }, async () => {
  // Batches 1 and 2 are pipelined; the broker rejects the first (leader moved) and so the second gets OUT_OF_ORDER_SEQUENCE_NUMBER.
  const broker = await scriptedBroker({
    produce: (s, n) => (n === 1 ? ErrorCode.NOT_LEADER_OR_FOLLOWER : n === 2 ? ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER : 0),
  });
  await withProducer(broker, {}, async (p) => {
    const [r1, r2] = await Promise.all([p.send('t', 0, recs('a', 'b')), p.send('t', 0, recs('c'))]);
    assert.deepEqual([r1.baseOffset, r2.baseOffset], [30, 40], 'each send resolves with its own (retried) answer');
    assert.deepEqual(broker.sent.map(brief), [[0, 0, 0, 2], [0, 0, 2, 1], [0, 0, 0, 2], [0, 0, 2, 1]]);
    assert.equal(broker.byApi(API.initProducerId).length, 1, 'no epoch bump for an OUT_OF_ORDER_SEQUENCE that follows a failed batch');
  });
});

test('KIP-360: OUT_OF_ORDER_SEQUENCE_NUMBER for the next expected batch bumps the epoch locally and restarts the partition at 0', { timeout: 10_000 }, async () => {
  const broker = await scriptedBroker({ produce: (s, n) => (n === 3 ? ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER : 0) });
  await withProducer(broker, {}, async (p) => {
    await p.send('t', 0, recs('a'));
    await p.send('t', 1, recs('b', 'c'));
    await p.send('t', 0, recs('d', 'e')); // answered OUT_OF_ORDER_SEQUENCE once, then retried at epoch 1, sequence 0
    await p.send('t', 1, recs('f'));
    assert.deepEqual(broker.sent.map(brief), [[0, 0, 0, 1], [1, 0, 0, 2], [0, 0, 1, 2], [0, 1, 0, 2], [1, 1, 0, 1]]);
    assert.equal(broker.byApi(API.initProducerId).length, 1, 'the bump is local, no InitProducerId');
    assert.deepEqual(p.producerIdAndEpoch, { producerId: 1000, producerEpoch: 1 });
  });
});

test('KIP-360: UNKNOWN_PRODUCER_ID bumps the epoch too; an exhausted epoch gets a new producer id instead', { timeout: 10_000 }, async () => {
  const broker = await scriptedBroker({
    initProducerId: (req, n) => (n === 1 ? { producerId: 7, producerEpoch: 32766 } : { producerId: 8, producerEpoch: 0 }),
    produce: (s, n) => (n === 2 || n === 4 ? ErrorCode.UNKNOWN_PRODUCER_ID : 0),
  });
  await withProducer(broker, {}, async (p) => {
    await p.send('t', 0, recs('a'));
    await p.send('t', 0, recs('b')); // UNKNOWN_PRODUCER_ID → epoch 32767, sequence 0
    await p.send('t', 0, recs('c')); // UNKNOWN_PRODUCER_ID again → epoch exhausted → InitProducerId → id 8
    assert.deepEqual(broker.sent.map((s) => [s.producerId, s.producerEpoch, s.baseSequence]), [
      [7, 32766, 0], [7, 32766, 1], [7, 32767, 0], [7, 32767, 1], [8, 0, 0],
    ]);
    assert.equal(broker.byApi(API.initProducerId).length, 2);
  });
});

test('a batch that fails for good leaves no gap: the batch behind it is renumbered', { timeout: 10_000 }, async () => {
  const broker = await scriptedBroker({ produce: (s, n) => (n === 1 ? ErrorCode.CORRUPT_MESSAGE : n === 2 ? ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER : 0) });
  await withProducer(broker, {}, async (p) => {
    const [bad, good] = await Promise.allSettled([p.send('t', 0, recs('a', 'b')), p.send('t', 0, recs('c'))]);
    assert.equal(bad.status, 'rejected');
    assert.match(String((bad as PromiseRejectedResult).reason), /CORRUPT_MESSAGE/);
    assert.equal(good.status, 'fulfilled');
    assert.deepEqual(broker.sent.map(brief), [[0, 0, 0, 2], [0, 0, 2, 1], [0, 0, 0, 1]]);
  });
});

test('a batch that runs out of retries fails and the next one starts at a new epoch', { timeout: 10_000 }, async () => {
  const broker = await scriptedBroker({ produce: (s, n) => (n <= 3 ? ErrorCode.REQUEST_TIMED_OUT : 0) });
  await withProducer(broker, { retries: 2 }, async (p) => {
    await assert.rejects(p.send('t', 0, recs('a')), /gave up after 3 attempt.*REQUEST_TIMED_OUT/);
    await p.send('t', 0, recs('b'));
    assert.deepEqual(broker.sent.map(brief), [[0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 1], [0, 1, 0, 1]]);
  });
});

test('a transactional producer: coordinator lookup, InitProducerId, AddPartitionsToTxn before the first batch, offsets, EndTxn', { timeout: 10_000 }, async () => {
  const broker = await scriptedBroker({ initProducerId: () => ({ producerId: 55, producerEpoch: 2 }) });
  await withProducer(broker, { transactionalId: 'tx-a', transactionTimeoutMs: 30_000 }, async (p) => {
    await assert.rejects(p.send('t', 0, recs('x')), /before completing a call to initTransactions/);
    await p.initTransactions();
    const find = broker.byApi(API.findCoordinator);
    assert.equal((find[0]!.body as { keyType: number }).keyType, 1);
    const init = broker.byApi(API.initProducerId)[0]!.body as InitProducerIdRequest;
    assert.deepEqual([init.transactionalId, init.transactionTimeoutMs], ['tx-a', 30_000]);
    await assert.rejects(p.send('t', 0, recs('x')), /Cannot call send in state READY/);

    p.beginTransaction();
    await Promise.all([p.send('t', 0, recs('a')), p.send('t', 1, recs('b')), p.send('t', 0, recs('c'))]);
    const adds = broker.byApi(API.addPartitions).map((r) => (r.body as AddPartitionsToTxnRequest));
    assert.equal(adds.length, 1, 'one AddPartitionsToTxn for the partitions of the same tick');
    assert.deepEqual(adds[0]!.v3AndBelowTopics, [{ name: 't', partitions: [0, 1] }]);
    assert.deepEqual([adds[0]!.v3AndBelowTransactionalId, adds[0]!.v3AndBelowProducerId, adds[0]!.v3AndBelowProducerEpoch], ['tx-a', 55, 2]);
    const firstProduce = broker.requests.findIndex((r) => r.apiKey === API.produce);
    assert.ok(broker.requests.findIndex((r) => r.apiKey === API.addPartitions) < firstProduce, 'added before the first batch');
    assert.ok(broker.sent.every((s) => s.transactional && s.producerId === 55 && s.producerEpoch === 2), 'every batch is transactional with the id and epoch');
    assert.equal((broker.byApi(API.produce)[0]!.body as ProduceRequest).transactionalId, 'tx-a');

    await p.sendOffsetsToTransaction([{ topic: 'in', partition: 0, offset: 42 }], { groupId: 'g', generationId: 3, memberId: 'm-1', groupInstanceId: null });
    const addOffsets = broker.byApi(API.addOffsets)[0]!.body as AddOffsetsToTxnRequest;
    assert.equal(addOffsets.groupId, 'g');
    const toc = broker.byApi(API.txnOffsetCommit)[0]!.body as TxnOffsetCommitRequest;
    assert.deepEqual([toc.groupId, toc.producerId, toc.producerEpoch, toc.generationId, toc.memberId], ['g', 55, 2, 3, 'm-1']);
    assert.equal(toc.topics[0]!.partitions[0]!.committedOffset, 42);

    await p.commitTransaction();
    const end = broker.byApi(API.endTxn).map((r) => r.body as EndTxnRequest);
    assert.deepEqual(end.map((e) => [e.transactionalId, e.producerId, e.producerEpoch, e.committed]), [['tx-a', 55, 2, true]]);
    assert.equal(p.state, 'READY');

    // The next transaction adds its partitions again; an empty transaction sends no EndTxn.
    p.beginTransaction();
    await p.send('t', 1, recs('d'));
    await p.abortTransaction();
    assert.equal(broker.byApi(API.addPartitions).length, 2);
    assert.deepEqual(broker.byApi(API.endTxn).map((r) => (r.body as EndTxnRequest).committed), [true, false]);
    p.beginTransaction();
    await p.commitTransaction();
    assert.equal(broker.byApi(API.endTxn).length, 2);
    assert.deepEqual(broker.sent.filter((s) => s.partition === 1).map((s) => s.baseSequence), [0, 1]);
  });
});

test('CONCURRENT_TRANSACTIONS while the last transaction completes is retried', { timeout: 10_000 }, async () => {
  const broker = await scriptedBroker({ addPartitions: (req, n) => (n <= 2 ? ErrorCode.CONCURRENT_TRANSACTIONS : 0) });
  await withProducer(broker, { transactionalId: 'tx-c' }, async (p) => {
    await p.initTransactions();
    p.beginTransaction();
    await p.send('t', 0, recs('a'));
    await p.commitTransaction();
    assert.equal(broker.byApi(API.addPartitions).length, 3);
  });
});

test('fencing is fatal: PRODUCER_FENCED on a batch fails it, and every later call, with the same error', { timeout: 10_000 }, async () => {
  const broker = await scriptedBroker({ produce: (s, n) => (n === 2 ? ErrorCode.PRODUCER_FENCED : 0) });
  await withProducer(broker, { transactionalId: 'tx-f' }, async (p) => {
    await p.initTransactions();
    p.beginTransaction();
    await p.send('t', 0, recs('a'));
    const err = await p.send('t', 0, recs('b')).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof FatalProducerError, String(err));
    assert.equal(err.errorCode, ErrorCode.PRODUCER_FENCED);
    assert.match(err.message, /'tx-f' \(epoch 0\) was fenced by a newer producer/);
    assert.equal(p.state, 'FATAL_ERROR');
    await assert.rejects(p.send('t', 0, recs('c')), (e) => e === err);
    await assert.rejects(p.commitTransaction(), (e) => e === err);
    await assert.rejects(p.abortTransaction(), (e) => e === err);
  });
});

test('an EndTxn answered PRODUCER_FENCED is fatal too', { timeout: 10_000 }, async () => {
  const broker = await scriptedBroker({ endTxn: () => ErrorCode.PRODUCER_FENCED });
  await withProducer(broker, { transactionalId: 'tx-e' }, async (p) => {
    await p.initTransactions();
    p.beginTransaction();
    await p.send('t', 0, recs('a'));
    await assert.rejects(p.commitTransaction(), (e) => e instanceof FatalProducerError && e.errorCode === ErrorCode.PRODUCER_FENCED);
    assert.equal(p.state, 'FATAL_ERROR');
  });
});

test('in a transaction, OUT_OF_ORDER_SEQUENCE_NUMBER is abortable: commit refuses, abort bumps the epoch through InitProducerId', { timeout: 10_000 }, async () => {
  const broker = await scriptedBroker({
    initProducerId: (req) => (req.producerId === -1 ? { producerId: 9, producerEpoch: 4 } : { producerId: req.producerId, producerEpoch: req.producerEpoch + 1 }),
    produce: (s, n) => (n === 2 ? ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER : 0),
  });
  await withProducer(broker, { transactionalId: 'tx-o' }, async (p) => {
    await p.initTransactions();
    p.beginTransaction();
    await p.send('t', 0, recs('a'));
    const err = await p.send('t', 0, recs('b')).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof AbortableTransactionError, String(err));
    assert.equal(p.state, 'ABORTABLE_ERROR');
    await assert.rejects(p.send('t', 0, recs('c')), (e) => e === err);
    await assert.rejects(p.commitTransaction(), (e) => e === err);
    await p.abortTransaction();
    const inits = broker.byApi(API.initProducerId).map((r) => r.body as InitProducerIdRequest);
    assert.deepEqual(inits.map((i) => [i.producerId, i.producerEpoch]), [[-1, -1], [9, 4]], 'KIP-360: the abort re-initialises with the current id/epoch');
    assert.deepEqual(broker.byApi(API.endTxn).map((r) => (r.body as EndTxnRequest).committed), [false]);
    assert.deepEqual(p.producerIdAndEpoch, { producerId: 9, producerEpoch: 5 });
    p.beginTransaction();
    await p.send('t', 0, recs('d'));
    await p.commitTransaction();
    assert.deepEqual(broker.sent.map(brief), [[0, 4, 0, 1], [0, 4, 1, 1], [0, 5, 0, 1]]);
  });
});

test('TxnOffsetCommit answered ILLEGAL_GENERATION makes the transaction abortable', { timeout: 10_000 }, async () => {
  const broker = await scriptedBroker({ txnOffsetCommit: () => ErrorCode.ILLEGAL_GENERATION });
  await withProducer(broker, { transactionalId: 'tx-g' }, async (p) => {
    await p.initTransactions();
    p.beginTransaction();
    await assert.rejects(p.sendOffsetsToTransaction([{ topic: 'in', partition: 0, offset: 1 }], { groupId: 'g', generationId: 1, memberId: 'm' }),
      (e) => e instanceof AbortableTransactionError && /ILLEGAL_GENERATION/.test(e.message));
    assert.equal(p.state, 'ABORTABLE_ERROR');
    await p.abortTransaction();
    assert.equal(p.state, 'READY');
  });
});

test('an abort while AddPartitionsToTxn is in flight waits for it and ends the transaction with EndTxn', { timeout: 10_000 }, async () => {
  let release: () => void = () => undefined;
  const broker = await scriptedBroker({ addPartitions: () => new Promise<number>((resolve) => { release = () => resolve(0); }) });
  await withProducer(broker, { transactionalId: 'tx-r' }, async (p) => {
    await p.initTransactions();
    p.beginTransaction();
    const sent = p.send('t', 0, recs('a'));
    while (broker.byApi(API.addPartitions).length === 0) await new Promise((r) => setTimeout(r, 1));
    const aborting = p.abortTransaction();
    await assert.rejects(sent, /aborted before this batch was sent/);
    release();
    await aborting;
    assert.deepEqual(broker.byApi(API.endTxn).map((r) => (r.body as EndTxnRequest).committed), [false], 'the coordinator had the partition: EndTxn(abort) is sent');
    assert.equal(broker.sent.length, 0, 'the batch was never sent');
    // The next transaction adds the partition again.
    p.beginTransaction();
    const next = p.send('t', 0, recs('b'));
    while (broker.byApi(API.addPartitions).length < 2) await new Promise((r) => setTimeout(r, 1));
    release();
    await next;
    await p.commitTransaction();
    assert.equal(broker.byApi(API.addPartitions).length, 2);
  });
});
