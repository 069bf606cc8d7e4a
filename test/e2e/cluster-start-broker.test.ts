/**
 * The embedding API's cluster section: three brokers started in this process with
 * `startBroker({ nodeId, dataDir, cluster: { etcd, prefix, sessionTimeoutMs, rack } })` against
 * a real etcd form one cluster. kcat creates nothing by itself, so confluent-kafka's AdminClient
 * creates a replication-factor-3 topic through one broker, confluent-kafka produces to it with
 * acks=all and KafkaJS, bootstrapped from another broker, reads every record back; Metadata
 * lists the three brokers with their racks.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { lastJson, runPython } from '../helpers/clients.js';
import { tempDir } from '../helpers/broker.js';
import { etcdAvailable, startEtcd, type TestEtcd } from '../helpers/etcd.js';
import { until } from '../helpers/wait.js';

const skip = etcdAvailable() || process.env['CI'] !== undefined ? false : 'etcd is not installed';
let etcd: TestEtcd;
const brokers: RunningBroker[] = [];
const dirs: { remove(): void }[] = [];

before(async () => {
  if (skip !== false) return;
  etcd = await startEtcd();
  for (const id of [1, 2, 3]) {
    const dir = tempDir();
    dirs.push(dir);
    brokers.push(await startBroker({
      host: '127.0.0.1', port: 0, nodeId: id, dataDir: dir.path, logLevel: 'warn',
      cluster: { etcd: [etcd.endpoint], prefix: 'embedded', sessionTimeoutMs: 60_000, rack: `rack-${id}` },
    }));
  }
});
after(async () => {
  for (const b of brokers) await b.close();
  await etcd?.close();
  for (const d of dirs) d.remove();
});

const SCRIPT = `
import sys, json
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
admin = AdminClient({'bootstrap.servers': sys.argv[1]})
admin.create_topics([NewTopic('embedded', 3, 3)])['embedded'].result(30)
md = admin.list_topics('embedded', timeout=20)
errors = []
p = Producer({'bootstrap.servers': sys.argv[1], 'acks': 'all', 'enable.idempotence': True, 'log_level': 0})
def cb(err, msg):
    if err is not None:
        errors.append(str(err))
for i in range(90):
    p.produce('embedded', value=b'v%d' % i, partition=i % 3, on_delivery=cb)
left = p.flush(30)
parts = md.topics['embedded'].partitions
print(json.dumps({'brokers': sorted(md.brokers.keys()), 'replicas': {str(i): sorted(x.replicas) for i, x in parts.items()},
                  'isr': {str(i): sorted(x.isrs) for i, x in parts.items()}, 'left': left, 'errors': errors[:3]}))
`;

test('startBroker({ cluster }) ×3 on one etcd: one cluster; confluent-kafka creates RF=3 and produces acks=all, KafkaJS reads it back', { skip, timeout: 120_000 }, async () => {
  const [b1, b2, b3] = brokers as [RunningBroker, RunningBroker, RunningBroker];
  await until('every broker sees the three', () => brokers.every((b) => b.broker.endpoints().length === 3));
  assert.equal(new Set(brokers.map((b) => b.broker.clusterId)).size, 1);

  const out = lastJson(await runPython(SCRIPT, [b1.bootstrap], 90_000));
  assert.deepEqual(out.brokers, [1, 2, 3]);
  for (const p of ['0', '1', '2']) {
    assert.deepEqual(out.replicas[p], [1, 2, 3], `partition ${p}'s replicas`);
    assert.deepEqual(out.isr[p], [1, 2, 3], `partition ${p}'s ISR`);
  }
  assert.equal(out.left, 0);
  assert.deepEqual(out.errors, []);

  const kafka = new Kafka({ clientId: 'embedded', brokers: [b3.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const md = await admin.describeCluster();
    assert.deepEqual(md.brokers.map((b) => b.nodeId).sort(), [1, 2, 3]);
  } finally {
    await admin.disconnect();
  }
  const consumer = kafka.consumer({ groupId: 'embedded-readers', maxWaitTimeInMs: 100 });
  const got: string[] = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: 'embedded', fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => { got.push(message.value!.toString()); } });
    await until('90 records', () => got.length >= 90, 60_000);
  } finally {
    await consumer.disconnect();
  }
  assert.deepEqual(got.map((v) => Number(v.slice(1))).sort((a, b) => a - b), Array.from({ length: 90 }, (_, i) => i));
  // The racks given in the cluster section are what the brokers registered.
  assert.deepEqual(b2.broker.endpoints().map((e) => e.rack), ['rack-1', 'rack-2', 'rack-3']);
});
