/**
 * Record-level access the storage engine needs without a full codec: iterate the records of a
 * v2 batch (decompressing when needed) and rebuild an uncompressed batch from a subset of the
 * original record bytes. Used by compaction (keys, tombstones) and by offsetForTimestamp
 * (record timestamps). Retained records are copied byte for byte: their offset and timestamp
 * deltas stay valid because the rebuilt batch keeps baseOffset and baseTimestamp.
 *
 * Record layout (inside the batch, after the 61-byte header, possibly compressed):
 *   length varint, attributes int8, timestampDelta varlong, offsetDelta varint,
 *   keyLength varint (-1 = null), key, valueLength varint (-1 = null), value,
 *   headerCount varint, headers (keyLength varint, key, valueLength varint, value)*
 */
import { CorruptRecordError } from '../base/errors.js';
import { decompress } from '../protocol/compression.js';
import { Reader } from '../protocol/primitives.js';
import {
  ATTR_COMPRESSION_MASK,
  ATTRIBUTES_OFFSET,
  BATCH_HEADER_SIZE,
  baseOffsetOf,
  batchSizeAt,
  compressionOf,
  updateBatchCrc,
  readInt64,
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
  const baseTimestamp = readInt64(batch, pos + 27);
  const count = batch.readInt32BE(pos + 57);
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
