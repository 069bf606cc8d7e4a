/**
 * AddPartitionsToTxn (API key 24), versions 0-5: a transactional producer adds partitions to
 * its ongoing transaction before writing to them (v0-3), and partition leaders verify or add a
 * transactional write's partition at the transaction coordinator (v4-5, batched by
 * transactional id: Kafka's AddPartitionsToTxnManager).
 *
 * Behavior (Kafka's KafkaApis.handleAddPartitionsToTxnRequest + the transaction coordinator,
 * src/coordinator/transaction):
 * - v4+ comes from brokers: CLUSTER_ACTION on the cluster, else only the top-level
 *   CLUSTER_AUTHORIZATION_FAILED (no per-transaction results); no transactional-id or topic
 *   authorization then.
 * - v0-3: WRITE on the transactional id, else TRANSACTIONAL_ID_AUTHORIZATION_FAILED everywhere.
 * - Per transaction, per partition: (v0-3) an internal topic or a topic without WRITE →
 *   TOPIC_AUTHORIZATION_FAILED; a partition the metadata does not name →
 *   UNKNOWN_TOPIC_OR_PARTITION. If any partition of a transaction fails these checks nothing of
 *   it is added: its others answer OPERATION_NOT_ATTEMPTED.
 * - Otherwise, from the coordinator: v0-3 and v4-5 with verifyOnly false add the partitions
 *   (one answer for every partition: NONE, INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED,
 *   CONCURRENT_TRANSACTIONS, NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS,
 *   COORDINATOR_NOT_AVAILABLE, INVALID_REQUEST for an empty transactional id); v5 marks the
 *   transaction as Transaction V2's. verifyOnly true only checks them: per partition NONE (in
 *   the producer's ongoing transaction) or TRANSACTION_ABORTABLE, or one of the errors above
 *   for all.
 * Version notes: v1 = v0; v2 answers PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before); v3
 * flexible; v4 batches transactions (resultsByTransaction, top-level errorCode) with
 * verifyOnly; v5 may answer TRANSACTION_ABORTABLE and adds as Transaction V2.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { AddPartitionsToTxn, type AddPartitionsToTxnRequest, type AddPartitionsToTxnResponse } from '../../protocol/messages/add-partitions-to-txn.js';
import { isInternalTopic } from '../../cluster/topic-name.js';
import { CLUSTER_RESOURCE_NAME } from '../pipeline/authorization.js';
import { authorize, defineHandler, type RequestContext } from '../handler.js';
import { addOrVerifyAtCoordinator } from '../transaction-runtime.js';
import { fencedErrorFor } from './_txn-helpers.js';

type TopicResults = AddPartitionsToTxnResponse['resultsByTopicV3AndBelow'];

interface Transaction {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  verifyOnly: boolean;
  topics: { name: string; partitions: number[] }[];
}

/** The request's partitions, each once, grouped by topic in request order. */
function grouped(topics: readonly { name: string; partitions: readonly number[] }[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const t of topics) {
    const list = out.get(t.name) ?? [];
    for (const p of t.partitions) if (!list.includes(p)) list.push(p);
    out.set(t.name, list);
  }
  return out;
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/** One transaction's answer per partition (see the file header). */
async function handleTransaction(ctx: RequestContext, txn: Transaction, version: number): Promise<TopicResults> {
  const topics = grouped(txn.topics);
  const respond = (code: (topic: string, partition: number) => number): TopicResults => [...topics].map(([name, partitions]) => ({
    name, resultsByPartition: partitions.map((partitionIndex) => ({ partitionIndex, partitionErrorCode: code(name, partitionIndex) })),
  }));
  if (version < 4 && !authorize(ctx, 'WRITE', 'TRANSACTIONAL_ID', txn.transactionalId)) return respond(() => ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);

  const failed = new Map<string, number>();
  for (const [name, partitions] of topics) {
    const authorized = version >= 4 || (!isInternalTopic(name) && authorize(ctx, 'WRITE', 'TOPIC', name));
    for (const p of partitions) {
      if (!authorized) failed.set(key(name, p), ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      else if (!ctx.broker.replicaManager.inMetadata(name, p)) failed.set(key(name, p), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    }
  }
  if (failed.size > 0) return respond((t, p) => failed.get(key(t, p)) ?? ErrorCode.OPERATION_NOT_ATTEMPTED);

  const transactions = ctx.broker.transactions;
  const unavailable = await transactions.availability();
  if (unavailable !== ErrorCode.NONE) return respond(() => unavailable);
  const partitions = [...topics].flatMap(([topic, ps]) => ps.map((partition) => ({ topic, partition })));
  const codes = await addOrVerifyAtCoordinator(transactions.service, { ...txn, partitions }, version);
  const byPartition = new Map(partitions.map((tp, i) => [key(tp.topic, tp.partition), fencedErrorFor(codes[i]!, version, 2)]));
  return respond((t, p) => byPartition.get(key(t, p))!);
}

export default defineHandler({
  api: AddPartitionsToTxn,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req: AddPartitionsToTxnRequest): Promise<AddPartitionsToTxnResponse> {
    const version = ctx.header.apiVersion;
    if (version < 4) {
      const resultsByTopicV3AndBelow = await handleTransaction(ctx, {
        transactionalId: req.v3AndBelowTransactionalId, producerId: req.v3AndBelowProducerId, producerEpoch: req.v3AndBelowProducerEpoch,
        verifyOnly: false, topics: req.v3AndBelowTopics,
      }, version);
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction: [], resultsByTopicV3AndBelow };
    }
    const reply = (errorCode: number, resultsByTransaction: AddPartitionsToTxnResponse['resultsByTransaction']): AddPartitionsToTxnResponse =>
      ({ throttleTimeMs: 0, errorCode, resultsByTransaction, resultsByTopicV3AndBelow: [] });
    if (!authorize(ctx, 'CLUSTER_ACTION', 'CLUSTER', CLUSTER_RESOURCE_NAME)) return reply(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, []);
    const results = await Promise.all(req.transactions.map(async (txn) => ({
      transactionalId: txn.transactionalId, topicResults: await handleTransaction(ctx, txn, version),
    })));
    return reply(ErrorCode.NONE, results);
  },
});
