/**
 * The transaction coordinator through its service (in-memory `__transaction_state`, ManualClock):
 * InitProducerId (new ids, epoch bumps, KIP-360, exhausted epochs, timeouts), AddPartitions,
 * EndTxn in every state, fencing an ongoing transaction, Describe/ListTransactions, verify(),
 * the errors of a partition not led here or loading, and failed writes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/base/clock.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { encodeBatch } from '../../src/protocol/records.js';
import { encodeTransactionRecord } from '../../src/coordinator/transaction/records.js';
import { MemoryPartitions, settle } from './harness.js';
import {
  buildTxn, drainMarkers, durableTxnState, electAllTxn, init, reloadedTxn, tp, TXN_TEST_CONFIG, txnHarness, type TxnHarness,
} from './transaction-harness.js';

const E = ErrorCode;

async function begin(h: TxnHarness, id: string, partitions = [tp('t', 0), tp('t', 1)]) {
  const p = await init(h, id);
  assert.equal(await h.service.addPartitionsToTransaction(id, p.producerId, p.producerEpoch, partitions), E.NONE);
  return p;
}

test('InitProducerId: a new transactional id gets a new producer id at epoch 0, then each call bumps the epoch', async () => {
  const h = await txnHarness();
  const a = await init(h, 'tx-a', 30_000);
  assert.deepEqual(a, { producerId: 1000, producerEpoch: 0 });
  const m = h.txn('tx-a')!;
  assert.deepEqual([m.state, m.txnTimeoutMs, m.topicPartitions, m.txnStartTimestamp], ['Empty', 30_000, [], -1]);
  assert.deepEqual(h.written().map((r) => [r.transactionalId, r.metadata?.state, r.metadata?.producerEpoch]), [['tx-a', 'Empty', 0]]);
  assert.equal(h.log.batches[0]!.partition, h.service.partitionFor('tx-a'), 'written to the id\'s own partition');
  assert.deepEqual(await init(h, 'tx-a', 45_000), { producerId: 1000, producerEpoch: 1 });
  assert.equal(h.txn('tx-a')!.txnTimeoutMs, 45_000, 'the timeout is the latest one asked for');
  assert.deepEqual(await init(h, 'tx-b'), { producerId: 1001, producerEpoch: 0 });
  assert.deepEqual(h.producerIds.generated, [1000, 1001], 'only new ids take a producer id');
  h.close();
});

test('InitProducerId errors: empty id, timeout out of range, no producer id, partition not led or loading', async () => {
  const h = await txnHarness({ transactionMaxTimeoutMs: 10_000 });
  const err = async (id: string, timeout: number) => (await h.service.initProducerId(id, timeout, null)).errorCode;
  assert.equal(await err('', 1000), E.INVALID_REQUEST);
  assert.equal(await err('t', 0), E.INVALID_TRANSACTION_TIMEOUT);
  assert.equal(await err('t', -5), E.INVALID_TRANSACTION_TIMEOUT);
  assert.equal(await err('t', 10_001), E.INVALID_TRANSACTION_TIMEOUT);
  assert.equal(await err('t', 10_000), E.NONE);
  h.producerIds.failNext = 1;
  assert.deepEqual(await h.service.initProducerId('new', 1000, null), { errorCode: E.COORDINATOR_LOAD_IN_PROGRESS, producerId: -1, producerEpoch: -1 });
  assert.equal(h.shard('t').transactions.has('new'), false, 'nothing is created without a producer id');
  h.close();

  const log = new MemoryPartitions();
  const cold = buildTxn(TXN_TEST_CONFIG, new ManualClock(), log);
  const p = cold.service.partitionFor('x');
  assert.equal((await cold.service.initProducerId('x', 1000, null)).errorCode, E.NOT_COORDINATOR);
  assert.equal(await cold.service.addPartitionsToTransaction('x', 1, 0, []), E.NOT_COORDINATOR);
  assert.equal(await cold.service.endTransaction('x', 1, 0, 'COMMIT'), E.NOT_COORDINATOR);
  assert.equal((await cold.service.describeTransaction('x')).errorCode, E.NOT_COORDINATOR);
  log.holdLoads();
  cold.service.onElection(p, 0);
  assert.equal((await cold.service.initProducerId('x', 1000, null)).errorCode, E.COORDINATOR_LOAD_IN_PROGRESS);
  assert.deepEqual(await cold.service.listTransactions([], [], -1), { errorCode: E.COORDINATOR_LOAD_IN_PROGRESS, unknownStateFilters: [], transactionStates: [] });
  log.releaseLoads();
  assert.ok(await cold.service.runtime.awaitLoaded(p));
  assert.equal((await cold.service.initProducerId('x', 1000, null)).errorCode, E.NONE);
  cold.close();
});

test('KIP-360 InitProducerId with the producer id and epoch: bump, retry, fenced', async () => {
  const h = await txnHarness();
  const a = await init(h, 'tx');
  const bumped = await h.service.initProducerId('tx', 1000, a);
  assert.deepEqual(bumped, { errorCode: E.NONE, producerId: a.producerId, producerEpoch: 1 });
  const retried = await h.service.initProducerId('tx', 1000, a);
  assert.deepEqual(retried, { errorCode: E.NONE, producerId: a.producerId, producerEpoch: 1 }, 'a retry of the same bump is answered the same epoch');
  assert.equal((await h.service.initProducerId('tx', 1000, { producerId: a.producerId, producerEpoch: 7 })).errorCode, E.PRODUCER_FENCED);
  assert.equal((await h.service.initProducerId('tx', 1000, { producerId: 4242, producerEpoch: 1 })).errorCode, E.PRODUCER_FENCED);
  // A brand-new id accepts whatever a recovering producer says (its metadata has no epoch yet).
  assert.deepEqual(await h.service.initProducerId('fresh', 1000, { producerId: 77, producerEpoch: 3 }), { errorCode: E.NONE, producerId: 1001, producerEpoch: 0 });
  h.close();
});

test('an exhausted epoch rotates to a new producer id at epoch 0', async () => {
  const clock = new ManualClock();
  const log = new MemoryPartitions();
  const probe = buildTxn(TXN_TEST_CONFIG, clock, log);
  const p = probe.service.partitionFor('old');
  // A transactional id at epoch 32766 (Short.MAX_VALUE - 1), as an earlier coordinator left it.
  log.batches.push({ partition: p, batch: encodeBatch({ records: [encodeTransactionRecord({ transactionalId: 'old', metadata: {
    transactionalId: 'old', producerId: 5, prevProducerId: -1, nextProducerId: -1, producerEpoch: 32766, lastProducerEpoch: -1, txnTimeoutMs: 1000,
    state: 'CompleteCommit', topicPartitions: [], txnStartTimestamp: 1, txnLastUpdateTimestamp: 2, clientTransactionVersion: 0,
  } })] }) });
  await electAllTxn(probe.service);
  assert.deepEqual(await probe.service.initProducerId('old', 1000, { producerId: 5, producerEpoch: 3 }), { errorCode: E.PRODUCER_FENCED, producerId: -1, producerEpoch: -1 },
    'a stale epoch of an exhausted producer is fenced, not bumped');
  assert.deepEqual(await init(probe, 'old'), { producerId: 1000, producerEpoch: 0 });
  assert.equal(probe.txn('old')!.prevProducerId, 5);
  probe.close();
});

test('AddPartitions: errors by producer id and epoch, Ongoing with the partitions, no write when already added', async () => {
  const h = await txnHarness();
  assert.equal(await h.service.addPartitionsToTransaction('nobody', 1, 0, [tp('t', 0)]), E.INVALID_PRODUCER_ID_MAPPING);
  assert.equal(await h.service.addPartitionsToTransaction('', 1, 0, [tp('t', 0)]), E.INVALID_REQUEST);
  const a = await init(h, 'tx');
  assert.equal(await h.service.addPartitionsToTransaction('tx', a.producerId + 1, 0, [tp('t', 0)]), E.INVALID_PRODUCER_ID_MAPPING);
  assert.equal(await h.service.addPartitionsToTransaction('tx', a.producerId, 1, [tp('t', 0)]), E.PRODUCER_FENCED);
  h.clock.advance(5);
  assert.equal(await h.service.addPartitionsToTransaction('tx', a.producerId, 0, [tp('t', 1), tp('t', 0)]), E.NONE);
  const m = h.txn('tx')!;
  assert.deepEqual([m.state, m.topicPartitions, m.txnStartTimestamp], ['Ongoing', [tp('t', 0), tp('t', 1)], h.clock.now()]);
  const writes = h.log.batches.length;
  assert.equal(await h.service.addPartitionsToTransaction('tx', a.producerId, 0, [tp('t', 0)]), E.NONE);
  assert.equal(h.log.batches.length, writes, 'a subset of the transaction is answered without a write');
  assert.equal(await h.service.addPartitionsToTransaction('tx', a.producerId, 0, [tp('u', 3)]), E.NONE);
  assert.deepEqual(h.txn('tx')!.topicPartitions, [tp('t', 0), tp('t', 1), tp('u', 3)]);
  h.close();
});

test('EndTxn commit: PrepareCommit, answered, markers to every partition with the coordinator epoch, then CompleteCommit', async () => {
  const h = await txnHarness();
  const a = await begin(h, 'tx');
  h.markers.hold();
  assert.equal(await h.service.endTransaction('tx', a.producerId, a.producerEpoch, 'COMMIT'), E.NONE);
  assert.equal(h.txn('tx')!.state, 'PrepareCommit', 'answered once PrepareCommit is durable, before the markers');
  // While the markers are being written the transaction cannot move.
  assert.equal((await h.service.initProducerId('tx', 1000, null)).errorCode, E.CONCURRENT_TRANSACTIONS);
  assert.equal(await h.service.addPartitionsToTransaction('tx', a.producerId, a.producerEpoch, [tp('t', 2)]), E.CONCURRENT_TRANSACTIONS);
  assert.equal(await h.service.endTransaction('tx', a.producerId, a.producerEpoch, 'COMMIT'), E.CONCURRENT_TRANSACTIONS);
  assert.equal(await h.service.endTransaction('tx', a.producerId, a.producerEpoch, 'ABORT'), E.INVALID_TXN_STATE);
  h.markers.release();
  await drainMarkers(h);
  assert.deepEqual(h.markers.written.map((m) => [m.topic, m.partition, m.result, m.producerId, m.producerEpoch, m.coordinatorEpoch]),
    [['t', 0, 'COMMIT', a.producerId, 0, 0], ['t', 1, 'COMMIT', a.producerId, 0, 0]]);
  const done = h.txn('tx')!;
  assert.deepEqual([done.state, done.topicPartitions, done.producerEpoch], ['CompleteCommit', [], 0]);
  assert.deepEqual(h.written().map((r) => r.metadata?.state), ['Empty', 'Ongoing', 'PrepareCommit', 'CompleteCommit']);
  // Retries of the same result are fine, the other result is not.
  assert.equal(await h.service.endTransaction('tx', a.producerId, a.producerEpoch, 'COMMIT'), E.NONE);
  assert.equal(await h.service.endTransaction('tx', a.producerId, a.producerEpoch, 'ABORT'), E.INVALID_TXN_STATE);
  // The next transaction starts from CompleteCommit.
  assert.equal(await h.service.addPartitionsToTransaction('tx', a.producerId, a.producerEpoch, [tp('t', 5)]), E.NONE);
  assert.deepEqual(h.txn('tx')!.topicPartitions, [tp('t', 5)]);
  h.close();
});

test('EndTxn in every other state: Empty, PrepareAbort, CompleteAbort; wrong producer id / epoch', async () => {
  const h = await txnHarness();
  const a = await init(h, 'tx');
  assert.equal(await h.service.endTransaction('tx', a.producerId, 0, 'COMMIT'), E.INVALID_TXN_STATE, 'Empty');
  assert.equal(await h.service.endTransaction('tx', a.producerId, 0, 'ABORT'), E.INVALID_TXN_STATE, 'Empty');
  assert.equal(await h.service.endTransaction('nobody', 1, 0, 'ABORT'), E.INVALID_PRODUCER_ID_MAPPING);
  assert.equal(await h.service.endTransaction('tx', a.producerId + 5, 0, 'ABORT'), E.INVALID_PRODUCER_ID_MAPPING);
  assert.equal(await h.service.endTransaction('tx', a.producerId, 3, 'ABORT'), E.PRODUCER_FENCED);
  assert.equal(await h.service.addPartitionsToTransaction('tx', a.producerId, 0, [tp('t', 0)]), E.NONE);
  h.markers.hold();
  assert.equal(await h.service.endTransaction('tx', a.producerId, 0, 'ABORT'), E.NONE);
  assert.equal(h.txn('tx')!.state, 'PrepareAbort');
  assert.equal(await h.service.endTransaction('tx', a.producerId, 0, 'ABORT'), E.CONCURRENT_TRANSACTIONS);
  assert.equal(await h.service.endTransaction('tx', a.producerId, 0, 'COMMIT'), E.INVALID_TXN_STATE);
  h.markers.release();
  await drainMarkers(h);
  assert.equal(h.txn('tx')!.state, 'CompleteAbort');
  assert.deepEqual(h.markers.written.map((m) => m.result), ['ABORT']);
  assert.equal(await h.service.endTransaction('tx', a.producerId, 0, 'ABORT'), E.NONE);
  assert.equal(await h.service.endTransaction('tx', a.producerId, 0, 'COMMIT'), E.INVALID_TXN_STATE);
  h.close();
});

test('a second producer fences the first: its open transaction is aborted at a bumped epoch, the new one retries', async () => {
  const h = await txnHarness();
  const first = await begin(h, 'tx');
  const fenceAttempt = await h.service.initProducerId('tx', 60_000, null);
  assert.deepEqual(fenceAttempt, { errorCode: E.CONCURRENT_TRANSACTIONS, producerId: -1, producerEpoch: -1 }, 'the new producer waits for the abort');
  const aborting = h.txn('tx')!;
  assert.deepEqual([aborting.state, aborting.producerEpoch], ['PrepareAbort', 1], 'PrepareEpochFence became PrepareAbort at epoch + 1');
  // The old producer is fenced as soon as the fence is durable.
  assert.equal(await h.service.addPartitionsToTransaction('tx', first.producerId, first.producerEpoch, [tp('t', 9)]), E.PRODUCER_FENCED);
  assert.equal(await h.service.endTransaction('tx', first.producerId, first.producerEpoch, 'COMMIT'), E.PRODUCER_FENCED);
  await drainMarkers(h);
  assert.deepEqual(h.markers.written.map((m) => [m.partition, m.result, m.producerEpoch]), [[0, 'ABORT', 1], [1, 'ABORT', 1]],
    'the markers carry the bumped epoch, so the partitions fence the old producer too');
  assert.equal(h.txn('tx')!.state, 'CompleteAbort');
  const second = await init(h, 'tx');
  assert.deepEqual(second, { producerId: first.producerId, producerEpoch: 2 });
  assert.deepEqual(h.written().map((r) => [r.metadata?.state, r.metadata?.producerEpoch]),
    [['Empty', 0], ['Ongoing', 0], ['PrepareAbort', 1], ['CompleteAbort', 1], ['Empty', 2]]);
  assert.equal(await h.service.endTransaction('tx', first.producerId, first.producerEpoch, 'ABORT'), E.PRODUCER_FENCED);
  h.close();
});

test('a failed write leaves the state as it was and answers the coordinator error; a failed fence is redone from the same epoch', async () => {
  const h = await txnHarness();
  const a = await init(h, 'tx');
  h.log.failNext = 1; // NOT_ENOUGH_REPLICAS → COORDINATOR_NOT_AVAILABLE
  assert.equal(await h.service.addPartitionsToTransaction('tx', a.producerId, 0, [tp('t', 0)]), E.COORDINATOR_NOT_AVAILABLE);
  assert.equal(h.txn('tx')!.state, 'Empty');
  h.log.failNext = 1;
  h.log.failWith = E.NOT_ENOUGH_REPLICAS_AFTER_APPEND;
  assert.equal((await h.service.initProducerId('tx', 1000, null)).errorCode, E.COORDINATOR_NOT_AVAILABLE, 'Kafka maps this one too');
  h.log.failWith = E.NOT_LEADER_OR_FOLLOWER;
  h.log.failNext = 1;
  assert.equal((await h.service.initProducerId('new', 1000, null)).errorCode, E.NOT_COORDINATOR);
  assert.equal(h.shard('new').transactions.has('new'), false, 'a failed first write leaves no id behind');

  assert.equal(await h.service.addPartitionsToTransaction('tx', a.producerId, 0, [tp('t', 0)]), E.NONE);
  h.log.failNext = 1;
  assert.equal((await h.service.initProducerId('tx', 1000, null)).errorCode, E.NOT_COORDINATOR, 'the fence was not written');
  assert.deepEqual([h.txn('tx')!.state, h.txn('tx')!.producerEpoch], ['Ongoing', 0]);
  assert.equal((await h.service.initProducerId('tx', 1000, null)).errorCode, E.CONCURRENT_TRANSACTIONS);
  assert.equal(h.txn('tx')!.producerEpoch, 1, 'bumped once: the failed fence was reverted, not kept (Kafka\'s hasFailedEpochFence case)');
  await drainMarkers(h);
  h.close();
});

test('DescribeTransactions and ListTransactions with state, producer id and duration filters', async () => {
  const h = await txnHarness();
  const a = await begin(h, 'tx-a', [tp('t', 1), tp('u', 0), tp('t', 0)]);
  const b = await init(h, 'tx-b');
  h.clock.advance(10_000);
  const d = await h.service.describeTransaction('tx-a');
  assert.deepEqual(d, {
    errorCode: 0, transactionalId: 'tx-a', transactionState: 'Ongoing', transactionTimeoutMs: 60_000, transactionStartTimeMs: h.clock.now() - 10_000,
    producerId: a.producerId, producerEpoch: 0, topics: [{ topic: 't', partitions: [0, 1] }, { topic: 'u', partitions: [0] }],
  });
  assert.equal((await h.service.describeTransaction('nobody')).errorCode, E.TRANSACTIONAL_ID_NOT_FOUND);
  assert.equal((await h.service.describeTransaction('')).errorCode, E.INVALID_REQUEST);
  assert.equal((await h.service.describeTransaction('tx-b')).transactionState, 'Empty');

  const all = await h.service.listTransactions([], [], -1);
  assert.deepEqual(all.transactionStates.map((t) => [t.transactionalId, t.producerId, t.transactionState]).sort(),
    [['tx-a', a.producerId, 'Ongoing'], ['tx-b', b.producerId, 'Empty']]);
  assert.deepEqual((await h.service.listTransactions(['Ongoing'], [], -1)).transactionStates.map((t) => t.transactionalId), ['tx-a']);
  assert.deepEqual((await h.service.listTransactions([], [b.producerId], -1)).transactionStates.map((t) => t.transactionalId), ['tx-b']);
  const unknown = await h.service.listTransactions(['Nonsense', 'Empty'], [], -1);
  assert.deepEqual([unknown.unknownStateFilters, unknown.transactionStates.map((t) => t.transactionalId)], [['Nonsense'], ['tx-b']]);
  assert.deepEqual((await h.service.listTransactions(['Nonsense'], [], -1)).transactionStates, [], 'only unknown states match nothing');
  // v1 duration filter: only transactions running longer than it (Empty has no start: -1, so "long").
  assert.deepEqual((await h.service.listTransactions(['Ongoing'], [], 9_999)).transactionStates.map((t) => t.transactionalId), ['tx-a']);
  assert.deepEqual((await h.service.listTransactions(['Ongoing'], [], 10_000)).transactionStates, []);
  h.close();
});

test('verify(): a partition added to the producer\'s ongoing transaction, and Kafka\'s answers otherwise', async () => {
  const h = await txnHarness();
  const v = (id: string, pid: number, epoch: number, ...parts: [string, number][]) => h.service.verifyPartitions(id, pid, epoch, parts.map(([t, p]) => tp(t, p)));
  assert.deepEqual(await v('nobody', 1, 0, ['t', 0]), [E.INVALID_PRODUCER_ID_MAPPING]);
  const a = await init(h, 'tx');
  assert.deepEqual(await v('tx', a.producerId, 0, ['t', 0]), [E.TRANSACTION_ABORTABLE], 'no transaction yet');
  await h.service.addPartitionsToTransaction('tx', a.producerId, 0, [tp('t', 0)]);
  assert.deepEqual(await v('tx', a.producerId, 0, ['t', 0], ['t', 1]), [E.NONE, E.TRANSACTION_ABORTABLE]);
  assert.deepEqual(await v('tx', a.producerId, 1, ['t', 0]), [E.PRODUCER_FENCED]);
  assert.deepEqual(await v('tx', a.producerId + 1, 0, ['t', 0]), [E.INVALID_PRODUCER_ID_MAPPING]);
  h.markers.hold();
  await h.service.endTransaction('tx', a.producerId, 0, 'COMMIT');
  assert.deepEqual(await v('tx', a.producerId, 0, ['t', 0]), [E.CONCURRENT_TRANSACTIONS]);
  h.markers.release();
  await drainMarkers(h);
  assert.deepEqual(await v('tx', a.producerId, 0, ['t', 0]), [E.TRANSACTION_ABORTABLE], 'the transaction ended');
  h.close();
});

test('replaying what was written gives the same state', async () => {
  const h = await txnHarness();
  await begin(h, 'a');
  const b = await begin(h, 'b');
  await h.service.endTransaction('b', b.producerId, 0, 'COMMIT');
  await init(h, 'c');
  await drainMarkers(h);
  const r = await reloadedTxn(h);
  assert.deepEqual(durableTxnState(r.service), durableTxnState(h.service));
  h.close();
  r.close();
});

test('unload: queued operations answer NOT_COORDINATOR, markers stop; settles without leaks', async () => {
  const h = await txnHarness();
  const a = await begin(h, 'tx');
  h.markers.hold();
  await h.service.endTransaction('tx', a.producerId, 0, 'COMMIT');
  const p = h.service.partitionFor('tx');
  h.service.onResignation(p, 1);
  h.markers.release();
  await drainMarkers(h);
  assert.equal((await h.service.initProducerId('tx', 1000, null)).errorCode, E.NOT_COORDINATOR);
  assert.deepEqual(h.written().map((r) => r.metadata?.state), ['Empty', 'Ongoing', 'PrepareCommit'], 'no completion after resigning');
  await settle();
  h.close();
});
