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
 *   6. codec id above zstd (4)            → UNSUPPORTED_COMPRESSION_TYPE
 *   7. client batch: lastOffsetDelta < 0, recordsCount <= 0, recordsCount != lastOffsetDelta+1,
 *      a control batch, or a producerId without a sequence → INVALID_RECORD
 *   8. records. Every batch is walked record by record, as Kafka's record iterators do: an
 *      uncompressed batch in place (varints only, nothing copied), a compressed one after
 *      decompressing it. A payload that does not decompress → CORRUPT_MESSAGE (Kafka 4 lets
 *      the codec's KafkaException escape as UNKNOWN_SERVER_ERROR; see docs/compatibility.md).
 *      A record structure that does not add up — a length past the end, fewer or more records
 *      than recordsCount, key/value/header lengths that do not fill the record's length, a
 *      negative header count — → INVALID_RECORD without recordErrors (Kafka's
 *      InvalidRecordException from DefaultRecord.readFrom / the batch iterator).
 *   9. per-record errors are collected with their batchIndex (Produce v8+ recordErrors), one per
 *      record, the key first: a null key on a compacted topic → INVALID_RECORD; a CreateTime
 *      timestamp outside [now - message.timestamp.before.max.ms,
 *      now + message.timestamp.after.max.ms], or a producer-set LogAppendTime batch (unless it
 *      carries a valid CreateTime timestamp) → INVALID_TIMESTAMP. Any timestamp error makes the
 *      whole verdict INVALID_TIMESTAMP, as Kafka's processRecordErrors does.
 * Then the whole set larger than segment.bytes → RECORD_LIST_TOO_LARGE.
 *
 * What is stored (Kafka's in-place vs rebuilt paths):
 *   - the producer's bytes, untouched, when the topic's compression.type is `producer` or equals
 *     the batch's codec and the records' offset deltas are 0..n-1;
 *   - otherwise a rebuilt batch: the 61-byte header is kept (producer id/epoch/sequence,
 *     transactional/control flags, timestamps), the record bytes are kept, offset deltas are
 *     renumbered 0..n-1 if they were not (Kafka rebuilds such batches rather than rejecting
 *     them), and the records are encoded with the target codec. An uncompressed control batch
 *     is never compressed (Kafka's rule). A rebuilt batch larger than max.message.bytes →
 *     MESSAGE_TOO_LARGE. Compression levels (compression.gzip.level, ...) are not applied.
 *   - on a CreateTime topic, a CreateTime batch whose header maxTimestamp is not its records'
 *     largest timestamp is stored with the header corrected (Kafka's setMaxTimestamp), as a copy.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import {
  ATTRIBUTES_OFFSET, ATTR_COMPRESSION_MASK, ATTR_CONTROL, ATTR_TIMESTAMP_TYPE, BASE_SEQUENCE_OFFSET, BASE_TIMESTAMP_OFFSET, BATCH_HEADER_SIZE, BATCH_LENGTH_OFFSET, BATCH_LOG_OVERHEAD, CRC_OFFSET, Compression, LAST_OFFSET_DELTA_OFFSET, MAGIC_OFFSET, MAX_TIMESTAMP_OFFSET, PRODUCER_ID_OFFSET, RECORDS_COUNT_OFFSET, batchCrcValid, readInt64, updateBatchCrc, writeInt64,
} from '../protocol/record-batch.js';
import { compress, decompress, DEFAULT_MAX_DECOMPRESSED_BYTES, UnsupportedCompressionError } from '../protocol/compression.js';

/** Bytes up to and including the magic byte (Kafka's HEADER_SIZE_UP_TO_MAGIC). */
const HEADER_SIZE_UP_TO_MAGIC = MAGIC_OFFSET + 1;
const NO_TIMESTAMP = -1;
const MAX_CODEC = Compression.Zstd;

export type AppendOrigin = 'client' | 'coordinator';

/** Kafka's compression.type values. */
export type CompressionType = 'producer' | 'uncompressed' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

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
  /** compression.type; absent means `producer` (store the producer's codec). */
  compressionType?: CompressionType;
  /** Ceiling on one batch's decompressed records (a decompression-bomb guard). */
  maxDecompressedBytes?: number;
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
  /**
   * The batches to append: a view of the input (any trailing partial batch trimmed) when every
   * batch is stored as sent, else a new buffer holding the rebuilt batches.
   */
  records: Buffer;
  batchCount: number;
  /** Offsets the batches will occupy (sum of lastOffsetDelta + 1). */
  offsetCount: number;
  /** Batches re-encoded (target codec or renumbered offsets); 0 means the bytes are the producer's. */
  rebuiltBatches: number;
}

export type ValidationResult = ValidationFailure | ValidationSuccess;

function fail(errorCode: number, errorMessage: string, recordErrors: RecordError[] = []): ValidationFailure {
  return { ok: false, errorCode, errorMessage, recordErrors };
}

/** The codec a compression.type stores, or null for `producer` (keep the batch's own). */
export function targetCodecOf(type: CompressionType | undefined): Compression | null {
  switch (type) {
    case undefined:
    case 'producer': return null;
    case 'uncompressed': return Compression.None;
    case 'gzip': return Compression.Gzip;
    case 'snappy': return Compression.Snappy;
    case 'lz4': return Compression.Lz4;
    case 'zstd': return Compression.Zstd;
    default: return null;
  }
}

/** Parses a compression.type string; unknown values mean `producer`. */
export function parseCompressionType(value: string | undefined): CompressionType {
  switch (value?.trim().toLowerCase()) {
    case 'uncompressed': case 'none': return 'uncompressed';
    case 'gzip': return 'gzip';
    case 'snappy': return 'snappy';
    case 'lz4': return 'lz4';
    case 'zstd': return 'zstd';
    default: return 'producer';
  }
}

/** Kafka's LegacyRecord.RECORD_OVERHEAD_V0: no batch of any magic has a smaller length field. */
const MIN_BATCH_LENGTH_ANY_MAGIC = 14;

/**
 * Kafka's ByteBufferLogInputStream.nextBatchSize: the size (length field + 12) of the batch at
 * pos; null when no whole batch header is left (fewer than 12 bytes, or than 17 to reach the
 * magic); a CORRUPT_MESSAGE text when the length field is below 14 (negative included) or the
 * magic is not 0..2. Every length read from the wire is checked here before it is used as an
 * offset, so a hostile length can never make us read outside the buffer.
 */
export function nextBatchSize(buf: Buffer, pos: number): number | null | { corrupt: string } {
  const remaining = buf.length - pos;
  if (remaining < BATCH_LOG_OVERHEAD) return null;
  const length = buf.readInt32BE(pos + BATCH_LENGTH_OFFSET);
  if (length < MIN_BATCH_LENGTH_ANY_MAGIC) return { corrupt: `Record size ${length} is less than the minimum record overhead (${MIN_BATCH_LENGTH_ANY_MAGIC})` };
  if (remaining < HEADER_SIZE_UP_TO_MAGIC) return null;
  const magic = buf.readInt8(pos + MAGIC_OFFSET);
  if (magic < 0 || magic > 2) return { corrupt: `Invalid magic found in record: ${magic}` };
  return length + BATCH_LOG_OVERHEAD;
}

/**
 * Kafka's ProduceRequest.validateRecords for v3+: exactly one batch, magic 2, and no zstd before
 * v7. Returns null when the partition's records are acceptable. Batches are found as Kafka's
 * iterator finds them (nextBatchSize): a length or magic it rejects is CORRUPT_MESSAGE (its
 * CorruptRecordException), also for a second batch; no whole first batch is INVALID_RECORD.
 */
export function validateProduceShape(version: number, records: Buffer | null): { errorCode: number; errorMessage: string } | null {
  if (version < 3) return null;
  const buf = records ?? Buffer.alloc(0);
  const first = nextBatchSize(buf, 0);
  if (first !== null && typeof first !== 'number') return { errorCode: ErrorCode.CORRUPT_MESSAGE, errorMessage: first.corrupt };
  if (first === null || buf.length < first) {
    return { errorCode: ErrorCode.INVALID_RECORD, errorMessage: `Produce requests with version ${version} must have at least one record batch per partition` };
  }
  if (buf.readInt8(MAGIC_OFFSET) !== 2) {
    return { errorCode: ErrorCode.INVALID_RECORD, errorMessage: `Produce requests with version ${version} are only allowed to contain record batches with magic version 2` };
  }
  if (version < 7 && first >= BATCH_HEADER_SIZE && (buf.readInt16BE(ATTRIBUTES_OFFSET) & ATTR_COMPRESSION_MASK) === Compression.Zstd) {
    return { errorCode: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, errorMessage: `Produce requests with version ${version} are not allowed to use ZStandard compression` };
  }
  const second = nextBatchSize(buf, first);
  if (second !== null && typeof second !== 'number') return { errorCode: ErrorCode.CORRUPT_MESSAGE, errorMessage: second.corrupt };
  if (second !== null && buf.length - first >= second) {
    return { errorCode: ErrorCode.INVALID_RECORD, errorMessage: `Produce requests with version ${version} are only allowed to contain exactly one record batch per partition` };
  }
  return null;
}

/**
 * Validates `records` for an append as leader. `nowMs` is the broker's wall clock. Never
 * modifies `records`; rebuilt batches are new buffers.
 */
export function validateRecords(records: Buffer, config: ValidationConfig, nowMs: number, origin: AppendOrigin = 'client'): ValidationResult {
  let pos = 0;
  let batchCount = 0;
  let offsetCount = 0;
  let rebuiltBatches = 0;
  let parts: Buffer[] | null = null;
  const end = records.length;
  const target = targetCodecOf(config.compressionType);
  while (end - pos >= HEADER_SIZE_UP_TO_MAGIC) {
    const magic = records.readInt8(pos + MAGIC_OFFSET);
    if (magic !== 2) {
      return fail(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, `Record batches with magic ${magic} are not supported; only magic 2 is stored`);
    }
    const length = records.readInt32BE(pos + BATCH_LENGTH_OFFSET);
    const size = length + BATCH_LOG_OVERHEAD;
    if (length < BATCH_HEADER_SIZE - BATCH_LOG_OVERHEAD) {
      return fail(ErrorCode.CORRUPT_MESSAGE, `Record size ${length} is less than the minimum record overhead (${BATCH_HEADER_SIZE - BATCH_LOG_OVERHEAD})`);
    }
    if (end - pos < size) break;
    const verdict = validateBatch(records, pos, size, config, nowMs, origin, target);
    if (verdict !== null && !Buffer.isBuffer(verdict)) return verdict;
    if (verdict !== null) {
      // A rebuilt batch: from here on the output is a list of parts.
      if (verdict.length > config.maxMessageBytes) {
        return fail(ErrorCode.MESSAGE_TOO_LARGE, `The record batch size in the append is ${verdict.length} bytes after re-encoding, which exceeds the maximum configured value of ${config.maxMessageBytes}.`);
      }
      parts ??= pos === 0 ? [] : [records.subarray(0, pos)];
      parts.push(verdict);
      rebuiltBatches++;
      offsetCount += verdict.readInt32BE(23) + 1;
    } else {
      parts?.push(records.subarray(pos, pos + size));
      offsetCount += records.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET) + 1;
    }
    batchCount++;
    pos += size;
  }
  const out = parts === null ? (pos === end ? records : records.subarray(0, pos)) : Buffer.concat(parts);
  if (out.length > config.segmentBytes) {
    return fail(ErrorCode.RECORD_LIST_TOO_LARGE, `Message batch size is ${out.length} bytes in append to partition which exceeds the maximum configured segment size of ${config.segmentBytes}.`);
  }
  return { ok: true, records: out, batchCount, offsetCount, rebuiltBatches };
}

/** Steps 3-9 for one complete batch: a failure, null (store as is) or the rebuilt batch. */
function validateBatch(buf: Buffer, pos: number, size: number, config: ValidationConfig, nowMs: number, origin: AppendOrigin, target: Compression | null): ValidationFailure | Buffer | null {
  const client = origin === 'client';
  const baseOffset = readInt64(buf, pos);
  if (client && baseOffset !== 0) {
    return fail(ErrorCode.INVALID_RECORD, `The baseOffset of the record batch in the append should be 0, but it is ${baseOffset}`);
  }
  if (size > config.maxMessageBytes) {
    return fail(ErrorCode.MESSAGE_TOO_LARGE, `The record batch size in the append is ${size} bytes which exceeds the maximum configured value of ${config.maxMessageBytes}.`);
  }
  if (!batchCrcValid(buf, pos, size)) {
    return fail(ErrorCode.CORRUPT_MESSAGE, `Record is corrupt (stored crc = ${buf.readUInt32BE(pos + CRC_OFFSET)})`);
  }
  const attributes = buf.readInt16BE(pos + ATTRIBUTES_OFFSET);
  const codec = (attributes & ATTR_COMPRESSION_MASK) as Compression;
  if (codec > MAX_CODEC) return fail(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `Unknown compression type id: ${codec as number}`);
  const count = buf.readInt32BE(pos + RECORDS_COUNT_OFFSET);
  const headerProblem = checkCountAndProducer(buf, pos, attributes, count, client);
  if (headerProblem !== null) return headerProblem;
  // An empty batch (the coordinator's, or left by compaction) has nothing to walk or convert.
  if (count === 0) return null;

  let payload: Buffer;
  let start: number;
  let end: number;
  if (codec === Compression.None) {
    payload = buf;
    start = pos + BATCH_HEADER_SIZE;
    end = pos + size;
  } else {
    try {
      payload = decompress(codec, buf.subarray(pos + BATCH_HEADER_SIZE, pos + size), config.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES);
    } catch (err) {
      if (err instanceof UnsupportedCompressionError) return fail(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, err.message);
      return fail(ErrorCode.CORRUPT_MESSAGE, `Record batch could not be decompressed: ${(err as Error).message}`);
    }
    start = 0;
    end = payload.length;
  }

  const recordErrors: RecordError[] = [];
  const problem = walkRecords(payload, start, end, count, recordCheckFor(buf, pos, attributes, config, nowMs), recordErrors);
  if (problem !== null) return fail(ErrorCode.INVALID_RECORD, problem);
  if (recordErrors.length > 0) return recordErrorsFailure(recordErrors);

  const fixOffsets = !walkOffsetsContiguous;
  // Kafka sets a CreateTime batch's maxTimestamp from its records, whatever the producer wrote.
  const maxTimestamp = config.timestampType === 'CreateTime' && (attributes & ATTR_TIMESTAMP_TYPE) === 0 ? walkMaxTimestamp : readInt64(buf, pos + MAX_TIMESTAMP_OFFSET);
  let targetCodec = target ?? codec;
  if (codec === Compression.None && (attributes & ATTR_CONTROL) !== 0) targetCodec = Compression.None;
  if (targetCodec === codec && !fixOffsets) {
    return maxTimestamp === readInt64(buf, pos + MAX_TIMESTAMP_OFFSET) ? null : withMaxTimestamp(buf.subarray(pos, pos + size), maxTimestamp);
  }
  return rebuildBatch(buf, pos, payload.subarray(start, end), count, targetCodec, fixOffsets, maxTimestamp);
}

/** Step 7: Kafka's LogValidator.validateBatch (offset range, count, control, sequence). */
function checkCountAndProducer(buf: Buffer, pos: number, attributes: number, count: number, client: boolean): ValidationFailure | null {
  const lastOffsetDelta = buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET);
  if (!client) {
    if (count < 0 || lastOffsetDelta < 0 || count > lastOffsetDelta + 1) {
      return fail(ErrorCode.CORRUPT_MESSAGE, `Invalid record count ${count} / lastOffsetDelta ${lastOffsetDelta}`);
    }
    return null;
  }
  if (lastOffsetDelta < 0) return fail(ErrorCode.INVALID_RECORD, `Batch has an invalid offset range: [0, ${lastOffsetDelta}]`);
  if (count <= 0) return fail(ErrorCode.INVALID_RECORD, `Invalid reported count for record batch: ${count}`);
  if (count !== lastOffsetDelta + 1) {
    return fail(ErrorCode.INVALID_RECORD, `Inconsistent batch offset range [0, ${lastOffsetDelta}] and count of records ${count}`);
  }
  if ((attributes & ATTR_CONTROL) !== 0) return fail(ErrorCode.INVALID_RECORD, 'Clients are not allowed to write control records');
  const producerId = readInt64(buf, pos + PRODUCER_ID_OFFSET);
  const baseSequence = buf.readInt32BE(pos + BASE_SEQUENCE_OFFSET);
  if (producerId >= 0 && baseSequence < 0) return fail(ErrorCode.INVALID_RECORD, `Invalid sequence number ${baseSequence} in record batch with producerId ${producerId}`);
  return null;
}

