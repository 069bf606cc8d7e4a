/**
 * Producer state snapshots: `<20-digit offset>.snapshot` in the partition directory, Kafka's
 * format (ProducerStateManager.writeSnapshot / readSnapshot), so a snapshot holds the state of
 * every batch below its offset. All integers big-endian:
 *
 *   offset  size  field
 *        0     2  version (1)
 *        2     4  crc: CRC-32C (unsigned) of every byte from offset 6 to the end
 *        6     4  entry count N (Kafka's ArrayOf)
 *       10  46×N  entries:
 *                   producer_id               int64
 *                   epoch                     int16
 *                   last_sequence             int32  (-1 when no batch is cached)
 *                   last_offset               int64  (-1 when no batch is cached)
 *                   offset_delta              int32  (last batch's lastOffset - firstOffset)
 *                   timestamp                 int64  (the producer's last timestamp)
 *                   coordinator_epoch         int32
 *                   current_txn_first_offset  int64  (-1 when no transaction is open)
 *
 * Only the last batch of each producer is kept (as in Kafka): after a restart from a snapshot,
 * older retries of the last five are no longer recognised unless the replay after the snapshot
 * brings them back. Files are written atomically (fs.writeFileAtomic). A file that is short,
 * has another version, a wrong size or a CRC mismatch is a CorruptSnapshotError; the caller
 * deletes it and falls back to an older snapshot or the log.
 */
import { crc32c } from '@node-rs/crc32';
import { CorruptRecordError } from '../base/errors.js';
import { readInt64, writeInt64 } from '../protocol/record-batch.js';
import { decrementSequence, ProducerStateEntry } from './producer-append-info.js';
import { parseSegmentFileName, segmentFileName } from './log-segment.js';

export const SNAPSHOT_SUFFIX = '.snapshot';
export const PRODUCER_SNAPSHOT_VERSION = 1;
const HEADER_SIZE = 10;
const CRC_START = 6;
export const SNAPSHOT_ENTRY_SIZE = 46;

export class CorruptSnapshotError extends CorruptRecordError {
  constructor(message: string) {
    super(message);
    this.name = 'CorruptSnapshotError';
  }
}

export function snapshotFileName(offset: number): string {
  return segmentFileName(offset, SNAPSHOT_SUFFIX);
}

/** The offset of a snapshot file name, or undefined for any other file. */
export function parseSnapshotFileName(name: string): number | undefined {
  return parseSegmentFileName(name, SNAPSHOT_SUFFIX);
}

export function encodeSnapshot(entries: Iterable<ProducerStateEntry>, count: number): Buffer {
  const buf = Buffer.alloc(HEADER_SIZE + SNAPSHOT_ENTRY_SIZE * count);
  buf.writeInt16BE(PRODUCER_SNAPSHOT_VERSION, 0);
  buf.writeInt32BE(count, 6);
  let pos = HEADER_SIZE;
  let written = 0;
  for (const e of entries) {
    writeInt64(buf, pos, e.producerId);
    buf.writeInt16BE(e.producerEpoch, pos + 8);
    buf.writeInt32BE(e.lastSeq, pos + 10);
    writeInt64(buf, pos + 14, e.lastDataOffset);
    buf.writeInt32BE(e.lastOffsetDelta, pos + 22);
    writeInt64(buf, pos + 26, e.lastTimestamp);
    buf.writeInt32BE(e.coordinatorEpoch, pos + 34);
    writeInt64(buf, pos + 38, e.currentTxnFirstOffset);
    pos += SNAPSHOT_ENTRY_SIZE;
    written++;
  }
  if (written !== count) throw new Error(`encodeSnapshot: ${written} entries, ${count} announced`);
  buf.writeUInt32BE(crc32c(buf.subarray(CRC_START)) >>> 0, 2);
  return buf;
}

export function decodeSnapshot(buf: Buffer, name = 'snapshot'): ProducerStateEntry[] {
  if (buf.length < HEADER_SIZE) throw new CorruptSnapshotError(`${name}: ${buf.length} bytes is shorter than the header`);
  const version = buf.readInt16BE(0);
  if (version !== PRODUCER_SNAPSHOT_VERSION) throw new CorruptSnapshotError(`${name}: unknown snapshot version ${version}`);
  const stored = buf.readUInt32BE(2);
  const computed = crc32c(buf.subarray(CRC_START)) >>> 0;
  if (stored !== computed) throw new CorruptSnapshotError(`${name}: CRC is no longer valid (stored ${stored}, computed ${computed})`);
  const count = buf.readInt32BE(6);
  if (count < 0 || buf.length !== HEADER_SIZE + count * SNAPSHOT_ENTRY_SIZE) {
    throw new CorruptSnapshotError(`${name}: ${count} entries do not fill ${buf.length} bytes`);
  }
  const out: ProducerStateEntry[] = [];
  for (let i = 0, pos = HEADER_SIZE; i < count; i++, pos += SNAPSHOT_ENTRY_SIZE) {
    const producerId = readInt64(buf, pos);
    const epoch = buf.readInt16BE(pos + 8);
    const lastSeq = buf.readInt32BE(pos + 10);
    const lastOffset = readInt64(buf, pos + 14);
    const offsetDelta = buf.readInt32BE(pos + 22);
    const timestamp = readInt64(buf, pos + 26);
    const coordinatorEpoch = buf.readInt32BE(pos + 34);
    const txnFirst = readInt64(buf, pos + 38);
    const entry = new ProducerStateEntry(producerId, epoch, coordinatorEpoch, timestamp, txnFirst >= 0 ? txnFirst : -1);
    if (lastOffset >= 0) {
      entry.batches.push({ firstSeq: decrementSequence(lastSeq, offsetDelta), lastSeq, firstOffset: lastOffset - offsetDelta, lastOffset, timestamp });
    }
    out.push(entry);
  }
  return out;
}
