// PartitionLog.appendAsLeader with and without producer state: plain batches (no producer id)
// next to idempotent ones (one producer, sequences in order), both of one 1 KiB record, on the
// same log type in the same run. What it isolates: the cost of the sequence/duplicate checks and
// the state update inside the append queue (issue 11 wants idempotent produce within 10% of
// plain end to end, so the storage part has to be a small fraction of that).
// Usage: node --import tsx bench/micro/producer-state-append.ts [--appends 50000] [--rounds 5] [--fs memory|disk|both]
// Not a test. Each round appends `appends` batches to a fresh log for each variant (alternating
// which goes first) and reports the best round: ns per append and the ratio. The sequence is
// bumped in place in one reused batch (the log does not check CRCs, the validator before it
// does), so neither side pays for building batches.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../src/base/clock.js';
import { silentLogger } from '../../src/base/logger.js';
import { MemoryFileSystem, nodeFileSystem, type FileSystem } from '../../src/base/file-system.js';
import { LogManager } from '../../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG } from '../../src/storage/log-config.js';
import { makeBatch } from '../../test/storage/_batches.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

const appends = Number(arg('appends', '50000'));
const rounds = Number(arg('rounds', '5'));
const which = arg('fs', 'both');

const value = Buffer.alloc(1000, 120);
const plain = makeBatch([{ key: 'key', value }]);
const idempotent = makeBatch([{ key: 'key', value }], { producerId: 4242, producerEpoch: 0, baseSequence: 0 });

async function run(fs: FileSystem, dir: string, batch: Buffer, withSequence: boolean): Promise<number> {
  const logs = await LogManager.open({ fs, dirs: [dir], clock: new ManualClock(), logger: silentLogger });
  const log = await logs.create('bench', 0, { ...DEFAULT_LOG_CONFIG, cleanupPolicy: { ...DEFAULT_LOG_CONFIG.cleanupPolicy } });
  batch.writeInt32BE(0, 53);
  await log.appendAsLeader(batch, 0); // the first append persists the leader epoch
  const start = process.hrtime.bigint();
  for (let i = 1; i <= appends; i++) {
    if (withSequence) batch.writeInt32BE(i, 53);
    await log.appendAsLeader(batch, 0);
  }
  const ns = Number(process.hrtime.bigint() - start) / appends;
  if (withSequence && log.activeProducers()[0]?.lastSequence !== appends) throw new Error('idempotent appends were rejected');
  await logs.close();
  return ns;
}

async function bench(kind: 'memory' | 'disk'): Promise<void> {
  let bestPlain = Infinity;
  let bestIdem = Infinity;
  for (let r = 0; r < rounds; r++) {
    for (const variant of r % 2 === 0 ? ['plain', 'idempotent'] : ['idempotent', 'plain']) {
      const base = kind === 'disk' ? await mkdtemp(join(tmpdir(), 'sherwood-bench-')) : '/bench';
      const fs: FileSystem = kind === 'disk' ? nodeFileSystem : new MemoryFileSystem({ trackDurability: false });
      try {
        const ns = await run(fs, `${base}/logs`, variant === 'plain' ? plain : idempotent, variant === 'idempotent');
        if (variant === 'plain') bestPlain = Math.min(bestPlain, ns);
        else bestIdem = Math.min(bestIdem, ns);
      } finally {
        if (kind === 'disk') await rm(base, { recursive: true, force: true });
      }
    }
  }
  console.log(`${kind.padEnd(6)}  plain ${bestPlain.toFixed(0).padStart(6)} ns/append   idempotent ${bestIdem.toFixed(0).padStart(6)} ns/append   ratio ${(bestIdem / bestPlain).toFixed(3)}`);
}

console.log(`appendAsLeader of one 1 KiB record, ${appends} appends, best of ${rounds} rounds`);
if (which === 'memory' || which === 'both') await bench('memory');
if (which === 'disk' || which === 'both') await bench('disk');
