/**
 * Long-polling Fetch and disconnects: a client that goes away while its Fetch waits in the
 * purgatory must release the waiter at once (no leak until maxWaitMs), a later append must
 * not throw, and a broker with hundreds of long-polling fetches must close promptly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker, startTestBroker } from '../helpers/broker.js';
import { until } from '../helpers/wait.js';
import { Fetch } from '../../src/protocol/messages/fetch.js';
import { KafkaClient, produce } from '../../src/client/index.js';
import { RawClient, requestFrame, responseReader } from '../unit/server/raw-client.js';
import type { RunningBroker } from '../../src/index.js';

function longPollFetch(topic: string, correlationId: number, maxWaitMs = 30_000): Buffer {
  return requestFrame(Fetch, 12, correlationId, {
    replicaId: -1, maxWaitMs, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, topicId: Buffer.alloc(16), partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20, replicaDirectoryId: Buffer.alloc(16) }] }],
    forgottenTopicsData: [], rackId: '',
  });
}

function purgatorySize(b: RunningBroker): number {
  return b.broker.fetchPurgatory.size;
}

test('a client disconnecting during a 30 s long poll releases its waiter; later appends work', async () => {
  await withBroker(async (b) => {
    await b.broker.topics.create({ name: 'lp', numPartitions: 1, replicationFactor: 1, configs: {} });
    const clients: RawClient[] = [];
    for (let i = 0; i < 20; i++) {
      const c = await RawClient.connect(b.port, b.host);
      c.send(longPollFetch('lp', i));
      clients.push(c);
    }
    await until('20 waiting fetches', () => purgatorySize(b) === 20, 5000);
    for (const c of clients) c.close();
    // Released by the disconnect, long before maxWaitMs (30 s).
    await until('purgatory to drain after disconnects', () => purgatorySize(b) === 0, 3000);

    const client = await KafkaClient.connect(b.bootstrap);
    try {
      const r = await produce(client, 'lp', 0, [{ key: null, value: Buffer.from('after') }], { acks: -1 });
      assert.equal(r.baseOffset, 0);
      // A fetch that is still connected is woken by the append as before.
      const c = await RawClient.connect(b.port, b.host);
      c.send(longPollFetch('lp', 99));
      const [frame] = await c.read(1, 5000);
      const { correlationId, r: rd } = responseReader(frame!, true);
      assert.equal(correlationId, 99);
      const body = Fetch.response.read(rd, 12);
      assert.ok(body.responses[0]!.partitions[0]!.records!.length > 0);
      c.close();
    } finally {
      await client.close();
    }
  });
});

test('close() with 500 long-polling fetches completes promptly', async () => {
  const b = await startTestBroker();
  let closed = false;
  try {
    await b.broker.topics.create({ name: 'lp500', numPartitions: 1, replicationFactor: 1, configs: {} });
    const clients: RawClient[] = [];
    for (let i = 0; i < 500; i++) {
      const c = await RawClient.connect(b.port, b.host);
      c.send(longPollFetch('lp500', i));
      clients.push(c);
    }
    await until('500 waiting fetches', () => purgatorySize(b) === 500, 10_000);
    const t0 = Date.now();
    await b.close();
    closed = true;
    const took = Date.now() - t0;
    assert.ok(took < 3000, `close took ${took} ms`);
    await until('clients to see the close', () => clients.every((c) => c.closed), 5000);
    for (const c of clients) c.close();
  } finally {
    if (!closed) await b.close();
  }
});
