import { it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/base/clock.js';
import { silentLogger } from '../../src/base/logger.js';
import { MemoryFileSystem } from '../../src/base/file-system.js';
import { SeededRandom } from '../../src/base/random.js';
import { LogManager, CLEAN_SHUTDOWN_FILE } from '../../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../../src/storage/log-config.js';
import { checkBatch } from '../../src/protocol/record-batch.js';
import { describeBothFs } from './_fs.js';
import { makeSimpleBatch, splitBatches } from './_batches.js';

function cfg(overrides: Partial<LogConfig> = {}): LogConfig {
  return { ...DEFAULT_LOG_CONFIG, cleanupPolicy: { ...DEFAULT_LOG_CONFIG.cleanupPolicy }, ...overrides };
}

/** Stops using a manager as if the process died (handles closed, nothing flushed, no marker, unlocked). */
async function abandon(logs: LogManager): Promise<void> {
  await logs.abandon();
}

async function readAll(logs: LogManager, topic: string): Promise<Buffer[]> {
  const log = logs.get(topic, 0)!;
  const batches: Buffer[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const r = await log.read(offset, 1 << 30, log.logEndOffset);
    const got = splitBatches(r.records);
    if (got.length === 0) break;
    batches.push(...got);
    const last = got[got.length - 1]!;
    offset = last.readInt32BE(0) * 4294967296 + last.readUInt32BE(4) + last.readInt32BE(23) + 1;
  }
  for (const b of batches) assert.equal(checkBatch(b, 0), b.length, 'every batch served is valid');
  return batches;
}

describeBothFs('recovery', (newEnv) => {
  it('truncates a corrupt tail to the last valid batch and rebuilds indexes', async () => {
    const env = await newEnv();
    const clock = new ManualClock();
    const logs = await LogManager.open({ fs: env.fs, dirs: [env.dir], clock, logger: silentLogger });
    const log = await logs.create('corrupt', 0, cfg({ segmentBytes: 4000, indexIntervalBytes: 200 }));
    const written: Buffer[] = [];
    for (let i = 0; i < 40; i++) {
      const b = makeSimpleBatch(3, 30);
      await log.appendAsLeader(b, 1);
      written.push(Buffer.from(b));
    }
    await log.flush();
    const activeBase = log.activeSegment.baseOffset;
    const segPath = log.activeSegment.logPath;
    const indexPath = segPath.replace(/\.log$/, '.index');
    await abandon(logs);

    // Flip a byte inside the last batch's records, and garble the index.
    const data = await env.fs.readFile(segPath);
    const lastSize = written[written.length - 1]!.length;
    const corrupt = Buffer.from(data);
    corrupt[corrupt.length - lastSize + 70] ^= 0xff;
    await env.fs.writeFileAtomic(segPath, corrupt);
    await env.fs.writeFileAtomic(indexPath, Buffer.from('garbage!garbage!'));

    const reopened = await LogManager.open({ fs: env.fs, dirs: [env.dir], clock, logger: silentLogger });
    const log2 = reopened.get('corrupt', 0)!;
    assert.equal(log2.logEndOffset, 39 * 3, 'stops at the last valid batch');
    assert.ok(log2.activeSegment.baseOffset === activeBase);
    const batches = await readAll(reopened, 'corrupt');
    assert.equal(batches.length, 39);
    batches.forEach((b, i) => assert.deepEqual(b, written[i]));
    // The log keeps working after recovery.
    const r = await log2.appendAsLeader(makeSimpleBatch(1), 2);
    assert.equal(r.firstOffset, 117);
    await reopened.close();
  });

  it('truncates torn bytes and deletes later segments after a corrupt one', async () => {
    const env = await newEnv();
    const clock = new ManualClock();
    const logs = await LogManager.open({ fs: env.fs, dirs: [env.dir], clock, logger: silentLogger });
    const log = await logs.create('torn', 0, cfg({ segmentBytes: 1000 }));
    for (let i = 0; i < 30; i++) await log.appendAsLeader(makeSimpleBatch(2, 50), 0);
    const paths = log.segments.map((s) => s.logPath);
    assert.ok(paths.length >= 4);
    await abandon(logs);
    // Corrupt the CRC of the first batch of the second segment: everything from there is gone.
    const second = Buffer.from(await env.fs.readFile(paths[1]!));
    second[30] ^= 0x01;
    await env.fs.writeFileAtomic(paths[1]!, second);
    // Torn garbage at the end of the last segment too.
    const last = await env.fs.open(paths[paths.length - 1]!, 'readwrite');
    await last.write(Buffer.alloc(5, 0x33));
    await last.close();

    const reopened = await LogManager.open({ fs: env.fs, dirs: [env.dir], clock, logger: silentLogger });
    const log2 = reopened.get('torn', 0)!;
    const secondBase = Number(paths[1]!.slice(-24, -4));
    assert.equal(log2.logEndOffset, secondBase);
    assert.equal(log2.segments.length, 2);
    const names = await env.fs.readdir(`${env.dir}/torn-0`);
    assert.equal(names.filter((n) => n.endsWith('.log')).length, 2);
    await reopened.close();
  });

  it('trusts the clean-shutdown marker and removes it on open', async () => {
    const env = await newEnv();
    const clock = new ManualClock();
    const logs = await LogManager.open({ fs: env.fs, dirs: [env.dir], clock, logger: silentLogger });
    const log = await logs.create('clean', 0, cfg());
    await log.appendAsLeader(makeSimpleBatch(4), 0);
    await logs.close();
    assert.ok(await env.fs.exists(`${env.dir}/${CLEAN_SHUTDOWN_FILE}`));
    const reopened = await LogManager.open({ fs: env.fs, dirs: [env.dir], clock, logger: silentLogger });
    assert.equal(await env.fs.exists(`${env.dir}/${CLEAN_SHUTDOWN_FILE}`), false);
    assert.equal(reopened.get('clean', 0)!.logEndOffset, 4);
    await reopened.close();
  });
});

describeBothFs('disk faults', (newEnv, kind) => {
  it('a failed write or fsync takes the log offline without serving garbage', { skip: kind === 'disk' ? 'fault injection (failNextSync, tearNextWrite) needs the memory file system' : false }, async () => {
    const env = await newEnv();
    const mem = env.memory!;
    const clock = new ManualClock();
    const logs = await LogManager.open({ fs: mem, dirs: [env.dir], clock, logger: silentLogger });
    const log = await logs.create('fault', 0, cfg({ flushMessages: 1 }));
    const good = makeSimpleBatch(2);
    await log.appendAsLeader(good, 0);
    mem.failNextSync();
    await assert.rejects(log.appendAsLeader(makeSimpleBatch(2), 0), /fsync|offline|I\/O/);
    await assert.rejects(log.appendAsLeader(makeSimpleBatch(2), 0), /offline/);
    await abandon(logs);
    const again = await LogManager.open({ fs: mem, dirs: [env.dir], clock, logger: silentLogger });
    const log2 = again.get('fault', 0)!;
    mem.tearNextWrite(undefined, 20);
    await assert.rejects(log2.appendAsLeader(makeSimpleBatch(3), 0));
    await abandon(again);
    mem.crash();
    const third = await LogManager.open({ fs: mem, dirs: [env.dir], clock, logger: silentLogger });
    const batches = await readAll(third, 'fault');
    assert.ok(batches.length >= 1);
    assert.deepEqual(batches[0], good);
    await third.close();
  });
});

it('a failed fsync at close leaves no clean-shutdown marker, so the next open recovers', async () => {
  const fs = new MemoryFileSystem({ seed: 7 });
  const clock = new ManualClock();
  const logs = await LogManager.open({ fs, dirs: ['/m'], clock, logger: silentLogger });
  const log = await logs.create('closing', 0, cfg());
  const b = makeSimpleBatch(3);
  await log.appendAsLeader(b, 0);
  fs.failNextSync();
  await logs.close();
  assert.equal(await fs.exists(`/m/${CLEAN_SHUTDOWN_FILE}`), false);
  fs.crash();
  const again = await LogManager.open({ fs, dirs: ['/m'], clock, logger: silentLogger });
  const batches = await readAll(again, 'closing');
  assert.ok(batches.length <= 1);
  if (batches.length === 1) assert.deepEqual(batches[0], b);
  await again.close();
});

for (let round = 0; round < 6; round++) {
  const seed = Number(process.env.STORAGE_SEED ?? Date.now() % 1_000_000) + round;
  it(`memory-fs crash: acknowledged (fsynced) batches survive, seed ${seed}`, async () => {
    console.log(`# crash test seed ${seed}`);
    const random = new SeededRandom(seed);
    const fs = new MemoryFileSystem({ seed });
    const clock = new ManualClock();
    const flushMessages = random.int(2) === 0 ? 1 : Number.MAX_SAFE_INTEGER;
    const config = cfg({ flushMessages, segmentBytes: 500 + random.int(3000), indexIntervalBytes: 64 + random.int(512) });
    const acknowledged: Buffer[] = [];
    const appended: Buffer[] = [];
    for (let life = 0; life < 4; life++) {
      const logs = await LogManager.open({ fs, dirs: ['/d'], clock, logger: silentLogger });
      const log = await logs.create('crashy', 0, config);
      // What is on disk after recovery: a prefix of everything appended, at least all acked.
      const present = await readAll(logs, 'crashy');
      assert.ok(present.length >= acknowledged.length, `seed ${seed}: lost acknowledged batches`);
      present.forEach((b, i) => assert.deepEqual(b, appended[i], `seed ${seed}: batch ${i} differs`));
      appended.length = present.length;
      acknowledged.length = Math.min(acknowledged.length, present.length);
      const pending: Promise<unknown>[] = [];
      const n = 5 + random.int(20);
      for (let i = 0; i < n; i++) {
        const b = makeSimpleBatch(1 + random.int(4), random.int(200), {}, `l${life}k`);
        const slot = appended.length;
        appended.push(b);
        pending.push(log.appendAsLeader(b, life).then(() => {
          acknowledged[slot] = b;
        }, () => undefined));
        if (random.int(4) === 0) await Promise.race([pending[pending.length - 1], Promise.resolve()]);
      }
      // Crash after a random number of microtask turns: often in the middle of the appends.
      for (let k = random.int(400); k > 0; k--) await Promise.resolve();
      fs.crash();
      await Promise.allSettled(pending);
      // Acked entries must be a dense prefix (appends are serialized).
      const ackCount = acknowledged.filter((b) => b !== undefined).length;
      acknowledged.length = flushMessages === 1 ? ackCount : 0;
      if (process.env.STORAGE_VERBOSE) console.log(`# life ${life}: appended ${appended.length}, acked ${ackCount}`);
    }
  });
}
