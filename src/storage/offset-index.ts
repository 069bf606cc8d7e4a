/**
 * The sparse offset index of one segment: `<20-digit baseOffset>.index`.
 *
 * On-disk format: a flat array of 8-byte entries, no header.
 *
 *   offset  size  field
 *        0     4  relativeOffset (int32 BE): a batch's lastOffset - segment baseOffset
 *        4     4  position (int32 BE): byte position of that batch in the .log file
 *
 * Entries are strictly increasing in both fields. One entry is added for the first batch that
 * starts after `indexIntervalBytes` bytes have been appended since the previous entry, so a
 * lookup lands at most about that many bytes before the batch wanted; the reader then scans
 * batch headers forward. The index is capped at `segmentIndexBytes` (a full index rolls the
 * segment). Unlike Kafka we do not preallocate or mmap: entries live in memory and reach the
 * file when the segment is flushed, rolled or closed (after the .log is fsynced). A segment
 * recovered after an unclean shutdown rebuilds its index from the log, so a stale or torn
 * index file is never trusted past the recovery point; `load` rejects files that fail the
 * sanity check (size, monotonicity, positions within the log) and the caller rebuilds them.
 */
import type { FileSystem } from '../base/file-system.js';
import { IndexFile, floorEntry } from './index-file.js';

export const OFFSET_INDEX_ENTRY_SIZE = 8;

export class OffsetIndex extends IndexFile {
  private relOffsets: Int32Array;
  private positions: Int32Array;
  private count = 0;

  constructor(path: string, baseOffset: number, maxIndexBytes: number) {
    super(path, baseOffset, maxIndexBytes, OFFSET_INDEX_ENTRY_SIZE);
    const initial = Math.min(this.maxEntries, 64);
    this.relOffsets = new Int32Array(initial);
    this.positions = new Int32Array(initial);
  }

  get entries(): number {
    return this.count;
  }

  get lastOffset(): number {
    return this.count === 0 ? this.baseOffset : this.baseOffset + this.relOffsets[this.count - 1]!;
  }

  /** Adds an entry; ignored when not beyond the last one or when full. */
  append(offset: number, position: number): void {
    const rel = offset - this.baseOffset;
    if (this.count >= this.maxEntries) return;
    if (this.count > 0 && (rel <= this.relOffsets[this.count - 1]! || position <= this.positions[this.count - 1]!)) return;
    if (this.count === this.relOffsets.length) {
      const cap = Math.min(this.maxEntries, this.count * 2);
      const r = new Int32Array(cap);
      r.set(this.relOffsets);
      const p = new Int32Array(cap);
      p.set(this.positions);
      this.relOffsets = r;
      this.positions = p;
    }
    this.relOffsets[this.count] = rel;
    this.positions[this.count] = position;
    this.count++;
  }

  /** Position of the last entry whose offset is <= target (0 when none): where a scan starts. */
  lookup(targetOffset: number): number {
    const found = floorEntry(this.relOffsets, this.count, targetOffset - this.baseOffset);
    return found < 0 ? 0 : this.positions[found]!;
  }

  /** Drops entries whose offset >= offset or whose position >= position. */
  truncate(offset: number, position: number): void {
    const rel = offset - this.baseOffset;
    while (this.count > 0 && (this.relOffsets[this.count - 1]! >= rel || this.positions[this.count - 1]! >= position)) this.count--;
    if (this.persisted > this.count) this.persisted = -1; // file must be rewritten
  }

  protected clear(): void {
    this.count = 0;
  }

  protected encode(from: number): Buffer {
    const buf = Buffer.allocUnsafe((this.count - from) * OFFSET_INDEX_ENTRY_SIZE);
    for (let i = from; i < this.count; i++) {
      const at = (i - from) * OFFSET_INDEX_ENTRY_SIZE;
      buf.writeInt32BE(this.relOffsets[i]!, at);
      buf.writeInt32BE(this.positions[i]!, at + 4);
    }
    return buf;
  }

  /**
   * Loads the index file; returns false (and leaves the index empty) when it is missing or
   * fails the sanity check against the log size, in which case the caller rebuilds it.
   */
  async load(fs: FileSystem, logSize: number): Promise<boolean> {
    const file = await this.readForLoad(fs, 0);
    if (file === null) return false;
    const { data, count } = file;
    let prevRel = -1;
    let prevPos = -1;
    for (let i = 0; i < count; i++) {
      const rel = data.readInt32BE(i * OFFSET_INDEX_ENTRY_SIZE);
      const pos = data.readInt32BE(i * OFFSET_INDEX_ENTRY_SIZE + 4);
      if (rel <= prevRel || pos <= prevPos || pos >= logSize || rel < 0) return this.rejectLoad();
      this.append(this.baseOffset + rel, pos);
      prevRel = rel;
      prevPos = pos;
    }
    this.persisted = this.count;
    return true;
  }
}
