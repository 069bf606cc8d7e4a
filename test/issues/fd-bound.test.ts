/**
 * Regression: every segment kept a file descriptor open for its whole life, so one CreateTopics
 * request for many partitions exhausted the process's descriptors (EMFILE) and the broker could
 * then never restart (opening the logs needs one descriptor per segment). Now the logs open
 * files through a bounded LRU cache (FileHandleCache, `sherwood.log.max.open.files`): start-up
 * never needs one descriptor per partition or segment, and producing to and reading from every
 * partition stays under the bound, on the real disk (counted in /proc/self/fd) as in memory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ManualClock } from '../../src/base/clock.js';
import { silentLogger } from '../../src/base/logger.js';
import { MemoryFileSystem, nodeFileSystem, type FileSystem } from '../../src/base/file-system.js';
import { LogManager } from '../../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../../src/storage/log-config.js';
import { encodeBatch, decodeBatches } from '../../src/protocol/records.js';
import { KafkaClient, produce, fetch } from '../../src/client/index.js';
import { CreateTopics } from '../../src/protocol/messages/create-topics.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { ROOT, freePort, tempDir } from '../helpers/broker.js';

const PARTITIONS = 300;
const BOUND = 24;

function cfg(): LogConfig {
  // Small segments: every partition has several, so segments outnumber partitions too.
  return { ...DEFAULT_LOG_CONFIG, cleanupPolicy: { ...DEFAULT_LOG_CONFIG.cleanupPolicy }, segmentBytes: 300, indexIntervalBytes: 100 };
}

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Samples the process's descriptor count on every turn of the event loop until stopped. */
function fdSampler(): { stop(): number } {
  let max = openFds();
  let running = true;
  const loop = (): void => {
    if (!running) return;
    max = Math.max(max, openFds());
    setImmediate(loop);
  };
  setImmediate(loop);
  return { stop: () => { running = false; return Math.max(max, openFds()); } };
}

function batch(p: number, round: number): Buffer {
  return encodeBatch({ records: [{ key: `k${p}`, value: `p${p}-r${round}-${'x'.repeat(150)}` }] });
}

async function exercise(logs: LogManager, rounds: number, firstRound: number): Promise<void> {
  for (let round = firstRound; round < firstRound + rounds; round++) {
    await Promise.all(Array.from({ length: PARTITIONS }, async (_, p) => {
      const log = await logs.create('fd', p, cfg());
      await log.appendAsLeader(batch(p, round), 0);
    }));
    // Read every partition from the start, all at once.
    await Promise.all(Array.from({ length: PARTITIONS }, async (_, p) => {
      const log = logs.get('fd', p)!;
      const r = await log.read(0, 1 << 20, log.logEndOffset);
      assert.ok(r.records.length > 0);
    }));
  }
  await Promise.all(logs.all().map((l) => l.flush()));
}

async function checkContent(logs: LogManager, rounds: number): Promise<void> {
  await Promise.all(Array.from({ length: PARTITIONS }, async (_, p) => {
    const log = logs.get('fd', p)!;
    assert.equal(log.logEndOffset, rounds, `partition ${p}`);
    const values: string[] = [];
    let offset = 0;
    while (offset < log.logEndOffset) {
      const batches = decodeBatches((await log.read(offset, 1 << 20, log.logEndOffset)).records);
      for (const b of batches) for (const r of b.records) values.push(r.value!.toString().slice(0, 12));
      offset = batches[batches.length - 1]!.header.baseOffset + batches[batches.length - 1]!.header.lastOffsetDelta + 1;
    }
    assert.deepEqual(values, Array.from({ length: rounds }, (_, r) => `p${p}-r${r}-`.padEnd(12, 'x')));
  }));
}

