// Storage append throughput vs a raw sequential write of the same bytes, in the same run.
// Usage: node --import tsx bench/storage-append.ts [--total-mib 512] [--batch-kib 1024] [--rounds 2] [--dir /tmp]
// Not a test. Each round writes the raw file and the log (fresh dirs, alternating which goes
// first). Timed: the writes only — Kafka's default flush policy leaves durability to the page
// cache, so neither side fsyncs inside the timed region (each fsyncs after it, untimed, so
// the next round starts with clean page cache). The best round of each is reported because
// the machine is shared and writeback makes single runs noisy.
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../src/base/clock.js';
import { silentLogger } from '../src/base/logger.js';
import { nodeFileSystem } from '../src/base/file-system.js';
import { LogManager } from '../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG } from '../src/storage/log-config.js';
import { makeBatch, type TestRecord } from '../test/storage/_batches.js';

function arg(name: string, fallback: number | string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : String(fallback);
}

const totalMiB = Number(arg('total-mib', 512));
const batchKiB = Number(arg('batch-kib', 1024));
const rounds = Number(arg('rounds', 4));
const baseDir = arg('dir', tmpdir());

// One batch of ~batchKiB made of 1 KiB records, reused (appendAsLeader only rewrites its header).
const records: TestRecord[] = [];
const recordValue = Buffer.alloc(1000, 120);
while (records.length * 1024 < batchKiB * 1024 - 1024) records.push({ key: `key-${records.length}`, value: recordValue });
const batch = makeBatch(records);
const count = Math.max(1, Math.round((totalMiB * 1024 * 1024) / batch.length));
const totalBytes = count * batch.length;

async function rawWrite(dir: string): Promise<number> {
  const fh = await open(join(dir, 'raw.bin'), 'w');
  const start = performance.now();
  let pos = 0;
  for (let i = 0; i < count; i++) {
    await fh.write(batch, 0, batch.length, pos);
    pos += batch.length;
  }
  const ms = performance.now() - start;
  await fh.sync();
  await fh.close();
  return ms;
}

async function logAppend(dir: string): Promise<number> {
  const logs = await LogManager.open({ fs: nodeFileSystem, dirs: [dir], clock: systemClock, logger: silentLogger });
  const log = await logs.create('bench', 0, { ...DEFAULT_LOG_CONFIG, cleanupPolicy: { ...DEFAULT_LOG_CONFIG.cleanupPolicy } });
  await log.appendAsLeader(batch, 0); // first append persists the leader epoch: not throughput
  const start = performance.now();
  for (let i = 1; i < count; i++) await log.appendAsLeader(batch, 0);
  const ms = ((performance.now() - start) * count) / (count - 1);
  await log.flush();
  await logs.close();
  return ms;
}

const mbps = (ms: number) => totalBytes / 1e6 / (ms / 1000);
let bestRaw = Infinity;
let bestLog = Infinity;
for (let r = 0; r < rounds; r++) {
  const dir = await mkdtemp(join(baseDir, 'sherwood-bench-'));
  try {
    if (r % 2 === 0) {
      bestRaw = Math.min(bestRaw, await rawWrite(dir));
      await rm(join(dir, 'raw.bin'));
      bestLog = Math.min(bestLog, await logAppend(join(dir, 'logs')));
    } else {
      bestLog = Math.min(bestLog, await logAppend(join(dir, 'logs')));
      bestRaw = Math.min(bestRaw, await rawWrite(dir));
      await rm(join(dir, 'raw.bin'));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

console.log(`storage append: ${count} batches of ${(batch.length / 1024).toFixed(0)} KiB (${(totalBytes / 1048576).toFixed(0)} MiB), best of ${rounds}`);
console.log('| mode                | seconds |   MB/s | ratio |');
console.log('|---------------------|--------:|-------:|------:|');
console.log(`| raw sequential write | ${(bestRaw / 1000).toFixed(2).padStart(7)} | ${mbps(bestRaw).toFixed(0).padStart(6)} |  1.00 |`);
console.log(`| log appendAsLeader  | ${(bestLog / 1000).toFixed(2).padStart(7)} | ${mbps(bestLog).toFixed(0).padStart(6)} | ${(bestRaw / bestLog).toFixed(2).padStart(5)} |`);
