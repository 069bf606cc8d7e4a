/**
 * One segment of a partition log: `<20-digit baseOffset>.log` plus its `.index` (offset-index.ts),
 * `.timeindex` (time-index.ts) and `.txnindex` (transaction-index.ts). The first two are rebuilt
 * from the segment when untrusted; the aborted-transaction index needs the producer state, so
 * the partition log rebuilds it (producer-state-loader.ts) and this class only carries it:
 * created empty, truncated, flushed, and deleted with the segment.
 *
 * On-disk format of the .log file: record batches (magic 2, see protocol/record-batch.ts) stored
 * back to back exactly as produced (never recompressed), offsets strictly increasing, the first
 * batch's baseOffset >= the segment's baseOffset (the file name). No header, no padding. Bytes
 * after the last batch that passes size, magic, CRC and offset checks are a torn or corrupt
 * tail; recovery truncates them.
 *
 * Transient files during compaction: `<base>.log.cleaned` (being written; deleted on startup)
 * and `<base>.log.swap` (complete and fsynced; renamed over `<base>.log` on startup).
 *
 * `size` counts only bytes whose write completed, so readers never see a half-written batch.
 * Reads hold a reference so that a segment deleted by retention or truncation closes its file
 * only after in-flight reads finish; the reference also pins the file handle, which under the
 * LogManager's FileHandleCache may otherwise be closed while idle and reopened on demand.
 */
import type { FileHandle, FileSystem } from '../base/file-system.js';
import { isNotFound, readFully } from '../base/file-system.js';
import { ioBufferPool } from '../base/buffer-pool.js';
import { StorageError } from '../base/errors.js';
import {
  BATCH_HEADER_SIZE,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  baseOffsetOf,
  batchSizeAt,
  checkBatch,
  lastOffsetOf,
  readInt64,
} from '../protocol/record-batch.js';
import { OffsetIndex } from './offset-index.js';
import { TimeIndex } from './time-index.js';
import { TransactionIndex, type AbortedTxn } from './transaction-index.js';
import { readRecords } from './batch-records.js';

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
export const TXN_INDEX_SUFFIX = '.txnindex';
/** Every file a segment owns besides its .log. */
export const SEGMENT_INDEX_SUFFIXES = [INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX] as const;
export const CLEANED_SUFFIX = '.log.cleaned';
export const SWAP_SUFFIX = '.log.swap';

const INT32_MAX = 2147483647;
const SCAN_CHUNK_BYTES = 1024 * 1024;
/**
 * Reads of bytes this process appended to the active segment in the last RECENT_READ_MS, within
 * RECENT_READ_BYTES of its end and at most RECENT_READ_MAX_CHUNK at a time, are synchronous on
 * the event loop: bytes written seconds ago are in the page cache (still dirty, most of them),
 * and a memory copy costs less than the thread pool's round trip (two thread hand-offs and a
 * wake-up, which on a busy machine also means waiting to be scheduled). Followers and caught-up
 * consumers read there (under an acks=all load the followers ran ~30 MB, a fraction of a
 * second, behind the leader's log end). Everything else may need the disk, or is a large copy
 * better done beside the event loop: it stays on the thread pool.
 */
export const RECENT_READ_MS = 10_000;
export const RECENT_READ_BYTES = 64 * 1024 * 1024;
/** A follower's read: replica.fetch.max.bytes (1 MiB) plus an index interval, with room. */
export const RECENT_READ_MAX_CHUNK = 2 * 1024 * 1024;
/** How often (at most) an append records where it started and when. */
const RECENT_MARK_INTERVAL_MS = 1000;

export function segmentFileName(baseOffset: number, suffix: string): string {
  return String(baseOffset).padStart(20, '0') + suffix;
}

/** The base offset encoded in a segment file name, or undefined when it is not one. */
export function parseSegmentFileName(name: string, suffix: string): number | undefined {
  if (!name.endsWith(suffix)) return undefined;
  const stem = name.slice(0, name.length - suffix.length);
  if (!/^\d{20}$/.test(stem)) return undefined;
  const n = Number(stem);
  return Number.isSafeInteger(n) ? n : undefined;
}

export interface SegmentConfig {
  indexIntervalBytes: number;
  segmentIndexBytes: number;
}

