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

export const TIME_INDEX_ENTRY_SIZE = 12;

export interface TimestampOffset {
  timestamp: number;
  offset: number;
}

export class TimeIndex {
  private timestamps: number[] = [];
  private relOffsets: number[] = [];
  private persisted = 0;
  readonly maxEntries: number;

  constructor(readonly path: string, readonly baseOffset: number, maxIndexBytes: number) {
    this.maxEntries = Math.max(1, Math.floor(maxIndexBytes / TIME_INDEX_ENTRY_SIZE));
  }

  get entries(): number {
    return this.timestamps.length;
  }

  get isFull(): boolean {
    return this.timestamps.length >= this.maxEntries;
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
    let lo = 0;
    let hi = this.timestamps.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timestamps[mid]! <= timestamp) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
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

  reset(): void {
    this.timestamps = [];
    this.relOffsets = [];
    this.persisted = -1;
  }

  async persist(fs: FileSystem, sync: boolean): Promise<void> {
    const n = this.timestamps.length;
    if (this.persisted === n) return;
    const fh = await fs.open(this.path, 'create');
    try {
      if (this.persisted < 0) {
        await fh.truncate(0);
        this.persisted = 0;
      }
      const from = this.persisted;
      const buf = Buffer.allocUnsafe((n - from) * TIME_INDEX_ENTRY_SIZE);
      for (let i = from; i < n; i++) {
        const at = (i - from) * TIME_INDEX_ENTRY_SIZE;
        buf.writeBigInt64BE(BigInt(this.timestamps[i]!), at);
        buf.writeInt32BE(this.relOffsets[i]!, at + 8);
      }
      await fh.write(buf, from * TIME_INDEX_ENTRY_SIZE);
      if (sync) await fh.sync();
      this.persisted = n;
    } finally {
      await fh.close();
    }
  }

  /** Loads the file; false when missing or insane (the caller rebuilds it from the log). */
  async load(fs: FileSystem, maxRelativeOffset: number): Promise<boolean> {
    this.timestamps = [];
    this.relOffsets = [];
    let data: Buffer;
    try {
      data = await fs.readFile(this.path);
    } catch {
      this.persisted = -1;
      return false;
    }
    const n = data.length / TIME_INDEX_ENTRY_SIZE;
    if (!Number.isInteger(n) || n > this.maxEntries + 1) {
      this.persisted = -1;
      return false;
    }
    for (let i = 0; i < n; i++) {
      const ts = Number(data.readBigInt64BE(i * TIME_INDEX_ENTRY_SIZE));
      const rel = data.readInt32BE(i * TIME_INDEX_ENTRY_SIZE + 8);
      const prevTs = i === 0 ? -Infinity : this.timestamps[i - 1]!;
      const prevRel = i === 0 ? -1 : this.relOffsets[i - 1]!;
      if (ts <= prevTs || rel <= prevRel || rel < 0 || rel > maxRelativeOffset) {
        this.timestamps = [];
        this.relOffsets = [];
        this.persisted = -1;
        return false;
      }
      this.timestamps.push(ts);
      this.relOffsets.push(rel);
    }
    this.persisted = n;
    return true;
  }
}