function recordErrorsFailure(recordErrors: RecordError[]): ValidationFailure {
  if (walkInvalidTimestamp) return fail(ErrorCode.INVALID_TIMESTAMP, 'One or more records have been rejected due to invalid timestamp', recordErrors);
  const shown = recordErrors.slice(0, 3).map((e) => `RecordError(batchIndex=${e.batchIndex}, message='${e.batchIndexErrorMessage}')`).join(', ');
  return fail(ErrorCode.INVALID_RECORD, `One or more records have been rejected due to ${recordErrors.length} record errors in total, and only showing the first three errors at most: [${shown}]`, recordErrors);
}

// ---------------------------------------------------------------------------------------------
// Walking the records

/** What the per-record checks need, computed once per batch. */
interface RecordCheck {
  compacted: boolean;
  /** false when no record timestamp can fail (CreateTime with unbounded limits). */
  checkTimestamps: boolean;
  createTime: boolean;
  logAppendTimeBatch: boolean;
  baseTimestamp: number;
  maxTimestamp: number;
  low: number;
  high: number;
}

function recordCheckFor(buf: Buffer, pos: number, attributes: number, config: ValidationConfig, nowMs: number): RecordCheck {
  const createTime = config.timestampType === 'CreateTime';
  const logAppendTimeBatch = (attributes & ATTR_TIMESTAMP_TYPE) !== 0;
  const bounded = config.timestampBeforeMaxMs < Number.MAX_SAFE_INTEGER || config.timestampAfterMaxMs < Number.MAX_SAFE_INTEGER;
  return {
    compacted: config.compacted,
    checkTimestamps: logAppendTimeBatch || (createTime && bounded),
    createTime,
    logAppendTimeBatch,
    baseTimestamp: readInt64(buf, pos + BASE_TIMESTAMP_OFFSET),
    maxTimestamp: readInt64(buf, pos + MAX_TIMESTAMP_OFFSET),
    low: nowMs - config.timestampBeforeMaxMs,
    high: nowMs + config.timestampAfterMaxMs,
  };
}

