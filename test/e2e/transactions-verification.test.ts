/**
 * KIP-890 part 1 on the produce path: a transactional batch is appended only to a partition the
 * producer's ongoing transaction has added (AddPartitionsToTxn). A batch for a partition never
 * added — a late write of an aborted transaction, or a buggy client — is refused with
 * INVALID_TXN_STATE and writes nothing, so it cannot open a transaction no coordinator knows
 * (a hanging transaction that would hold read_committed consumers forever). Once the partition
 * is added the batch is appended. With transaction.partition.verification.enable=false
 * (dynamic) the check is off, as in Kafka.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { KafkaClient } from '../../src/client/index.js';
import { Produce } from '../../src/protocol/messages/produce.js';
import { InitProducerId } from '../../src/protocol/messages/init-producer-id.js';
import { AddPartitionsToTxn } from '../../src/protocol/messages/add-partitions-to-txn.js';
import { IncrementalAlterConfigs } from '../../src/protocol/messages/incremental-alter-configs.js';
import { encodeBatch } from '../../src/protocol/records.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';

function txnBatch(producerId: number, producerEpoch: number, baseSequence: number): Buffer {
  return encodeBatch({ records: [{ key: null, value: Buffer.from(`s${baseSequence}`) }], timestamp: Date.now(), producerId, producerEpoch, baseSequence, transactional: true });
}

async function produce(c: KafkaClient, transactionalId: string, partition: number, records: Buffer): Promise<number> {
  const res = await c.request(Produce, {
    transactionalId, acks: -1, timeoutMs: 5000, topicData: [{ name: 'verified', partitionData: [{ index: partition, records }] }],
  }, { version: 9 });
  return res.responses[0]!.partitionResponses[0]!.errorCode;
}

test('a transactional batch needs its partition added to the transaction (verification), unless verification is off', { timeout: 60_000 }, async () => {
  await withBroker(async (b) => {
    await b.broker.topics.create({ name: 'verified', numPartitions: 2, replicationFactor: 1 });
    const c = await KafkaClient.connect(b.bootstrap);
    try {
      const init = await c.request(InitProducerId, { transactionalId: 'ver-tx', transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 }, { version: 4 });
      assert.equal(init.errorCode, ErrorCode.NONE);
      const { producerId: pid, producerEpoch: epoch } = init;
      const log = (p: number) => b.broker.partitionLog('verified', p)!;

      assert.equal(await produce(c, 'ver-tx', 0, txnBatch(pid, epoch, 0)), ErrorCode.INVALID_TXN_STATE, 'no ongoing transaction');
      assert.equal(log(0).logEndOffset, 0);
      const added = await c.request(AddPartitionsToTxn, {
        v3AndBelowTransactionalId: 'ver-tx', v3AndBelowProducerId: pid, v3AndBelowProducerEpoch: epoch, v3AndBelowTopics: [{ name: 'verified', partitions: [0] }],
      }, { version: 3 });
      assert.equal(added.resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode, ErrorCode.NONE);
      assert.equal(await produce(c, 'ver-tx', 0, txnBatch(pid, epoch, 0)), ErrorCode.NONE, 'added: appended');
      assert.equal(await produce(c, 'ver-tx', 0, txnBatch(pid, epoch, 1)), ErrorCode.NONE, 'later batches of the transaction');
      assert.equal(log(0).logEndOffset, 2);
      assert.equal(await produce(c, 'ver-tx', 1, txnBatch(pid, epoch, 0)), ErrorCode.INVALID_TXN_STATE, 'partition 1 was never added');
      assert.equal(log(1).logEndOffset, 0, 'nothing written to partition 1');
      assert.equal(await produce(c, 'ver-tx', 1, txnBatch(pid, epoch + 1, 0)), ErrorCode.INVALID_PRODUCER_EPOCH, 'a newer epoch than the coordinator knows');

      const off = await c.request(IncrementalAlterConfigs, {
        resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'transaction.partition.verification.enable', configOperation: 0, value: 'false' }] }], validateOnly: false,
      }, { version: 1 });
      assert.equal(off.responses[0]!.errorCode, ErrorCode.NONE);
      assert.equal(await produce(c, 'ver-tx', 1, txnBatch(pid, epoch, 0)), ErrorCode.NONE, 'verification off: appended as before KIP-890');
    } finally {
      await c.close();
    }
  });
});
