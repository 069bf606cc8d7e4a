/**
 * Idempotent producers of KafkaJS (`idempotent: true`) and @platformatic/kafka (`idempotent:
 * true`): InitProducerId hands each a producer id, their batches carry it with sequences the
 * partitions check, every record arrives once, in order, and DescribeProducers (what
 * kafka-transactions.sh describe-producers shows) reports each producer with its epoch and
 * last sequence. kafka-python 2.0.2, which has no idempotence, keeps producing as before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { Producer, ProduceAcks, stringSerializers } from '@platformatic/kafka';
import { withBroker } from '../helpers/broker.js';
import type { RunningBroker } from '../../src/index.js';
import { runPython } from '../helpers/clients.js';
import { KafkaClient } from '../../src/client/index.js';
import { DescribeProducers } from '../../src/protocol/messages/describe-producers.js';
import { decodeBatches } from '../../src/protocol/records.js';

/** Every record value of a partition with its batch's producer id and base sequence, from the stored log. */
async function stored(b: RunningBroker, topic: string, partition: number) {
  const log = b.broker.partitionLog(topic, partition)!;
  const r = await log.read(0, 64 << 20, log.highWatermark);
  return decodeBatches(r.records).flatMap((batch) => batch.records.map((rec, i) => ({
    value: rec.value!.toString(), producerId: batch.header.producerId, epoch: batch.header.producerEpoch, sequence: batch.header.baseSequence + i,
  })));
}

async function describeProducers(b: RunningBroker, topic: string, partitions: number[]) {
  const client = await KafkaClient.connect(b.bootstrap);
  try {
    const res = await client.request(DescribeProducers, { topics: [{ name: topic, partitionIndexes: partitions }] }, { version: 0 });
    return res.topics[0]!.partitions;
  } finally {
    await client.close();
  }
}

test('KafkaJS idempotent producer: a producer id, checked sequences, every record once, DescribeProducers shows it', { timeout: 90_000 }, async () => {
  await withBroker(async (b) => {
    await b.broker.topics.create({ name: 'kjs-idem', numPartitions: 2, replicationFactor: 1 });
    const kafka = new Kafka({ clientId: 'kjs-idem', brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      for (let round = 0; round < 10; round++) {
        await producer.send({
          topic: 'kjs-idem',
          messages: Array.from({ length: 50 }, (_, i) => ({ partition: i % 2, value: `r${round}-${i}` })),
        });
      }
    } finally {
      await producer.disconnect();
    }
    const all = [...(await stored(b, 'kjs-idem', 0)), ...(await stored(b, 'kjs-idem', 1))];
    assert.equal(all.length, 500);
    assert.equal(new Set(all.map((r) => r.value)).size, 500, 'every record once');
    const ids = new Set(all.map((r) => r.producerId));
    assert.equal(ids.size, 1, 'one producer id');
    const [pid] = [...ids];
    assert.ok(pid! >= 0, 'batches carry the producer id from InitProducerId');
    for (const p of [0, 1]) {
      const seqs = (await stored(b, 'kjs-idem', p)).map((r) => r.sequence);
      assert.deepEqual(seqs, seqs.map((_, i) => i), `partition ${p}: sequences 0..n-1`);
    }
    const described = await describeProducers(b, 'kjs-idem', [0, 1, 7]);
    for (const p of [0, 1]) {
      assert.equal(described[p]!.errorCode, 0);
      assert.deepEqual(described[p]!.activeProducers.map((a) => [a.producerId, a.producerEpoch, a.lastSequence, a.currentTxnStartOffset]), [[pid, 0, 249, -1]]);
    }
    assert.equal(described[2]!.errorCode, 3, 'UNKNOWN_TOPIC_OR_PARTITION for a partition that does not exist');
  });
});

test('@platformatic/kafka idempotent producer: every record once, one producer id, sequences checked', { timeout: 90_000 }, async () => {
  await withBroker(async (b) => {
    await b.broker.topics.create({ name: 'plt-idem', numPartitions: 1, replicationFactor: 1 });
    const producer = new Producer({ clientId: 'plt-idem', bootstrapBrokers: [b.bootstrap], serializers: stringSerializers, autocreateTopics: false, idempotent: true });
    try {
      for (let round = 0; round < 5; round++) {
        const r = await producer.send({ messages: Array.from({ length: 40 }, (_, i) => ({ topic: 'plt-idem', partition: 0, value: `r${round}-${i}` })), acks: ProduceAcks.ALL });
        assert.deepEqual(r.offsets?.map((o) => o.offset), [BigInt(round * 40)]);
      }
    } finally {
      await producer.close();
    }
    const records = await stored(b, 'plt-idem', 0);
    assert.deepEqual(records.map((r) => r.value), Array.from({ length: 200 }, (_, i) => `r${Math.floor(i / 40)}-${i % 40}`));
    assert.equal(new Set(records.map((r) => r.producerId)).size, 1);
    assert.ok(records[0]!.producerId >= 0);
    assert.deepEqual(records.map((r) => r.sequence), records.map((_, i) => i));
    const [d] = await describeProducers(b, 'plt-idem', [0]);
    assert.equal(d!.activeProducers[0]!.lastSequence, 199);
  });
});

test('kafka-python 2.0.2 (no idempotence) produces as before: batches without a producer id', { timeout: 60_000 }, async () => {
  await withBroker(async (b) => {
    await runPython(`
import sys
from kafka import KafkaProducer
p = KafkaProducer(bootstrap_servers=[sys.argv[1]], acks='all')
for i in range(20):
    p.send('kp-plain', value=b'v%d' % i)
p.flush()
p.close()
`, [b.bootstrap], 30_000);
    const records = await stored(b, 'kp-plain', 0);
    assert.equal(records.length, 20);
    assert.ok(records.every((r) => r.producerId === -1));
    const [d] = await describeProducers(b, 'kp-plain', [0]);
    assert.deepEqual(d!.activeProducers, []);
  });
});
