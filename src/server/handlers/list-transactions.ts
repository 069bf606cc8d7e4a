/**
 * ListTransactions (API key 66), versions 0-1: the transactional ids this broker coordinates
 * (kafka-transactions.sh list asks every broker).
 *
 * Behavior (Kafka's TransactionStateManager.listTransactionStates): every transactional id of
 * the `__transaction_state` partitions led here, with its producer id and state, filtered by
 * stateFilters (names Kafka does not know are returned in unknownStateFilters and match nothing),
 * producerIdFilters, and (v1) durationFilter: with a value ≥ 0 only transactions running longer
 * than that many ms. Ids the principal may not DESCRIBE are left out. COORDINATOR_LOAD_IN_PROGRESS
 * while a partition loads. Before `__transaction_state` exists the list is empty (nothing is
 * created for this request).
 * Version notes: v1 durationFilter (-1: none).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { ListTransactions, type ListTransactionsResponse } from '../../protocol/messages/list-transactions.js';
import { isTransactionState } from '../../coordinator/transaction/transaction-state.js';
import { authorize, defineHandler } from '../handler.js';

export default defineHandler({
  api: ListTransactions,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, req): Promise<ListTransactionsResponse> {
    const service = ctx.broker.transactions.serviceIfStarted;
    const durationFilter = ctx.header.apiVersion >= 1 ? req.durationFilter : -1;
    if (service === undefined) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, unknownStateFilters: req.stateFilters.filter((s) => !isTransactionState(s)), transactionStates: [] };
    }
    const listed = await service.listTransactions(req.stateFilters, req.producerIdFilters, durationFilter);
    return {
      throttleTimeMs: 0,
      errorCode: listed.errorCode,
      unknownStateFilters: listed.unknownStateFilters,
      transactionStates: listed.transactionStates.filter((t) => authorize(ctx, 'DESCRIBE', 'TRANSACTIONAL_ID', t.transactionalId)),
    };
  },
});
