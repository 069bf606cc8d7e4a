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
