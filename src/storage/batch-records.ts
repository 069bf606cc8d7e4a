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
import { crc32c } from '@node-rs/crc32';
import { CorruptRecordError } from '../base/errors.js';
import { decompress } from '../protocol/compression.js';
import {
  ATTR_COMPRESSION_MASK,
  ATTRIBUTES_OFFSET,
  BATCH_HEADER_SIZE,
  CRC_OFFSET,
  baseOffsetOf,
  batchSizeAt,
  compressionOf,
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

class VarReader {
  constructor(public buf: Buffer, public pos: number) {}

  varlong(): number {
    let result = 0;
    let shift = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw new CorruptRecordError('record truncated');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * shift;
      if ((b & 0x80) === 0) {
        // zigzag decode without 32-bit operators
        return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
      }
      shift *= 128;
    }
    throw new CorruptRecordError('varint too long');
  }
}

function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * 4294967296 + buf.readUInt32BE(pos + 4);
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
  const r = new VarReader(data, 0);
  const out: RecordView[] = [];
  for (let i = 0; i < count; i++) {
    const start = r.pos;
    const length = r.varlong();
    const bodyStart = r.pos;
    if (length < 0 || bodyStart + length > data.length) throw new CorruptRecordError('record length out of range');
    r.pos++; // attributes
    const timestampDelta = r.varlong();
    const offsetDelta = r.varlong();
    const keyLength = r.varlong();
    let key: Buffer | null = null;
    if (keyLength >= 0) {
      key = data.subarray(r.pos, r.pos + keyLength);
      r.pos += keyLength;
    }
    const valueLength = r.varlong();
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
  out.writeUInt32BE(crc32c(out.subarray(ATTRIBUTES_OFFSET)) >>> 0, CRC_OFFSET);
  return out;
}

/**
 * True when any record of the batches in `records` has a null key. Kafka refuses such batches
 * on compacted topics (INVALID_RECORD, "Compacted topic cannot accept message without key");
 * the produce path calls this after validation. Decompresses when needed.
 */
export function hasKeylessRecord(records: Buffer): boolean {
  let pos = 0;
  while (pos < records.length) {
    for (const rec of readRecords(records, pos)) if (rec.key === null) return true;
    pos += batchSizeAt(records, pos);
  }
  return false;
}
