import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConfigSource, TOPIC_CONFIG_DEFS, applyIncrementalOps, resolveTopicConfig, toLogConfig, topicConfigDef,
  validateTopicConfigs, type BrokerConfigLayers, type ConfigLayer,
} from '../../../src/cluster/topic-config.js';

const noBroker: BrokerConfigLayers = { layers: () => [] };
function brokerWith(values: Record<string, { value: string; source: number }>): BrokerConfigLayers {
  return { layers: (name) => (values[name] === undefined ? [] : [{ name, value: values[name]!.value, source: values[name]!.source } as ConfigLayer]) };
}

test('every definition has a default that passes its own validation', () => {
  for (const d of TOPIC_CONFIG_DEFS) {
    const r = validateTopicConfigs({ [d.name]: d.defaultValue });
    assert.ok('configs' in r, `${d.name}: ${JSON.stringify(r)}`);
  }
});

test('unknown names, nulls and bad values are refused with Kafka\'s messages', () => {
  assert.deepEqual(validateTopicConfigs({ 'no.such.config': '1' }), { error: 'Unknown topic config name: no.such.config' });
  assert.deepEqual(validateTopicConfigs({ 'retention.ms': null }), { error: 'Null value not supported for topic configs: retention.ms' });
  assert.deepEqual(validateTopicConfigs({ 'retention.ms': 'abc' }), { error: 'Invalid value abc for configuration retention.ms: Not a number of type LONG' });
  assert.deepEqual(validateTopicConfigs({ 'retention.ms': '-5' }), { error: 'Invalid value -5 for configuration retention.ms: Value must be at least -1' });
  assert.deepEqual(validateTopicConfigs({ 'segment.bytes': '99999999999' }), { error: 'Invalid value 99999999999 for configuration segment.bytes: Not a number of type INT' });
  assert.deepEqual(validateTopicConfigs({ 'cleanup.policy': 'compact,forever' }), { error: 'Invalid value compact,forever for configuration cleanup.policy: String must be one of: compact, delete' });
  assert.deepEqual(validateTopicConfigs({ 'message.timestamp.type': 'Now' }), { error: 'Invalid value Now for configuration message.timestamp.type: String must be one of: CreateTime, LogAppendTime' });
  assert.deepEqual(validateTopicConfigs({ preallocate: 'yes' }), { error: 'Invalid value yes for configuration preallocate: Expected value to be either true or false' });
  assert.deepEqual(validateTopicConfigs({ 'min.cleanable.dirty.ratio': '1.5' }), { error: 'Invalid value 1.5 for configuration min.cleanable.dirty.ratio: Value must be no more than 1' });
});

test('values are canonicalised', () => {
  assert.deepEqual(validateTopicConfigs({ 'cleanup.policy': ' compact , delete ', preallocate: 'TRUE', 'retention.ms': ' 1000 ' }),
    { configs: { 'cleanup.policy': 'compact,delete', preallocate: 'true', 'retention.ms': '1000' } });
  assert.deepEqual(validateTopicConfigs({ 'flush.messages': '9223372036854775807' }), { configs: { 'flush.messages': '9223372036854775807' } });
});

test('resolution: override, then broker synonyms in order, then default', () => {
  const d = topicConfigDef('retention.ms')!;
  assert.deepEqual(resolveTopicConfig(d, {}, noBroker), { name: 'retention.ms', value: '604800000', source: ConfigSource.DEFAULT_CONFIG, synonyms: [] });
  const hours = brokerWith({ 'log.retention.hours': { value: '2', source: ConfigSource.STATIC_BROKER_CONFIG } });
  const r = resolveTopicConfig(d, {}, hours);
  assert.equal(r.value, '7200000');
  assert.equal(r.source, ConfigSource.STATIC_BROKER_CONFIG);
  assert.deepEqual(r.synonyms.map((s) => s.name), ['log.retention.hours']);
  const both = brokerWith({ 'log.retention.hours': { value: '2', source: 4 }, 'log.retention.ms': { value: '1000', source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG } });
  assert.equal(resolveTopicConfig(d, {}, both).value, '1000');
  const own = resolveTopicConfig(d, { 'retention.ms': '5' }, both);
  assert.equal(own.value, '5');
  assert.equal(own.source, ConfigSource.DYNAMIC_TOPIC_CONFIG);
  assert.deepEqual(own.synonyms.map((s) => s.name), ['retention.ms', 'log.retention.ms', 'log.retention.hours']);
});

test('LogConfig mapping', () => {
  const lc = toLogConfig({ 'cleanup.policy': 'compact', 'segment.bytes': '1024', 'message.timestamp.type': 'LogAppendTime', 'flush.ms': '9223372036854775807' },
    brokerWith({ 'log.retention.hours': { value: '1', source: 4 }, 'message.max.bytes': { value: '2000', source: 4 } }));
  assert.deepEqual(lc.cleanupPolicy, { delete: false, compact: true });
  assert.equal(lc.segmentBytes, 1024);
  assert.equal(lc.retentionMs, 3_600_000);
  assert.equal(lc.maxMessageBytes, 2000);
  assert.equal(lc.messageTimestampType, 'LogAppendTime');
  assert.equal(lc.flushMs, Number.MAX_SAFE_INTEGER);
  assert.equal(toLogConfig({}, noBroker).segmentBytes, 1073741824);
});

test('incremental ops: SET, DELETE, APPEND and SUBTRACT on lists only', () => {
  const typeOf = (n: string) => topicConfigDef(n)?.type;
  const dflt = (n: string) => topicConfigDef(n)?.defaultValue;
  const unknown = (n: string) => `Unknown topic config name: ${n}`;
  assert.deepEqual(applyIncrementalOps({ 'retention.ms': '1' }, [{ name: 'retention.ms', configOperation: 1, value: null }, { name: 'segment.ms', configOperation: 0, value: '5' }], typeOf, dflt, unknown),
    { configs: { 'segment.ms': '5' } });
  assert.deepEqual(applyIncrementalOps({}, [{ name: 'cleanup.policy', configOperation: 2, value: 'compact' }], typeOf, dflt, unknown),
    { configs: { 'cleanup.policy': 'delete,compact' } });
  assert.deepEqual(applyIncrementalOps({ 'cleanup.policy': 'delete,compact' }, [{ name: 'cleanup.policy', configOperation: 3, value: 'delete' }], typeOf, dflt, unknown),
    { configs: { 'cleanup.policy': 'compact' } });
  const bad = applyIncrementalOps({}, [{ name: 'retention.ms', configOperation: 2, value: '1' }], typeOf, dflt, unknown);
  assert.ok('error' in bad && bad.errorCode === 'INVALID_CONFIG');
  const unk = applyIncrementalOps({}, [{ name: 'nope', configOperation: 0, value: '1' }], typeOf, dflt, unknown);
  assert.ok('error' in unk && unk.error === 'Unknown topic config name: nope');
  const op = applyIncrementalOps({}, [{ name: 'retention.ms', configOperation: 9, value: '1' }], typeOf, dflt, unknown);
  assert.ok('error' in op && op.errorCode === 'INVALID_REQUEST');
});

test('docs/topic-configs.md lists every topic config', async () => {
  const { readFile } = await import('node:fs/promises');
  const doc = await readFile(new URL('../../../docs/topic-configs.md', import.meta.url), 'utf8');
  for (const d of TOPIC_CONFIG_DEFS) assert.ok(doc.includes(`| \`${d.name}\` |`), `${d.name} missing from docs/topic-configs.md`);
});
