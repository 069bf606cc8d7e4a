// A tiny local encoder of uncompressed v2 record batches for storage tests (the real codec is
// src/protocol/records.ts, owned by another module; storage tests must not depend on it).
import { crc32c } from '@node-rs/crc32';
import { compress } from '../../src/protocol/compression.js';

export interface TestRecord {
  key: Buffer | string | null;
  value: Buffer | string | null;
  timestamp?: number;
}

export interface TestBatchOptions {
  baseOffset?: number;
  baseTimestamp?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  partitionLeaderEpoch?: number;
  attributes?: number;
  /** Compression codec id (1 gzip, 2 snappy, 3 lz4, 4 zstd). */
  compression?: number;
}

function varint(n: number): number[] {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  const out: number[] = [];
  while (z >= 128) {
    out.push((z % 128) | 0x80);
    z = Math.floor(z / 128);
  }
  out.push(z);
  return out;
}

function bytesOf(v: Buffer | string | null): Buffer | null {
  return v === null ? null : typeof v === 'string' ? Buffer.from(v) : v;
}

function writeInt64(buf: Buffer, pos: number, v: number): void {
  const hi = Math.floor(v / 4294967296);
  buf.writeInt32BE(hi, pos);
  buf.writeUInt32BE(v - hi * 4294967296, pos + 4);
}

export function makeBatch(records: TestRecord[], options: TestBatchOptions = {}): Buffer {
  const baseTimestamp = options.baseTimestamp ?? records[0]?.timestamp ?? 1_700_000_000_000;
  const bodies: Buffer[] = [];
  let maxTimestamp = -1;
  records.forEach((r, i) => {
    const ts = r.timestamp ?? baseTimestamp;
    if (ts > maxTimestamp) maxTimestamp = ts;
    const key = bytesOf(r.key);
    const value = bytesOf(r.value);
    const parts: number[] = [0, ...varint(ts - baseTimestamp), ...varint(i)];
    const body = Buffer.concat([
      Buffer.from(parts),
      Buffer.from(varint(key === null ? -1 : key.length)),
      key ?? Buffer.alloc(0),
      Buffer.from(varint(value === null ? -1 : value.length)),
      value ?? Buffer.alloc(0),
      Buffer.from(varint(0)),
    ]);
    bodies.push(Buffer.from(varint(body.length)), body);
  });
  const plain = Buffer.concat(bodies);
  const codec = options.compression ?? 0;
  const recordsBytes = codec === 0 ? plain : compress(codec, plain);
  const buf = Buffer.alloc(61 + recordsBytes.length);
  writeInt64(buf, 0, options.baseOffset ?? 0);
  buf.writeInt32BE(buf.length - 12, 8);
  buf.writeInt32BE(options.partitionLeaderEpoch ?? -1, 12);
  buf.writeInt8(2, 16);
  buf.writeInt16BE((options.attributes ?? 0) | codec, 21);
  buf.writeInt32BE(Math.max(0, records.length - 1), 23);
  writeInt64(buf, 27, baseTimestamp);
  writeInt64(buf, 35, maxTimestamp);
  writeInt64(buf, 43, options.producerId ?? -1);
  buf.writeInt16BE(options.producerEpoch ?? -1, 51);
  buf.writeInt32BE(options.baseSequence ?? -1, 53);
  buf.writeInt32BE(records.length, 57);
  recordsBytes.copy(buf, 61);
  buf.writeUInt32BE(crc32c(buf.subarray(21)) >>> 0, 17);
  return buf;
}

/** A batch of `count` records with values of `valueBytes` bytes and keys k<i>. */
export function makeSimpleBatch(count: number, valueBytes = 16, options: TestBatchOptions = {}, keyPrefix = 'k'): Buffer {
  const records: TestRecord[] = [];
  for (let i = 0; i < count; i++) records.push({ key: `${keyPrefix}${i}`, value: Buffer.alloc(valueBytes, 97 + (i % 26)) });
  return makeBatch(records, options);
}

/** Splits a buffer of back-to-back batches into the batches. */
export function splitBatches(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const size = buf.readInt32BE(pos + 8) + 12;
    out.push(buf.subarray(pos, pos + size));
    pos += size;
  }
  return out;
}

export function baseOffsetOf(batch: Buffer): number {
  return batch.readInt32BE(0) * 4294967296 + batch.readUInt32BE(4);
}
