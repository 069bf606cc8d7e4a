/**
 * AddOffsetsToTxn (API key 25), versions 0-4: a transactional producer about to commit a
 * group's offsets adds the group's `__consumer_offsets` partition to its transaction (its
 * TxnOffsetCommit then goes to the group coordinator).
 *
 * Behavior (Kafka's KafkaApis.handleAddOffsetsToTxnRequest): WRITE on the transactional id
 * (TRANSACTIONAL_ID_AUTHORIZATION_FAILED), READ on the group (GROUP_AUTHORIZATION_FAILED); then
 * the transaction coordinator adds `__consumer_offsets-<partition of the group>` (Java hashCode
 * of the group id, as the group coordinator places it) with AddPartitionsToTxn's answers:
 * NONE, INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED, CONCURRENT_TRANSACTIONS, NOT_COORDINATOR,
 * COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, INVALID_REQUEST.
 * Version notes: v1 = v0; v2 answers PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before); v3
 * flexible; v4 may answer TRANSACTION_ABORTABLE (never here).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { AddOffsetsToTxn, type AddOffsetsToTxnResponse } from '../../protocol/messages/add-offsets-to-txn.js';
import { GROUP_METADATA_TOPIC_NAME } from '../../cluster/topic-name.js';
import { authorize, defineHandler } from '../handler.js';
import { fencedErrorFor, offsetsPartitionFor } from './_txn-helpers.js';

const reply = (errorCode: number): AddOffsetsToTxnResponse => ({ throttleTimeMs: 0, errorCode });

export default defineHandler({
  api: AddOffsetsToTxn,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, req): Promise<AddOffsetsToTxnResponse> {
    if (!authorize(ctx, 'WRITE', 'TRANSACTIONAL_ID', req.transactionalId)) return reply(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    if (!authorize(ctx, 'READ', 'GROUP', req.groupId)) return reply(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const transactions = ctx.broker.transactions;
    const unavailable = await transactions.availability();
    if (unavailable !== ErrorCode.NONE) return reply(unavailable);
    const offsets = { topic: GROUP_METADATA_TOPIC_NAME, partition: offsetsPartitionFor(ctx.broker, req.groupId) };
    const code = await transactions.service.addPartitionsToTransaction(req.transactionalId, req.producerId, req.producerEpoch, [offsets]);
    return reply(fencedErrorFor(code, ctx.header.apiVersion, 2));
  },
});
