/**
 * RecordBatch v2 (magic 2) header access. Batches travel as opaque buffers: we read and check
 * the 61-byte header and the CRC, and rewrite baseOffset and partitionLeaderEpoch in place
 * (the CRC does not cover them). Records themselves are parsed only by ./records.ts.
 *
 *   offset  size  field
 *        0     8  baseOffset
 *        8     4  batchLength (bytes after this field)
 *       12     4  partitionLeaderEpoch
 *       16     1  magic (2)
 *       17     4  crc (CRC-32C of bytes 21..end)
 *       21     2  attributes: bits 0-2 compression, 3 timestamp type (1 = LogAppendTime),
 *                 4 transactional, 5 control, 6 delete horizon set
 *       23     4  lastOffsetDelta
 *       27     8  baseTimestamp
 *       35     8  maxTimestamp
 *       43     8  producerId
 *       51     2  producerEpoch
 *       53     4  baseSequence
 *       57     4  recordsCount
 *       61     …  records
 */
import { crc32c } from '@node-rs/crc32';

export const BATCH_HEADER_SIZE = 61;
/** Bytes needed to know a batch's total size and magic. */
export const BATCH_LOG_OVERHEAD = 12;
/** Where each header field starts, from the batch's first byte (the table above). */
export const BASE_OFFSET_OFFSET = 0;
export const BATCH_LENGTH_OFFSET = 8;
export const PARTITION_LEADER_EPOCH_OFFSET = 12;
export const MAGIC_OFFSET = 16;
export const CRC_OFFSET = 17;
export const ATTRIBUTES_OFFSET = 21;
export const LAST_OFFSET_DELTA_OFFSET = 23;
export const BASE_TIMESTAMP_OFFSET = 27;
export const MAX_TIMESTAMP_OFFSET = 35;
export const PRODUCER_ID_OFFSET = 43;
export const PRODUCER_EPOCH_OFFSET = 51;
export const BASE_SEQUENCE_OFFSET = 53;
export const RECORDS_COUNT_OFFSET = 57;
/** The CRC covers the bytes from here (attributes) to the batch's end. */
export const CRC_COVERED_FROM = ATTRIBUTES_OFFSET;

export enum Compression {
  None = 0,
  Gzip = 1,
  Snappy = 2,
  Lz4 = 3,
  Zstd = 4,
}

export const ATTR_COMPRESSION_MASK = 0x07;
export const ATTR_TIMESTAMP_TYPE = 0x08;
export const ATTR_TRANSACTIONAL = 0x10;
export const ATTR_CONTROL = 0x20;
export const ATTR_DELETE_HORIZON = 0x40;

export const NO_PRODUCER_ID = -1;
export const NO_SEQUENCE = -1;

export interface BatchHeader {
  baseOffset: number;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordsCount: number;
}

/** A big-endian int64 at pos, as a JS number (batch offsets and timestamps fit in 2^53). */
export function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * 4294967296 + buf.readUInt32BE(pos + 4);
}

export function writeInt64(buf: Buffer, pos: number, v: number): void {
  const hi = Math.floor(v / 4294967296);
  buf.writeInt32BE(hi, pos);
  buf.writeUInt32BE(v - hi * 4294967296, pos + 4);
}

/**
 * Total bytes of the batch starting at pos (header included), from its length field; -1 when
 * fewer than 12 bytes are left to read it from. The value comes from the wire or the disk and
 * may be anything (negative included): callers check it against BATCH_HEADER_SIZE and the bytes
 * they have before using it as a position.
 */
export function batchSizeAt(buf: Buffer, pos: number): number {
  if (buf.length - pos < BATCH_LOG_OVERHEAD) return -1;
  return buf.readInt32BE(pos + BATCH_LENGTH_OFFSET) + BATCH_LOG_OVERHEAD;
}

