/**
 * Regression: Kafka's kafka-reassign-partitions.sh --verify ends every completed reassignment
 * by deleting the replication-throttle broker configs (leader/follower.replication.throttled.rate,
 * replica.alter.log.dirs.io.max.bytes.per.second) with IncrementalAlterConfigs, and failed with
 * "Unknown broker config name". Sherwood has no replication quotas: deleting them is the no-op
 * it is on an unset config, setting them is refused by name (no silently ignored throttle).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { KafkaClient } from '../../src/client/index.js';
import { IncrementalAlterConfigs } from '../../src/protocol/messages/incremental-alter-configs.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';

const BROKER = 4;
const SET = 0;
const DELETE = 1;

test('issue: deleting the replication-throttle broker configs succeeds; setting them is INVALID_CONFIG', async () => {
  await withBroker(async (b) => {
    const client = await KafkaClient.connect(`127.0.0.1:${b.port}`);
    try {
      const alter = async (resourceName: string, configs: { name: string; configOperation: number; value: string | null }[]) =>
        (await client.request(IncrementalAlterConfigs, { resources: [{ resourceType: BROKER, resourceName, configs }], validateOnly: false })).responses[0]!;
      const names = ['leader.replication.throttled.rate', 'follower.replication.throttled.rate', 'replica.alter.log.dirs.io.max.bytes.per.second'];
      for (const scope of ['', String(b.broker.nodeId)]) {
        const del = await alter(scope, names.map((name) => ({ name, configOperation: DELETE, value: null })));
        assert.deepEqual([del.errorCode, del.errorMessage], [ErrorCode.NONE, null], `delete at scope '${scope}'`);
      }
      const set = await alter('', [{ name: 'leader.replication.throttled.rate', configOperation: SET, value: '1048576' }]);
      assert.deepEqual([set.errorCode, set.errorMessage], [ErrorCode.INVALID_CONFIG, 'Replication quotas are not supported: leader.replication.throttled.rate']);
      const unknown = await alter('', [{ name: 'no.such.config', configOperation: DELETE, value: null }]);
      assert.equal(unknown.errorCode, ErrorCode.INVALID_CONFIG, 'other unknown names are still refused');
    } finally {
      await client.close();
    }
  });
});