/** Set by walkRecords: were the offset deltas exactly 0..count-1? */
let walkOffsetsContiguous = true;
/** Set by walkRecords: did any record error concern a timestamp? */
let walkInvalidTimestamp = false;
/** Set by walkRecords: the largest record timestamp (baseTimestamp + delta), -1 if none. */
let walkMaxTimestamp = NO_TIMESTAMP;
/** Position after the last varint read by readVarint/readVarlong (avoids allocating). */
let varintEnd = 0;

/**
 * One pass over `count` records in payload[start, end), reading only varints, with the checks
 * of Kafka's DefaultRecord.readFrom and batch iterator: every length inside its record, each
 * record's fields filling exactly its length, exactly `count` records filling the payload.
 * Returns the structural problem (INVALID_RECORD) or null; per-record key and timestamp errors
 * are pushed to `errors`. Allocates nothing unless a record is rejected.
 */
function walkRecords(payload: Buffer, start: number, end: number, count: number, check: RecordCheck, errors: RecordError[]): string | null {
  walkOffsetsContiguous = true;
  walkInvalidTimestamp = false;
  walkMaxTimestamp = NO_TIMESTAMP;
  let p = start;
  for (let i = 0; i < count; i++) {
    if (p >= end) return `Incorrect declared batch size, premature EOF reached: found ${i} records, expected ${count}`;
    const length = readVarint(payload, p, end);
    if (length === undefined) return `Record ${i} has a malformed length`;
    p = varintEnd;
    const recordEnd = p + length;
    if (length < 0 || recordEnd > end) {
      return `Invalid record size: expected ${length} bytes in record payload, but instead the buffer has only ${end - p} remaining bytes.`;
    }
    let q = p + 1; // attributes (unused)
    const timestampDelta = readVarlong(payload, q, recordEnd);
    if (timestampDelta === undefined) return `Record ${i} has a malformed timestamp`;
    q = varintEnd;
    const offsetDelta = readVarint(payload, q, recordEnd);
    if (offsetDelta === undefined) return `Record ${i} has a malformed offset delta`;
    q = varintEnd;
    if (offsetDelta !== i) walkOffsetsContiguous = false;
    const keyLength = readVarint(payload, q, recordEnd);
    if (keyLength === undefined) return `Record ${i} has a malformed key length`;
    q = varintEnd + (keyLength > 0 ? keyLength : 0);
    const valueLength = readVarint(payload, q, recordEnd);
    if (valueLength === undefined) return `Record ${i} has a malformed value length`;
    q = varintEnd + (valueLength > 0 ? valueLength : 0);
    const headerCount = readVarint(payload, q, recordEnd);
    if (headerCount === undefined) return `Record ${i} has a malformed header count`;
    if (headerCount < 0) return `Found invalid number of record headers ${headerCount}`;
    q = varintEnd;
    for (let h = 0; h < headerCount; h++) {
      const headerKeyLength = readVarint(payload, q, recordEnd);
      if (headerKeyLength === undefined || headerKeyLength < 0) return `Record ${i} has an invalid header key length`;
      q = varintEnd + headerKeyLength;
      const headerValueLength = readVarint(payload, q, recordEnd);
      if (headerValueLength === undefined) return `Record ${i} has a malformed header value length`;
      q = varintEnd + (headerValueLength > 0 ? headerValueLength : 0);
    }
    if (q !== recordEnd) return `Invalid record size: expected to read ${length} bytes in record payload, but instead read ${q - p}`;
    if (check.baseTimestamp + timestampDelta > walkMaxTimestamp) walkMaxTimestamp = check.baseTimestamp + timestampDelta;
    if (check.compacted && keyLength < 0) {
      errors.push({ batchIndex: i, batchIndexErrorMessage: 'Compacted topic cannot accept message without key in topic partition.' });
    } else if (check.checkTimestamps) {
      checkTimestamp(check, i, check.logAppendTimeBatch ? check.maxTimestamp : check.baseTimestamp + timestampDelta, errors);
    }
    p = recordEnd;
  }
  if (p !== end) return 'Incorrect declared batch size, records still remaining in file';
  return null;
}

