/**
 * KafkaJS 2.2.4: producer (auto-creating the topic via Metadata) and admin fetchTopicOffsets;
 * the records are read back by a KafkaJS consumer in a group and by kafka-python with
 * assign() (no group). Logs the API versions KafkaJS used (see docs/compatibility.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel, CompressionTypes } from 'kafkajs';
import { withBroker } from '../helpers/broker.js';
import { runPython, lastJson } from '../helpers/clients.js';
import { recordApiVersions, formatVersions } from './clients-versions.js';

const READ_BACK = `
import sys, json
from kafka import KafkaConsumer, TopicPartition
c = KafkaConsumer(bootstrap_servers=[sys.argv[1]], consumer_timeout_ms=10000, enable_auto_commit=False)
tps = [TopicPartition('kjs', p) for p in range(2)]
c.assign(tps)
c.seek_to_beginning(*tps)
out = []
for m in c:
    out.append({'p': m.partition, 'o': m.offset, 'k': m.key.decode(), 'v': m.value.decode(), 'h': [[k, v.decode()] for k, v in m.headers]})
    if len(out) >= 100:
        break
c.close()
print(json.dumps(out))
`;

test('KafkaJS producer + admin + consumer group round trip', { timeout: 90_000 }, async (t) => {
  await withBroker(async (b) => {
    const seen = recordApiVersions(b);
    await b.broker.topics.create({ name: 'kjs', numPartitions: 2, replicationFactor: 1, configs: {} });
    const kafka = new Kafka({ clientId: 'kjs-test', brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3 } });
    const producer = kafka.producer();
    await producer.connect();
    const messages = Array.from({ length: 100 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition: i % 2, headers: { h: `x${i}` } }));
    await producer.send({ topic: 'kjs', messages: messages.slice(0, 50), acks: -1 });
    await producer.send({ topic: 'kjs', messages: messages.slice(50), acks: 1, compression: CompressionTypes.GZIP });
    await producer.disconnect();

    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets('kjs');
    await admin.disconnect();
    assert.deepEqual(offsets.map((o) => [o.partition, o.low, o.high]).sort(), [[0, '0', '50'], [1, '0', '50']]);

    const got = lastJson(await runPython(READ_BACK, [b.bootstrap], 30_000)) as { p: number; o: number; k: string; v: string; h: string[][] }[];
    assert.equal(got.length, 100);
    for (const p of [0, 1]) {
      const part = got.filter((m) => m.p === p);
      assert.deepEqual(part.map((m) => m.o), Array.from({ length: 50 }, (_, i) => i));
      assert.deepEqual(part.map((m) => [m.k, m.v]), messages.filter((m) => m.partition === p).map((m) => [m.key, m.value]));
      assert.deepEqual(part.map((m) => m.h), messages.filter((m) => m.partition === p).map((m) => [['h', m.headers.h]]));
    }

    // A KafkaJS consumer in a group reads the same 100 records.
    const consumer = kafka.consumer({ groupId: 'kjs-group', sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'kjs', fromBeginning: true });
    const received: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`KafkaJS consumer got ${received.length} of 100`)), 40_000);
      consumer.run({
        eachMessage: async ({ message }) => {
          received.push(message.value!.toString());
          if (received.length >= 100) {
            clearTimeout(timer);
            resolve();
          }
        },
      }).catch(reject);
    }).finally(() => consumer.disconnect());
    assert.deepEqual(received.sort(), messages.map((m) => m.value).sort());
    t.diagnostic(`KafkaJS + kafka-python used: ${formatVersions(seen)}`);
  });
});
