/**
 * A slow reader: a client pipelines many big Fetch requests and never reads its socket. The
 * broker must stop starting requests once the socket pushes back (memory stays bounded: at
 * most about one response beyond the kernel buffers), and other connections keep being served.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { withBroker } from '../helpers/broker.js';
import { RequestTracker } from '../helpers/broker-events.js';
import { settled, sleep, until } from '../helpers/wait.js';
import { Fetch } from '../../src/protocol/messages/fetch.js';
import { Metadata } from '../../src/protocol/messages/metadata.js';
import { KafkaClient, produce } from '../../src/client/index.js';
import { RawClient, requestFrame, responseReader } from '../unit/server/raw-client.js';

const MB = 1024 * 1024;

function bigFetch(topic: string, correlationId: number): Buffer {
  return requestFrame(Fetch, 12, correlationId, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 50 * MB, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, topicId: Buffer.alloc(16), partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 50 * MB, replicaDirectoryId: Buffer.alloc(16) }] }],
    forgottenTopicsData: [], rackId: '',
  });
}

/** A socket that reads nothing until drain(), which then collects correlation ids without copying frames. */
async function connectPaused(port: number, host: string): Promise<{ socket: net.Socket; drain(n: number, timeoutMs: number): Promise<number[]> }> {
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect(port, host);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
  socket.pause();
  socket.on('error', () => {});
  return {
    socket,
    drain: (n, timeoutMs) => new Promise((resolve, reject) => {
      const ids: number[] = [];
      let head = Buffer.alloc(0); // bytes of a frame's size + correlation id seen so far
      let skip = 0; // body bytes of the current frame still to pass over
      const timer = setTimeout(() => reject(new Error(`got ${ids.length} of ${n} responses`)), timeoutMs);
      socket.on('data', (chunk: Buffer) => {
        let pos = 0;
        while (pos < chunk.length) {
          if (skip > 0) {
            const k = Math.min(skip, chunk.length - pos);
            skip -= k;
            pos += k;
            continue;
          }
          const k = Math.min(8 - head.length, chunk.length - pos);
          head = Buffer.concat([head, chunk.subarray(pos, pos + k)]);
          pos += k;
          if (head.length === 8) {
            ids.push(head.readInt32BE(4));
            skip = head.readInt32BE(0) - 4;
            head = Buffer.alloc(0);
          }
        }
        if (ids.length >= n && skip === 0) {
          clearTimeout(timer);
          resolve(ids);
        }
      });
      socket.resume();
    }),
  };
}

test('a client that never reads its big Fetch responses does not make the broker buffer without bound', async () => {
  await withBroker(async (b) => {
    const topic = 'slow-reader';
    await b.broker.topics.create({ name: topic, numPartitions: 1, replicationFactor: 1, configs: { 'max.message.bytes': String(2 * MB) } });
    const client = await KafkaClient.connect(b.bootstrap);
    try {
      // 8 MB in the log: every Fetch answer is about 8 MB.
      for (let i = 0; i < 8; i++) await produce(client, topic, 0, [{ key: null, value: Buffer.alloc(MB - 1024, i) }], { acks: 1 });
    } finally {
      await client.close();
    }
    const requests = RequestTracker.attach(b);
    const slow = await connectPaused(b.port, b.host);
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    // 100 pipelined fetches = 800 MB of responses if the broker buffered them all.
    const REQUESTS = 100;
    const frames: Buffer[] = [];
    for (let i = 0; i < REQUESTS; i++) frames.push(bigFetch(topic, i));
    slow.socket.write(Buffer.concat(frames));
    let peak = 0;
    let probing = true;
    // While the slow client sits there, a normal client gets Metadata answers promptly (one
    // probe every 100 ms: pacing), until the broker has stopped starting the slow client's
    // Fetches (their count holds still for 500 ms) and for at least 1.5 s.
    const probes = (async () => {
      const started = Date.now();
      while (probing || Date.now() - started < 1500) {
        const c = await RawClient.connect(b.port, b.host);
        const t0 = Date.now();
        c.send(requestFrame(Metadata, 1, 5, { topics: [] }));
        const { correlationId } = responseReader((await c.read(1, 3000))[0]!);
        assert.equal(correlationId, 5);
        assert.ok(Date.now() - t0 < 2000, 'other connections keep being served');
        c.close();
        peak = Math.max(peak, process.memoryUsage().rss - rssBefore);
        await sleep(100);
      }
    })();
    probes.catch(() => {}); // its failure is rethrown where it is awaited below
    try {
      await until('the broker to start the slow client\'s Fetches', () => requests.started('Fetch') > 0, 5000);
      await settled('the Fetches the broker started', () => requests.started('Fetch'), 500);
    } finally {
      probing = false;
      await probes;
    }
    // The broker stopped once the socket pushed back: a response or two beyond the kernel buffers.
    const fetchesStarted = requests.started('Fetch');
    assert.ok(fetchesStarted <= 5, `the broker started ${fetchesStarted} of ${REQUESTS} Fetches for a client that reads nothing`);
    assert.ok(peak < 200 * MB, `RSS grew by ${(peak / MB).toFixed(0)} MB`);
    assert.equal(slow.socket.destroyed, false, 'the slow client is not disconnected');
    // Reading again drains everything, in order: nothing was dropped.
    const ids = await slow.drain(REQUESTS, 60_000);
    assert.deepEqual(ids, Array.from({ length: REQUESTS }, (_, i) => i));
    slow.socket.destroy();
  });
});
