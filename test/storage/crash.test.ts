// Real-disk crash test: a child process appends and acknowledges batches, the parent SIGKILLs it
// mid-stream, reopens the log and checks every acknowledged batch is present byte-exact and
// nothing but valid batches follows. Variant 1: flushMessages=1 (acknowledged = fsynced).
// Variant 2: default flushing (acknowledged = written to the page cache, which survives a
// process kill).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../src/base/clock.js';
import { silentLogger } from '../../src/base/logger.js';
import { nodeFileSystem } from '../../src/base/file-system.js';
import { LogManager } from '../../src/storage/log-manager.js';
import { checkBatch, setBaseOffset, setPartitionLeaderEpoch } from '../../src/protocol/record-batch.js';
import { crashBatch } from './_crash-batches.js';
import { splitBatches } from './_batches.js';

async function runAndKill(dir: string, flushMessages: number, killAfterAcks: number): Promise<Map<number, number>> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/storage/_crash-writer.ts', dir, String(flushMessages)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const acked = new Map<number, number>();
  let buffered = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('crash writer timed out'));
    }, 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const m = /^ack (\d+) (\d+)$/.exec(line);
        if (m !== null) acked.set(Number(m[1]), Number(m[2]));
        if (acked.size >= killAfterAcks && child.exitCode === null && !child.killed) child.kill('SIGKILL');
      }
    });
    child.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.on('error', reject);
  });
  return acked;
}

for (const flushMessages of [1, Number.MAX_SAFE_INTEGER]) {
  it(`SIGKILL mid-stream keeps every acknowledged batch (flushMessages=${flushMessages === 1 ? 1 : 'default'})`, { timeout: 60_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sherwood-crash-'));
    try {
      const killAfter = 150 + Math.floor(Math.random() * 300);
      const acked = await runAndKill(dir, flushMessages, killAfter);
      assert.ok(acked.size >= killAfter, `child acknowledged ${acked.size}`);
      const logs = await LogManager.open({ fs: nodeFileSystem, dirs: [dir], clock: new ManualClock(), logger: silentLogger });
      const log = logs.get('crash', 0)!;
      assert.ok(log, 'log recovered');
      const present: Buffer[] = [];
      let offset = 0;
      while (offset < log.logEndOffset) {
        const got = splitBatches((await log.read(offset, 1 << 20, log.logEndOffset)).records);
        assert.ok(got.length > 0);
        present.push(...got);
        const last = got[got.length - 1]!;
        offset = last.readInt32BE(4) + last.readInt32BE(23) + 1;
      }
      assert.ok(present.length >= acked.size, `present ${present.length} < acknowledged ${acked.size}`);
      let expectedOffset = 0;
      present.forEach((b, i) => {
        assert.equal(checkBatch(b, 0), b.length);
        const expected = crashBatch(i);
        setBaseOffset(expected, 0, expectedOffset);
        setPartitionLeaderEpoch(expected, 0, 0);
        if (acked.has(i)) assert.equal(acked.get(i), expectedOffset);
        assert.deepEqual(b, expected, `batch ${i} byte-exact`);
        expectedOffset += b.readInt32BE(23) + 1;
      });
      assert.equal(log.logEndOffset, expectedOffset);
      // Nothing follows the last valid batch: file sizes equal the recovered segment sizes.
      const segDir = join(dir, 'crash-0');
      let fileBytes = 0;
      for (const name of await readdir(segDir)) if (name.endsWith('.log')) fileBytes += (await stat(join(segDir, name))).size;
      assert.equal(fileBytes, log.size);
      assert.equal(present.reduce((n, b) => n + b.length, 0), log.size);
      await logs.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}
