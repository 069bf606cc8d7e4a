/**
 * Requests with absurd element counts against a real in-process broker: each gets a clean
 * answer (per-element error codes) or a closed connection, the broker keeps serving, and the
 * event loop never stalls for long (measured with a 5 ms interval timer in this process,
 * which is also the broker's process).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBroker } from '../helpers/broker.js';
import { Metadata } from '../../src/protocol/messages/metadata.js';
import { Produce } from '../../src/protocol/messages/produce.js';
import { Fetch } from '../../src/protocol/messages/fetch.js';
import { CreateTopics } from '../../src/protocol/messages/create-topics.js';
import { Writer } from '../../src/protocol/primitives.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { RawClient, requestFrame, responseReader, rawFrame } from '../unit/server/raw-client.js';
import type { RunningBroker } from '../../src/index.js';

const N = 100_000;
/** Generous for a shared, loaded 2-core machine (warm runs take ~0.2 s); a quadratic loop over 100k elements would take minutes. */
const MAX_STALL_MS = 5000;

let b: RunningBroker;
before(async () => {
  b = await startTestBroker({ overrides: { 'socket.request.max.bytes': String(32 * 1024 * 1024) } });
  const c = await RawClient.connect(b.port, b.host);
  c.send(requestFrame(CreateTopics, 5, 1, { topics: [{ name: 'absurd', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000 }));
  await c.read(1);
  c.close();
});
after(async () => {
  await b?.close();
});

/** Records the longest gap between ticks of a 5 ms interval while fn runs. */
async function maxStall<T>(fn: () => Promise<T>): Promise<{ value: T; stallMs: number }> {
  let last = performance.now();
  let worst = 0;
  const t = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 5);
  try {
    const value = await fn();
    worst = Math.max(worst, performance.now() - last);
    return { value, stallMs: worst };
  } finally {
    clearInterval(t);
  }
}

async function metadataWorks(): Promise<void> {
  const c = await RawClient.connect(b.port, b.host);
  try {
    c.send(requestFrame(Metadata, 1, 7, { topics: [] }));
    const { correlationId } = responseReader((await c.read(1))[0]!);
    assert.equal(correlationId, 7);
  } finally {
    c.close();
  }
}

/** Sends one frame and returns the response frame, or null if the broker closed the connection. */
async function exchange(frame: Buffer, timeoutMs = 20000): Promise<Buffer | null> {
  const c = await RawClient.connect(b.port, b.host);
  try {
    c.send(frame);
    try {
      return (await c.read(1, timeoutMs))[0]!;
    } catch (err) {
      if (c.closed) return null;
      throw err;
    }
  } finally {
    c.close();
  }
}

test('Produce with 100k topics of no partitions is answered (empty per-topic responses), no stall', async () => {
  const topicData = Array.from({ length: N }, (_, i) => ({ name: `t${i}`, partitionData: [] }));
  const frame = requestFrame(Produce, 9, 11, { acks: 1, timeoutMs: 1000, topicData });
  const { value: resp, stallMs } = await maxStall(() => exchange(frame));
  assert.notEqual(resp, null, 'answered, not disconnected');
  const { correlationId, r } = responseReader(resp!, true);
  assert.equal(correlationId, 11);
  const body = Produce.response.read(r, 9);
  assert.equal(r.error, null);
  assert.equal(body.responses.length, N);
  for (const t of body.responses) assert.equal(t.partitionResponses.length, 0);
  assert.ok(stallMs < MAX_STALL_MS, `event loop stalled ${stallMs.toFixed(0)} ms`);
  await metadataWorks();
});

test('Produce with 100k partitions of an unknown topic: UNKNOWN_TOPIC_OR_PARTITION each, no stall', async () => {
  const partitionData = Array.from({ length: N }, (_, i) => ({ index: i, records: null }));
  const frame = requestFrame(Produce, 9, 12, { acks: 1, timeoutMs: 1000, topicData: [{ name: 'no-such-topic', partitionData }] });
  const { value: resp, stallMs } = await maxStall(() => exchange(frame));
  assert.notEqual(resp, null);
  const { r } = responseReader(resp!, true);
  const body = Produce.response.read(r, 9);
  assert.equal(r.error, null);
  const codes = new Set(body.responses.flatMap((t) => t.partitionResponses.map((p) => p.errorCode)));
  assert.deepEqual([...codes], [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
  assert.ok(stallMs < MAX_STALL_MS, `event loop stalled ${stallMs.toFixed(0)} ms`);
  await metadataWorks();
});

test('Metadata with 100k unknown topic names and auto-creation off: UNKNOWN_TOPIC_OR_PARTITION, nothing created', async () => {
  const topics = Array.from({ length: N }, (_, i) => ({ topicId: Buffer.alloc(16), name: `md-${i}` }));
  const frame = requestFrame(Metadata, 12, 13, { topics, allowAutoTopicCreation: false });
  const { value: resp, stallMs } = await maxStall(() => exchange(frame));
  assert.notEqual(resp, null);
  const { r } = responseReader(resp!, true);
  const body = Metadata.response.read(r, 12);
  assert.equal(r.error, null);
  assert.equal(body.topics.length, N);
  assert.ok(body.topics.every((t) => t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
  assert.equal(b.broker.topics.list().filter((t) => t.name.startsWith('md-')).length, 0);
  assert.ok(stallMs < MAX_STALL_MS, `event loop stalled ${stallMs.toFixed(0)} ms`);
  await metadataWorks();
});

test('Metadata with 100k invalid topic names: INVALID_TOPIC_EXCEPTION each, no stall', async () => {
  const topics = Array.from({ length: N }, (_, i) => ({ topicId: Buffer.alloc(16), name: `bad name ${i}` }));
  const frame = requestFrame(Metadata, 12, 14, { topics, allowAutoTopicCreation: true });
  const { value: resp, stallMs } = await maxStall(() => exchange(frame));
  assert.notEqual(resp, null);
  const { r } = responseReader(resp!, true);
  const body = Metadata.response.read(r, 12);
  assert.equal(r.error, null);
  assert.ok(body.topics.every((t) => t.errorCode === ErrorCode.INVALID_TOPIC_EXCEPTION));
  assert.ok(stallMs < MAX_STALL_MS, `event loop stalled ${stallMs.toFixed(0)} ms`);
  await metadataWorks();
});

test('Fetch with 100k partitions (mostly unknown) is answered promptly, no stall', async () => {
  const partitions = Array.from({ length: N }, (_, i) => ({
    partition: i, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1024, replicaDirectoryId: Buffer.alloc(16),
  }));
  const frame = requestFrame(Fetch, 12, 15, {
    replicaId: -1, maxWaitMs: 500, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic: 'absurd', topicId: Buffer.alloc(16), partitions }], forgottenTopicsData: [], rackId: '',
  });
  const { value: resp, stallMs } = await maxStall(() => exchange(frame));
  assert.notEqual(resp, null);
  const { r } = responseReader(resp!, true);
  const body = Fetch.response.read(r, 12);
  assert.equal(r.error, null);
  const parts = body.responses.flatMap((t) => t.partitions);
  assert.equal(parts.length, N);
  assert.equal(parts[0]!.errorCode, ErrorCode.NONE);
  assert.equal(parts[2]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assert.ok(stallMs < MAX_STALL_MS, `event loop stalled ${stallMs.toFixed(0)} ms`);
  await metadataWorks();
});

test('Fetch naming the same existing partition 100k times, long-polling: bounded, no stall', async () => {
  const partitions = Array.from({ length: N }, () => ({
    partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1024, replicaDirectoryId: Buffer.alloc(16),
  }));
  const frame = requestFrame(Fetch, 12, 16, {
    replicaId: -1, maxWaitMs: 300, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic: 'absurd', topicId: Buffer.alloc(16), partitions }], forgottenTopicsData: [], rackId: '',
  });
  const { value: resp, stallMs } = await maxStall(() => exchange(frame));
  assert.notEqual(resp, null, 'answered, not disconnected');
  const { correlationId, r } = responseReader(resp!, true);
  assert.equal(correlationId, 16);
  Fetch.response.read(r, 12);
  assert.equal(r.error, null);
  assert.ok(stallMs < MAX_STALL_MS, `event loop stalled ${stallMs.toFixed(0)} ms`);
  await metadataWorks();
});

test('array length 2^31-1 followed by a few bytes closes the connection at once', async () => {
  // Metadata v1 body: topics array length 0x7fffffff, then 6 bytes.
  const w = new Writer(16);
  w.int32(0x7fffffff).raw(Buffer.from([0, 1, 0x61, 0, 1, 0x62]));
  const { value: resp, stallMs } = await maxStall(() => exchange(rawFrame(3, 1, 17, w.toBuffer()), 5000));
  assert.equal(resp, null);
  assert.ok(stallMs < 1000, `event loop stalled ${stallMs.toFixed(0)} ms`);
  await metadataWorks();
});

test('compact array length near 2^32 in a flexible request closes the connection', async () => {
  // Metadata v12 header: clientId (int16 string) + empty tagged fields, then topics as a compact
  // array whose unsigned varint length is 0xffffffff.
  const w = new Writer(32);
  w.int8(0).unsignedVarint(0xffffffff).raw(Buffer.from([1, 2, 3]));
  const resp = await exchange(rawFrame(3, 12, 18, w.toBuffer()), 5000);
  assert.equal(resp, null);
  await metadataWorks();
});
