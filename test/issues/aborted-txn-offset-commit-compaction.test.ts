/**
 * An aborted TxnOffsetCommit must never erase a group's committed offset. It is written to
 * `__consumer_offsets` under the same key as the committed offset; before compaction knew
 * about transactions, the cleaner kept the aborted record as the key's latest and dropped the
 * committed one, so after compaction and a restart (the group shard replays the partition:
 * the aborted offset is dropped at its ABORT marker) the group had no committed offset at all.
 * Kafka's cleaner skips aborted batches when it builds its offset map and discards them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBroker, tempDir } from '../helpers/broker.js';
import type { RunningBroker } from '../../src/index.js';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { InitProducerId } from '../../src/protocol/messages/init-producer-id.js';
import { AddOffsetsToTxn } from '../../src/protocol/messages/add-offsets-to-txn.js';
import { TxnOffsetCommit } from '../../src/protocol/messages/txn-offset-commit.js';
import { EndTxn } from '../../src/protocol/messages/end-txn.js';
import { ATTR_TRANSACTIONAL } from '../../src/protocol/record-batch.js';
import { decodeBatches } from '../../src/protocol/records.js';
import { describeTransaction, until } from '../e2e/transactions-helpers.js';

const OVERRIDES = { 'offsets.topic.num.partitions': '1', 'transaction.state.log.num.partitions': '1' };

async function committedOffset(b: RunningBroker): Promise<number> {
  const c = await KafkaClient.connect(b.bootstrap, { clientId: 'offsets-check' });
  try {
    return (await c.fetchCommittedOffsets('g', 'in', [0])).get(0) ?? -1;
  } finally {
    await c.close();
  }
}

test('committed offset, aborted transactional commit of the same key, compaction, restart: the committed offset is still there', { timeout: 60_000 }, async () => {
  const dir = tempDir('sherwood-aborted-txn-offsets-');
  let b = await startTestBroker({ dataDir: dir.path, overrides: OVERRIDES });
  try {
    const c = await KafkaClient.connect(b.bootstrap, { clientId: 'aborted-txn-offsets' });
    await b.broker.topics.create({ name: 'in', numPartitions: 1, replicationFactor: 1, configs: {} });
    await c.commitOffsets('g', [{ topic: 'in', partition: 0, offset: 5 }]);
    let p = await c.request(InitProducerId, { transactionalId: 'tx', transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 }, { version: 4 });
    while (p.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS || p.errorCode === ErrorCode.CONCURRENT_TRANSACTIONS) {
      p = await c.request(InitProducerId, { transactionalId: 'tx', transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 }, { version: 4 });
    }
    assert.equal(p.errorCode, ErrorCode.NONE);
    const ids = { transactionalId: 'tx', producerId: p.producerId, producerEpoch: p.producerEpoch };
    assert.equal((await c.request(AddOffsetsToTxn, { ...ids, groupId: 'g' }, { version: 3 })).errorCode, ErrorCode.NONE);
    const txnCommit = await c.request(TxnOffsetCommit, {
      ...ids, groupId: 'g', generationId: -1, memberId: '', groupInstanceId: null,
      topics: [{ name: 'in', partitions: [{ partitionIndex: 0, committedOffset: 99, committedLeaderEpoch: -1, committedMetadata: null }] }],
    }, { version: 3 });
    assert.equal(txnCommit.topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
    assert.equal((await c.request(EndTxn, { ...ids, committed: false }, { version: 3 })).errorCode, ErrorCode.NONE);
    await until('CompleteAbort', () => describeTransaction(c, 'tx'), (d) => d.transactionState === 'CompleteAbort');
    await c.close();
    assert.equal(await committedOffset(b), 5, 'the abort dropped the pending offset');

    // Compact __consumer_offsets: everything written so far becomes cleanable.
    const log = b.broker.partitionLog('__consumer_offsets', 0)!;
    const transactionalBatches = async () => decodeBatches((await log.read(0, 1 << 20, log.logEndOffset)).records)
      .filter((x) => (x.header.attributes & ATTR_TRANSACTIONAL) !== 0 && x.records.length > 0 && x.header.producerId === p.producerId);
    assert.ok((await transactionalBatches()).length > 0, 'the aborted commit and its marker are in the log');
    await log.enqueue(() => log.roll());
    assert.equal(log.lastStableOffset, log.logEndOffset);
    assert.notEqual(await log.compact(), null, 'a compaction pass ran');
    assert.equal(await committedOffset(b), 5);

    // A restart replays the compacted partition into the group shard.
    await b.close();
    b = await startTestBroker({ dataDir: dir.path, overrides: OVERRIDES });
    assert.equal(await committedOffset(b), 5, 'the committed offset survives compaction and replay');
  } finally {
    await b.close();
    dir.remove();
  }
});
