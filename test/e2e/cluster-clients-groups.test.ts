/**
 * KafkaJS and @platformatic/kafka against three in-process brokers over TCP: each produces with
 * acks=all to an RF=3 topic whose partitions are led by different brokers (bootstrapping from
 * one broker) and consumes it in a group whose coordinator is whichever broker leads the group's
 * `__consumer_offsets` partition; the committed offsets are at the end afterwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { Consumer, Producer, ProduceAcks, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { tcpTransport } from '../../src/base/transport.js';
import { startInProcessCluster } from '../helpers/in-process-cluster.js';
import { until } from '../helpers/wait.js';

const overrides = { 'offsets.topic.num.partitions': '3', 'group.initial.rebalance.delay.ms': '0' };
const values = Array.from({ length: 30 }, (_, i) => `v${i}`);

test('KafkaJS: produce acks=all and consume in a group across 3 brokers', { timeout: 120_000 }, async () => {
  const c = await startInProcessCluster({ brokers: 3, transport: tcpTransport, overrides });
  try {
    await c.createTopic('kjs-3', 3, 3);
    const kafka = new Kafka({ clientId: 'kjs-3', brokers: [c.broker(2).bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({ topic: 'kjs-3', acks: -1, messages: values.map((value, i) => ({ value, partition: i % 3 })) });
    } finally {
      await producer.disconnect();
    }
    const consumer = kafka.consumer({ groupId: 'kjs-3-group', maxWaitTimeInMs: 100, sessionTimeout: 10_000, heartbeatInterval: 500 });
    const got: string[] = [];
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: 'kjs-3', fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => { got.push(message.value!.toString()); } });
      await until('every record', () => got.length >= values.length);
    } finally {
      await consumer.disconnect(); // commits what was consumed
    }
    assert.deepEqual([...got].sort(), [...values].sort());
    const admin = kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchOffsets({ groupId: 'kjs-3-group', topics: ['kjs-3'] });
      assert.deepEqual(offsets[0]!.partitions.map((p) => [p.partition, p.offset]).sort(), [[0, '10'], [1, '10'], [2, '10']]);
    } finally {
      await admin.disconnect();
    }
  } finally {
    await c.close();
  }
});

test('@platformatic/kafka: produce acks=all and consume in a group across 3 brokers', { timeout: 120_000 }, async () => {
  const c = await startInProcessCluster({ brokers: 3, transport: tcpTransport, overrides });
  try {
    await c.createTopic('plt-3', 3, 3);
    const bootstrap = c.broker(3).bootstrap;
    const producer = new Producer({ clientId: 'plt-3', bootstrapBrokers: [bootstrap], serializers: stringSerializers, autocreateTopics: false });
    try {
      await producer.send({ messages: values.map((value, i) => ({ topic: 'plt-3', partition: i % 3, value })), acks: ProduceAcks.ALL });
    } finally {
      await producer.close();
    }
    const consumer = new Consumer({ groupId: 'plt-3-group', clientId: 'plt-3', bootstrapBrokers: [bootstrap], deserializers: stringDeserializers, maxWaitTime: 200 });
    const got: string[] = [];
    try {
      const stream = await consumer.consume({ topics: ['plt-3'], mode: 'earliest', autocommit: false, sessionTimeout: 10_000, heartbeatInterval: 500 });
      const timer = setTimeout(() => { void stream.close(); }, 60_000);
      for await (const message of stream) {
        got.push(message.value as string);
        await message.commit();
        if (got.length >= values.length) break;
      }
      clearTimeout(timer);
      await stream.close();
      const committed = await consumer.listCommittedOffsets({ topics: [{ topic: 'plt-3', partitions: [0, 1, 2] }] });
      assert.deepEqual(committed.get('plt-3'), [10n, 10n, 10n]);
    } finally {
      await consumer.close(true);
    }
    assert.deepEqual([...got].sort(), [...values].sort());
  } finally {
    await c.close();
  }
});
