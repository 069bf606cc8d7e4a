/**
 * Regression: memory held by connections was bounded per connection only. Ten clients that
 * send a Fetch and never read the response pinned ~51 MB each, and twenty clients each sending
 * half of a 100 MiB frame added ~1 GB, whatever the number of clients. Now every connection
 * charges one broker-wide pool (queued.max.request.bytes, request-memory-pool.ts) with the
 * request bytes it holds and the response bytes its socket has not flushed: when it is full,
 * sockets stop being read and Fetches wait, so both scenarios stay within the pool (plus one
 * frame or response); a client with small requests on an idle connection is still served
 * meanwhile; closing the connections gives everything back; a record larger than the whole
 * pool still produces and fetches.
 *
 * Set SHERWOOD_POOL_BYTES=-1 to run the scenarios unbounded (as before) and compare the figures
 * they print.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { withBroker } from '../helpers/broker.js';
import { Fetch } from '../../src/protocol/messages/fetch.js';
import { Metadata } from '../../src/protocol/messages/metadata.js';
import { KafkaClient, produce, fetch } from '../../src/client/index.js';
import type { RunningBroker } from '../../src/index.js';
import { RawClient, requestFrame, responseReader } from '../unit/server/raw-client.js';

const MB = 1024 * 1024;
const ZERO = Buffer.alloc(16);
const POOL = Number(process.env['SHERWOOD_POOL_BYTES'] ?? 64 * MB);
const BOUNDED = POOL > 0;

function fetchFrame(topic: string, correlationId: number, maxBytes: number): Buffer {
  return requestFrame(Fetch, 12, correlationId, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, topicId: ZERO, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: maxBytes, replicaDirectoryId: ZERO }] }],
    forgottenTopicsData: [], rackId: '',
  });
}

function connect(b: RunningBroker): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(b.port, b.host);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

async function until(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Waits until the pool's figure stops moving for `quietMs` (the broker read or wrote all it will). */
async function settled(read: () => number, quietMs = 300, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = read();
  let since = Date.now();
  while (Date.now() - since < quietMs) {
    if (Date.now() > deadline) throw new Error('the pool never settled');
    await new Promise((r) => setTimeout(r, 20));
    const now = read();
    if (now !== last) {
      last = now;
      since = Date.now();
    }
  }
}

function rss(): number {
  global.gc?.();
  return process.memoryUsage().rss;
}

/** A client with small requests on its own connection: Metadata and a small Produce, promptly. */
async function normalClientWorks(b: RunningBroker, topic: string): Promise<void> {
  const c = await RawClient.connect(b.port, b.host);
  try {
    const t0 = Date.now();
    c.send(requestFrame(Metadata, 1, 5, { topics: [] }));
    assert.equal(responseReader((await c.read(1, 5000))[0]!).correlationId, 5);
    assert.ok(Date.now() - t0 < 3000, 'Metadata answered promptly');
  } finally {
    c.close();
  }
  const client = await KafkaClient.connect(b.bootstrap);
  try {
    const r = await produce(client, topic, 0, [{ key: null, value: Buffer.from('small') }], { acks: 1 });
    assert.ok(r.baseOffset >= 0);
  } finally {
    await client.close();
  }
}

test(`issue: 10 clients that never read their Fetch responses hold about the pool, not 10 responses (pool ${BOUNDED ? `${POOL / MB} MiB` : 'unbounded'})`, { timeout: 120_000 }, async () => {
  await withBroker(async (b) => {
    const topic = 'pinned';
    await b.broker.topics.create({ name: topic, numPartitions: 1, replicationFactor: 1, configs: { 'max.message.bytes': String(2 * MB) } });
    const client = await KafkaClient.connect(b.bootstrap);
    try {
      for (let i = 0; i < 52; i++) await produce(client, topic, 0, [{ key: null, value: Buffer.alloc(MB - 1024, i) }], { acks: 1 });
      // Warm up: one whole 50 MB fetch read by a client, so buffers and code are in place.
      assert.ok((await fetch(client, topic, 0, 0, { maxBytes: 50 * MB, partitionMaxBytes: 50 * MB, maxWaitMs: 0 })).records.length > 40);
    } finally {
      await client.close();
    }
    const pool = b.memoryPool;
    await until('the pool to empty', () => pool.usedBytes === 0);
    const rssBefore = rss();
    pool.resetPeak();
    const sockets: net.Socket[] = [];
    try {
      for (let i = 0; i < 10; i++) {
        const s = await connect(b);
        s.pause(); // never reads
        s.on('error', () => {});
        sockets.push(s);
        const responsesBefore = pool.responseBytes;
        const waitingBefore = pool.waitingCount;
        s.write(fetchFrame(topic, i, 50 * MB));
        // The broker either answers it (most of the response then stays in Node: the kernel
        // takes a few MB) or keeps it waiting for room.
        await until(`fetcher ${i} answered or waiting`, () => pool.responseBytes > responsesBefore + 20 * MB || pool.waitingCount > waitingBefore);
      }
      const peak = pool.peakBytes;
      const grown = rss() - rssBefore;
      console.log(`# non-reading fetchers: pool peak ${(peak / MB).toFixed(1)} MiB (responses ${(pool.responseBytes / MB).toFixed(1)} MiB), ${pool.waitingCount} waiting, RSS +${(grown / MB).toFixed(0)} MiB`);
      if (BOUNDED) {
        // One response (~50 MB) may overdraw the pool: the Fetch that started below it.
        assert.ok(peak <= POOL + 52 * MB, `pool peak ${(peak / MB).toFixed(1)} MiB`);
        assert.ok(pool.waitingCount >= 7, `${pool.waitingCount} fetchers wait for room`);
        assert.ok(grown < POOL + 150 * MB, `RSS grew by ${(grown / MB).toFixed(0)} MiB`);
        await normalClientWorks(b, topic);
      }
    } finally {
      for (const s of sockets) s.destroy();
    }
    await until('closed connections to give their bytes back', () => pool.usedBytes === 0 && pool.waitingCount === 0);
    await normalClientWorks(b, topic);
  }, { overrides: { 'queued.max.request.bytes': String(POOL) } });
});

