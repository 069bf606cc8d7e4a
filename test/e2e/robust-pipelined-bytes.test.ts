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
import { Fetch } from '../../src/protocol/messages/fetch.js';
import { Produce } from '../../src/protocol/messages/produce.js';
import { RawClient, requestFrame, responseReader } from '../unit/server/raw-client.js';

const MB = 1024 * 1024;
const ZERO = Buffer.alloc(16);

test('pipelined large requests behind a long poll: broker memory stays bounded, all answered in order', { timeout: 60_000 }, async () => {
  await withBroker(async (b) => {
    await b.broker.topics.create({ name: 'blocker', numPartitions: 1, replicationFactor: 1, configs: {} });
    const c = await RawClient.connect(b.port, b.host);
    try {
      // The long poll (4 s) outlasts the ~1.5 s of sending and settling below, even on a loaded machine.
      c.send(requestFrame(Fetch, 12, 0, {
        replicaId: -1, maxWaitMs: 4000, minBytes: 1, maxBytes: MB, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic: 'blocker', topicId: ZERO, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: MB, replicaDirectoryId: ZERO }] }],
        forgottenTopicsData: [], rackId: '',
      }));
      const COUNT = 60;
      // ~4 MB each (under socket.request.max.bytes = 5 MB): 240 MB if all were buffered.
      const big = Buffer.alloc(4 * MB - 1024, 7);
      for (let i = 1; i <= COUNT; i++) {
        c.send(requestFrame(Produce, 9, i, { acks: 1, timeoutMs: 1000, topicData: [{ name: 'no-such-topic', partitionData: [{ index: 0, records: big }] }] }));
        if (i % 10 === 0) await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, 1000));
      // While the long poll blocks the connection, the broker reads about socket.request.max.bytes
      // of requests (plus kernel buffers); the rest stays unsent in the client's socket buffer.
      assert.ok(c.socket.writableLength > 100 * MB, `client could write ${(COUNT * 4 - c.socket.writableLength / MB).toFixed(0)} MB: the broker kept reading`);
      const frames = await c.read(COUNT + 1, 30_000);
      frames.forEach((f, i) => assert.equal(responseReader(f, true).correlationId, i));
    } finally {
      c.close();
    }
  }, { overrides: { 'socket.request.max.bytes': String(5 * MB) } });
});
