/**
 * KIP-110: a client that fetches with a version below 10 cannot know zstd, so Kafka answers
 * such a fetch with UNSUPPORTED_COMPRESSION_TYPE for the partition instead of handing it
 * zstd batches (KafkaApis.handleFetchRequest checks the topic's compression.type; we also
 * check the headers of the batches being returned, so producer-compressed zstd is covered).
 * v10+ gets the records. Before the fix every version got the zstd batches.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { KafkaClient, KafkaError } from '../../src/client/index.js';
import { fetch, produce } from '../../src/client/operations.js';
import { Compression } from '../../src/protocol/record-batch.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';

const isUnsupportedCompression = (err: unknown): boolean => err instanceof KafkaError && err.errorCode === ErrorCode.UNSUPPORTED_COMPRESSION_TYPE;
const values = (r: { records: { value: Buffer | null }[] }): string[] => r.records.map((x) => x.value!.toString());

test('Fetch v9 meeting a producer-compressed zstd batch answers UNSUPPORTED_COMPRESSION_TYPE; v10 gets it', { timeout: 30_000 }, async () => {
  await withBroker(async (b) => {
    const topic = 'zstd-by-producer';
    assert.equal((await b.broker.topics.create({ name: topic, numPartitions: 1, replicationFactor: 1, configs: {} })).errorCode, ErrorCode.NONE);
    const client = await KafkaClient.connect(b.bootstrap);
    try {
      assert.equal((await produce(client, topic, 0, [{ key: null, value: Buffer.from('gzip') }], { compression: Compression.Gzip })).baseOffset, 0);
      assert.equal((await produce(client, topic, 0, [{ key: null, value: Buffer.from('zstd') }], { compression: Compression.Zstd })).baseOffset, 1);
      assert.equal((await produce(client, topic, 0, [{ key: null, value: Buffer.from('plain') }])).baseOffset, 2);

      // Only the gzip batch fits: v9 may have it.
      const first = await fetch(client, topic, 0, 0, { version: 9, maxWaitMs: 0, partitionMaxBytes: 1 });
      assert.deepEqual(values(first), ['gzip']);
      // The read from offset 0 with room for everything holds the zstd batch, as does one from 1.
      await assert.rejects(fetch(client, topic, 0, 0, { version: 9, maxWaitMs: 0 }), isUnsupportedCompression);
      await assert.rejects(fetch(client, topic, 0, 1, { version: 4, maxWaitMs: 0 }), isUnsupportedCompression);
      await assert.rejects(fetch(client, topic, 0, 1, { version: 9, maxWaitMs: 0, partitionMaxBytes: 1 }), isUnsupportedCompression);
      // Past it, v9 reads again; v10 reads everything.
      assert.deepEqual(values(await fetch(client, topic, 0, 2, { version: 9, maxWaitMs: 0 })), ['plain']);
      assert.deepEqual(values(await fetch(client, topic, 0, 0, { version: 10, maxWaitMs: 0 })), ['gzip', 'zstd', 'plain']);
      assert.deepEqual(values(await fetch(client, topic, 0, 1, { version: 12, maxWaitMs: 0 })), ['zstd', 'plain']);
    } finally {
      await client.close();
    }
  });
});

test('Fetch v9 on a topic with compression.type=zstd answers UNSUPPORTED_COMPRESSION_TYPE even with nothing to return', { timeout: 30_000 }, async () => {
  await withBroker(async (b) => {
    const topic = 'zstd-by-config';
    assert.equal((await b.broker.topics.create({ name: topic, numPartitions: 1, replicationFactor: 1, configs: { 'compression.type': 'zstd' } })).errorCode, ErrorCode.NONE);
    const client = await KafkaClient.connect(b.bootstrap);
    try {
      await produce(client, topic, 0, [{ key: null, value: Buffer.from('recompressed') }]);
      await assert.rejects(fetch(client, topic, 0, 0, { version: 9, maxWaitMs: 0 }), isUnsupportedCompression);
      // At the log end there is no batch, but Kafka checks the topic's config: no long poll either.
      const t0 = Date.now();
      await assert.rejects(fetch(client, topic, 0, 1, { version: 9, maxWaitMs: 5000 }), isUnsupportedCompression);
      assert.ok(Date.now() - t0 < 4000, 'answered without waiting out maxWaitMs');
      assert.deepEqual(values(await fetch(client, topic, 0, 0, { version: 10, maxWaitMs: 0 })), ['recompressed']);
    } finally {
      await client.close();
    }
  });
});
