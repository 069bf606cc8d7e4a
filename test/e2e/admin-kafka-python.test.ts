/**
 * kafka-python 2.0.2's KafkaAdminClient against Sherwood: create_topics (with configs, and the
 * error paths), list_topics, describe_topics, describe_configs, create_partitions,
 * delete_topics. Each error gets Kafka's code and the broker keeps serving.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { runPython, lastJson } from '../helpers/clients.js';

const SCRIPT = `
import sys, json
from kafka.admin import KafkaAdminClient, NewTopic, NewPartitions, ConfigResource, ConfigResourceType
from kafka.errors import KafkaError

admin = KafkaAdminClient(bootstrap_servers=[sys.argv[1]], client_id='py-admin', request_timeout_ms=10000)
out = {}

def codes(resp):
    return {t[0]: t[1] for t in resp.topic_errors}

def attempt(key, fn):
    try:
        fn()
        out[key] = 'ok'
    except KafkaError as e:
        out[key] = type(e).__name__

r = admin.create_topics([NewTopic('py-a', 3, 1, topic_configs={'retention.ms': '60000', 'cleanup.policy': 'compact'}), NewTopic('py-b', 1, 1)])
out['create'] = codes(r)
attempt('dup', lambda: admin.create_topics([NewTopic('py-a', 1, 1)]))
attempt('badname', lambda: admin.create_topics([NewTopic('bad name!', 1, 1)]))
attempt('rf', lambda: admin.create_topics([NewTopic('py-rf', 1, 3)]))
attempt('badconfig', lambda: admin.create_topics([NewTopic('py-cfg', 1, 1, topic_configs={'retention.ms': 'forever'})]))
attempt('unknownconfig', lambda: admin.create_topics([NewTopic('py-cfg', 1, 1, topic_configs={'no.such': '1'})]))
attempt('zeroparts', lambda: admin.create_topics([NewTopic('py-zero', 0, 1)]))
out['validate_only'] = codes(admin.create_topics([NewTopic('py-vo', 2, 1)], validate_only=True))

out['list'] = sorted(admin.list_topics())
desc = admin.describe_topics(['py-a'])
out['describe'] = [{'topic': t['topic'], 'error': t['error_code'], 'partitions': sorted(p['partition'] for p in t['partitions']),
                    'leaders': sorted(set(p['leader'] for p in t['partitions']))} for t in desc]

cfg = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, 'py-a')])
entries = {}
for resp in cfg:
    for res in resp.resources:
        out['describe_configs_error'] = res[0]
        for e in res[4]:
            entries[e[0]] = e[1]
out['configs'] = {k: entries.get(k) for k in ['retention.ms', 'cleanup.policy', 'segment.bytes', 'max.message.bytes']}

attempt('partitions_decrease', lambda: admin.create_partitions({'py-a': NewPartitions(2)}))
attempt('partitions_increase', lambda: admin.create_partitions({'py-a': NewPartitions(5)}))
out['partitions_after'] = len(admin.describe_topics(['py-a'])[0]['partitions'])

r = admin.delete_topics(['py-b'])
out['delete'] = {t[0]: t[1] for t in r.topic_error_codes}
attempt('delete_missing', lambda: admin.delete_topics(['py-missing']))
out['list_after'] = sorted(admin.list_topics())
admin.close()
print(json.dumps(out))
`;

test('kafka-python KafkaAdminClient: topics and configs', { timeout: 90_000 }, async () => {
  await withBroker(async (b) => {
    const r = lastJson(await runPython(SCRIPT, [b.bootstrap], 60_000));
    assert.deepEqual(r.create, { 'py-a': 0, 'py-b': 0 });
    assert.equal(r.dup, 'TopicAlreadyExistsError');
    assert.equal(r.badname, 'InvalidTopicError');
    assert.equal(r.rf, 'InvalidReplicationFactorError');
    assert.equal(r.badconfig, 'InvalidConfigurationError');
    assert.equal(r.unknownconfig, 'InvalidConfigurationError');
    assert.equal(r.zeroparts, 'InvalidPartitionsError');
    assert.deepEqual(r.validate_only, { 'py-vo': 0 });
    assert.deepEqual(r.list, ['py-a', 'py-b']);
    assert.deepEqual(r.describe, [{ topic: 'py-a', error: 0, partitions: [0, 1, 2], leaders: [b.broker.nodeId] }]);
    assert.equal(r.describe_configs_error, 0);
    assert.deepEqual(r.configs, { 'retention.ms': '60000', 'cleanup.policy': 'compact', 'segment.bytes': '1073741824', 'max.message.bytes': '1048588' });
    assert.equal(r.partitions_decrease, 'InvalidPartitionsError');
    assert.equal(r.partitions_increase, 'ok');
    assert.equal(r.partitions_after, 5);
    assert.deepEqual(r.delete, { 'py-b': 0 });
    assert.equal(r.delete_missing, 'UnknownTopicOrPartitionError');
    assert.deepEqual(r.list_after, ['py-a']);
    assert.equal(b.broker.topics.get('py-a')?.logConfig.retentionMs, 60000);
  });
});
