// A MemoryFileSystem view that simulates a crash (memory.crash()) right before the N-th
// file-creating, renaming, unlinking or directory-syncing operation: the storage suites use it
// to crash at every step of a compaction swap.
import type { MemoryFileSystem, FileSystem, OpenMode } from '../../src/base/file-system.js';

/** Calls memory.crash() and throws at the `crashAt`-th directory operation once armed. */
export function crashingFs(memory: MemoryFileSystem): { fs: FileSystem; arm(crashAt: number): void; ops: string[] } {
  let armed = false;
  let crashAt = -1;
  const ops: string[] = [];
  const step = (what: string): void => {
    if (!armed) return;
    if (ops.length === crashAt) {
      armed = false;
      memory.crash();
      throw new Error(`injected crash before ${what}`);
    }
    ops.push(what);
  };
  const fs: FileSystem = Object.create(memory) as FileSystem;
  Object.assign(fs, {
    open: (path: string, mode: OpenMode) => {
      if (mode === 'create') step(`create ${path}`);
      return memory.open(path, mode);
    },
    rename: async (a: string, b: string) => {
      step(`rename ${a} ${b}`);
      return memory.rename(a, b);
    },
    unlink: async (p: string) => {
      step(`unlink ${p}`);
      return memory.unlink(p);
    },
    syncDir: async (p: string) => {
      step(`syncDir ${p}`);
      return memory.syncDir(p);
    },
    writeFileAtomic: async (p: string, d: Buffer) => {
      step(`writeFileAtomic ${p}`);
      return memory.writeFileAtomic(p, d);
    },
  });
  return { fs, ops, arm: (n) => ((armed = true), (crashAt = n), ops.splice(0)) };
}

