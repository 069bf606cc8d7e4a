/**
 * Regression: topic compression.type was ignored (batches were always stored as the producer
 * sent them). Kafka re-encodes a batch whose codec differs from compression.type unless it is
 * `producer`. The effective value is the topic's override, else the broker's compression.type,
 * and an AlterConfigs takes effect on the next produce.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { KafkaClient } from '../../src/client/index.js';
import { Produce } from '../../src/protocol/messages/produce.js';
import { encodeBatch, decodeBatches } from '../../src/protocol/records.js';
import { Compression, compressionOf } from '../../src/protocol/record-batch.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { RunningBroker } from '../../src/index.js';

async function produce(client: KafkaClient, topic: string, values: string[], compression: Compression): Promise<number> {
  const records = encodeBatch({ records: values.map((v) => ({ key: v, value: `${v}-${'z'.repeat(200)}` })), compression, timestamp: Date.now() });
  const res = await client.request(Produce, {
    transactionalId: null, acks: -1, timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
  });
  const p = res.responses[0]!.partitionResponses[0]!;
  assert.equal(p.errorCode, ErrorCode.NONE, p.errorMessage ?? undefined);
  return p.baseOffset;
}

async function stored(b: RunningBroker, topic: string): Promise<{ codecs: Compression[]; keys: string[] }> {
  const log = b.broker.partitionLog(topic, 0)!;
  const batches = decodeBatches((await log.read(0, 1 << 30, log.highWatermark)).records);
  return { codecs: batches.map((x) => compressionOf(x.header.attributes)), keys: batches.flatMap((x) => x.records.map((r) => r.key!.toString())) };
}

test('issue: compression.type (broker default, topic override, altered) decides the stored codec', { timeout: 30_000 }, async () => {
  await withBroker(async (b) => {
    for (const [name, configs] of [['inherits-lz4', {}], ['keeps-producer', { 'compression.type': 'producer' }], ['altered', {}]] as const) {
      assert.equal((await b.broker.topics.create({ name, numPartitions: 1, replicationFactor: 1, configs })).errorCode, 0);
    }
    const client = await KafkaClient.connect(b.bootstrap);
    try {
      // Broker default lz4: uncompressed and gzip batches are stored as lz4.
      await produce(client, 'inherits-lz4', ['a', 'b'], Compression.None);
      await produce(client, 'inherits-lz4', ['c'], Compression.Gzip);
      assert.deepEqual(await stored(b, 'inherits-lz4'), { codecs: [Compression.Lz4, Compression.Lz4], keys: ['a', 'b', 'c'] });

      // A topic override wins over the broker default.
      await produce(client, 'keeps-producer', ['d'], Compression.Snappy);
      await produce(client, 'keeps-producer', ['e'], Compression.None);
      assert.deepEqual(await stored(b, 'keeps-producer'), { codecs: [Compression.Snappy, Compression.None], keys: ['d', 'e'] });

      // AlterConfigs applies to the next produce; earlier batches stay as they were stored.
      await produce(client, 'altered', ['f'], Compression.Zstd);
      assert.equal((await b.broker.topics.alterConfigs('altered', { 'compression.type': 'uncompressed' })).errorCode, 0);
      assert.equal(await produce(client, 'altered', ['g', 'h'], Compression.Zstd), 1);
      assert.deepEqual(await stored(b, 'altered'), { codecs: [Compression.Lz4, Compression.None], keys: ['f', 'g', 'h'] });
    } finally {
      await client.close();
    }
  }, { overrides: { 'compression.type': 'lz4' } });
});
