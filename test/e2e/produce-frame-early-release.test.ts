/**
 * An acks=all Produce gives its (pooled) request frame back as soon as its appends are written,
 * before the replication wait ends (connection.ts, parkForReplication), so the next pipelined
 * Produce on the connection usually lands in that same memory. Many pipelined acks=all
 * Produces of large, distinct batches on one connection, to two partitions, on real disk: every
 * stored batch must be exactly what was sent (a frame released while still being read would
 * show up as another request's bytes in the log).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withBroker } from '../helpers/broker.js';
import { KafkaClient } from '../../src/client/index.js';
import { Fetch } from '../../src/protocol/messages/fetch.js';
import { Produce } from '../../src/protocol/messages/produce.js';
import { encodeBatch, decodeBatches } from '../../src/protocol/records.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { ioBufferPool } from '../../src/base/buffer-pool.js';

const REQUESTS = 40;
const PER_BATCH = 20;
const VALUE_BYTES = 5000; // ~100 KB batches, ~200 KB frames: pooled

const valueOf = (partition: number, request: number, k: number): string =>
  `${partition}:${request}:${k}:`.padEnd(VALUE_BYTES, String.fromCharCode(97 + ((partition * 11 + request * 7 + k) % 26)));

test('pipelined acks=all Produces that reuse each other\'s frame memory store exactly what was sent', { timeout: 60_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sherwood-produce-release-'));
  try {
    await withBroker(async (b) => {
      assert.equal((await b.broker.topics.create({ name: 'early', numPartitions: 2, replicationFactor: 1, configs: {} })).errorCode, 0);
      const topicId = b.broker.topics.get('early')!.topicId;
      const client = await KafkaClient.connect(b.bootstrap);
      // Who gives frames back: the replication wait (the feature), not the answer.
      const releasedBy = { park: 0, other: 0 };
      const release = ioBufferPool.release.bind(ioBufferPool);
      ioBufferPool.release = (buf: Buffer) => {
        if (buf.length >= 100_000) {
          if (new Error().stack!.includes('parkForReplication')) releasedBy.park++;
          else releasedBy.other++;
        }
        release(buf);
      };
      try {
        // All requests go out before the first answer comes back (one connection, pipelined).
        const sent = Array.from({ length: REQUESTS }, (_, i) => client.request(Produce, {
          transactionalId: null, acks: -1, timeoutMs: 10_000,
          topicData: [{ name: 'early', partitionData: [0, 1].map((p) => ({
            index: p,
            records: encodeBatch({ records: Array.from({ length: PER_BATCH }, (_, k) => ({ key: null, value: valueOf(p, i, k) })) }),
          })) }],
        }));
        const baseOffsets = new Map<string, number>();
        for (const [i, res] of (await Promise.all(sent)).entries()) {
          for (const pr of res.responses[0]!.partitionResponses) {
            assert.equal(pr.errorCode, ErrorCode.NONE);
            baseOffsets.set(`${pr.index}:${pr.baseOffset}`, i);
          }
        }
        for (const p of [0, 1]) {
          let offset = 0;
          const seen = new Set<number>();
          while (offset < REQUESTS * PER_BATCH) {
            const res = await client.request(Fetch, {
              maxWaitMs: 0, minBytes: 0, maxBytes: 64 << 20, sessionEpoch: -1, isolationLevel: 0,
              topics: [{ topic: 'early', topicId, partitions: [{
                partition: p, fetchOffset: offset, partitionMaxBytes: 4 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1, replicaDirectoryId: Buffer.alloc(16),
              }] }],
            }, { version: 12 });
            const part = res.responses[0]!.partitions[0]!;
            assert.equal(part.errorCode, ErrorCode.NONE);
            const batches = decodeBatches(part.records, { verifyCrc: true });
            assert.ok(batches.length > 0);
            for (const batch of batches) {
              const request = baseOffsets.get(`${p}:${batch.header.baseOffset}`);
              assert.ok(request !== undefined, `a batch at ${batch.header.baseOffset} that no answer reported`);
              seen.add(request);
              assert.equal(batch.records.length, PER_BATCH);
              batch.records.forEach((r, k) => assert.equal(r.value!.toString(), valueOf(p, request, k), `partition ${p} request ${request} record ${k}`));
              offset = batch.header.baseOffset + batch.records.length;
            }
          }
          assert.equal(seen.size, REQUESTS);
        }
        assert.ok(releasedBy.park >= REQUESTS, `frames released when parked for replication: ${JSON.stringify(releasedBy)}`);
      } finally {
        ioBufferPool.release = release;
        await client.close();
      }
    }, { dataDir });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
