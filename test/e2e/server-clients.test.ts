/**
 * Real clients bootstrap against an in-process broker: kcat (librdkafka, ApiVersions v3),
 * kafka-python (ApiVersions v0 and its version probe), confluent-kafka (librdkafka),
 * KafkaJS (ApiVersions v2, non-flexible Metadata) and @platformatic/kafka (ApiVersions v3,
 * flexible Metadata).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBroker } from '../helpers/broker.js';
import { kcat, lastJson, runPython } from '../helpers/clients.js';
import type { RunningBroker } from '../../src/index.js';

let b: RunningBroker;
before(async () => {
  b = await startTestBroker();
});
after(async () => {
  await b?.close();
});

test('kcat -L lists the broker with its real (port 0) address', { timeout: 60000 }, async () => {
  const r = await kcat(['-b', b.bootstrap, '-L', '-J', '-m', '10'], undefined, 30000);
  assert.equal(r.code, 0, r.stderr);
  const md = JSON.parse(r.stdout) as { brokers: { id: number; name: string }[]; controllerid: number };
  assert.deepEqual(md.brokers.map((x) => [x.id, x.name]), [[b.broker.nodeId, `${b.host}:${b.port}`]]);
  assert.notEqual(b.port, 0);
});

test('kafka-python: KafkaAdminClient and KafkaConsumer bootstrap (ApiVersions v0 path)', { timeout: 60000 }, async () => {
  assert.equal((await b.broker.topics.create({ name: 'sc-py', numPartitions: 1, replicationFactor: 1, configs: {} })).errorCode, 0);
  const script = `
import json, sys
from kafka import KafkaAdminClient, KafkaConsumer
bs = sys.argv[1]
admin = KafkaAdminClient(bootstrap_servers=bs, request_timeout_ms=10000)
cluster = admin.describe_cluster()
version = admin._client.config['api_version']
admin.close()
consumer = KafkaConsumer(bootstrap_servers=bs, request_timeout_ms=11000, api_version_auto_timeout_ms=10000)
topics = consumer.topics()
consumer.close()
print(json.dumps({"brokers": [[x["node_id"], x["host"], x["port"]] for x in cluster["brokers"]], "cluster_id": cluster["cluster_id"], "version": list(version), "topics": sorted(topics)}))
`;
  const out = lastJson(await runPython(script, [b.bootstrap], 50000));
  assert.deepEqual(out.brokers, [[b.broker.nodeId, b.host, b.port]]);
  assert.equal(out.cluster_id, b.broker.clusterId);
  assert.ok(out.version[0] >= 2, `kafka-python inferred a modern broker from our ApiVersions: ${JSON.stringify(out.version)}`);
  assert.deepEqual(out.topics, ['sc-py'], 'the consumer sees the topic list through Metadata');
});

test('confluent-kafka AdminClient.list_topics sees the broker and cluster id', { timeout: 60000 }, async () => {
  const script = `
import json, sys
from confluent_kafka.admin import AdminClient
a = AdminClient({"bootstrap.servers": sys.argv[1]})
md = a.list_topics(timeout=20)
print(json.dumps({"brokers": [[b.id, b.host, b.port] for b in md.brokers.values()], "cluster_id": md.cluster_id, "controller": md.controller_id}))
`;
  const out = lastJson(await runPython(script, [b.bootstrap], 50000));
  assert.deepEqual(out.brokers, [[b.broker.nodeId, b.host, b.port]]);
  assert.equal(out.cluster_id, b.broker.clusterId);
  assert.equal(out.controller, b.broker.nodeId);
});

test('KafkaJS admin describeCluster (ApiVersions v2, non-flexible versions)', { timeout: 30000 }, async () => {
  const { Kafka, logLevel } = await import('kafkajs');
  const kafka = new Kafka({ clientId: 'sherwood-test', brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const cluster = await admin.describeCluster();
    assert.equal(cluster.clusterId, b.broker.clusterId);
    assert.deepEqual(cluster.brokers.map((x) => [x.nodeId, x.host, x.port]), [[b.broker.nodeId, b.host, b.port]]);
    assert.equal(cluster.controller, b.broker.nodeId);
  } finally {
    await admin.disconnect();
  }
});

test('@platformatic/kafka Admin metadata (ApiVersions v3, flexible versions)', { timeout: 30000 }, async () => {
  const { Admin } = await import('@platformatic/kafka');
  const admin = new Admin({ clientId: 'sherwood-test', bootstrapBrokers: [b.bootstrap], retries: 1 });
  try {
    const md = await admin.metadata({ topics: [] });
    assert.equal(md.id, b.broker.clusterId);
    const brokers = [...md.brokers.entries()].map(([id, x]) => [id, x.host, x.port]);
    assert.deepEqual(brokers, [[b.broker.nodeId, b.host, b.port]]);
  } finally {
    await admin.close();
  }
});
