/**
 * Framing of the metadata journal and snapshots (file-metadata-store.ts has the file layout).
 *
 * Frame (big-endian):
 *   length  uint32   bytes of payload
 *   crc     uint32   CRC-32C (Castagnoli) of payload
 *   payload byte[length]   UTF-8 JSON
 * Batch payload:    {"offset": <offset of its first record>, "records": [<record>, ...]}
 * Snapshot payload: {"snapshot": 1, "offset": <records the snapshot covers>, "records": [...]}
 * Records are metadata-records.ts's JSON form. A journal is a sequence of batch frames; a
 * snapshot file is exactly one snapshot frame.
 */
import { crc32c } from '@node-rs/crc32';
import { CorruptRecordError } from '../../base/errors.js';
import { decodeRecord, encodeRecord, type MetadataRecord } from './metadata-records.js';

export const FRAME_HEADER_BYTES = 8;
/** A sanity bound on one journal batch (a CreateTopics of 10,000 partitions is ~1.5 MB). */
export const MAX_BATCH_BYTES = 256 * 1024 * 1024;

function frame(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.writeUInt32BE(crc32c(payload) >>> 0, 4);
  payload.copy(out, FRAME_HEADER_BYTES);
  return out;
}

function recordsJson(records: Iterable<MetadataRecord>): string {
  const parts: string[] = [];
  for (const r of records) parts.push(JSON.stringify(encodeRecord(r)));
  return `[${parts.join(',')}]`;
}

export function encodeBatch(offset: number, records: readonly MetadataRecord[]): Buffer {
  return frame(Buffer.from(`{"offset":${offset},"records":${recordsJson(records)}}`, 'utf8'));
}

export function encodeSnapshot(offset: number, records: Iterable<MetadataRecord>): Buffer {
  return frame(Buffer.from(`{"snapshot":1,"offset":${offset},"records":${recordsJson(records)}}`, 'utf8'));
}

export interface DecodedBatch {
  offset: number;
  records: MetadataRecord[];
  /** Position of the frame in the file. */
  position: number;
}

/** Parses a payload's JSON; throws CorruptRecordError if it is not a batch or snapshot. */
function parsePayload(payload: Buffer, snapshot: boolean): { offset: number; records: MetadataRecord[] } {
  let o: { offset?: unknown; records?: unknown; snapshot?: unknown };
  try {
    o = JSON.parse(payload.toString('utf8')) as typeof o;
  } catch (err) {
    throw new CorruptRecordError('payload is not valid JSON', { cause: err });
  }
  if (typeof o !== 'object' || o === null || !Number.isSafeInteger(o.offset) || (o.offset as number) < 0 || !Array.isArray(o.records)) {
    throw new CorruptRecordError('payload is not a metadata batch');
  }
  if (snapshot && o.snapshot !== 1) throw new CorruptRecordError(`unknown snapshot format ${String(o.snapshot)}`);
  return { offset: o.offset as number, records: o.records.map(decodeRecord) };
}

/** The frame at `position`, or why there is none (short, oversized, or a CRC mismatch). */
function readFrame(buf: Buffer, position: number, maxBytes: number): { payload: Buffer; end: number } | { error: string } {
  if (buf.length - position < FRAME_HEADER_BYTES) return { error: `${buf.length - position} byte(s) where a frame header belongs` };
  const length = buf.readUInt32BE(position);
  const crc = buf.readUInt32BE(position + 4);
  if (length > maxBytes) return { error: `frame length ${length} above the limit` };
  const end = position + FRAME_HEADER_BYTES + length;
  if (end > buf.length) return { error: `frame of ${length} bytes cut short at ${buf.length - position - FRAME_HEADER_BYTES}` };
  const payload = buf.subarray(position + FRAME_HEADER_BYTES, end);
  if ((crc32c(payload) >>> 0) !== crc) return { error: 'CRC-32C mismatch' };
  return { payload, end };
}

export interface JournalContents {
  batches: DecodedBatch[];
  /** Bytes of whole, checksummed frames from the start. */
  validBytes: number;
  /** Why reading stopped before the end of the file; null when every byte was a good frame. */
  tailError: string | null;
}

/**
 * Every whole frame of a journal, up to the first one that is short or fails its CRC (a torn or
 * damaged tail, which the caller truncates). A frame whose CRC holds but whose payload is not
 * a valid batch was written that way, so it is not a torn tail: that throws CorruptRecordError.
 */
export function decodeJournal(buf: Buffer): JournalContents {
  const batches: DecodedBatch[] = [];
  let position = 0;
  while (position < buf.length) {
    const f = readFrame(buf, position, MAX_BATCH_BYTES);
    if ('error' in f) return { batches, validBytes: position, tailError: `at byte ${position}: ${f.error}` };
    let parsed;
    try {
      parsed = parsePayload(f.payload, false);
    } catch (err) {
      throw new CorruptRecordError(`batch at byte ${position}: ${(err as Error).message}`, { cause: err });
    }
    batches.push({ ...parsed, position });
    position = f.end;
  }
  return { batches, validBytes: position, tailError: null };
}

/** A snapshot file's offset and records; throws CorruptRecordError for anything else. */
export function decodeSnapshot(buf: Buffer): { offset: number; records: MetadataRecord[] } {
  const f = readFrame(buf, 0, 0xffffffff);
  if ('error' in f) throw new CorruptRecordError(f.error);
  if (f.end !== buf.length) throw new CorruptRecordError(`${buf.length - f.end} byte(s) after the snapshot frame`);
  return parsePayload(f.payload, true);
}
