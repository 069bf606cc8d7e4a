/**
 * Validation of record batches before they are appended as leader, after Kafka's
 * UnifiedLog.analyzeAndValidateRecords + LogValidator (and ProduceRequest.validateRecords for
 * the shape of a Produce partition). Pure: bytes and settings in, a verdict out.
 *
 * Per batch, in Kafka's order:
 *   1. fewer than 17 bytes left, or fewer than the batch's length: the tail is trimmed (Kafka
 *      ignores a trailing partial batch).
 *   2. magic != 2 → UNSUPPORTED_FOR_MESSAGE_FORMAT (we store only v2; Produce v3+ already
 *      answered INVALID_RECORD); a length below the v2 header size → CORRUPT_MESSAGE.
 *   3. client batch with baseOffset != 0  → INVALID_RECORD
 *   4. size > max.message.bytes           → MESSAGE_TOO_LARGE
 *   5. CRC-32C mismatch                   → CORRUPT_MESSAGE
 *   6. client batch: lastOffsetDelta < 0, recordsCount <= 0, recordsCount != lastOffsetDelta+1,
 *      a control batch, or a producerId without a sequence → INVALID_RECORD
 *   7. records: an uncompressed batch is walked once (varint lengths, timestamp delta and, on
 *      compacted topics, the key length; nothing is copied) — a count or length mismatch is
 *      CORRUPT_MESSAGE. A compressed batch is decompressed only on compacted topics (the key
 *      check needs it); otherwise its timestamps are checked from the batch header.
 *   8. per-record errors are collected with their batchIndex (Produce v8+ recordErrors):
 *      CreateTime timestamps outside [now - message.timestamp.before.max.ms,
 *      now + message.timestamp.after.max.ms] and a producer-set LogAppendTime on a LogAppendTime
 *      topic → INVALID_TIMESTAMP; a null key on a compacted topic → INVALID_RECORD.
 * Then the whole set larger than segment.bytes → RECORD_LIST_TOO_LARGE.
 *
 * Compressed batches are never recompressed: they are stored as the producer sent them.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import {
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  ATTR_TIMESTAMP_TYPE,
  BATCH_HEADER_SIZE,
  BATCH_LOG_OVERHEAD,
  MAGIC_OFFSET,
  batchCrcValid,
} from '../protocol/record-batch.js';
import { forEachRecordKey } from '../protocol/records.js';

/** Bytes up to and including the magic byte (Kafka's HEADER_SIZE_UP_TO_MAGIC). */
const HEADER_SIZE_UP_TO_MAGIC = MAGIC_OFFSET + 1;
const NO_TIMESTAMP = -1;

export type AppendOrigin = 'client' | 'coordinator';

export interface ValidationConfig {
  /** max.message.bytes */
  maxMessageBytes: number;
  /** segment.bytes: a record set larger than a segment can never be appended. */
  segmentBytes: number;
  /** cleanup.policy contains compact: records need keys. */
  compacted: boolean;
  /** message.timestamp.type */
  timestampType: 'CreateTime' | 'LogAppendTime';
  /** message.timestamp.before.max.ms */
  timestampBeforeMaxMs: number;
  /** message.timestamp.after.max.ms */
  timestampAfterMaxMs: number;
}

export interface RecordError {
  batchIndex: number;
  batchIndexErrorMessage: string | null;
}

export interface ValidationFailure {
  ok: false;
  errorCode: number;
  errorMessage: string;
  recordErrors: RecordError[];
}

export interface ValidationSuccess {
  ok: true;
  /** The valid batches (a view of the input with any trailing partial batch trimmed). */
  records: Buffer;
  batchCount: number;
  /** Offsets the batches will occupy (sum of lastOffsetDelta + 1). */
  offsetCount: number;
}

export type ValidationResult = ValidationFailure | ValidationSuccess;

function fail(errorCode: number, errorMessage: string, recordErrors: RecordError[] = []): ValidationFailure {
  return { ok: false, errorCode, errorMessage, recordErrors };
}

