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
import type net from 'node:net';
import { withBroker } from '../helpers/broker.js';
import { KafkaClient, produce, fetch } from '../../src/client/index.js';
import { until } from '../helpers/wait.js';
import { BOUNDED, MB, POOL, connect, fetchFrame, normalClientWorks, rss } from './_connection-memory.js';

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

