/**
 * Fetch with isolation_level=1 on the wire, version by version: the records stop at the last
 * stable offset and `abortedTransactions` lists (producerId, firstOffset) of the aborted
 * transactions overlapping them, never the committed ones; read_uncommitted answers null.
 * The transactions run through the broker's own coordinator; the batches are produced with
 * Sherwood's client.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBroker } from '../helpers/broker.js';
import type { RunningBroker } from '../../src/index.js';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { ATTR_CONTROL } from '../../src/protocol/record-batch.js';
import { decodeBatches } from '../../src/protocol/records.js';
import { Fetch } from '../../src/protocol/messages/fetch.js';
import { ZERO_UUID } from '../../src/protocol/primitives.js';

const TOPIC = 'rc-wire';

async function transaction(b: RunningBroker, c: KafkaClient, transactionalId: string, values: string[], result: 'COMMIT' | 'ABORT' | 'OPEN'): Promise<{ producerId: number; firstOffset: number }> {
  const service = b.broker.transactions.service;
  const p = await service.initProducerId(transactionalId, 60_000, null);
  assert.equal(p.errorCode, ErrorCode.NONE);
  assert.equal(await service.addPartitionsToTransaction(transactionalId, p.producerId, p.producerEpoch, [{ topic: TOPIC, partition: 0 }]), ErrorCode.NONE);
  const r = await c.produce(TOPIC, 0, values.map((value) => ({ key: null, value })), { producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence: 0, transactional: true, transactionalId });
  if (result !== 'OPEN') {
    assert.equal(await service.endTransaction(transactionalId, p.producerId, p.producerEpoch, result), ErrorCode.NONE);
    await service.markersIdle();
  }
  return { producerId: p.producerId, firstOffset: r.baseOffset };
}

async function fetchPartition(c: KafkaClient, topicId: Buffer, version: number, isolationLevel: number, fetchOffset = 0) {
  const res = await c.request(Fetch, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic: TOPIC, topicId: version >= 13 ? topicId : ZERO_UUID, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20, replicaDirectoryId: ZERO_UUID }] }],
    forgottenTopicsData: [], rackId: '',
  }, { version });
  return res.responses[0]!.partitions[0]!;
}

test('Fetch read_committed: abortedTransactions lists the aborted transaction overlapping the records, at every version from v4', { timeout: 60_000 }, async () => {
  const b0 = await startTestBroker({ overrides: { 'transaction.state.log.num.partitions': '1' } });
  const c = await KafkaClient.connect(b0.bootstrap, { clientId: 'rc-wire' });
  try {
    await b0.broker.topics.create({ name: TOPIC, numPartitions: 1, replicationFactor: 1, configs: {} });
    assert.equal(await b0.broker.transactions.availability(), ErrorCode.NONE, 'creates and loads __transaction_state');
    await transaction(b0, c, 'rc-a', ['A0', 'A1'], 'COMMIT');
    const aborted = await transaction(b0, c, 'rc-b', ['B0', 'B1'], 'ABORT');
    await transaction(b0, c, 'rc-c', ['C0'], 'COMMIT');
    const open = await transaction(b0, c, 'rc-d', ['D0'], 'OPEN');
    const topicId = b0.broker.topics.get(TOPIC)!.topicId;
    for (const version of [4, 11, 17]) {
      const committed = await fetchPartition(c, topicId, version, 1);
      assert.equal(committed.errorCode, ErrorCode.NONE);
      assert.equal(committed.lastStableOffset, open.firstOffset, `v${version}: the open transaction holds the LSO`);
      assert.deepEqual(committed.abortedTransactions, [{ producerId: aborted.producerId, firstOffset: aborted.firstOffset }], `v${version}`);
      const values = decodeBatches(committed.records).filter((x) => (x.header.attributes & ATTR_CONTROL) === 0).flatMap((x) => x.records.map((r) => r.value!.toString()));
      assert.deepEqual(values, ['A0', 'A1', 'B0', 'B1', 'C0'], `v${version}: the aborted records come back, the consumer drops them; nothing at or after the LSO`);
      const uncommitted = await fetchPartition(c, topicId, version, 0);
      assert.equal(uncommitted.abortedTransactions, null, `v${version}: read_uncommitted`);
      // Fetching after the aborted transaction: nothing to report.
      const later = await fetchPartition(c, topicId, version, 1, aborted.firstOffset + 3);
      assert.deepEqual(later.abortedTransactions, [], `v${version}: after the abort`);
    }
  } finally {
    await c.close();
    await b0.close();
  }
});
