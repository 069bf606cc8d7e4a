/**
 * Chunked encoding: a Writer with a reference threshold keeps large `records` Buffers by
 * reference (no copy) and yields a list of chunks whose concatenation is exactly the ordinary
 * encoding; the response frame built from them carries the right size prefix.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader, Writer } from '../../../src/protocol/primitives.js';
import { Fetch, type FetchResponse } from '../../../src/protocol/messages/fetch.js';
import { encodeResponseChunks, encodeResponseFrame } from '../../../src/server/request-router.js';
import type { Handler } from '../../../src/server/handler.js';

const fill = (n: number, seed: number): Buffer => {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
};

test('refBytes: copies below the threshold, references at or above it, and toBuffer joins', () => {
  const small = fill(10, 1);
  const big = fill(100, 2);
  const w = new Writer(4, 100);
  w.int32(7).refBytes(small).int16(3).refBytes(big).int8(9);
  const chunks = w.toChunks();
  assert.equal(chunks.length, 3);
  assert.equal(chunks[1], big, 'the large buffer itself, not a copy');
  assert.equal(w.length, 4 + 10 + 2 + 100 + 1);
  const joined = w.toBuffer();
  assert.deepEqual(joined, Buffer.concat([Buffer.from([0, 0, 0, 7]), small, Buffer.from([0, 3]), big, Buffer.from([9])]));
  // A reference right at the end leaves no empty trailing chunk.
  const w2 = new Writer(64, 1);
  w2.refBytes(big);
  assert.deepEqual(w2.toChunks(), [big]);
  // Without a threshold nothing is referenced.
  const w3 = new Writer(1);
  w3.refBytes(big);
  assert.equal(w3.toChunks().length, 1);
  const copy = w3.toChunks()[0]!;
  big[0] = big[0]! ^ 0xff;
  assert.notEqual(copy[0], big[0], 'copied, not referenced');
});

function fetchResponse(records: (Buffer | null)[]): FetchResponse {
  const res = Fetch.response.empty(12);
  res.responses = [{
    topic: 't', topicId: Buffer.alloc(16),
    partitions: records.map((r, i) => ({
      partitionIndex: i, errorCode: 0, highWatermark: 5, lastStableOffset: 5, logStartOffset: 0,
      divergingEpoch: { epoch: -1, endOffset: -1 }, currentLeader: { leaderId: -1, leaderEpoch: -1 },
      snapshotId: { endOffset: -1, epoch: -1 }, abortedTransactions: null, preferredReadReplica: -1, records: r,
    })),
  }];
  return res;
}

const handler = { api: Fetch, minVersion: 4, maxVersion: 17, handle: () => null } as unknown as Handler;

test('Fetch response frames: chunked and copied encodings are byte-identical, size prefix included', () => {
  const big1 = fill(20000, 3);
  const big2 = fill(9000, 4);
  for (const version of [4, 11, 12, 16]) {
    const res = fetchResponse([big1, fill(100, 5), null, big2]);
    const frame = encodeResponseFrame(handler, version, 42, res);
    const chunks = encodeResponseChunks(handler, version, 42, res);
    assert.ok(Array.isArray(chunks), `v${version} chunked`);
    assert.ok((chunks as Buffer[]).includes(big1) && (chunks as Buffer[]).includes(big2), 'records referenced');
    const joined = Buffer.concat(chunks as Buffer[]);
    assert.deepEqual(joined, frame);
    assert.equal(joined.readInt32BE(0), joined.length - 4);
    // And it decodes back to the same records.
    const r = new Reader(joined.subarray(8 + (version >= 12 ? 1 : 0)));
    const decoded = Fetch.response.read(r, version);
    assert.equal(r.error, null);
    assert.deepEqual(decoded.responses[0]!.partitions.map((p) => p.records?.length ?? null), [20000, 100, version >= 12 ? null : null, 9000]);
    assert.deepEqual(decoded.responses[0]!.partitions[0]!.records, big1);
  }
  // Small responses stay one Buffer.
  const single = encodeResponseChunks(handler, 12, 1, fetchResponse([fill(100, 6)]));
  assert.ok(Buffer.isBuffer(single));
  assert.equal((single as Buffer).readInt32BE(0), (single as Buffer).length - 4);
});
