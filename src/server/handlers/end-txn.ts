/**
 * EndTxn (API key 26), versions 0-5: commit or abort the producer's ongoing transaction.
 *
 * Behavior (Kafka's KafkaApis.handleEndTxnRequest + TransactionCoordinator.handleEndTransaction,
 * v0-4 = Transaction V1): WRITE on the transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED). The
 * answer comes once PrepareCommit/PrepareAbort is durable in `__transaction_state`; the
 * coordinator then writes the markers to every partition of the transaction and finally
 * CompleteCommit/CompleteAbort. Errors: INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED,
 * CONCURRENT_TRANSACTIONS (a previous end is still completing, retriable), INVALID_TXN_STATE
 * (nothing to end, or the other outcome is in progress or done), NOT_COORDINATOR,
 * COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, INVALID_REQUEST. Ending with the
 * outcome already reached is NONE (a retry).
 * Version notes: v1 = v0; v2 answers PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before); v3
 * flexible; v4 may answer TRANSACTION_ABORTABLE (never here). v5 is Transaction V2 (KIP-890
 * part 2, Kafka's endTransaction with epoch bump): the transaction ends at the next epoch (a
 * new producer id at epoch 0 when the epoch is exhausted), which the answer's producerId /
 * producerEpoch hand to the client; a retry carries the epoch before the bump (see
 * transaction-coordinator-shard.ts for Kafka's table). Served whatever transaction.version is
 * finalized, as Kafka does: clients only use it when the feature says 2.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { EndTxn, type EndTxnResponse } from '../../protocol/messages/end-txn.js';
import { authorize, defineHandler } from '../handler.js';
import { fencedErrorFor } from './_txn-helpers.js';

const reply = (errorCode: number): EndTxnResponse => ({ throttleTimeMs: 0, errorCode, producerId: -1, producerEpoch: -1 });

export default defineHandler({
  api: EndTxn,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req): Promise<EndTxnResponse> {
    if (!authorize(ctx, 'WRITE', 'TRANSACTIONAL_ID', req.transactionalId)) return reply(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    const transactions = ctx.broker.transactions;
    const unavailable = await transactions.availability();
    if (unavailable !== ErrorCode.NONE) return reply(unavailable);
    const result = req.committed ? 'COMMIT' : 'ABORT';
    if (ctx.header.apiVersion >= 5) {
      const outcome = await transactions.service.endTransactionV2(req.transactionalId, req.producerId, req.producerEpoch, result);
      return { throttleTimeMs: 0, ...outcome };
    }
    const code = await transactions.service.endTransaction(req.transactionalId, req.producerId, req.producerEpoch, result);
    return reply(fencedErrorFor(code, ctx.header.apiVersion, 2));
  },
});