for (const kind of ['disk', 'memory'] as const) {
  test(`issue: ${PARTITIONS} partitions (more segments than that) stay under a bound of ${BOUND} open files while producing, reading and restarting [${kind}]`, { timeout: 120_000 }, async () => {
    const data = kind === 'disk' ? tempDir() : { path: '/data', remove: () => undefined };
    const memory = kind === 'memory' ? new MemoryFileSystem() : undefined;
    const fs: FileSystem = memory ?? nodeFileSystem;
    // What the logs may hold beyond the bound: the lock of the one log dir.
    const slack = 1;
    try {
      const options = { fs, dirs: [data.path], clock: new ManualClock(1_000_000), logger: silentLogger, maxOpenFiles: BOUND };
      const measure = async <T>(fn: () => Promise<T>): Promise<{ result: T; extra: number }> => {
        const before = openFds();
        if (memory !== undefined) memory.stats.peakOpenHandles = memory.stats.openHandles;
        const sampler = fdSampler();
        const result = await fn();
        const max = sampler.stop();
        return { result, extra: memory !== undefined ? memory.stats.peakOpenHandles : max - before };
      };

      const first = await measure(async () => {
        const logs = await LogManager.open(options);
        await exercise(logs, 4, 0);
        return logs;
      });
      const logs = first.result;
      assert.ok(logs.all().reduce((n, l) => n + l.segments.length, 0) > 2 * PARTITIONS, 'segments outnumber partitions');
      assert.ok(logs.fs.peakOpenFiles <= BOUND, `cache peak ${logs.fs.peakOpenFiles}`);
      assert.ok(first.extra <= BOUND + slack, `${first.extra} files open while producing and reading (bound ${BOUND})`);
      assert.ok(logs.fs.stats.evictions > 0, 'files were closed and reopened');
      await logs.close();

      // Clean restart, then an unclean one (every segment after the recovery point is scanned).
      const clean = await measure(async () => {
        const again = await LogManager.open(options);
        await checkContent(again, 4);
        await exercise(again, 1, 4);
        await again.abandon();
      });
      assert.ok(clean.extra <= BOUND + slack, `${clean.extra} files open across a clean restart`);
      const unclean = await measure(async () => {
        const again = await LogManager.open(options);
        await checkContent(again, 5);
        await again.close();
      });
      assert.ok(unclean.extra <= BOUND + slack, `${unclean.extra} files open across recovery`);
      const segments = logs.all().reduce((n, l) => n + l.segments.length, 0);
      console.log(`# ${kind}: ${PARTITIONS} partitions, ${segments} segments, bound ${BOUND}: most files open ${first.extra} (produce+read), ${clean.extra} (clean restart), ${unclean.extra} (recovery); ${logs.fs.stats.evictions} evictions`);
    } finally {
      data.remove();
    }
  });
}

// ---- a real broker under a low `ulimit -n` -----------------------------------------------------

interface Spawned {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/** `sherwood server` under `ulimit -n <limit>`; resolves once it prints that it listens. */
async function spawnLimited(dataDir: string, port: number, limit: number, overrides: Record<string, string>): Promise<Spawned> {
  const args = ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'server',
    '--override', `listeners=PLAINTEXT://127.0.0.1:${port}`, '--override', `log.dirs=${dataDir}`, '--override', 'log.level=warn'];
  for (const [k, v] of Object.entries(overrides)) args.push('--override', `${k}=${v}`);
  const child = spawn('sh', ['-c', `ulimit -n ${limit} && exec "$@"`, 'sh', process.execPath, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (out.includes('listening on')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`broker exited (${code}): ${out}`)));
  });
  return { child, output: () => out, exited };
}

test('issue: one CreateTopics for 10 topics x 100 partitions under ulimit -n 256 works, and the broker restarts (clean and after kill -9)', { timeout: 180_000 }, async () => {
  const data = tempDir();
  const port = await freePort();
  const limit = 256;
  const overrides = { 'sherwood.log.max.open.files': '64' };
  try {
    let b = await spawnLimited(data.path, port, limit, overrides);
    const bootstrap = `127.0.0.1:${port}`;
    let client = await KafkaClient.connect(bootstrap);
    try {
      const topics = Array.from({ length: 10 }, (_, t) => ({ name: `many-${t}`, numPartitions: 100, replicationFactor: 1, assignments: [], configs: [] }));
      const res = await client.request(CreateTopics, { topics, timeoutMs: 60_000 }, { version: 5, timeoutMs: 120_000 });
      for (const t of res.topics) assert.equal(t.errorCode, ErrorCode.NONE, `${t.name}: ${t.errorMessage ?? ''}`);
      for (let t = 0; t < 10; t++) await produce(client, `many-${t}`, t * 7, [{ key: null, value: Buffer.from(`v${t}`) }], { acks: -1 });
    } finally {
      await client.close();
    }
    b.child.kill('SIGTERM');
    assert.equal(await b.exited, 0, b.output());

    b = await spawnLimited(data.path, port, limit, overrides);
    client = await KafkaClient.connect(bootstrap);
    try {
      for (let t = 0; t < 10; t++) {
        const r = await fetch(client, `many-${t}`, t * 7, 0, { maxWaitMs: 0 });
        assert.deepEqual(r.records.map((x) => x.value!.toString()), [`v${t}`]);
      }
      await produce(client, 'many-9', 99, [{ key: null, value: Buffer.from('late') }], { acks: -1 });
    } finally {
      await client.close();
    }
    b.child.kill('SIGKILL');
    await b.exited;

    b = await spawnLimited(data.path, port, limit, overrides);
    client = await KafkaClient.connect(bootstrap);
    try {
      const r = await fetch(client, 'many-9', 99, 0, { maxWaitMs: 0 });
      assert.deepEqual(r.records.map((x) => x.value!.toString()), ['late']);
    } finally {
      await client.close();
      b.child.kill('SIGTERM');
      await b.exited;
    }
    assert.doesNotMatch(b.output(), /EMFILE|too many open files/i);
  } finally {
    data.remove();
  }
});
