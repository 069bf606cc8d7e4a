// ProducerStateManager on its own: Kafka's validation order, the transaction bookkeeping
// (ongoing transactions, markers ending them, the first unstable offset), expiration and the
// snapshot/reload rules. A tiny harness plays the log: it assigns offsets, analyzes, and
// applies what a written append applies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryFileSystem } from '../../../src/base/file-system.js';
import { silentLogger } from '../../../src/base/logger.js';
import { ErrorCode } from '../../../src/protocol/error-codes.js';
import { setBaseOffset } from '../../../src/protocol/record-batch.js';
import {
  ProducerStateError,
  ProducerStateManager,
  type AppendOrigin,
  type CompletedTxn,
} from '../../../src/storage/producer-state-manager.js';
import { decrementSequence, incrementSequence, inSequence } from '../../../src/storage/producer-append-info.js';
import { markerBatch, plainBatch, producerBatch, TS } from '../../storage/_producer-batches.js';

class Harness {
  next = 0;
  completed: CompletedTxn[] = [];
  constructor(readonly psm: ProducerStateManager) {}

  static async create(expirationMs = 86_400_000): Promise<Harness> {
    const fs = new MemoryFileSystem();
    await fs.mkdirp('/p');
    return new Harness(await ProducerStateManager.open({ fs, dir: '/p', name: 't-0', config: { producerIdExpirationMs: expirationMs }, logger: silentLogger }));
  }

  /** Appends one batch; returns its offsets, or the duplicate's with dup=true. Throws ProducerStateError. */
  append(batch: Buffer, origin: AppendOrigin = 'client'): { first: number; last: number; dup: boolean } {
    setBaseOffset(batch, 0, this.next);
    const r = this.psm.analyzeAppend(batch, origin);
    if (r?.duplicate !== undefined) return { first: r.duplicate.firstOffset, last: r.duplicate.lastOffset, dup: true };
    const first = this.next;
    this.next += batch.readInt32BE(23) + 1;
    if (r !== null) {
      this.psm.applyAppend(r);
      for (const c of r.completedTxns) {
        this.completed.push(c);
        this.psm.completeTxn(c);
      }
    }
    this.psm.updateMapEndOffset(this.next);
    return { first, last: this.next - 1, dup: false };
  }

  rejects(batch: Buffer, code: number, origin: AppendOrigin = 'client'): void {
    const before = this.next;
    assert.throws(() => this.append(batch, origin), (err: unknown) => err instanceof ProducerStateError && err.errorCode === code);
    assert.equal(this.next, before);
  }
}

test('sequence arithmetic: increments and decrements wrap at Int32 max; 0 follows Int32 max', () => {
  assert.equal(incrementSequence(5, 3), 8);
  assert.equal(incrementSequence(2147483646, 3), 1);
  assert.equal(decrementSequence(1, 3), 2147483646);
  assert.equal(decrementSequence(9, 3), 6);
  assert.ok(inSequence(4, 5));
  assert.ok(inSequence(2147483647, 0));
  assert.ok(!inSequence(4, 6));
  assert.ok(!inSequence(2147483647, 1));
  assert.ok(inSequence(-1, 0), 'no sequence yet: 0 is next');
});

test('appends without producer ids cost nothing: analyzeAppend answers null', async () => {
  const h = await Harness.create();
  assert.equal(h.psm.analyzeAppend(plainBatch(3), 'client'), null);
  assert.equal(h.psm.producerIdCount, 0);
});

