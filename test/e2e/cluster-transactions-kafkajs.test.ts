/**
 * KafkaJS against three in-process brokers over TCP: a transactional producer whose outputs
 * are led by every broker, so the transaction coordinator's markers go to other brokers
 * (WriteTxnMarkers to each partition's leader) and the leaders verify the producer's
 * partitions with the coordinator's broker (AddPartitionsToTxn v4+); each partition then holds
 * the data and COMMIT / ABORT markers in order, and a read_committed KafkaJS group consumer
 * (its group coordinator on one of the brokers) sees exactly the committed records.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { tcpTransport } from '../../src/base/transport.js';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { partitionForTransactionalId } from '../../src/coordinator/transaction/records.js';
import { startInProcessCluster } from '../helpers/in-process-cluster.js';
import { partitionBatches, until } from './transactions-helpers.js';

const overrides = { 'offsets.topic.num.partitions': '3', 'transaction.state.log.num.partitions': '3', 'group.initial.rebalance.delay.ms': '0' };

for (const txnPartitions of [3, 1]) {
test(`KafkaJS transactions across 3 brokers (${txnPartitions} __transaction_state partitions): markers reach every partition leader; read_committed sees only committed records`, { timeout: 120_000 }, async () => {
  // With one partition, two brokers never lead __transaction_state: they verify through the one that does.
  const c = await startInProcessCluster({ brokers: 3, transport: tcpTransport, overrides: { ...overrides, 'transaction.state.log.num.partitions': String(txnPartitions) } });
  try {
    await c.createTopic('xb-out', 3, 3);
    const leaders = [0, 1, 2].map((p) => c.registration('xb-out', p).leader);
    assert.equal(new Set(leaders).size, 3, `leaders spread: ${leaders.join(',')}`);
    const kafka = new Kafka({ clientId: 'xb', brokers: [c.broker(1).bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
    const producer = kafka.producer({ transactionalId: 'xb-tx', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      for (const [name, commit] of [['A', true], ['B', false], ['C', true]] as const) {
        const txn = await producer.transaction();
        await txn.send({ topic: 'xb-out', messages: [0, 1, 2].map((p) => ({ value: `${name}${p}`, partition: p })) });
        if (commit) await txn.commit();
        else await txn.abort();
      }
    } finally {
      await producer.disconnect();
    }
    const coordinator = c.registration('__transaction_state', partitionForTransactionalId('xb-tx', txnPartitions)).leader;
    assert.ok(leaders.some((l) => l !== coordinator), 'some output partitions are led by other brokers than the coordinator');

    for (const p of [0, 1, 2]) {
      const client = await KafkaClient.connect(c.broker(leaders[p]!).bootstrap);
      try {
        const batches = await until(`markers on xb-out-${p}`, () => partitionBatches(client, 'xb-out', p), (b) => b.length >= 6);
        assert.deepEqual(batches.map((x) => x.control ?? x.values.join()), [`A${p}`, 'COMMIT', `B${p}`, 'ABORT', `C${p}`, 'COMMIT'], `xb-out-${p} on its leader ${leaders[p]}`);
      } finally {
        await client.close();
      }
    }

    const consumer = kafka.consumer({ groupId: 'xb-readers', readUncommitted: false, maxWaitTimeInMs: 100, sessionTimeout: 10_000, heartbeatInterval: 500 });
    const got: string[] = [];
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: 'xb-out', fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => { got.push(message.value!.toString()); } });
      await until('6 committed records', async () => got.length, (n) => n >= 6);
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      await consumer.disconnect();
    }
    assert.deepEqual(got.sort(), ['A0', 'A1', 'A2', 'C0', 'C1', 'C2']);
  } finally {
    await c.close();
  }
});
}
