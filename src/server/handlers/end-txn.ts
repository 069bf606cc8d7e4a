/**
 * EndTxn (API key 26), versions 0-4: commit or abort the producer's ongoing transaction.
 *
 * Behavior (Kafka's KafkaApis.handleEndTxnRequest + TransactionCoordinator.handleEndTransaction,
 * Transaction V1): WRITE on the transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED). The
 * answer comes once PrepareCommit/PrepareAbort is durable in `__transaction_state`; the
 * coordinator then writes the markers to every partition of the transaction and finally
 * CompleteCommit/CompleteAbort. Errors: INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED,
 * CONCURRENT_TRANSACTIONS (a previous end is still completing, retriable), INVALID_TXN_STATE
 * (nothing to end, or the other outcome is in progress or done), NOT_COORDINATOR,
 * COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, INVALID_REQUEST. Ending with the
 * outcome already reached is NONE (a retry).
 * Version notes: v1 = v0; v2 answers PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before); v3
 * flexible; v4 may answer TRANSACTION_ABORTABLE (never here). v5 (Transaction V2, KIP-890
 * part 2) is not served.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { EndTxn, type EndTxnResponse } from '../../protocol/messages/end-txn.js';
import { authorize, defineHandler } from '../handler.js';
import { fencedErrorFor } from './_txn-helpers.js';

const reply = (errorCode: number): EndTxnResponse => ({ throttleTimeMs: 0, errorCode, producerId: -1, producerEpoch: -1 });

export default defineHandler({
  api: EndTxn,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, req): Promise<EndTxnResponse> {
    if (!authorize(ctx, 'WRITE', 'TRANSACTIONAL_ID', req.transactionalId)) return reply(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    const transactions = ctx.broker.transactions;
    const unavailable = await transactions.availability();
    if (unavailable !== ErrorCode.NONE) return reply(unavailable);
    const code = await transactions.service.endTransaction(req.transactionalId, req.producerId, req.producerEpoch, req.committed ? 'COMMIT' : 'ABORT');
    return reply(fencedErrorFor(code, ctx.header.apiVersion, 2));
  },
});
