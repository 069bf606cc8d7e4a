/**
 * Consumer groups in a three-broker cluster on a real etcd (test/helpers/cluster.ts): every
 * broker names the same coordinator for a group — the leader of the `__consumer_offsets`
 * partition the group hashes to, often another broker — and confluent-kafka and KafkaJS
 * groups consume a replicated topic, commit, and a later member resumes from the commits.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { CreateTopics } from '../../src/protocol/messages/create-topics.js';
import { FindCoordinator } from '../../src/protocol/messages/find-coordinator.js';
import { lastJson, runPython } from '../helpers/clients.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { etcdAvailable } from '../helpers/etcd.js';
import { until, withTimeout } from '../helpers/wait.js';

const require = createRequire(import.meta.url);
const skip = etcdAvailable() ? false : 'etcd is not installed';
let cluster: TestCluster;

before(async () => {
  if (skip !== false) return;
  cluster = await startCluster({ brokers: 3, overrides: { 'group.initial.rebalance.delay.ms': '0' } });
  await cluster.waitForBrokers();
  const admin = await KafkaClient.connect(cluster.bootstrap(1));
  try {
    for (const name of ['orders', 'events']) {
      const r = await admin.request(CreateTopics, { topics: [{ name, numPartitions: 3, replicationFactor: 3, assignments: [], configs: [] }], timeoutMs: 30_000, validateOnly: false });
      assert.equal(r.topics[0]!.errorCode, 0);
    }
  } finally {
    await admin.close();
  }
});
after(async () => { await cluster?.close(); });

async function coordinatorFrom(nodeId: number, group: string): Promise<{ errorCode: number; nodeId: number }> {
  const client = await KafkaClient.connect(cluster.bootstrap(nodeId));
  try {
    return await client.request(FindCoordinator, { key: group, keyType: 0 }, { version: 2 });
  } finally {
    await client.close();
  }
}

/** Produces 300 records, consumes them in group G committing, then a new member of G reads what is left. */
const CONFLUENT_GROUP = `
import sys, json, time
from confluent_kafka import Producer, Consumer
bootstrap, topic, group = sys.argv[1], sys.argv[2], sys.argv[3]
p = Producer({'bootstrap.servers': bootstrap, 'enable.idempotence': True})
for i in range(300):
    p.produce(topic, value=b'%d' % i, partition=i % 3)
assert p.flush(30) == 0
def consume(limit, seconds):
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'auto.offset.reset': 'earliest', 'enable.auto.commit': False})
    c.subscribe([topic])
    got, deadline = [], time.time() + seconds
    while len(got) < limit and time.time() < deadline:
        m = c.poll(0.5)
        if m is not None and not m.error():
            got.append(int(m.value()))
            if len(got) % 50 == 0:
                c.commit(asynchronous=False)
    if len(got) % 50 != 0:
        c.commit(asynchronous=False)  # (a commit with nothing new fails with _NO_OFFSET)
    c.close()
    return got
first = consume(200, 60)
rest = consume(1000, 8)
print(json.dumps({'first': first, 'rest': rest}))
`;

test('every broker names the same coordinator for a group: the leader of its __consumer_offsets partition', { skip, timeout: 60_000 }, async () => {
  const seen = new Set<number>();
  for (const group of ['g-a', 'g-b', 'g-c', 'g-d', 'g-e', 'g-f']) {
    const answers = await until(`every broker answers for ${group}`, async () => {
      const all = await Promise.all([1, 2, 3].map((id) => coordinatorFrom(id, group)));
      return all.every((a) => a.errorCode === 0);
    }).then(() => Promise.all([1, 2, 3].map((id) => coordinatorFrom(id, group))));
    assert.equal(new Set(answers.map((a) => a.nodeId)).size, 1, `${group}: ${JSON.stringify(answers)}`);
    seen.add(answers[0]!.nodeId);
  }
  assert.ok(seen.size > 1, `coordinators are spread over the brokers (${[...seen].join(', ')})`);
});

test('confluent-kafka: a group consumes a replicated topic, commits, and a new member resumes from the commits', { skip, timeout: 120_000 }, async () => {
  const r = lastJson<{ first: number[]; rest: number[] }>(await runPython(CONFLUENT_GROUP, [cluster.bootstrap(), 'orders', 'orders-group'], 110_000));
  assert.equal(r.first.length, 200);
  const all = [...r.first, ...r.rest].sort((a, b) => a - b);
  assert.deepEqual(all, Array.from({ length: 300 }, (_, i) => i), 'every record once: the second member starts at the committed offsets');
});

test('KafkaJS: produce and consume in a group against the three brokers', { skip, timeout: 120_000 }, async () => {
  const { Kafka, logLevel } = require('kafkajs') as typeof import('kafkajs');
  const kafka = new Kafka({ clientId: 'cluster-kjs', brokers: cluster.bootstrap().split(','), logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    await producer.send({ topic: 'events', acks: -1, messages: Array.from({ length: 90 }, (_, i) => ({ value: String(i), partition: i % 3 })) });
  } finally {
    await producer.disconnect();
  }
  const consumer = kafka.consumer({ groupId: 'events-kjs', maxWaitTimeInMs: 200 });
  await consumer.connect();
  const got: number[] = [];
  try {
    await consumer.subscribe({ topic: 'events', fromBeginning: true });
    await withTimeout('KafkaJS to read 90 records', new Promise<void>((resolve, reject) => {
      consumer.run({ eachMessage: async ({ message }) => { got.push(Number(message.value!.toString())); if (got.length === 90) resolve(); } }).catch(reject);
    }), 90_000);
  } finally {
    await consumer.disconnect();
  }
  assert.deepEqual([...got].sort((a, b) => a - b), Array.from({ length: 90 }, (_, i) => i));
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchOffsets({ groupId: 'events-kjs', topics: ['events'] });
    assert.equal(offsets[0]!.partitions.reduce((s, p) => s + Number(p.offset), 0), 90, 'committed at the end of every partition');
  } finally {
    await admin.disconnect();
  }
});
