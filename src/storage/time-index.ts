/**
 * The sparse time index of one segment: `<20-digit baseOffset>.timeindex`.
 *
 * On-disk format: a flat array of 12-byte entries, no header.
 *
 *   offset  size  field
 *        0     8  timestamp (int64 BE): the largest batch maxTimestamp seen so far in the segment
 *        8     4  relativeOffset (int32 BE): offset of the batch carrying it - segment baseOffset
 *
 * Timestamps and offsets are strictly increasing. An entry is added together with an offset
 * index entry when the segment's max timestamp grew since the last time entry, and once more
 * when the segment is rolled or closed, so the last entry always holds the segment's largest
 * timestamp (what retention.ms compares). Like the offset index, entries are kept in memory
 * and reach the file on flush/roll/close; after an unclean shutdown the file is rebuilt.
 */
import type { FileSystem } from '../base/file-system.js';
import { IndexFile, floorEntry } from './index-file.js';

export const TIME_INDEX_ENTRY_SIZE = 12;

export interface TimestampOffset {
  timestamp: number;
  offset: number;
}

export class TimeIndex extends IndexFile {
  private timestamps: number[] = [];
  private relOffsets: number[] = [];

  constructor(path: string, baseOffset: number, maxIndexBytes: number) {
    super(path, baseOffset, maxIndexBytes, TIME_INDEX_ENTRY_SIZE);
  }

  get entries(): number {
    return this.timestamps.length;
  }

  lastEntry(): TimestampOffset | undefined {
    const n = this.timestamps.length;
    if (n === 0) return undefined;
    return { timestamp: this.timestamps[n - 1]!, offset: this.baseOffset + this.relOffsets[n - 1]! };
  }

  /**
   * Adds an entry when timestamp and offset both grow. `force` (used when the segment stops
   * being active) may exceed maxEntries by one, so the final max timestamp is always recorded.
   */
  maybeAppend(timestamp: number, offset: number, force = false): void {
    const n = this.timestamps.length;
    if (n >= this.maxEntries + (force ? 1 : 0)) return;
    const rel = offset - this.baseOffset;
    if (n > 0 && (timestamp <= this.timestamps[n - 1]! || rel < this.relOffsets[n - 1]!)) return;
    if (n > 0 && rel === this.relOffsets[n - 1]!) {
      // Same batch, larger timestamp: replace rather than duplicate the offset.
      this.timestamps[n - 1] = timestamp;
      if (this.persisted >= n) this.persisted = -1;
      return;
    }
    this.timestamps.push(timestamp);
    this.relOffsets.push(rel);
  }

  /** The last entry with timestamp <= target, or undefined (scan from the segment start). */
  lookup(timestamp: number): TimestampOffset | undefined {
    const found = floorEntry(this.timestamps, this.timestamps.length, timestamp);
    if (found < 0) return undefined;
    return { timestamp: this.timestamps[found]!, offset: this.baseOffset + this.relOffsets[found]! };
  }

  /** Drops entries whose offset >= offset. */
  truncate(offset: number): void {
    const rel = offset - this.baseOffset;
    let n = this.timestamps.length;
    while (n > 0 && this.relOffsets[n - 1]! >= rel) n--;
    this.timestamps.length = n;
    this.relOffsets.length = n;
    if (this.persisted > n) this.persisted = -1;
  }

  protected clear(): void {
    this.timestamps = [];
    this.relOffsets = [];
  }

  protected encode(from: number): Buffer {
    const n = this.timestamps.length;
    const buf = Buffer.allocUnsafe((n - from) * TIME_INDEX_ENTRY_SIZE);
    for (let i = from; i < n; i++) {
      const at = (i - from) * TIME_INDEX_ENTRY_SIZE;
      buf.writeBigInt64BE(BigInt(this.timestamps[i]!), at);
      buf.writeInt32BE(this.relOffsets[i]!, at + 8);
    }
    return buf;
  }

  /** Loads the file; false when missing or insane (the caller rebuilds it from the log). */
  async load(fs: FileSystem, maxRelativeOffset: number): Promise<boolean> {
    // One entry beyond maxEntries: the forced final entry of a rolled segment.
    const file = await this.readForLoad(fs, 1);
    if (file === null) return false;
    const { data, count } = file;
    for (let i = 0; i < count; i++) {
      const ts = Number(data.readBigInt64BE(i * TIME_INDEX_ENTRY_SIZE));
      const rel = data.readInt32BE(i * TIME_INDEX_ENTRY_SIZE + 8);
      const prevTs = i === 0 ? -Infinity : this.timestamps[i - 1]!;
      const prevRel = i === 0 ? -1 : this.relOffsets[i - 1]!;
      if (ts <= prevTs || rel <= prevRel || rel < 0 || rel > maxRelativeOffset) return this.rejectLoad();
      this.timestamps.push(ts);
      this.relOffsets.push(rel);
    }
    this.persisted = count;
    return true;
  }
}
