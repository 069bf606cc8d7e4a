/**
 * A FileSystem that never holds more than `maxOpenFiles` files open at once: the LogManager
 * wraps the broker's FileSystem in one and every log, segment, index and checkpoint goes
 * through it (`sherwood.log.max.open.files`). Kafka keeps one descriptor per segment for its
 * whole life and relies on a huge `ulimit -n`; a broker with 100,000 partitions then cannot
 * even start under a usual limit. Here descriptors are a bounded resource:
 *
 * - open() opens the file at once (so ENOENT and the file's identity are known) and returns a
 *   cached handle. Between operations an idle handle may be closed to make room (least recently
 *   used first) and is reopened, at the same path, by its next operation. The active segment of
 *   a partition being produced to is used on every append, so it stays at the recent end of the
 *   LRU and normally stays open: the hot path costs a Map touch, not a system call.
 * - A handle is never closed under an operation in flight, nor while pinned (pin/unpin, which
 *   LogSegment calls from its reference count): a reader that holds a segment keeps reading
 *   the file it started on even if the segment is deleted or replaced meanwhile, as with a
 *   plain descriptor.
 * - A reopen checks the file's identity (`fileId`: device and inode on disk): a path that now
 *   holds another file (a compaction swap renamed over it, a truncated log recreating the same
 *   base offset) or none (deleted) fails the operation instead of reading the wrong bytes. The
 *   caller sees an error, as it would for a deleted file; PartitionLog.read retries then.
 * - Transient uses of descriptors (readFile, writeFileAtomic, syncDir, readdir, rmrf) take a
 *   slot for their duration. When every slot is in use and nothing idle can be closed, callers
 *   wait in FIFO order. No operation holds one slot while waiting for another (a pinned reader
 *   only uses its own handle), so waiting cannot deadlock: every holder finishes.
 * - Closing an idle handle does not fsync it. Writes stay in the page cache; a later sync()
 *   through a reopened descriptor flushes the file's dirty pages (fsync works on the file, not
 *   the descriptor), and Linux (4.13+) reports a writeback error that no descriptor has seen yet
 *   to the next fsync of the file, whichever descriptor makes it. A failed close() is kept and
 *   thrown by the handle's next operation, so an error surfaced there is not lost either.
 * - lock() passes through (a lock is held for the broker's life and is not a file handle here).
 */
import { StorageError } from '../base/errors.js';
import type { FileHandle, FileLock, FileSystem, OpenMode } from '../base/file-system.js';

export const DEFAULT_MAX_OPEN_FILES = 512;

type Waiter = () => void;

export class FileHandleCache implements FileSystem {
  /** Handles whose file is open, least recently used first. */
  private readonly lru = new Map<CachedHandle, true>();
  private readonly waiters: Waiter[] = [];
  /** Descriptors in use: open cached handles, handles being opened or closed, transient uses. */
  private used = 0;
  private peak = 0;
  /** Counters for tests and benchmarks. */
  readonly stats = { opens: 0, evictions: 0, waits: 0 };

  constructor(readonly inner: FileSystem, readonly maxOpenFiles: number = DEFAULT_MAX_OPEN_FILES) {
    if (!Number.isSafeInteger(maxOpenFiles) || maxOpenFiles < 1) throw new RangeError(`maxOpenFiles must be a positive integer, not ${maxOpenFiles}`);
  }

  /** Descriptors this cache holds right now (never above maxOpenFiles). */
  get openFiles(): number {
    return this.used;
  }

  /** The most descriptors held at once since the cache was made (or since resetPeak()). */
  get peakOpenFiles(): number {
    return this.peak;
  }

  resetPeak(): void {
    this.peak = this.used;
  }

  // ---- slots -----------------------------------------------------------------------------------

