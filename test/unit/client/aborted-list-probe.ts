/**
 * Whether the broker lists aborted transactions in read_committed Fetch responses (the last
 * piece of the read side of transactions, landing separately): tests that need it to check
 * that aborted records are hidden report and skip that one check until it does.
 */
import type { RunningBroker } from '../../../src/index.js';
import { Fetch, KafkaClient, Producer } from '../../../src/client/index.js';
import { ZERO_UUID } from '../../../src/protocol/primitives.js';

export const ABORTED_LIST_SKIP = 'the broker does not list aborted transactions in Fetch responses yet (wip-txnread)';

export async function abortedListServed(b: RunningBroker, c: KafkaClient): Promise<boolean> {
  const topic = '__probe-aborted-list';
  await b.broker.topics.create({ name: topic, numPartitions: 1, replicationFactor: 1, configs: {} });
  const p = await Producer.create(c, { transactionalId: '__probe-aborted-list' });
  await p.initTransactions();
  p.beginTransaction();
  await p.send(topic, 0, [{ key: null, value: 'x' }]);
  await p.abortTransaction();
  const res = await c.request(Fetch, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 1, sessionId: 0, sessionEpoch: -1, rackId: '', forgottenTopicsData: [],
    topics: [{ topic, topicId: ZERO_UUID, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20, replicaDirectoryId: ZERO_UUID }] }],
  }, { version: 11 });
  await b.broker.topics.delete(topic);
  return (res.responses[0]?.partitions[0]?.abortedTransactions?.length ?? 0) > 0;
}
