/**
 * Disk access is injected. Storage and metadata code only see this FileSystem interface, so
 * every storage test runs twice: on the real disk (`nodeFileSystem`) and on `MemoryFileSystem`,
 * which can fail an fsync, tear a write, and on `crash()` lose everything that was written to a
 * file after that file's last successful sync (the page cache of a machine that lost power).
 *
 * Contract:
 * - open(path, 'read')      an existing file, read only.
 *   open(path, 'readwrite') an existing file, read and write.
 *   open(path, 'create')    read and write, created empty when missing (never truncated).
 *   A missing file for 'read'/'readwrite' rejects with an error whose `code` is 'ENOENT'.
 * - FileHandle.write(buf, position?) writes all of buf at position (at the end of the file when
 *   position is omitted); writev writes the buffers back to back. Positional, no O_APPEND.
 * - writeFileAtomic writes a temp file, fsyncs it, renames it over the target and fsyncs the
 *   directory, so readers see either the old or the new content, never a mix.
 * - Directory operations (create, rename, unlink) of MemoryFileSystem are durable at once;
 *   only file contents are subject to crash loss. Real disks need syncDir for that, and the
 *   storage code calls it where Kafka would.
 * - lock(path) takes an exclusive lock named by a file in an existing directory (the file is
 *   created if missing and left behind on release, like Kafka's `.lock`), or rejects with an
 *   error whose `code` is 'EWOULDBLOCK' (isLockHeld) when anyone holds it: another process or
 *   this one. A lock is released by release() and by the death of its process (kill -9
 *   included; for MemoryFileSystem, by crash()). How the real disk does it: ./file-lock.ts.
 */
import * as fsp from 'node:fs/promises';
import { constants as fsConstants, readSync, writeSync } from 'node:fs';
import * as pathNode from 'node:path';
import { lockFile, type FileLock } from './file-lock.js';

export type OpenMode = 'read' | 'readwrite' | 'create';

export interface FileHandle {
  /**
   * Identifies the file (device and inode on disk): a file that replaced it at the same path
   * (renamed over it, or deleted and created again) has another id.
   */
  readonly fileId?: string;
  /**
   * Present on handles that may close their descriptor while idle (storage's FileHandleCache):
   * between pin() and unpin() an opened descriptor stays open, so reads keep seeing this file
   * even if the path is unlinked or replaced meanwhile, as with a plain descriptor.
   */
  pin?(): void;
  unpin?(): void;
  read(buf: Buffer, bufOffset: number, length: number, position: number): Promise<number>;
  /**
   * As read, synchronously (no thread-pool round trip), for bytes that are almost certainly in
   * the page cache; null when the handle cannot right now (its descriptor is closed): use read.
   */
  readSync?(buf: Buffer, bufOffset: number, length: number, position: number): number | null;
  write(buf: Buffer, position?: number): Promise<void>;
  writev?(bufs: Buffer[], position: number): Promise<void>;
  sync(): Promise<void>;
  truncate(size: number): Promise<void>;
  size(): Promise<number>;
  close(): Promise<void>;
}

export interface FileSystem {
  open(path: string, mode: OpenMode): Promise<FileHandle>;
  readFile(path: string): Promise<Buffer>;
  writeFileAtomic(path: string, data: Buffer): Promise<void>;
  exists(path: string): Promise<boolean>;
  mkdirp(path: string): Promise<void>;
  readdir(path: string): Promise<string[]>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  rmrf(path: string): Promise<void>;
  syncDir(path: string): Promise<void>;
  lock(path: string): Promise<FileLock>;
}

/**
 * Reads exactly `length` bytes at `position` or fewer at end of file; returns the bytes read.
 * `preferSync`: through readSync when the handle can (recently written bytes).
 */
export async function readFully(fh: FileHandle, buf: Buffer, bufOffset: number, length: number, position: number, preferSync = false): Promise<number> {
  let done = 0;
  if (preferSync && fh.readSync !== undefined) {
    while (done < length) {
      const n = fh.readSync(buf, bufOffset + done, length - done, position + done);
      if (n === null) break;
      if (n <= 0) return done;
      done += n;
    }
  }
  while (done < length) {
    const n = await fh.read(buf, bufOffset + done, length - done, position + done);
    if (n <= 0) break;
    done += n;
  }
  return done;
}


// ---------------------------------------------------------------------------------------------
// Real disk

