/**
 * Topics, ids, partition counts, config overrides and dynamic broker configs survive a clean
 * restart on the same data directory; a deleted topic stays deleted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBroker, tempDir } from '../helpers/broker.js';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { CreateTopics } from '../../src/protocol/messages/create-topics.js';
import { CreatePartitions } from '../../src/protocol/messages/create-partitions.js';
import { DeleteTopics } from '../../src/protocol/messages/delete-topics.js';
import { IncrementalAlterConfigs } from '../../src/protocol/messages/incremental-alter-configs.js';
import { DescribeConfigs } from '../../src/protocol/messages/describe-configs.js';

test('topic metadata survives restart', { timeout: 60_000 }, async () => {
  const dir = tempDir('sherwood-admin-persist-');
  try {
    let b = await startTestBroker({ dataDir: dir.path });
    let idBefore: Buffer;
    try {
      const c = await KafkaClient.connect(b.bootstrap);
      try {
        const r = await c.request(CreateTopics, { topics: [
          { name: 'keep', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [{ name: 'retention.ms', value: '12345' }, { name: 'cleanup.policy', value: 'compact' }] },
          { name: 'gone', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
        ] });
        assert.deepEqual(r.topics.map((t) => t.errorCode), [0, 0]);
        assert.equal((await c.request(CreatePartitions, { topics: [{ name: 'keep', count: 4, assignments: null }], timeoutMs: 1000, validateOnly: false })).results[0]!.errorCode, 0);
        assert.equal((await c.request(DeleteTopics, { topicNames: ['gone'], topics: [{ name: 'gone', topicId: Buffer.alloc(16) }], timeoutMs: 1000 })).responses[0]!.errorCode, 0);
        const alter = await c.request(IncrementalAlterConfigs, { resources: [{ resourceType: 4, resourceName: String(b.broker.nodeId), configs: [{ name: 'message.max.bytes', configOperation: 0, value: '500000' }] }] });
        assert.equal(alter.responses[0]!.errorCode, 0);
      } finally {
        await c.close();
      }
      idBefore = b.broker.topics.get('keep')!.topicId;
    } finally {
      await b.close();
    }

    b = await startTestBroker({ dataDir: dir.path });
    try {
      const keep = b.broker.topics.get('keep');
      assert.ok(keep, 'topic is back');
      assert.ok(keep.topicId.equals(idBefore), 'same topic id');
      assert.equal(keep.numPartitions, 4);
      assert.deepEqual(keep.configs, { 'retention.ms': '12345', 'cleanup.policy': 'compact' });
      assert.equal(b.broker.partitionLog('keep', 3)?.config.retentionMs, 12345, 'the partition logs got the topic config');
      assert.equal(b.broker.partitionLog('keep', 3)?.config.cleanupPolicy.compact, true);
      assert.equal(b.broker.partitionLog('keep', 0)?.config.maxMessageBytes, 500000, 'dynamic broker config reapplied');
      assert.equal(b.broker.topics.get('gone'), undefined);
      assert.equal(b.broker.logs.get('gone', 0), undefined);
      const c = await KafkaClient.connect(b.bootstrap);
      try {
        const md = await c.metadata(null);
        assert.deepEqual(md.topics.map((t) => [t.name, t.partitions.length]), [['keep', 4]]);
        const d = await c.request(DescribeConfigs, { resources: [{ resourceType: 2, resourceName: 'keep', configurationKeys: ['max.message.bytes', 'retention.ms'] }] });
        assert.deepEqual(d.results[0]!.configs.map((x) => [x.name, x.value, x.configSource]), [['max.message.bytes', '500000', 2], ['retention.ms', '12345', 1]]);
      } finally {
        await c.close();
      }
    } finally {
      await b.close();
    }
  } finally {
    dir.remove();
  }
});

test('a topic deleted and created again under the same name starts empty with a new id', { timeout: 60_000 }, async () => {
  const dir = tempDir('sherwood-admin-recreate-');
  try {
    const b = await startTestBroker({ dataDir: dir.path });
    try {
      const c = await KafkaClient.connect(b.bootstrap);
      try {
        const create = () => c.request(CreateTopics, { topics: [{ name: 'again', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }] });
        assert.equal((await create()).topics[0]!.errorCode, 0);
        const firstId = b.broker.topics.get('again')!.topicId;
        await c.produce('again', 0, [{ key: 'k', value: 'v1' }, { key: 'k', value: 'v2' }]);
        assert.equal(b.broker.partitionLog('again', 0)?.logEndOffset, 2);
        const del = await c.request(DeleteTopics, { topicNames: ['again'], topics: [{ name: 'again', topicId: Buffer.alloc(16) }], timeoutMs: 1000 });
        assert.equal(del.responses[0]!.errorCode, 0);
        assert.equal((await create()).topics[0]!.errorCode, 0);
        assert.ok(!b.broker.topics.get('again')!.topicId.equals(firstId), 'a new topic id');
        assert.equal(b.broker.partitionLog('again', 0)?.logEndOffset, 0, 'no data from the old topic');
        const md = await c.metadata(['again']);
        assert.equal(md.topics[0]!.errorCode, 0);
      } finally {
        await c.close();
      }
    } finally {
      await b.close();
    }
  } finally {
    dir.remove();
  }
});
