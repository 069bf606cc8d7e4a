/**
 * The group coordinator's wiring to the broker (src/server/group-runtime.ts): every setting is
 * read from the broker configuration (a read of an undefined key throws instead of silently
 * falling back to a default), and the partition count of an existing `__consumer_offsets` wins
 * over offsets.topic.num.partitions without touching the configuration object.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BrokerConfig } from '../../../src/server/config.js';
import type { Broker } from '../../../src/server/broker.js';
import { getGroupRuntime, groupCoordinatorConfig } from '../../../src/server/group-runtime.js';
import { DEFAULT_GROUP_COORDINATOR_CONFIG } from '../../../src/coordinator/group/group-config.js';
import { startTestBroker, tempDir } from '../../helpers/broker.js';

test('every group setting comes from the broker configuration', () => {
  const config = BrokerConfig.fromProperties({
    'log.dirs': '/tmp/unused',
    'group.min.session.timeout.ms': '1001',
    'group.max.session.timeout.ms': '1002',
    'group.initial.rebalance.delay.ms': '1003',
    'group.max.size': '1004',
    'offsets.retention.minutes': '2',
    'offsets.retention.check.interval.ms': '1005',
    'offset.metadata.max.bytes': '1006',
  });
  assert.deepEqual(groupCoordinatorConfig({ config } as Broker, 7), {
    offsetsTopicNumPartitions: 7,
    groupMinSessionTimeoutMs: 1001,
    groupMaxSessionTimeoutMs: 1002,
    groupInitialRebalanceDelayMs: 1003,
    groupMaxSize: 1004,
    groupNewMemberJoinTimeoutMs: DEFAULT_GROUP_COORDINATOR_CONFIG.groupNewMemberJoinTimeoutMs,
    offsetsRetentionMs: 120_000,
    offsetsRetentionCheckIntervalMs: 1005,
    offsetMetadataMaxBytes: 1006,
  });
  // A read of a key the broker does not define is a bug: it throws rather than defaulting.
  assert.throws(() => config.getInt('group.new.member.join.timeout.ms'), /unknown configuration key/);
  const missing = { config: { getInt: (name: string) => config.getInt(name === 'group.max.size' ? 'group.max.sise' : name), getLong: (n: string) => config.getLong(n) } };
  assert.throws(() => groupCoordinatorConfig(missing as unknown as Broker, 1), /group\.max\.sise: unknown configuration key/);
});

test('an existing __consumer_offsets keeps its partition count; the setting is not overwritten', { timeout: 30_000 }, async () => {
  const dir = tempDir('sherwood-group-runtime-');
  try {
    let b = await startTestBroker({ dataDir: dir.path, overrides: { 'offsets.topic.num.partitions': '2' } });
    try {
      assert.equal(await getGroupRuntime(b.broker).availability(), 0);
      assert.equal(b.broker.topics.get('__consumer_offsets')!.numPartitions, 2);
    } finally {
      await b.close();
    }
    b = await startTestBroker({ dataDir: dir.path, overrides: { 'offsets.topic.num.partitions': '5' } });
    try {
      assert.equal(await getGroupRuntime(b.broker).availability(), 0);
      assert.equal(b.broker.groups.service.config.offsetsTopicNumPartitions, 2, 'groups hash over the partitions that exist');
      assert.deepEqual(b.broker.groups.service.runtime.partitions(), [0, 1]);
      assert.equal(b.broker.config.getInt('offsets.topic.num.partitions'), 5, 'the broker setting is left as configured');
    } finally {
      await b.close();
    }
  } finally {
    dir.remove();
  }
});
