/** The errors both FileSystem implementations raise, shaped like node:fs errors. */
import { StorageError } from './errors.js';

export function enoent(path: string): Error {
  const err = new Error(`ENOENT: no such file or directory, '${path}'`) as Error & { code: string };
  err.code = 'ENOENT';
  return err;
}

/** A path component longer than NAME_MAX (255 bytes on Linux file systems). */
export function enametoolong(path: string): Error {
  const err = new Error(`ENAMETOOLONG: name too long, '${path}'`) as Error & { code: string };
  err.code = 'ENAMETOOLONG';
  return err;
}

export function eio(what: string, path: string): StorageError {
  const cause = Object.assign(new Error(`EIO: i/o error, ${what} '${path}'`), { code: 'EIO' });
  return new StorageError(`${what} failed for ${path}`, { cause });
}

/** True when err is a missing-file error from either FileSystem. */
export function isNotFound(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === 'ENOENT';
}
