/** The client helpers against a real in-process broker. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../../helpers/broker.js';
import { highWatermarkReached } from '../../helpers/broker-events.js';
import { KafkaClient, KafkaError, SimpleConsumer } from '../../../src/client/index.js';
import { Compression } from '../../../src/protocol/record-batch.js';
import { ErrorCode } from '../../../src/protocol/error-codes.js';
import { Metadata } from '../../../src/protocol/messages/metadata.js';

test('produce, fetch, listOffsets and a simple consumer against the broker', { timeout: 60_000 }, async () => {
  await withBroker(async (b) => {
    await b.broker.topics.create({ name: 'live', numPartitions: 2, replicationFactor: 1, configs: {} });
    const client = await KafkaClient.connect(b.bootstrap, { clientId: 'live-test' });
    try {
      const md = await client.metadata(['live']);
      assert.equal(md.brokers.length, 1);
      assert.equal(md.topics[0]!.partitions.length, 2);
      assert.ok(!md.topics[0]!.topicId.equals(Buffer.alloc(16)));

      const r1 = await client.produce('live', 1, [{ key: 'k', value: 'v', headers: [{ key: 'h', value: Buffer.alloc(0) }] }, { key: null, value: null }], { compression: Compression.Zstd });
      assert.equal(r1.baseOffset, 0);
      const r2 = await client.produce('live', 1, [{ key: 'k2', value: 'v2' }], { acks: 1 });
      assert.equal(r2.baseOffset, 2);
      const r0 = await client.produce('live', 1, [{ key: 'k3', value: 'v3' }], { acks: 0 });
      assert.equal(r0.baseOffset, -1);
      // acks=0 has no answer: wait (bounded) for the broker to append it, so the checks below are exact.
      await highWatermarkReached(b, 'live', 1, 4, 10_000);

      // Fetch from the middle: records before the fetch offset are not returned.
      const f = await client.fetch('live', 1, 1);
      assert.equal(f.highWatermark, 4);
      assert.deepEqual(f.records.slice(0, 2).map((r) => [r.offset, r.key?.toString() ?? null, r.value?.toString() ?? null]), [[1, null, null], [2, 'k2', 'v2']]);
      const whole = await client.fetch('live', 1, 0);
      assert.deepEqual(whole.records[0]!.headers, [{ key: 'h', value: Buffer.alloc(0) }]);

      assert.equal((await client.listOffsets('live', 1, -2)).offset, 0);
      assert.equal((await client.listOffsets('live', 1, -1)).offset, 4);

      await assert.rejects(client.fetch('live', 1, 1000), (e: unknown) => e instanceof KafkaError && e.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE);

      const consumer = await SimpleConsumer.create(client, { topic: 'live', startOffset: 'earliest', maxWaitMs: 100 });
      const got = await consumer.poll();
      assert.deepEqual(got.map((r) => [r.topic, r.partition, r.offset, r.value?.toString() ?? null]),
        [['live', 1, 0, 'v'], ['live', 1, 1, null], ['live', 1, 2, 'v2'], ['live', 1, 3, 'v3']]);

      // Raw request path: an explicit old version still works and errors are data.
      const old = await client.request(Metadata, { topics: [{ name: 'nope', topicId: Buffer.alloc(16) }], allowAutoTopicCreation: false }, { version: 4 });
      assert.equal(old.topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    } finally {
      await client.close();
    }
  });
});

test('committed offsets round trip through the group coordinator', { timeout: 60_000 }, async () => {
  await withBroker(async (b) => {
    await b.broker.topics.create({ name: 'live-commit', numPartitions: 1, replicationFactor: 1, configs: {} });
    const client = await KafkaClient.connect(b.bootstrap);
    try {
      const coord = await client.findCoordinator('live-group');
      assert.equal(coord.port, b.port);
      assert.deepEqual([...(await client.fetchCommittedOffsets('live-group', 'live-commit', [0]))], [[0, -1]]);
      await client.commitOffsets('live-group', [{ topic: 'live-commit', partition: 0, offset: 5 }]);
      assert.deepEqual([...(await client.fetchCommittedOffsets('live-group', 'live-commit', [0]))], [[0, 5]]);
    } finally {
      await client.close();
    }
  });
});
