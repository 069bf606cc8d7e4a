/**
 * InitProducerId (API key 22), versions 0-5. Our own definition in the notation of ../schema.ts.
 */
import { api, f, message } from '../schema.js';

const initProducerIdRequest = message(22, 'InitProducerId', 'request', '0-5', '2+', [
  f('transactionalId', 'string', '0+', { nullable: '0+' }),
  f('transactionTimeoutMs', 'int32', '0+'),
  f('producerId', 'int64', '3+', { default: -1 }),
  f('producerEpoch', 'int16', '3+', { default: -1 }),
]);

const initProducerIdResponse = message(22, 'InitProducerId', 'response', '0-5', '2+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('errorCode', 'int16', '0+'),
  f('producerId', 'int64', '0+', { default: -1 }),
  f('producerEpoch', 'int16', '0+'),
]);

export interface InitProducerIdRequest {
  transactionalId: string | null;
  transactionTimeoutMs: number;
  producerId: number;
  producerEpoch: number;
}

export interface InitProducerIdResponse {
  throttleTimeMs: number;
  errorCode: number;
  producerId: number;
  producerEpoch: number;
}

export const InitProducerId = api<InitProducerIdRequest, InitProducerIdResponse>(initProducerIdRequest, initProducerIdResponse);
