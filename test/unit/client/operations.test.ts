import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collectRecords } from '../../../src/client/operations.js';
import { ControlRecordType, encodeBatch } from '../../../src/protocol/records.js';
import { Compression } from '../../../src/protocol/record-batch.js';

const v = (s: string) => ({ key: null, value: s });

test('collectRecords drops records before the fetch offset and reports the next offset', () => {
  const buf = Buffer.concat([
    encodeBatch({ baseOffset: 0, records: [v('a'), v('b'), v('c')] }),
    encodeBatch({ baseOffset: 3, compression: Compression.Zstd, records: [v('d')] }),
  ]);
  const { records, nextOffset } = collectRecords(buf, 1, [], false);
  assert.deepEqual(records.map((r) => [r.offset, r.value!.toString()]), [[1, 'b'], [2, 'c'], [3, 'd']]);
  assert.equal(nextOffset, 4);
  assert.equal(records[0]!.logAppendTime, false);
});

test('collectRecords: nextOffset skips past compacted gaps and empty batches', () => {
  const buf = encodeBatch({ baseOffset: 10, lastOffsetDelta: 5, records: [{ key: 'k', value: 'x', offset: 12 }] });
  const { records, nextOffset } = collectRecords(buf, 10, [], false);
  assert.deepEqual(records.map((r) => r.offset), [12]);
  assert.equal(nextOffset, 16);
  assert.deepEqual(collectRecords(null, 7, [], false), { records: [], nextOffset: 7 });
});

test('collectRecords hides control records and, for read_committed, aborted transactions', () => {
  const pidA = 100;
  const pidB = 200;
  const buf = Buffer.concat([
    encodeBatch({ baseOffset: 0, producerId: pidA, producerEpoch: 0, transactional: true, records: [v('a-aborted-1'), v('a-aborted-2')] }),
    encodeBatch({ baseOffset: 2, producerId: pidB, producerEpoch: 0, transactional: true, records: [v('b-committed')] }),
    encodeBatch({ baseOffset: 3, producerId: pidA, producerEpoch: 0, transactional: true, control: { type: ControlRecordType.Abort, coordinatorEpoch: 0 }, records: [] }),
    encodeBatch({ baseOffset: 4, producerId: pidB, producerEpoch: 0, transactional: true, control: { type: ControlRecordType.Commit, coordinatorEpoch: 0 }, records: [] }),
    // A later transaction of the same producer that is not aborted.
    encodeBatch({ baseOffset: 5, producerId: pidA, producerEpoch: 0, transactional: true, records: [v('a-later')] }),
    encodeBatch({ baseOffset: 6, records: [v('plain')] }),
  ]);
  const uncommitted = collectRecords(buf, 0, [], false);
  assert.deepEqual(uncommitted.records.map((r) => r.value!.toString()), ['a-aborted-1', 'a-aborted-2', 'b-committed', 'a-later', 'plain']);
  assert.equal(uncommitted.nextOffset, 7);
  const committed = collectRecords(buf, 0, [{ producerId: pidA, firstOffset: 0 }], false);
  assert.deepEqual(committed.records.map((r) => r.value!.toString()), ['b-committed', 'a-later', 'plain']);
  const withControl = collectRecords(buf, 0, [], true);
  assert.deepEqual(withControl.records.map((r) => r.offset), [0, 1, 2, 3, 4, 5, 6]);
});

test('read_committed follows Kafka\'s consumer: per producer, batches from an aborted firstOffset until its ABORT marker are skipped', () => {
  const A = 7;
  const B = 8;
  const txn = (baseOffset: number, producerId: number, ...values: string[]) =>
    encodeBatch({ baseOffset, producerId, producerEpoch: 0, transactional: true, records: values.map(v) });
  const marker = (baseOffset: number, producerId: number, type: ControlRecordType) =>
    encodeBatch({ baseOffset, producerId, producerEpoch: 0, transactional: true, control: { type, coordinatorEpoch: 0 }, records: [] });
  // A: committed (0-1, marker 2), aborted (3, interleaved with B's committed 4, marker 5), aborted again (7, marker 8), committed (9, marker 10).
  const buf = Buffer.concat([
    txn(0, A, 'a1', 'a2'), marker(2, A, ControlRecordType.Commit),
    txn(3, A, 'a-aborted'), txn(4, B, 'b1'), marker(5, A, ControlRecordType.Abort), marker(6, B, ControlRecordType.Commit),
    txn(7, A, 'a-aborted-again'), marker(8, A, ControlRecordType.Abort),
    txn(9, A, 'a3'), marker(10, A, ControlRecordType.Commit),
  ]);
  const aborted = [{ producerId: A, firstOffset: 7 }, { producerId: A, firstOffset: 3 }]; // any order
  const all = collectRecords(buf, 0, aborted, false);
  assert.deepEqual(all.records.map((r) => r.value!.toString()), ['a1', 'a2', 'b1', 'a3']);
  assert.equal(all.nextOffset, 11, 'the position moves past the last (control) batch');
  // A fetch from inside the aborted transaction gets it whole, and its abortedTransactions entry
  // (firstOffset before the fetch offset) still applies.
  const inside = collectRecords(buf.subarray(buf.indexOf(txn(3, A, 'a-aborted'))), 3, aborted, false);
  assert.deepEqual(inside.records.map((r) => r.value!.toString()), ['b1', 'a3']);
  // Only control batches left: nothing to return, but the position moves past them.
  const onlyMarkers = collectRecords(Buffer.concat([marker(20, A, ControlRecordType.Commit), marker(21, B, ControlRecordType.Abort)]), 20, [], false);
  assert.deepEqual(onlyMarkers, { records: [], nextOffset: 22 });
});
