/**
 * @platformatic/kafka 1.35 transactional producer against Sherwood: beginTransaction / send /
 * commit and abort, checked with the markers in the partition and DescribeTransactions. It
 * stays on Transaction V1 at transaction.version 2 (one epoch, EndTxn v4) although it sends
 * AddPartitionsToTxn in v5, the brokers' form, since we advertise it (as Kafka 4 does).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Producer, stringSerializers } from '@platformatic/kafka';
import { startTestBroker } from '../helpers/broker.js';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { VersionRecorder } from '../helpers/version-recorder.js';
import { describeTransaction, partitionBatches, until } from './transactions-helpers.js';

test('@platformatic/kafka: a committed and an aborted transaction', { timeout: 90_000 }, async () => {
  const b = await startTestBroker({ overrides: { 'transaction.state.log.num.partitions': '3' } });
  const c = await KafkaClient.connect(b.bootstrap, { clientId: 'plt-txn-check' });
  const recorder = VersionRecorder.attach(b);
  try {
    await b.broker.topics.create({ name: 'plt-tx', numPartitions: 1, replicationFactor: 1, configs: {} });
    const producer = new Producer({ clientId: 'plt-tx', bootstrapBrokers: [b.bootstrap], serializers: stringSerializers, idempotent: true, transactionalId: 'plt-tx', autocreateTopics: false });
    try {
      for (const [name, commit] of [['A', true], ['B', false]] as const) {
        const txn = await producer.beginTransaction();
        await txn.send({ messages: [0, 1].map((i) => ({ topic: 'plt-tx', partition: 0, key: 'k', value: `${name}${i}` })) });
        if (commit) await txn.commit();
        else await txn.abort();
      }
    } finally {
      await producer.close();
    }
    const d = await until('CompleteAbort', () => describeTransaction(c, 'plt-tx'), (x) => x.transactionState === 'CompleteAbort');
    const batches = await partitionBatches(c, 'plt-tx', 0);
    assert.deepEqual(batches.map((x) => x.control ?? x.values.join()), ['A0,A1', 'COMMIT', 'B0,B1', 'ABORT']);
    assert.ok(batches.every((x) => x.producerId === d.producerId && x.producerEpoch === d.producerEpoch), 'one epoch: Transaction V1');
    const sent = recorder.take().versions;
    assert.deepEqual([[...sent.get('AddPartitionsToTxn')!], [...sent.get('EndTxn')!]], [[5], [4]]);
  } finally {
    await c.close();
    await b.close();
  }
});
