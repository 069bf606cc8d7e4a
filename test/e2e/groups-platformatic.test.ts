/**
 * @platformatic/kafka 1.x group consumer round trip: a consumer in a group reads half of a
 * topic and commits each message; after it closes, a second consumer of the same group in
 * "committed" mode reads exactly the other half; listCommittedOffsets reports the end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Consumer, Producer, ProduceAcks, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { withBroker } from '../helpers/broker.js';

async function consumeSome(bootstrap: string, count: number, mode: 'earliest' | 'committed'): Promise<string[]> {
  const consumer = new Consumer({ groupId: 'g-plt', clientId: 'plt-groups', bootstrapBrokers: [bootstrap], deserializers: stringDeserializers, maxWaitTime: 200 });
  const received: string[] = [];
  try {
    const stream = await consumer.consume({ topics: ['plt-g'], mode, autocommit: false, sessionTimeout: 10_000, heartbeatInterval: 500 });
    const timer = setTimeout(() => { void stream.close(); }, 30_000);
    for await (const message of stream) {
      received.push(message.value as string);
      await message.commit();
      if (received.length >= count) break;
    }
    clearTimeout(timer);
    await stream.close();
  } finally {
    await consumer.close(true);
  }
  return received;
}

test('@platformatic/kafka: group consumer commits; the next member of the group resumes there', { timeout: 90_000 }, async () => {
  await withBroker(async (b) => {
    await b.broker.topics.create({ name: 'plt-g', numPartitions: 1, replicationFactor: 1, configs: {} });
    const producer = new Producer({ clientId: 'plt-groups', bootstrapBrokers: [b.bootstrap], serializers: stringSerializers, autocreateTopics: false });
    try {
      await producer.send({ messages: Array.from({ length: 20 }, (_, i) => ({ topic: 'plt-g', partition: 0, value: `m${i}` })), acks: ProduceAcks.ALL });
    } finally {
      await producer.close();
    }
    const first = await consumeSome(b.bootstrap, 10, 'earliest');
    assert.deepEqual(first, Array.from({ length: 10 }, (_, i) => `m${i}`));
    const second = await consumeSome(b.bootstrap, 10, 'committed');
    assert.deepEqual(second, Array.from({ length: 10 }, (_, i) => `m${i + 10}`));

    const consumer = new Consumer({ groupId: 'g-plt', clientId: 'plt-groups', bootstrapBrokers: [b.bootstrap] });
    try {
      const committed = await consumer.listCommittedOffsets({ topics: [{ topic: 'plt-g', partitions: [0] }] });
      assert.deepEqual(committed.get('plt-g'), [20n]);
    } finally {
      await consumer.close(true);
    }
  }, { overrides: { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '3' } });
});
