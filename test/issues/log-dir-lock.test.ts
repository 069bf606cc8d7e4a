/**
 * Regression: two brokers started on the same log dir both ran, and one overwrote the other's
 * acknowledged records. Now each log dir is locked (`.lock`, as Kafka's LogManager.lockLogDirs)
 * from start-up to close: a second broker on a locked dir, in the same process or another,
 * refuses to start with one line naming the dir, and the first keeps serving. The lock dies
 * with its process: after kill -9 of the holder a new broker starts on the dir at once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, spawnBroker, startTestBroker, tempDir } from '../helpers/broker.js';
import { KafkaClient, produce, fetch } from '../../src/client/index.js';
import { ConfigError } from '../../src/base/errors.js';
import { MemoryFileSystem, isLockHeld, nodeFileSystem } from '../../src/base/file-system.js';
import { lockFile, type LockStrategy } from '../../src/base/file-lock.js';
import { ManualClock } from '../../src/base/clock.js';
import { silentLogger } from '../../src/base/logger.js';
import { LogManager } from '../../src/storage/log-manager.js';

const MESSAGE = /Failed to acquire lock on file \.lock in (.+)\. A broker in another process or in this one is using this directory\./;

async function produceAndRead(bootstrap: string, topic: string, value: string): Promise<string[]> {
  const client = await KafkaClient.connect(bootstrap);
  try {
    await produce(client, topic, 0, [{ key: null, value: Buffer.from(value) }], { acks: -1 });
    return (await fetch(client, topic, 0, 0, { maxWaitMs: 0 })).records.map((r) => r.value!.toString());
  } finally {
    await client.close();
  }
}

/** A child process that takes the lock at `path` and prints `locked`, then waits to be killed. */
function spawnHolder(path: string, strategy: LockStrategy): Promise<{ kill9(): Promise<void> }> {
  const code = `import { lockFile } from ${JSON.stringify(join(ROOT, 'src/base/file-lock.ts'))};
await lockFile(${JSON.stringify(path)}, ${JSON.stringify(strategy)});
process.stdout.write('locked\\n');
setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('locked')) resolve({ kill9: async () => { child.kill('SIGKILL'); await exited; } });
    });
    child.once('exit', (c) => reject(new Error(`lock holder exited with ${c}`)));
  });
}

for (const strategy of ['abstract-socket', 'pid-file'] as const) {
  test(`FileSystem.lock on the real disk (${strategy}): exclusive in and across processes, freed by release and by kill -9`, { timeout: 30_000 }, async () => {
    const dir = tempDir();
    try {
      const path = `${dir.path}/.lock`;
      const first = await lockFile(path, strategy);
      await assert.rejects(lockFile(path, strategy), (e: unknown) => isLockHeld(e));
      await first.release();
      await first.release(); // idempotent
      const again = await lockFile(path, strategy);
      await again.release();

      const holder = await spawnHolder(path, strategy);
      await assert.rejects(lockFile(path, strategy), (e: unknown) => isLockHeld(e), 'held by another process');
      await holder.kill9();
      const afterDeath = await lockFile(path, strategy);
      await afterDeath.release();
    } finally {
      dir.remove();
    }
  });
}

test('MemoryFileSystem.lock: exclusive, freed by release and by crash()', async () => {
  const fs = new MemoryFileSystem();
  await fs.mkdirp('/d');
  const [a, b] = await Promise.allSettled([fs.lock('/d/.lock'), fs.lock('/d/.lock')]);
  assert.equal(a.status, 'fulfilled');
  assert.equal(b.status === 'rejected' && isLockHeld(b.reason), true, 'two concurrent attempts: one wins');
  fs.crash();
  const afterCrash = await fs.lock('/d/.lock');
  // The pre-crash handle's release must not free the new holder's lock.
  await (a as PromiseFulfilledResult<{ release(): Promise<void> }>).value.release();
  await assert.rejects(fs.lock('/d/.lock'), (e: unknown) => isLockHeld(e));
  await afterCrash.release();
  await (await fs.lock('/d/.lock')).release();
});

test('LogManager: a second manager on a locked dir fails with a ConfigError naming it; close() unlocks', async () => {
  for (const fs of [new MemoryFileSystem(), nodeFileSystem]) {
    const dir = fs === nodeFileSystem ? tempDir() : { path: '/data', remove: () => undefined };
    try {
      const options = { fs, dirs: [`${dir.path}/a`, `${dir.path}/b`], clock: new ManualClock(), logger: silentLogger };
      const first = await LogManager.open(options);
      const err = await LogManager.open({ ...options, dirs: [`${dir.path}/c`, `${dir.path}/b`] }).then(() => null, (e: unknown) => e);
      assert.ok(err instanceof ConfigError, String(err));
      assert.match(err.message, MESSAGE);
      assert.equal(MESSAGE.exec(err.message)![1], `${dir.path}/b`);
      // The failed open released the lock it had taken on c.
      await (await LogManager.open({ ...options, dirs: [`${dir.path}/c`] })).close();
      await first.close();
      await (await LogManager.open(options)).close();
    } finally {
      dir.remove();
    }
  }
});

test('issue: a second in-process broker on the same log dir refuses to start; the first keeps serving', { timeout: 30_000 }, async () => {
  const data = tempDir();
  try {
    const first = await startTestBroker({ dataDir: data.path });
    try {
      assert.deepEqual(await produceAndRead(first.bootstrap, 'locked', 'one'), ['one']);
      const err = await startTestBroker({ dataDir: data.path }).then(async (b) => { await b.close(); return null; }, (e: unknown) => e);
      assert.ok(err instanceof ConfigError, `the second broker must not start (${String(err)})`);
      assert.match(err.message, MESSAGE);
      assert.ok(err.message.includes(data.path), err.message);
      assert.deepEqual(await produceAndRead(first.bootstrap, 'locked', 'two'), ['one', 'two']);
    } finally {
      await first.close();
    }
    // Closed: the dir is free again, with everything acknowledged.
    const again = await startTestBroker({ dataDir: data.path });
    try {
      assert.deepEqual(await produceAndRead(again.bootstrap, 'locked', 'three'), ['one', 'two', 'three']);
    } finally {
      await again.close();
    }
  } finally {
    data.remove();
  }
});

test('issue: a second broker process on the same log dir exits with one line; after kill -9 of the first a new one starts', { timeout: 90_000 }, async () => {
  const data = tempDir();
  try {
    const first = await spawnBroker(data.path);
    try {
      assert.deepEqual(await produceAndRead(first.bootstrap, 'locked', 'one'), ['one']);
      const err = await spawnBroker(data.path).then(async (b) => { await b.kill9(); return null; }, (e: Error) => e);
      assert.ok(err !== null, 'the second broker must not start');
      const lines = err.message.replace(/^broker exited early: /, '').trim().split('\n');
      assert.equal(lines.length, 1, err.message);
      assert.match(lines[0]!, /^sherwood server: log\.dirs: /);
      assert.match(lines[0]!, MESSAGE);
      assert.ok(lines[0]!.includes(data.path), lines[0]);
      assert.deepEqual(await produceAndRead(first.bootstrap, 'locked', 'two'), ['one', 'two'], 'the first keeps serving');
    } finally {
      await first.kill9();
    }
    const restarted = await spawnBroker(data.path);
    try {
      assert.deepEqual(await produceAndRead(restarted.bootstrap, 'locked', 'three'), ['one', 'two', 'three']);
    } finally {
      await restarted.stop();
    }
  } finally {
    data.remove();
  }
});