function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * 4294967296 + buf.readUInt32BE(pos + 4);
}

/**
 * Kafka's ProduceRequest.validateRecords for v3+: exactly one batch, magic 2, and no zstd before
 * v7. Returns null when the partition's records are acceptable.
 */
export function validateProduceShape(version: number, records: Buffer | null): { errorCode: number; errorMessage: string } | null {
  if (version < 3) return null;
  const buf = records ?? Buffer.alloc(0);
  if (buf.length < HEADER_SIZE_UP_TO_MAGIC || buf.length < buf.readInt32BE(8) + BATCH_LOG_OVERHEAD) {
    return { errorCode: ErrorCode.INVALID_RECORD, errorMessage: `Produce requests with version ${version} must have at least one record batch per partition` };
  }
  if (buf.readInt8(MAGIC_OFFSET) !== 2) {
    return { errorCode: ErrorCode.INVALID_RECORD, errorMessage: `Produce requests with version ${version} are only allowed to contain record batches with magic version 2` };
  }
  const size = buf.readInt32BE(8) + BATCH_LOG_OVERHEAD;
  if (version < 7 && buf.length >= BATCH_HEADER_SIZE && (buf.readInt16BE(21) & ATTR_COMPRESSION_MASK) === 4) {
    return { errorCode: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, errorMessage: `Produce requests with version ${version} are not allowed to use ZStandard compression` };
  }
  const rest = buf.length - size;
  if (rest >= HEADER_SIZE_UP_TO_MAGIC && rest >= buf.readInt32BE(size + 8) + BATCH_LOG_OVERHEAD) {
    return { errorCode: ErrorCode.INVALID_RECORD, errorMessage: `Produce requests with version ${version} are only allowed to contain exactly one record batch per partition` };
  }
  return null;
}

/**
 * Validates `records` for an append as leader. `nowMs` is the broker's wall clock. Only
 * reads `records`.
 */
export function validateRecords(records: Buffer, config: ValidationConfig, nowMs: number, origin: AppendOrigin = 'client'): ValidationResult {
  let pos = 0;
  let batchCount = 0;
  let offsetCount = 0;
  const end = records.length;
  while (end - pos >= HEADER_SIZE_UP_TO_MAGIC) {
    const magic = records.readInt8(pos + MAGIC_OFFSET);
    if (magic !== 2) {
      return fail(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, `Record batches with magic ${magic} are not supported; only magic 2 is stored`);
    }
    const length = records.readInt32BE(pos + 8);
    const size = length + BATCH_LOG_OVERHEAD;
    if (length < BATCH_HEADER_SIZE - BATCH_LOG_OVERHEAD) {
      return fail(ErrorCode.CORRUPT_MESSAGE, `Record size ${length} is less than the minimum record overhead (${BATCH_HEADER_SIZE - BATCH_LOG_OVERHEAD})`);
    }
    if (end - pos < size) break;
    const verdict = validateBatch(records, pos, size, config, nowMs, origin);
    if (verdict !== null) return verdict;
    offsetCount += records.readInt32BE(pos + 23) + 1;
    batchCount++;
    pos += size;
  }
  if (pos > config.segmentBytes) {
    return fail(ErrorCode.RECORD_LIST_TOO_LARGE, `Message batch size is ${pos} bytes in append to partition which exceeds the maximum configured segment size of ${config.segmentBytes}.`);
  }
  return { ok: true, records: pos === end ? records : records.subarray(0, pos), batchCount, offsetCount };
}

