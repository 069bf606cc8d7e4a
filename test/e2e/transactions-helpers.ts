/**
 * Shared by the transactions e2e tests with real clients:
 * - `initProducerIdServed(b)`: the clients' transactional producers need InitProducerId, which
 *   stays unadvertised until the partitions keep producer state; those tests skip until then.
 * - `readCommittedReady(b)`: whether the storage/read side of transactions is there (an open
 *   transaction holds the partition's last stable offset back). The read_committed assertions
 *   skip until it is.
 * - `describeTransaction`, `partitionBatches`: what the coordinator and a partition hold, read
 *   on the wire with Sherwood's own client.
 */
import type { RunningBroker } from '../../src/index.js';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { ATTR_CONTROL } from '../../src/protocol/record-batch.js';
import { decodeBatches, decodeControlRecord } from '../../src/protocol/records.js';
import { DescribeTransactions, type DescribeTransactionsResponseTransactionState } from '../../src/protocol/messages/describe-transactions.js';
import { Fetch } from '../../src/protocol/messages/fetch.js';
import { InitProducerId } from '../../src/protocol/messages/init-producer-id.js';
import { ZERO_UUID } from '../../src/protocol/primitives.js';

export const INIT_PRODUCER_ID_SKIP = 'InitProducerId is not served yet (it waits for producer state in the partitions)';
export const READ_COMMITTED_SKIP = 'waits for the storage half of transactions (last stable offset, aborted transactions index)';

export function initProducerIdServed(b: RunningBroker): boolean {
  return b.broker.handlers.has(InitProducerId.apiKey);
}

/**
 * True when an open transaction holds back the last stable offset of its partition. Probed on
 * a scratch topic with the broker's own coordinator; the transaction is aborted afterwards.
 */
export async function readCommittedReady(b: RunningBroker): Promise<boolean> {
  const topic = '__probe-lso';
  await b.broker.topics.create({ name: topic, numPartitions: 1, replicationFactor: 1, configs: {} });
  const c = await KafkaClient.connect(b.bootstrap, { clientId: 'lso-probe' });
  try {
    if ((await b.broker.transactions.availability()) !== ErrorCode.NONE) return false;
    const service = b.broker.transactions.service;
    const p = await service.initProducerId('__probe-lso', 60_000, null);
    if (p.errorCode !== ErrorCode.NONE) return false;
    await service.addPartitionsToTransaction('__probe-lso', p.producerId, p.producerEpoch, [{ topic, partition: 0 }]);
    await c.produce(topic, 0, [{ key: null, value: 'open' }], { producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence: 0, transactional: true, transactionalId: '__probe-lso' });
    const partition = b.broker.replicaManager.getPartition(topic, 0)!;
    const ready = partition.lastStableOffset < partition.highWatermark;
    await service.endTransaction('__probe-lso', p.producerId, p.producerEpoch, 'ABORT');
    await service.markersIdle();
    return ready;
  } finally {
    await c.close();
    await b.broker.topics.delete(topic);
  }
}

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

export async function until<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(v)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