type CursorResult =
  | { kind: 'batch'; position: number; buf: Buffer; at: number; size: number }
  | { kind: 'end' }
  | { kind: 'bad'; position: number; problem: string };

/** Walks batch headers (and optionally bodies) from a position with large chunked reads. */
export class BatchCursor {
  private window: Buffer = Buffer.alloc(0);
  private windowStart = 0;
  /** The window was handed out by slice(): it must not go back to the pool. */
  private windowShared = false;

  /**
   * `pooled`: windows come from ioBufferPool; the caller calls dispose() when done, and a
   * window handed out by slice() becomes the receiver's to release.
   */
  /** `syncFrom`: reads of at most RECENT_READ_MAX_CHUNK at or past this file position go through readSync (recent bytes). */
  constructor(private readonly fh: FileHandle, public position: number, private readonly end: number, private readonly chunkBytes = SCAN_CHUNK_BYTES, private readonly pooled = false, private readonly syncFrom = Infinity) {}

  /** Makes [pos, pos+len) available in the window; false when the file is shorter. */
  private async ensure(pos: number, len: number): Promise<boolean> {
    if (pos >= this.windowStart && pos + len <= this.windowStart + this.window.length) return true;
    const want = Math.min(Math.max(len, this.chunkBytes), this.end - pos);
    if (want < len) return false;
    this.dispose();
    const buf = this.pooled ? ioBufferPool.acquire(want) : Buffer.allocUnsafe(want);
    let n: number;
    try {
      n = await readFully(this.fh, buf, 0, want, pos, pos >= this.syncFrom && want <= RECENT_READ_MAX_CHUNK);
    } catch (err) {
      // The read is over (it failed): nothing writes into buf any more.
      if (this.pooled) ioBufferPool.release(buf);
      throw err;
    }
    this.window = buf.subarray(0, n);
    this.windowStart = pos;
    return n >= len;
  }

  /** Returns the current window to the pool unless slice() handed it out. */
  dispose(): void {
    if (this.pooled && !this.windowShared) ioBufferPool.release(this.window);
    this.window = EMPTY_WINDOW;
    this.windowStart = 0;
    this.windowShared = false;
  }

  /** The batch at the cursor; advances past it. `withBody` loads the whole batch. */
  async next(withBody: boolean): Promise<CursorResult> {
    const pos = this.position;
    if (pos >= this.end) return { kind: 'end' };
    if (!(await this.ensure(pos, Math.min(BATCH_HEADER_SIZE, this.end - pos))) || this.end - pos < BATCH_HEADER_SIZE) {
      return { kind: 'bad', position: pos, problem: 'truncated' };
    }
    let at = pos - this.windowStart;
    const size = batchSizeAt(this.window, at);
    if (this.window.readInt8(at + MAGIC_OFFSET) !== 2) return { kind: 'bad', position: pos, problem: 'bad-magic' };
    if (size < BATCH_HEADER_SIZE) return { kind: 'bad', position: pos, problem: 'bad-length' };
    if (pos + size > this.end) return { kind: 'bad', position: pos, problem: 'truncated' };
    if (withBody) {
      if (!(await this.ensure(pos, size))) return { kind: 'bad', position: pos, problem: 'truncated' };
      at = pos - this.windowStart;
    }
    this.position = pos + size;
    return { kind: 'batch', position: pos, buf: this.window, at, size };
  }

  /** Bytes [from, to) if they are in the current window (no copy), else undefined. */
  slice(from: number, to: number): Buffer | undefined {
    if (from >= this.windowStart && to <= this.windowStart + this.window.length) {
      this.windowShared = true;
      return this.window.subarray(from - this.windowStart, to - this.windowStart);
    }
    return undefined;
  }
}

const EMPTY_WINDOW = Buffer.alloc(0);

export interface SegmentReadResult {
  records: Buffer;
  firstOffset: number;
  lastOffset: number;
}

