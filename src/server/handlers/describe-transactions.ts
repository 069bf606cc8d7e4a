/**
 * DescribeTransactions (API key 65), version 0: the state of transactional ids
 * (kafka-transactions.sh describe).
 *
 * Behavior (Kafka's KafkaApis.handleDescribeTransactionsRequest + TransactionCoordinator
 * .handleDescribeTransactions), per id: DESCRIBE on it, else TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
 * an empty id INVALID_REQUEST; NOT_COORDINATOR when its `__transaction_state` partition is not
 * led here, COORDINATOR_LOAD_IN_PROGRESS while it loads; TRANSACTIONAL_ID_NOT_FOUND for an
 * unknown (or expired) id; otherwise its state name (Empty, Ongoing, PrepareCommit, ...),
 * timeout, start time (-1 outside a transaction), producer id and epoch, and the partitions of
 * the transaction by topic (only topics the principal may DESCRIBE). Errors carry "" and zeros.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { DescribeTransactions, type DescribeTransactionsResponse } from '../../protocol/messages/describe-transactions.js';
import { describeError } from '../../coordinator/transaction/transaction-coordinator-shard.js';
import { authorize, defineHandler } from '../handler.js';

export default defineHandler({
  api: DescribeTransactions,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, req): Promise<DescribeTransactionsResponse> {
    const transactions = ctx.broker.transactions;
    const unavailable = req.transactionalIds.length === 0 ? ErrorCode.NONE : await transactions.availability();
    const transactionStates = await Promise.all(req.transactionalIds.map(async (id) => {
      if (!authorize(ctx, 'DESCRIBE', 'TRANSACTIONAL_ID', id)) return describeError(id, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
      if (unavailable !== ErrorCode.NONE) return describeError(id, unavailable);
      const d = await transactions.service.describeTransaction(id);
      return { ...d, topics: d.topics.filter((t) => authorize(ctx, 'DESCRIBE', 'TOPIC', t.topic)) };
    }));
    return { throttleTimeMs: 0, transactionStates };
  },
});
