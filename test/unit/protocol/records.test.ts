import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { CorruptRecordError } from '../../../src/base/errors.js';
import { Compression, checkBatch, readBatchHeader, ATTR_CONTROL, ATTR_TRANSACTIONAL, ATTR_TIMESTAMP_TYPE, ATTR_DELETE_HORIZON, updateBatchCrc } from '../../../src/protocol/record-batch.js';
import {
  ControlRecordType,
  LegacyMessageFormatError,
  decodeBatch,
  decodeBatches,
  decodeControlRecord,
  encodeBatch,
  recordsCount,
} from '../../../src/protocol/records.js';

const require = createRequire(import.meta.url);

const CODECS = [Compression.None, Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd];

test('a single record encodes to the exact bytes of the v2 layout', () => {
  const batch = encodeBatch({ baseOffset: 0, timestamp: 1000, records: [{ key: 'k', value: 'v' }] });
  const expected = Buffer.concat([
    Buffer.from('0000000000000000', 'hex'), // baseOffset
    Buffer.from('0000003a', 'hex'), // batchLength = 49 header bytes after the length field + 9 record bytes
    Buffer.from('ffffffff', 'hex'), // partitionLeaderEpoch
    Buffer.from('02', 'hex'), // magic
    Buffer.alloc(4), // crc (patched below)
    Buffer.from('0000', 'hex'), // attributes
    Buffer.from('00000000', 'hex'), // lastOffsetDelta
    Buffer.from('00000000000003e8', 'hex'), // baseTimestamp
    Buffer.from('00000000000003e8', 'hex'), // maxTimestamp
    Buffer.from('ffffffffffffffff', 'hex'), // producerId
    Buffer.from('ffff', 'hex'), // producerEpoch
    Buffer.from('ffffffff', 'hex'), // baseSequence
    Buffer.from('00000001', 'hex'), // recordsCount
    // record: length 8 (zigzag 16), attrs 0, tsDelta 0, offDelta 0, keyLen 1 (2) 'k', valueLen 1 (2) 'v', headers 0
    Buffer.from('10000000026b027600', 'hex'),
  ]);
  expected.writeUInt32BE(batch.readUInt32BE(17), 17);
  assert.deepEqual(batch, expected);
  assert.equal(batch.length, 70);
  assert.equal(checkBatch(batch, 0), batch.length);
});

test('round trip keeps null vs empty keys, values and header values distinct', () => {
  for (const codec of CODECS) {
    const batch = encodeBatch({
      baseOffset: 42,
      compression: codec,
      timestamp: 1_700_000_000_000,
      records: [
        { key: null, value: null },
        { key: Buffer.alloc(0), value: Buffer.alloc(0) },
        { key: 'a', value: 'b', headers: [{ key: 'h1', value: null }, { key: 'h2', value: Buffer.alloc(0) }, { key: '', value: 'x' }] },
        { key: 'ünïcode', value: Buffer.from([0, 1, 2, 255]), timestamp: 1_700_000_000_500 },
      ],
    });
    assert.equal(checkBatch(batch, 0), batch.length);
    const { header, records } = decodeBatch(batch);
    assert.equal(header.attributes & 7, codec);
    assert.equal(header.recordsCount, 4);
    assert.equal(header.lastOffsetDelta, 3);
    assert.equal(header.baseTimestamp, 1_700_000_000_000);
    assert.equal(header.maxTimestamp, 1_700_000_000_500);
    assert.deepEqual(records.map((r) => r.offset), [42, 43, 44, 45]);
    assert.equal(records[0]!.key, null);
    assert.equal(records[0]!.value, null);
    assert.deepEqual(records[1]!.key, Buffer.alloc(0));
    assert.deepEqual(records[1]!.value, Buffer.alloc(0));
    assert.deepEqual(records[2]!.headers, [
      { key: 'h1', value: null },
      { key: 'h2', value: Buffer.alloc(0) },
      { key: '', value: Buffer.from('x') },
    ]);
    assert.equal(records[3]!.key!.toString(), 'ünïcode');
    assert.equal(records[3]!.timestamp, 1_700_000_000_500);
    assert.equal(records[2]!.timestamp, 1_700_000_000_000);
  }
});