export class LogSegment {
  readonly offsetIndex: OffsetIndex;
  readonly timeIndex: TimeIndex;
  readonly txnIndex: TransactionIndex;
  /** Bytes of complete batches in the .log file. */
  size = 0;
  /** One past the last offset stored (baseOffset when empty). */
  nextOffset: number;
  maxTimestamp = -1;
  offsetOfMaxTimestamp = -1;
  /** For segment.ms rolling: when this segment was created or loaded (clock ms). */
  createdMs: number;
  /**
   * Where this process's appends started, and when: bytes from `position` on were written at
   * `atMs` or later. One mark per RECENT_MARK_INTERVAL_MS at most; marks older than
   * RECENT_READ_MS are dropped (recentFrom).
   */
  private readonly recentMarks: { position: number; atMs: number }[] = [];
  private bytesSinceLastIndexEntry = 0;
  private refs = 0;
  private deleted = false;
  /** keepOpenForReaders pinned the handle (once is enough; the pin goes with the handle). */
  private heldForReaders = false;
  private closed = false;
  /** Bytes appended since the last fsync of the log file. */
  /** Bumped by every append and truncation: compaction checks it before swapping. */
  modCount = 0;

  private constructor(
    private readonly fs: FileSystem,
    readonly dir: string,
    readonly baseOffset: number,
    private log: FileHandle,
    private readonly config: SegmentConfig,
    createdMs: number,
  ) {
    this.offsetIndex = new OffsetIndex(`${dir}/${segmentFileName(baseOffset, INDEX_SUFFIX)}`, baseOffset, config.segmentIndexBytes);
    this.timeIndex = new TimeIndex(`${dir}/${segmentFileName(baseOffset, TIME_INDEX_SUFFIX)}`, baseOffset, config.segmentIndexBytes);
    this.txnIndex = new TransactionIndex(`${dir}/${segmentFileName(baseOffset, TXN_INDEX_SUFFIX)}`, baseOffset);
    this.nextOffset = baseOffset;
    this.createdMs = createdMs;
  }

  /** The open .log handle (for header scans; hold a reference while using it). */
  get fileHandle(): FileHandle {
    return this.log;
  }

  get logPath(): string {
    return `${this.dir}/${segmentFileName(this.baseOffset, LOG_SUFFIX)}`;
  }