function validateBatch(buf: Buffer, pos: number, size: number, config: ValidationConfig, nowMs: number, origin: AppendOrigin): ValidationFailure | null {
  const client = origin === 'client';
  const baseOffset = readInt64(buf, pos);
  if (client && baseOffset !== 0) {
    return fail(ErrorCode.INVALID_RECORD, `The baseOffset of the record batch in the append should be 0, but it is ${baseOffset}`);
  }
  if (size > config.maxMessageBytes) {
    return fail(ErrorCode.MESSAGE_TOO_LARGE, `The record batch size in the append is ${size} bytes which exceeds the maximum configured value of ${config.maxMessageBytes}.`);
  }
  if (!batchCrcValid(buf, pos, size)) {
    return fail(ErrorCode.CORRUPT_MESSAGE, `Record is corrupt (stored crc = ${buf.readUInt32BE(pos + 17)})`);
  }
  const attributes = buf.readInt16BE(pos + 21);
  const lastOffsetDelta = buf.readInt32BE(pos + 23);
  const count = buf.readInt32BE(pos + 57);
  if (client) {
    if (lastOffsetDelta < 0) return fail(ErrorCode.INVALID_RECORD, `Batch has an invalid offset range: [${baseOffset}, ${baseOffset + lastOffsetDelta}]`);
    if (count <= 0) return fail(ErrorCode.INVALID_RECORD, `Invalid reported count for record batch: ${count}`);
    if (count !== lastOffsetDelta + 1) {
      return fail(ErrorCode.INVALID_RECORD, `Inconsistent batch offset range [${baseOffset}, ${baseOffset + lastOffsetDelta}] and count of records ${count}`);
    }
    if ((attributes & ATTR_CONTROL) !== 0) return fail(ErrorCode.INVALID_RECORD, 'Clients are not allowed to write control records');
    const producerId = readInt64(buf, pos + 43);
    const baseSequence = buf.readInt32BE(pos + 53);
    if (producerId >= 0 && baseSequence < 0) return fail(ErrorCode.INVALID_RECORD, `Invalid sequence number ${baseSequence} in record batch with producerId ${producerId}`);
  } else if (count < 0 || lastOffsetDelta < 0) {
    return fail(ErrorCode.CORRUPT_MESSAGE, `Invalid record count ${count} / lastOffsetDelta ${lastOffsetDelta}`);
  }
  return validateBatchRecords(buf, pos, size, attributes, count, config, nowMs);
}

/** The per-record part (step 7 and 8 of the header comment). */
function validateBatchRecords(buf: Buffer, pos: number, size: number, attributes: number, count: number, config: ValidationConfig, nowMs: number): ValidationFailure | null {
  const recordErrors: RecordError[] = [];
  let invalidTimestamp = false;
  const logAppendTimeBatch = (attributes & ATTR_TIMESTAMP_TYPE) !== 0;
  const checkTimestamps = config.timestampType === 'CreateTime'
    ? config.timestampBeforeMaxMs < Number.MAX_SAFE_INTEGER || config.timestampAfterMaxMs < Number.MAX_SAFE_INTEGER
    : logAppendTimeBatch;
  const low = nowMs - config.timestampBeforeMaxMs;
  const high = nowMs + config.timestampAfterMaxMs;
  const timestampError = (index: number, timestamp: number): void => {
    invalidTimestamp = true;
    recordErrors.push({
      batchIndex: index,
      batchIndexErrorMessage: config.timestampType === 'CreateTime'
        ? `Timestamp ${timestamp} of message with offset ${index} is out of range. The timestamp should be within [${low}, ${high}]`
        : 'Invalid timestamp type in message. Producer should not set timestamp type to LogAppendTime.',
    });
  };
  const checkTimestamp = (index: number, timestamp: number): void => {
    if (config.timestampType === 'CreateTime') {
      if (timestamp !== NO_TIMESTAMP && (timestamp < low || timestamp > high)) timestampError(index, timestamp);
    } else if (logAppendTimeBatch) {
      timestampError(index, timestamp);
    }
  };
  const keyError = (index: number): void => {
    recordErrors.push({ batchIndex: index, batchIndexErrorMessage: 'Compacted topic cannot accept message without key in topic partition.' });
  };

  if ((attributes & ATTR_COMPRESSION_MASK) === 0) {
    const problem = walkUncompressed(buf, pos, size, count, checkTimestamps ? checkTimestamp : null, config.compacted ? keyError : null);
    if (problem !== null) return fail(ErrorCode.CORRUPT_MESSAGE, problem);
  } else if (config.compacted) {
    let index = 0;
    try {
      forEachRecordKey(buf, pos, (key, _offset, timestamp) => {
        if (checkTimestamps) checkTimestamp(index, timestamp);
        if (key === null) keyError(index);
        index++;
      });
    } catch (err) {
      return fail(ErrorCode.CORRUPT_MESSAGE, `Record batch could not be decoded: ${(err as Error).message}`);
    }
  } else if (checkTimestamps) {
    // Without decompressing, the header's first and max timestamps bound the records'.
    const baseTimestamp = readInt64(buf, pos + 27);
    const maxTimestamp = readInt64(buf, pos + 35);
    checkTimestamp(0, baseTimestamp);
    if (recordErrors.length === 0) checkTimestamp(Math.max(0, count - 1), maxTimestamp);
  }
  if (recordErrors.length === 0) return null;
  if (invalidTimestamp) return fail(ErrorCode.INVALID_TIMESTAMP, 'One or more records have been rejected due to invalid timestamp', recordErrors);
  const shown = recordErrors.slice(0, 3).map((e) => `RecordError(batchIndex=${e.batchIndex}, message='${e.batchIndexErrorMessage}')`).join(', ');
  return fail(ErrorCode.INVALID_RECORD, `One or more records have been rejected due to ${recordErrors.length} record errors in total, and only showing the first three errors at most: [${shown}]`, recordErrors);
}