test('producer fields, transactional flag, leader epoch and negative timestamp deltas', () => {
  const batch = encodeBatch({
    baseOffset: 2 ** 40,
    producerId: 123456789012,
    producerEpoch: 7,
    baseSequence: 99,
    transactional: true,
    partitionLeaderEpoch: 5,
    records: [{ key: 'a', value: '1', timestamp: 5000 }, { key: 'b', value: '2', timestamp: 4000 }],
  });
  const h = readBatchHeader(batch);
  assert.equal(h.baseOffset, 2 ** 40);
  assert.equal(h.producerId, 123456789012);
  assert.equal(h.producerEpoch, 7);
  assert.equal(h.baseSequence, 99);
  assert.equal(h.partitionLeaderEpoch, 5);
  assert.ok(h.attributes & ATTR_TRANSACTIONAL);
  assert.equal(h.maxTimestamp, 5000);
  const { records } = decodeBatch(batch);
  assert.deepEqual(records.map((r) => [r.offset, r.timestamp]), [[2 ** 40, 5000], [2 ** 40 + 1, 4000]]);
});

test('LogAppendTime batches report maxTimestamp for every record', () => {
  const batch = encodeBatch({ records: [{ key: null, value: 'a', timestamp: 1 }, { key: null, value: 'b', timestamp: 2 }], logAppendTime: 9999 });
  assert.ok(readBatchHeader(batch).attributes & ATTR_TIMESTAMP_TYPE);
  assert.deepEqual(decodeBatch(batch).records.map((r) => r.timestamp), [9999, 9999]);
});

test('control batches: commit and abort markers', () => {
  for (const type of [ControlRecordType.Commit, ControlRecordType.Abort]) {
    const batch = encodeBatch({ baseOffset: 10, producerId: 5, producerEpoch: 1, transactional: true, control: { type, coordinatorEpoch: 3 }, records: [], timestamp: 77 });
    const { header, records } = decodeBatch(batch);
    assert.ok(header.attributes & ATTR_CONTROL);
    assert.ok(header.attributes & ATTR_TRANSACTIONAL);
    assert.equal(records.length, 1);
    assert.equal(records[0]!.key!.length, 4);
    assert.equal(records[0]!.value!.length, 6);
    assert.deepEqual(decodeControlRecord(records[0]!), { type, coordinatorEpoch: 3 });
  }
  assert.throws(() => decodeControlRecord({ key: Buffer.from('00000009', 'hex'), value: null }), CorruptRecordError);
  assert.throws(() => decodeControlRecord({ key: null, value: null }), CorruptRecordError);
});

test('compaction-style encoding: explicit offsets, lastOffsetDelta and delete horizon', () => {
  const batch = encodeBatch({
    baseOffset: 100,
    lastOffsetDelta: 9,
    deleteHorizonMs: 50_000,
    records: [{ key: 'a', value: null, offset: 103, timestamp: 40_000 }, { key: 'b', value: 'x', offset: 107, timestamp: 41_000 }],
  });
  const { header, records } = decodeBatch(batch);
  assert.equal(header.lastOffsetDelta, 9);
  assert.equal(header.recordsCount, 2);
  assert.equal(header.baseTimestamp, 50_000);
  assert.ok(header.attributes & ATTR_DELETE_HORIZON);
  assert.deepEqual(records.map((r) => [r.offset, r.timestamp]), [[103, 40_000], [107, 41_000]]);
  assert.equal(checkBatch(batch, 0), batch.length);
  assert.throws(() => encodeBatch({ baseOffset: 100, records: [{ key: 'a', value: 'b', offset: 99 }] }), RangeError);
  assert.throws(() => encodeBatch({ records: [{ key: 'a', value: 'b', offset: 3 }, { key: 'a', value: 'b', offset: 3 }] }), RangeError);
});