/** Kafka's LogValidator.validateTimestamp for one record. */
function checkTimestamp(check: RecordCheck, index: number, timestamp: number, errors: RecordError[]): void {
  if (check.createTime && timestamp !== NO_TIMESTAMP) {
    if (timestamp < check.low || timestamp > check.high) {
      walkInvalidTimestamp = true;
      errors.push({
        batchIndex: index,
        batchIndexErrorMessage: `Timestamp ${timestamp} of message with offset ${index} is out of range. The timestamp should be within [${check.low}, ${check.high}]`,
      });
    }
  } else if (check.logAppendTimeBatch) {
    walkInvalidTimestamp = true;
    errors.push({ batchIndex: index, batchIndexErrorMessage: 'Invalid timestamp type in message. Producer should not set timestamp type to LogAppendTime.' });
  }
}

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

// ---------------------------------------------------------------------------------------------
// Rebuilding

/**
 * A new batch with the header of the batch at pos, `records` (its validated, uncompressed
 * records) encoded with `codec`, offset deltas renumbered 0..count-1 if `fixOffsets`,
 * `maxTimestamp`, and a fresh CRC.
 */
function rebuildBatch(buf: Buffer, pos: number, records: Buffer, count: number, codec: Compression, fixOffsets: boolean, maxTimestamp: number): Buffer {
  const plain = fixOffsets ? renumberOffsetDeltas(records, count) : records;
  const body = codec === Compression.None ? plain : compress(codec, plain);
  const out = Buffer.allocUnsafe(BATCH_HEADER_SIZE + body.length);
  buf.copy(out, 0, pos, pos + BATCH_HEADER_SIZE);
  body.copy(out, BATCH_HEADER_SIZE);
  out.writeInt32BE(out.length - BATCH_LOG_OVERHEAD, 8);
  const attributes = buf.readInt16BE(pos + ATTRIBUTES_OFFSET);
  out.writeInt16BE((attributes & ~ATTR_COMPRESSION_MASK) | codec, 21);
  if (fixOffsets) out.writeInt32BE(count - 1, 23);
  writeInt64(out, 35, maxTimestamp);
  updateBatchCrc(out, 0, out.length);
  return out;
}

