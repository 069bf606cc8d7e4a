/**
 * DescribeTransactions (API key 65), versions 0. Our own definition in the notation of ../schema.ts.
 */
import { api, f, message } from '../schema.js';

const describeTransactionsRequest = message(65, 'DescribeTransactions', 'request', '0', '0+', [
  f('transactionalIds', '[]string', '0+'),
]);

const describeTransactionsResponse = message(65, 'DescribeTransactions', 'response', '0', '0+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('transactionStates', '[]TransactionState', '0+', {}, [
    f('errorCode', 'int16', '0+'),
    f('transactionalId', 'string', '0+'),
    f('transactionState', 'string', '0+'),
    f('transactionTimeoutMs', 'int32', '0+'),
    f('transactionStartTimeMs', 'int64', '0+'),
    f('producerId', 'int64', '0+'),
    f('producerEpoch', 'int16', '0+'),
    f('topics', '[]TopicData', '0+', {}, [
      f('topic', 'string', '0+', { mapKey: true }),
      f('partitions', '[]int32', '0+'),
    ]),
  ]),
]);

export interface DescribeTransactionsRequest {
  transactionalIds: string[];
}

export interface DescribeTransactionsResponse {
  throttleTimeMs: number;
  transactionStates: DescribeTransactionsResponseTransactionState[];
}

export interface DescribeTransactionsResponseTransactionState {
  errorCode: number;
  transactionalId: string;
  transactionState: string;
  transactionTimeoutMs: number;
  transactionStartTimeMs: number;
  producerId: number;
  producerEpoch: number;
  topics: DescribeTransactionsResponseTopicData[];
}

export interface DescribeTransactionsResponseTopicData {
  topic: string;
  partitions: number[];
}

export const DescribeTransactions = api<DescribeTransactionsRequest, DescribeTransactionsResponse>(describeTransactionsRequest, describeTransactionsResponse);
