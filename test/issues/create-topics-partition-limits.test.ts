/**
 * One CreateTopics for 10 topics x 10,000 partitions used to create all 100,000 partition logs,
 * exhausting file descriptors (EMFILE) so that the broker could never restart. Kafka refuses a
 * request for more than 10,000 partitions in all (ReplicationControlManager's
 * validateTotalNumberOfPartitions: POLICY_VIOLATION "Excessively large number of partitions
 * per request."); Sherwood does the same, and also bounds the replicas one broker holds
 * (sherwood.max.broker.partitions), which catches many smaller requests adding up.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { startTestBroker, tempDir } from '../helpers/broker.js';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { CreateTopics } from '../../src/protocol/messages/create-topics.js';
import { CreatePartitions } from '../../src/protocol/messages/create-partitions.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';

const topic = (name: string, numPartitions: number) => ({ name, numPartitions, replicationFactor: 1, assignments: [], configs: [] });

test('10 topics x 10,000 partitions in one CreateTopics is refused cleanly and the broker keeps serving', { timeout: 60_000 }, async () => {
  const dir = tempDir('sherwood-partition-limit-');
  const b = await startTestBroker({ dataDir: dir.path });
  try {
    const c = await KafkaClient.connect(b.bootstrap);
    try {
      const r = await c.request(CreateTopics, { topics: Array.from({ length: 10 }, (_, i) => topic(`huge-${i}`, 10_000)), timeoutMs: 30_000, validateOnly: false });
      assert.equal(r.topics.length, 10);
      for (const t of r.topics) {
        assert.equal(t.errorCode, ErrorCode.POLICY_VIOLATION, t.name);
        assert.equal(t.errorMessage, 'Excessively large number of partitions per request.');
      }
      assert.equal(b.broker.topics.list().length, 0);
      assert.deepEqual(readdirSync(dir.path).filter((n) => n.startsWith('huge-')), [], 'no partition directory was made');
      // Still serving: a normal request right after succeeds.
      const ok = await c.request(CreateTopics, { topics: [topic('small', 3)], timeoutMs: 30_000, validateOnly: false });
      assert.equal(ok.topics[0]!.errorCode, ErrorCode.NONE);
      // Growing one topic to the per-topic maximum stays within the per-request limit.
      const grow = await c.request(CreatePartitions, { topics: [{ name: 'small', count: 10_000, assignments: null }], timeoutMs: 30_000, validateOnly: true });
      assert.equal(grow.results[0]!.errorCode, ErrorCode.NONE, '9,997 new partitions are within the limit');
      assert.equal((await c.metadata(['small'])).topics[0]!.partitions.length, 3);
    } finally {
      await c.close();
    }
  } finally {
    await b.close();
    dir.remove();
  }
});

test('sherwood.max.broker.partitions refuses what would exceed it, request after request', { timeout: 60_000 }, async () => {
  const b = await startTestBroker({ overrides: { 'sherwood.max.broker.partitions': '100' } });
  try {
    const c = await KafkaClient.connect(b.bootstrap);
    try {
      for (let i = 0; i < 3; i++) {
        const r = await c.request(CreateTopics, { topics: [topic(`t-${i}`, 30)], timeoutMs: 30_000, validateOnly: false });
        assert.equal(r.topics[0]!.errorCode, ErrorCode.NONE);
      }
      const r = await c.request(CreateTopics, { topics: [topic('t-3', 30), topic('t-4', 10)], timeoutMs: 30_000, validateOnly: false });
      assert.deepEqual(r.topics.map((t) => t.errorCode), [ErrorCode.POLICY_VIOLATION, ErrorCode.NONE]);
      assert.match(r.topics[0]!.errorMessage!, /would exceed the limit of 100 per broker \(sherwood.max.broker.partitions\)/);
      const grow = await c.request(CreatePartitions, { topics: [{ name: 't-4', count: 11, assignments: null }], timeoutMs: 30_000, validateOnly: false });
      assert.equal(grow.results[0]!.errorCode, ErrorCode.POLICY_VIOLATION);
      assert.equal(b.broker.topics.image.partitionCount, 100);
    } finally {
      await c.close();
    }
  } finally {
    await b.close();
  }
});
