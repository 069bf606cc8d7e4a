/**
 * What the transaction coordinator does on its own: markers retried while a partition is
 * unavailable, open transactions aborted after their timeout, idle transactional ids expired,
 * and a coordinator reloaded in every state — a transaction left PrepareCommit/PrepareAbort
 * (markers not yet written) gets its markers resent by the new coordinator, at its epoch, and
 * completes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { settle } from './harness.js';
import { drainMarkers, durableTxnState, init, reloadedTxn, tp, txnHarness, type TxnHarness } from './transaction-harness.js';

const E = ErrorCode;

async function begin(h: TxnHarness, id: string, timeoutMs = 60_000) {
  const p = await init(h, id, timeoutMs);
  assert.equal(await h.service.addPartitionsToTransaction(id, p.producerId, p.producerEpoch, [tp('t', 0), tp('t', 1)]), E.NONE);
  return p;
}

test('markers are retried with backoff while a partition is unavailable; the transaction completes after', async () => {
  const h = await txnHarness({ markerRetryBackoffMs: 100, markerRetryBackoffMaxMs: 400 });
  const a = await begin(h, 'tx');
  h.markers.fail('t', 1, 4, E.NOT_LEADER_OR_FOLLOWER);
  assert.equal(await h.service.endTransaction('tx', a.producerId, 0, 'COMMIT'), E.NONE);
  await settle();
  assert.deepEqual(h.markers.written.map((m) => m.partition), [0], 't-0 written at once, t-1 refused');
  assert.equal(h.txn('tx')!.state, 'PrepareCommit');
  assert.equal((await h.service.initProducerId('tx', 1000, null)).errorCode, E.CONCURRENT_TRANSACTIONS, 'still completing');
  // Backoff 100, 200, 400, 400 ms: only t-1 is retried.
  for (const ms of [100, 200, 400]) {
    h.clock.advance(ms);
    await settle();
  }
  assert.equal(h.markers.attempts.filter((m) => m.partition === 1).length, 4);
  assert.equal(h.txn('tx')!.state, 'PrepareCommit');
  h.clock.advance(400);
  await settle();
  assert.deepEqual(h.markers.written.map((m) => m.partition), [0, 1]);
  assert.equal(h.markers.attempts.filter((m) => m.partition === 0).length, 1, 'a written partition is not written again');
  await drainMarkers(h);
  assert.equal(h.txn('tx')!.state, 'CompleteCommit');
  h.close();
});

test('a marker refused with INVALID_PRODUCER_EPOCH is abandoned (a newer epoch owns the producer)', async () => {
  const h = await txnHarness();
  const a = await begin(h, 'tx');
  h.markers.fail('t', 0, 1, E.INVALID_PRODUCER_EPOCH);
  await h.service.endTransaction('tx', a.producerId, 0, 'ABORT');
  await drainMarkers(h);
  assert.equal(h.txn('tx')!.state, 'PrepareAbort', 'left for a reload to retry, as Kafka does');
  h.close();
});

test('an open transaction past its timeout is aborted at a bumped epoch; its producer is fenced', async () => {
  const h = await txnHarness({ abortTimedOutTransactionsIntervalMs: 1000 });
  const a = await begin(h, 'slow', 5_000);
  await begin(h, 'fast', 60_000);
  h.clock.advance(5_000);
  await settle();
  assert.equal(h.txn('slow')!.state, 'Ongoing', 'exactly at its timeout it is not expired yet');
  h.clock.advance(1_000);
  await drainMarkers(h);
  const slow = h.txn('slow')!;
  assert.deepEqual([slow.state, slow.producerEpoch], ['CompleteAbort', 1]);
  assert.deepEqual(h.markers.written.map((m) => [m.partition, m.result, m.producerEpoch]), [[0, 'ABORT', 1], [1, 'ABORT', 1]]);
  assert.equal(h.txn('fast')!.state, 'Ongoing');
  assert.equal(await h.service.endTransaction('slow', a.producerId, 0, 'COMMIT'), E.PRODUCER_FENCED, 'the dead producer learns it was fenced');
  assert.deepEqual(await init(h, 'slow'), { producerId: a.producerId, producerEpoch: 2 });
  h.close();
});

test('idle transactional ids expire (tombstone); open transactions do not', async () => {
  const h = await txnHarness({ transactionalIdExpirationMs: 60_000, removeExpiredTransactionalIdsIntervalMs: 10_000, abortTimedOutTransactionsIntervalMs: 3_600_000 });
  await init(h, 'idle');
  const busy = await begin(h, 'busy', 900_000);
  const done = await begin(h, 'done');
  await h.service.endTransaction('done', done.producerId, 0, 'COMMIT');
  await drainMarkers(h);
  h.clock.advance(70_000);
  await settle();
  assert.equal((await h.service.describeTransaction('idle')).errorCode, E.TRANSACTIONAL_ID_NOT_FOUND);
  assert.equal((await h.service.describeTransaction('done')).errorCode, E.TRANSACTIONAL_ID_NOT_FOUND, 'CompleteCommit may expire');
  assert.equal((await h.service.describeTransaction('busy')).transactionState, 'Ongoing');
  assert.deepEqual(h.written().filter((r) => r.metadata === null).map((r) => r.transactionalId).sort(), ['done', 'idle']);
  // An expired id starts over with a new producer id.
  assert.deepEqual(await init(h, 'idle'), { producerId: 1003, producerEpoch: 0 });
  assert.equal(busy.producerId, 1001);
  const r = await reloadedTxn(h);
  assert.deepEqual(durableTxnState(r.service), durableTxnState(h.service), 'the tombstones replay');
  h.close();
  r.close();
});

test('coordinator reload in every state: the durable state comes back; Prepare* resends the markers and completes', async () => {
  const h = await txnHarness();
  await init(h, 'empty');
  await begin(h, 'ongoing');
  for (const [id, result] of [['committed', 'COMMIT'], ['aborted', 'ABORT']] as const) {
    const p = await begin(h, id);
    await h.service.endTransaction(id, p.producerId, 0, result);
  }
  await drainMarkers(h);
  h.markers.hold();
  for (const [id, result] of [['prep-commit', 'COMMIT'], ['prep-abort', 'ABORT']] as const) {
    const p = await begin(h, id);
    await h.service.endTransaction(id, p.producerId, 0, result);
  }
  await settle();
  // The broker dies here: PrepareCommit/PrepareAbort are written, their markers are not.
  const states = Object.fromEntries(['empty', 'ongoing', 'committed', 'aborted', 'prep-commit', 'prep-abort'].map((id) => [id, h.txn(id)!.state]));
  assert.deepEqual(states, { empty: 'Empty', ongoing: 'Ongoing', committed: 'CompleteCommit', aborted: 'CompleteAbort', 'prep-commit': 'PrepareCommit', 'prep-abort': 'PrepareAbort' });
  const before = durableTxnState(h.service);
  h.close();
  h.markers.release();

  const r = await reloadedTxn(h, 3);
  await drainMarkers(r);
  assert.deepEqual(r.markers.written.map((m) => [m.partition, m.result, m.coordinatorEpoch]).sort(),
    [[0, 'ABORT', 3], [0, 'COMMIT', 3], [1, 'ABORT', 3], [1, 'COMMIT', 3]], 'resent with the new coordinator epoch');
  assert.equal(r.txn('prep-commit')!.state, 'CompleteCommit');
  assert.equal(r.txn('prep-abort')!.state, 'CompleteAbort');
  const after = durableTxnState(r.service) as { transactionalId: string }[];
  const unchanged = (list: unknown[]) => (list as { transactionalId: string }[]).filter((m) => !m.transactionalId.startsWith('prep-'));
  assert.deepEqual(unchanged(after), unchanged(before), 'the other states come back as they were');
  // The reloaded coordinator goes on: the ongoing transaction can still commit.
  const o = r.txn('ongoing')!;
  assert.equal(await r.service.endTransaction('ongoing', o.producerId, o.producerEpoch, 'COMMIT'), E.NONE);
  await drainMarkers(r);
  assert.equal(r.txn('ongoing')!.state, 'CompleteCommit');
  // A reload after completing shows the completions too.
  const r2 = await reloadedTxn(r, 4);
  await drainMarkers(r2);
  assert.equal(r2.markers.written.length, 0, 'nothing left to resend');
  assert.deepEqual(durableTxnState(r2.service), durableTxnState(r.service));
  r.close();
  r2.close();
});

test('an ongoing transaction survives a reload and still times out there', async () => {
  const h = await txnHarness({ abortTimedOutTransactionsIntervalMs: 1000 });
  await begin(h, 'tx', 10_000);
  h.close();
  const r = await reloadedTxn(h, 1, { abortTimedOutTransactionsIntervalMs: 1000 });
  r.clock.advance(11_000);
  await drainMarkers(r);
  assert.deepEqual([r.txn('tx')!.state, r.txn('tx')!.producerEpoch], ['CompleteAbort', 1]);
  r.close();
});
