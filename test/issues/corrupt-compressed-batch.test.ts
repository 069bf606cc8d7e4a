/**
 * Regression: compressed batches were not decompressed on produce (non-compacted topics), so a
 * producer could store garbage under a valid CRC and every consumer of the partition then
 * failed to decode it. Now each compressed batch is decompressed and walked as Kafka's
 * LogValidator does:
 * - a payload that does not decompress ⇒ CORRUPT_MESSAGE;
 * - records inconsistent with the header (count) ⇒ INVALID_RECORD;
 * - a record timestamp out of range behind a header that looks fine ⇒ INVALID_TIMESTAMP with
 *   recordErrors (v8+).
 * Nothing is appended, and the broker keeps serving the partition.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { KafkaClient } from '../../src/client/index.js';
import { Produce, type ProduceResponsePartitionProduceResponse } from '../../src/protocol/messages/produce.js';
import { encodeBatch, decodeBatches } from '../../src/protocol/records.js';
import { BATCH_HEADER_SIZE, Compression, updateBatchCrc } from '../../src/protocol/record-batch.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';

async function produce(client: KafkaClient, topic: string, records: Buffer): Promise<ProduceResponsePartitionProduceResponse> {
  const res = await client.request(Produce, {
    transactionalId: null, acks: -1, timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
  });
  return res.responses[0]!.partitionResponses[0]!;
}

function gzipBatch(values: string[], timestamp = Date.now()): Buffer {
  return encodeBatch({ records: values.map((v, i) => ({ key: `k${i}`, value: v })), compression: Compression.Gzip, timestamp });
}

test('issue: a gzip batch with garbage compressed bytes under a valid CRC is CORRUPT_MESSAGE and is not stored', { timeout: 30_000 }, async () => {
  await withBroker(async (b) => {
    assert.equal((await b.broker.topics.create({ name: 'corrupt-gzip', numPartitions: 1, replicationFactor: 1, configs: {} })).errorCode, 0);
    const client = await KafkaClient.connect(b.bootstrap);
    try {
      const garbage = gzipBatch(['a', 'b', 'c']);
      // Keep the gzip magic so only the deflate stream is garbage.
      for (let i = BATCH_HEADER_SIZE + 10; i < garbage.length; i++) garbage[i] = (i * 37 + 11) & 0xff;
      updateBatchCrc(garbage, 0, garbage.length);
      const corrupt = await produce(client, 'corrupt-gzip', garbage);
      assert.equal(corrupt.errorCode, ErrorCode.CORRUPT_MESSAGE);
      assert.equal(corrupt.baseOffset, -1);

      const inconsistent = gzipBatch(['a', 'b', 'c']);
      inconsistent.writeInt32BE(2, 57); // recordsCount 2 for 3 records
      inconsistent.writeInt32BE(1, 23); // lastOffsetDelta matching the (wrong) count
      updateBatchCrc(inconsistent, 0, inconsistent.length);
      assert.equal((await produce(client, 'corrupt-gzip', inconsistent)).errorCode, ErrorCode.INVALID_RECORD);

      // One record two hours ahead (message.timestamp.after.max.ms is one hour) behind a header
      // whose maxTimestamp was rewritten to look current.
      const now = Date.now();
      const lying = encodeBatch({ records: [{ key: 'a', value: '1', timestamp: now }, { key: 'b', value: '2', timestamp: now + 2 * 3600_000 }], compression: Compression.Zstd });
      lying.writeInt32BE(Math.floor(now / 4294967296), 35);
      lying.writeUInt32BE(now % 4294967296, 39);
      updateBatchCrc(lying, 0, lying.length);
      const late = await produce(client, 'corrupt-gzip', lying);
      assert.equal(late.errorCode, ErrorCode.INVALID_TIMESTAMP);
      assert.deepEqual(late.recordErrors.map((e) => e.batchIndex), [1]);

      const log = b.broker.partitionLog('corrupt-gzip', 0)!;
      assert.equal(log.logEndOffset, 0, 'nothing was appended');

      // The broker keeps serving: a good gzip batch goes in at offset 0 and reads back.
      const ok = await produce(client, 'corrupt-gzip', gzipBatch(['alive', 'well']));
      assert.equal(ok.errorCode, ErrorCode.NONE);
      assert.equal(ok.baseOffset, 0);
      const { records } = await log.read(0, 1 << 20, log.highWatermark);
      assert.deepEqual(decodeBatches(records).flatMap((x) => x.records).map((r) => r.value!.toString()), ['alive', 'well']);
    } finally {
      await client.close();
    }
  });
});
