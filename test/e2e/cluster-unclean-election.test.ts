/**
 * unclean.leader.election.enable with real broker processes: a 2-replica partition whose ISR
 * shrank to its leader loses that leader too. Its other replica, restarted, is out of sync:
 * with the topic's unclean.leader.election.enable=true the controller elects it anyway
 * (leader epoch + 1, ISR of itself) and KafkaJS and confluent-kafka produce through it again;
 * the same partition of a topic without the setting (same replicas, by explicit assignment)
 * stays leaderless.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { lastJson, runPython } from '../helpers/clients.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { createTopic, partitionsOf } from '../helpers/cluster-lifecycle.js';
import { etcdAvailable } from '../helpers/etcd.js';
import { until } from '../helpers/wait.js';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { CreateTopics } from '../../src/protocol/messages/create-topics.js';

const skip = etcdAvailable() ? false : 'etcd is not installed';
let cluster: TestCluster;

before(async () => {
  if (skip !== false) return;
  cluster = await startCluster({ brokers: 3, sessionTimeoutMs: 3000, overrides: { 'replica.lag.time.max.ms': '2000' } });
  await cluster.waitForBrokers();
});
after(async () => { await cluster?.close(); });

const PRODUCE = `
import sys, json
from confluent_kafka import Producer
p = Producer({'bootstrap.servers': sys.argv[1], 'acks': 'all', 'message.timeout.ms': 20000})
errs = []
p.produce(sys.argv[2], value=b'after-unclean', partition=0, on_delivery=lambda e, m: errs.append(str(e)) if e else None)
print(json.dumps({'left': p.flush(25), 'errors': errs}))
`;

test('an out-of-sync replica becomes leader only where unclean.leader.election.enable is set', { skip, timeout: 180_000 }, async () => {
  await createTopic(cluster, 'dirty', 1, 2, { 'unclean.leader.election.enable': 'true', 'min.insync.replicas': '1' });
  const d = (await partitionsOf(cluster, 'dirty'))[0]!;
  // The clean topic on the same two replicas, in the same order (explicit assignment).
  const admin = await KafkaClient.connect(cluster.bootstrap());
  try {
    const r = await admin.request(CreateTopics, { topics: [{ name: 'clean', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [...d.replicas] }],
      configs: [{ name: 'min.insync.replicas', value: '1' }] }], timeoutMs: 30_000, validateOnly: false });
    assert.equal(r.topics[0]!.errorCode, 0, r.topics[0]!.errorMessage ?? '');
  } finally {
    await admin.close();
  }
  await until('clean led by the same leader', async () => (await partitionsOf(cluster, 'clean'))[0]!.leaderId === d.leaderId && (await partitionsOf(cluster, 'clean'))[0]!.isr.length === 2, { timeoutMs: 30_000 });
  const [leader, follower] = [d.leaderId, d.replicas.find((id) => id !== d.leaderId)!];
  // The follower dies first: the ISR shrinks to the leader. Then the leader dies.
  await cluster.kill9(follower);
  const third = [...cluster.brokers.keys()].find((id) => id !== leader && id !== follower)!;
  // Both topics' ISRs must have shrunk before the leader dies: each partition shrinks on its own
  // schedule, and a clean topic whose ISR still held the follower would elect it cleanly.
  for (const topic of ['dirty', 'clean']) {
    await until(`the follower out of ${topic}'s ISR`, async () => !(await partitionsOf(cluster, topic, third))[0]!.isr.includes(follower), { timeoutMs: 30_000 });
  }
  const kafka = new Kafka({ clientId: 'unclean', brokers: [cluster.bootstrap(third)], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 200 } });
  const producer = kafka.producer();
  await producer.connect();
  try {
    // Written while only the leader holds the partition: what the unclean leader will not have.
    await producer.send({ topic: 'dirty', acks: -1, messages: [{ value: 'only-on-the-old-leader', partition: 0 }] });
    await cluster.kill9(leader);
    await until('no leader for the partition', async () => (await partitionsOf(cluster, 'dirty', third))[0]!.leaderId === -1 || !cluster.brokers.has(leader), { timeoutMs: 30_000 });
    await cluster.start(follower);
    await until(`broker ${follower} elected for the unclean topic`, async () => (await partitionsOf(cluster, 'dirty', third))[0]!.leaderId === follower, { timeoutMs: 30_000 });
    const elected = (await partitionsOf(cluster, 'dirty', third))[0]!;
    assert.deepEqual(elected.isr, [follower]);
    assert.ok(elected.leaderEpoch > d.leaderEpoch);
    await producer.send({ topic: 'dirty', acks: -1, messages: [{ value: 'kafkajs-after-unclean', partition: 0 }] });
    const r = lastJson(await runPython(PRODUCE, [cluster.bootstrap(third), 'dirty'], 60_000));
    assert.deepEqual([r.left, r.errors], [0, []]);
    // The clean topic, on the same replicas, stays leaderless: its ISR member is still down.
    const clean = (await partitionsOf(cluster, 'clean', third))[0]!;
    assert.deepEqual([clean.leaderId, clean.isr], [-1, [leader]], 'no unclean election without the setting');
  } finally {
    await producer.disconnect();
  }
});
