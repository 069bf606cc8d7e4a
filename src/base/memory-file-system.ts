/**
 * MemoryFileSystem: the in-memory FileSystem with fault injection that every storage test runs
 * on besides the real disk (see the contract in ./file-system.ts). It can fail an fsync, tear a
 * write, and on crash() lose everything written to a file after that file's last successful
 * sync, as a machine that lost power loses its page cache.
 */
import * as pathPosix from 'node:path/posix';
import { SeededRandom, type Random } from './random.js';
import { StorageError } from './errors.js';
import { enoent, enametoolong, eio } from './fs-errors.js';
import type { FileHandle, FileSystem, OpenMode } from './file-system.js';
import { elocked, type FileLock } from './file-lock.js';


/** Linux's NAME_MAX: the longest file or directory name, in bytes. */
const NAME_MAX_BYTES = 255;

type PendingOp = { kind: 'write'; position: number; data: Buffer } | { kind: 'truncate'; size: number };

/** A growable byte array. */
class Bytes {
  data: Buffer = Buffer.alloc(0);
  size = 0;

  ensure(capacity: number): void {
    if (capacity <= this.data.length) return;
    const next = Buffer.alloc(Math.max(capacity, this.data.length * 2, 64));
    this.data.copy(next, 0, 0, this.size);
    this.data = next;
  }

  writeAt(buf: Buffer, position: number): void {
    const end = position + buf.length;
    this.ensure(end);
    if (position > this.size) this.data.fill(0, this.size, position);
    buf.copy(this.data, position);
    if (end > this.size) this.size = end;
  }

  truncateTo(size: number): void {
    if (size > this.size) {
      this.ensure(size);
      this.data.fill(0, this.size, size);
    }
    this.size = size;
  }

  apply(op: PendingOp): void {
    if (op.kind === 'write') this.writeAt(op.data, op.position);
    else this.truncateTo(op.size);
  }

  content(): Buffer {
    return Buffer.from(this.data.subarray(0, this.size));
  }

  clone(): Bytes {
    const b = new Bytes();
    b.writeAt(this.data.subarray(0, this.size), 0);
    return b;
  }
}

let nextFileId = 1;

class MemFile {
  /** Distinct for every file ever created (FileHandle.fileId). */
  readonly id = `mem:${nextFileId++}`;
  current = new Bytes();
  /** Content as of the last successful sync (plus simulated writeback); undefined when not tracked. */
  durable: Bytes | undefined;
  /** Operations since the last sync, oldest first: what a crash may partially keep. */
  pending: PendingOp[] = [];
  pendingBytes = 0;

  constructor(trackDurability: boolean) {
    this.durable = trackDurability ? new Bytes() : undefined;
  }

  get size(): number {
    return this.current.size;
  }

  record(op: PendingOp, writebackBytes: number): void {
    if (this.durable === undefined) return;
    this.pending.push(op);
    this.pendingBytes += op.kind === 'write' ? op.data.length : 0;
    // The OS writes dirty pages back eventually: the oldest unsynced writes become durable.
    while (this.pendingBytes > writebackBytes && this.pending.length > 0) {
      const oldest = this.pending.shift()!;
      this.durable.apply(oldest);
      this.pendingBytes -= oldest.kind === 'write' ? oldest.data.length : 0;
    }
  }

  sync(): void {
    if (this.durable === undefined) return;
    for (const op of this.pending) this.durable.apply(op);
    this.pending = [];
    this.pendingBytes = 0;
  }
}

/** Options for MemoryFileSystem. */
export interface MemoryFileSystemOptions {
  /** Drives which unsynced writes survive a crash and where torn writes tear. */
  seed?: number;
  random?: Random;
  /**
   * Keep a durable copy of every file so crash() can drop unsynced data (default true). An
   * in-memory broker that never crashes can turn it off to halve memory use.
   */
  trackDurability?: boolean;
  /** Unsynced bytes per file after which the oldest become durable, like OS writeback (64 MiB). */
  writebackBytes?: number;
}