/** Reads the header of the batch at pos; the caller ensures 61 bytes are there. */
export function readBatchHeader(buf: Buffer, pos = 0): BatchHeader {
  return {
    baseOffset: readInt64(buf, pos),
    batchLength: buf.readInt32BE(pos + BATCH_LENGTH_OFFSET),
    partitionLeaderEpoch: buf.readInt32BE(pos + PARTITION_LEADER_EPOCH_OFFSET),
    magic: buf.readInt8(pos + MAGIC_OFFSET),
    crc: buf.readUInt32BE(pos + CRC_OFFSET),
    attributes: buf.readInt16BE(pos + ATTRIBUTES_OFFSET),
    lastOffsetDelta: buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET),
    baseTimestamp: readInt64(buf, pos + BASE_TIMESTAMP_OFFSET),
    maxTimestamp: readInt64(buf, pos + MAX_TIMESTAMP_OFFSET),
    producerId: readInt64(buf, pos + PRODUCER_ID_OFFSET),
    producerEpoch: buf.readInt16BE(pos + PRODUCER_EPOCH_OFFSET),
    baseSequence: buf.readInt32BE(pos + BASE_SEQUENCE_OFFSET),
    recordsCount: buf.readInt32BE(pos + RECORDS_COUNT_OFFSET),
  };
}

export function baseOffsetOf(buf: Buffer, pos = 0): number {
  return readInt64(buf, pos);
}

export function lastOffsetOf(buf: Buffer, pos = 0): number {
  return readInt64(buf, pos) + buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET);
}

export function setBaseOffset(buf: Buffer, pos: number, baseOffset: number): void {
  writeInt64(buf, pos, baseOffset);
}

export function setPartitionLeaderEpoch(buf: Buffer, pos: number, epoch: number): void {
  buf.writeInt32BE(epoch, pos + PARTITION_LEADER_EPOCH_OFFSET);
}

/** CRC-32C over attributes..end, as stored in the crc field. */
export function computeBatchCrc(buf: Buffer, pos: number, size: number): number {
  return crc32c(buf.subarray(pos + ATTRIBUTES_OFFSET, pos + size)) >>> 0;
}

export function batchCrcValid(buf: Buffer, pos: number, size: number): boolean {
  return computeBatchCrc(buf, pos, size) === buf.readUInt32BE(pos + CRC_OFFSET);
}

/** Recomputes and stores the CRC after a rewrite of CRC-covered fields (e.g. LogAppendTime). */
export function updateBatchCrc(buf: Buffer, pos: number, size: number): void {
  buf.writeUInt32BE(computeBatchCrc(buf, pos, size), pos + CRC_OFFSET);
}

/** Sets LogAppendTime: the timestamp-type bit and maxTimestamp, then the CRC (Kafka does the same). */
export function setLogAppendTime(buf: Buffer, pos: number, size: number, timestampMs: number): void {
  const attrs = buf.readInt16BE(pos + ATTRIBUTES_OFFSET);
  buf.writeInt16BE(attrs | ATTR_TIMESTAMP_TYPE, pos + ATTRIBUTES_OFFSET);
  writeInt64(buf, pos + MAX_TIMESTAMP_OFFSET, timestampMs);
  updateBatchCrc(buf, pos, size);
}

export type BatchProblem =
  | 'truncated'
  | 'bad-length'
  | 'bad-magic'
  | 'bad-crc'
  | 'bad-count';

/**
 * Checks the batch at pos without decompressing it: enough bytes, a sane length, magic 2,
 * a matching CRC and a record count consistent with lastOffsetDelta. Returns the batch size,
 * or the problem found. Legacy message sets (magic 0/1) report 'bad-magic'.
 */
export function checkBatch(buf: Buffer, pos: number, end = buf.length): number | BatchProblem {
  if (end - pos < BATCH_LOG_OVERHEAD + 5) return 'truncated';
  const length = buf.readInt32BE(pos + BATCH_LENGTH_OFFSET);
  const magic = buf.readInt8(pos + MAGIC_OFFSET);
  if (magic !== 2) return 'bad-magic';
  if (length < BATCH_HEADER_SIZE - BATCH_LOG_OVERHEAD) return 'bad-length';
  const size = length + BATCH_LOG_OVERHEAD;
  if (end - pos < size) return 'truncated';
  if (!batchCrcValid(buf, pos, size)) return 'bad-crc';
  const count = buf.readInt32BE(pos + RECORDS_COUNT_OFFSET);
  const lastOffsetDelta = buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET);
  if (count < 0 || lastOffsetDelta < 0 || count > lastOffsetDelta + 1) return 'bad-count';
  return size;
}

export function compressionOf(attributes: number): Compression {
  return (attributes & ATTR_COMPRESSION_MASK) as Compression;
}

export function isControlBatch(attributes: number): boolean {
  return (attributes & ATTR_CONTROL) !== 0;
}

