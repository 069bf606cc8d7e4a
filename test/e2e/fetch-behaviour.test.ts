/**
 * Fetch, ListOffsets, OffsetForLeaderEpoch and DeleteRecords through the wire with our own
 * client: long polling woken by appends, maxWaitMs expiry, KIP-74 (first batch even if too
 * large), maxBytes across partitions, fetch from the middle of a batch, OFFSET_OUT_OF_RANGE,
 * unknown topics and topic ids, KIP-227 sessions (full, incremental, forgotten topics, errors).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { until } from '../helpers/wait.js';
import { KafkaClient } from '../../src/client/index.js';
import { Fetch, type FetchRequestFetchTopic, type FetchResponse } from '../../src/protocol/messages/fetch.js';
import { ListOffsets } from '../../src/protocol/messages/list-offsets.js';
import { OffsetForLeaderEpoch } from '../../src/protocol/messages/offset-for-leader-epoch.js';
import { DeleteRecords } from '../../src/protocol/messages/delete-records.js';
import { Produce } from '../../src/protocol/messages/produce.js';
import { encodeBatch, decodeBatches } from '../../src/protocol/records.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { RunningBroker } from '../../src/index.js';

async function setup(b: RunningBroker, name: string, partitions = 1): Promise<Buffer> {
  const r = await b.broker.topics.create({ name, numPartitions: partitions, replicationFactor: 1, configs: {} });
  assert.equal(r.errorCode, 0);
  return b.broker.topics.get(name)!.topicId;
}

async function produce(client: KafkaClient, topic: string, partition: number, values: string[], timestamp = Date.now()): Promise<number> {
  const res = await client.request(Produce, {
    transactionalId: null, acks: -1, timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records: encodeBatch({ records: values.map((v) => ({ key: null, value: v })), timestamp }) }] }],
  });
  const p = res.responses[0]!.partitionResponses[0]!;
  assert.equal(p.errorCode, ErrorCode.NONE);
  return p.baseOffset;
}

function fetchTopic(topic: string, topicId: Buffer, parts: { partition: number; fetchOffset: number; partitionMaxBytes?: number; currentLeaderEpoch?: number }[]): FetchRequestFetchTopic {
  return {
    topic, topicId,
    partitions: parts.map((p) => ({ partition: p.partition, fetchOffset: p.fetchOffset, partitionMaxBytes: p.partitionMaxBytes ?? 1 << 20, currentLeaderEpoch: p.currentLeaderEpoch ?? -1, lastFetchedEpoch: -1, logStartOffset: -1, replicaDirectoryId: Buffer.alloc(16) })),
  };
}

function values(res: FetchResponse, partition = 0): string[] {
  const p = res.responses.flatMap((t) => t.partitions).find((x) => x.partitionIndex === partition);
  return decodeBatches(p?.records ?? null).flatMap((bt) => bt.records.map((r) => r.value!.toString()));
}

test('fetch long polling: woken by an append, and maxWaitMs expiry answers empty', { timeout: 30_000 }, async () => {
  await withBroker(async (b) => {
    const id = await setup(b, 'lp');
    const client = await KafkaClient.connect(b.bootstrap);
    const writer = await KafkaClient.connect(b.bootstrap);
    try {
      let t0 = Date.now();
      const empty = await client.request(Fetch, { maxWaitMs: 300, minBytes: 1, maxBytes: 1 << 20, sessionEpoch: -1, topics: [fetchTopic('lp', id, [{ partition: 0, fetchOffset: 0 }])] }, { version: 12 });
      const waited = Date.now() - t0;
      assert.ok(waited >= 250 && waited < 3000, `waited ${waited} ms`);
      assert.equal(empty.responses[0]!.partitions[0]!.records?.length ?? 0, 0);

      t0 = Date.now();
      const pending = client.request(Fetch, { maxWaitMs: 10_000, minBytes: 1, maxBytes: 1 << 20, sessionEpoch: -1, topics: [fetchTopic('lp', id, [{ partition: 0, fetchOffset: 0 }])] }, { version: 12 });
      // Append only once the fetch waits in the purgatory, so the append is what answers it.
      await until('the long poll to reach the purgatory', () => b.broker.fetchPurgatory.size === 1, 10_000);
      await produce(writer, 'lp', 0, ['hello']);
      const res = await pending;
      const elapsed = Date.now() - t0;
      assert.ok(elapsed < 5000, `woken after ${elapsed} ms`);
      assert.deepEqual(values(res), ['hello']);
      const p = res.responses[0]!.partitions[0]!;
      assert.equal(p.highWatermark, 1);
      assert.equal(p.lastStableOffset, 1);
      assert.equal(p.logStartOffset, 0);
      assert.equal(p.preferredReadReplica, -1);
    } finally {
      await client.close();
      await writer.close();
    }
  });
});

test('fetch sizes: first batch always (KIP-74), maxBytes across partitions, middle of a batch, out of range', { timeout: 30_000 }, async () => {
  await withBroker(async (b) => {
    const id = await setup(b, 'sizes', 2);
    const client = await KafkaClient.connect(b.bootstrap);
    try {
      const big = 'x'.repeat(1000);
      for (let i = 0; i < 3; i++) await produce(client, 'sizes', 0, [`${i}-${big}`]);
      await produce(client, 'sizes', 1, ['p1-a', 'p1-b', 'p1-c', 'p1-d']);
      const base = { maxWaitMs: 0, minBytes: 0, sessionEpoch: -1 };

      const tiny = await client.request(Fetch, { ...base, maxBytes: 1 << 20, topics: [fetchTopic('sizes', id, [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 10 }])] }, { version: 12 });
      assert.equal(values(tiny).length, 1, 'one whole batch despite partitionMaxBytes 10');

      const batchSize = tiny.responses[0]!.partitions[0]!.records!.length;
      const two = await client.request(Fetch, { ...base, maxBytes: 2 * batchSize + 10, topics: [fetchTopic('sizes', id, [{ partition: 0, fetchOffset: 0 }, { partition: 1, fetchOffset: 0 }])] }, { version: 12 });
      assert.equal(values(two, 0).length, 2, 'response maxBytes holds two ~1 KB batches');
      assert.equal(values(two, 1).length, 0, 'nothing left for partition 1');
      assert.equal(two.responses[0]!.partitions[1]!.highWatermark, 4);

      const middle = await client.request(Fetch, { ...base, maxBytes: 1 << 20, topics: [fetchTopic('sizes', id, [{ partition: 1, fetchOffset: 2 }])] }, { version: 12 });
      assert.deepEqual(values(middle, 1), ['p1-a', 'p1-b', 'p1-c', 'p1-d'], 'the whole batch containing offset 2');

      const oor = await client.request(Fetch, { ...base, maxBytes: 1 << 20, topics: [fetchTopic('sizes', id, [{ partition: 0, fetchOffset: 100 }])] }, { version: 12 });
      assert.equal(oor.responses[0]!.partitions[0]!.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);

      const unknown = await client.request(Fetch, { ...base, maxBytes: 1 << 20, topics: [fetchTopic('nope', Buffer.alloc(16), [{ partition: 0, fetchOffset: 0 }]), fetchTopic('sizes', id, [{ partition: 9, fetchOffset: 0 }])] }, { version: 12 });
      assert.equal(unknown.responses[0]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      assert.equal(unknown.responses[1]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);

      const byId = await client.request(Fetch, { ...base, maxBytes: 1 << 20, topics: [fetchTopic('', id, [{ partition: 1, fetchOffset: 0 }]), fetchTopic('', Buffer.alloc(16, 7), [{ partition: 0, fetchOffset: 0 }])] }, { version: 13 });
      assert.deepEqual(values(byId, 1), ['p1-a', 'p1-b', 'p1-c', 'p1-d']);
      assert.ok(byId.responses[0]!.topicId.equals(id));
      assert.equal(byId.responses[1]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_ID);

      const fenced = await client.request(Fetch, { ...base, maxBytes: 1 << 20, topics: [fetchTopic('sizes', id, [{ partition: 1, fetchOffset: 0, currentLeaderEpoch: 5 }])] }, { version: 12 });
      assert.equal(fenced.responses[0]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_LEADER_EPOCH);

      const committed = await client.request(Fetch, { ...base, maxBytes: 1 << 20, isolationLevel: 1, topics: [fetchTopic('sizes', id, [{ partition: 1, fetchOffset: 0 }])] }, { version: 12 });
      assert.deepEqual(committed.responses[0]!.partitions[0]!.abortedTransactions, []);
      assert.equal(values(committed, 1).length, 4);
    } finally {
      await client.close();
    }
  });
});

test('fetch sessions (KIP-227): full, incremental, forgotten topics, epoch and id errors', { timeout: 30_000 }, async () => {
  await withBroker(async (b) => {
    const id = await setup(b, 'sess', 2);
    const client = await KafkaClient.connect(b.bootstrap);
    try {
      await produce(client, 'sess', 0, ['a0']);
      await produce(client, 'sess', 1, ['b0']);
      const req = { maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20 };
      const full = await client.request(Fetch, { ...req, sessionId: 0, sessionEpoch: 0, topics: [fetchTopic('sess', id, [{ partition: 0, fetchOffset: 0 }, { partition: 1, fetchOffset: 0 }])] }, { version: 12 });
      assert.equal(full.errorCode, ErrorCode.NONE);
      assert.notEqual(full.sessionId, 0);
      assert.deepEqual(values(full, 0), ['a0']);
      assert.deepEqual(values(full, 1), ['b0']);
      const sid = full.sessionId;

      // Move both positions; nothing new ⇒ an incremental response lists no partitions.
      const inc1 = await client.request(Fetch, { ...req, sessionId: sid, sessionEpoch: 1, topics: [fetchTopic('sess', id, [{ partition: 0, fetchOffset: 1 }, { partition: 1, fetchOffset: 1 }])] }, { version: 12 });
      assert.equal(inc1.errorCode, ErrorCode.NONE);
      assert.equal(inc1.sessionId, sid);
      assert.equal(inc1.responses.flatMap((t) => t.partitions).length, 0);

      // New data on partition 1 only: the request lists nothing, the response just partition 1.
      await produce(client, 'sess', 1, ['b1']);
      const inc2 = await client.request(Fetch, { ...req, sessionId: sid, sessionEpoch: 2, topics: [] }, { version: 12 });
      assert.deepEqual(inc2.responses.flatMap((t) => t.partitions).map((p) => p.partitionIndex), [1]);
      assert.deepEqual(values(inc2, 1), ['b1']);

      // Forget partition 0; data there is no longer returned.
      await produce(client, 'sess', 0, ['a1']);
      const inc3 = await client.request(Fetch, { ...req, sessionId: sid, sessionEpoch: 3, topics: [fetchTopic('sess', id, [{ partition: 1, fetchOffset: 2 }])], forgottenTopicsData: [{ topic: 'sess', topicId: id, partitions: [0] }] }, { version: 12 });
      assert.equal(inc3.responses.flatMap((t) => t.partitions).length, 0);

      const badEpoch = await client.request(Fetch, { ...req, sessionId: sid, sessionEpoch: 9, topics: [] }, { version: 12 });
      assert.equal(badEpoch.errorCode, ErrorCode.INVALID_FETCH_SESSION_EPOCH);
      assert.equal(badEpoch.sessionId, 0);
      const badId = await client.request(Fetch, { ...req, sessionId: sid + 1, sessionEpoch: 1, topics: [] }, { version: 12 });
      assert.equal(badId.errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);

      // Close the session: a sessionless answer, and the id is gone.
      const close = await client.request(Fetch, { ...req, sessionId: sid, sessionEpoch: -1, topics: [fetchTopic('sess', id, [{ partition: 0, fetchOffset: 0 }])] }, { version: 12 });
      assert.equal(close.sessionId, 0);
      assert.deepEqual(values(close, 0), ['a0', 'a1']);
      const gone = await client.request(Fetch, { ...req, sessionId: sid, sessionEpoch: 4, topics: [] }, { version: 12 });
      assert.equal(gone.errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    } finally {
      await client.close();
    }
  });
});

test('ListOffsets, OffsetForLeaderEpoch and DeleteRecords', { timeout: 30_000 }, async () => {
  await withBroker(async (b) => {
    await setup(b, 'lo');
    const client = await KafkaClient.connect(b.bootstrap);
    try {
      const now = Date.now();
      await produce(client, 'lo', 0, ['a', 'b'], now - 3000);
      await produce(client, 'lo', 0, ['c'], now - 1000);
      await produce(client, 'lo', 0, ['d', 'e'], now - 2000);
      const list = async (timestamp: number, extra: Record<string, unknown> = {}) => {
        const r = await client.request(ListOffsets, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'lo', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1, ...extra }] }, { name: 'missing', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }] });
        assert.equal(r.topics[1]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        return r.topics[0]!.partitions[0]!;
      };
      assert.equal((await list(-2)).offset, 0);
      const latest = await list(-1);
      assert.equal(latest.offset, 5);
      assert.equal(latest.leaderEpoch, 0);
      assert.equal((await list(now - 1500)).offset, 2, 'first record with timestamp >= now-1500');
      assert.equal((await list(now + 60_000)).offset, -1);
      const max = await list(-3);
      assert.deepEqual([max.offset, max.timestamp], [2, now - 1000]);
      assert.equal((await list(-1, { currentLeaderEpoch: 3 })).errorCode, ErrorCode.UNKNOWN_LEADER_EPOCH);

      const ofle = await client.request(OffsetForLeaderEpoch, { replicaId: -1, topics: [{ topic: 'lo', partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }, { partition: 3, currentLeaderEpoch: -1, leaderEpoch: 0 }] }] });
      const [e0, e3] = ofle.topics[0]!.partitions;
      assert.deepEqual([e0!.errorCode, e0!.leaderEpoch, e0!.endOffset], [0, 0, 5]);
      assert.equal(e3!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      const fenced = await client.request(OffsetForLeaderEpoch, { replicaId: -1, topics: [{ topic: 'lo', partitions: [{ partition: 0, currentLeaderEpoch: 7, leaderEpoch: 0 }] }] });
      assert.equal(fenced.topics[0]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_LEADER_EPOCH);

      const del = async (offset: number) => (await client.request(DeleteRecords, { timeoutMs: 5000, topics: [{ name: 'lo', partitions: [{ partitionIndex: 0, offset }] }] })).topics[0]!.partitions[0]!;
      assert.equal((await del(99)).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
      const d3 = await del(3);
      assert.deepEqual([d3.errorCode, d3.lowWatermark], [0, 3]);
      assert.equal((await list(-2)).offset, 3);
      const fetched = await client.request(Fetch, { maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, sessionEpoch: -1, topics: [fetchTopic('lo', Buffer.alloc(16), [{ partition: 0, fetchOffset: 0 }])] }, { version: 12 });
      assert.equal(fetched.responses[0]!.partitions[0]!.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
      assert.equal(fetched.responses[0]!.partitions[0]!.logStartOffset, 3);
      const dAll = await del(-1);
      assert.deepEqual([dAll.errorCode, dAll.lowWatermark], [0, 5]);
      const unknown = (await client.request(DeleteRecords, { timeoutMs: 5000, topics: [{ name: 'missing', partitions: [{ partitionIndex: 0, offset: 0 }] }] })).topics[0]!.partitions[0]!;
      assert.equal(unknown.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    } finally {
      await client.close();
    }
  });
});