test('a multi-batch append is checked batch by batch against the earlier ones; one bad batch rejects all', async () => {
  const h = await Harness.create();
  h.append(producerBatch(1, 0, 0, { count: 2 }));
  const both = Buffer.concat([producerBatch(1, 0, 2, { count: 2 }), producerBatch(1, 0, 4)]);
  setBaseOffset(both, 0, 2);
  setBaseOffset(both, both.readInt32BE(8) + 12, 4);
  const ok = h.psm.analyzeAppend(both, 'client')!;
  assert.equal(ok.producers.length, 1);
  assert.equal(ok.producers[0]!.updated.lastSeq, 4);
  const gap = Buffer.concat([producerBatch(1, 0, 2, { count: 2 }), producerBatch(1, 0, 5)]);
  assert.throws(() => h.psm.analyzeAppend(gap, 'client'), (e: unknown) => e instanceof ProducerStateError && e.errorCode === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  assert.equal(h.psm.lastEntry(1)!.lastSeq, 1, 'analysis changes nothing');
});

test('coordinator origin: sequences are not checked, epochs are', async () => {
  const h = await Harness.create();
  h.append(producerBatch(3, 2, 0));
  assert.equal(h.append(producerBatch(3, 2, 40), 'coordinator').dup, false, 'a gap is fine for the coordinator');
  h.rejects(producerBatch(3, 1, 41), ErrorCode.INVALID_PRODUCER_EPOCH, 'coordinator');
  h.append(producerBatch(3, 3, 7), 'coordinator');
  assert.equal(h.psm.lastEntry(3)!.producerEpoch, 3);
});

test('replication origin: nothing is rejected, the state follows what the leader wrote', async () => {
  const h = await Harness.create();
  h.append(producerBatch(4, 5, 0));
  h.append(producerBatch(4, 3, 9), 'replication');
  assert.equal(h.psm.lastEntry(4)!.producerEpoch, 3, 'a follower takes the batch as is');
  h.append(producerBatch(4, 3, 9), 'replication');
  assert.equal(h.next, 3, 'no duplicate detection for replication');
});

test('transactions: a transactional batch opens one, a marker ends it; the first unstable offset follows', async () => {
  const h = await Harness.create();
  assert.equal(h.psm.firstUnstableOffset(), undefined);
  h.append(plainBatch(2)); // 0-1
  h.append(producerBatch(10, 0, 0, { transactional: true, count: 3 })); // 2-4
  assert.equal(h.psm.lastEntry(10)!.currentTxnFirstOffset, 2);
  assert.equal(h.psm.firstUnstableOffset(), 2);
  h.append(producerBatch(11, 0, 0, { transactional: true })); // 5
  h.append(producerBatch(10, 0, 3, { transactional: true })); // 6
  assert.deepEqual(h.psm.ongoingTransactions().map((t) => [t.producerId, t.firstOffset]), [[10, 2], [11, 5]]);
  // A non-transactional write while a transaction is open is INVALID_TXN_STATE.
  h.rejects(producerBatch(10, 0, 4), ErrorCode.INVALID_TXN_STATE);
  // The commit of producer 10 at offset 7: the LSO to record is the other open transaction's start.
  const marker = markerBatch(10, 0, true, 4);
  setBaseOffset(marker, 0, 7);
  const analyzed = h.psm.analyzeAppend(marker, 'coordinator')!;
  assert.deepEqual(analyzed.completedTxns, [{ producerId: 10, firstOffset: 2, lastOffset: 7, isAborted: false }]);
  assert.equal(h.psm.lastStableOffset(analyzed.completedTxns[0]!), 5);
  h.append(marker, 'coordinator');
  assert.equal(h.psm.lastEntry(10)!.currentTxnFirstOffset, -1);
  assert.equal(h.psm.lastEntry(10)!.coordinatorEpoch, 4);
  assert.equal(h.psm.firstUnstableOffset(), 2, 'decided but not yet below the high watermark');
  h.psm.onHighWatermarkUpdated(8);
  assert.equal(h.psm.firstUnstableOffset(), 5, 'producer 11 still open');
  // Abort of producer 11 at offset 8.
  h.append(markerBatch(11, 0, false, 4), 'coordinator');
  assert.deepEqual(h.completed.at(-1), { producerId: 11, firstOffset: 5, lastOffset: 8, isAborted: true });
  h.psm.onHighWatermarkUpdated(9);
  assert.equal(h.psm.firstUnstableOffset(), undefined);
  // A marker with nothing open completes nothing (an empty transaction).
  h.append(markerBatch(11, 0, false, 4), 'coordinator');
  assert.equal(h.completed.length, 2);
});

test('transactions: a zombie coordinator and a stale marker epoch are refused', async () => {
  const h = await Harness.create();
  h.append(producerBatch(20, 1, 0, { transactional: true }));
  h.append(markerBatch(20, 1, true, 5), 'coordinator');
  h.append(producerBatch(20, 1, 1, { transactional: true }));
  h.rejects(markerBatch(20, 1, true, 4), ErrorCode.TRANSACTION_COORDINATOR_FENCED, 'coordinator');
  h.rejects(markerBatch(20, 0, false, 5), ErrorCode.INVALID_PRODUCER_EPOCH, 'coordinator');
  h.rejects(producerBatch(20, 0, 0, { transactional: true }), ErrorCode.INVALID_PRODUCER_EPOCH);
  // A newer epoch's abort (the coordinator fencing the producer) ends the transaction and bumps the epoch.
  h.append(markerBatch(20, 2, false, 6), 'coordinator');
  assert.equal(h.psm.lastEntry(20)!.producerEpoch, 2);
  assert.equal(h.psm.lastEntry(20)!.isEmpty, true, 'a new epoch forgets the cached batches');
  assert.equal(h.psm.firstUndecidedOffset(), undefined);
});

test('transaction version 2 markers need a newer epoch, except a retry after the transaction ended', async () => {
  const h = await Harness.create();
  h.append(producerBatch(21, 3, 0, { transactional: true }));
  const sameEpoch = markerBatch(21, 3, true, 0);
  setBaseOffset(sameEpoch, 0, 1);
  assert.throws(() => h.psm.analyzeAppend(sameEpoch, 'coordinator', 2), (e: unknown) => e instanceof ProducerStateError && e.errorCode === ErrorCode.INVALID_PRODUCER_EPOCH);
  const bumped = markerBatch(21, 4, true, 0);
  setBaseOffset(bumped, 0, 1);
  const r = h.psm.analyzeAppend(bumped, 'coordinator', 2)!;
  assert.equal(r.completedTxns.length, 1);
  h.psm.applyAppend(r);
  h.psm.completeTxn(r.completedTxns[0]!);
  const retry = markerBatch(21, 4, true, 0);
  setBaseOffset(retry, 0, 2);
  assert.equal(h.psm.analyzeAppend(retry, 'coordinator', 2)!.completedTxns.length, 0, 'idempotent marker retry accepted');
});

test('expiration: idle producers go after producer.id.expiration.ms, not those with an open transaction', async () => {
  const h = await Harness.create(1000);
  h.append(producerBatch(1, 0, 0, { timestamp: TS }));
  h.append(producerBatch(2, 0, 0, { timestamp: TS + 500 }));
  h.append(producerBatch(3, 0, 0, { timestamp: TS, transactional: true }));
  assert.equal(h.psm.removeExpiredProducers(TS + 999), 0);
  assert.equal(h.psm.removeExpiredProducers(TS + 1000), 1);
  assert.equal(h.psm.lastEntry(1), undefined);
  assert.deepEqual(h.psm.activeProducers().map((p) => p.producerId).sort(), [2, 3]);
  assert.equal(h.psm.removeExpiredProducers(TS + 10_000), 1);
  assert.deepEqual(h.psm.activeProducers().map((p) => p.producerId), [3], 'an open transaction keeps its producer');
  // An expired producer is unknown again: any sequence is accepted.
  assert.equal(h.append(producerBatch(1, 0, 77)).dup, false);
});

test('DescribeProducers view: epoch, last sequence, last timestamp, coordinator epoch, open transaction', async () => {
  const h = await Harness.create();
  h.append(producerBatch(9, 2, 0, { count: 4, timestamp: TS + 3 }));
  h.append(producerBatch(8, 0, 0, { transactional: true, timestamp: TS + 4 }));
  const byId = new Map(h.psm.activeProducers().map((p) => [p.producerId, p]));
  assert.deepEqual(byId.get(9), { producerId: 9, producerEpoch: 2, lastSequence: 3, lastTimestamp: TS + 3, coordinatorEpoch: -1, currentTxnStartOffset: -1 });
  assert.deepEqual(byId.get(8), { producerId: 8, producerEpoch: 0, lastSequence: 0, lastTimestamp: TS + 4, coordinatorEpoch: -1, currentTxnStartOffset: 4 });
});

test('snapshots: written at mapEndOffset once, reloaded with open transactions, stray ones removed', async () => {
  const fs = new MemoryFileSystem();
  await fs.mkdirp('/p');
  const open = () => ProducerStateManager.open({ fs, dir: '/p', name: 't-0', config: { producerIdExpirationMs: 86_400_000 }, logger: silentLogger });
  const h = new Harness(await open());
  h.append(producerBatch(1, 0, 0, { count: 2 }));
  h.append(producerBatch(2, 0, 0, { transactional: true }));
  await h.psm.takeSnapshot();
  await h.psm.takeSnapshot();
  assert.deepEqual(h.psm.snapshotOffsets(), [3]);
  h.append(producerBatch(1, 0, 2));
  await h.psm.takeSnapshot();
  assert.deepEqual((await fs.readdir('/p')).sort(), ['00000000000000000003.snapshot', '00000000000000000004.snapshot']);

  const reloaded = await open();
  await reloaded.truncateAndReload(0, 3, TS);
  assert.equal(reloaded.mapEndOffset, 3);
  assert.deepEqual(reloaded.snapshotOffsets(), [3], 'the snapshot above the log end is deleted');
  assert.equal(reloaded.lastEntry(1)!.lastSeq, 1);
  assert.equal(reloaded.firstUnstableOffset(), 2, 'the open transaction comes back from the snapshot');

  // Stray snapshots: not at a segment base, except the latest beyond every base (clean shutdown).
  await h.psm.takeSnapshot();
  h.append(producerBatch(1, 0, 3));
  await h.psm.takeSnapshot();
  const strays = await open();
  assert.deepEqual(strays.snapshotOffsets(), [3, 5]);
  await strays.removeStraySnapshots([0, 2]);
  assert.deepEqual(strays.snapshotOffsets(), [5], 'the latest stray beyond the last base stays');
  await strays.removeStraySnapshots([0, 6]);
  assert.deepEqual(strays.snapshotOffsets(), []);
});
