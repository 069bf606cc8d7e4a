/**
 * @platformatic/kafka 1.x: Producer (acks all, headers) and a group Consumer reading from the
 * earliest offset; also read back by kafka-python with assign() (no group). Logs the API
 * versions it used (see docs/compatibility.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Producer, Consumer, stringSerializers, stringDeserializers, ProduceAcks } from '@platformatic/kafka';
import { withBroker } from '../helpers/broker.js';
import { runPython, lastJson } from '../helpers/clients.js';
import { recordApiVersions, formatVersions } from './clients-versions.js';

const READ_BACK = `
import sys, json
from kafka import KafkaConsumer, TopicPartition
c = KafkaConsumer(bootstrap_servers=[sys.argv[1]], consumer_timeout_ms=10000, enable_auto_commit=False)
tp = TopicPartition('plt', 0)
c.assign([tp])
c.seek_to_beginning(tp)
out = []
for m in c:
    out.append({'o': m.offset, 'k': m.key.decode(), 'v': m.value.decode(), 'h': [[k, v.decode()] for k, v in m.headers]})
    if len(out) >= 60:
        break
c.close()
print(json.dumps(out))
`;

test('@platformatic/kafka producer + group consumer round trip', { timeout: 90_000 }, async (t) => {
  await withBroker(async (b) => {
    const seen = recordApiVersions(b);
    await b.broker.topics.create({ name: 'plt', numPartitions: 1, replicationFactor: 1, configs: {} });
    const producer = new Producer({ clientId: 'plt-producer', bootstrapBrokers: [b.bootstrap], serializers: stringSerializers, autocreateTopics: false });
    const messages = Array.from({ length: 60 }, (_, i) => ({ topic: 'plt', partition: 0, key: `k${i}`, value: `value-${i}`, headers: { src: `s${i}` } }));
    try {
      const r1 = await producer.send({ messages: messages.slice(0, 30), acks: ProduceAcks.ALL });
      const r2 = await producer.send({ messages: messages.slice(30), acks: ProduceAcks.LEADER });
      // Each send is one batch on partition 0: its base offset comes back from the broker.
      assert.deepEqual(r1.offsets?.map((o) => [o.topic, o.partition, o.offset]), [['plt', 0, 0n]]);
      assert.deepEqual(r2.offsets?.map((o) => [o.topic, o.partition, o.offset]), [['plt', 0, 30n]]);
    } finally {
      await producer.close();
    }
    assert.equal(b.broker.partitionLog('plt', 0)!.highWatermark, 60);

    const got = lastJson(await runPython(READ_BACK, [b.bootstrap], 30_000)) as { o: number; k: string; v: string; h: string[][] }[];
    assert.deepEqual(got.map((m) => m.o), messages.map((_, i) => i));
    assert.deepEqual(got.map((m) => [m.k, m.v, m.h]), messages.map((m) => [m.key, m.value, [['src', m.headers.src]]]));

    const consumer = new Consumer({ groupId: 'plt-group', clientId: 'plt-consumer', bootstrapBrokers: [b.bootstrap], deserializers: stringDeserializers, maxWaitTime: 200 });
    try {
      const stream = await consumer.consume({ topics: ['plt'], mode: 'earliest', autocommit: false, sessionTimeout: 10_000, heartbeatInterval: 500 });
      const received: string[] = [];
      const timer = setTimeout(() => { void stream.close(); }, 30_000);
      for await (const message of stream) {
        received.push(`${message.key}=${message.value}`);
        if (received.length >= messages.length) break;
      }
      clearTimeout(timer);
      await stream.close();
      assert.deepEqual(received, messages.map((m) => `${m.key}=${m.value}`));
    } finally {
      await consumer.close(true);
    }
    t.diagnostic(`@platformatic/kafka + kafka-python used: ${formatVersions(seen)}`);
  });
});
