// The producer snapshot file is Kafka's (ProducerStateManager.writeSnapshot): version int16,
// crc uint32 (CRC-32C of everything after it), then an int32-counted array of 46-byte entries.
// The vector below was built by hand (struct.pack '>h I i' + '>q h i q i q i q' per entry and a
// bitwise CRC-32C), not by our encoder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProducerStateEntry } from '../../../src/storage/producer-append-info.js';
import {
  CorruptSnapshotError,
  decodeSnapshot,
  encodeSnapshot,
  parseSnapshotFileName,
  snapshotFileName,
} from '../../../src/storage/producer-state-snapshot.js';

const VECTOR = Buffer.from(
  '0001' + 'aa8a5a7b' + '00000003' +
  // producer 1000, epoch 3, last seq 41, last offset 77, delta 4, ts 1700000000123, coordinator -1, no txn
  '00000000000003e8' + '0003' + '00000029' + '000000000000004d' + '00000004' + '0000018bcfe5687b' + 'ffffffff' + 'ffffffffffffffff' +
  // producer 7, epoch 1, last seq 9, last offset 120, delta 9, ts 1700000000500, coordinator 12, txn from 111
  '0000000000000007' + '0001' + '00000009' + '0000000000000078' + '00000009' + '0000018bcfe569f4' + '0000000c' + '000000000000006f' +
  // producer 2^40+5, epoch 0, no batch (seq -1, offset -1, delta 0), ts -1, coordinator -1, no txn
  '0000010000000005' + '0000' + 'ffffffff' + 'ffffffffffffffff' + '00000000' + 'ffffffffffffffff' + 'ffffffff' + 'ffffffffffffffff',
  'hex',
);

function entries(): ProducerStateEntry[] {
  const a = new ProducerStateEntry(1000, 3, -1, 1700000000123, -1);
  a.batches.push({ firstSeq: 37, lastSeq: 41, firstOffset: 73, lastOffset: 77, timestamp: 1700000000123 });
  const b = new ProducerStateEntry(7, 1, 12, 1700000000500, 111);
  b.batches.push({ firstSeq: 0, lastSeq: 9, firstOffset: 111, lastOffset: 120, timestamp: 1700000000500 });
  const c = new ProducerStateEntry(2 ** 40 + 5, 0, -1, -1, -1);
  return [a, b, c];
}

test('snapshot bytes: the hand-built vector, byte for byte', () => {
  assert.equal(VECTOR.length, 10 + 3 * 46);
  assert.deepEqual(encodeSnapshot(entries(), 3), VECTOR);
});

test('snapshot bytes: decoding the vector gives the producers back (only the last batch is kept)', () => {
  const decoded = decodeSnapshot(VECTOR);
  assert.equal(decoded.length, 3);
  const [a, b, c] = decoded;
  assert.equal(a!.producerId, 1000);
  assert.equal(a!.producerEpoch, 3);
  assert.deepEqual(a!.batches, [{ firstSeq: 37, lastSeq: 41, firstOffset: 73, lastOffset: 77, timestamp: 1700000000123 }]);
  assert.equal(a!.currentTxnFirstOffset, -1);
  assert.equal(b!.coordinatorEpoch, 12);
  assert.equal(b!.currentTxnFirstOffset, 111);
  assert.equal(b!.lastSeq, 9);
  assert.equal(c!.producerId, 2 ** 40 + 5);
  assert.equal(c!.isEmpty, true);
  assert.equal(c!.lastTimestamp, -1);
});

test('snapshot bytes: a batch whose sequence wrapped round-trips its first sequence', () => {
  const e = new ProducerStateEntry(5, 0);
  e.batches.push({ firstSeq: 2147483646, lastSeq: 1, firstOffset: 10, lastOffset: 13, timestamp: 9 });
  e.lastTimestamp = 9;
  const [back] = decodeSnapshot(encodeSnapshot([e], 1));
  assert.deepEqual(back!.batches[0], { firstSeq: 2147483646, lastSeq: 1, firstOffset: 10, lastOffset: 13, timestamp: 9 });
});

test('snapshot bytes: torn, garbage, foreign-version and CRC-failing files are CorruptSnapshotError', () => {
  assert.throws(() => decodeSnapshot(VECTOR.subarray(0, 9)), CorruptSnapshotError, 'shorter than the header');
  assert.throws(() => decodeSnapshot(VECTOR.subarray(0, VECTOR.length - 5)), CorruptSnapshotError, 'torn entry');
  const flipped = Buffer.from(VECTOR);
  flipped[50] ^= 1;
  assert.throws(() => decodeSnapshot(flipped), /CRC/);
  const v2 = Buffer.from(VECTOR);
  v2.writeInt16BE(2, 0);
  assert.throws(() => decodeSnapshot(v2), /version 2/);
  assert.throws(() => decodeSnapshot(Buffer.alloc(64, 0xab)), CorruptSnapshotError);
  assert.deepEqual(decodeSnapshot(encodeSnapshot([], 0)), [], 'an empty snapshot is valid');
});

test('snapshot file names: 20-digit offsets', () => {
  assert.equal(snapshotFileName(1234), '00000000000000001234.snapshot');
  assert.equal(parseSnapshotFileName('00000000000000001234.snapshot'), 1234);
  assert.equal(parseSnapshotFileName('00000000000000001234.snapshot.tmp'), undefined);
  assert.equal(parseSnapshotFileName('00000000000000001234.log'), undefined);
});
