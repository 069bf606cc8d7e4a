// The cost of storage's FileHandleCache on the hot path, plain FileSystem next to the cache,
// same process, same run.
// Usage: node --import tsx bench/micro/file-handle-cache.ts [--ms 400] [--rounds 5] [--partitions 4]
// Not a test. Rows:
//   append 1 KiB   PartitionLog.appendAsLeader of a 1 KiB batch, round-robin over the partitions,
//                  on nodeFileSystem (old) or through a FileHandleCache large enough to keep every
//                  file open (new: the usual case, a Map touch per operation)
//   read 1 KiB     PartitionLog.read of one such batch, same two set-ups
//   append, evict  the same appends through a cache of `partitions / 2` files: every append
//                  reopens its segment (what a broker pays when its active set exceeds the bound)
// Old and new rounds alternate and the best round of each is reported (µs/op); the machine is
// shared, so compare the columns of one run, not runs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../src/base/clock.js';
import { silentLogger } from '../../src/base/logger.js';
import { nodeFileSystem, type FileSystem } from '../../src/base/file-system.js';
import { FileHandleCache } from '../../src/storage/file-handle-cache.js';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { DEFAULT_LOG_CONFIG } from '../../src/storage/log-config.js';
import { encodeBatch } from '../../src/protocol/records.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}
const measureMs = Number(arg('ms', '400'));
const rounds = Number(arg('rounds', '5'));
const partitions = Number(arg('partitions', '4'));

const batch = encodeBatch({ records: [{ key: 'k', value: Buffer.alloc(1000, 1) }] });

async function openLogs(fs: FileSystem, dir: string): Promise<PartitionLog[]> {
  const logs: PartitionLog[] = [];
  for (let p = 0; p < partitions; p++) {
    logs.push(await PartitionLog.open({ fs, dir: join(dir, `t-${p}`), topic: 't', partition: p, config: { ...DEFAULT_LOG_CONFIG }, clock: systemClock, logger: silentLogger, cleanShutdown: true }));
  }
  return logs;
}

async function timed(fn: (i: number) => Promise<unknown>): Promise<number> {
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < measureMs) {
    for (let k = 0; k < 64; k++) await fn(n++);
  }
  return ((performance.now() - start) * 1000) / n;
}

async function run(kind: 'old' | 'new' | 'evict'): Promise<{ append: number; read: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'sherwood-fhc-bench-'));
  try {
    const fs = kind === 'old' ? nodeFileSystem : new FileHandleCache(nodeFileSystem, kind === 'new' ? 1024 : Math.max(1, Math.floor(partitions / 2)));
    const logs = await openLogs(fs, dir);
    const append = await timed((i) => logs[i % partitions]!.appendAsLeader(Buffer.from(batch), 0));
    const read = await timed((i) => {
      const log = logs[i % partitions]!;
      return log.read(i % log.logEndOffset, 2048, log.logEndOffset);
    });
    for (const l of logs) await l.closeWithoutFlush();
    return { append, read };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const best = { old: { append: Infinity, read: Infinity }, new: { append: Infinity, read: Infinity }, evict: { append: Infinity, read: Infinity } };
for (let r = 0; r < rounds; r++) {
  const order: ('old' | 'new' | 'evict')[] = r % 2 === 0 ? ['old', 'new', 'evict'] : ['evict', 'new', 'old'];
  for (const kind of order) {
    const m = await run(kind);
    best[kind].append = Math.min(best[kind].append, m.append);
    best[kind].read = Math.min(best[kind].read, m.read);
  }
}
const f = (x: number): string => x.toFixed(2).padStart(8);
console.log(`partitions ${partitions}, best of ${rounds} rounds, µs/op`);
console.log(`             plain fs   cache   cache (evicting)`);
console.log(`append 1 KiB ${f(best.old.append)} ${f(best.new.append)} ${f(best.evict.append)}`);
console.log(`read 1 KiB   ${f(best.old.read)} ${f(best.new.read)} ${f(best.evict.read)}`);