  /** Takes one descriptor slot, closing the least recently used idle handle or waiting for one. */
  async acquireSlot(): Promise<void> {
    if (this.used < this.maxOpenFiles) {
      this.used++;
      if (this.used > this.peak) this.peak = this.used;
      return;
    }
    const victim = this.idleVictim();
    if (victim !== undefined) {
      // The victim's slot becomes ours once its descriptor is closed.
      await victim.evict();
      return;
    }
    this.stats.waits++;
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Gives a slot back: to the first waiter if there is one. */
  releaseSlot(): void {
    const next = this.waiters.shift();
    if (next !== undefined) next();
    else this.used--;
  }

  private idleVictim(): CachedHandle | undefined {
    for (const h of this.lru.keys()) if (h.isIdle) return h;
    return undefined;
  }

  /** Called when a handle becomes idle: a waiter may now take its slot. */
  onIdle(h: CachedHandle): void {
    if (this.waiters.length > 0 && h.isIdle) void h.evict().then(() => this.releaseSlot());
  }

  /** Marks a handle used just now (most recently used end of the LRU). */
  touch(h: CachedHandle): void {
    this.lru.delete(h);
    this.lru.set(h, true);
  }

  forget(h: CachedHandle): void {
    this.lru.delete(h);
  }

  private async transient<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquireSlot();
    try {
      return await fn();
    } finally {
      this.releaseSlot();
    }
  }

  // ---- FileSystem ------------------------------------------------------------------------------

  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    await this.acquireSlot();
    let fh: FileHandle;
    try {
      fh = await this.inner.open(path, mode);
    } catch (err) {
      this.releaseSlot();
      throw err;
    }
    this.stats.opens++;
    const h = new CachedHandle(this, path, mode === 'read' ? 'read' : 'readwrite', fh);
    this.touch(h);
    h.settle();
    return h;
  }

  /** Opens `path` again for a handle whose descriptor was closed; the caller holds a slot. */
  reopen(path: string, mode: OpenMode): Promise<FileHandle> {
    this.stats.opens++;
    return this.inner.open(path, mode);
  }

  countEviction(): void {
    this.stats.evictions++;
  }

  readFile(path: string): Promise<Buffer> {
    return this.transient(() => this.inner.readFile(path));
  }

  writeFileAtomic(path: string, data: Buffer): Promise<void> {
    return this.transient(() => this.inner.writeFileAtomic(path, data));
  }

  exists(path: string): Promise<boolean> {
    return this.inner.exists(path);
  }

  mkdirp(path: string): Promise<void> {
    return this.inner.mkdirp(path);
  }

  readdir(path: string): Promise<string[]> {
    return this.transient(() => this.inner.readdir(path));
  }

  rename(from: string, to: string): Promise<void> {
    return this.inner.rename(from, to);
  }

  unlink(path: string): Promise<void> {
    return this.inner.unlink(path);
  }

  rmrf(path: string): Promise<void> {
    return this.transient(() => this.inner.rmrf(path));
  }

  syncDir(path: string): Promise<void> {
    return this.transient(() => this.inner.syncDir(path));
  }

  lock(path: string): Promise<FileLock> {
    return this.inner.lock(path);
  }
}

/** A FileHandle whose descriptor the cache may close while it is idle. */
class CachedHandle implements FileHandle {
  /** The open descriptor; null while evicted (or closed for good). */
  private fh: FileHandle | null;
  private opening: Promise<FileHandle> | null = null;
  private closing: Promise<void> | null = null;
  /** Operations in flight. */
  private busy = 0;
  private pins = 0;
  private disposed = false;
  private disposing: Promise<void> | null = null;
  /** A failed close of an evicted descriptor: the next operation throws it. */
  private failure: unknown = null;
  readonly fileId: string | undefined;

  constructor(private readonly cache: FileHandleCache, readonly path: string, private readonly mode: 'read' | 'readwrite', fh: FileHandle) {
    this.fh = fh;
    this.fileId = fh.fileId;
  }

  get isIdle(): boolean {
    return this.fh !== null && this.busy === 0 && this.pins === 0 && this.closing === null && !this.disposed;
  }

  /** After open(): lets a waiter have the slot if the handle is not used right away. */
  settle(): void {
    this.cache.onIdle(this);
  }

  /** Closes the descriptor to free its slot; the slot is the caller's once this resolves. */
  evict(): Promise<void> {
    const fh = this.fh!;
    this.fh = null;
    this.cache.forget(this);
    this.cache.countEviction();
    const closing = fh.close().then(
      () => undefined,
      (err: unknown) => {
        this.failure = err;
      },
    );
    this.closing = closing.finally(() => {
      this.closing = null;
    });
    return this.closing;
  }

