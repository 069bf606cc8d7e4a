/**
 * Regression (chaos campaign, seed 20261205, finding 5): a KafkaJS (Transactions V1)
 * EndTxn(COMMIT) was answered "success" by a coordinator that had been cut off from etcd and
 * deposed: it still held the previous transaction's CompleteCommit at the same producer epoch,
 * and Kafka answers that as a retried commit, with no write that replication could refuse. The
 * new coordinator then aborted the open transaction. A coordinator whose etcd session has not
 * been confirmed within the session timeout now answers such a retry NOT_COORDINATOR (the
 * client asks the current coordinator); writes were already safe (acks=all).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/base/clock.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { MemoryPartitions } from '../coordinator/harness.js';
import { buildTxn, CountingProducerIds, drainMarkers, electAllTxn, init, RecordingMarkerWriter, tp, TXN_TEST_CONFIG } from '../coordinator/transaction-harness.js';

test('issue: a coordinator that cannot confirm its session does not answer a retried EndTxn with success', async () => {
  let confirmed = true;
  const h = buildTxn(TXN_TEST_CONFIG, new ManualClock(), new MemoryPartitions(), new RecordingMarkerWriter(), new CountingProducerIds(), () => confirmed);
  await electAllTxn(h.service);
  const p = await init(h, 'tx');
  assert.equal(await h.service.addPartitionsToTransaction('tx', p.producerId, p.producerEpoch, [tp('t', 0)]), ErrorCode.NONE);
  assert.equal(await h.service.endTransaction('tx', p.producerId, p.producerEpoch, 'COMMIT'), ErrorCode.NONE);
  await drainMarkers(h);
  assert.equal(h.txn('tx')!.state, 'CompleteCommit');
  confirmed = false; // cut off from etcd for longer than the session timeout
  assert.equal(await h.service.endTransaction('tx', p.producerId, p.producerEpoch, 'COMMIT'), ErrorCode.NOT_COORDINATOR);
  assert.equal(await h.service.endTransaction('tx', p.producerId, p.producerEpoch, 'ABORT'), ErrorCode.INVALID_TXN_STATE, 'a wrong result is still wrong');
  confirmed = true;
  assert.equal(await h.service.endTransaction('tx', p.producerId, p.producerEpoch, 'COMMIT'), ErrorCode.NONE, 'a confirmed coordinator answers the retry');
  h.close();
});
