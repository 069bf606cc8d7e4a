/**
 * Broker restarts with real processes on a real etcd (issue 13's "Done when"): a follower
 * `kill -9`ed leaves the ISR, is restarted, catches up and rejoins, and its log segment files
 * hold the same record batches as the leader's, byte for byte; then every broker is `kill -9`ed
 * at once while confluent-kafka (idempotent, acks=all) produces, and restarted: every
 * acknowledged record is there exactly once, leaders are elected again, and the producer (and
 * KafkaJS) produce again.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { PYTHON, lastJson, runPython } from '../helpers/clients.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { etcdAvailable } from '../helpers/etcd.js';
import { until } from '../helpers/wait.js';
import { CONFLUENT_READ_ALL, createTopic, partitionsOf, segmentBatches, startConfluentProducer } from '../helpers/cluster-lifecycle.js';

const skip = etcdAvailable() ? false : 'etcd is not installed';
let cluster: TestCluster;

before(async () => {
  if (skip !== false) return;
  cluster = await startCluster({ brokers: 3, sessionTimeoutMs: 3000 });
  await cluster.waitForBrokers();
});
after(async () => { await cluster?.close(); });

test('a follower kill -9ed leaves the ISR, restarts, catches up, rejoins; its segment files\' batches equal the leader\'s byte for byte', { skip, timeout: 120_000 }, async () => {
  // Small segments (and the producer's batches of at most 2 KiB), so the comparison spans several segment files.
  await createTopic(cluster, 'orders', 3, 3, { 'min.insync.replicas': '2', 'segment.bytes': '8192' });
  const p0 = (await partitionsOf(cluster, 'orders'))[0]!;
  const follower = p0.replicas.find((id) => id !== p0.leaderId)!;
  const producer = startConfluentProducer(cluster, 'orders', 3000, 3, '0.05');
  try {
    await until('records acknowledged', () => producer.acked() >= 500, { timeoutMs: 60_000 });
    await cluster.kill9(follower);
    await until(`broker ${follower} out of the ISR`, async () => (await partitionsOf(cluster, 'orders')).every((p) => !p.isr.includes(follower)), { timeoutMs: 30_000 });
    const acked = producer.acked();
    await until('acks=all continues without it', () => producer.acked() >= acked + 500, { timeoutMs: 60_000 });
    await cluster.start(follower);
    await until(`broker ${follower} back in every ISR`, async () => (await partitionsOf(cluster, 'orders')).every((p) => p.isr.includes(follower)), { timeoutMs: 60_000 });
    const r = await producer.result();
    assert.deepEqual(r.failed, []);
    assert.equal(r.acked.length, 3000);
  } finally {
    if (producer.child.exitCode === null) producer.child.kill('SIGKILL');
  }
  // Every replica has the whole log: compare the batches on disk.
  for (const p of await partitionsOf(cluster, 'orders')) {
    const leaderDir = cluster.dataDir(p.leaderId);
    await until(`partition ${p.partition}: broker ${follower} has the leader's log end`, () => {
      const a = segmentBatches(leaderDir, 'orders', p.partition);
      const b = segmentBatches(cluster.dataDir(follower), 'orders', p.partition);
      return a.length > 0 && a.length === b.length;
    }, { timeoutMs: 30_000 });
    const leaderBatches = segmentBatches(leaderDir, 'orders', p.partition);
    const followerBatches = segmentBatches(cluster.dataDir(follower), 'orders', p.partition);
    assert.equal(followerBatches.length, leaderBatches.length);
    leaderBatches.forEach((b, i) => assert.ok(b.equals(followerBatches[i]!), `partition ${p.partition}, batch ${i}: byte for byte`));
    if (p.partition === 0) assert.ok(readdirSync(join(leaderDir, 'orders-0')).filter((n) => n.endsWith('.log')).length > 1, 'several segments compared');
  }
});

test('every broker kill -9ed at once under an acks=all producer, then restarted: every acknowledged record is there once, leaders are elected, clients produce again', { skip, timeout: 150_000 }, async () => {
  await createTopic(cluster, 'ledger', 3, 3, { 'min.insync.replicas': '2' });
  const producer = startConfluentProducer(cluster, 'ledger', 3000, 3, '0.05');
  try {
    await until('records acknowledged', () => producer.acked() >= 1000, { timeoutMs: 60_000 });
    const ids = [...cluster.brokers.keys()];
    await Promise.all(ids.map((id) => cluster.kill9(id)));
    const ackedAtKill = producer.acked();
    await new Promise((r) => setTimeout(r, 1000));
    await Promise.all(ids.map((id) => cluster.start(id)));
    await cluster.waitForBrokers();
    await until('every partition led again, full ISR', async () => (await partitionsOf(cluster, 'ledger')).every((p) => p.leaderId > 0 && p.isr.length === 3), { timeoutMs: 60_000 });
    // The producer delivers the rest through the restarted cluster (its retries, deduplicated).
    const r = await producer.result();
    assert.deepEqual(r.failed, []);
    assert.equal(r.unflushed, 0);
    assert.ok(r.acked.length === 3000 && ackedAtKill >= 1000);
    const log = lastJson<[number, number, string][]>(await runPython(CONFLUENT_READ_ALL, [cluster.bootstrap(), 'ledger', '3'], 120_000));
    const at = new Map(log.map(([p, o, v]) => [`${p}:${o}`, v]));
    for (const [p, o, v] of r.acked) assert.equal(at.get(`${p}:${o}`), String(v), `the record acknowledged at ${p}:${o}`);
    assert.equal(new Set(log.map(([, , v]) => v)).size, log.length, 'no duplicates');
    assert.equal(log.length, 3000);
  } finally {
    if (producer.child.exitCode === null) producer.child.kill('SIGKILL');
  }
  const kafka = new Kafka({ clientId: 'after-restart', brokers: cluster.bootstrap().split(','), logLevel: logLevel.NOTHING });
  const kjs = kafka.producer({ idempotent: true });
  await kjs.connect();
  try {
    const sent = await kjs.send({ topic: 'ledger', acks: -1, messages: [0, 1, 2].map((partition) => ({ partition, value: `kjs-${partition}` })) });
    assert.equal(sent.length, 3);
    for (const s of sent) assert.equal(s.errorCode, 0);
  } finally {
    await kjs.disconnect();
  }
});
