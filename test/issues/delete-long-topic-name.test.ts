/**
 * Regression: deleting a topic whose name is near the 249-character limit renamed its partition
 * directories to `<topic>-<partition>.<id>-delete`, a name longer than the 255 bytes a file
 * system allows (ENAMETOOLONG). DeleteTopics then closed the connection, a topic re-created
 * under the same name served the old topic's records (its directory was still there), and the
 * next restart failed for good. Kafka (LocalLog.logDeleteDirName) shortens the topic part of the
 * `-delete` name so that the whole name fits in 255 characters. Checked on the real disk (which
 * enforces the limit) and on MemoryFileSystem (which now enforces it too).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBroker, tempDir } from '../helpers/broker.js';
import { KafkaClient, produce, fetch } from '../../src/client/index.js';
import { CreateTopics } from '../../src/protocol/messages/create-topics.js';
import { DeleteTopics } from '../../src/protocol/messages/delete-topics.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { ManualClock } from '../../src/base/clock.js';
import { silentLogger } from '../../src/base/logger.js';
import { MemoryFileSystem } from '../../src/base/file-system.js';
import { LogManager, logDeleteDirName } from '../../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG } from '../../src/storage/log-config.js';
import { encodeBatch } from '../../src/protocol/records.js';

const TOPIC = 'x'.repeat(239) + '-long-name'; // 249 characters: the longest legal topic name
const PARTITIONS = 2;

async function createTopic(client: KafkaClient): Promise<void> {
  const c = await client.request(CreateTopics, { topics: [{ name: TOPIC, numPartitions: PARTITIONS, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000 }, { version: 5 });
  assert.equal(c.topics[0]!.errorCode, ErrorCode.NONE, c.topics[0]!.errorMessage ?? '');
}

test('logDeleteDirName shortens the topic so the name fits 255 characters (Kafka\'s rule)', () => {
  assert.equal(TOPIC.length, 249);
  for (const partition of [0, 7, 12345, 2147483647]) {
    const name = logDeleteDirName(TOPIC, partition, 'deadbeef0123');
    assert.ok(name.length <= 255, `${name.length}`);
    assert.ok(name.endsWith(`-${partition}.deadbeef0123-delete`), name);
    assert.ok(TOPIC.startsWith(name.slice(0, name.indexOf(`-${partition}.deadbeef0123`))));
  }
  assert.equal(logDeleteDirName('short', 3, 'abc'), 'short-3.abc-delete', 'short names are kept whole');
});

test('issue: a 249-character topic can be deleted, re-created empty, and the broker restarts', { timeout: 60_000 }, async () => {
  assert.equal(TOPIC.length, 249);
  const data = tempDir();
  try {
    let b = await startTestBroker({ dataDir: data.path });
    let client = await KafkaClient.connect(b.bootstrap);
    try {
      await createTopic(client);
      for (let p = 0; p < PARTITIONS; p++) await produce(client, TOPIC, p, [{ key: null, value: Buffer.from(`old-${p}`) }], { acks: -1 });
      const d = await client.request(DeleteTopics, { topicNames: [TOPIC], timeoutMs: 5000 }, { version: 4 });
      assert.equal(d.responses[0]!.errorCode, ErrorCode.NONE, d.responses[0]!.errorMessage ?? '');
      await createTopic(client);
      for (let p = 0; p < PARTITIONS; p++) {
        const r = await fetch(client, TOPIC, p, 0, { maxWaitMs: 0 });
        assert.equal(r.highWatermark, 0, `partition ${p} of the re-created topic is empty`);
        assert.deepEqual(r.records, []);
      }
      await produce(client, TOPIC, 1, [{ key: null, value: Buffer.from('new-1') }], { acks: -1 });
    } finally {
      await client.close();
      await b.close();
    }
    b = await startTestBroker({ dataDir: data.path });
    client = await KafkaClient.connect(b.bootstrap);
    try {
      const r0 = await fetch(client, TOPIC, 0, 0, { maxWaitMs: 0 });
      assert.equal(r0.highWatermark, 0);
      const r1 = await fetch(client, TOPIC, 1, 0, { maxWaitMs: 0 });
      assert.deepEqual(r1.records.map((r) => r.value?.toString()), ['new-1']);
    } finally {
      await client.close();
      await b.close();
    }
  } finally {
    data.remove();
  }
});

test('issue: on MemoryFileSystem too, deleting a log with a 249-character topic leaves nothing behind', async () => {
  const fs = new MemoryFileSystem();
  const clock = new ManualClock();
  const logs = await LogManager.open({ fs, dirs: ['/d'], clock, logger: silentLogger });
  const log = await logs.create(TOPIC, 0, { ...DEFAULT_LOG_CONFIG });
  await log.appendAsLeader(encodeBatch({ records: [{ key: null, value: 'old' }] }), 0);
  await logs.delete(TOPIC, 0);
  assert.deepEqual((await fs.readdir('/d')).filter((n) => n.startsWith('x')), []);
  const again = await logs.create(TOPIC, 0, { ...DEFAULT_LOG_CONFIG });
  assert.equal(again.logEndOffset, 0);
  await logs.close();
  await assert.rejects(fs.mkdirp(`/d/${'y'.repeat(256)}`), (e: { code?: string }) => e.code === 'ENAMETOOLONG');
});