test(`issue: 20 clients stalled half-way through 100 MiB frames hold about the pool, not 1 GB (pool ${BOUNDED ? `${POOL / MB} MiB` : 'unbounded'})`, { timeout: 120_000 }, async () => {
  await withBroker(async (b) => {
    await b.broker.topics.create({ name: 'normal', numPartitions: 1, replicationFactor: 1, configs: {} });
    const pool = b.memoryPool;
    const rssBefore = rss();
    pool.resetPeak();
    const sockets: net.Socket[] = [];
    const half = Buffer.alloc(50 * MB, 1);
    try {
      for (let i = 0; i < 20; i++) {
        const s = await connect(b);
        s.on('error', () => {});
        sockets.push(s);
        const prefix = Buffer.alloc(4);
        prefix.writeInt32BE(100 * MB - 1024);
        s.write(prefix);
        s.write(half);
      }
      await settled(() => pool.requestBytes, 500);
      const peak = pool.peakBytes;
      const grown = rss() - rssBefore;
      console.log(`# half-sent frames: pool peak ${(peak / MB).toFixed(1)} MiB, ${pool.waitingCount} waiting, RSS +${(grown / MB).toFixed(0)} MiB`);
      if (BOUNDED) {
        // The oldest frame keeps arriving past the pool (rule 2): at most one frame beyond it.
        assert.ok(peak <= POOL + 100 * MB, `pool peak ${(peak / MB).toFixed(1)} MiB`);
        assert.ok(grown < POOL + 100 * MB + 150 * MB, `RSS grew by ${(grown / MB).toFixed(0)} MiB`);
        const unsent = sockets.reduce((n, s) => n + s.writableLength, 0);
        assert.ok(unsent > 500 * MB, `the clients still hold ${(unsent / MB).toFixed(0)} MiB the broker did not read`);
        await normalClientWorks(b, 'normal');
      }
    } finally {
      for (const s of sockets) s.destroy();
    }
    await until('closed connections to give their bytes back', () => pool.usedBytes === 0);
    await normalClientWorks(b, 'normal');
  }, { overrides: { 'queued.max.request.bytes': String(POOL) } });
});

test('issue: a 900 KiB record produces and fetches through a pool smaller than it', { timeout: 60_000 }, async () => {
  await withBroker(async (b) => {
    await b.broker.topics.create({ name: 'big', numPartitions: 1, replicationFactor: 1, configs: {} });
    const client = await KafkaClient.connect(b.bootstrap);
    try {
      const value = Buffer.alloc(900 * 1024, 9);
      const r = await produce(client, 'big', 0, [{ key: null, value }], { acks: -1 });
      assert.equal(r.baseOffset, 0);
      const got = await fetch(client, 'big', 0, 0, { maxWaitMs: 0 });
      assert.equal(got.records.length, 1);
      assert.ok(got.records[0]!.value!.equals(value));
      assert.ok(b.memoryPool.peakBytes > 256 * 1024, `the pool was overdrawn by the one request (${b.memoryPool.peakBytes})`);
    } finally {
      await client.close();
    }
    await until('the pool to empty', () => b.memoryPool.usedBytes === 0);
  }, { overrides: { 'queued.max.request.bytes': String(256 * 1024) } });
});
