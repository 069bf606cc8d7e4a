/**
 * startBroker's embedding defaults with a real client: the first member of a new group is
 * served without Kafka's 3 s group.initial.rebalance.delay.ms (a test suite would otherwise
 * wait 3 s per group), while `sherwood server` keeps Kafka's default.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type StartBrokerOptions } from '../../src/index.js';

async function firstRecordMs(options: StartBrokerOptions): Promise<number> {
  const b = await startBroker({ host: '127.0.0.1', port: 0, inMemory: true, logLevel: 'silent', ...options });
  const kafka = new Kafka({ clientId: 'embedded', brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  const consumer = kafka.consumer({ groupId: 'first-member', heartbeatInterval: 500 });
  try {
    await producer.connect();
    await producer.send({ topic: 'emb', messages: [{ value: 'one' }] });
    await consumer.connect();
    await consumer.subscribe({ topic: 'emb', fromBeginning: true });
    const t0 = performance.now();
    const got = new Promise<number>((resolve) => {
      void consumer.run({ eachMessage: async () => { resolve(performance.now() - t0); } });
    });
    return await got;
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
    await b.close();
  }
}

test('embedded: the first group member gets its first record without the 3 s initial rebalance delay', { timeout: 60_000 }, async () => {
  const embedded = await firstRecordMs({});
  const server = await firstRecordMs({ profile: 'server' });
  assert.ok(embedded < 2500, `embedded broker: first record after ${embedded.toFixed(0)} ms`);
  assert.ok(server >= 3000, `server profile keeps Kafka's 3 s delay: ${server.toFixed(0)} ms`);
});
