/**
 * @platformatic/kafka 1.x Admin against Sherwood: createTopics (returns ids and configs from
 * CreateTopics v7), listTopics, metadata, describeConfigs (synonyms + documentation, v4),
 * incrementalAlterConfigs (SET / DELETE / APPEND / SUBTRACT), createPartitions, deleteTopics,
 * with the error paths.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Admin, ConfigResourceTypes, IncrementalAlterConfigOperationTypes } from '@platformatic/kafka';
import { withBroker } from '../helpers/broker.js';

/** Kafka error ids (e.g. TOPIC_ALREADY_EXISTS) carried by a rejected call. */
async function errorIds(p: Promise<unknown>): Promise<string[]> {
  try {
    await p;
    return [];
  } catch (e: any) {
    const ids: string[] = [];
    const walk = (x: any) => {
      if (x === undefined || x === null) return;
      if (typeof x.apiId === 'string') ids.push(x.apiId);
      if (Array.isArray(x.errors)) x.errors.forEach(walk);
    };
    walk(e);
    if (ids.length === 0) throw e;
    return ids;
  }
}

test('@platformatic/kafka Admin: topics, configs, partitions', { timeout: 60_000 }, async () => {
  await withBroker(async (b) => {
    const admin = new Admin({ clientId: 'plt-admin', bootstrapBrokers: [b.bootstrap], retries: 0 });
    try {
      const created = await admin.createTopics({ topics: ['plt-a'], partitions: 2, replicas: 1, configs: [{ name: 'cleanup.policy', value: 'compact' }] });
      assert.equal(created.length, 1);
      assert.equal(created[0]!.name, 'plt-a');
      assert.equal(created[0]!.partitions, 2);
      assert.equal(created[0]!.replicas, 1);
      assert.equal(created[0]!.configuration['cleanup.policy'], 'compact');
      assert.equal(created[0]!.id, b.broker.topics.get('plt-a')!.topicId.toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5'));

      assert.deepEqual(await errorIds(admin.createTopics({ topics: ['plt-a'], partitions: 1 })), ['TOPIC_ALREADY_EXISTS']);
      assert.deepEqual(await errorIds(admin.createTopics({ topics: ['plt..a/'], partitions: 1 })), ['INVALID_TOPIC_EXCEPTION']);
      assert.deepEqual(await errorIds(admin.createTopics({ topics: ['plt-rf'], partitions: 1, replicas: 5 })), ['INVALID_REPLICATION_FACTOR']);
      assert.deepEqual(await errorIds(admin.createTopics({ topics: ['plt-cfg'], configs: [{ name: 'min.insync.replicas', value: '0' }] })), ['INVALID_CONFIG']);

      assert.deepEqual(await admin.listTopics(), ['plt-a']);
      const md = await admin.metadata({ topics: ['plt-a'] });
      assert.equal(md.id, b.broker.clusterId);
      assert.equal(md.controllerId, b.broker.nodeId);
      const t = md.topics.get('plt-a')!;
      assert.equal(t.partitionsCount, 2);
      assert.deepEqual(t.partitions.map((p) => [p.leader, p.leaderEpoch, p.replicas, p.isr]), [[b.broker.nodeId, 0, [b.broker.nodeId], [b.broker.nodeId]], [b.broker.nodeId, 0, [b.broker.nodeId], [b.broker.nodeId]]]);

      await admin.incrementalAlterConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: 'plt-a', configs: [
        { name: 'cleanup.policy', configOperation: IncrementalAlterConfigOperationTypes.APPEND, value: 'delete' },
        { name: 'retention.ms', configOperation: IncrementalAlterConfigOperationTypes.SET, value: '1000' },
      ] }] });
      assert.deepEqual(b.broker.topics.get('plt-a')!.configs, { 'cleanup.policy': 'compact,delete', 'retention.ms': '1000' });
      await admin.incrementalAlterConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: 'plt-a', configs: [
        { name: 'cleanup.policy', configOperation: IncrementalAlterConfigOperationTypes.SUBTRACT, value: 'compact' },
        { name: 'retention.ms', configOperation: IncrementalAlterConfigOperationTypes.DELETE },
      ] }] });
      assert.deepEqual(b.broker.topics.get('plt-a')!.configs, { 'cleanup.policy': 'delete' });
      assert.deepEqual(await errorIds(admin.incrementalAlterConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: 'plt-a', configs: [
        { name: 'retention.ms', configOperation: IncrementalAlterConfigOperationTypes.APPEND, value: '5' },
      ] }] })), ['INVALID_CONFIG']);
      assert.deepEqual(await errorIds(admin.incrementalAlterConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: 'plt-missing', configs: [
        { name: 'retention.ms', configOperation: IncrementalAlterConfigOperationTypes.SET, value: '5' },
      ] }] })), ['UNKNOWN_TOPIC_OR_PARTITION']);

      const described = await admin.describeConfigs({
        resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: 'plt-a', configurationKeys: ['cleanup.policy', 'retention.ms'] }],
        includeSynonyms: true, includeDocumentation: true,
      });
      const byName = Object.fromEntries(described[0]!.configs.map((c) => [c.name, c]));
      assert.deepEqual(Object.keys(byName).sort(), ['cleanup.policy', 'retention.ms']);
      assert.equal(byName['cleanup.policy']!.value, 'delete');
      assert.equal(byName['cleanup.policy']!.configSource, 1);
      assert.equal(byName['cleanup.policy']!.configType, 7, 'LIST');
      assert.deepEqual(byName['cleanup.policy']!.synonyms.map((s) => [s.name, s.source]), [['cleanup.policy', 1], ['log.cleanup.policy', 5]]);
      assert.equal(byName['retention.ms']!.value, '604800000');
      assert.deepEqual(byName['retention.ms']!.synonyms.map((s) => [s.name, s.value]), [['log.retention.hours', '168']]);
      assert.match(byName['retention.ms']!.documentation ?? '', /retained/);

      // An empty (non-null) assignment list means "0 assignments" to Kafka and is refused.
      assert.deepEqual(await errorIds(admin.createPartitions({ topics: [{ name: 'plt-a', count: 3, assignments: [] }] })), ['INVALID_REPLICA_ASSIGNMENT']);
      await admin.createPartitions({ topics: [{ name: 'plt-a', count: 3 } as any] });
      assert.equal(b.broker.topics.get('plt-a')!.numPartitions, 3);
      assert.deepEqual(await errorIds(admin.createPartitions({ topics: [{ name: 'plt-a', count: 3 } as any] })), ['INVALID_PARTITIONS']);

      await admin.deleteTopics({ topics: ['plt-a'] });
      assert.deepEqual(await admin.listTopics(), []);
      assert.deepEqual(await errorIds(admin.deleteTopics({ topics: ['plt-a'] })), ['UNKNOWN_TOPIC_OR_PARTITION']);
    } finally {
      await admin.close();
    }
  });
});
