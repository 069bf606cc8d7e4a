/**
 * AddOffsetsToTxn (API key 25), versions 0-4. Our own definition in the notation of ../schema.ts.
 */
import { api, f, message } from '../schema.js';

const addOffsetsToTxnRequest = message(25, 'AddOffsetsToTxn', 'request', '0-4', '3+', [
  f('transactionalId', 'string', '0+'),
  f('producerId', 'int64', '0+'),
  f('producerEpoch', 'int16', '0+'),
  f('groupId', 'string', '0+'),
]);

const addOffsetsToTxnResponse = message(25, 'AddOffsetsToTxn', 'response', '0-4', '3+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('errorCode', 'int16', '0+'),
]);

export interface AddOffsetsToTxnRequest {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  groupId: string;
}

export interface AddOffsetsToTxnResponse {
  throttleTimeMs: number;
  errorCode: number;
}

export const AddOffsetsToTxn = api<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse>(addOffsetsToTxnRequest, addOffsetsToTxnResponse);
