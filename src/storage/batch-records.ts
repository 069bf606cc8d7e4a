/**
 * Record-level access the storage engine needs without a full codec: iterate the records of a
 * v2 batch (decompressing when needed) and rebuild an uncompressed batch from a subset of the
 * original record bytes. Used by compaction (keys, tombstones) and by offsetForTimestamp
 * (record timestamps). Retained records are copied byte for byte: their offset and timestamp
 * deltas stay valid because the rebuilt batch keeps baseOffset and baseTimestamp. The one
 * exception is `withDeleteHorizon` (KIP-534, used for transaction markers): the batch's
 * baseTimestamp then holds the delete horizon and every record's timestampDelta is rewritten
 * against it, so record timestamps (baseTimestamp + delta) do not change.
 *
 * Record layout (inside the batch, after the 61-byte header, possibly compressed):
 *   length varint, attributes int8, timestampDelta varlong, offsetDelta varint,
 *   keyLength varint (-1 = null), key, valueLength varint (-1 = null), value,
 *   headerCount varint, headers (keyLength varint, key, valueLength varint, value)*
 */
import { CorruptRecordError } from '../base/errors.js';
import { decompress } from '../protocol/compression.js';
import { Reader, Writer } from '../protocol/primitives.js';
import {
  ATTRIBUTES_OFFSET,
  ATTR_COMPRESSION_MASK,
  ATTR_DELETE_HORIZON,
  BASE_TIMESTAMP_OFFSET,
  BATCH_HEADER_SIZE,
  RECORDS_COUNT_OFFSET,
  baseOffsetOf,
  batchSizeAt,
  compressionOf,
  readInt64,
  updateBatchCrc,
  writeInt64,
} from '../protocol/record-batch.js';

export interface RecordView {
  offset: number;
  timestamp: number;
  /** null for a null key. */
  key: Buffer | null;
  /** A null value: a tombstone. */
  isTombstone: boolean;
  /** The record's bytes, length prefix included. */
  raw: Buffer;
}

/** The uncompressed record bytes of the batch at `pos`. */
export function recordsSection(batch: Buffer, pos = 0): Buffer {
  const size = batchSizeAt(batch, pos);
  const body = batch.subarray(pos + BATCH_HEADER_SIZE, pos + size);
  const attributes = batch.readInt16BE(pos + ATTRIBUTES_OFFSET);
  const codec = compressionOf(attributes);
  return codec === 0 ? body : decompress(codec, body);
}

/** Every record of the batch at `pos`, in order. */
export function readRecords(batch: Buffer, pos = 0): RecordView[] {
  const baseOffset = baseOffsetOf(batch, pos);
  const baseTimestamp = readInt64(batch, pos + BASE_TIMESTAMP_OFFSET);
  const count = batch.readInt32BE(pos + RECORDS_COUNT_OFFSET);
  const data = recordsSection(batch, pos);
  const r = new Reader(data);
  const out: RecordView[] = [];
  for (let i = 0; i < count; i++) {
    const start = r.pos;
    const length = r.varint();
    const bodyStart = r.pos;
    if (r.error !== null || length < 0 || bodyStart + length > data.length) throw new CorruptRecordError('record length out of range');
    r.pos++; // attributes
    const timestampDelta = r.varlong();
    const offsetDelta = r.varint();
    const keyLength = r.varint();
    const key = keyLength >= 0 ? r.raw(keyLength) : null;
    const valueLength = r.varint();
    if (r.error !== null || r.pos > bodyStart + length) throw new CorruptRecordError(`record ${i} of the batch is malformed`);
    r.pos = bodyStart + length;
    out.push({
      offset: baseOffset + offsetDelta,
      timestamp: baseTimestamp + timestampDelta,
      key,
      isTombstone: valueLength < 0,
      raw: data.subarray(start, r.pos),
    });
  }
  return out;
}

/**
 * A new uncompressed batch with the original header (baseOffset, lastOffsetDelta,
 * partitionLeaderEpoch, timestamps, producer fields) holding only `records`, CRC recomputed.
 */
export function rebuildBatch(original: Buffer, pos: number, records: RecordView[]): Buffer {
  let bodySize = 0;
  for (const rec of records) bodySize += rec.raw.length;
  const out = Buffer.allocUnsafe(BATCH_HEADER_SIZE + bodySize);
  original.copy(out, 0, pos, pos + BATCH_HEADER_SIZE);
  let at = BATCH_HEADER_SIZE;
  for (const rec of records) {
    rec.raw.copy(out, at);
    at += rec.raw.length;
  }
  out.writeInt32BE(out.length - 12, 8);
  out.writeInt16BE(out.readInt16BE(ATTRIBUTES_OFFSET) & ~ATTR_COMPRESSION_MASK, ATTRIBUTES_OFFSET);
  out.writeInt32BE(records.length, 57);
  updateBatchCrc(out, 0, out.length);
  return out;
}

/** The batch's KIP-534 delete horizon (ms), or undefined when it has none. */
export function deleteHorizonOf(batch: Buffer, pos = 0): number | undefined {
  return (batch.readInt16BE(pos + ATTRIBUTES_OFFSET) & ATTR_DELETE_HORIZON) !== 0 ? readInt64(batch, pos + BASE_TIMESTAMP_OFFSET) : undefined;
}

/**
 * The batch at `pos` with a delete horizon (Kafka's MemoryRecordsBuilder with deleteHorizonMs):
 * attribute bit 6 set, baseTimestamp = horizonMs, timestamp deltas rewritten so record
 * timestamps stay the same; uncompressed, every other header field kept, CRC recomputed.
 */
export function withDeleteHorizon(batch: Buffer, pos: number, horizonMs: number): Buffer {
  const baseTimestamp = readInt64(batch, pos + BASE_TIMESTAMP_OFFSET);
  const w = new Writer(256);
  for (const rec of readRecords(batch, pos)) {
    const r = new Reader(rec.raw);
    r.varint(); // length
    const attributes = r.int8();
    const timestampDelta = r.varlong();
    if (r.error !== null) throw new CorruptRecordError('record header is malformed');
    const rest = rec.raw.subarray(r.pos);
    const body = new Writer(16 + rest.length).int8(attributes).varlong(baseTimestamp + timestampDelta - horizonMs).raw(rest).toBuffer();
    w.varint(body.length).raw(body);
  }
  const records = w.toBuffer();
  const out = Buffer.allocUnsafe(BATCH_HEADER_SIZE + records.length);
  batch.copy(out, 0, pos, pos + BATCH_HEADER_SIZE);
  records.copy(out, BATCH_HEADER_SIZE);
  out.writeInt32BE(out.length - 12, 8);
  out.writeInt16BE((out.readInt16BE(ATTRIBUTES_OFFSET) & ~ATTR_COMPRESSION_MASK) | ATTR_DELETE_HORIZON, ATTRIBUTES_OFFSET);
  writeInt64(out, 27, horizonMs);
  updateBatchCrc(out, 0, out.length);
  return out;
}
