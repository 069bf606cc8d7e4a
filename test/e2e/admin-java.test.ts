/**
 * Apache Kafka's Java AdminClient (kafka-clients 4.x, test/java) against the broker: every
 * operation of the harness's `admin` command, with the answers and the exception classes a
 * Kafka 4 broker gives — topics (create with configs, list, describe, create partitions, delete),
 * configs (describe, incremental alter), offsets (list by spec and isolation level, delete
 * records) and groups (list, describe, offsets, delete).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { javaShell, javaSkip } from '../helpers/java.js';

const OVERRIDES = { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '1' };

const errorClass = (item: any): string | undefined => item?.error?.class;

test('Java AdminClient: topics and configs', { skip: javaSkip, timeout: 120_000 }, async () => {
  await withBroker(async (b) => {
    const java = await javaShell(b.bootstrap);
    try {
      const created = await java.admin('create-topics', { topic: ['ja-a', 'ja-b'], partitions: 2, config: { 'retention.ms': '100000' } });
      assert.deepEqual(Object.keys(created), ['ja-a', 'ja-b']);
      assert.equal(created['ja-a'].partitions, 2);
      const again = await java.admin('create-topics', { topic: ['ja-a', 'bad name!', 'ja-default'] });
      assert.equal(errorClass(again['ja-a']), 'TopicExistsException');
      assert.equal(errorClass(again['bad name!']), 'InvalidTopicException');
      assert.equal(again['ja-default'].partitions, 1, 'num.partitions when the request leaves it to the broker');
      const rf3 = await java.admin('create-topics', { topic: 'ja-rf3', replicationFactor: 3 });
      assert.equal(errorClass(rf3['ja-rf3']), 'InvalidReplicationFactorException');
      assert.deepEqual(await java.admin('list-topics'), ['ja-a', 'ja-b', 'ja-default']);

      const described = await java.admin('describe-topics', { topic: ['ja-a', 'ja-missing'] });
      assert.deepEqual(described['ja-a'].partitions.map((p: any) => p.partition), [0, 1]);
      assert.equal(errorClass(described['ja-missing']), 'UnknownTopicOrPartitionException');

      const configs = await java.admin('describe-configs', { topic: 'ja-a' });
      assert.deepEqual(configs['retention.ms'], { value: '100000', source: 'DYNAMIC_TOPIC_CONFIG', readOnly: false, sensitive: false });
      assert.deepEqual(configs['cleanup.policy'], { value: 'delete', source: 'DEFAULT_CONFIG', readOnly: false, sensitive: false });
      assert.deepEqual(await java.admin('alter-configs', { topic: 'ja-a', set: { 'cleanup.policy': 'compact' }, delete: ['retention.ms'] }), {});
      const altered = await java.admin('describe-configs', { topic: 'ja-a' });
      assert.deepEqual([altered['cleanup.policy'].value, altered['retention.ms'].source], ['compact', 'DEFAULT_CONFIG']);
      assert.equal(errorClass(await java.admin('alter-configs', { topic: 'ja-a', set: { 'retention.ms': 'abc' } })), 'InvalidConfigurationException');
      const broker = await java.admin('describe-configs', { broker: b.broker.nodeId });
      assert.equal(broker['num.partitions'].value, '1');

      assert.deepEqual(await java.admin('create-partitions', { topic: 'ja-a', count: 4 }), { 'ja-a': {} });
      assert.equal(errorClass((await java.admin('create-partitions', { topic: 'ja-a', count: 3 }))['ja-a']), 'InvalidPartitionsException');
      assert.equal((await java.admin('describe-topics', { topic: 'ja-a' }))['ja-a'].partitions.length, 4);

      const deleted = await java.admin('delete-topics', { topic: ['ja-b', 'ja-missing'] });
      assert.deepEqual(deleted['ja-b'], {});
      assert.equal(errorClass(deleted['ja-missing']), 'UnknownTopicOrPartitionException');
      assert.deepEqual(await java.admin('list-topics'), ['ja-a', 'ja-default']);
    } finally {
      await java.close();
    }
  });
});

test('Java AdminClient: list offsets, delete records, consumer groups', { skip: javaSkip, timeout: 120_000 }, async () => {
  await withBroker(async (b) => {
    const java = await javaShell(b.bootstrap);
    try {
      await java.admin('create-topics', { topic: 'ja-offsets', partitions: 2 });
      const produced = await java.produce({ topic: 'ja-offsets', count: 100, partition: 0, props: { 'linger.ms': 0 } });
      assert.equal(produced.summary.acked, 100);
      const last = produced.reports.find((r) => r.i === 99)!;

      const latest = await java.admin('list-offsets', { topic: 'ja-offsets' });
      assert.deepEqual(latest, { 'ja-offsets-0': { offset: 100, timestamp: -1, leaderEpoch: 0 }, 'ja-offsets-1': { offset: 0, timestamp: -1, leaderEpoch: 0 } });
      assert.deepEqual(await java.admin('list-offsets', { topic: 'ja-offsets', isolation: 'read_committed' }), latest, 'no transactions: LSO = high watermark');
      const maxTs = await java.admin('list-offsets', { topic: 'ja-offsets', spec: 'max-timestamp' });
      assert.equal(maxTs['ja-offsets-0'].timestamp, Math.max(...produced.reports.map((r) => r.timestamp!)));
      assert.deepEqual(maxTs['ja-offsets-1'], { offset: -1, timestamp: -1, leaderEpoch: null }, 'an empty partition has no max timestamp');
      const byTime = await java.admin('list-offsets', { topic: 'ja-offsets', spec: last.timestamp! });
      assert.ok(byTime['ja-offsets-0'].offset <= 99 && byTime['ja-offsets-0'].timestamp === last.timestamp, JSON.stringify(byTime));

      const deleted = await java.admin('delete-records', { topic: 'ja-offsets', before: { 0: 10, 1: 5 } });
      assert.deepEqual(deleted['ja-offsets-0'], { lowWatermark: 10 });
      assert.equal(errorClass(deleted['ja-offsets-1']), 'OffsetOutOfRangeException', 'beyond the high watermark');
      assert.equal((await java.admin('list-offsets', { topic: 'ja-offsets', spec: 'earliest' }))['ja-offsets-0'].offset, 10);
      await java.admin('create-topics', { topic: 'ja-compacted', config: { 'cleanup.policy': 'compact' } });
      assert.equal(errorClass((await java.admin('delete-records', { topic: 'ja-compacted', before: { 0: 0 } }))['ja-compacted-0']), 'PolicyViolationException');

      const consumed = await java.consume({ topic: 'ja-offsets', max: 20, fromBeginning: true, commit: 'sync', props: { 'group.id': 'ja-group', 'enable.auto.commit': false } });
      assert.deepEqual(consumed.summary.partitions, { 'ja-offsets-0': { count: 20, first: 10, last: 29 } }, 'reads from the new log start');
      assert.deepEqual(consumed.summary.committed, { 'ja-offsets-0': 30, 'ja-offsets-1': null });
      assert.deepEqual(await java.admin('list-groups'), [{ groupId: 'ja-group', type: 'CLASSIC', protocol: 'consumer', state: 'EMPTY' }]);
      assert.deepEqual(await java.admin('list-group-offsets', { group: 'ja-group' }), { 'ja-offsets-0': 30 });
      const groups = await java.admin('describe-groups', { group: ['ja-group', 'ja-nobody'] });
      assert.deepEqual(groups['ja-group'], { state: 'EMPTY', type: 'CLASSIC', assignor: '', coordinator: b.broker.nodeId, members: [] });
      // DescribeGroups v5 (our maximum) answers an unknown group as Dead with no error, as Kafka
      // does at v5; from v6 (KIP-1043, Kafka 4.0) Kafka answers GROUP_ID_NOT_FOUND instead.
      assert.equal(groups['ja-nobody'].state, 'DEAD');
      const deleted2 = await java.admin('delete-groups', { group: ['ja-group', 'ja-nobody'] });
      assert.deepEqual(deleted2['ja-group'], {});
      assert.equal(errorClass(deleted2['ja-nobody']), 'GroupIdNotFoundException');
      assert.deepEqual(await java.admin('list-groups'), []);
    } finally {
      await java.close();
    }
  }, { overrides: OVERRIDES });
});
