/**
 * Records inside a RecordBatch v2 (magic 2): decoding, encoding and key-only iteration.
 * The batch header is described in ./record-batch.ts; after it come `recordsCount` records,
 * compressed as a whole when attributes bits 0-2 are non-zero. Each record is:
 *
 *   length           varint  (bytes after this field)
 *   attributes       int8    (unused, 0)
 *   timestampDelta   varlong (timestamp - baseTimestamp)
 *   offsetDelta      varint  (offset - baseOffset)
 *   keyLength        varint  (-1 = null key)
 *   key              bytes
 *   valueLength      varint  (-1 = null value, a tombstone)
 *   value            bytes
 *   headersCount     varint
 *   headers          headerKeyLength varint + utf8 key (never null),
 *                    headerValueLength varint (-1 = null) + value
 *
 * All varints are zig-zag signed, as in Kafka's ByteUtils. Null and empty keys, values and
 * header values stay distinct.
 *
 * Control batches (attribute bit 5) hold one control record: key = version int16 (0) + type
 * int16 (0 = abort, 1 = commit); value = version int16 (0) + coordinatorEpoch int32.
 *
 * With LogAppendTime (attribute bit 3) every record's timestamp is the batch's maxTimestamp.
 * When the delete-horizon bit (6) is set, baseTimestamp holds the horizon and record
 * timestamps are still baseTimestamp + timestampDelta, as Kafka's cleaner writes them.
 *
 * Legacy message sets (magic 0 and 1) are rejected with LegacyMessageFormatError; malformed
 * records throw CorruptRecordError. The caller maps both to Kafka error codes.
 */
import { CorruptRecordError } from '../base/errors.js';
import { Reader, unsignedVarintSize } from './primitives.js';
import {
  ATTRIBUTES_OFFSET, ATTR_COMPRESSION_MASK, ATTR_CONTROL, ATTR_DELETE_HORIZON, ATTR_TIMESTAMP_TYPE, ATTR_TRANSACTIONAL, BASE_OFFSET_OFFSET, BASE_SEQUENCE_OFFSET, BASE_TIMESTAMP_OFFSET, BATCH_HEADER_SIZE, BATCH_LENGTH_OFFSET, BATCH_LOG_OVERHEAD, CRC_OFFSET, Compression, LAST_OFFSET_DELTA_OFFSET, MAGIC_OFFSET, MAX_TIMESTAMP_OFFSET, NO_PRODUCER_ID, NO_SEQUENCE, PARTITION_LEADER_EPOCH_OFFSET, PRODUCER_EPOCH_OFFSET, PRODUCER_ID_OFFSET, RECORDS_COUNT_OFFSET, computeBatchCrc, readBatchHeader, type BatchHeader, writeInt64,
} from './record-batch.js';
import { compress, decompress, DEFAULT_MAX_DECOMPRESSED_BYTES } from './compression.js';

export type { BatchHeader };

