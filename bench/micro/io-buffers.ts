// The broker's I/O buffer paths, previous way next to the current one, same process, same run.
// Usage: node --import tsx bench/micro/io-buffers.ts [--ms 300] [--rounds 5]
// Not a test. Rows (old = what the code did before the issue-6 work, new = what it does now):
//   fetch read     pread of N bytes of a page-cached file into a fresh Buffer (old) or into a
//                  buffer from ioBufferPool, released after use (new) — LogSegment.read
//   fetch encode   a Fetch v12 response frame with the records copied into a growing Writer (old)
//                  or referenced as chunks (new, encodeResponseChunks) — request-router.ts
//   produce frame  a frame split over 64 KiB socket chunks joined with Buffer.concat (old) or
//                  into a pooled buffer, released after the append (new) — connection.ts
//   append         a positional write of N bytes through libuv's thread pool (old,
//                  FileHandle.write of node:fs/promises) or fs.writeSync (new) — file-system.ts
// Old and new rounds alternate and the best round of each is reported (MB/s or µs/op); the
// machine is shared, so compare the columns of one run, not runs.
import { mkdtempSync, openSync, readSync, rmSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ioBufferPool } from '../../src/base/buffer-pool.js';
import { Writer } from '../../src/protocol/primitives.js';
import { writeResponseHeader } from '../../src/protocol/headers.js';
import { Fetch, type FetchResponse } from '../../src/protocol/messages/fetch.js';
import { encodeResponseChunks } from '../../src/server/request-router.js';
import type { Handler } from '../../src/server/handler.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}
const measureMs = Number(arg('ms', '300'));
const rounds = Number(arg('rounds', '5'));

/** Runs fn repeatedly for measureMs; returns ms per op. */
async function time(fn: () => unknown | Promise<unknown>): Promise<number> {
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < measureMs) {
    const r = fn();
    if (r instanceof Promise) await r;
    n++;
    t = performance.now();
  }
  return (t - t0) / n;
}

async function compare(name: string, bytes: number, oldFn: () => unknown, newFn: () => unknown, unit: 'MB/s' | 'us'): Promise<void> {
  let bestOld = Infinity;
  let bestNew = Infinity;
  for (let i = 0; i < rounds; i++) {
    bestOld = Math.min(bestOld, await time(oldFn));
    bestNew = Math.min(bestNew, await time(newFn));
  }
  const fmt = (ms: number): string => (unit === 'MB/s' ? `${(bytes / 1e6 / (ms / 1000)).toFixed(0)} MB/s` : `${(ms * 1000).toFixed(1)} µs`);
  console.log(`${name.padEnd(34)} old ${fmt(bestOld).padStart(12)}   new ${fmt(bestNew).padStart(12)}   new/old time ${(bestNew / bestOld).toFixed(2)}`);
}

const dir = mkdtempSync(join(tmpdir(), 'sherwood-micro-io-'));
try {
  const file = join(dir, 'segment.log');
  writeFileSync(file, Buffer.alloc(64 << 20, 7));
  const fd = openSync(file, 'r');
  for (const size of [1 << 20, 16 << 20]) {
    let at = 0;
    const next = (): number => (at = (at + size) % (48 << 20));
    await compare(`fetch read ${size >> 20} MiB`, size,
      () => { const b = Buffer.allocUnsafe(size); readSync(fd, b, 0, size, next()); return b; },
      () => { const b = ioBufferPool.acquire(size); readSync(fd, b, 0, size, next()); ioBufferPool.release(b); return b; }, 'MB/s');
  }
  closeSync(fd);

  const handler = { api: Fetch, minVersion: 4, maxVersion: 17, handle: () => null } as unknown as Handler;
  for (const [parts, size] of [[1, 16 << 20], [6, 1 << 20]] as const) {
    const records = Array.from({ length: parts }, () => Buffer.alloc(size, 3));
    const res: FetchResponse = Fetch.response.empty(12);
    res.responses = [{
      topic: 't', topicId: Buffer.alloc(16),
      partitions: records.map((r, i) => ({
        partitionIndex: i, errorCode: 0, highWatermark: 5, lastStableOffset: 5, logStartOffset: 0,
        divergingEpoch: { epoch: -1, endOffset: -1 }, currentLeader: { leaderId: -1, leaderEpoch: -1 },
        snapshotId: { endOffset: -1, epoch: -1 }, abortedTransactions: null, preferredReadReplica: -1, records: r,
      })),
    }];
    await compare(`fetch encode ${parts} x ${size >> 20} MiB`, parts * size,
      () => {
        // The previous encodeResponseFrame: Writer(256) growing by doubling, records copied in.
        const w = new Writer(256);
        const at = w.reserve(4);
        writeResponseHeader(w, 1, true);
        Fetch.response.write(w, res, 12);
        w.buf.writeInt32BE(w.pos - at - 4, at);
        return w.toBuffer();
      },
      () => encodeResponseChunks(handler, 12, 1, res), 'MB/s');
  }

  const pieces = Array.from({ length: 16 }, () => Buffer.alloc(64 * 1024, 5));
  await compare('produce frame 1 MiB (16 pieces)', 1 << 20,
    () => Buffer.concat(pieces, 1 << 20),
    () => {
      const out = ioBufferPool.acquire(1 << 20);
      let at = 0;
      for (const p of pieces) { p.copy(out, at); at += p.length; }
      ioBufferPool.release(out);
      return out;
    }, 'MB/s');

  const wfile = join(dir, 'append.log');
  const fh = await fsp.open(wfile, 'w+');
  for (const size of [1024, 16 * 1024, 1 << 20]) {
    const buf = Buffer.alloc(size, 9);
    let pos = 0;
    const nextPos = (): number => { const p = pos; pos = (pos + size) % (32 << 20); return p; };
    await compare(`append ${size >= 1 << 20 ? `${size >> 20} MiB` : `${size >> 10} KiB`}`, size,
      () => fh.write(buf, 0, size, nextPos()),
      () => writeSync(fh.fd, buf, 0, size, nextPos()), 'us');
  }
  await fh.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
