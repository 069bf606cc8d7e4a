/**
 * etcd stopped for 30 s under a running cluster (issue 13: "etcd stopped for 30 s: existing
 * leaders keep serving produce/fetch; after etcd returns, failover works again"), with real
 * processes: three brokers (etcd.session.timeout.ms=3000, ten times shorter than the outage),
 * a 3×3 topic with min.insync.replicas=2. While etcd is down, confluent-kafka produces
 * (idempotent, acks=all) and reads everything back, KafkaJS produces (acks=-1) and a KafkaJS
 * consumer group keeps consuming and committing; no broker gives up its session or a
 * leadership (leader epochs unchanged). After etcd is back, a leader is `kill -9`ed and a new
 * one is elected and serves.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { lastJson, runPython } from '../helpers/clients.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { etcdAvailable } from '../helpers/etcd.js';
import { until } from '../helpers/wait.js';
import { createTopic, metadata, partitionsOf } from '../helpers/cluster-lifecycle.js';

const skip = etcdAvailable() ? false : 'etcd is not installed';
const OUTAGE_MS = 30_000;
let cluster: TestCluster;

before(async () => {
  if (skip !== false) return;
  cluster = await startCluster({ brokers: 3, sessionTimeoutMs: 3000 });
  await cluster.waitForBrokers();
});
after(async () => { await cluster?.close(); });

/** Produces ck-0.. (acks=all, idempotent) for argv[3] seconds, then reads partitions 0-2 back from the start. */
const CONFLUENT_PRODUCE_THEN_READ = `
import sys, json, time
from confluent_kafka import Producer, Consumer, TopicPartition
bootstrap, topic, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
p = Producer({'bootstrap.servers': bootstrap, 'enable.idempotence': True, 'acks': 'all', 'message.timeout.ms': 20000})
acked, failed = [], []
def report(err, msg):
    (failed if err is not None else acked).append(msg.value().decode() if err is None else [msg.value().decode(), str(err)])
end, i = time.time() + secs, 0
while time.time() < end:
    p.produce(topic, value=('ck-%d' % i).encode(), partition=i % 3, on_delivery=report)
    p.poll(0.05)
    i += 1
left = p.flush(30)
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'reader', 'enable.auto.commit': False, 'fetch.wait.max.ms': 100})
seen = []
for part in range(3):
    lo, hi = c.get_watermark_offsets(TopicPartition(topic, part), timeout=10)
    c.assign([TopicPartition(topic, part, 0)])
    pos = 0
    while pos < hi:
        m = c.poll(5)
        if m is None:
            break
        if m.error():
            continue
        seen.append(m.value().decode())
        pos = m.offset() + 1
print(json.dumps({'acked': acked, 'failed': failed, 'unflushed': left, 'seen': seen, 'doneMs': time.time() * 1000}))
`;

test('etcd stopped for 30 s: leaders keep serving produce and fetch to two clients; after it returns, failover works', { skip, timeout: 150_000 }, async () => {
  await createTopic(cluster, 'orders', 3, 3, { 'min.insync.replicas': '2' });
  const kafka = new Kafka({ clientId: 'etcd-down', brokers: cluster.bootstrap().split(','), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1000 } });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const consumer = kafka.consumer({ groupId: 'watchers', maxWaitTimeInMs: 200 });
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topic: 'orders', fromBeginning: true });
  const consumed = new Set<string>();
  await consumer.run({ eachMessage: async ({ message }) => { consumed.add(message.value!.toString()); } });
  await producer.send({ topic: 'orders', acks: -1, messages: [{ value: 'kjs-warmup', partition: 0 }] });
  try {
    await until('the KafkaJS group consumes', () => consumed.has('kjs-warmup'), { timeoutMs: 60_000 });
    await outageAndFailover(producer, consumed);
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
  }
});