test('an empty batch that keeps a compression codec decodes to no records', () => {
  const batch = Buffer.from(encodeBatch({ baseOffset: 5, records: [] }));
  batch.writeInt16BE(Compression.Gzip, 21);
  updateBatchCrc(batch, 0, batch.length);
  assert.deepEqual(decodeBatch(batch).records, []);
});

test('empty batch (what compaction leaves for producer state)', () => {
  const batch = encodeBatch({ baseOffset: 5, lastOffsetDelta: 2, records: [], producerId: 9, producerEpoch: 0, baseSequence: 0 });
  assert.equal(checkBatch(batch, 0), batch.length);
  const d = decodeBatch(batch);
  assert.equal(d.records.length, 0);
  assert.equal(d.header.lastOffsetDelta, 2);
});

test('decodeBatches walks several batches and ignores a trailing partial one', () => {
  const a = encodeBatch({ baseOffset: 0, records: [{ key: null, value: 'a' }] });
  const b = encodeBatch({ baseOffset: 1, compression: Compression.Gzip, records: [{ key: null, value: 'b' }, { key: null, value: 'c' }] });
  const c = encodeBatch({ baseOffset: 3, records: [{ key: null, value: 'd' }] });
  const all = Buffer.concat([a, b, c.subarray(0, c.length - 3)]);
  const batches = decodeBatches(all);
  assert.equal(batches.length, 2);
  assert.deepEqual(batches.flatMap((x) => x.records.map((r) => r.value!.toString())), ['a', 'b', 'c']);
  assert.deepEqual(decodeBatches(null), []);
  // CRC verification on request.
  const bad = Buffer.from(all);
  bad[a.length + 30] = bad[a.length + 30]! ^ 1;
  assert.equal(decodeBatches(bad).length, 2);
  assert.throws(() => decodeBatches(bad, { verifyCrc: true }), /bad CRC/);
  assert.equal(decodeBatches(all, { verifyCrc: true }).length, 2);
  assert.deepEqual(decodeBatches(Buffer.alloc(0)), []);
});

test('legacy message sets (magic 0/1) are rejected with LegacyMessageFormatError', () => {
  const batch = encodeBatch({ records: [{ key: null, value: 'a' }] });
  for (const magic of [0, 1]) {
    const legacy = Buffer.from(batch);
    legacy.writeInt8(magic, 16);
    assert.throws(() => decodeBatch(legacy), (e: unknown) => e instanceof LegacyMessageFormatError && e.magic === magic && e instanceof CorruptRecordError);
  }
});

test('corrupt records raise CorruptRecordError, never something else', () => {
  const batch = encodeBatch({ records: [{ key: 'key', value: 'value', headers: [{ key: 'h', value: 'v' }] }, { key: 'k2', value: 'v2' }] });
  // Count says 3 but only 2 records are present.
  const more = Buffer.from(batch);
  more.writeInt32BE(3, 57);
  assert.throws(() => decodeBatch(more), CorruptRecordError);
  // Count says 1: bytes left over.
  const fewer = Buffer.from(batch);
  fewer.writeInt32BE(1, 57);
  assert.throws(() => decodeBatch(fewer), CorruptRecordError);
  // Record length larger than the record.
  const badLen = Buffer.from(batch);
  badLen[61] = badLen[61]! + 2;
  assert.throws(() => decodeBatch(badLen), CorruptRecordError);
  // Truncated buffer.
  assert.throws(() => decodeBatch(batch.subarray(0, batch.length - 1)), CorruptRecordError);
  assert.throws(() => decodeBatch(batch.subarray(0, 10)), CorruptRecordError);
  // Compressed garbage.
  const gz = Buffer.from(encodeBatch({ compression: Compression.Gzip, records: [{ key: null, value: 'hello world' }] }));
  gz[gz.length - 6] = gz[gz.length - 6]! ^ 0xff; // inside the gzip CRC trailer
  updateBatchCrc(gz, 0, gz.length);
  assert.throws(() => decodeBatch(gz), CorruptRecordError);
  // Every single-byte flip in the records area either decodes or raises CorruptRecordError.
  for (let i = 61; i < batch.length; i++) {
    for (const v of [0x00, 0x7f, 0x80, 0xff]) {
      const m = Buffer.from(batch);
      m[i] = v;
      try {
        decodeBatch(m);
      } catch (e) {
        assert.ok(e instanceof CorruptRecordError, `byte ${i}=${v}: ${String(e)}`);
      }
    }
  }
});

