/**
 * KafkaJS 2.2.4 transactional producers against Sherwood: transaction() / send() /
 * sendOffsets() / commit() / abort(), and a second producer with the same transactionalId
 * fencing the first. Checked with a read_uncommitted KafkaJS consumer, the markers in the
 * partition, DescribeTransactions and admin.fetchOffsets.
 * The read_committed consumer sees only the committed transactions (it drops the aborted ones
 * the Fetch responses list and skips the markers).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { startTestBroker } from '../helpers/broker.js';
import type { RunningBroker } from '../../src/index.js';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { describeTransaction, partitionBatches, until } from './transactions-helpers.js';

async function withTxnBroker(fn: (b: RunningBroker, kafka: Kafka, c: KafkaClient) => Promise<void>): Promise<void> {
  const b = await startTestBroker({ overrides: { 'offsets.topic.num.partitions': '3', 'transaction.state.log.num.partitions': '3', 'group.initial.rebalance.delay.ms': '0' } });
  const kafka = new Kafka({ clientId: 'kjs-txn', brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 50 } });
  const c = await KafkaClient.connect(b.bootstrap, { clientId: 'kjs-txn-check' });
  try {
    await fn(b, kafka, c);
  } finally {
    await c.close();
    await b.close();
  }
}

/** Every value of the topic's partition 0, read by a KafkaJS consumer (no group commits). */
async function readAll(kafka: Kafka, topic: string, expected: number, readUncommitted: boolean): Promise<string[]> {
  const consumer: Consumer = kafka.consumer({ groupId: `reader-${topic}-${readUncommitted}`, readUncommitted, maxWaitTimeInMs: 100, sessionTimeout: 10_000, heartbeatInterval: 500 });
  const got: string[] = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ autoCommit: false, eachMessage: async ({ message }) => { got.push(message.value!.toString()); } });
    await until(`${expected} records of ${topic}`, async () => got.length, (n) => n >= expected);
    await new Promise((resolve) => setTimeout(resolve, 300));
  } finally {
    await consumer.disconnect();
  }
  return got;
}

test('KafkaJS: commit, abort and commit with sendOffsets; markers, offsets and state as Kafka would leave them', { timeout: 120_000 }, async () => {
  await withTxnBroker(async (b, kafka, c) => {
    for (const name of ['kjs-out', 'kjs-in']) await b.broker.topics.create({ name, numPartitions: 1, replicationFactor: 1, configs: {} });
    const producer = kafka.producer({ transactionalId: 'kjs-tx', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      for (const [name, offset, commit] of [['A', 10, true], ['B', 50, false], ['C', 100, true]] as const) {
        const txn = await producer.transaction();
        await txn.send({ topic: 'kjs-out', messages: [0, 1, 2].map((i) => ({ value: `${name}${i}`, partition: 0 })) });
        await txn.sendOffsets({ consumerGroupId: 'kjs-g', topics: [{ topic: 'kjs-in', partitions: [{ partition: 0, offset: String(offset) }] }] });
        if (commit) await txn.commit();
        else await txn.abort();
      }
    } finally {
      await producer.disconnect();
    }
    const d = await until('CompleteCommit', () => describeTransaction(c, 'kjs-tx'), (x) => x.transactionState === 'CompleteCommit');
    const batches = await partitionBatches(c, 'kjs-out', 0);
    assert.deepEqual(batches.map((x) => x.control ?? x.values.join()), ['A0,A1,A2', 'COMMIT', 'B0,B1,B2', 'ABORT', 'C0,C1,C2', 'COMMIT']);
    assert.ok(batches.every((x) => x.producerId === d.producerId));
    assert.deepEqual(await readAll(kafka, 'kjs-out', 9, true), ['A0', 'A1', 'A2', 'B0', 'B1', 'B2', 'C0', 'C1', 'C2'], 'read_uncommitted sees every record, no markers');
    const admin = kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchOffsets({ groupId: 'kjs-g', topics: ['kjs-in'] });
      assert.deepEqual(offsets[0]!.partitions.map((p) => [p.partition, p.offset]), [[0, '100']]);
    } finally {
      await admin.disconnect();
    }
  });
});

test('KafkaJS: a second producer with the same transactionalId fences the first', { timeout: 120_000 }, async () => {
  await withTxnBroker(async (b, kafka, c) => {
    await b.broker.topics.create({ name: 'kjs-fence', numPartitions: 1, replicationFactor: 1, configs: {} });
    const first = kafka.producer({ transactionalId: 'kjs-fence', idempotent: true, maxInFlightRequests: 1 });
    const second = kafka.producer({ transactionalId: 'kjs-fence', idempotent: true, maxInFlightRequests: 1 });
    await first.connect();
    try {
      const zombie = await first.transaction();
      await zombie.send({ topic: 'kjs-fence', messages: [{ value: 'zombie', partition: 0 }] });
      await second.connect();
      const txn = await second.transaction();
      await txn.send({ topic: 'kjs-fence', messages: [{ value: 'successor', partition: 0 }] });
      await txn.commit();
      await assert.rejects(zombie.commit(), (err: Error & { type?: string }) => /PRODUCER_FENCED|INVALID_PRODUCER_EPOCH/.test(`${err.type} ${err.message}`),
        'the fenced producer cannot commit');
    } finally {
      await first.disconnect().catch(() => undefined);
      await second.disconnect();
    }
    const d = await until('CompleteCommit', () => describeTransaction(c, 'kjs-fence'), (x) => x.transactionState === 'CompleteCommit');
    // Fenced to 1, aborted at 2 (Transaction V2 abort at transaction.version 2), successor at 3.
    assert.deepEqual([d.transactionState, d.producerEpoch], ['CompleteCommit', 3]);
    assert.deepEqual((await partitionBatches(c, 'kjs-fence', 0)).map((x) => x.control ?? x.values.join()), ['zombie', 'ABORT', 'successor', 'COMMIT']);
  });
});

test('KafkaJS read_committed: only committed transactions are read', { timeout: 120_000 }, async () => {
  await withTxnBroker(async (b, kafka) => {
    await b.broker.topics.create({ name: 'kjs-rc', numPartitions: 1, replicationFactor: 1, configs: {} });
    const producer = kafka.producer({ transactionalId: 'kjs-rc', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      for (const [name, commit] of [['A', true], ['B', false], ['C', true]] as const) {
        const txn = await producer.transaction();
        await txn.send({ topic: 'kjs-rc', messages: [0, 1].map((i) => ({ value: `${name}${i}`, partition: 0 })) });
        if (commit) await txn.commit();
        else await txn.abort();
      }
    } finally {
      await producer.disconnect();
    }
    assert.deepEqual(await readAll(kafka, 'kjs-rc', 4, false), ['A0', 'A1', 'C0', 'C1']);
  });
});