/** A copy of `batch` with maxTimestamp set and the CRC recomputed. */
function withMaxTimestamp(batch: Buffer, maxTimestamp: number): Buffer {
  const out = Buffer.from(batch);
  writeInt64(out, 35, maxTimestamp);
  updateBatchCrc(out, 0, out.length);
  return out;
}

/** Copies already validated records, rewriting record i's offset delta to i (and its length). */
function renumberOffsetDeltas(records: Buffer, count: number): Buffer {
  const parts: Buffer[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    const length = readVarint(records, p, records.length)!;
    const bodyStart = varintEnd;
    const recordEnd = bodyStart + length;
    readVarlong(records, bodyStart + 1, recordEnd);
    const offsetStart = varintEnd;
    readVarint(records, offsetStart, recordEnd);
    const offsetEnd = varintEnd;
    const newOffset = encodeVarint(i);
    const newLength = length - (offsetEnd - offsetStart) + newOffset.length;
    parts.push(encodeVarint(newLength), records.subarray(bodyStart, offsetStart), newOffset, records.subarray(offsetEnd, recordEnd));
    p = recordEnd;
  }
  return Buffer.concat(parts);
}

function encodeVarint(v: number): Buffer {
  let u = (v << 1) ^ (v >> 31);
  const bytes: number[] = [];
  while ((u & ~0x7f) !== 0) {
    bytes.push((u & 0x7f) | 0x80);
    u >>>= 7;
  }
  bytes.push(u);
  return Buffer.from(bytes);
}
