/**
 * Regression: reads of broker configs swallowed errors. DynamicBrokerConfigs answered null for a
 * name BrokerConfig does not define (brokerConfigString, staticValue), and its push into
 * BrokerConfig logged a failure at debug level and went on. So a misspelled name in code
 * (`brokerBool('delete.topic.enabled', true)`) silently read the fallback. Now such reads
 * throw the ConfigError naming the key; only the topic-config synonyms that are not broker
 * configs (TOPIC_ONLY_SYNONYMS) have an explicit empty answer, and a persisted dynamic config
 * whose name is no longer known is dropped on load with a warning instead of being kept
 * half-applied.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger, type Logger } from '../../src/base/logger.js';
import { ConfigError } from '../../src/base/errors.js';
import { BrokerConfig } from '../../src/server/config.js';
import { DynamicBrokerConfigs, TOPIC_ONLY_SYNONYMS, brokerConfigString } from '../../src/cluster/dynamic-broker-config.js';
import { TOPIC_CONFIG_DEFS, effectiveTopicConfigs } from '../../src/cluster/topic-config.js';

test('issue: a misspelled broker config name throws instead of reading a fallback', () => {
  const config = BrokerConfig.fromProperties({ 'log.dirs': '/data', 'delete.topic.enable': 'false' });
  const d = new DynamicBrokerConfigs(config, silentLogger);
  assert.equal(brokerConfigString(config, 'delete.topic.enable'), 'false');
  assert.throws(() => brokerConfigString(config, 'delete.topic.enabled'), (e: unknown) => e instanceof ConfigError && e.message.startsWith('delete.topic.enabled: '));
  assert.throws(() => d.staticValue('delete.topic.enabled'), ConfigError);
  assert.throws(() => d.layers('delete.topic.enabled'), ConfigError);
  assert.throws(() => d.replace('broker', { 'delete.topic.enabled': 'true' }), ConfigError);
});

test('issue: every topic-config synonym is a broker config or explicitly topic-only; resolving them all works', () => {
  const config = BrokerConfig.fromProperties({ 'log.dirs': '/data' });
  for (const t of TOPIC_CONFIG_DEFS) {
    for (const s of t.synonyms) assert.ok(config.has(s.name) || TOPIC_ONLY_SYNONYMS.has(s.name), `${t.name} <- ${s.name}`);
  }
  const resolved = effectiveTopicConfigs({}, new DynamicBrokerConfigs(config, silentLogger));
  assert.equal(resolved.get('retention.ms')!.value, '604800000');
  assert.equal(resolved.get('leader.replication.throttled.replicas')!.value, '');
});

test('issue: a persisted dynamic config with an unknown name is dropped on load, with a warning', () => {
  const warnings: string[] = [];
  const logger: Logger = { ...silentLogger, warn: (msg: string, fields?: Record<string, unknown>) => { warnings.push(`${msg} ${String(fields?.['name'])}`); } };
  const config = BrokerConfig.fromProperties({ 'log.dirs': '/data' });
  const d = new DynamicBrokerConfigs(config, logger);
  d.load({ broker: { 'log.retention.hours': '5', 'removed.in.a.later.version': 'x' }, default: {} });
  assert.equal(config.getInt('log.retention.hours'), 5);
  assert.deepEqual(d.snapshot(), { broker: { 'log.retention.hours': '5' }, default: {} });
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /removed\.in\.a\.later\.version/);
});
