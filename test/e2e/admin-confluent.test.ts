/**
 * confluent-kafka-python 1.7 (librdkafka 2.0.2; this binding has no incremental_alter_configs) AdminClient against Sherwood: create_topics
 * (validate_only and error paths), list_topics, describe_configs, alter_configs,
 * create_partitions, delete_topics, and a dynamic broker config.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { runPython, lastJson } from '../helpers/clients.js';

const SCRIPT = `
import sys, json
from confluent_kafka.admin import AdminClient, NewTopic, NewPartitions, ConfigResource
from confluent_kafka import KafkaException

admin = AdminClient({'bootstrap.servers': sys.argv[1]})
out = {}

def settle(futures):
    res = {}
    for k, f in futures.items():
        try:
            f.result(timeout=15)
            res[str(k)] = 'ok'
        except KafkaException as e:
            res[str(k)] = e.args[0].name()
    return res

out['create'] = settle(admin.create_topics([
    NewTopic('ck-a', num_partitions=2, replication_factor=1, config={'retention.ms': '120000'}),
    NewTopic('ck-b', num_partitions=1, replication_factor=1),
]))
out['validate_only'] = settle(admin.create_topics([NewTopic('ck-vo', num_partitions=4, replication_factor=1)], validate_only=True))
out['errors'] = settle(admin.create_topics([
    NewTopic('ck-a', num_partitions=1, replication_factor=1),
    NewTopic('bad/name', num_partitions=1, replication_factor=1),
    NewTopic('ck-rf', num_partitions=1, replication_factor=3),
    NewTopic('ck-cfg', num_partitions=1, replication_factor=1, config={'cleanup.policy': 'sometimes'}),
]))
md = admin.list_topics(timeout=10)
out['topics'] = sorted(t for t in md.topics)
out['partitions_a'] = sorted(md.topics['ck-a'].partitions.keys())
out['brokers'] = [b.id for b in md.brokers.values()]

def describe(name):
    res = ConfigResource('topic', name)
    cfg = admin.describe_configs([res])[res].result(timeout=10)
    return {k: (v.value, v.source) for k, v in cfg.items() if k in ('retention.ms', 'cleanup.policy', 'segment.ms', 'max.message.bytes')}

out['describe_a'] = describe('ck-a')

res = ConfigResource('topic', 'ck-b', set_config={'segment.ms': '3600000'})
out['alter'] = settle(admin.alter_configs([res]))
out['describe_b'] = describe('ck-b')

res = ConfigResource('topic', 'ck-b', set_config={'cleanup.policy': 'delete,compact'})
out['alter2'] = settle(admin.alter_configs([res]))
out['describe_b2'] = describe('ck-b')
res = ConfigResource('topic', 'ck-b', set_config={'retention.ms': 'x'})
out['alter_bad'] = settle(admin.alter_configs([res]))
res = ConfigResource('topic', 'ck-missing', set_config={'retention.ms': '1'})
out['alter_missing'] = settle(admin.alter_configs([res]))

res = ConfigResource('broker', sys.argv[2], set_config={'log.retention.ms': '7200000'})
out['broker_alter'] = settle(admin.alter_configs([res]))
res = ConfigResource('broker', sys.argv[2], set_config={'listeners': 'PLAINTEXT://:1'})
out['broker_alter_static'] = settle(admin.alter_configs([res]))
bres = ConfigResource('broker', sys.argv[2])
bcfg = admin.describe_configs([bres])[bres].result(timeout=10)
out['broker_retention'] = (bcfg['log.retention.ms'].value, bcfg['log.retention.ms'].source)
out['broker_listeners_readonly'] = bcfg['listeners'].is_read_only
out['describe_c_retention'] = describe('ck-b')['retention.ms']

out['partitions'] = settle(admin.create_partitions([NewPartitions('ck-a', 4)]))
out['partitions_bad'] = settle(admin.create_partitions([NewPartitions('ck-a', 1)]))
out['partitions_vo'] = settle(admin.create_partitions([NewPartitions('ck-b', 3)], validate_only=True))
out['delete'] = settle(admin.delete_topics(['ck-b', 'ck-missing'], operation_timeout=10))
md = admin.list_topics(timeout=10)
out['topics_after'] = sorted(t for t in md.topics)
out['partitions_a_after'] = len(md.topics['ck-a'].partitions)
print(json.dumps(out))
`;

test('confluent-kafka AdminClient: topics, configs, partitions', { timeout: 90_000 }, async () => {
  await withBroker(async (b) => {
    const r = lastJson(await runPython(SCRIPT, [b.bootstrap, String(b.broker.nodeId)], 60_000));
    assert.deepEqual(r.create, { 'ck-a': 'ok', 'ck-b': 'ok' });
    assert.deepEqual(r.validate_only, { 'ck-vo': 'ok' });
    assert.deepEqual(r.errors, {
      'ck-a': 'TOPIC_ALREADY_EXISTS', 'bad/name': 'TOPIC_EXCEPTION' /* librdkafka's name for 17 */, 'ck-rf': 'INVALID_REPLICATION_FACTOR', 'ck-cfg': 'INVALID_CONFIG',
    });
    assert.deepEqual(r.topics, ['ck-a', 'ck-b']);
    assert.deepEqual(r.partitions_a, [0, 1]);
    assert.deepEqual(r.brokers, [b.broker.nodeId]);
    // ConfigSource: 1 = DYNAMIC_TOPIC_CONFIG, 2 = DYNAMIC_BROKER_CONFIG, 5 = DEFAULT_CONFIG.
    assert.deepEqual(r.describe_a['retention.ms'], ['120000', 1]);
    assert.deepEqual(r.describe_a['cleanup.policy'], ['delete', 5]);
    assert.deepEqual(r.describe_a['max.message.bytes'], ['1048588', 5]);
    assert.deepEqual(Object.values(r.alter), ['ok']);
    assert.deepEqual(r.describe_b['segment.ms'], ['3600000', 1]);
    assert.deepEqual(Object.values(r.alter2), ['ok']);
    // AlterConfigs replaces the whole set: segment.ms is back to its default.
    assert.deepEqual(r.describe_b2['cleanup.policy'], ['delete,compact', 1]);
    assert.deepEqual(r.describe_b2['segment.ms'], ['604800000', 5]);
    assert.deepEqual(Object.values(r.alter_bad), ['INVALID_CONFIG']);
    assert.deepEqual(Object.values(r.alter_missing), ['UNKNOWN_TOPIC_OR_PART']);
    assert.deepEqual(Object.values(r.broker_alter), ['ok']);
    assert.deepEqual(Object.values(r.broker_alter_static), ['INVALID_REQUEST']);
    assert.deepEqual(r.broker_retention, ['7200000', 2]);
    assert.equal(r.broker_listeners_readonly, true);
    assert.deepEqual(r.describe_c_retention, ['7200000', 2]);
    assert.deepEqual(r.partitions, { 'ck-a': 'ok' });
    assert.deepEqual(r.partitions_bad, { 'ck-a': 'INVALID_PARTITIONS' });
    assert.deepEqual(r.partitions_vo, { 'ck-b': 'ok' });
    assert.deepEqual(r.delete, { 'ck-b': 'ok', 'ck-missing': 'UNKNOWN_TOPIC_OR_PART' });
    assert.deepEqual(r.topics_after, ['ck-a']);
    assert.equal(r.partitions_a_after, 4);
    assert.equal(b.broker.topics.get('ck-a')?.logConfig.retentionMs, 120000);
  });
});
