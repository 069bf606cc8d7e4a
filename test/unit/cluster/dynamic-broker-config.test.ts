import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../../src/base/logger.js';
import { BrokerConfig } from '../../../src/server/config.js';
import { DynamicBrokerConfigs, brokerConfigString } from '../../../src/cluster/dynamic-broker-config.js';
import { ConfigSource } from '../../../src/cluster/topic-config.js';

test('layers: per-broker over cluster default over static over default', () => {
  const config = BrokerConfig.fromProperties({ 'log.dirs': '/data', 'log.retention.hours': '24' });
  const d = new DynamicBrokerConfigs(config, silentLogger);
  assert.deepEqual(d.layers('log.retention.hours'), [{ name: 'log.retention.hours', value: '24', source: ConfigSource.STATIC_BROKER_CONFIG }]);
  assert.deepEqual(d.layers('log.segment.bytes'), [{ name: 'log.segment.bytes', value: '1073741824', source: ConfigSource.DEFAULT_CONFIG }]);
  assert.deepEqual(d.layers('log.retention.ms'), [], 'no default value, no layer');

  d.replace('default', { 'log.retention.hours': '12' });
  d.replace('broker', { 'log.retention.hours': '6' });
  assert.deepEqual(d.layers('log.retention.hours').map((l) => [l.value, l.source]),
    [['6', ConfigSource.DYNAMIC_BROKER_CONFIG], ['12', ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG], ['24', ConfigSource.STATIC_BROKER_CONFIG]]);
  assert.equal(config.getInt('log.retention.hours'), 6, 'the effective value is pushed into BrokerConfig');
  d.replace('broker', {});
  assert.equal(config.getInt('log.retention.hours'), 12);
  d.replace('default', {});
  assert.equal(config.getInt('log.retention.hours'), 24, 'static value shows again');
  assert.equal(config.source('log.retention.hours'), 'STATIC_BROKER_CONFIG');
});

test('names BrokerConfig does not know fail loudly, and Long.MAX_VALUE prints as Kafka does', () => {
  const config = BrokerConfig.fromProperties({ 'log.dirs': '/data' });
  const d = new DynamicBrokerConfigs(config, silentLogger);
  assert.throws(() => d.replace('default', { 'test.only.unknown.key': 'true' }), /test\.only\.unknown\.key: unknown configuration key/);
  assert.throws(() => d.layers('log.retention.hourz'), /log\.retention\.hourz: unknown configuration key/);
  assert.equal(brokerConfigString(config, 'log.flush.interval.messages'), '9223372036854775807');
  assert.throws(() => brokerConfigString(config, 'no.such.key'), /no\.such\.key: unknown configuration key/);
  assert.deepEqual(d.layers('leader.replication.throttled.replicas'), [], 'a topic-only synonym has no broker layer');
});
