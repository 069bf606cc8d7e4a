/**
 * Transaction V2 (KIP-890 part 2) in the transaction coordinator: EndTxn v5 bumps the epoch on
 * every transaction end (markers at the bumped epoch, the answer carries it), Kafka's retry
 * table for Empty, Prepare* and Complete*, an abort with nothing added, the epoch overflow to a new
 * producer id, AddPartitions recording the client's version, TransactionLogValue v1 at
 * transaction.version ≥ 1, and fencing/timeouts bumping with the cluster's level.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/base/clock.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { encodeBatch } from '../../src/protocol/records.js';
import { encodeTransactionRecord } from '../../src/coordinator/transaction/records.js';
import { MemoryPartitions } from './harness.js';
import { buildTxn, drainMarkers, electAllTxn, init, reloadedTxn, tp, TXN_TEST_CONFIG, txnHarness } from './transaction-harness.js';

const E = ErrorCode;
const V2 = { transactionVersionLevel: 2 };

test('EndTxn v5: the epoch is bumped on commit, the markers carry the bumped epoch, the answer hands it to the client', async () => {
  const h = await txnHarness(V2);
  const a = await init(h, 'tx');
  assert.equal(await h.service.addPartitionsToTransaction('tx', a.producerId, 0, [tp('t', 0)], 2), E.NONE);
  assert.equal(h.txn('tx')!.clientTransactionVersion, 2, 'AddPartitionsToTxn v5 records Transaction V2');
  h.markers.hold();
  assert.deepEqual(await h.service.endTransactionV2('tx', a.producerId, 0, 'COMMIT'), { errorCode: E.NONE, producerId: a.producerId, producerEpoch: 1 });
  const prepared = h.txn('tx')!;
  assert.deepEqual([prepared.state, prepared.producerEpoch, prepared.lastProducerEpoch, prepared.clientTransactionVersion], ['PrepareCommit', 1, 0, 2]);
  // While it completes: the retry (old epoch) is CONCURRENT_TRANSACTIONS, the new epoch is fenced.
  assert.equal((await h.service.endTransactionV2('tx', a.producerId, 0, 'COMMIT')).errorCode, E.CONCURRENT_TRANSACTIONS);
  assert.equal((await h.service.endTransactionV2('tx', a.producerId, 0, 'ABORT')).errorCode, E.INVALID_TXN_STATE);
  assert.equal((await h.service.endTransactionV2('tx', a.producerId, 1, 'COMMIT')).errorCode, E.PRODUCER_FENCED);
  h.markers.release();
  await drainMarkers(h);
  assert.deepEqual(h.markers.written.map((m) => [m.topic, m.partition, m.result, m.producerEpoch]), [['t', 0, 'COMMIT', 1]]);
  assert.deepEqual([h.txn('tx')!.state, h.txn('tx')!.producerEpoch], ['CompleteCommit', 1]);
  // Kafka's table for CompleteCommit: a retry of the commit (previous epoch) is NONE with the
  // current epoch; a retried abort is INVALID_TXN_STATE; a new commit with nothing added too.
  assert.deepEqual(await h.service.endTransactionV2('tx', a.producerId, 0, 'COMMIT'), { errorCode: E.NONE, producerId: a.producerId, producerEpoch: 1 });
  assert.equal((await h.service.endTransactionV2('tx', a.producerId, 0, 'ABORT')).errorCode, E.INVALID_TXN_STATE);
  assert.equal((await h.service.endTransactionV2('tx', a.producerId, 1, 'COMMIT')).errorCode, E.INVALID_TXN_STATE);
  assert.equal((await h.service.endTransactionV2('tx', a.producerId, 5, 'COMMIT')).errorCode, E.PRODUCER_FENCED);
  assert.equal((await h.service.endTransactionV2('tx', a.producerId + 1, 1, 'COMMIT')).errorCode, E.INVALID_PRODUCER_ID_MAPPING);
  // The next transaction runs at epoch 1.
  assert.equal(await h.service.addPartitionsToTransaction('tx', a.producerId, 0, [tp('t', 1)], 2), E.PRODUCER_FENCED);
  assert.equal(await h.service.addPartitionsToTransaction('tx', a.producerId, 1, [tp('t', 1)], 2), E.NONE);
  assert.deepEqual(await h.service.endTransactionV2('tx', a.producerId, 1, 'ABORT'), { errorCode: E.NONE, producerId: a.producerId, producerEpoch: 2 });
  await drainMarkers(h);
  assert.deepEqual(h.markers.written.map((m) => [m.partition, m.result, m.producerEpoch]), [[0, 'COMMIT', 1], [1, 'ABORT', 2]]);
  assert.deepEqual(h.written().map((r) => [r.metadata?.state, r.metadata?.producerEpoch]),
    [['Empty', 0], ['Ongoing', 0], ['PrepareCommit', 1], ['CompleteCommit', 1], ['Ongoing', 1], ['PrepareAbort', 2], ['CompleteAbort', 2]]);
  h.close();
});

test('EndTxn v5 abort with nothing added (Empty, CompleteCommit, CompleteAbort): an empty PrepareAbort at the bumped epoch; a commit is INVALID_TXN_STATE', async () => {
  const h = await txnHarness(V2);
  const a = await init(h, 'tx');
  assert.equal((await h.service.endTransactionV2('tx', a.producerId, 0, 'COMMIT')).errorCode, E.INVALID_TXN_STATE);
  h.clock.advance(7);
  assert.deepEqual(await h.service.endTransactionV2('tx', a.producerId, 0, 'ABORT'), { errorCode: E.NONE, producerId: a.producerId, producerEpoch: 1 });
  await drainMarkers(h);
  const m = h.txn('tx')!;
  assert.deepEqual([m.state, m.producerEpoch, m.txnStartTimestamp], ['CompleteAbort', 1, h.clock.now()]);
  assert.equal(h.markers.written.length, 0, 'no partition, no marker');
  // A retry of that abort is NONE; a new abort bumps again.
  assert.deepEqual(await h.service.endTransactionV2('tx', a.producerId, 0, 'ABORT'), { errorCode: E.NONE, producerId: a.producerId, producerEpoch: 1 });
  assert.deepEqual(await h.service.endTransactionV2('tx', a.producerId, 1, 'ABORT'), { errorCode: E.NONE, producerId: a.producerId, producerEpoch: 2 });
  await drainMarkers(h);
  assert.equal(h.txn('tx')!.producerEpoch, 2);
  h.close();
});

test('EndTxn v5 at an exhausted epoch: markers at Short.MAX_VALUE, then a new producer id at epoch 0; a retry with the old id is answered with the new one', async () => {
  const clock = new ManualClock();
  const log = new MemoryPartitions();
  const h = buildTxn({ ...TXN_TEST_CONFIG, ...V2 }, clock, log);
  log.batches.push({ partition: h.service.partitionFor('old'), batch: encodeBatch({ records: [encodeTransactionRecord({ transactionalId: 'old', metadata: {
    transactionalId: 'old', producerId: 5, prevProducerId: -1, nextProducerId: -1, producerEpoch: 32766, lastProducerEpoch: -1, txnTimeoutMs: 60_000,
    state: 'Ongoing', topicPartitions: [tp('t', 0)], txnStartTimestamp: 1, txnLastUpdateTimestamp: 2, clientTransactionVersion: 2,
  } }, 1)] }) });
  await electAllTxn(h.service);
  assert.deepEqual(await h.service.endTransactionV2('old', 5, 32766, 'COMMIT'), { errorCode: E.NONE, producerId: 1000, producerEpoch: 0 });
  await drainMarkers(h);
  assert.deepEqual(h.markers.written.map((m) => [m.producerId, m.producerEpoch]), [[5, 32767]], 'the markers end the old producer at Short.MAX_VALUE');
  const m = h.txn('old')!;
  assert.deepEqual([m.state, m.producerId, m.producerEpoch, m.prevProducerId, m.lastProducerEpoch, m.nextProducerId], ['CompleteCommit', 1000, 0, 5, 32766, -1]);
  assert.deepEqual(await h.service.endTransactionV2('old', 5, 32766, 'COMMIT'), { errorCode: E.NONE, producerId: 1000, producerEpoch: 0 }, 'retry on overflow');
  assert.equal(await h.service.addPartitionsToTransaction('old', 1000, 0, [tp('t', 0)], 2), E.NONE);
  h.close();
});

test('at transaction.version 2 the coordinator\'s own aborts (fence, timeout) bump the epoch once more; V1 EndTxn keeps it', async () => {
  const h = await txnHarness({ ...V2, abortTimedOutTransactionsIntervalMs: 1000 });
  const a = await init(h, 'tx');
  assert.equal(await h.service.addPartitionsToTransaction('tx', a.producerId, 0, [tp('t', 0)]), E.NONE);
  assert.equal(await h.service.endTransaction('tx', a.producerId, 0, 'COMMIT'), E.NONE, 'a V1 client at level 2 stays V1');
  await drainMarkers(h);
  assert.deepEqual([h.txn('tx')!.state, h.txn('tx')!.producerEpoch, h.txn('tx')!.clientTransactionVersion], ['CompleteCommit', 0, 0]);
  assert.equal(await h.service.addPartitionsToTransaction('tx', a.producerId, 0, [tp('t', 0)]), E.NONE);
  h.clock.advance(61_000);
  await drainMarkers(h);
  const m = h.txn('tx')!;
  assert.deepEqual([m.state, m.producerEpoch], ['CompleteAbort', 2], 'fence +1, Transaction V2 abort +1');
  assert.deepEqual(h.markers.written.at(-1)!.producerEpoch, 2);
  h.close();
});

test('__transaction_state values are written in v1 at transaction.version ≥ 1 (v0 at 0) and replay the same', async () => {
  for (const [level, version] of [[0, 0], [1, 1], [2, 1]] as const) {
    const h = await txnHarness({ transactionVersionLevel: level });
    const a = await init(h, 'tx');
    assert.equal(await h.service.addPartitionsToTransaction('tx', a.producerId, 0, [tp('t', 0)], level === 2 ? 2 : 0), E.NONE);
    const values = h.log.records().map((rec) => rec.value!.readInt16BE(0));
    assert.deepEqual(values, [version, version], `level ${level} writes value v${version}`);
    const before = h.txn('tx')!;
    const r = await reloadedTxn(h, 1, { transactionVersionLevel: level });
    const after = r.txn('tx')!;
    assert.deepEqual([after.state, after.producerId, after.producerEpoch, after.topicPartitions, after.clientTransactionVersion],
      [before.state, before.producerId, before.producerEpoch, before.topicPartitions, version === 1 ? before.clientTransactionVersion : 0]);
    r.close();
    h.close();
  }
});
