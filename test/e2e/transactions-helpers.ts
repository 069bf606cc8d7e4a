/**
 * Shared by the transactions e2e tests with real clients: `describeTransaction`,
 * `partitionBatches` (what the coordinator and a partition hold, read on the wire with
 * Sherwood's own client) and `until` (poll a condition).
 */
import { KafkaClient } from '../../src/client/kafka-client.js';
import { ATTR_CONTROL } from '../../src/protocol/record-batch.js';
import { decodeBatches, decodeControlRecord } from '../../src/protocol/records.js';
import { DescribeTransactions, type DescribeTransactionsResponseTransactionState } from '../../src/protocol/messages/describe-transactions.js';
import { Fetch } from '../../src/protocol/messages/fetch.js';
import { ZERO_UUID } from '../../src/protocol/primitives.js';

export async function describeTransaction(c: KafkaClient, transactionalId: string): Promise<DescribeTransactionsResponseTransactionState> {
  return (await c.request(DescribeTransactions, { transactionalIds: [transactionalId] }, { version: 0 })).transactionStates[0]!;
}

/** Every batch of a partition, read_uncommitted, with its control record if it is one. */
export async function partitionBatches(c: KafkaClient, topic: string, partition: number) {
  const res = await c.request(Fetch, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 8 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, topicId: ZERO_UUID, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 8 << 20, replicaDirectoryId: ZERO_UUID }] }],
    forgottenTopicsData: [], rackId: '',
  }, { version: 11 });
  return decodeBatches(res.responses[0]!.partitions[0]!.records).map((b) => ({
    producerId: b.header.producerId,
    producerEpoch: b.header.producerEpoch,
    control: (b.header.attributes & ATTR_CONTROL) !== 0 ? (decodeControlRecord(b.records[0]!).type === 1 ? 'COMMIT' : 'ABORT') : null,
    values: b.records.map((r) => r.value?.toString() ?? null),
  }));
}

/** A probe polled until its value is right (test/helpers/wait.ts). */
export { untilValue as until } from '../helpers/wait.js';
