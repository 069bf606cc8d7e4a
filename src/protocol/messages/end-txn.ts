/**
 * EndTxn (API key 26), versions 0-5. Our own definition in the notation of ../schema.ts.
 */
import { api, f, message } from '../schema.js';

const endTxnRequest = message(26, 'EndTxn', 'request', '0-5', '3+', [
  f('transactionalId', 'string', '0+'),
  f('producerId', 'int64', '0+'),
  f('producerEpoch', 'int16', '0+'),
  f('committed', 'bool', '0+'),
]);

const endTxnResponse = message(26, 'EndTxn', 'response', '0-5', '3+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('errorCode', 'int16', '0+'),
  f('producerId', 'int64', '5+', { default: -1 }),
  f('producerEpoch', 'int16', '5+', { default: -1 }),
]);

export interface EndTxnRequest {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  committed: boolean;
}

export interface EndTxnResponse {
  throttleTimeMs: number;
  errorCode: number;
  producerId: number;
  producerEpoch: number;
}

export const EndTxn = api<EndTxnRequest, EndTxnResponse>(endTxnRequest, endTxnResponse);
