/**
 * ListTransactions (API key 66), versions 0-1. Our own definition in the notation of ../schema.ts.
 */
import { api, f, message } from '../schema.js';

const listTransactionsRequest = message(66, 'ListTransactions', 'request', '0-1', '0+', [
  f('stateFilters', '[]string', '0+'),
  f('producerIdFilters', '[]int64', '0+'),
  f('durationFilter', 'int64', '1+', { default: -1 }),
]);

const listTransactionsResponse = message(66, 'ListTransactions', 'response', '0-1', '0+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('errorCode', 'int16', '0+'),
  f('unknownStateFilters', '[]string', '0+'),
  f('transactionStates', '[]TransactionState', '0+', {}, [
    f('transactionalId', 'string', '0+'),
    f('producerId', 'int64', '0+'),
    f('transactionState', 'string', '0+'),
  ]),
]);

export interface ListTransactionsRequest {
  stateFilters: string[];
  producerIdFilters: number[];
  durationFilter: number;
}

export interface ListTransactionsResponse {
  throttleTimeMs: number;
  errorCode: number;
  unknownStateFilters: string[];
  transactionStates: ListTransactionsResponseTransactionState[];
}

export interface ListTransactionsResponseTransactionState {
  transactionalId: string;
  producerId: number;
  transactionState: string;
}

export const ListTransactions = api<ListTransactionsRequest, ListTransactionsResponse>(listTransactionsRequest, listTransactionsResponse);