/**
 * One pass over an uncompressed batch's records reading only varints: checks every record's
 * length stays inside the batch and that exactly `count` records fill it. Returns a problem
 * description or null.
 */
function walkUncompressed(
  buf: Buffer,
  pos: number,
  size: number,
  count: number,
  onTimestamp: ((index: number, timestamp: number) => void) | null,
  onNullKey: ((index: number) => void) | null,
): string | null {
  const end = pos + size;
  let p = pos + BATCH_HEADER_SIZE;
  const baseTimestamp = onTimestamp === null ? 0 : readInt64(buf, pos + 27);
  for (let i = 0; i < count; i++) {
    if (p >= end) return `Found ${i} records, expected ${count}`;
    const length = readVarint(buf, p, end);
    if (length === undefined) return `Record ${i} has a malformed length`;
    p = varintEnd;
    const recordEnd = p + length;
    if (length < 0 || recordEnd > end) return `Record ${i} has invalid length ${length}`;
    if (onTimestamp !== null || onNullKey !== null) {
      let q = p + 1; // attributes
      const timestampDelta = readVarlong(buf, q, recordEnd);
      if (timestampDelta === undefined) return `Record ${i} has a malformed timestamp`;
      q = varintEnd;
      if (readVarint(buf, q, recordEnd) === undefined) return `Record ${i} has a malformed offset delta`;
      q = varintEnd;
      const keyLength = readVarint(buf, q, recordEnd);
      if (keyLength === undefined) return `Record ${i} has a malformed key length`;
      if (onTimestamp !== null) onTimestamp(i, baseTimestamp + timestampDelta);
      if (onNullKey !== null && keyLength < 0) onNullKey(i);
    }
    p = recordEnd;
  }
  if (p !== end) return 'Incorrect declared batch size, records still remaining in file';
  return null;
}

/** Position after the last varint read by readVarint/readVarlong (avoids allocating). */
let varintEnd = 0;

function readVarint(buf: Buffer, p: number, end: number): number | undefined {
  let value = 0;
  let shift = 0;
  for (let i = 0; i < 5 && p < end; i++) {
    const b = buf[p++]!;
    value |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) {
      varintEnd = p;
      return (value >>> 1) ^ -(value & 1);
    }
    shift += 7;
  }
  return undefined;
}

function readVarlong(buf: Buffer, p: number, end: number): number | undefined {
  let value = 0;
  let mul = 1;
  for (let i = 0; i < 10 && p < end; i++) {
    const b = buf[p++]!;
    value += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) {
      varintEnd = p;
      return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
    }
    mul *= 128;
  }
  return undefined;
}
