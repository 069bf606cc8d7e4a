import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readlinkSync } from 'node:fs';
import { FileHandleCache } from '../../../src/storage/file-handle-cache.js';
import { readFully, type FileHandle } from '../../../src/base/file-system.js';
import { describeBothFs, type FsEnv } from '../../storage/_fs.js';

/**
 * Descriptors this process holds on files under `dir` (Linux). Counting every descriptor would
 * also count the test runner's own, which come and go while this test runs.
 */
function openFdsUnder(dir: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(`${dir}/`)) n++;
    } catch {
      // closed between the listing and the readlink
    }
  }
  return n;
}

/** What the underlying file system holds open: MemoryFileSystem's count, or the process's descriptors in the test's directory. */
function innerOpen(env: FsEnv): number {
  return env.memory !== undefined ? env.memory.stats.openHandles : openFdsUnder(env.dir);
}

async function tick(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

describeBothFs('file handle cache', (newEnv) => {
  it('never holds more files than the bound, whatever the handles and concurrent operations', async () => {
    const env = await newEnv();
    const cache = new FileHandleCache(env.fs, 4);
    const handles: FileHandle[] = [];
    for (let i = 0; i < 40; i++) {
      const h = await cache.open(`${env.dir}/f${i}`, 'create');
      await h.write(Buffer.from(`file ${i};`), 0);
      handles.push(h);
      assert.ok(cache.openFiles <= 4 && innerOpen(env) <= 4, `open ${cache.openFiles} / ${innerOpen(env)}`);
    }
    let maxInner = 0;
    const sampler = setInterval(() => (maxInner = Math.max(maxInner, innerOpen(env))), 0);
    try {
      // Every handle at once, several rounds: writes at the end, reads of the whole file, syncs, transients.
      for (let round = 0; round < 3; round++) {
        await Promise.all(handles.map(async (h, i) => {
          await h.write(Buffer.from(`r${round};`), await h.size());
          if (i % 7 === 0) await h.sync();
          if (i % 5 === 0) await cache.readFile(`${env.dir}/f${i}`);
        }));
        maxInner = Math.max(maxInner, innerOpen(env));
      }
    } finally {
      clearInterval(sampler);
    }
    assert.ok(cache.peakOpenFiles <= 4, `peak ${cache.peakOpenFiles}`);
    assert.ok(maxInner <= 4 && maxInner >= 1, `the file system held ${maxInner} files`); // ≥ 1: the count sees this test's files
    if (env.memory !== undefined) assert.ok(env.memory.stats.peakOpenHandles <= 4, `memory peak ${env.memory.stats.peakOpenHandles}`);
    assert.ok(cache.stats.evictions > 0 && cache.stats.opens > 40);
    // Evicted handles were reopened transparently: every file has all its writes, in order.
    for (let i = 0; i < handles.length; i++) {
      const h = handles[i]!;
      const buf = Buffer.alloc(await h.size());
      await h.read(buf, 0, buf.length, 0);
      assert.equal(buf.toString(), `file ${i};r0;r1;r2;`);
    }
    for (const h of handles) await h.close();
    await handles[0]!.close(); // idempotent
    assert.equal(cache.openFiles, 0);
    assert.equal(innerOpen(env), 0);
    await assert.rejects(handles[0]!.read(Buffer.alloc(1), 0, 1, 0), /closed/);
  });

  it('readSync reads through an open descriptor and declines (null) once evicted; readFully(preferSync) then reads asynchronously', async () => {
    const env = await newEnv();
    const cache = new FileHandleCache(env.fs, 1);
    const a = await cache.open(`${env.dir}/a`, 'create');
    await a.write(Buffer.from('recent bytes'), 0);
    const buf = Buffer.alloc(6);
    assert.equal(a.readSync!(buf, 0, 6, 7), 5);
    assert.equal(buf.subarray(0, 5).toString(), 'bytes');
    await (await cache.open(`${env.dir}/b`, 'create')).close(); // evicts a
    assert.equal(a.readSync!(buf, 0, 6, 0), null, 'no descriptor: no synchronous read');
    const out = Buffer.alloc(12);
    assert.equal(await readFully(a, out, 0, 12, 0, true), 12);
    assert.equal(out.toString(), 'recent bytes');
    assert.equal(a.readSync!(buf, 0, 6, 0), 6, 'reopened by the read: synchronous again');
    assert.equal(buf.toString(), 'recent');
    await a.close();
  });

  it('a reopen of a path that now holds another file, or none, fails instead of reading it', async () => {
    const env = await newEnv();
    const cache = new FileHandleCache(env.fs, 1);
    const a = await cache.open(`${env.dir}/a`, 'create');
    await a.write(Buffer.from('old'), 0);
    const b = await cache.open(`${env.dir}/b`, 'create'); // evicts a
    await b.write(Buffer.from('new'), 0);
    await env.fs.rename(`${env.dir}/b`, `${env.dir}/a`); // another file at a's path
    await assert.rejects(a.read(Buffer.alloc(3), 0, 3, 0), (e: { code?: string }) => e.code === 'ENOENT', 'replaced');
    const d = await cache.open(`${env.dir}/d`, 'create');
    await (await cache.open(`${env.dir}/e`, 'create')).close(); // evicts d
    await env.fs.unlink(`${env.dir}/d`);
    await assert.rejects(d.size(), (e: { code?: string }) => e.code === 'ENOENT', 'deleted');
    for (const h of [a, b, d]) await h.close();
    assert.equal(cache.openFiles, 0);
  });

  it('a pinned handle stays open (and reads its file after an unlink); waiters get the slot on unpin', async () => {
    const env = await newEnv();
    const cache = new FileHandleCache(env.fs, 1);
    const a = await cache.open(`${env.dir}/a`, 'create');
    await a.write(Buffer.from('kept'), 0);
    a.pin!();
    await a.size(); // open and pinned
    await env.fs.unlink(`${env.dir}/a`);
    let opened = false;
    const other = cache.open(`${env.dir}/b`, 'create').then((h) => {
      opened = true;
      return h;
    });
    await tick();
    assert.equal(opened, false, 'the only slot is pinned: the open waits');
    const buf = Buffer.alloc(4);
    assert.equal(await a.read(buf, 0, 4, 0), 4);
    assert.equal(buf.toString(), 'kept', 'the unlinked file is still read through the pinned descriptor');
    let read = false;
    const transient = cache.readFile(`${env.dir}/nothing`).catch(() => (read = true));
    a.unpin!();
    const b = await other;
    assert.equal(opened, true);
    await b.close();
    await transient;
    assert.equal(read, true, 'a transient use got a slot too');
    // a was evicted while unpinned: its file is gone, so its next use fails.
    await assert.rejects(a.size(), (e: { code?: string }) => e.code === 'ENOENT');
    await a.close();
    assert.equal(cache.openFiles, 0);
  });

  it('a handle is never closed under an operation in flight', async () => {
    const env = await newEnv();
    const cache = new FileHandleCache(env.fs, 2);
    const hs = await Promise.all(Array.from({ length: 6 }, (_, i) => cache.open(`${env.dir}/h${i}`, 'create')));
    const big = Buffer.alloc(1 << 20, 7);
    await Promise.all(hs.map((h) => h.write(big, 0)));
    await Promise.all(hs.map(async (h) => {
      const buf = Buffer.alloc(big.length);
      assert.equal(await h.read(buf, 0, buf.length, 0), big.length);
      assert.ok(buf.equals(big));
    }));
    for (const h of hs) await h.close();
    assert.equal(cache.openFiles, 0);
  });
});
