import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateRecords, validateProduceShape, type ValidationConfig } from '../../../src/cluster/log-validator.js';
import { encodeBatch } from '../../../src/protocol/records.js';
import { Compression, updateBatchCrc } from '../../../src/protocol/record-batch.js';
import { ErrorCode } from '../../../src/protocol/error-codes.js';

const NOW = 1_700_000_000_000;
const LONG_MAX = Number.MAX_SAFE_INTEGER;
const config: ValidationConfig = {
  maxMessageBytes: 1048588,
  segmentBytes: 1 << 30,
  compacted: false,
  timestampType: 'CreateTime',
  timestampBeforeMaxMs: LONG_MAX,
  timestampAfterMaxMs: LONG_MAX,
};

function batch(n = 3, extra: Partial<Parameters<typeof encodeBatch>[0]> = {}): Buffer {
  const records = Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));
  return encodeBatch({ records, timestamp: NOW, ...extra });
}

test('a well-formed uncompressed batch is accepted as is', () => {
  const b = batch();
  const r = validateRecords(b, config, NOW);
  assert.equal(r.ok, true);
  if (r.ok) {
    assert.equal(r.records, b);
    assert.equal(r.batchCount, 1);
    assert.equal(r.offsetCount, 3);
  }
});

test('two batches and a trailing partial batch: the tail is trimmed', () => {
  const b = Buffer.concat([batch(2), batch(1), batch(1).subarray(0, 30)]);
  const r = validateRecords(b, config, NOW);
  assert.equal(r.ok, true);
  if (r.ok) {
    assert.equal(r.batchCount, 2);
    assert.equal(r.offsetCount, 3);
    assert.equal(r.records.length, batch(2).length + batch(1).length);
  }
});

test('a flipped byte after the CRC is CORRUPT_MESSAGE', () => {
  const b = batch();
  b[b.length - 2] ^= 0xff;
  const r = validateRecords(b, config, NOW);
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.errorCode, ErrorCode.CORRUPT_MESSAGE);
});

test('a record count that does not match the records is INVALID_RECORD (Kafka 4) even with a valid CRC', () => {
  const b = batch(3);
  b.writeInt32BE(2, 57); // recordsCount
  b.writeInt32BE(1, 23); // lastOffsetDelta consistent with the count
  updateBatchCrc(b, 0, b.length);
  const r = validateRecords(b, config, NOW);
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.errorCode, ErrorCode.INVALID_RECORD);
});

test('count inconsistent with lastOffsetDelta is INVALID_RECORD', () => {
  const b = batch(3);
  b.writeInt32BE(5, 23);
  updateBatchCrc(b, 0, b.length);
  const r = validateRecords(b, config, NOW);
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.errorCode, ErrorCode.INVALID_RECORD);
});

test('a non-zero baseOffset from a client is INVALID_RECORD, but fine for the coordinator', () => {
  const b = batch(1, { baseOffset: 7 });
  const r = validateRecords(b, config, NOW);
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.errorCode, ErrorCode.INVALID_RECORD);
  assert.equal(validateRecords(b, config, NOW, 'coordinator').ok, true);
});

test('a batch larger than max.message.bytes is MESSAGE_TOO_LARGE', () => {
  const b = encodeBatch({ records: [{ key: null, value: Buffer.alloc(2000) }], timestamp: NOW });
  const r = validateRecords(b, { ...config, maxMessageBytes: 1000 }, NOW);
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.errorCode, ErrorCode.MESSAGE_TOO_LARGE);
});

test('a record set larger than segment.bytes is RECORD_LIST_TOO_LARGE', () => {
  const b = encodeBatch({ records: [{ key: null, value: Buffer.alloc(2000) }], timestamp: NOW });
  const r = validateRecords(b, { ...config, segmentBytes: 1000 }, NOW);
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.errorCode, ErrorCode.RECORD_LIST_TOO_LARGE);
});

test('legacy magic is UNSUPPORTED_FOR_MESSAGE_FORMAT', () => {
  const b = batch();
  b.writeInt8(1, 16);
  const r = validateRecords(b, config, NOW);
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.errorCode, ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT);
});

