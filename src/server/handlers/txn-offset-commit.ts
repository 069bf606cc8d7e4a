/**
 * TxnOffsetCommit (API key 28), versions 0-5: a transactional producer commits a group's
 * offsets inside its transaction (consume-transform-produce, `sendOffsetsToTransaction`).
 *
 * Behavior (Kafka's KafkaApis.handleTxnOffsetCommitRequest + GroupCoordinatorService
 * .commitTransactionalOffsets):
 * - WRITE on the transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED) and READ on the
 *   group (GROUP_AUTHORIZATION_FAILED), for every partition.
 * - Per partition: a topic without READ → TOPIC_AUTHORIZATION_FAILED, one the metadata does not
 *   name → UNKNOWN_TOPIC_OR_PARTITION; the rest go to the group coordinator.
 * - KIP-890 (Kafka's group coordinator through AddPartitionsToTxnManager, by version): v0-4
 *   verify (transaction.partition.verification.enable, default true) that the group's
 *   `__consumer_offsets` partition is in the producer's ongoing transaction (added by
 *   AddOffsetsToTxn); v5 (Transaction V2, no AddOffsetsToTxn) adds it to the transaction. On
 *   failure every partition answers the coordinator's error: INVALID_TXN_STATE (v0-3) /
 *   TRANSACTION_ABORTABLE (v4+) for a partition not in the transaction, INVALID_PRODUCER_EPOCH,
 *   INVALID_PRODUCER_ID_MAPPING, CONCURRENT_TRANSACTIONS, NOT_COORDINATOR,
 *   COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE.
 * - The group coordinator validates like OffsetCommit, marked transactional (an unknown group
 *   with a generation ≥ 0 is ILLEGAL_GENERATION; no REBALANCE_IN_PROGRESS; v0-2 carry no
 *   member), answers OFFSET_METADATA_TOO_LARGE per partition, and writes the offsets to the
 *   group's partition as one transactional batch of the producer. They stay pending — OffsetFetch
 *   does not show them, with requireStable it answers UNSTABLE_OFFSET_COMMIT — until the
 *   transaction's COMMIT marker reaches that partition (then they are the committed offsets);
 *   an ABORT drops them.
 * Version notes: v2 committedLeaderEpoch; v3 generationId/memberId/groupInstanceId and flexible;
 * v4 may answer TRANSACTION_ABORTABLE; v5 is v4 with the implicit add of Transaction V2.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { TxnOffsetCommit, type TxnOffsetCommitRequest, type TxnOffsetCommitResponse } from '../../protocol/messages/txn-offset-commit.js';
import { GROUP_METADATA_TOPIC_NAME } from '../../cluster/topic-name.js';
import { authorize, defineHandler } from '../handler.js';
import { getGroupRuntime } from '../group-runtime.js';
import { partitionExists, tpKey } from './_group-helpers.js';
import { offsetsPartitionFor } from './_txn-helpers.js';
import { txnOffsetCommitTransactionOperation } from '../transaction-runtime.js';

export default defineHandler({
  api: TxnOffsetCommit,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req): Promise<TxnOffsetCommitResponse> {
    const broker = ctx.broker;
    const respond = (code: (topic: string, partition: number) => number): TxnOffsetCommitResponse => ({
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code(t.name, p.partitionIndex) })) })),
    });
    if (!authorize(ctx, 'WRITE', 'TRANSACTIONAL_ID', req.transactionalId)) return respond(() => ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    if (!authorize(ctx, 'READ', 'GROUP', req.groupId)) return respond(() => ErrorCode.GROUP_AUTHORIZATION_FAILED);

    const codes = new Map<string, number>();
    const known: TxnOffsetCommitRequest = { ...req, topics: [] };
    for (const t of req.topics) {
      const readable = authorize(ctx, 'READ', 'TOPIC', t.name);
      const partitions = t.partitions.filter((p) => {
        const code = !readable ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : !partitionExists(broker, t.name, p.partitionIndex) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : null;
        if (code !== null) codes.set(tpKey(t.name, p.partitionIndex), code);
        return code === null;
      });
      if (partitions.length > 0) known.topics.push({ name: t.name, partitions });
    }
    const answer = () => respond((t, p) => codes.get(tpKey(t, p)) ?? ErrorCode.UNKNOWN_SERVER_ERROR);
    if (known.topics.length === 0) return answer();
    const setAll = (code: number) => { for (const t of known.topics) for (const p of t.partitions) codes.set(tpKey(t.name, p.partitionIndex), code); };

    const groups = getGroupRuntime(broker);
    const unavailable = await groups.availability();
    if (unavailable !== ErrorCode.NONE) {
      setAll(unavailable);
      return answer();
    }
    const operation = txnOffsetCommitTransactionOperation(ctx.header.apiVersion);
    if (operation === 'addPartition' || broker.config.getBoolean('transaction.partition.verification.enable')) {
      const offsetsPartition = { topic: GROUP_METADATA_TOPIC_NAME, partition: offsetsPartitionFor(broker, req.groupId) };
      const [verified] = await broker.transactions.addOrVerify(req.transactionalId, req.producerId, req.producerEpoch, [offsetsPartition], operation);
      if (verified !== ErrorCode.NONE) {
        setAll(verified!);
        return answer();
      }
    }
    const res = await groups.service.commitTransactionalOffsets(known);
    for (const t of res.topics) for (const p of t.partitions) codes.set(tpKey(t.name, p.partitionIndex), p.errorCode);
    return answer();
  },
});