  /** The open descriptor, reopening it (and checking it is the same file) when evicted. */
  private async descriptor(): Promise<FileHandle> {
    for (;;) {
      if (this.disposed) throw new StorageError(`file handle for ${this.path} is closed`);
      if (this.failure !== null) {
        const err = this.failure;
        this.failure = null;
        throw err instanceof Error ? err : new StorageError(`closing ${this.path} failed`, { cause: err });
      }
      if (this.fh !== null) return this.fh;
      if (this.closing !== null) {
        await this.closing;
        continue;
      }
      this.opening ??= this.reopen().finally(() => {
        this.opening = null;
      });
      await this.opening;
    }
  }

  private async reopen(): Promise<FileHandle> {
    await this.cache.acquireSlot();
    let fh: FileHandle;
    try {
      fh = await this.cache.reopen(this.path, this.mode);
    } catch (err) {
      this.cache.releaseSlot();
      throw err;
    }
    if (this.fileId !== undefined && fh.fileId !== this.fileId) {
      await fh.close().catch(() => undefined);
      this.cache.releaseSlot();
      throw Object.assign(new StorageError(`${this.path} was replaced while its handle was closed`), { code: 'ENOENT' });
    }
    if (this.disposed) {
      await fh.close().catch(() => undefined);
      this.cache.releaseSlot();
      throw new StorageError(`file handle for ${this.path} is closed`);
    }
    this.fh = fh;
    this.cache.touch(this);
    return fh;
  }

  private begin(): void {
    this.busy++;
  }

  private end(): void {
    this.busy--;
    if (this.busy === 0 && this.pins === 0 && !this.disposed) this.cache.onIdle(this);
  }

  readSync(buf: Buffer, bufOffset: number, length: number, position: number): number | null {
    // Only through a descriptor that is open now (reopening one is asynchronous).
    const fh = this.fh;
    if (fh === null || fh.readSync === undefined || this.closing !== null || this.disposed || this.failure !== null) return null;
    this.cache.touch(this);
    return fh.readSync(buf, bufOffset, length, position);
  }

  async read(buf: Buffer, bufOffset: number, length: number, position: number): Promise<number> {
    this.begin();
    try {
      const fh = this.fh ?? (await this.descriptor());
      this.cache.touch(this);
      return await fh.read(buf, bufOffset, length, position);
    } finally {
      this.end();
    }
  }

  async write(buf: Buffer, position?: number): Promise<void> {
    this.begin();
    try {
      const fh = this.fh ?? (await this.descriptor());
      this.cache.touch(this);
      await fh.write(buf, position);
    } finally {
      this.end();
    }
  }

  async writev(bufs: Buffer[], position: number): Promise<void> {
    this.begin();
    try {
      const fh = this.fh ?? (await this.descriptor());
      this.cache.touch(this);
      if (fh.writev !== undefined) await fh.writev(bufs, position);
      else await fh.write(Buffer.concat(bufs), position);
    } finally {
      this.end();
    }
  }

  async sync(): Promise<void> {
    this.begin();
    try {
      const fh = this.fh ?? (await this.descriptor());
      this.cache.touch(this);
      await fh.sync();
    } finally {
      this.end();
    }
  }

  async truncate(size: number): Promise<void> {
    this.begin();
    try {
      const fh = this.fh ?? (await this.descriptor());
      this.cache.touch(this);
      await fh.truncate(size);
    } finally {
      this.end();
    }
  }

  async size(): Promise<number> {
    this.begin();
    try {
      const fh = this.fh ?? (await this.descriptor());
      return await fh.size();
    } finally {
      this.end();
    }
  }

  /** Keeps the descriptor open (once opened) until unpin(): see the header. */
  pin(): void {
    this.pins++;
  }

  unpin(): void {
    this.pins--;
    if (this.pins === 0 && this.busy === 0 && !this.disposed) this.cache.onIdle(this);
  }

  /**
   * Closes for good, like closing a descriptor: an operation already running on it meets the
   * closed descriptor (the underlying file system decides how), later ones fail. Idempotent.
   */
  close(): Promise<void> {
    if (this.disposing === null) {
      this.disposed = true;
      this.disposing = this.dispose();
    }
    return this.disposing;
  }

  private async dispose(): Promise<void> {
    // A reopen in progress sees `disposed` and closes what it opened.
    if (this.opening !== null) await this.opening.catch(() => undefined);
    if (this.closing !== null) await this.closing;
    const fh = this.fh;
    this.fh = null;
    this.cache.forget(this);
    if (fh === null) return;
    try {
      await fh.close();
    } finally {
      this.cache.releaseSlot();
    }
  }
}
