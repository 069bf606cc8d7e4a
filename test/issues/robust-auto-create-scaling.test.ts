/**
 * Metadata naming many unknown topics with auto.create.topics.enable=true (Kafka's default)
 * creates them all, as Kafka does. The cost must grow linearly with the number of topics:
 * one client asking for N new names must not cost O(N^2) (Kafka appends one metadata record
 * per topic). Today TopicManager.persist() rewrites the whole topic list on every creation
 * (owner: admin, src/cluster/topic-manager.ts), so 4,000 names cost ~12x what 1,000 cost and
 * 100,000 names (a 2 MB request) would hold the broker for about an hour; with the in-memory
 * file system the event loop is blocked the whole time. Marked todo until that is fixed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBroker } from '../helpers/broker.js';
import { Metadata } from '../../src/protocol/messages/metadata.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { RawClient, requestFrame, responseReader } from '../unit/server/raw-client.js';

async function autoCreate(n: number): Promise<number> {
  const b = await startTestBroker();
  try {
    const c = await RawClient.connect(b.port, b.host);
    const frame = requestFrame(Metadata, 12, 1, { topics: Array.from({ length: n }, (_, i) => ({ topicId: Buffer.alloc(16), name: `auto-${i}` })), allowAutoTopicCreation: true });
    const t0 = performance.now();
    c.send(frame);
    const [resp] = await c.read(1, 120_000);
    const took = performance.now() - t0;
    c.close();
    const { r } = responseReader(resp!, true);
    const body = Metadata.response.read(r, 12);
    // LEADER_NOT_AVAILABLE on the creating request, as Kafka answers.
    assert.ok(body.topics.every((t) => t.errorCode === ErrorCode.NONE || t.errorCode === ErrorCode.LEADER_NOT_AVAILABLE), JSON.stringify([...new Set(body.topics.map((t) => t.errorCode))]));
    assert.equal(b.broker.topics.list().filter((t) => t.name.startsWith('auto-')).length, n);
    return took;
  } finally {
    await b.close();
  }
}

test('auto-creating 4x as many topics from one Metadata request costs about 4x, not 16x', { todo: 'TopicManager.persist() is O(topics) per creation (reported to the lead)', timeout: 120_000 }, async () => {
  await autoCreate(200); // warm up
  const small = await autoCreate(1000);
  const large = await autoCreate(4000);
  assert.ok(large / small < 7, `1000 topics: ${small.toFixed(0)} ms, 4000 topics: ${large.toFixed(0)} ms (ratio ${(large / small).toFixed(1)})`);
});
