/**
 * kcat -L (librdkafka 2.0.2's Metadata) lists the broker, topics, partitions, leaders and
 * replicas Sherwood reports.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { kcat } from '../helpers/clients.js';

test('kcat -L -J shows brokers, topics and partitions', { timeout: 60_000 }, async () => {
  await withBroker(async (b) => {
    const r = await b.broker.topics.create({ name: 'kc-meta', numPartitions: 3, replicationFactor: 1 });
    assert.equal(r.errorCode, 0);
    const out = await kcat(['-b', b.bootstrap, '-L', '-J'], undefined, 30_000);
    assert.equal(out.code, 0, out.stderr);
    const md = JSON.parse(out.stdout);
    assert.equal(md.controllerid, b.broker.nodeId);
    assert.deepEqual(md.brokers.map((x: any) => [x.id, x.name]), [[b.broker.nodeId, b.bootstrap]]);
    const t = md.topics.find((x: any) => x.topic === 'kc-meta');
    assert.ok(t, JSON.stringify(md.topics));
    assert.deepEqual(t.partitions.map((p: any) => [p.partition, p.leader, p.replicas.map((x: any) => x.id), p.isrs.map((x: any) => x.id)]),
      [0, 1, 2].map((i) => [i, b.broker.nodeId, [b.broker.nodeId], [b.broker.nodeId]]));
    // kcat's handle is a producer, which librdkafka lets auto-create topics; as with Kafka's
    // auto.create.topics.enable=true the topic comes back created with one partition.
    const auto = await kcat(['-b', b.bootstrap, '-L', '-J', '-t', 'kc-auto'], undefined, 30_000);
    assert.equal(auto.code, 0, auto.stderr);
    const a = JSON.parse(auto.stdout).topics.find((x: any) => x.topic === 'kc-auto');
    assert.equal(a?.partitions.length, 1, JSON.stringify(a));
    assert.ok(b.broker.topics.get('kc-auto'));
  });
});

test('kcat -L with auto.create.topics.enable=false reports the topic unknown', { timeout: 60_000 }, async () => {
  await withBroker(async (b) => {
    const out = await kcat(['-b', b.bootstrap, '-L', '-J', '-t', 'kc-none'], undefined, 30_000);
    assert.equal(out.code, 0, out.stderr);
    const t = JSON.parse(out.stdout).topics.find((x: any) => x.topic === 'kc-none');
    assert.match(String(t?.error), /Unknown topic|UNKNOWN_TOPIC/i, JSON.stringify(t));
    assert.equal(b.broker.topics.get('kc-none'), undefined);
  }, { overrides: { 'auto.create.topics.enable': 'false' } });
});
