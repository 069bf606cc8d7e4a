/**
 * AddPartitionsToTxn (API key 24), versions 0-3: a transactional producer adds partitions to
 * its ongoing transaction before writing to them.
 *
 * Behavior (Kafka's KafkaApis.handleAddPartitionsToTxnRequest for client versions + the
 * transaction coordinator, src/coordinator/transaction):
 * - WRITE on the transactional id, else TRANSACTIONAL_ID_AUTHORIZATION_FAILED everywhere.
 * - Per partition: an internal topic or a topic without WRITE → TOPIC_AUTHORIZATION_FAILED, a
 *   partition the metadata does not name → UNKNOWN_TOPIC_OR_PARTITION. If any partition fails
 *   these checks nothing is added: the others answer OPERATION_NOT_ATTEMPTED.
 * - Otherwise one answer for every partition from the coordinator: NONE (Ongoing with them),
 *   INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED, CONCURRENT_TRANSACTIONS (the previous
 *   transaction is still completing), NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS,
 *   COORDINATOR_NOT_AVAILABLE, INVALID_REQUEST (empty transactional id).
 * Version notes: v1 = v0; v2 answers PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before); v3
 * flexible. v4+ (brokers' batched and verifyOnly requests) is not served.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { AddPartitionsToTxn, type AddPartitionsToTxnResponse } from '../../protocol/messages/add-partitions-to-txn.js';
import { isInternalTopic } from '../../cluster/topic-name.js';
import { authorize, defineHandler } from '../handler.js';
import { fencedErrorFor } from './_txn-helpers.js';

type Result = AddPartitionsToTxnResponse['resultsByTopicV3AndBelow'];

export default defineHandler({
  api: AddPartitionsToTxn,
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, req): Promise<AddPartitionsToTxnResponse> {
    const version = ctx.header.apiVersion;
    const transactionalId = req.v3AndBelowTransactionalId;
    // The request's partitions, each once, grouped by topic in request order.
    const topics = new Map<string, number[]>();
    for (const t of req.v3AndBelowTopics) {
      const list = topics.get(t.name) ?? [];
      for (const p of t.partitions) if (!list.includes(p)) list.push(p);
      topics.set(t.name, list);
    }
    const respond = (code: (topic: string, partition: number) => number): AddPartitionsToTxnResponse => ({
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      resultsByTransaction: [],
      resultsByTopicV3AndBelow: [...topics].map(([name, partitions]): Result[number] => ({
        name, resultsByPartition: partitions.map((partitionIndex) => ({ partitionIndex, partitionErrorCode: code(name, partitionIndex) })),
      })),
    });
    if (!authorize(ctx, 'WRITE', 'TRANSACTIONAL_ID', transactionalId)) return respond(() => ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);

    const failed = new Map<string, number>();
    for (const [name, partitions] of topics) {
      const authorized = !isInternalTopic(name) && authorize(ctx, 'WRITE', 'TOPIC', name);
      for (const p of partitions) {
        if (!authorized) failed.set(`${name}\u0000${p}`, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
        else if (!ctx.broker.replicaManager.inMetadata(name, p)) failed.set(`${name}\u0000${p}`, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      }
    }
    if (failed.size > 0) return respond((t, p) => failed.get(`${t}\u0000${p}`) ?? ErrorCode.OPERATION_NOT_ATTEMPTED);

    const transactions = ctx.broker.transactions;
    const unavailable = await transactions.availability();
    if (unavailable !== ErrorCode.NONE) return respond(() => unavailable);
    const partitions = [...topics].flatMap(([topic, ps]) => ps.map((partition) => ({ topic, partition })));
    const code = await transactions.service.addPartitionsToTransaction(transactionalId, req.v3AndBelowProducerId, req.v3AndBelowProducerEpoch, partitions);
    return respond(() => fencedErrorFor(code, version, 2));
  },
});
