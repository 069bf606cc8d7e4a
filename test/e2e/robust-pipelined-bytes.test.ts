/**
 * Memory per connection is bounded in bytes, not only in request count: a client that blocks
 * its connection with a long-polling Fetch and then pipelines many large requests must not
 * make the broker hold them all (Kafka mutes the channel after each request, so at most about
 * one request per connection is in memory). Reading pauses once the received-but-unanswered
 * requests reach socket.request.max.bytes; every request is still answered, in order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { settled, until } from '../helpers/wait.js';
import { Fetch } from '../../src/protocol/messages/fetch.js';
import { Produce } from '../../src/protocol/messages/produce.js';
import { KafkaClient, produce } from '../../src/client/index.js';
import { RawClient, requestFrame, responseReader } from '../unit/server/raw-client.js';

const MB = 1024 * 1024;
const ZERO = Buffer.alloc(16);

test('pipelined large requests behind a long poll: broker memory stays bounded, all answered in order', { timeout: 60_000 }, async () => {
  await withBroker(async (b) => {
    await b.broker.topics.create({ name: 'blocker', numPartitions: 1, replicationFactor: 1, configs: {} });
    const c = await RawClient.connect(b.port, b.host);
    try {
      // A 30 s long poll: it outlasts the sending and settling below on any machine, and an
      // append answers it afterwards.
      c.send(requestFrame(Fetch, 12, 0, {
        replicaId: -1, maxWaitMs: 30_000, minBytes: 1, maxBytes: MB, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic: 'blocker', topicId: ZERO, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: MB, replicaDirectoryId: ZERO }] }],
        forgottenTopicsData: [], rackId: '',
      }));
      // The connection is blocked once the long poll is parked.
      await until('the long poll to be parked', () => b.broker.fetchPurgatory.size === 1, 3000);
      b.memoryPool.resetPeak();
      const COUNT = 60;
      // ~4 MB each (under socket.request.max.bytes = 5 MB): 240 MB if all were buffered.
      const big = Buffer.alloc(4 * MB - 1024, 7);
      for (let i = 1; i <= COUNT; i++) {
        c.send(requestFrame(Produce, 9, i, { acks: 1, timeoutMs: 1000, topicData: [{ name: 'no-such-topic', partitionData: [{ index: 0, records: big }] }] }));
      }
      // While the long poll blocks the connection, the broker reads requests up to
      // socket.request.max.bytes (the frame that crosses it included) and stops: the request
      // bytes it holds (the memory pool counts them) stop growing. The rest stays in the kernel
      // buffers and the client's socket. (The client's writableLength is no measure: Node hands
      // the queued writes to the kernel as one writev and counts them down only when all are
      // written.)
      await settled('the request bytes the broker holds', () => b.memoryPool.requestBytes, 300);
      assert.equal(b.broker.fetchPurgatory.size, 1, 'the long poll still blocks the connection');
      const held = b.memoryPool.peakBytes;
      assert.ok(held <= 5 * MB + 4 * MB, `the broker held ${(held / MB).toFixed(1)} MB of requests: it kept reading`);
      // An append answers the long poll; the connection moves on to the rest.
      const writer = await KafkaClient.connect(b.bootstrap);
      try {
        await produce(writer, 'blocker', 0, [{ key: null, value: Buffer.from('wake') }], { acks: 1 });
      } finally {
        await writer.close();
      }
      const frames = await c.read(COUNT + 1, 30_000);
      frames.forEach((f, i) => assert.equal(responseReader(f, true).correlationId, i));
    } finally {
      c.close();
    }
  }, { overrides: { 'socket.request.max.bytes': String(5 * MB) } });
});