export class MemoryFileSystem implements FileSystem {
  private files = new Map<string, MemFile>();
  private dirs = new Set<string>(['/']);
  /** Directory path → names of the files and directories in it, so readdir is O(entries). */
  private children = new Map<string, Set<string>>();
  private generation = 0;
  /** Paths of the locks held (lock()); a crash() is the death of every holder. */
  private locks = new Set<string>();
  private syncFailures: { path?: string }[] = [];
  private writeFailures: { path?: string; keepBytes: number }[] = [];
  private readonly random: Random;
  private readonly trackDurability: boolean;
  private readonly writebackBytes: number;
  /**
   * Counters for tests and benchmarks; `openHandles` are the handles opened and not closed
   * since the last crash (what a process would hold as descriptors), `peakOpenHandles` its maximum.
   */
  readonly stats = { writes: 0, syncs: 0, openHandles: 0, peakOpenHandles: 0 };

  constructor(options: MemoryFileSystemOptions = {}) {
    this.random = options.random ?? new SeededRandom(options.seed ?? 1);
    this.trackDurability = options.trackDurability ?? true;
    this.writebackBytes = options.writebackBytes ?? 64 * 1024 * 1024;
  }

  private norm(p: string): string {
    return pathPosix.resolve('/', p);
  }

  private requireDir(p: string): void {
    if (!this.dirs.has(p)) throw enoent(p);
  }

  /** As a real file system: a name longer than 255 bytes cannot be created (ENAMETOOLONG). */
  private checkName(p: string): void {
    if (Buffer.byteLength(pathPosix.basename(p)) > NAME_MAX_BYTES) throw enametoolong(p);
  }

  /** Records `p` (a normalized path other than '/') as an entry of its parent directory. */
  private link(p: string): void {
    const parent = pathPosix.dirname(p);
    let names = this.children.get(parent);
    if (names === undefined) {
      names = new Set();
      this.children.set(parent, names);
    }
    names.add(pathPosix.basename(p));
  }

  private unlinkEntry(p: string): void {
    this.children.get(pathPosix.dirname(p))?.delete(pathPosix.basename(p));
  }

  /** Every path below `p` (files and directories), found through the directory index. */
  private subtree(p: string): string[] {
    const out: string[] = [];
    const stack = [p];
    while (stack.length > 0) {
      const d = stack.pop()!;
      const names = this.children.get(d);
      if (names === undefined) continue;
      for (const name of names) {
        const child = d === '/' ? `/${name}` : `${d}/${name}`;
        out.push(child);
        stack.push(child);
      }
    }
    return out;
  }

  /** The next sync (of `path`, or of any file) fails with EIO and keeps nothing new durable. */
  failNextSync(path?: string): void {
    this.syncFailures.push({ path: path === undefined ? undefined : this.norm(path) });
  }

  /**
   * The next write (of `path`, or of any file) is torn: only its first `keepBytes` bytes reach
   * the file (a random count when omitted) and the write rejects with EIO.
   */
  tearNextWrite(path?: string, keepBytes?: number): void {
    this.writeFailures.push({ path: path === undefined ? undefined : this.norm(path), keepBytes: keepBytes ?? -1 });
  }

  /**
   * Simulates power loss: every file reverts to its last synced content plus, per file, a
   * random prefix of the writes made since (in order), the last one possibly torn at a random
   * byte. Handles opened before the crash become unusable. Without durability tracking every
   * write survives.
   */
  crash(): void {
    this.generation++;
    this.locks.clear();
    this.stats.openHandles = 0;
    this.syncFailures = [];
    this.writeFailures = [];
    for (const file of this.files.values()) {
      if (file.durable === undefined) continue;
      const keep = this.random.int(file.pending.length + 1);
      const restored = file.durable;
      for (let i = 0; i < keep; i++) {
        const op = file.pending[i]!;
        if (op.kind === 'write' && i === keep - 1 && this.random.int(2) === 0) {
          restored.writeAt(op.data.subarray(0, this.random.int(op.data.length + 1)), op.position);
        } else {
          restored.apply(op);
        }
      }
      file.current = restored.clone();
      file.durable = restored;
      file.pending = [];
      file.pendingBytes = 0;
    }
  }

