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
import { settled, until } from '../helpers/wait.js';
import { BOUNDED, MB, POOL, connect, normalClientWorks, rss } from './_connection-memory.js';

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
      // The broker has read all it will: the pool's request bytes stop moving (no single event says so).
      await settled('the request bytes the broker holds', () => pool.requestBytes, 500);
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
