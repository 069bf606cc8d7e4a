/**
 * Exclusive locks on the real disk, for FileSystem.lock (see the contract in ./file-system.ts):
 * at most one holder per lock file, across processes and within one; released by release()
 * and by the death of the holding process, however it dies (kill -9 included).
 *
 * Node has no flock(2). On Linux the mutual exclusion is an abstract-namespace Unix socket
 * bound to a name derived from the lock file's directory (device and inode number, so every
 * spelling of the path, symlinks included, maps to one name) and the lock file's name:
 * - bind(2) of a name that is already bound fails with EADDRINUSE, atomically, in the kernel:
 *   two brokers starting at the same moment cannot both win, and a second broker in the same
 *   process is refused exactly like one in another process;
 * - the kernel unbinds the name when the socket is closed, which happens when the process
 *   exits for any reason. There is no stale lock to detect and no pid to compare, so a
 *   recycled pid can never be mistaken for the holder (the weakness of pid files, even with
 *   the start time from /proc/<pid>/stat, which also leave a race between "the holder is
 *   dead" and taking its lock over);
 * - the socket is opened close-on-exec (libuv does that), so child processes do not inherit it.
 * The lock file itself is still created and holds `pid=<holder pid>`, for people and tools
 * that look for Kafka's `.lock`; its content is never trusted. Limits: the name lives in the
 * network namespace, so two containers with separate network namespaces sharing one volume
 * do not see each other's locks (pid files fail there too), and a network file system shared
 * by two machines is not protected (as with Kafka's flock on NFS).
 *
 * Other platforms have no abstract namespace: there the lock is the lock file created with
 * O_EXCL, holding the holder's pid; a file whose pid is not a live process (or is our own pid
 * but not in our registry: a previous life of this process id) is stale and taken over. That is
 * a best effort (a recycled pid keeps a dead holder's lock until the file is removed); an
 * in-process registry makes two holders in one process conflict.
 */
import * as fsp from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import { createHash } from 'node:crypto';
import net from 'node:net';
import * as pathNode from 'node:path';

/** A held lock; release() is idempotent. */
export interface FileLock {
  readonly path: string;
  release(): Promise<void>;
}

/** The lock is held by someone else (flock's EWOULDBLOCK). */
export function elocked(path: string): Error {
  const err = new Error(`EWOULDBLOCK: lock ${path} is held by another process or by this one`) as Error & { code: string };
  err.code = 'EWOULDBLOCK';
  return err;
}

/** True when err is lock() refusing a lock that is held. */
export function isLockHeld(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === 'EWOULDBLOCK';
}

export type LockStrategy = 'abstract-socket' | 'pid-file';

export const DEFAULT_LOCK_STRATEGY: LockStrategy = process.platform === 'linux' ? 'abstract-socket' : 'pid-file';

/** Takes the lock at `path` (a file in an existing directory) or rejects with isLockHeld. */
export async function lockFile(path: string, strategy: LockStrategy = DEFAULT_LOCK_STRATEGY): Promise<FileLock> {
  return strategy === 'abstract-socket' ? lockWithAbstractSocket(path) : lockWithPidFile(path);
}

// ---- Linux: abstract-namespace socket ----------------------------------------------------------

async function lockWithAbstractSocket(path: string): Promise<FileLock> {
  const dir = await fsp.stat(pathNode.dirname(path));
  const id = createHash('sha256').update(`${dir.dev}:${dir.ino}/${pathNode.basename(path)}`).digest('hex').slice(0, 40);
  const server = net.createServer();
  // Nobody has anything to say to a lock: connections are closed as they arrive.
  server.maxConnections = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? elocked(path) : err));
    server.listen({ path: `\0sherwood-lock-${id}`, exclusive: true }, () => resolve());
  });
  // The lock must not keep the process alive.
  server.unref();
  try {
    await fsp.writeFile(path, `pid=${process.pid}\n`, { mode: 0o644 });
  } catch (err) {
    server.close();
    throw err;
  }
  let released: Promise<void> | undefined;
  return {
    path,
    release: () => (released ??= new Promise<void>((resolve) => server.close(() => resolve()))),
  };
}

// ---- Elsewhere: pid file ---------------------------------------------------------------------

const held = new Set<string>();

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function lockWithPidFile(path: string): Promise<FileLock> {
  const key = pathNode.join(await fsp.realpath(pathNode.dirname(path)), pathNode.basename(path));
  if (held.has(key)) throw elocked(path);
  held.add(key);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        const fh = await fsp.open(path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o644);
        try {
          await fh.writeFile(`pid=${process.pid}\n`);
        } finally {
          await fh.close();
        }
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      }
      const text = await fsp.readFile(path, 'utf8').catch(() => '');
      const pid = Number(/pid=(\d+)/.exec(text)?.[1] ?? NaN);
      if (Number.isSafeInteger(pid) && pid !== process.pid && processAlive(pid)) throw elocked(path);
      await fsp.rm(path, { force: true });
    }
  } catch (err) {
    held.delete(key);
    throw err;
  }
  let released: Promise<void> | undefined;
  return {
    path,
    release: () => (released ??= (async () => {
      held.delete(key);
      await fsp.rm(path, { force: true });
    })()),
  };
}