test('interop: KafkaJS decodes our batches and we decode KafkaJS batches', async () => {
  const Decoder = require('kafkajs/src/protocol/decoder');
  const RecordBatchDecoder = require('kafkajs/src/protocol/recordBatch/v0/decoder');
  const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0');
  const Record = require('kafkajs/src/protocol/recordBatch/record/v0');

  const ours = encodeBatch({ baseOffset: 3, timestamp: 1234, compression: Compression.Gzip, records: [{ key: 'k1', value: 'v1', headers: [{ key: 'h', value: 'hv' }] }, { key: null, value: 'v2' }] });
  const decoded = await RecordBatchDecoder(new Decoder(ours));
  assert.deepEqual(decoded.records.map((r: any) => [r.offset, r.key === null ? null : r.key.toString(), r.value.toString(), r.timestamp]), [['3', 'k1', 'v1', '1234'], ['4', null, 'v2', '1234']]);
  assert.equal(decoded.records[0].headers.h.toString(), 'hv');

  const records = [Record({ offsetDelta: 0, timestampDelta: 0, key: Buffer.from('a'), value: Buffer.from('1'), headers: { x: Buffer.from('y') } }), Record({ offsetDelta: 1, timestampDelta: 5, key: null, value: Buffer.from('2') })];
  const theirs = (await RecordBatch({ firstOffset: require('kafkajs/src/utils/long').fromInt(20), firstTimestamp: 1000, maxTimestamp: 1005, lastOffsetDelta: 1, compression: 1, records })).buffer as Buffer;
  assert.equal(checkBatch(theirs, 0), theirs.length);
  const mine = decodeBatch(theirs);
  assert.deepEqual(mine.records.map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value!.toString()]), [[20, 1000, 'a', '1'], [21, 1005, null, '2']]);
  assert.deepEqual(mine.records[0]!.headers, [{ key: 'x', value: Buffer.from('y') }]);
});

test('seeded random round trips across codecs, sizes and null/empty mixes', () => {
  let seed = 0x5eed;
  const rnd = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const bytes = (): Buffer | null => {
    const pick = rnd(5);
    if (pick === 0) return null;
    if (pick === 1) return Buffer.alloc(0);
    return Buffer.from(Array.from({ length: rnd(pick === 4 ? 3000 : 40) }, () => rnd(256)));
  };
  for (let iter = 0; iter < 60; iter++) {
    const codec = CODECS[iter % CODECS.length]!;
    const base = rnd(1_000_000);
    const t0 = 1_600_000_000_000 + rnd(1_000_000);
    const inputs = Array.from({ length: 1 + rnd(30) }, () => ({
      key: bytes(),
      value: bytes(),
      timestamp: t0 + rnd(100_000) - 50_000,
      headers: Array.from({ length: rnd(4) }, (_, h) => ({ key: `h${h}-${rnd(10)}`, value: bytes() })),
    }));
    const batch = encodeBatch({ baseOffset: base, compression: codec, records: inputs });
    assert.equal(checkBatch(batch, 0), batch.length);
    const { header, records } = decodeBatch(batch);
    assert.equal(header.maxTimestamp, Math.max(...inputs.map((r) => r.timestamp)));
    assert.equal(records.length, inputs.length);
    records.forEach((r, i) => {
      const exp = inputs[i]!;
      assert.equal(r.offset, base + i);
      assert.equal(r.timestamp, exp.timestamp);
      assert.deepEqual(r.key, exp.key);
      assert.deepEqual(r.value, exp.value);
      assert.deepEqual(r.headers, exp.headers);
    });
  }
});
