/**
 * Metadata, CreateTopics, DeleteTopics, DescribeConfigs and DescribeCluster across versions,
 * with Sherwood's own client pinned to each version: the version-specific rules (null vs empty
 * topic lists, auto-creation flag, topic ids, authorized operations) and the error paths.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBroker } from '../helpers/broker.js';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { Metadata } from '../../src/protocol/messages/metadata.js';
import { CreateTopics } from '../../src/protocol/messages/create-topics.js';
import { DeleteTopics } from '../../src/protocol/messages/delete-topics.js';
import { DescribeConfigs } from '../../src/protocol/messages/describe-configs.js';
import { IncrementalAlterConfigs } from '../../src/protocol/messages/incremental-alter-configs.js';
import { AlterConfigs } from '../../src/protocol/messages/alter-configs.js';
import { DescribeCluster } from '../../src/protocol/messages/describe-cluster.js';
import { CreatePartitions } from '../../src/protocol/messages/create-partitions.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { RunningBroker } from '../../src/index.js';

const ZERO = Buffer.alloc(16);
let b: RunningBroker;
let client: KafkaClient;

before(async () => {
  b = await startTestBroker();
  client = await KafkaClient.connect(b.bootstrap, { clientId: 'md-versions' });
  const r = await client.request(CreateTopics, { topics: [
    { name: 'mv-a', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] },
    { name: 'mv-b', numPartitions: 1, replicationFactor: -1, assignments: [], configs: [{ name: 'retention.ms', value: '1000' }] },
  ] });
  assert.deepEqual(r.topics.map((t) => t.errorCode), [0, 0]);
});
after(async () => {
  await client?.close();
  await b?.close();
});

const names = (topics: { name: string | null }[]) => topics.map((t) => t.name).sort();

test('Metadata v0: an empty list means all topics; unknown topics are auto-created', async () => {
  const all = await client.request(Metadata, { topics: [] }, { version: 0 });
  assert.deepEqual(names(all.topics), ['mv-a', 'mv-b']);
  // As Kafka: the request that creates the topic answers LEADER_NOT_AVAILABLE; the next one sees it.
  const auto = await client.request(Metadata, { topics: [{ name: 'mv-auto0', topicId: ZERO }] }, { version: 0 });
  assert.equal(auto.topics[0]!.errorCode, ErrorCode.LEADER_NOT_AVAILABLE);
  assert.equal(auto.topics[0]!.partitions.length, 0);
  assert.ok(b.broker.topics.get('mv-auto0'));
  const again = await client.request(Metadata, { topics: [{ name: 'mv-auto0', topicId: ZERO }] }, { version: 0 });
  assert.equal(again.topics[0]!.errorCode, ErrorCode.NONE);
  assert.equal(again.topics[0]!.partitions.length, 1);
});

test('Metadata v1+: null is all, empty is none; controller and cluster id', async () => {
  const none = await client.request(Metadata, { topics: [] }, { version: 1 });
  assert.deepEqual(none.topics, []);
  assert.equal(none.controllerId, b.broker.nodeId);
  const all = await client.request(Metadata, { topics: null }, { version: 2 });
  assert.ok(names(all.topics).includes('mv-a'));
  assert.equal(all.clusterId, b.broker.clusterId);
  assert.deepEqual(all.brokers.map((x) => [x.nodeId, x.host, x.port]), [[b.broker.nodeId, b.host, b.port]]);
});

test('Metadata v4+: allowAutoTopicCreation=false answers UNKNOWN_TOPIC_OR_PARTITION; bad names INVALID_TOPIC_EXCEPTION', async () => {
  const r = await client.request(Metadata, { topics: [{ name: 'mv-nope', topicId: ZERO }, { name: 'bad name', topicId: ZERO }, { name: 'mv-a', topicId: ZERO }], allowAutoTopicCreation: false }, { version: 4 });
  assert.deepEqual(r.topics.map((t) => [t.name, t.errorCode]), [['mv-nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION], ['bad name', ErrorCode.INVALID_TOPIC_EXCEPTION], ['mv-a', 0]]);
  assert.equal(b.broker.topics.get('mv-nope'), undefined);
});

test('Metadata v7-v12: leader epoch, offline replicas, authorized operations, topic ids', async () => {
  const v8 = await client.request(Metadata, { topics: [{ name: 'mv-a', topicId: ZERO }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }, { version: 8 });
  assert.equal(v8.topics[0]!.topicAuthorizedOperations, -2147483648);
  const p = v8.topics[0]!.partitions.map((x) => [x.partitionIndex, x.leaderId, x.leaderEpoch, x.replicaNodes, x.isrNodes, x.offlineReplicas]);
  assert.deepEqual(p, [[0, b.broker.nodeId, 0, [b.broker.nodeId], [b.broker.nodeId], []], [1, b.broker.nodeId, 0, [b.broker.nodeId], [b.broker.nodeId], []]]);
  const ops = await client.request(Metadata, { topics: [{ name: 'mv-a', topicId: ZERO }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: true }, { version: 9 });
  assert.ok(ops.topics[0]!.topicAuthorizedOperations > 0);

  const v12 = await client.request(Metadata, { topics: [{ name: 'mv-a', topicId: ZERO }], allowAutoTopicCreation: false }, { version: 12 });
  const id = v12.topics[0]!.topicId;
  assert.ok(id.equals(b.broker.topics.get('mv-a')!.topicId));
  const byId = await client.request(Metadata, { topics: [{ name: null, topicId: id }, { name: null, topicId: Buffer.alloc(16, 7) }], allowAutoTopicCreation: false }, { version: 12 });
  assert.deepEqual(byId.topics.map((t) => [t.name, t.errorCode]), [['mv-a', 0], [null, ErrorCode.UNKNOWN_TOPIC_ID]]);
});

test('CreateTopics: duplicates in one request, v5+ configs with sources, v7 topic id, validateOnly', async () => {
  const dup = await client.request(CreateTopics, { topics: [
    { name: 'mv-dup', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
    { name: 'mv-dup', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
  ] }, { version: 7 });
  assert.deepEqual(dup.topics.map((t) => [t.name, t.errorCode, t.errorMessage]), [['mv-dup', ErrorCode.INVALID_REQUEST, 'Duplicate topic name.']]);
  assert.equal(b.broker.topics.get('mv-dup'), undefined);

  const r = await client.request(CreateTopics, { topics: [{ name: 'mv-c', numPartitions: -1, replicationFactor: -1, assignments: [], configs: [{ name: 'cleanup.policy', value: 'compact' }] }] }, { version: 7 });
  const t = r.topics[0]!;
  assert.equal(t.errorCode, 0);
  assert.ok(t.topicId.equals(b.broker.topics.get('mv-c')!.topicId));
  assert.deepEqual([t.numPartitions, t.replicationFactor], [1, 1]);
  const cfg = Object.fromEntries(t.configs!.map((c) => [c.name, [c.value, c.configSource]]));
  assert.deepEqual(cfg['cleanup.policy'], ['compact', 1]);
  assert.deepEqual(cfg['segment.bytes'], ['1073741824', 5]);

  const vo = await client.request(CreateTopics, { topics: [{ name: 'mv-vo', numPartitions: 5, replicationFactor: 1, assignments: [], configs: [] }], validateOnly: true }, { version: 5 });
  assert.deepEqual([vo.topics[0]!.errorCode, vo.topics[0]!.numPartitions], [0, 5]);
  assert.equal(b.broker.topics.get('mv-vo'), undefined);

  const manual = await client.request(CreateTopics, { topics: [{ name: 'mv-m', numPartitions: -1, replicationFactor: -1,
    assignments: [{ partitionIndex: 0, brokerIds: [b.broker.nodeId] }, { partitionIndex: 1, brokerIds: [b.broker.nodeId + 1] }], configs: [] }] }, { version: 4 });
  assert.equal(manual.topics[0]!.errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  const old = await client.request(CreateTopics, { topics: [{ name: 'mv-c', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }] }, { version: 2 });
  assert.deepEqual([old.topics[0]!.errorCode, old.topics[0]!.errorMessage], [ErrorCode.TOPIC_ALREADY_EXISTS, "Topic 'mv-c' already exists."]);
});

test('DeleteTopics v6 by id and by name, duplicates and unknowns', async () => {
  await client.request(CreateTopics, { topics: [{ name: 'mv-del', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }] });
  const id = b.broker.topics.get('mv-del')!.topicId;
  const r = await client.request(DeleteTopics, { topics: [
    { name: null, topicId: id }, { name: null, topicId: Buffer.alloc(16, 9) }, { name: 'mv-none', topicId: ZERO }, { name: null, topicId: ZERO },
  ], timeoutMs: 1000 }, { version: 6 });
  const byKey = r.responses.map((x) => [x.name, x.errorCode]).sort((x, y) => String(x[0]).localeCompare(String(y[0])) || Number(x[1]) - Number(y[1]));
  assert.deepEqual(byKey, [['mv-del', 0], ['mv-none', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION], [null, ErrorCode.INVALID_REQUEST], [null, ErrorCode.UNKNOWN_TOPIC_ID]]);
  assert.equal(b.broker.topics.get('mv-del'), undefined);
  const dup = await client.request(DeleteTopics, { topicNames: ['mv-b', 'mv-b'], timeoutMs: 1000 }, { version: 4 });
  assert.deepEqual(dup.responses.map((x) => [x.name, x.errorCode]), [['mv-b', ErrorCode.INVALID_REQUEST]]);
  assert.ok(b.broker.topics.get('mv-b'));
});

test('DescribeConfigs: topic keys filter, synonyms, documentation; broker by id and cluster default; errors', async () => {
  const r = await client.request(DescribeConfigs, { resources: [
    { resourceType: 2, resourceName: 'mv-b', configurationKeys: ['retention.ms', 'no.such.key'] },
    { resourceType: 2, resourceName: 'mv-missing', configurationKeys: null },
    { resourceType: 4, resourceName: String(b.broker.nodeId), configurationKeys: ['log.retention.hours', 'num.partitions'] },
    { resourceType: 4, resourceName: String(b.broker.nodeId + 5), configurationKeys: null },
    { resourceType: 99, resourceName: 'x', configurationKeys: null },
  ], includeSynonyms: true, includeDocumentation: true }, { version: 4 });
  const [topic, missing, brokerRes, otherBroker, badType] = r.results;
  assert.deepEqual(topic!.configs.map((c) => [c.name, c.value, c.configSource, c.configType, c.synonyms.map((s) => s.name)]),
    [['retention.ms', '1000', 1, 5, ['retention.ms', 'log.retention.hours']]]);
  assert.ok(topic!.configs[0]!.documentation);
  assert.equal(missing!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assert.deepEqual(brokerRes!.configs.map((c) => [c.name, c.value, c.readOnly, c.configSource]).sort(),
    [['log.retention.hours', '168', false, 5], ['num.partitions', '1', true, 5]]);
  assert.equal(otherBroker!.errorCode, ErrorCode.INVALID_REQUEST);
  assert.equal(badType!.errorCode, ErrorCode.INVALID_REQUEST);
  const v1 = await client.request(DescribeConfigs, { resources: [{ resourceType: 2, resourceName: 'mv-b', configurationKeys: null }], includeSynonyms: false }, { version: 1 });
  assert.ok(v1.results[0]!.configs.length >= 20);
  assert.ok(v1.results[0]!.configs.every((c) => c.synonyms.length === 0));
});

test('IncrementalAlterConfigs / AlterConfigs on the cluster-default broker resource', async () => {
  const r = await client.request(IncrementalAlterConfigs, { resources: [
    { resourceType: 4, resourceName: '', configs: [{ name: 'log.retention.ms', configOperation: 0, value: '3600000' }] },
    { resourceType: 4, resourceName: '', configs: [{ name: 'log.dirs', configOperation: 0, value: '/tmp/x' }] },
  ] }, { version: 1 });
  assert.deepEqual(r.responses.map((x) => [x.resourceName, x.errorCode]), [['', ErrorCode.INVALID_REQUEST]], 'one answer for a duplicated resource');
  const ok = await client.request(IncrementalAlterConfigs, { resources: [
    { resourceType: 4, resourceName: '', configs: [{ name: 'log.retention.ms', configOperation: 0, value: '3600000' }] },
    { resourceType: 2, resourceName: 'mv-a', configs: [{ name: 'retention.ms', configOperation: 0, value: '1' }, { name: 'retention.ms', configOperation: 1, value: null }] },
  ] }, { version: 0 });
  assert.deepEqual(ok.responses.map((x) => x.errorCode), [0, ErrorCode.INVALID_REQUEST]);
  assert.equal(b.broker.topics.get('mv-a')!.logConfig.retentionMs, 3600000, 'topics without an override follow the cluster default');
  assert.equal(b.broker.topics.get('mv-b')!.logConfig.retentionMs, 1000);
  const d = await client.request(DescribeConfigs, { resources: [{ resourceType: 4, resourceName: '', configurationKeys: null }, { resourceType: 2, resourceName: 'mv-a', configurationKeys: ['retention.ms'] }], includeSynonyms: true });
  assert.deepEqual(d.results[0]!.configs.map((c) => [c.name, c.value, c.configSource]), [['log.retention.ms', '3600000', 3]]);
  assert.deepEqual(d.results[1]!.configs.map((c) => [c.value, c.configSource]), [['3600000', 3]]);
  const bad = await client.request(IncrementalAlterConfigs, { resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'log.retention.ms', configOperation: 0, value: 'soon' }] }] });
  assert.equal(bad.responses[0]!.errorCode, ErrorCode.INVALID_CONFIG);
  const reset = await client.request(AlterConfigs, { resources: [{ resourceType: 4, resourceName: '', configs: [] }], validateOnly: false });
  assert.equal(reset.responses[0]!.errorCode, 0);
  assert.equal(b.broker.topics.get('mv-a')!.logConfig.retentionMs, 604800000);
});

test('CreatePartitions: duplicates, unknown topics, bad assignments', async () => {
  const r = await client.request(CreatePartitions, { topics: [
    { name: 'mv-a', count: 3, assignments: [{ brokerIds: [b.broker.nodeId, b.broker.nodeId] }] },
    { name: 'mv-zzz', count: 3, assignments: null },
    { name: 'mv-c', count: 2, assignments: null },
    { name: 'mv-c', count: 3, assignments: null },
  ], timeoutMs: 1000, validateOnly: false }, { version: 0 });
  assert.deepEqual(r.results.map((x) => [x.name, x.errorCode]),
    [['mv-a', ErrorCode.INVALID_REPLICA_ASSIGNMENT], ['mv-zzz', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION], ['mv-c', ErrorCode.INVALID_REQUEST]]);
});

test('DescribeCluster v0 and v1', async () => {
  const v0 = await client.request(DescribeCluster, { includeClusterAuthorizedOperations: false }, { version: 0 });
  assert.deepEqual([v0.errorCode, v0.clusterId, v0.controllerId, v0.clusterAuthorizedOperations], [0, b.broker.clusterId, b.broker.nodeId, -2147483648]);
  assert.deepEqual(v0.brokers.map((x) => [x.brokerId, x.host, x.port]), [[b.broker.nodeId, b.host, b.port]]);
  const v1 = await client.request(DescribeCluster, { includeClusterAuthorizedOperations: true, endpointType: 2 }, { version: 1 });
  assert.equal(v1.errorCode, ErrorCode.MISMATCHED_ENDPOINT_TYPE);
  const ok = await client.request(DescribeCluster, { includeClusterAuthorizedOperations: true, endpointType: 1 }, { version: 1 });
  assert.equal(ok.errorCode, 0);
  assert.ok(ok.clusterAuthorizedOperations > 0);
});
