/**
 * FetchSessionHandler (KIP-227, the follower's side): full request first (epoch 0), then
 * incremental requests carrying only changed partitions and forgetting the unwanted ones; the
 * epoch advances per answer and wraps to 1; session errors, other top-level errors, a leader
 * without a cache slot (sessionId 0) and reset() all lead back to a full request.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FetchSessionHandler, type SessionPartition } from '../../../../src/cluster/replication/fetch-session-handler.js';
import { ErrorCode } from '../../../../src/protocol/error-codes.js';

const ID = Buffer.alloc(16, 7);
const part = (partition: number, fetchOffset: number, extra: Partial<SessionPartition> = {}): SessionPartition => ({
  topic: 't', topicId: ID, partition, fetchOffset, logStartOffset: 0, maxBytes: 1 << 20, currentLeaderEpoch: 3, lastFetchedEpoch: 3, ...extra,
});
const sent = (r: { send: SessionPartition[] }) => r.send.map((p) => `${p.partition}@${p.fetchOffset}`);

test('a full request opens the session; later requests carry only what changed', () => {
  const h = new FetchSessionHandler();
  const first = h.build([part(0, 10), part(1, 20), part(2, 30)]);
  assert.deepEqual([first.sessionId, first.sessionEpoch], [0, 0]);
  assert.deepEqual(sent(first), ['0@10', '1@20', '2@30']);
  h.handleResponse(ErrorCode.NONE, 55);
  assert.equal(h.id, 55);

  // Partition 1 moved on; 0 and 2 did not.
  const second = h.build([part(0, 10), part(1, 25), part(2, 30)]);
  assert.deepEqual([second.sessionId, second.sessionEpoch], [55, 1]);
  assert.deepEqual(sent(second), ['1@25']);
  assert.deepEqual(second.forget, []);
  h.handleResponse(ErrorCode.NONE, 55);

  // Nothing changed: an empty incremental request; then a new leader epoch, a new log start, a
  // partition added, one dropped.
  const third = h.build([part(0, 10), part(1, 25), part(2, 30)]);
  assert.deepEqual([third.sessionEpoch, third.send.length], [2, 0]);
  h.handleResponse(ErrorCode.NONE, 55);
  const fourth = h.build([part(0, 10, { currentLeaderEpoch: 4 }), part(1, 25, { logStartOffset: 5 }), part(3, 0)]);
  assert.equal(fourth.sessionEpoch, 3);
  assert.deepEqual(sent(fourth), ['0@10', '1@25', '3@0']);
  assert.deepEqual(fourth.forget.map((f) => [f.topic, f.partition]), [['t', 2]]);
  h.handleResponse(ErrorCode.NONE, 55);
  assert.equal(h.build([part(0, 10, { currentLeaderEpoch: 4 })]).sessionEpoch, 4);
});

test('session errors, other errors, a failed request and a leader without a slot bring back a full request', () => {
  for (const error of [ErrorCode.FETCH_SESSION_ID_NOT_FOUND, ErrorCode.INVALID_FETCH_SESSION_EPOCH, ErrorCode.UNKNOWN_SERVER_ERROR]) {
    const h = new FetchSessionHandler();
    h.build([part(0, 1), part(1, 1)]);
    h.handleResponse(ErrorCode.NONE, 9);
    h.build([part(0, 2), part(1, 1)]);
    h.handleResponse(error, 0);
    const next = h.build([part(0, 2), part(1, 1)]);
    assert.deepEqual([next.sessionId, next.sessionEpoch], [9, 0], 'a full request replacing our old session');
    assert.deepEqual(sent(next), ['0@2', '1@1']);
  }
  const failed = new FetchSessionHandler();
  failed.build([part(0, 1)]);
  failed.handleResponse(ErrorCode.NONE, 9);
  failed.build([part(0, 2)]);
  failed.reset(); // the request failed: its answer (and the leader's epoch) unknown
  assert.deepEqual([failed.build([part(0, 2)]).sessionEpoch], [0]);

  const noSlot = new FetchSessionHandler();
  noSlot.build([part(0, 1)]);
  noSlot.handleResponse(ErrorCode.NONE, 0); // the leader's cache was full
  const again = noSlot.build([part(0, 5)]);
  assert.deepEqual([again.sessionId, again.sessionEpoch, again.send.length], [0, 0, 1]);
});

test('the epoch wraps from 2^31-1 to 1', () => {
  const h = new FetchSessionHandler();
  h.build([part(0, 1)]);
  h.handleResponse(ErrorCode.NONE, 9);
  (h as unknown as { nextEpoch: number }).nextEpoch = 0x7fffffff;
  assert.equal(h.build([part(0, 1)]).sessionEpoch, 0x7fffffff);
  h.handleResponse(ErrorCode.NONE, 9);
  assert.equal(h.build([part(0, 1)]).sessionEpoch, 1);
});
