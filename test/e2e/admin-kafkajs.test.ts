/**
 * KafkaJS 2.2.4 admin against Sherwood: createTopics (incl. validateOnly and errors),
 * listTopics, fetchTopicMetadata, describeConfigs, alterConfigs, createPartitions,
 * deleteTopics, describeCluster.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';

const { Kafka, logLevel, ConfigResourceTypes } = kafkajs;
import { withBroker } from '../helpers/broker.js';

/** The Kafka error type names KafkaJS reports for a rejected admin call. */
async function errorTypes(p: Promise<unknown>): Promise<string[]> {
  try {
    await p;
    return [];
  } catch (e: any) {
    if (Array.isArray(e.errors)) return e.errors.map((x: any) => x.type);
    if (e.type !== undefined) return [e.type];
    // Retriable codes end in KafkaJSNumberOfRetriesExceeded, which keeps only the message.
    if (e.name === 'KafkaJSNumberOfRetriesExceeded') return [e.message];
    throw e;
  }
}

test('KafkaJS admin: topics, metadata, configs, partitions', { timeout: 60_000 }, async () => {
  await withBroker(async (b) => {
    const kafka = new Kafka({ clientId: 'kjs-admin', brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 1 } });
    const admin = kafka.admin();
    await admin.connect();
    try {
      assert.equal(await admin.createTopics({
        topics: [{ topic: 'kjs-a', numPartitions: 3, replicationFactor: 1, configEntries: [{ name: 'retention.bytes', value: '1048576' }] }],
        waitForLeaders: true,
      }), true);
      assert.equal(await admin.createTopics({ topics: [{ topic: 'kjs-a', numPartitions: 1 }] }), false, 'existing topic: false, not an error');
      assert.equal(await admin.createTopics({ topics: [{ topic: 'kjs-vo', numPartitions: 1 }], validateOnly: true, waitForLeaders: false }), true);
      assert.deepEqual(await errorTypes(admin.createTopics({ topics: [{ topic: 'kjs bad', numPartitions: 1 }] })), ['INVALID_TOPIC_EXCEPTION']);
      assert.deepEqual(await errorTypes(admin.createTopics({ topics: [{ topic: 'kjs-rf', numPartitions: 1, replicationFactor: 2 }] })), ['INVALID_REPLICATION_FACTOR']);
      assert.deepEqual(await errorTypes(admin.createTopics({ topics: [{ topic: 'kjs-cfg', configEntries: [{ name: 'segment.bytes', value: '-1' }] }] })), ['INVALID_CONFIG']);

      assert.deepEqual((await admin.listTopics()).sort(), ['kjs-a']);
      const md = await admin.fetchTopicMetadata({ topics: ['kjs-a'] });
      assert.equal(md.topics.length, 1);
      assert.deepEqual(md.topics[0]!.partitions.map((p) => [p.partitionId, p.leader, p.replicas, p.isr]).sort(),
        [[0, b.broker.nodeId, [b.broker.nodeId], [b.broker.nodeId]], [1, b.broker.nodeId, [b.broker.nodeId], [b.broker.nodeId]], [2, b.broker.nodeId, [b.broker.nodeId], [b.broker.nodeId]]]);

      const cfg = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'kjs-a', configNames: ['retention.bytes', 'cleanup.policy'] }], includeSynonyms: false });
      const entries = Object.fromEntries(cfg.resources[0]!.configEntries.map((e) => [e.configName, [e.configValue, e.isDefault]]));
      assert.deepEqual(entries, { 'retention.bytes': ['1048576', false], 'cleanup.policy': ['delete', true] });

      await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'kjs-a', configEntries: [{ name: 'retention.ms', value: '99000' }] }] });
      assert.equal(b.broker.topics.get('kjs-a')?.logConfig.retentionMs, 99000);
      assert.deepEqual(b.broker.topics.get('kjs-a')?.configs, { 'retention.ms': '99000' });

      await admin.createPartitions({ topicPartitions: [{ topic: 'kjs-a', count: 6 }] });
      assert.equal(b.broker.topics.get('kjs-a')?.numPartitions, 6);
      assert.deepEqual(await errorTypes(admin.createPartitions({ topicPartitions: [{ topic: 'kjs-a', count: 2 }] })), ['INVALID_PARTITIONS']);

      const cluster = await admin.describeCluster();
      assert.equal(cluster.clusterId, b.broker.clusterId);
      assert.deepEqual(cluster.brokers.map((x) => x.nodeId), [b.broker.nodeId]);
      assert.equal(cluster.controller, b.broker.nodeId);

      await admin.deleteTopics({ topics: ['kjs-a'] });
      assert.deepEqual(await admin.listTopics(), []);
      assert.deepEqual(await errorTypes(admin.deleteTopics({ topics: ['kjs-a'] })), ['This server does not host this topic-partition']);
    } finally {
      await admin.disconnect();
    }
  });
});
