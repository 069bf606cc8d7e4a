/**
 * LogValidator parity for compressed batches and topic compression.type: every compressed batch
 * is decompressed and its records walked; batches are stored as sent unless compression.type
 * names another codec (or the offset deltas need renumbering), in which case they are rebuilt
 * keeping the header's producer state, flags and timestamps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateRecords, type CompressionType, type ValidationConfig, type ValidationResult } from '../../../src/cluster/log-validator.js';
import { decodeBatch, encodeBatch, type RecordInput } from '../../../src/protocol/records.js';
import { Compression, batchCrcValid, readBatchHeader, updateBatchCrc, BATCH_HEADER_SIZE, ATTR_TRANSACTIONAL } from '../../../src/protocol/record-batch.js';
import { ErrorCode } from '../../../src/protocol/error-codes.js';

const NOW = 1_700_000_000_000;
const LONG_MAX = Number.MAX_SAFE_INTEGER;
const config: ValidationConfig = {
  maxMessageBytes: 1048588,
  segmentBytes: 1 << 30,
  compacted: false,
  timestampType: 'CreateTime',
  timestampBeforeMaxMs: LONG_MAX,
  timestampAfterMaxMs: 3600_000,
};
const CODECS = [Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd];

function records(n: number): RecordInput[] {
  return Array.from({ length: n }, (_, i) => ({ key: `key-${i}`, value: `value-${i}-${'x'.repeat(50)}`, headers: [{ key: 'h', value: i % 2 === 0 ? null : `hv${i}` }], timestamp: NOW + i }));
}

function expectFailure(r: ValidationResult, code: number, message?: string): void {
  assert.equal(r.ok, false, message);
  if (!r.ok) assert.equal(r.errorCode, code, `${message ?? ''}: ${r.errorMessage}`);
}

function expectOk(r: ValidationResult): Extract<ValidationResult, { ok: true }> {
  if (!r.ok) assert.fail(`expected ok, got ${r.errorCode}: ${r.errorMessage}`);
  return r;
}

test('garbage compressed payload under a valid CRC is CORRUPT_MESSAGE for every codec', () => {
  for (const compression of CODECS) {
    const b = encodeBatch({ records: records(5), compression, timestamp: NOW });
    for (let i = BATCH_HEADER_SIZE; i < b.length; i++) b[i] = (i * 131 + 7) & 0xff;
    updateBatchCrc(b, 0, b.length);
    expectFailure(validateRecords(b, config, NOW), ErrorCode.CORRUPT_MESSAGE, `codec ${compression}`);
  }
});

test('a compressed payload truncated mid-stream is CORRUPT_MESSAGE', () => {
  for (const compression of CODECS) {
    const full = encodeBatch({ records: records(20), compression, timestamp: NOW });
    const cut = Buffer.from(full.subarray(0, full.length - 20));
    cut.writeInt32BE(cut.length - 12, 8);
    updateBatchCrc(cut, 0, cut.length);
    const r = validateRecords(cut, config, NOW);
    assert.equal(r.ok, false, `codec ${compression}`);
    if (!r.ok) assert.ok(r.errorCode === ErrorCode.CORRUPT_MESSAGE || r.errorCode === ErrorCode.INVALID_RECORD, `codec ${compression}: ${r.errorCode}`);
  }
});

test('compressed records inconsistent with the header are INVALID_RECORD', () => {
  for (const compression of CODECS) {
    // Header claims 2 records, the payload holds 3: records still remaining.
    const more = encodeBatch({ records: records(3), compression, timestamp: NOW });
    more.writeInt32BE(2, 57);
    more.writeInt32BE(1, 23);
    updateBatchCrc(more, 0, more.length);
    expectFailure(validateRecords(more, config, NOW), ErrorCode.INVALID_RECORD, `more records, codec ${compression}`);
    // Header claims 4 records, the payload holds 3: premature EOF.
    const fewer = encodeBatch({ records: records(3), compression, timestamp: NOW });
    fewer.writeInt32BE(4, 57);
    fewer.writeInt32BE(3, 23);
    updateBatchCrc(fewer, 0, fewer.length);
    expectFailure(validateRecords(fewer, config, NOW), ErrorCode.INVALID_RECORD, `fewer records, codec ${compression}`);
  }
});

test('per-record timestamps inside compressed batches are checked, not only the header', () => {
  for (const compression of CODECS) {
    const recs = records(3);
    recs[1]!.timestamp = NOW + 10 * 3600_000;
    const b = encodeBatch({ records: recs, compression, timestamp: NOW });
    // A lying header: maxTimestamp in range, so only the records tell.
    b.writeInt32BE(Math.floor(NOW / 4294967296), 35);
    b.writeUInt32BE(NOW % 4294967296, 39);
    updateBatchCrc(b, 0, b.length);
    const r = validateRecords(b, config, NOW);
    expectFailure(r, ErrorCode.INVALID_TIMESTAMP, `codec ${compression}`);
    if (!r.ok) assert.deepEqual(r.recordErrors.map((e) => e.batchIndex), [1]);
  }
});

test('a null key and a bad timestamp in one batch: one error per record, INVALID_TIMESTAMP wins', () => {
  const recs = records(3);
  recs[0]!.key = null;
  recs[2]!.timestamp = NOW + 10 * 3600_000;
  const b = encodeBatch({ records: recs, compression: Compression.Zstd, timestamp: NOW });
  const r = validateRecords(b, { ...config, compacted: true }, NOW);
  expectFailure(r, ErrorCode.INVALID_TIMESTAMP);
  if (!r.ok) assert.deepEqual(r.recordErrors.map((e) => e.batchIndex), [0, 2]);
});

test('compression.type producer, or equal to the batch codec: the producer bytes are stored untouched', () => {
  for (const compression of [Compression.None, ...CODECS]) {
    const b = encodeBatch({ records: records(4), compression, timestamp: NOW });
    const copy = Buffer.from(b);
    const same: CompressionType = ({ 0: 'uncompressed', 1: 'gzip', 2: 'snappy', 3: 'lz4', 4: 'zstd' } as const)[compression];
    for (const compressionType of ['producer', undefined, same] as (CompressionType | undefined)[]) {
      const r = expectOk(validateRecords(b, { ...config, compressionType }, NOW));
      assert.equal(r.records, b, `codec ${compression} / ${compressionType}: same buffer`);
      assert.equal(r.rebuiltBatches, 0);
      assert.equal(r.offsetCount, 4);
    }
    assert.deepEqual(b, copy, 'the input is never modified');
  }
});

test('compression.type differing from the batch codec re-encodes, keeping records, producer state, flags and timestamps', () => {
  const targets = [['uncompressed', Compression.None], ['gzip', Compression.Gzip], ['snappy', Compression.Snappy], ['lz4', Compression.Lz4], ['zstd', Compression.Zstd]] as const;
  for (const source of [Compression.None, ...CODECS]) {
    const input = encodeBatch({ records: records(6), compression: source, timestamp: NOW, producerId: 4242, producerEpoch: 3, baseSequence: 17, transactional: true, partitionLeaderEpoch: 9 });
    const before = decodeBatch(input);
    for (const [name, codec] of targets) {
      if (codec === source) continue;
      const r = expectOk(validateRecords(input, { ...config, compressionType: name }, NOW));
      assert.equal(r.rebuiltBatches, 1);
      assert.equal(r.offsetCount, 6);
      const out = r.records;
      assert.ok(batchCrcValid(out, 0, out.length), 'valid CRC');
      const h = readBatchHeader(out);
      assert.equal(h.attributes & 7, codec, `${source} -> ${name}`);
      assert.equal(h.attributes & ATTR_TRANSACTIONAL, ATTR_TRANSACTIONAL);
      assert.equal(h.batchLength + 12, out.length);
      for (const field of ['producerId', 'producerEpoch', 'baseSequence', 'lastOffsetDelta', 'baseTimestamp', 'maxTimestamp', 'recordsCount', 'partitionLeaderEpoch'] as const) {
        assert.equal(h[field], before.header[field], `${field} kept (${source} -> ${name})`);
      }
      assert.deepEqual(decodeBatch(out).records, before.records, `records round-trip (${source} -> ${name})`);
      // The rebuilt batch is itself valid and stored as is on a second pass.
      assert.equal(expectOk(validateRecords(out, { ...config, compressionType: name }, NOW)).rebuiltBatches, 0);
    }
  }
});

test('non-contiguous offset deltas are renumbered 0..n-1 (Kafka rebuilds such batches)', () => {
  for (const compression of [Compression.None, Compression.Gzip]) {
    const recs = records(3).map((r, i) => ({ ...r, offset: [0, 1, 5][i] }));
    const b = encodeBatch({ records: recs, compression, timestamp: NOW });
    b.writeInt32BE(2, 23); // lastOffsetDelta consistent with the count, inconsistent with the records
    updateBatchCrc(b, 0, b.length);
    const r = expectOk(validateRecords(b, config, NOW));
    assert.equal(r.rebuiltBatches, 1);
    const decoded = decodeBatch(r.records);
    assert.equal(decoded.header.attributes & 7, compression);
    assert.deepEqual(decoded.records.map((x) => x.offset), [0, 1, 2]);
    assert.deepEqual(decoded.records.map((x) => x.value?.toString()), recs.map((x) => x.value));
    assert.equal(decoded.header.lastOffsetDelta, 2);
  }
});

test('a re-encoded batch larger than max.message.bytes is MESSAGE_TOO_LARGE', () => {
  const b = encodeBatch({ records: [{ key: 'k', value: Buffer.alloc(50_000, 97) }], compression: Compression.Gzip, timestamp: NOW });
  assert.ok(b.length < 2000);
  expectFailure(validateRecords(b, { ...config, maxMessageBytes: 10_000, compressionType: 'uncompressed' }, NOW), ErrorCode.MESSAGE_TOO_LARGE);
  expectOk(validateRecords(b, { ...config, maxMessageBytes: 10_000 }, NOW));
});

test('a decompressed size above the bomb guard is CORRUPT_MESSAGE', () => {
  const b = encodeBatch({ records: [{ key: 'k', value: Buffer.alloc(100_000) }], compression: Compression.Zstd, timestamp: NOW });
  expectFailure(validateRecords(b, { ...config, maxDecompressedBytes: 10_000 }, NOW), ErrorCode.CORRUPT_MESSAGE);
});

test('an unknown codec id is UNSUPPORTED_COMPRESSION_TYPE', () => {
  const b = encodeBatch({ records: records(1), timestamp: NOW });
  b.writeInt16BE(5, 21);
  updateBatchCrc(b, 0, b.length);
  expectFailure(validateRecords(b, config, NOW), ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
});

test('uncompressed records whose fields do not fill their length are INVALID_RECORD', () => {
  // Record 0 starts at 61: length varint, attributes, timestampDelta, offsetDelta, keyLength...
  const keyTooLong = encodeBatch({ records: [{ key: 'abc', value: 'v' }], timestamp: NOW });
  // varint(length) at 61, attributes at 62, timestampDelta (0) at 63, offsetDelta (0) at 64, keyLength at 65.
  assert.equal(keyTooLong[65], 6); // zig-zag 3
  keyTooLong[65] = 40; // key length 20: past the record's end
  updateBatchCrc(keyTooLong, 0, keyTooLong.length);
  expectFailure(validateRecords(keyTooLong, config, NOW), ErrorCode.INVALID_RECORD, 'key past the record');

  const negativeHeaders = encodeBatch({ records: [{ key: 'k', value: 'v' }], timestamp: NOW });
  negativeHeaders[negativeHeaders.length - 1] = 1; // header count -1
  updateBatchCrc(negativeHeaders, 0, negativeHeaders.length);
  expectFailure(validateRecords(negativeHeaders, config, NOW), ErrorCode.INVALID_RECORD, 'negative header count');

  const trailing = encodeBatch({ records: [{ key: 'k', value: 'v' }], timestamp: NOW });
  const padded = Buffer.concat([trailing, Buffer.from([0, 0, 0])]);
  padded.writeInt32BE(padded.length - 12, 8);
  updateBatchCrc(padded, 0, padded.length);
  expectFailure(validateRecords(padded, config, NOW), ErrorCode.INVALID_RECORD, 'bytes after the last record');
});

test('coordinator appends: an uncompressed control batch is never compressed; several batches keep their order', () => {
  const control = encodeBatch({ records: [], control: { type: 1, coordinatorEpoch: 0 }, producerId: 1, producerEpoch: 0, baseSequence: -1, transactional: true, timestamp: NOW });
  const data = encodeBatch({ records: records(2), timestamp: NOW });
  const both = Buffer.concat([control, data]);
  const r = expectOk(validateRecords(both, { ...config, compressionType: 'gzip' }, NOW, 'coordinator'));
  assert.equal(r.batchCount, 2);
  assert.equal(r.rebuiltBatches, 1);
  assert.deepEqual(r.records.subarray(0, control.length), control);
  const second = decodeBatch(r.records, control.length);
  assert.equal(second.header.attributes & 7, Compression.Gzip);
  assert.deepEqual(second.records, decodeBatch(data).records);
});

test('a CreateTime batch whose header maxTimestamp is not its records\' largest is stored corrected (a copy)', () => {
  for (const compression of [Compression.None, Compression.Lz4]) {
    const b = encodeBatch({ records: records(3), compression, timestamp: NOW });
    assert.equal(readBatchHeader(b).maxTimestamp, NOW + 2);
    b.writeUInt32BE((NOW - 5) % 4294967296, 39); // claims NOW - 5
    updateBatchCrc(b, 0, b.length);
    const copy = Buffer.from(b);
    const r = expectOk(validateRecords(b, config, NOW));
    assert.equal(r.rebuiltBatches, 1);
    assert.notEqual(r.records, b);
    assert.deepEqual(b, copy, 'input untouched');
    const h = readBatchHeader(r.records);
    assert.equal(h.maxTimestamp, NOW + 2);
    assert.equal(h.attributes & 7, compression);
    assert.ok(batchCrcValid(r.records, 0, r.records.length));
    assert.deepEqual(r.records.subarray(BATCH_HEADER_SIZE), b.subarray(BATCH_HEADER_SIZE), 'records bytes kept');
    // LogAppendTime topics stamp maxTimestamp at append time: nothing to correct here.
    assert.equal(expectOk(validateRecords(b, { ...config, timestampType: 'LogAppendTime' }, NOW)).rebuiltBatches, 0);
  }
});
