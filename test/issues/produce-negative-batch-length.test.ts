/**
 * Regression: a Produce v3+ partition whose record batch announced a negative length made
 * validateProduceShape read outside the buffer (RangeError), which closed the connection.
 * Kafka's batch iterator (ByteBufferLogInputStream.nextBatchSize) rejects a length below 14
 * with CorruptRecordException, which KafkaApis answers per partition as CORRUPT_MESSAGE; the
 * connection stays open. The same holds for a second batch with a bad length, and for an
 * invalid magic byte. Sent as raw frames so that no client codec tidies the bytes up.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { Produce } from '../../src/protocol/messages/produce.js';
import { Metadata } from '../../src/protocol/messages/metadata.js';
import { encodeBatch } from '../../src/protocol/records.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { batchSizeAt } from '../../src/protocol/record-batch.js';
import { validateProduceShape, validateRecords, type ValidationConfig } from '../../src/cluster/log-validator.js';
import { RawClient, requestFrame, responseReader } from '../unit/server/raw-client.js';

const VERSION = 9;
const CONFIG: ValidationConfig = {
  maxMessageBytes: 1048588, segmentBytes: 1 << 30, compacted: false, timestampType: 'CreateTime',
  timestampBeforeMaxMs: Number.MAX_SAFE_INTEGER, timestampAfterMaxMs: Number.MAX_SAFE_INTEGER,
};

function produceFrame(correlationId: number, topic: string, records: Buffer): Buffer {
  return requestFrame(Produce, VERSION, correlationId, {
    transactionalId: null, acks: -1, timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
  });
}

function partitionOf(frame: Buffer): { errorCode: number; baseOffset: number } {
  const { r } = responseReader(frame, Produce.response.isFlexible(VERSION));
  const res = Produce.response.read(r, VERSION);
  const p = res.responses[0]!.partitionResponses[0]!;
  return { errorCode: p.errorCode, baseOffset: p.baseOffset };
}

function withLength(batch: Buffer, length: number): Buffer {
  const b = Buffer.from(batch);
  b.writeInt32BE(length, 8);
  return b;
}

test('issue: a Produce v3+ batch with a negative length is CORRUPT_MESSAGE and the connection stays open', { timeout: 30_000 }, async () => {
  await withBroker(async (b) => {
    assert.equal((await b.broker.topics.create({ name: 'neg-len', numPartitions: 1, replicationFactor: 1, configs: {} })).errorCode, 0);
    const good = encodeBatch({ records: [{ key: 'k', value: 'v' }] });
    const c = await RawClient.connect(b.port, b.host);
    try {
      const cases: [string, Buffer, number][] = [
        ['length -1', withLength(good, -1), ErrorCode.CORRUPT_MESSAGE],
        ['length -100', withLength(good, -100), ErrorCode.CORRUPT_MESSAGE],
        ['length -12 (size 0)', withLength(good, -12), ErrorCode.CORRUPT_MESSAGE],
        ['length 13, below the minimum overhead', withLength(good, 13), ErrorCode.CORRUPT_MESSAGE],
        ['length -2^31', withLength(good, -2147483648), ErrorCode.CORRUPT_MESSAGE],
        ['a good batch followed by one with a negative length', Buffer.concat([good, withLength(good, -50)]), ErrorCode.CORRUPT_MESSAGE],
        ['magic 7', (() => { const x = Buffer.from(good); x.writeInt8(7, 16); return x; })(), ErrorCode.CORRUPT_MESSAGE],
        ['magic -1', (() => { const x = Buffer.from(good); x.writeInt8(-1, 16); return x; })(), ErrorCode.CORRUPT_MESSAGE],
        ['12 bytes of a negative length only', withLength(good, -5).subarray(0, 12), ErrorCode.CORRUPT_MESSAGE],
        ['length larger than the data', withLength(good, 1_000_000), ErrorCode.INVALID_RECORD],
      ];
      let id = 1;
      for (const [what, records, expected] of cases) {
        c.send(produceFrame(id, 'neg-len', records));
        const [frame] = await c.read(1, 5000).catch((err: Error) => {
          throw new Error(`${what}: ${err.message}`);
        });
        const { correlationId } = responseReader(frame!, true);
        assert.equal(correlationId, id, what);
        const p = partitionOf(frame!);
        assert.equal(p.errorCode, expected, `${what}: error ${p.errorCode}`);
        assert.equal(p.baseOffset, -1, what);
        id++;
      }
      // The connection still serves requests, and nothing was stored.
      c.send(requestFrame(Metadata, 1, 99, { topics: [] }));
      assert.equal(responseReader((await c.read(1))[0]!).correlationId, 99);
      assert.equal(c.closed, false);
      c.send(produceFrame(100, 'neg-len', good));
      const ok = partitionOf((await c.read(1))[0]!);
      assert.deepEqual(ok, { errorCode: ErrorCode.NONE, baseOffset: 0 });
    } finally {
      c.close();
    }
  });
});

test('issue: wire lengths are bounds-checked before use (validateProduceShape, validateRecords, batchSizeAt)', () => {
  const good = encodeBatch({ records: [{ key: 'k', value: 'v' }] });
  for (const length of [-2147483648, -100, -13, -12, -1, 0, 13]) {
    const bad = withLength(good, length);
    assert.equal(validateProduceShape(VERSION, bad)?.errorCode, ErrorCode.CORRUPT_MESSAGE, `shape, length ${length}`);
    assert.equal(validateProduceShape(VERSION, Buffer.concat([good, bad]))?.errorCode, ErrorCode.CORRUPT_MESSAGE, `second batch, length ${length}`);
    const v = validateRecords(Buffer.concat([good, bad]), CONFIG, Date.now());
    assert.equal(v.ok ? 'ok' : v.errorCode, ErrorCode.CORRUPT_MESSAGE, `validateRecords, length ${length}`);
  }
  assert.equal(batchSizeAt(good.subarray(0, 11), 0), -1, 'fewer than 12 bytes: no size');
  assert.equal(batchSizeAt(good, good.length - 5), -1);
  assert.equal(batchSizeAt(good, 0), good.length);
});
