// Runs a storage suite on both file systems: the real disk (a fresh temp dir per test) and
// MemoryFileSystem (fault injection). Model: nats-server testAllStoreAllPermutations.
import { after, describe } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryFileSystem, nodeFileSystem, type FileSystem } from '../../src/base/file-system.js';

export interface FsEnv {
  kind: 'disk' | 'memory';
  fs: FileSystem;
  /** Set for the memory FS. */
  memory?: MemoryFileSystem;
  dir: string;
  cleanup(): Promise<void>;
}

export async function makeEnv(kind: 'disk' | 'memory', seed = 1): Promise<FsEnv> {
  if (kind === 'disk') {
    const dir = await mkdtemp(join(tmpdir(), 'sherwood-storage-'));
    return { kind, fs: nodeFileSystem, dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
  }
  const memory = new MemoryFileSystem({ seed });
  await memory.mkdirp('/data');
  return { kind, fs: memory, memory, dir: '/data', cleanup: async () => undefined };
}

/** describe(name) once per file system; `body` gets a factory for a fresh environment. */
export function describeBothFs(name: string, body: (newEnv: () => Promise<FsEnv>, kind: 'disk' | 'memory') => void): void {
  for (const kind of ['disk', 'memory'] as const) {
    describe(`${name} [${kind}]`, () => {
      const envs: FsEnv[] = [];
      body(async () => {
        const env = await makeEnv(kind);
        envs.push(env);
        return env;
      }, kind);
      after(async () => {
        for (const env of envs.splice(0)) await env.cleanup();
      });
    });
  }
}