/**
 * Writes up to this size go straight into the page cache with a synchronous pwrite on the
 * event loop, as Kafka's request threads do, instead of a round trip through libuv's thread
 * pool (two thread hand-offs and an event-loop wake-up per write: about 4 futex calls and
 * 0.1 ms of latency per Produce, measured with strace). Larger writes, which may block for
 * milliseconds when the kernel must find free pages, stay on the thread pool.
 */
export const SYNC_WRITE_MAX_BYTES = 1024 * 1024;

class NodeFileHandle implements FileHandle {
  constructor(private readonly fh: fsp.FileHandle, private endPosition: number, readonly fileId: string) {}

  readSync(buf: Buffer, bufOffset: number, length: number, position: number): number {
    return readSync(this.fh.fd, buf, bufOffset, length, position);
  }

  async read(buf: Buffer, bufOffset: number, length: number, position: number): Promise<number> {
    const { bytesRead } = await this.fh.read(buf, bufOffset, length, position);
    return bytesRead;
  }

  async write(buf: Buffer, position?: number): Promise<void> {
    let pos = position ?? this.endPosition;
    let off = 0;
    if (buf.length <= SYNC_WRITE_MAX_BYTES) {
      const fd = this.fh.fd;
      while (off < buf.length) {
        const n = writeSync(fd, buf, off, buf.length - off, pos);
        off += n;
        pos += n;
      }
    }
    while (off < buf.length) {
      const { bytesWritten } = await this.fh.write(buf, off, buf.length - off, pos);
      off += bytesWritten;
      pos += bytesWritten;
    }
    if (pos > this.endPosition) this.endPosition = pos;
  }

  async writev(bufs: Buffer[], position: number): Promise<void> {
    let total = 0;
    for (const b of bufs) total += b.length;
    const { bytesWritten } = await this.fh.writev(bufs, position);
    if (bytesWritten < total) {
      // Short writev (rare on regular files): finish the remainder with plain writes.
      let skip = bytesWritten;
      let pos = position + bytesWritten;
      for (const b of bufs) {
        if (skip >= b.length) { skip -= b.length; continue; }
        const rest = b.subarray(skip);
        skip = 0;
        await this.write(rest, pos);
        pos += rest.length;
      }
    }
    if (position + total > this.endPosition) this.endPosition = position + total;
  }

  async sync(): Promise<void> {
    await this.fh.sync();
  }

  async truncate(size: number): Promise<void> {
    await this.fh.truncate(size);
    this.endPosition = size;
  }

  async size(): Promise<number> {
    return (await this.fh.stat()).size;
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

export const nodeFileSystem: FileSystem = {
  async open(path, mode) {
    const flags =
      mode === 'read' ? fsConstants.O_RDONLY
      : mode === 'readwrite' ? fsConstants.O_RDWR
      : fsConstants.O_RDWR | fsConstants.O_CREAT;
    const fh = await fsp.open(path, flags, 0o644);
    try {
      const st = await fh.stat();
      return new NodeFileHandle(fh, st.size, `${st.dev}:${st.ino}`);
    } catch (err) {
      await fh.close();
      throw err;
    }
  },
  readFile: (path) => fsp.readFile(path),
  async writeFileAtomic(path, data) {
    const tmp = `${path}.tmp`;
    const fh = await fsp.open(tmp, 'w', 0o644);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, path);
    await nodeFileSystem.syncDir(pathNode.dirname(path));
  },
  async exists(path) {
    try {
      await fsp.access(path);
      return true;
    } catch {
      return false;
    }
  },
  async mkdirp(path) {
    await fsp.mkdir(path, { recursive: true });
  },
  readdir: (path) => fsp.readdir(path),
  rename: (from, to) => fsp.rename(from, to),
  unlink: (path) => fsp.unlink(path),
  rmrf: (path) => fsp.rm(path, { recursive: true, force: true }),
  async syncDir(path) {
    const fh = await fsp.open(path, 'r');
    try {
      await fh.sync();
    } catch (err) {
      // Some file systems refuse fsync on a directory; the rename is then as durable as it gets.
      if ((err as { code?: string }).code !== 'EINVAL') throw err;
    } finally {
      await fh.close();
    }
  },
  lock: (path) => lockFile(path),
};

export { isNotFound } from './fs-errors.js';
export { isLockHeld, type FileLock } from './file-lock.js';
export { MemoryFileSystem, type MemoryFileSystemOptions } from './memory-file-system.js';
