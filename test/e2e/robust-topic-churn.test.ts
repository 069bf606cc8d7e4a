/**
 * Two admin clients creating and deleting the same topic as fast as they can, in parallel.
 * Every answer is NONE, TOPIC_ALREADY_EXISTS or UNKNOWN_TOPIC_OR_PARTITION; the final state is
 * consistent (metadata, partition logs and the directories on disk agree) and a restart loads
 * exactly that state, after which the topic (if it exists) takes writes and reads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { startTestBroker, tempDir } from '../helpers/broker.js';
import { CreateTopics } from '../../src/protocol/messages/create-topics.js';
import { DeleteTopics } from '../../src/protocol/messages/delete-topics.js';
import { Metadata } from '../../src/protocol/messages/metadata.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { KafkaClient, produce, fetch } from '../../src/client/index.js';

const TOPIC = 'churned';
const PARTITIONS = 3;

async function churn(client: KafkaClient, rounds: number, codes: Map<string, number>): Promise<void> {
  const note = (what: string, code: number): void => {
    const k = `${what}:${code}`;
    codes.set(k, (codes.get(k) ?? 0) + 1);
  };
  for (let i = 0; i < rounds; i++) {
    const c = await client.request(CreateTopics, { topics: [{ name: TOPIC, numPartitions: PARTITIONS, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000 }, { version: 5 });
    note('create', c.topics[0]!.errorCode);
    const d = await client.request(DeleteTopics, { topicNames: [TOPIC], timeoutMs: 5000 }, { version: 4 });
    note('delete', d.responses[0]!.errorCode);
  }
  if (rounds % 2 === 0) {
    const c = await client.request(CreateTopics, { topics: [{ name: TOPIC, numPartitions: PARTITIONS, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000 }, { version: 5 });
    note('create', c.topics[0]!.errorCode);
  }
}

function topicDirs(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.startsWith(`${TOPIC}-`)).sort();
}

test('parallel create/delete of one topic from two admin clients: consistent, and a restart agrees', async () => {
  const dir = tempDir('sherwood-churn-');
  let b = await startTestBroker({ dataDir: dir.path });
  try {
    const a1 = await KafkaClient.connect(b.bootstrap);
    const a2 = await KafkaClient.connect(b.bootstrap);
    const codes = new Map<string, number>();
    try {
      await Promise.all([churn(a1, 40, codes), churn(a2, 41, codes)]);
    } finally {
      await a1.close();
      await a2.close();
    }
    const allowed = new Set([`create:${ErrorCode.NONE}`, `create:${ErrorCode.TOPIC_ALREADY_EXISTS}`, `delete:${ErrorCode.NONE}`, `delete:${ErrorCode.UNKNOWN_TOPIC_OR_PARTITION}`]);
    for (const k of codes.keys()) assert.ok(allowed.has(k), `unexpected ${k} (${JSON.stringify([...codes])})`);
    assert.ok((codes.get(`create:${ErrorCode.NONE}`) ?? 0) > 0 && (codes.get(`delete:${ErrorCode.NONE}`) ?? 0) > 0);

    const info = b.broker.topics.get(TOPIC);
    const exists = info !== undefined;
    const topicId = info?.topicId.toString('hex');
    // In memory and on disk agree: a log (and one directory) per partition, or none at all.
    for (let p = 0; p < PARTITIONS; p++) assert.equal(b.broker.logs.get(TOPIC, p) !== undefined, exists, `log ${p}`);
    assert.deepEqual(topicDirs(dir.path), exists ? Array.from({ length: PARTITIONS }, (_, p) => `${TOPIC}-${p}`) : []);

    await b.close();
    b = await startTestBroker({ dataDir: dir.path });
    const again = b.broker.topics.get(TOPIC);
    assert.equal(again !== undefined, exists, 'restart loads the same topic set');
    assert.equal(again?.topicId.toString('hex'), topicId, 'with the same topic id');
    for (let p = 0; p < PARTITIONS; p++) assert.equal(b.broker.logs.get(TOPIC, p) !== undefined, exists);

    const client = await KafkaClient.connect(b.bootstrap);
    try {
      const md = await client.request(Metadata, { topics: [{ topicId: Buffer.alloc(16), name: TOPIC }], allowAutoTopicCreation: false }, { version: 9 });
      assert.equal(md.topics[0]!.errorCode, exists ? ErrorCode.NONE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      if (exists) {
        assert.equal(md.topics[0]!.partitions.length, PARTITIONS);
        await produce(client, TOPIC, 2, [{ key: null, value: Buffer.from('after-restart') }], { acks: -1 });
        const f = await fetch(client, TOPIC, 2, 0, { maxWaitMs: 100 });
        assert.deepEqual(f.records.map((r) => r.value!.toString()), ['after-restart']);
      }
    } finally {
      await client.close();
    }
  } finally {
    await b.close();
    dir.remove();
  }
});
