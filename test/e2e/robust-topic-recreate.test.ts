/**
 * Deleting a topic under active fetchers and re-creating it with the same name: fetches by the
 * old topic id (v13+, sessionless or in an incremental session) get UNKNOWN_TOPIC_ID and never
 * the new topic's records; fetches by name see only the new topic's data; a long poll on the
 * deleted topic is answered (not left hanging); the broker keeps serving.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { until } from '../helpers/wait.js';
import { Fetch, type FetchResponse } from '../../src/protocol/messages/fetch.js';
import { decodeBatch } from '../../src/protocol/records.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { KafkaClient, produce } from '../../src/client/index.js';
import { RawClient, requestFrame, responseReader } from '../unit/server/raw-client.js';
import type { RunningBroker } from '../../src/index.js';

const ZERO = Buffer.alloc(16);

function fetchFrame(version: number, correlationId: number, o: { topic: string; topicId: Buffer; fetchOffset: number; maxWaitMs?: number; sessionId?: number; sessionEpoch?: number; omitPartitions?: boolean }): Buffer {
  return requestFrame(Fetch, version, correlationId, {
    replicaId: -1, maxWaitMs: o.maxWaitMs ?? 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0,
    sessionId: o.sessionId ?? 0, sessionEpoch: o.sessionEpoch ?? -1,
    topics: o.omitPartitions === true ? [] : [{ topic: o.topic, topicId: o.topicId, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: o.fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20, replicaDirectoryId: ZERO }] }],
    forgottenTopicsData: [], rackId: '',
  });
}

async function call(c: RawClient, frame: Buffer, version: number, timeoutMs = 5000): Promise<FetchResponse> {
  c.send(frame);
  const { r } = responseReader((await c.read(1, timeoutMs))[0]!, version >= 12);
  const body = Fetch.response.read(r, version);
  assert.equal(r.error, null);
  return body;
}

function values(res: FetchResponse): string[] {
  const out: string[] = [];
  for (const t of res.responses) {
    for (const p of t.partitions) {
      let pos = 0;
      const buf = p.records ?? Buffer.alloc(0);
      while (pos + 12 <= buf.length) {
        const size = buf.readInt32BE(pos + 8) + 12;
        if (pos + size > buf.length) break;
        for (const rec of decodeBatch(buf.subarray(pos, pos + size)).records) out.push(rec.value!.toString());
        pos += size;
      }
    }
  }
  return out;
}

async function produceValues(b: RunningBroker, topic: string, vs: string[]): Promise<void> {
  const client = await KafkaClient.connect(b.bootstrap);
  try {
    await produce(client, topic, 0, vs.map((v) => ({ key: null, value: Buffer.from(v) })), { acks: -1 });
  } finally {
    await client.close();
  }
}

test('delete + re-create under fetchers: the old topic id never serves the new topic', async () => {
  await withBroker(async (b) => {
    const name = 'reborn';
    await b.broker.topics.create({ name, numPartitions: 1, replicationFactor: 1, configs: {} });
    const oldId = Buffer.from(b.broker.topics.get(name)!.topicId);
    await produceValues(b, name, ['old-0', 'old-1', 'old-2']);

    const c = await RawClient.connect(b.port, b.host);
    try {
      // A full fetch opens a session holding the old id.
      const full = await call(c, fetchFrame(13, 1, { topic: name, topicId: oldId, fetchOffset: 0, sessionEpoch: 0 }), 13);
      assert.equal(full.errorCode, ErrorCode.NONE);
      assert.notEqual(full.sessionId, 0);
      assert.deepEqual(values(full), ['old-0', 'old-1', 'old-2']);

      // A long poll at the end of the old topic, on another connection.
      const poller = await RawClient.connect(b.port, b.host);
      poller.send(fetchFrame(13, 2, { topic: name, topicId: oldId, fetchOffset: 3, maxWaitMs: 20_000 }));
      // Parked before the delete: otherwise the delete would meet no waiting fetch (and a fetch
      // arriving after it gets UNKNOWN_TOPIC_ID at once, so the checks below would pass anyway).
      await until('the long poll to be parked', () => b.broker.fetchPurgatory.size === 1, 5000);
      const t0 = Date.now();
      assert.equal((await b.broker.topics.delete(name)).errorCode, ErrorCode.NONE);
      await b.broker.topics.create({ name, numPartitions: 1, replicationFactor: 1, configs: {} });
      const newId = b.broker.topics.get(name)!.topicId;
      assert.equal(newId.equals(oldId), false);
      await produceValues(b, name, ['new-0', 'new-1', 'new-2', 'new-3', 'new-4']);

      // The long poll is answered (promptly, not at maxWaitMs) and carries nothing from the new topic.
      const { r } = responseReader((await poller.read(1, 10_000))[0]!, true);
      const polled = Fetch.response.read(r, 13);
      assert.ok(Date.now() - t0 < 5000, `long poll answered after ${Date.now() - t0} ms`);
      assert.deepEqual(values(polled), []);
      const pollCode = polled.responses[0]!.partitions[0]!.errorCode;
      assert.ok(pollCode === ErrorCode.UNKNOWN_TOPIC_ID || pollCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `error ${pollCode}`);
      poller.close();

      // Incremental fetch in the old session: the old id is unknown now.
      const inc = await call(c, fetchFrame(13, 3, { topic: name, topicId: oldId, fetchOffset: 3, sessionId: full.sessionId, sessionEpoch: 1 }), 13);
      assert.equal(inc.errorCode, ErrorCode.NONE);
      assert.deepEqual(values(inc), []);
      assert.equal(inc.responses[0]?.partitions[0]?.errorCode, ErrorCode.UNKNOWN_TOPIC_ID);
      const inc2 = await call(c, fetchFrame(13, 4, { topic: name, topicId: oldId, fetchOffset: 0, sessionId: full.sessionId, sessionEpoch: 2 }), 13);
      assert.deepEqual(values(inc2), []);

      // Sessionless by the old id.
      const byOldId = await call(c, fetchFrame(13, 5, { topic: name, topicId: oldId, fetchOffset: 0 }), 13);
      assert.equal(byOldId.responses[0]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_ID);
      assert.deepEqual(values(byOldId), []);

      // By the new id and by name: only the new records.
      const byNewId = await call(c, fetchFrame(13, 6, { topic: name, topicId: newId, fetchOffset: 0 }), 13);
      assert.deepEqual(values(byNewId), ['new-0', 'new-1', 'new-2', 'new-3', 'new-4']);
      const byName = await call(c, fetchFrame(12, 7, { topic: name, topicId: ZERO, fetchOffset: 0 }), 12);
      assert.deepEqual(values(byName), ['new-0', 'new-1', 'new-2', 'new-3', 'new-4']);
    } finally {
      c.close();
    }
  });
});