test('control batches from clients are INVALID_RECORD', () => {
  const b = encodeBatch({ records: [], control: { type: 1, coordinatorEpoch: 0 } as never, producerId: 1, producerEpoch: 0, baseSequence: 0, transactional: true, timestamp: NOW });
  const r = validateRecords(b, config, NOW);
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.errorCode, ErrorCode.INVALID_RECORD);
});

test('keyless records on a compacted topic: INVALID_RECORD with the batch index, compressed or not', () => {
  for (const compression of [Compression.None, Compression.Gzip, Compression.Zstd]) {
    const b = encodeBatch({ records: [{ key: 'a', value: '1' }, { key: null, value: '2' }, { key: 'c', value: '3' }], compression, timestamp: NOW });
    const r = validateRecords(b, { ...config, compacted: true }, NOW);
    assert.equal(r.ok, false, `compression ${compression}`);
    if (!r.ok) {
      assert.equal(r.errorCode, ErrorCode.INVALID_RECORD);
      assert.deepEqual(r.recordErrors.map((e) => e.batchIndex), [1]);
    }
    assert.equal(validateRecords(b, config, NOW).ok, true);
  }
});

test('timestamps outside message.timestamp.{before,after}.max.ms are INVALID_TIMESTAMP', () => {
  const b = encodeBatch({ records: [{ key: 'a', value: '1', timestamp: NOW }, { key: 'b', value: '2', timestamp: NOW + 10 * 3600_000 }], timestamp: NOW });
  const strict = { ...config, timestampAfterMaxMs: 3600_000 };
  const r = validateRecords(b, strict, NOW);
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.equal(r.errorCode, ErrorCode.INVALID_TIMESTAMP);
    assert.deepEqual(r.recordErrors.map((e) => e.batchIndex), [1]);
  }
  const old = encodeBatch({ records: [{ key: 'a', value: '1', timestamp: NOW - 10_000 }], timestamp: NOW });
  const r2 = validateRecords(old, { ...config, timestampBeforeMaxMs: 1000 }, NOW);
  assert.equal(r2.ok, false);
  if (!r2.ok) assert.equal(r2.errorCode, ErrorCode.INVALID_TIMESTAMP);
  // Compressed batches are decompressed and every record is checked.
  const gz = encodeBatch({ records: [{ key: 'a', value: '1', timestamp: NOW + 10 * 3600_000 }], compression: Compression.Gzip, timestamp: NOW });
  const r3 = validateRecords(gz, strict, NOW);
  assert.equal(r3.ok, false);
  if (!r3.ok) assert.equal(r3.errorCode, ErrorCode.INVALID_TIMESTAMP);
  assert.equal(validateRecords(b, config, NOW).ok, true);
});

test('LogAppendTime set by a producer on a LogAppendTime topic is INVALID_TIMESTAMP', () => {
  const b = batch(1, { logAppendTime: NOW });
  const r = validateRecords(b, { ...config, timestampType: 'LogAppendTime' }, NOW);
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.errorCode, ErrorCode.INVALID_TIMESTAMP);
});

test('Produce v3+ shape: exactly one magic-2 batch, zstd only from v7', () => {
  assert.equal(validateProduceShape(9, batch()), null);
  assert.equal(validateProduceShape(9, null)?.errorCode, ErrorCode.INVALID_RECORD);
  assert.equal(validateProduceShape(9, Buffer.alloc(0))?.errorCode, ErrorCode.INVALID_RECORD);
  assert.equal(validateProduceShape(9, Buffer.concat([batch(), batch()]))?.errorCode, ErrorCode.INVALID_RECORD);
  const legacy = batch();
  legacy.writeInt8(1, 16);
  assert.equal(validateProduceShape(9, legacy)?.errorCode, ErrorCode.INVALID_RECORD);
  const zstd = encodeBatch({ records: [{ key: 'a', value: 'b' }], compression: Compression.Zstd });
  assert.equal(validateProduceShape(6, zstd)?.errorCode, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  assert.equal(validateProduceShape(7, zstd), null);
  assert.equal(validateProduceShape(2, null), null);
});
