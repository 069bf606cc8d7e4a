/**
 * The idempotent producer on the wire, version-pinned (issue 11): a batch resent with the same
 * producer id, epoch and sequences is answered with its ORIGINAL base offset and the log does
 * not grow; a sequence gap is OUT_OF_ORDER_SEQUENCE_NUMBER, an older epoch
 * INVALID_PRODUCER_EPOCH, a new epoch must start at sequence 0; an unknown producer id is
 * accepted with any sequence (Kafka 4: no UNKNOWN_PRODUCER_ID from the broker since KIP-360).
 * The same answers after a clean restart (state from the producer-state snapshot) and after a
 * restart with every snapshot deleted (state rebuilt from the log).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startTestBroker, tempDir } from '../helpers/broker.js';
import { KafkaClient } from '../../src/client/index.js';
import { Produce } from '../../src/protocol/messages/produce.js';
import { InitProducerId } from '../../src/protocol/messages/init-producer-id.js';
import { encodeBatch } from '../../src/protocol/records.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';

const TOPIC = 'idem-raw';

function batch(producerId: number, producerEpoch: number, baseSequence: number, count: number, tag: string): Buffer {
  const records = Array.from({ length: count }, (_, i) => ({ key: null, value: Buffer.from(`${tag}-${i}`) }));
  return encodeBatch({ records, timestamp: Date.now(), producerId, producerEpoch, baseSequence });
}

async function produce(client: KafkaClient, records: Buffer): Promise<{ errorCode: number; baseOffset: number }> {
  const res = await client.request(Produce, {
    transactionalId: null, acks: -1, timeoutMs: 5000,
    topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: Buffer.from(records) }] }],
  }, { version: 9 });
  const p = res.responses[0]!.partitionResponses[0]!;
  return { errorCode: p.errorCode, baseOffset: p.baseOffset };
}

test('duplicates, gaps, stale epochs and unknown producers: Kafka 4 answers, before and after restarts', { timeout: 60_000 }, async () => {
  const dir = tempDir('sherwood-idem-raw-');
  let b = await startTestBroker({ dataDir: dir.path });
  try {
    await b.broker.topics.create({ name: TOPIC, numPartitions: 1, replicationFactor: 1 });
    let client = await KafkaClient.connect(b.bootstrap);
    const init = await client.request(InitProducerId, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 }, { version: 4 });
    assert.equal(init.errorCode, ErrorCode.NONE);
    assert.equal(init.producerEpoch, 0);
    const pid = init.producerId;
    const again = await client.request(InitProducerId, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 }, { version: 4 });
    assert.notEqual(again.producerId, pid, 'each idempotent producer gets its own id');
    for (const version of [0, 1, 2, 3, 5]) {
      const r = await client.request(InitProducerId, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 }, { version });
      assert.deepEqual([r.errorCode, r.producerEpoch], [ErrorCode.NONE, 0], `v${version}`);
      assert.ok(r.producerId > again.producerId, `v${version}: a fresh id`);
    }
    const half = await client.request(InitProducerId, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: pid, producerEpoch: -1 }, { version: 4 });
    assert.equal(half.errorCode, ErrorCode.INVALID_REQUEST, 'producerId without producerEpoch');

    const first = batch(pid, 0, 0, 3, 'a');
    const second = batch(pid, 0, 3, 2, 'b');
    assert.deepEqual(await produce(client, first), { errorCode: ErrorCode.NONE, baseOffset: 0 });
    assert.deepEqual(await produce(client, second), { errorCode: ErrorCode.NONE, baseOffset: 3 });
    const log = () => b.broker.partitionLog(TOPIC, 0)!;
    assert.equal(log().logEndOffset, 5);
    // A new epoch starts at sequence 0 (a KIP-360 client bumps its own epoch).
    assert.equal((await produce(client, batch(pid, 1, 4, 1, 'x'))).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'new epoch, sequence not 0');
    const third = batch(pid, 1, 0, 2, 'c');
    assert.deepEqual(await produce(client, third), { errorCode: ErrorCode.NONE, baseOffset: 5 });
    // Unknown producer id: accepted with any sequence.
    assert.deepEqual(await produce(client, batch(pid + 1000, 0, 17, 1, 'u')), { errorCode: ErrorCode.NONE, baseOffset: 7 });

    const check = async (phase: string): Promise<void> => {
      const end = log().logEndOffset;
      assert.equal(end, 8, `${phase}: log end`);
      assert.deepEqual(await produce(client, third), { errorCode: ErrorCode.NONE, baseOffset: 5 }, `${phase}: resent batch answered with its original offset`);
      assert.equal(log().logEndOffset, end, `${phase}: a duplicate writes nothing`);
      assert.equal((await produce(client, batch(pid, 1, 9, 1, 'gap'))).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, `${phase}: sequence gap`);
      assert.equal((await produce(client, batch(pid, 0, 5, 1, 'stale'))).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH, `${phase}: older epoch`);
      assert.equal(log().logEndOffset, end, `${phase}: rejected batches write nothing`);
    };
    await check('running');
    // Within the current epoch, each of the last five batches is recognised.
    assert.deepEqual(await produce(client, batch(pid, 1, 2, 1, 'd')), { errorCode: ErrorCode.NONE, baseOffset: 8 });

    const restart = async (deleteSnapshots: boolean): Promise<void> => {
      await client.close();
      await b.close();
      if (deleteSnapshots) {
        const partitionDir = join(dir.path, `${TOPIC}-0`);
        const snapshots = readdirSync(partitionDir).filter((f) => f.endsWith('.snapshot'));
        assert.ok(snapshots.length > 0, 'a clean shutdown wrote a producer-state snapshot');
        for (const f of snapshots) rmSync(join(partitionDir, f));
      }
      b = await startTestBroker({ dataDir: dir.path });
      client = await KafkaClient.connect(b.bootstrap);
    };
    const checkAfterRestart = async (phase: string): Promise<void> => {
      const end = log().logEndOffset;
      assert.equal(end, 9, `${phase}: log end`);
      assert.deepEqual(await produce(client, batch(pid, 1, 2, 1, 'd')), { errorCode: ErrorCode.NONE, baseOffset: 8 }, `${phase}: the last batch is recognised`);
      assert.equal((await produce(client, batch(pid, 1, 9, 1, 'gap'))).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, `${phase}: sequence gap`);
      assert.equal((await produce(client, batch(pid, 0, 5, 1, 'stale'))).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH, `${phase}: older epoch`);
      assert.equal(log().logEndOffset, end, `${phase}: nothing written`);
    };
    await restart(false);
    await checkAfterRestart('after a restart (snapshot)');
    await restart(true);
    await checkAfterRestart('after a restart with the snapshots deleted (log replay)');
    // And the producer carries on where it was.
    assert.deepEqual(await produce(client, batch(pid, 1, 3, 1, 'e')), { errorCode: ErrorCode.NONE, baseOffset: 9 });
    await client.close();
  } finally {
    await b.close();
    dir.remove();
  }
});