export const NO_TIMESTAMP = -1;

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface Record {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

/** Alias for code that also uses TypeScript's Record<K, V> utility type. */
export interface DecodedBatch {
  header: BatchHeader;
  records: Record[];
}

export enum ControlRecordType {
  Abort = 0,
  Commit = 1,
}

export interface ControlRecord {
  type: ControlRecordType;
  coordinatorEpoch: number;
}

/** Thrown for magic 0/1 message sets; Kafka answers UNSUPPORTED_FOR_MESSAGE_FORMAT or CORRUPT_MESSAGE. */
export class LegacyMessageFormatError extends CorruptRecordError {
  readonly magic: number;
  constructor(magic: number) {
    super(`legacy message format (magic ${magic}) is not supported; only magic 2 record batches are`);
    this.name = 'LegacyMessageFormatError';
    this.magic = magic;
  }
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** Checks the bytes at pos hold a complete magic-2 batch and returns its size. */
function batchBounds(buf: Buffer, pos: number): number {
  if (buf.length - pos < MAGIC_OFFSET + 1) throw new CorruptRecordError(`truncated batch at ${pos}: ${buf.length - pos} bytes`);
  const magic = buf.readInt8(pos + MAGIC_OFFSET);
  if (magic !== 2) throw new LegacyMessageFormatError(magic);
  const size = buf.readInt32BE(pos + BATCH_LENGTH_OFFSET) + BATCH_LOG_OVERHEAD;
  if (size < BATCH_HEADER_SIZE) throw new CorruptRecordError(`batch length ${size - BATCH_LOG_OVERHEAD} is below the v2 header size`);
  if (buf.length - pos < size) throw new CorruptRecordError(`truncated batch at ${pos}: need ${size} bytes, have ${buf.length - pos}`);
  return size;
}

/**
 * The (decompressed) record bytes of the batch at pos. For an uncompressed batch this is a view
 * of `buf`, so no copy is made.
 */
export function batchRecordsPayload(buf: Buffer, pos = 0, maxDecompressedBytes = DEFAULT_MAX_DECOMPRESSED_BYTES): Buffer {
  const size = batchBounds(buf, pos);
  const attributes = buf.readInt16BE(pos + ATTRIBUTES_OFFSET);
  const body = buf.subarray(pos + BATCH_HEADER_SIZE, pos + size);
  const codec = (attributes & ATTR_COMPRESSION_MASK) as Compression;
  // An empty batch (left by compaction to keep producer state) may carry a codec but no bytes.
  if (codec === Compression.None || (body.length === 0 && buf.readInt32BE(pos + RECORDS_COUNT_OFFSET) === 0)) return body;
  return decompress(codec, body, maxDecompressedBytes);
}

/** Per-record callback of forEachRecord; `key`/`value` are views into the payload (not copies). */
export type RecordVisitor = (
  offsetDelta: number,
  timestampDelta: number,
  key: Buffer | null,
  value: Buffer | null,
  headers: RecordHeader[],
) => void;

const NO_HEADERS: RecordHeader[] = [];

/**
 * Walks `count` records in `payload`, validating each record's length exactly as Kafka's
 * DefaultRecord.readFrom does.
 */
function walkRecords(payload: Buffer, count: number, visit: RecordVisitor): void {
  const r = new Reader(payload);
  for (let i = 0; i < count; i++) {
    const length = r.varint();
    if (r.error !== null) break;
    const start = r.pos;
    if (length < 0 || start + length > payload.length) throw new CorruptRecordError(`record ${i}: bad length ${length}`);
    r.int8(); // attributes, unused
    const timestampDelta = r.varlong();
    const offsetDelta = r.varint();
    const keyLength = r.varint();
    const key = keyLength < 0 ? null : r.raw(keyLength);
    let headers = NO_HEADERS;
    const valueLength = r.varint();
    const value = valueLength < 0 ? null : r.raw(valueLength);
    const headerCount = r.varint();
    if (headerCount < 0) throw new CorruptRecordError(`record ${i}: negative header count ${headerCount}`);
    if (headerCount > 0) {
      if (headerCount > length) throw new CorruptRecordError(`record ${i}: header count ${headerCount} exceeds record size`);
      headers = new Array(headerCount);
      for (let h = 0; h < headerCount; h++) {
        const hkLength = r.varint();
        if (hkLength < 0) throw new CorruptRecordError(`record ${i}: null header key`);
        const hk = r.raw(hkLength).toString('utf8');
        const hvLength = r.varint();
        headers[h] = { key: hk, value: hvLength < 0 ? null : r.raw(hvLength) };
      }
    }
    if (r.error === null && r.pos !== start + length) {
      throw new CorruptRecordError(`record ${i}: invalid record size: expected ${length} bytes, read ${r.pos - start}`);
    }
    if (r.error !== null) break;
    visit(offsetDelta, timestampDelta, key, value, headers);
  }
  if (r.error !== null) throw new CorruptRecordError(`malformed record: ${r.error}`);
  if (r.pos !== payload.length) {
    throw new CorruptRecordError(`${payload.length - r.pos} bytes left after ${count} records`);
  }
}

/** Visits every record of the batch at pos (decompressing if needed). */
export function forEachRecord(buf: Buffer, pos: number, visit: RecordVisitor): void {
  const payload = batchRecordsPayload(buf, pos);
  walkRecords(payload, buf.readInt32BE(pos + RECORDS_COUNT_OFFSET), visit);
}

/**
 * Decodes the batch at pos: header plus every record (decompressed). Keys, values and header
 * values are views into `buf` (or into the decompressed payload) — copy them to keep them
 * beyond the buffer's lifetime.
 */
export function decodeBatch(buf: Buffer, pos = 0): DecodedBatch {
  batchBounds(buf, pos);
  const header = readBatchHeader(buf, pos);
  if (header.recordsCount < 0) throw new CorruptRecordError(`negative record count ${header.recordsCount}`);
  const payload = batchRecordsPayload(buf, pos);
  const logAppendTime = (header.attributes & ATTR_TIMESTAMP_TYPE) !== 0;
  const records: Record[] = [];
  walkRecords(payload, header.recordsCount, (offsetDelta, timestampDelta, key, value, headers) => {
    records.push({
      offset: header.baseOffset + offsetDelta,
      timestamp: logAppendTime ? header.maxTimestamp : header.baseTimestamp + timestampDelta,
      key,
      value,
      headers,
    });
  });
  return { header, records };
}

/**
 * Decodes every complete batch in `buf` (e.g. the records of a Fetch response partition). A
 * trailing partial batch — which a broker may legally return when maxBytes cuts a batch — is
 * ignored, as clients do. With verifyCrc a batch whose CRC-32C does not match throws
 * CorruptRecordError (what a consumer with check.crcs=true does).
 */
export function decodeBatches(buf: Buffer | null, options: { verifyCrc?: boolean } = {}): DecodedBatch[] {
  const out: DecodedBatch[] = [];
  if (buf === null) return out;
  let pos = 0;
  while (buf.length - pos >= BATCH_LOG_OVERHEAD + 5) {
    const size = buf.readInt32BE(pos + BATCH_LENGTH_OFFSET) + BATCH_LOG_OVERHEAD;
    if (buf.length - pos < size) break;
    if (options.verifyCrc === true && size >= BATCH_HEADER_SIZE && buf.readInt8(pos + MAGIC_OFFSET) === 2 && computeBatchCrc(buf, pos, size) !== buf.readUInt32BE(pos + CRC_OFFSET)) {
      throw new CorruptRecordError(`batch at offset ${readBatchHeader(buf, pos).baseOffset} has a bad CRC`);
    }
    out.push(decodeBatch(buf, pos));
    pos += size;
  }
  return out;
}

/** Number of records in the batch at pos (from its header; no decoding). */
export function recordsCount(buf: Buffer, pos = 0): number {
  return buf.readInt32BE(pos + RECORDS_COUNT_OFFSET);
}

/** Reads the control record of a control batch's record (key and value as stored). */
export function decodeControlRecord(record: Pick<Record, 'key' | 'value'>): ControlRecord {
  const key = record.key;
  if (key === null || key.length < 4) throw new CorruptRecordError('control record key must be at least 4 bytes');
  const version = key.readInt16BE(0);
  if (version < 0) throw new CorruptRecordError(`control record key version ${version}`);
  const type = key.readInt16BE(2);
  if (type !== ControlRecordType.Abort && type !== ControlRecordType.Commit) throw new CorruptRecordError(`unknown control record type ${type}`);
  const value = record.value;
  const coordinatorEpoch = value !== null && value.length >= 6 ? value.readInt32BE(2) : 0;
  return { type, coordinatorEpoch };
}

export function encodeControlKey(type: ControlRecordType): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt16BE(0, 0);
  b.writeInt16BE(type, 2);
  return b;
}

export function encodeControlValue(coordinatorEpoch: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeInt16BE(0, 0);
  b.writeInt32BE(coordinatorEpoch, 2);
  return b;
}

// ---------------------------------------------------------------------------------------------
// Encoding

export interface RecordInput {
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: { key: string; value: Buffer | string | null }[];
  /** Defaults to the batch's `timestamp`, else -1 (no timestamp). */
  timestamp?: number;
  /** Absolute offset; defaults to baseOffset + index. Compaction keeps original offsets. */
  offset?: number;
}

export interface EncodeBatchOptions {
  baseOffset?: number;
  records: RecordInput[];
  compression?: Compression;
  /** Default timestamp for records without one. */
  timestamp?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  /** true: records are control records given by the caller; an object: one control record is built. */
  control?: boolean | ControlRecord;
  partitionLeaderEpoch?: number;
  /** Marks the batch LogAppendTime and sets maxTimestamp to this value. */
  logAppendTime?: number;
  /** Overrides lastOffsetDelta (compaction keeps it so offsets are not reused). */
  lastOffsetDelta?: number;
  /** Sets the delete-horizon attribute; baseTimestamp then holds this value. */
  deleteHorizonMs?: number;
}

function toBytes(v: Buffer | string | null): Buffer | null {
  if (v === null) return null;
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
}

function zigzag(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

function varSize(v: number): number {
  return unsignedVarintSize(zigzag(v));
}

function putUvar(buf: Buffer, pos: number, u: number): number {
  while (u >= 0x80) {
    buf[pos++] = (u % 128) | 0x80;
    u = Math.floor(u / 128);
  }
  buf[pos++] = u;
  return pos;
}

function putVar(buf: Buffer, pos: number, v: number): number {
  return putUvar(buf, pos, zigzag(v));
}

interface PreparedRecord {
  offsetDelta: number;
  timestampDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: { key: Buffer; value: Buffer | null }[];
  bodySize: number;
}

function prepareRecord(offsetDelta: number, timestampDelta: number, rec: RecordInput): PreparedRecord {
  const key = toBytes(rec.key);
  const value = toBytes(rec.value);
  const headers = (rec.headers ?? []).map((h) => ({ key: Buffer.from(h.key, 'utf8'), value: toBytes(h.value) }));
  let size = 1 + varSize(timestampDelta) + varSize(offsetDelta);
  size += key === null ? 1 : varSize(key.length) + key.length;
  size += value === null ? 1 : varSize(value.length) + value.length;
  size += varSize(headers.length);
  for (const h of headers) {
    size += varSize(h.key.length) + h.key.length;
    size += h.value === null ? 1 : varSize(h.value.length) + h.value.length;
  }
  return { offsetDelta, timestampDelta, key, value, headers, bodySize: size };
}

function writeBytesField(buf: Buffer, pos: number, b: Buffer | null): number {
  if (b === null) return putVar(buf, pos, -1);
  pos = putVar(buf, pos, b.length);
  b.copy(buf, pos);
  return pos + b.length;
}

function writeRecords(prepared: PreparedRecord[]): Buffer {
  let total = 0;
  for (const p of prepared) total += varSize(p.bodySize) + p.bodySize;
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  for (const p of prepared) {
    pos = putVar(out, pos, p.bodySize);
    out[pos++] = 0;
    pos = putVar(out, pos, p.timestampDelta);
    pos = putVar(out, pos, p.offsetDelta);
    pos = writeBytesField(out, pos, p.key);
    pos = writeBytesField(out, pos, p.value);
    pos = putVar(out, pos, p.headers.length);
    for (const h of p.headers) {
      pos = writeBytesField(out, pos, h.key);
      pos = writeBytesField(out, pos, h.value);
    }
  }
  if (pos !== total) throw new Error(`record encoding size mismatch: ${pos} != ${total}`);
  return out;
}

/** Builds one magic-2 batch with a valid CRC-32C. */
export function encodeBatch(options: EncodeBatchOptions): Buffer {
  const baseOffset = options.baseOffset ?? 0;
  let inputs = options.records;
  if (typeof options.control === 'object') {
    inputs = [{ key: encodeControlKey(options.control.type), value: encodeControlValue(options.control.coordinatorEpoch), timestamp: inputs[0]?.timestamp }];
  }
  const defaultTs = options.timestamp ?? NO_TIMESTAMP;
  const timestamps = inputs.map((r) => r.timestamp ?? defaultTs);
  let baseTimestamp = timestamps.length > 0 ? timestamps[0]! : NO_TIMESTAMP;
  let maxTimestamp = NO_TIMESTAMP;
  for (const t of timestamps) if (t > maxTimestamp) maxTimestamp = t;
  if (options.deleteHorizonMs !== undefined) baseTimestamp = options.deleteHorizonMs;

  const prepared: PreparedRecord[] = new Array(inputs.length);
  let maxOffsetDelta = inputs.length - 1;
  for (let i = 0; i < inputs.length; i++) {
    const rec = inputs[i]!;
    const offsetDelta = rec.offset === undefined ? i : rec.offset - baseOffset;
    if (offsetDelta < 0 || (i > 0 && offsetDelta <= prepared[i - 1]!.offsetDelta)) {
      throw new RangeError(`record offsets must increase from baseOffset ${baseOffset}: got delta ${offsetDelta} at index ${i}`);
    }
    if (offsetDelta > maxOffsetDelta) maxOffsetDelta = offsetDelta;
    prepared[i] = prepareRecord(offsetDelta, timestamps[i]! - baseTimestamp, rec);
  }
  const lastOffsetDelta = options.lastOffsetDelta ?? Math.max(0, maxOffsetDelta);
  if (lastOffsetDelta < maxOffsetDelta) throw new RangeError(`lastOffsetDelta ${lastOffsetDelta} is below the last record's delta ${maxOffsetDelta}`);

  const codec = options.compression ?? Compression.None;
  const raw = writeRecords(prepared);
  const body = codec === Compression.None || prepared.length === 0 ? raw : compress(codec, raw);
  const effectiveCodec = codec === Compression.None || prepared.length === 0 ? Compression.None : codec;

  let attributes = effectiveCodec;
  if (options.logAppendTime !== undefined) {
    attributes |= ATTR_TIMESTAMP_TYPE;
    maxTimestamp = options.logAppendTime;
  }
  if (options.transactional) attributes |= ATTR_TRANSACTIONAL;
  if (options.control) attributes |= ATTR_CONTROL;
  if (options.deleteHorizonMs !== undefined) attributes |= ATTR_DELETE_HORIZON;

  const size = BATCH_HEADER_SIZE + body.length;
  const out = Buffer.allocUnsafe(size);
  writeInt64(out, BASE_OFFSET_OFFSET, baseOffset);
  out.writeInt32BE(size - BATCH_LOG_OVERHEAD, BATCH_LENGTH_OFFSET);
  out.writeInt32BE(options.partitionLeaderEpoch ?? -1, PARTITION_LEADER_EPOCH_OFFSET);
  out.writeInt8(2, MAGIC_OFFSET);
  out.writeInt16BE(attributes, ATTRIBUTES_OFFSET);
  out.writeInt32BE(lastOffsetDelta, LAST_OFFSET_DELTA_OFFSET);
  writeInt64(out, BASE_TIMESTAMP_OFFSET, baseTimestamp);
  writeInt64(out, MAX_TIMESTAMP_OFFSET, maxTimestamp);
  writeInt64(out, PRODUCER_ID_OFFSET, options.producerId ?? NO_PRODUCER_ID);
  out.writeInt16BE(options.producerEpoch ?? -1, PRODUCER_EPOCH_OFFSET);
  out.writeInt32BE(options.baseSequence ?? NO_SEQUENCE, BASE_SEQUENCE_OFFSET);
  out.writeInt32BE(prepared.length, RECORDS_COUNT_OFFSET);
  body.copy(out, BATCH_HEADER_SIZE);
  out.writeUInt32BE(computeBatchCrc(out, 0, size), CRC_OFFSET);
  return out;
}
