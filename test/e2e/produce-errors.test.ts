/**
 * Bad Produce requests get Kafka's error code per partition and the broker keeps serving:
 * missing partition, unknown topic (never auto-created by Produce), invalid topic name,
 * corrupt batch (byte flipped after the CRC), oversized batch, acks=2, legacy Produce v2,
 * two batches in one v3+ partition, keyless records on a compacted topic (v8+ recordErrors),
 * LogAppendTime topics (logAppendTimeMs in the response), and acks=0 (no response).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { highWatermarkReached } from '../helpers/broker-events.js';
import { withTimeout } from '../helpers/wait.js';
import { KafkaClient } from '../../src/client/index.js';
import { Produce, type ProduceResponsePartitionProduceResponse } from '../../src/protocol/messages/produce.js';
import { encodeBatch, decodeBatches } from '../../src/protocol/records.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { RunningBroker } from '../../src/index.js';

function batch(values: (string | null)[] = ['a', 'b'], keys: (string | null)[] | null = null): Buffer {
  return encodeBatch({ records: values.map((v, i) => ({ key: keys === null ? `k${i}` : keys[i]!, value: v })), timestamp: Date.now() });
}

async function produceRaw(client: KafkaClient, topic: string, partition: number, records: Buffer | null, options: { acks?: number; version?: number } = {}): Promise<ProduceResponsePartitionProduceResponse> {
  const res = await client.request(Produce, {
    transactionalId: null,
    acks: options.acks ?? -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
  }, { version: options.version });
  return res.responses[0]!.partitionResponses[0]!;
}

async function stillServes(b: RunningBroker, client: KafkaClient, topic: string): Promise<void> {
  const before = b.broker.partitionLog(topic, 0)!.highWatermark;
  const ok = await produceRaw(client, topic, 0, batch(['alive']));
  assert.equal(ok.errorCode, ErrorCode.NONE);
  assert.equal(ok.baseOffset, before);
  const log = b.broker.partitionLog(topic, 0)!;
  const { records } = await log.read(before, 1 << 20, log.highWatermark);
  assert.equal(decodeBatches(records)[0]!.records[0]!.value!.toString(), 'alive');
}

test('produce errors: Kafka codes per partition, and the broker keeps serving', { timeout: 60_000 }, async () => {
  await withBroker(async (b) => {
    assert.equal((await b.broker.topics.create({ name: 'errs', numPartitions: 1, replicationFactor: 1, configs: { 'max.message.bytes': '1000' } })).errorCode, 0);
    const client = await KafkaClient.connect(b.bootstrap);
    try {
      const missingPartition = await produceRaw(client, 'errs', 5, batch());
      assert.equal(missingPartition.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      assert.equal(missingPartition.baseOffset, -1);

      const unknownTopic = await produceRaw(client, 'never-created', 0, batch());
      assert.equal(unknownTopic.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      assert.equal(b.broker.topics.get('never-created'), undefined, 'Produce does not auto-create');

      // Kafka answers an invalid name like any topic it does not have.
      const badName = await produceRaw(client, 'bad name!', 0, batch());
      assert.equal(badName.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);

      const corrupt = batch(['x', 'y', 'z']);
      corrupt[corrupt.length - 3] ^= 0x5a; // a byte after the CRC field: the CRC no longer matches
      assert.equal((await produceRaw(client, 'errs', 0, corrupt)).errorCode, ErrorCode.CORRUPT_MESSAGE);

      const oversized = encodeBatch({ records: [{ key: 'k', value: Buffer.alloc(5000, 1) }] });
      const tooLarge = await produceRaw(client, 'errs', 0, oversized);
      assert.equal(tooLarge.errorCode, ErrorCode.MESSAGE_TOO_LARGE);

      assert.equal((await produceRaw(client, 'errs', 0, batch(), { acks: 2 })).errorCode, ErrorCode.INVALID_REQUIRED_ACKS);
      assert.equal((await produceRaw(client, 'errs', 0, batch(), { version: 2 })).errorCode, ErrorCode.UNSUPPORTED_VERSION);
      assert.equal((await produceRaw(client, 'errs', 0, Buffer.concat([batch(), batch()]))).errorCode, ErrorCode.INVALID_RECORD);
      assert.equal((await produceRaw(client, 'errs', 0, null)).errorCode, ErrorCode.INVALID_RECORD);

      // log.message.timestamp.after.max.ms defaults to one hour in Kafka 4.
      const future = encodeBatch({ records: [{ key: 'k', value: 'v' }], timestamp: Date.now() + 2 * 3600_000 });
      const tooNew = await produceRaw(client, 'errs', 0, future);
      assert.equal(tooNew.errorCode, ErrorCode.INVALID_TIMESTAMP);
      assert.deepEqual(tooNew.recordErrors.map((e) => e.batchIndex), [0]);

      assert.equal(b.broker.partitionLog('errs', 0)!.highWatermark, 0, 'nothing was appended');
      await stillServes(b, client, 'errs');
    } finally {
      await client.close();
    }
  });
});

test('produce: keyless records on a compacted topic are INVALID_RECORD with recordErrors', { timeout: 30_000 }, async () => {
  await withBroker(async (b) => {
    assert.equal((await b.broker.topics.create({ name: 'compacted', numPartitions: 1, replicationFactor: 1, configs: { 'cleanup.policy': 'compact' } })).errorCode, 0);
    const client = await KafkaClient.connect(b.bootstrap);
    try {
      const r = await produceRaw(client, 'compacted', 0, batch(['a', 'b', 'c'], ['k', null, 'k']));
      assert.equal(r.errorCode, ErrorCode.INVALID_RECORD);
      assert.deepEqual(r.recordErrors.map((e) => e.batchIndex), [1]);
      assert.match(r.errorMessage ?? '', /record errors/);
      await stillServes(b, client, 'compacted');
    } finally {
      await client.close();
    }
  });
});

test('produce: LogAppendTime topics stamp the batch and return logAppendTimeMs; CreateTime returns -1', { timeout: 30_000 }, async () => {
  await withBroker(async (b) => {
    await b.broker.topics.create({ name: 'lat', numPartitions: 1, replicationFactor: 1, configs: { 'message.timestamp.type': 'LogAppendTime' } });
    await b.broker.topics.create({ name: 'ct', numPartitions: 1, replicationFactor: 1, configs: {} });
    const client = await KafkaClient.connect(b.bootstrap);
    try {
      const before = Date.now();
      const old = encodeBatch({ records: [{ key: 'k', value: 'v' }], timestamp: 1000 });
      const r = await produceRaw(client, 'lat', 0, old);
      assert.equal(r.errorCode, ErrorCode.NONE);
      assert.ok(r.logAppendTimeMs >= before && r.logAppendTimeMs <= Date.now() + 1000, `logAppendTimeMs ${r.logAppendTimeMs}`);
      const log = b.broker.partitionLog('lat', 0)!;
      const stored = decodeBatches((await log.read(0, 1 << 20, log.highWatermark)).records)[0]!;
      assert.equal(stored.records[0]!.timestamp, r.logAppendTimeMs);
      const c = await produceRaw(client, 'ct', 0, batch());
      assert.equal(c.errorCode, ErrorCode.NONE);
      assert.equal(c.logAppendTimeMs, -1);
      assert.equal(c.logStartOffset, 0);
    } finally {
      await client.close();
    }
  });
});

test('produce acks=0: no response, records appended; a failing acks=0 request closes the connection', { timeout: 30_000 }, async () => {
  await withBroker(async (b) => {
    await b.broker.topics.create({ name: 'acks0', numPartitions: 1, replicationFactor: 1, configs: {} });
    const client = await KafkaClient.connect(b.bootstrap);
    try {
      const none = await client.request(Produce, {
        transactionalId: null, acks: 0, timeoutMs: 5000,
        topicData: [{ name: 'acks0', partitionData: [{ index: 0, records: batch(['q']) }] }],
      }, { expectResponse: false });
      assert.equal(none, null);
      const log = b.broker.partitionLog('acks0', 0)!;
      await highWatermarkReached(b, 'acks0', 0, 1, 5000);
      assert.equal(log.highWatermark, 1);
      // Kafka closes the connection when an acks=0 produce fails, so the client notices.
      const conn = (await client.node()).connection;
      const closed = new Promise<Error | null>((resolve) => conn.onClose(resolve));
      await client.request(Produce, {
        transactionalId: null, acks: 0, timeoutMs: 5000,
        topicData: [{ name: 'no-such-topic', partitionData: [{ index: 0, records: batch(['q']) }] }],
      }, { expectResponse: false });
      assert.notEqual(await withTimeout('the broker to close the connection', closed, 5000), null, 'closed by the broker, not by the client');
      const other = await KafkaClient.connect(b.bootstrap);
      assert.equal((await produceRaw(other, 'acks0', 0, batch(['after']))).baseOffset, 1);
      await other.close();
    } finally {
      await client.close();
    }
  });
});
