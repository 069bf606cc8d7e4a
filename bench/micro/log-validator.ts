// validateRecords (src/cluster/log-validator.ts): the previous version next to the current one,
// on the same batches in the same run.
// Usage: node --import tsx bench/micro/log-validator.ts [--ms 300] [--rounds 5] [--old-rev c785f4c]
// Not a test. The old version is read from git (`git show <rev>:src/cluster/log-validator.ts`,
// read-only) into a temp file whose imports point back at this tree's src/protocol, so both
// run against the same codecs. Batches: 1 KiB records (semi-compressible text), 16 KiB and
// 1 MiB batches, every codec, topic compression.type `producer` (store as sent). The old
// version never decompressed on a non-compacted topic, so on compressed batches the "new"
// column includes the decompression and record walk that Kafka's LogValidator also does. The
// last rows time re-encoding (compression.type different from the batch's codec), which the old
// version did not do at all. Old and new rounds alternate and the best round of each is
// reported; the machine is shared, so compare columns of one run, not runs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { validateRecords as validateNew, type ValidationConfig, type CompressionType } from '../../src/cluster/log-validator.js';
import { encodeBatch } from '../../src/protocol/records.js';
import { Compression } from '../../src/protocol/record-batch.js';
import { compressionName } from '../../src/protocol/compression.js';

type Validate = (records: Buffer, config: ValidationConfig, nowMs: number) => { ok: boolean };

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const measureMs = Number(arg('ms', '300'));
const rounds = Number(arg('rounds', '5'));
// c785f4c: the validator that checked compressed batches only through their header.
const oldRev = arg('old-rev', 'c785f4c');

async function loadOld(): Promise<Validate> {
  const source = execFileSync('git', ['show', `${oldRev}:src/cluster/log-validator.ts`], { cwd: ROOT, encoding: 'utf8' });
  const protocolUrl = pathToFileURL(join(ROOT, 'src', 'protocol')).href;
  const dir = mkdtempSync(join(tmpdir(), 'sherwood-bench-'));
  const file = join(dir, 'log-validator-old.ts');
  writeFileSync(file, source.replaceAll("from '../protocol/", `from '${protocolUrl}/`));
  try {
    const mod = (await import(pathToFileURL(file).href)) as { validateRecords: Validate };
    return mod.validateRecords;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Deterministic, semi-compressible 1 KiB values (JSON-ish text with varying digits).
let seed = 12345;
function nextRandom(): number {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed;
}
function value(i: number): Buffer {
  let s = '';
  while (s.length < 1000) s += `{"id":${i},"user":"u${nextRandom() % 10000}","amount":${nextRandom() % 100000},"ok":true},`;
  return Buffer.from(s.slice(0, 1000));
}

const now = Date.now();
function makeBatch(totalBytes: number, compression: Compression): { batch: Buffer; count: number } {
  const records = [];
  for (let i = 0; i * 1024 < totalBytes; i++) records.push({ key: `key-${i}`, value: value(i), timestamp: now });
  return { batch: encodeBatch({ records, compression, producerId: 1, producerEpoch: 0, baseSequence: 0 }), count: records.length };
}

const config: ValidationConfig = {
  maxMessageBytes: 8 * 1024 * 1024,
  segmentBytes: 1 << 30,
  compacted: false,
  timestampType: 'CreateTime',
  timestampBeforeMaxMs: Number.MAX_SAFE_INTEGER,
  timestampAfterMaxMs: 3600_000,
};

/** Calls per second of fn over measureMs (after a short warm-up). */
function measure(fn: () => void): number {
  const warmEnd = performance.now() + measureMs / 4;
  while (performance.now() < warmEnd) fn();
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    for (let i = 0; i < 8; i++) fn();
    calls += 8;
    elapsed = performance.now() - start;
  } while (elapsed < measureMs);
  return (calls * 1000) / elapsed;
}

function best(fn: () => void): number {
  let top = 0;
  for (let r = 0; r < rounds; r++) top = Math.max(top, measure(fn));
  return top;
}

/** Best of `rounds` for each, old and new alternating so load from others hits both alike. */
function bestPair(oldFn: () => void, newFn: () => void): [number, number] {
  let topOld = 0;
  let topNew = 0;
  for (let r = 0; r < rounds; r++) {
    topOld = Math.max(topOld, measure(oldFn));
    topNew = Math.max(topNew, measure(newFn));
  }
  return [topOld, topNew];
}

function check(v: Validate, batch: Buffer, cfg: ValidationConfig): void {
  const r = v(batch, cfg, now) as { ok: boolean; errorMessage?: string };
  if (!r.ok) throw new Error(`bench batch rejected: ${r.errorMessage}`);
}

const validateOld = await loadOld();
const rows: string[][] = [];
const fmt = (n: number): string => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
for (const sizeKiB of [16, 1024]) {
  for (const codec of [Compression.None, Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd]) {
    const { batch, count } = makeBatch(sizeKiB * 1024, codec);
    check(validateOld, batch, config);
    check(validateNew, batch, config);
    const [oldOps, newOps] = bestPair(() => validateOld(batch, config, now), () => validateNew(batch, config, now));
    const mb = (count * 1024) / 1e6; // uncompressed record bytes per call
    rows.push([`${sizeKiB} KiB`, compressionName(codec), 'producer', String(batch.length), fmt(oldOps), fmt(newOps), fmt(oldOps * mb), fmt(newOps * mb), (newOps / oldOps).toFixed(2)]);
  }
  // Re-encoding: only the new version does it.
  for (const [codec, target] of [[Compression.None, 'zstd'], [Compression.Gzip, 'zstd'], [Compression.Zstd, 'uncompressed']] as [Compression, CompressionType][]) {
    const { batch, count } = makeBatch(sizeKiB * 1024, codec);
    const cfg = { ...config, compressionType: target };
    check(validateNew, batch, cfg);
    const newOps = best(() => validateNew(batch, cfg, now));
    rows.push([`${sizeKiB} KiB`, compressionName(codec), target, String(batch.length), '-', fmt(newOps), '-', fmt(newOps * (count * 1024) / 1e6), '-']);
  }
}

const header = ['batch', 'codec', 'compression.type', 'bytes', 'old calls/s', 'new calls/s', 'old MB/s', 'new MB/s', 'new/old'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
console.log(`validateRecords, old (${oldRev}) vs new; 1 KiB records; MB/s counts uncompressed record bytes; best of ${rounds} x ${measureMs} ms`);
console.log(line(header));
for (const r of rows) console.log(line(r));
