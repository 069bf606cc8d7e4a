/**
 * The zero-copy fetch path on real disk: log reads come from a reused buffer pool and large
 * records go to the socket by reference, the buffer returning to the pool once written. Many
 * pipelined and concurrent fetches of two partitions (from different offsets, so buffers are
 * reused across responses) must each return exactly the stored batches, CRCs intact.
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

const BATCHES = 24;
const PER_BATCH = 8;
const VALUE_BYTES = 4000;

const valueOf = (partition: number, offset: number): string => `${partition}:${offset}:`.padEnd(VALUE_BYTES, String.fromCharCode(97 + ((partition * 7 + offset) % 26)));

test('pooled, by-reference fetch responses carry exactly the stored records', { timeout: 60_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sherwood-fetch-pool-'));
  try {
    await withBroker(async (b) => {
      assert.equal((await b.broker.topics.create({ name: 'pool', numPartitions: 2, replicationFactor: 1, configs: {} })).errorCode, 0);
      const topicId = b.broker.topics.get('pool')!.topicId;
      const client = await KafkaClient.connect(b.bootstrap);
      const other = await KafkaClient.connect(b.bootstrap);
      try {
        for (let i = 0; i < BATCHES; i++) {
          const res = await client.request(Produce, {
            transactionalId: null, acks: -1, timeoutMs: 5000,
            topicData: [{ name: 'pool', partitionData: [0, 1].map((p) => ({
              index: p,
              records: encodeBatch({ records: Array.from({ length: PER_BATCH }, (_, k) => ({ key: null, value: valueOf(p, i * PER_BATCH + k) })) }),
            })) }],
          });
          for (const pr of res.responses[0]!.partitionResponses) assert.equal(pr.errorCode, ErrorCode.NONE);
        }
        const total = BATCHES * PER_BATCH;
        const fetchFrom = (c: KafkaClient, offset: number, maxBytes: number) => c.request(Fetch, {
          maxWaitMs: 0, minBytes: 0, maxBytes: 64 << 20, sessionEpoch: -1, isolationLevel: 0,
          topics: [{ topic: 'pool', topicId, partitions: [0, 1].map((p) => ({
            partition: p, fetchOffset: offset, partitionMaxBytes: maxBytes, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1, replicaDirectoryId: Buffer.alloc(16),
          })) }],
        }, { version: 12 });
        const pending = [];
        for (let round = 0; round < 6; round++) {
          for (const offset of [0, 37, 100, 150, total - 1]) {
            for (const maxBytes of [200_000, 1 << 20]) {
              pending.push({ offset, p: fetchFrom(round % 2 === 0 ? client : other, offset, maxBytes) });
            }
          }
        }
        for (const { offset, p } of pending) {
          const res = await p;
          for (const part of res.responses[0]!.partitions) {
            assert.equal(part.errorCode, ErrorCode.NONE);
            const batches = decodeBatches(part.records, { verifyCrc: true });
            assert.ok(batches.length > 0, `records from ${offset}`);
            const records = batches.flatMap((bt) => bt.records);
            // Whole batches from the one holding `offset`, in order, each value where it was written.
            assert.ok(records[0]!.offset <= offset && records[0]!.offset % PER_BATCH === 0);
            records.forEach((r, i) => {
              assert.equal(r.offset, records[0]!.offset + i);
              assert.equal(r.value!.toString(), valueOf(part.partitionIndex, r.offset));
            });
          }
        }
        // The written responses gave their read buffers back for reuse.
        assert.ok(ioBufferPool.idleBytes > 0, 'read buffers returned to the pool');
      } finally {
        await client.close();
        await other.close();
      }
    }, { dataDir });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
