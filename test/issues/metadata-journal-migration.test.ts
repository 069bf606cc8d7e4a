/**
 * Data dirs written before the metadata journal keep their topics: a broker started on a dir
 * with the old `sherwood-metadata.json` (and partition logs with records) serves the same
 * topics, ids, configs and records, and after a restart still does (the old file has become the
 * journal's first snapshot and is renamed `.migrated`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestBroker, tempDir } from '../helpers/broker.js';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';

test('a data dir from before the metadata journal keeps its topics, ids, configs and records', { timeout: 60_000 }, async () => {
  const dir = tempDir('sherwood-migrate-');
  try {
    // Make partition logs with records, then turn the dir into an old-format one.
    let b = await startTestBroker({ dataDir: dir.path });
    const oldId = Buffer.alloc(16, 7);
    try {
      assert.equal((await b.broker.topics.create({ name: 'kept', numPartitions: 2, replicationFactor: 1 })).errorCode, ErrorCode.NONE);
      const c = await KafkaClient.connect(b.bootstrap);
      try {
        await c.produce('kept', 1, [{ key: null, value: 'a' }, { key: null, value: 'b' }]);
      } finally {
        await c.close();
      }
    } finally {
      await b.close();
    }
    rmSync(join(dir.path, 'sherwood-metadata'), { recursive: true });
    writeFileSync(join(dir.path, 'sherwood-metadata.json'), JSON.stringify({
      version: 1,
      topics: [{ name: 'kept', topicId: oldId.toString('base64url'), numPartitions: 2, replicationFactor: 1, configs: { 'retention.ms': '123456' }, internal: false }],
      brokerConfigs: { broker: {}, default: { 'log.retention.ms': '999' } },
    }));

    for (let round = 0; round < 2; round++) {
      b = await startTestBroker({ dataDir: dir.path });
      try {
        const c = await KafkaClient.connect(b.bootstrap);
        try {
          const md = await c.metadata(['kept']);
          const t = md.topics[0]!;
          assert.equal(t.errorCode, ErrorCode.NONE, `round ${round}`);
          assert.ok(t.topicId.equals(oldId), `round ${round}: the topic id is kept`);
          assert.deepEqual(t.partitions.map((p) => [p.leaderId, p.leaderEpoch]), [[b.broker.nodeId, 0], [b.broker.nodeId, 0]]);
          assert.equal(b.broker.topics.configValue('kept', 'retention.ms'), '123456');
          assert.equal(b.broker.topics.image.brokerConfigs('default')['log.retention.ms'], '999');
          assert.equal(b.broker.partitionLog('kept', 1)?.logEndOffset, 2, `round ${round}: the records are still there`);
        } finally {
          await c.close();
        }
      } finally {
        await b.close();
      }
      assert.equal(existsSync(join(dir.path, 'sherwood-metadata.json')), false);
      assert.ok(existsSync(join(dir.path, 'sherwood-metadata.json.migrated')));
      assert.ok(readdirSync(join(dir.path, 'sherwood-metadata')).some((n) => n.endsWith('.snapshot')));
    }
  } finally {
    dir.remove();
  }
});
