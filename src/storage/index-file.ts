/**
 * What the offset index (./offset-index.ts) and the time index (./time-index.ts) share: a file of
 * fixed-size entries, no header, whose entries live in memory and reach the file on flush, roll
 * or close. The file is written incrementally: only the entries not yet in it are appended;
 * after a truncation (or an in-place change of the last entry) it is rewritten from scratch.
 * A file that is missing or fails its index's sanity check is never trusted: `load` reports
 * false and the caller rebuilds the index from the log.
 */
import type { FileSystem } from '../base/file-system.js';

/** The index of the last key <= target in keys[0..count) (keys strictly increasing), or -1. */
export function floorEntry(keys: ArrayLike<number>, count: number, target: number): number {
  let lo = 0;
  let hi = count - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! <= target) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

export abstract class IndexFile {
  /** Entries already in the file; -1 when the file must be rewritten from scratch. */
  protected persisted = 0;
  /** The file exists (loaded or written). An index without entries is still written on sync, so
   * that a clean restart finds it and trusts it instead of rebuilding it from the log. */
  private onDisk = false;
  readonly maxEntries: number;

  constructor(readonly path: string, readonly baseOffset: number, maxIndexBytes: number, readonly entrySize: number) {
    this.maxEntries = Math.max(1, Math.floor(maxIndexBytes / entrySize));
  }

  abstract get entries(): number;

  /** Entries [from, entries) in the file format. */
  protected abstract encode(from: number): Buffer;

  /** Forgets every entry in memory (the subclass's part of reset and of a rejected load). */
  protected abstract clear(): void;

  get isFull(): boolean {
    return this.entries >= this.maxEntries;
  }

  reset(): void {
    this.clear();
    this.persisted = -1;
  }

  /** Writes the entries not yet in the file (the whole file after a truncation) and fsyncs if asked. */
  async persist(fs: FileSystem, sync: boolean): Promise<void> {
    const n = this.entries;
    if (this.persisted === n && (this.onDisk || !sync)) return;
    const fh = await fs.open(this.path, 'create');
    this.onDisk = true;
    try {
      if (this.persisted < 0) {
        await fh.truncate(0);
        this.persisted = 0;
      }
      const from = this.persisted;
      await fh.write(this.encode(from), from * this.entrySize);
      if (sync) await fh.sync();
      this.persisted = n;
    } finally {
      await fh.close();
    }
  }

  /**
   * Empties the index and reads its file: the data and its entry count, or null (index left
   * empty and marked for a rewrite) when the file is missing, not whole entries, or longer than
   * maxEntries + `slack`.
   */
  protected async readForLoad(fs: FileSystem, slack: number): Promise<{ data: Buffer; count: number } | null> {
    this.clear();
    let data: Buffer;
    try {
      data = await fs.readFile(this.path);
    } catch {
      this.reset();
      return null;
    }
    const count = data.length / this.entrySize;
    if (!Number.isInteger(count) || count > this.maxEntries + slack) {
      this.reset();
      return null;
    }
    this.onDisk = true;
    return { data, count };
  }

  /** Leaves the index empty and marked for a rewrite: what `load` returns on a bad entry. */
  protected rejectLoad(): false {
    this.reset();
    return false;
  }
}
