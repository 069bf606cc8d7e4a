/**
 * A client that sends a whole Produce request and disconnects before the response: Kafka
 * processes a fully received request, so the records are appended exactly once, and nothing
 * throws or rejects unhandled when the response finds the socket gone.
 *
 * Pipelined requests behind the first one: Kafka mutes a channel while it processes a request,
 * so requests still queued when the socket dies may be dropped (the client never got an ack
 * and retries). What must hold: every batch is appended at most once, the appended ones are a
 * prefix of each connection's requests (no reordering, no gap), the first is always there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { RequestTracker, countingTransport, highWatermarkReached } from '../helpers/broker-events.js';
import { until } from '../helpers/wait.js';
import type { RunningBroker } from '../../src/index.js';
import { Produce } from '../../src/protocol/messages/produce.js';
import { encodeBatch } from '../../src/protocol/records.js';
import { KafkaClient, fetch } from '../../src/client/index.js';
import { RawClient, requestFrame } from '../unit/server/raw-client.js';

/** A broker whose side of every connection and every request can be waited on. */
async function withTrackedBroker(fn: (b: RunningBroker, quiet: () => Promise<void>) => Promise<void>): Promise<void> {
  const transport = countingTransport();
  await withBroker(async (b) => {
    const requests = RequestTracker.attach(b);
    // Every connection closed on the broker's side (nothing more is read or started) and no
    // request running (nothing more is appended): the log is final.
    const quiet = () => until('the broker to close every connection and finish every request', () => transport.open === 0 && requests.inFlight === 0,
      { detail: () => `${transport.open} connections open, ${requests.inFlight} requests running` });
    await fn(b, quiet);
  }, { transport });
}

for (const acks of [1, -1]) {
  test(`Produce acks=${acks} then disconnect before the response: appended exactly once`, async () => {
    const rejections: unknown[] = [];
    const onRejection = (err: unknown): void => { rejections.push(err); };
    process.on('unhandledRejection', onRejection);
    try {
      await withTrackedBroker(async (b, quiet) => {
        const topic = `pd-${acks === 1 ? 'one' : 'all'}`;
        await b.broker.topics.create({ name: topic, numPartitions: 1, replicationFactor: 1, configs: {} });
        const sent: string[] = [];
        // 30 connections each send one Produce request of 4 records and vanish at once.
        for (let c = 0; c < 30; c++) {
          const client = await RawClient.connect(b.port, b.host);
          const values = [0, 1, 2, 3].map((i) => `c${c}-${i}`);
          sent.push(...values);
          const batch = encodeBatch({ records: values.map((v) => ({ key: null, value: Buffer.from(v) })) });
          client.send(requestFrame(Produce, 9, 0, { acks, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] }));
          client.socket.end();
          client.close();
        }
        const log = b.broker.partitionLog(topic, 0)!;
        await highWatermarkReached(b, topic, 0, sent.length, 5000);
        await quiet();
        assert.equal(log.logEndOffset, sent.length, 'no record appended twice');

        const client = await KafkaClient.connect(b.bootstrap);
        try {
          const got: string[] = [];
          let offset = 0;
          while (offset < sent.length) {
            const r = await fetch(client, topic, 0, offset, { maxWaitMs: 100 });
            got.push(...r.records.map((x) => x.value!.toString()));
            offset = r.nextOffset;
          }
          assert.deepEqual([...got].sort(), [...sent].sort());
        } finally {
          await client.close();
        }
      });
      assert.deepEqual(rejections, []);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });
}

test('pipelined Produce requests then disconnect: at most once each, a prefix per connection', async () => {
  await withTrackedBroker(async (b, quiet) => {
    const topic = 'pd-pipelined';
    await b.broker.topics.create({ name: topic, numPartitions: 1, replicationFactor: 1, configs: {} });
    const CONNECTIONS = 20;
    const REQUESTS = 5;
    for (let c = 0; c < CONNECTIONS; c++) {
      const client = await RawClient.connect(b.port, b.host);
      const frames: Buffer[] = [];
      for (let k = 0; k < REQUESTS; k++) {
        const batch = encodeBatch({ records: [0, 1].map((i) => ({ key: Buffer.from(`c${c}`), value: Buffer.from(`${k}-${i}`) })) });
        frames.push(requestFrame(Produce, 9, k, { acks: 1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] }));
      }
      client.send(Buffer.concat(frames));
      client.socket.end();
      client.close();
    }
    const log = b.broker.partitionLog(topic, 0)!;
    await highWatermarkReached(b, topic, 0, CONNECTIONS * 2, 5000); // the first request of every connection
    await quiet(); // the later ones appended or dropped, all of them
    const client = await KafkaClient.connect(b.bootstrap);
    try {
      const perConnection = new Map<string, string[]>();
      let offset = 0;
      while (offset < log.highWatermark) {
        const r = await fetch(client, topic, 0, offset, { maxWaitMs: 100 });
        for (const x of r.records) {
          const k = x.key!.toString();
          perConnection.set(k, [...(perConnection.get(k) ?? []), x.value!.toString()]);
        }
        offset = r.nextOffset;
      }
      assert.equal(perConnection.size, CONNECTIONS);
      for (const [k, values] of perConnection) {
        const requests = values.length / 2;
        assert.ok(Number.isInteger(requests) && requests >= 1 && requests <= REQUESTS, `${k}: ${values.join(',')}`);
        const expected = Array.from({ length: requests }, (_, r) => [`${r}-0`, `${r}-1`]).flat();
        assert.deepEqual(values, expected, `${k}: a prefix, each once, in order`);
      }
    } finally {
      await client.close();
    }
  });
});