async function outageAndFailover(producer: Producer, consumed: Set<string>): Promise<void> {

  const before = await partitionsOf(cluster, 'orders');
  await cluster.etcd.stop();
  let etcdDown = true;
  const stoppedAt = Date.now();
  const sent: string[] = [];
  const errors: string[] = [];
  try {
    const confluent = runPython(CONFLUENT_PRODUCE_THEN_READ, [cluster.bootstrap(), 'orders', String((OUTAGE_MS - 15_000) / 1000)], 90_000);
    for (let i = 0; Date.now() - stoppedAt < OUTAGE_MS - 10_000; i++) {
      const value = `kjs-${i}`;
      try {
        await producer.send({ topic: 'orders', acks: -1, messages: [{ value, partition: i % 3 }] });
        sent.push(value);
      } catch (err) {
        errors.push(`${value}: ${String(err)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const r = lastJson<{ acked: string[]; failed: unknown[]; unflushed: number; seen: string[]; doneMs: number }>(await confluent);
    console.log(`# confluent-kafka done ${Math.round(r.doneMs - stoppedAt)} ms after etcd stopped`);
    // etcd comes back only in the finally below, after this: under load the confluent-kafka
    // run may take longer than OUTAGE_MS, and the outage then lasts as long (at least 30 s).
    assert.ok(etcdDown, 'confluent-kafka produced and read back while etcd was down');
    assert.deepEqual(errors, [], 'KafkaJS produced without an error while etcd was down');
    assert.ok(sent.length > 50, `KafkaJS produced ${sent.length}`);
    assert.deepEqual(r.failed, [], 'confluent-kafka produced without an error while etcd was down');
    assert.equal(r.unflushed, 0);
    assert.ok(r.acked.length > 50, `confluent-kafka produced ${r.acked.length}`);
    const seen = new Set(r.seen);
    for (const v of r.acked) assert.ok(seen.has(v), `confluent-kafka read back ${v}`);
    await until('the KafkaJS group consumed everything produced meanwhile', () => sent.every((v) => consumed.has(v)), { timeoutMs: Math.max(10_000, OUTAGE_MS - (Date.now() - stoppedAt)) });
    const during = await partitionsOf(cluster, 'orders');
    assert.deepEqual(during.map((p) => [p.leaderId, p.leaderEpoch]), before.map((p) => [p.leaderId, p.leaderEpoch]), 'the same leaders at the same epochs');
    console.log(`# etcd down: KafkaJS produced ${sent.length}, confluent-kafka ${r.acked.length} (read back ${r.seen.length}); the group consumed ${consumed.size}`);
    const left = OUTAGE_MS - (Date.now() - stoppedAt);
    if (left > 0) await new Promise((r) => setTimeout(r, left));
  } finally {
    etcdDown = false;
    await cluster.etcd.restart();
  }
  console.log(`# etcd was down for ${Date.now() - stoppedAt} ms`);
  for (const [id, b] of cluster.brokers) assert.doesNotMatch(b.output(), /etcd session lost/, `broker ${id} kept its session`);

  // After etcd returns: a leader killed, a new one elected (epoch + 1), serving KafkaJS.
  await until('the brokers follow etcd again', async () => (await metadata(cluster, [])).controllerId > 0, { timeoutMs: 30_000 });
  const now = await partitionsOf(cluster, 'orders');
  const victim = now[0]!.leaderId;
  const witness = [...cluster.brokers.keys()].find((id) => id !== victim)!;
  const killedAt = Date.now();
  await cluster.kill9(victim);
  await until('a new leader for partition 0', async () => {
    const p = (await partitionsOf(cluster, 'orders', witness))[0]!;
    return p.leaderId > 0 && p.leaderId !== victim && p.leaderEpoch === now[0]!.leaderEpoch + 1;
  }, { timeoutMs: 30_000 });
  const electedMs = Date.now() - killedAt;
  await producer.send({ topic: 'orders', acks: -1, messages: [{ value: 'after-failover', partition: 0 }] });
  const producedMs = Date.now() - killedAt;
  await until('consumed after the failover', () => consumed.has('after-failover'), { timeoutMs: 30_000 });
  console.log(`# after etcd returned: kill -9 of leader ${victim}: new leader after ${electedMs} ms, KafkaJS produced through it after ${producedMs} ms, consumed after ${Date.now() - killedAt} ms`);
}