  /** The current content of a file (tests inspect and corrupt files through this). */
  peek(path: string): Buffer {
    const f = this.files.get(this.norm(path));
    if (f === undefined) throw enoent(path);
    return f.current.content();
  }

  /** Replaces a file's content, durably (a test's way to corrupt bytes on "disk"). */
  poke(path: string, data: Buffer): void {
    const f = this.files.get(this.norm(path));
    if (f === undefined) throw enoent(path);
    f.current = new Bytes();
    f.current.writeAt(data, 0);
    if (f.durable !== undefined) f.durable = f.current.clone();
    f.pending = [];
    f.pendingBytes = 0;
  }

  private takeSyncFailure(path: string): boolean {
    const i = this.syncFailures.findIndex((f) => f.path === undefined || f.path === path);
    if (i < 0) return false;
    this.syncFailures.splice(i, 1);
    return true;
  }

  private takeWriteFailure(path: string): { keepBytes: number } | undefined {
    const i = this.writeFailures.findIndex((f) => f.path === undefined || f.path === path);
    if (i < 0) return undefined;
    return this.writeFailures.splice(i, 1)[0];
  }

  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    const p = this.norm(path);
    let file = this.files.get(p);
    if (file === undefined) {
      if (mode !== 'create') throw enoent(p);
      this.checkName(p);
      this.requireDir(pathPosix.dirname(p));
      file = new MemFile(this.trackDurability);
      this.files.set(p, file);
      this.link(p);
    }
    return this.handle(p, file, mode === 'read');
  }

  private handle(p: string, file: MemFile, readOnly: boolean): FileHandle {
    const generation = this.generation;
    let closed = false;
    if (++this.stats.openHandles > this.stats.peakOpenHandles) this.stats.peakOpenHandles = this.stats.openHandles;
    const check = (): void => {
      if (closed) throw new StorageError(`file handle for ${p} is closed`);
      if (generation !== this.generation) throw eio('use after crash', p);
    };
    const checkWrite = (): void => {
      check();
      if (readOnly) throw new StorageError(`file ${p} is open read-only`);
    };
    const doWrite = (buf: Buffer, position: number): void => {
      this.stats.writes++;
      const tear = this.takeWriteFailure(p);
      if (tear !== undefined) {
        const keep = tear.keepBytes < 0 ? this.random.int(buf.length + 1) : Math.min(tear.keepBytes, buf.length);
        const part = Buffer.from(buf.subarray(0, keep));
        file.current.writeAt(part, position);
        file.record({ kind: 'write', position, data: part }, this.writebackBytes);
        throw eio('write', p);
      }
      file.current.writeAt(buf, position);
      if (file.durable !== undefined) file.record({ kind: 'write', position, data: Buffer.from(buf) }, this.writebackBytes);
    };
    const read = (buf: Buffer, bufOffset: number, length: number, position: number): number => {
      check();
      if (position >= file.size) return 0;
      const n = Math.min(length, file.size - position);
      file.current.data.copy(buf, bufOffset, position, position + n);
      return n;
    };
    return {
      fileId: file.id,
      read: async (buf, bufOffset, length, position) => read(buf, bufOffset, length, position),
      readSync: read,
      write: async (buf, position) => {
        checkWrite();
        doWrite(buf, position ?? file.size);
      },
      writev: async (bufs, position) => {
        checkWrite();
        doWrite(Buffer.concat(bufs), position);
      },
      sync: async () => {
        check();
        this.stats.syncs++;
        if (this.takeSyncFailure(p)) throw eio('fsync', p);
        file.sync();
      },
      truncate: async (size) => {
        checkWrite();
        file.current.truncateTo(size);
        file.record({ kind: 'truncate', size }, this.writebackBytes);
      },
      size: async () => {
        check();
        return file.size;
      },
      close: async () => {
        if (!closed && generation === this.generation) this.stats.openHandles--;
        closed = true;
      },
    };
  }

  async readFile(path: string): Promise<Buffer> {
    const f = this.files.get(this.norm(path));
    if (f === undefined) throw enoent(path);
    return f.current.content();
  }

  async writeFileAtomic(path: string, data: Buffer): Promise<void> {
    const p = this.norm(path);
    this.requireDir(pathPosix.dirname(p));
    const tmp = `${p}.tmp`;
    const fh = await this.open(tmp, 'create');
    await fh.truncate(0);
    await fh.write(data, 0);
    await fh.sync();
    await fh.close();
    await this.rename(tmp, p);
  }

  async exists(path: string): Promise<boolean> {
    const p = this.norm(path);
    return this.files.has(p) || this.dirs.has(p);
  }

  async mkdirp(path: string): Promise<void> {
    let p = this.norm(path);
    for (let q = p; q !== '/'; q = pathPosix.dirname(q)) this.checkName(q);
    while (!this.dirs.has(p)) {
      if (this.files.has(p)) throw new StorageError(`mkdirp: ${p} is a file`);
      this.dirs.add(p);
      this.link(p);
      p = pathPosix.dirname(p);
    }
  }

  async readdir(path: string): Promise<string[]> {
    const p = this.norm(path);
    this.requireDir(p);
    return [...(this.children.get(p) ?? [])].sort();
  }

  async rename(from: string, to: string): Promise<void> {
    const a = this.norm(from);
    const b = this.norm(to);
    this.checkName(b);
    const f = this.files.get(a);
    if (f !== undefined) {
      this.requireDir(pathPosix.dirname(b));
      this.files.delete(a);
      this.unlinkEntry(a);
      this.files.set(b, f);
      this.link(b);
      return;
    }
    if (!this.dirs.has(a)) throw enoent(a);
    const movedDirs: string[] = [];
    const movedFiles: [string, MemFile][] = [];
    for (const q of [a, ...this.subtree(a)]) {
      const nq = b + q.slice(a.length);
      const file = this.files.get(q);
      if (file !== undefined && q !== a) {
        this.files.delete(q);
        movedFiles.push([nq, file]);
      }
      if (this.dirs.delete(q)) movedDirs.push(nq);
      this.children.delete(q);
    }
    this.unlinkEntry(a);
    for (const nd of movedDirs) {
      this.dirs.add(nd);
      this.link(nd);
    }
    for (const [nq, file] of movedFiles) {
      this.files.set(nq, file);
      this.link(nq);
    }
  }

  async unlink(path: string): Promise<void> {
    const p = this.norm(path);
    if (!this.files.delete(p)) throw enoent(p);
    if (!this.dirs.has(p)) this.unlinkEntry(p);
  }

  async rmrf(path: string): Promise<void> {
    const p = this.norm(path);
    for (const q of [p, ...this.subtree(p)]) {
      this.files.delete(q);
      this.dirs.delete(q);
      this.children.delete(q);
    }
    this.unlinkEntry(p);
    if (p === '/') this.dirs.add('/');
  }

  async syncDir(path: string): Promise<void> {
    this.requireDir(this.norm(path));
  }

  async lock(path: string): Promise<FileLock> {
    const p = this.norm(path);
    if (this.locks.has(p)) throw elocked(p);
    const generation = this.generation;
    this.locks.add(p);
    try {
      await (await this.open(p, 'create')).close();
    } catch (err) {
      this.locks.delete(p);
      throw err;
    }
    let released = false;
    return {
      path: p,
      release: async () => {
        if (released) return;
        released = true;
        // A lock from before a crash died with its holder; a newer holder may own the path now.
        if (generation === this.generation) this.locks.delete(p);
      },
    };
  }
}