  /** Creates an empty segment (any stale files with this base are replaced). */
  static async create(fs: FileSystem, dir: string, baseOffset: number, config: SegmentConfig, nowMs: number): Promise<LogSegment> {
    for (const suffix of SEGMENT_INDEX_SUFFIXES) {
      try {
        await fs.unlink(`${dir}/${segmentFileName(baseOffset, suffix)}`);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    const log = await fs.open(`${dir}/${segmentFileName(baseOffset, LOG_SUFFIX)}`, 'create');
    await log.truncate(0);
    return new LogSegment(fs, dir, baseOffset, log, config, nowMs);
  }

  /** Opens an existing segment without scanning it; call loadClean() or recover() next. */
  static async open(fs: FileSystem, dir: string, baseOffset: number, config: SegmentConfig, nowMs: number): Promise<LogSegment> {
    const log = await fs.open(`${dir}/${segmentFileName(baseOffset, LOG_SUFFIX)}`, 'readwrite');
    const seg = new LogSegment(fs, dir, baseOffset, log, config, nowMs);
    seg.size = await log.size();
    return seg;
  }

  /**
   * Trusts the log after a clean shutdown (or below the recovery point): loads the indexes and
   * finds the end offset by scanning from the last index entry. False when an index is missing
   * or insane or the tail does not parse; the caller then runs recover().
   */
  async loadClean(): Promise<boolean> {
    if (!(await this.offsetIndex.load(this.fs, this.size))) return false;
    const maxRel = INT32_MAX;
    if (!(await this.timeIndex.load(this.fs, maxRel))) return false;
    const cursor = new BatchCursor(this.log, this.offsetIndex.lookup(Number.MAX_SAFE_INTEGER), this.size);
    let last = this.baseOffset - 1;
    let bytesSinceEntry = 0;
    for (;;) {
      const r = await cursor.next(false);
      if (r.kind === 'end') break;
      if (r.kind === 'bad') return false;
      last = lastOffsetOf(r.buf, r.at);
      bytesSinceEntry += r.size;
    }
    this.nextOffset = last + 1;
    this.bytesSinceLastIndexEntry = bytesSinceEntry;
    const lastTime = this.timeIndex.lastEntry();
    if (lastTime !== undefined) {
      this.maxTimestamp = lastTime.timestamp;
      this.offsetOfMaxTimestamp = lastTime.offset;
    } else if (this.size > 0) {
      await this.scan(false);
    }
    return true;
  }

  /**
   * Loads the aborted-transaction index (call once nextOffset is known, after loadClean or
   * recover). False when the file is missing or insane: the index is then empty and the caller
   * must rebuild it from the producer state.
   */
  loadTxnIndex(): Promise<boolean> {
    return this.txnIndex.load(this.fs, this.nextOffset);
  }

  /** Writes the aborted-transaction index's new entries and fsyncs it. */
  async persistTxnIndex(): Promise<void> {
    await this.txnIndex.persist(this.fs, true);
  }

  /**
   * Validates every batch (size, magic, CRC, increasing offsets), rebuilds both indexes and
   * truncates anything after the last valid batch. Returns the number of bytes truncated.
   */
  async recover(): Promise<number> {
    return this.scan(true);
  }

  private async scan(verify: boolean): Promise<number> {
    this.offsetIndex.reset();
    this.timeIndex.reset();
    this.maxTimestamp = -1;
    this.offsetOfMaxTimestamp = -1;
    this.bytesSinceLastIndexEntry = 0;
    const fileSize = await this.log.size();
    const cursor = new BatchCursor(this.log, 0, fileSize);
    let expectedMin = this.baseOffset;
    let validEnd = 0;
    for (;;) {
      const r = await cursor.next(verify);
      if (r.kind !== 'batch') break;
      const base = baseOffsetOf(r.buf, r.at);
      const last = lastOffsetOf(r.buf, r.at);
      if (verify) {
        if (checkBatch(r.buf, r.at, r.at + r.size) !== r.size) break;
        if (base < expectedMin || last < base || last - this.baseOffset > INT32_MAX) break;
      }
      this.indexBatch(r.buf, r.at, r.position, r.size);
      expectedMin = last + 1;
      validEnd = r.position + r.size;
    }
    this.nextOffset = expectedMin;
    const truncated = fileSize - validEnd;
    if (truncated > 0) await this.log.truncate(validEnd);
    this.size = validEnd;
    return truncated;
  }

  /** Index and timestamp bookkeeping for one batch stored at `position`. */
  private indexBatch(buf: Buffer, at: number, position: number, size: number): void {
    const maxTs = readInt64(buf, at + MAX_TIMESTAMP_OFFSET);
    const last = lastOffsetOf(buf, at);
    if (maxTs > this.maxTimestamp) {
      this.maxTimestamp = maxTs;
      this.offsetOfMaxTimestamp = last;
    }
    if (this.bytesSinceLastIndexEntry > this.config.indexIntervalBytes) {
      this.offsetIndex.append(last, position);
      // As Kafka's TimeIndex: no entry until a batch carries a timestamp (-1 = none).
      if (this.maxTimestamp >= 0) this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += size;
  }

  get indexFull(): boolean {
    return this.offsetIndex.isFull || this.timeIndex.isFull;
  }

  /** True when offsets up to lastOffset still fit the int32 relative offsets of the indexes. */
  canHoldOffset(lastOffset: number): boolean {
    return lastOffset - this.baseOffset <= INT32_MAX;
  }

  /**
   * Appends complete batches (offsets already assigned) with one positional write. On failure
   * the partial bytes are cut off again and a StorageError is thrown.
   */
  async append(buf: Buffer, lastOffset: number, nowMs?: number): Promise<void> {
    const position = this.size;
    if (nowMs !== undefined) {
      const last = this.recentMarks[this.recentMarks.length - 1];
      if (last === undefined || nowMs - last.atMs >= RECENT_MARK_INTERVAL_MS) {
        this.recentMarks.push({ position, atMs: nowMs });
        // Bounded by what a read could still use, whether or not anyone reads.
        this.recentFrom(nowMs);
      }
    }
    try {
      await this.log.write(buf, position);
    } catch (err) {
      try {
        await this.log.truncate(position);
      } catch {
        // The caller marks the log offline; recovery will cut the torn tail.
      }
      throw new StorageError(`append to ${this.logPath} failed`, { cause: err });
    }
    let at = 0;
    while (at < buf.length) {
      const size = batchSizeAt(buf, at);
      this.indexBatch(buf, at, position + at, size);
      at += size;
    }
    this.size = position + buf.length;
    this.nextOffset = lastOffset + 1;
    this.modCount++;
  }

  /** True once retention, truncation or a compaction swap removed this segment from its log. */
  get isDeleted(): boolean {
    return this.deleted;
  }

  /** Holds the segment (and keeps its file open: FileHandle.pin) for a read outside the partition queue. */
  acquire(): void {
    this.refs++;
    this.log.pin?.();
  }

  release(): void {
    this.refs--;
    this.log.unpin?.();
    if (this.refs === 0 && this.deleted && !this.closed) void this.closeQuietly();
  }

  /**
   * Before the file is unlinked or replaced under readers that hold the segment: makes sure the
   * (pinned) handle is open now, so they go on reading this file, not whatever the path holds
   * next, even if the FileHandleCache had closed it. The pin goes with the handle on close.
   */
  private async keepOpenForReaders(): Promise<void> {
    if (this.refs === 0 || this.closed || this.log.pin === undefined || this.heldForReaders) return;
    this.heldForReaders = true;
    this.log.pin();
    try {
      await this.log.size();
    } catch {
      // The readers will meet the same error.
    }
  }

  private async closeQuietly(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.log.close();
    } catch {
      // already unusable
    }
  }

  /**
   * The first position this process appended within the last RECENT_READ_MS (Infinity: none);
   * drops the marks older than that.
   */
  private recentFrom(nowMs: number): number {
    const marks = this.recentMarks;
    let drop = 0;
    while (drop < marks.length && marks[drop]!.atMs < nowMs - RECENT_READ_MS) drop++;
    if (drop > 0) marks.splice(0, drop);
    return marks.length === 0 ? Infinity : marks[0]!.position;
  }

  /**
   * Whole batches from the one containing fetchOffset, up to maxBytes (the first batch even
   * when larger if minOneBatch), never one whose lastOffset >= maxOffsetExclusive. Null when
   * this segment holds nothing at or after fetchOffset. `nowMs`: given for the log's active
   * segment, whose recent bytes (recentFrom) are read synchronously (FileHandle.readSync).
   */
  async read(fetchOffset: number, maxBytes: number, maxOffsetExclusive: number, minOneBatch: boolean, nowMs?: number): Promise<SegmentReadResult | null> {
    const end = this.size;
    const start = this.offsetIndex.lookup(fetchOffset);
    const chunk = Math.min(Math.max(this.config.indexIntervalBytes + maxBytes, 64 * 1024), 16 * 1024 * 1024);
    const syncFrom = nowMs === undefined ? Infinity : Math.max(this.recentFrom(nowMs), end - RECENT_READ_BYTES);
    // Pooled windows: the one holding the records goes out with them (the connection gives it
    // back once the response is written), the others go back at once.
    const cursor = new BatchCursor(this.log, start, end, chunk, true, syncFrom);
    let from = -1;
    let to = -1;
    let firstOffset = -1;
    let lastOffset = -1;
    try {
      for (;;) {
        const r = await cursor.next(false);
        if (r.kind !== 'batch') break;
        const last = lastOffsetOf(r.buf, r.at);
        if (last < fetchOffset) continue;
        if (last >= maxOffsetExclusive) break;
        if (from < 0) {
          if (r.size > maxBytes && !minOneBatch) break;
          from = r.position;
          firstOffset = baseOffsetOf(r.buf, r.at);
        } else if (r.position + r.size - from > maxBytes) {
          break;
        }
        to = r.position + r.size;
        lastOffset = last;
      }
      if (from < 0) return null;
      let records = cursor.slice(from, to);
      if (records === undefined) {
        records = ioBufferPool.acquire(to - from);
        const n = await readFully(this.log, records, 0, to - from, from, from >= syncFrom && to - from <= RECENT_READ_MAX_CHUNK);
        if (n < to - from) {
          ioBufferPool.release(records);
          return null; // truncated under us
        }
      }
      return { records, firstOffset, lastOffset };
    } finally {
      cursor.dispose();
    }
  }

  /** Byte position of the first batch whose lastOffset >= offset (size when none). */
  async positionOf(offset: number): Promise<number> {
    const cursor = new BatchCursor(this.log, this.offsetIndex.lookup(offset), this.size);
    for (;;) {
      const r = await cursor.next(false);
      if (r.kind !== 'batch') return this.size;
      if (lastOffsetOf(r.buf, r.at) >= offset) return r.position;
    }
  }

  /** First record with timestamp >= ts and offset >= minOffset, or null. */
  async findOffsetByTimestamp(ts: number, minOffset: number): Promise<{ offset: number; timestamp: number } | null> {
    const entry = this.timeIndex.lookup(ts);
    const startOffset = Math.max(entry?.offset ?? this.baseOffset, minOffset);
    const cursor = new BatchCursor(this.log, this.offsetIndex.lookup(startOffset), this.size);
    for (;;) {
      const r = await cursor.next(true);
      if (r.kind !== 'batch') return null;
      if (lastOffsetOf(r.buf, r.at) < minOffset) continue;
      if (readInt64(r.buf, r.at + MAX_TIMESTAMP_OFFSET) < ts) continue;
      for (const rec of readRecords(r.buf, r.at)) {
        if (rec.offset >= minOffset && rec.timestamp >= ts) return { offset: rec.offset, timestamp: rec.timestamp };
      }
    }
  }

  /** Visits every batch (whole bytes) in order; used by compaction. */
  async forEachBatch(visit: (buf: Buffer, at: number, size: number) => void): Promise<void> {
    const cursor = new BatchCursor(this.log, 0, this.size);
    for (;;) {
      const r = await cursor.next(true);
      if (r.kind !== 'batch') return;
      visit(r.buf, r.at, r.size);
    }
  }

  /** Removes every batch whose lastOffset >= offset; returns the bytes removed. */
  async truncateTo(offset: number): Promise<number> {
    const position = await this.positionOf(offset);
    const removed = this.size - position;
    this.txnIndex.truncateTo(offset);
    if (removed <= 0) return 0;
    this.modCount++;
    await this.log.truncate(position);
    this.size = position;
    // Marks past the new end name bytes that are gone.
    while (this.recentMarks.length > 0 && this.recentMarks[this.recentMarks.length - 1]!.position >= position) this.recentMarks.pop();
    await this.scan(false);
    return removed;
  }

  /** The segment stops being active: record its final max timestamp in the time index. */
  onBecomeInactive(): void {
    if (this.maxTimestamp >= 0) this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp, true);
  }

  /** fsync the log, then write and fsync the indexes (so an index never points past data). */
  async flush(): Promise<void> {
    await this.log.sync();
    await this.offsetIndex.persist(this.fs, true);
    await this.timeIndex.persist(this.fs, true);
    await this.txnIndex.persist(this.fs, true);
  }

  /** Flushes and closes (clean shutdown). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.onBecomeInactive();
    await this.flush();
    this.closed = true;
    await this.log.close();
  }

  /** Closes without flushing (after a crash in tests, or for deleted segments). */
  async closeHandles(): Promise<void> {
    if (this.closed) return;
    await this.closeQuietly();
  }

  /**
   * The segment's files are about to be unlinked or replaced by someone else (a compaction
   * swap): from now on it counts as deleted (new readers wait for the partition queue and look
   * again) and readers holding it keep reading its file.
   */
  async markReplaced(): Promise<void> {
    this.deleted = true;
    await this.keepOpenForReaders();
  }

  /** Unlinks the files; the handle closes once in-flight reads are done. */
  async delete(): Promise<void> {
    await this.markReplaced();
    for (const suffix of [LOG_SUFFIX, ...SEGMENT_INDEX_SUFFIXES]) {
      try {
        await this.fs.unlink(`${this.dir}/${segmentFileName(this.baseOffset, suffix)}`);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    if (this.refs === 0 && !this.closed) await this.closeQuietly();
  }

  /**
   * Replaces this segment's log with an already fsynced `.log.swap` file (compaction) and
   * reopens it; the offset and time indexes are rebuilt from the new content, the
   * aborted-transaction index is `abortedTxns` (the cleaner's). The old index files must be
   * gone already (a crash before the new ones are written then rebuilds them on open).
   */
  async replaceWithSwap(swapPath: string, abortedTxns: readonly AbortedTxn[]): Promise<LogSegment> {
    await this.markReplaced();
    await this.fs.rename(swapPath, this.logPath);
    const replacement = await LogSegment.open(this.fs, this.dir, this.baseOffset, this.config, this.createdMs);
    await replacement.scan(false);
    await replacement.offsetIndex.persist(this.fs, true);
    replacement.onBecomeInactive();
    await replacement.timeIndex.persist(this.fs, true);
    replacement.txnIndex.replaceAll(abortedTxns);
    await replacement.txnIndex.persist(this.fs, true);
    if (this.refs === 0) await this.closeQuietly();
    return replacement;
  }
}
