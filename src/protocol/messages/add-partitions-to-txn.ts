/**
 * AddPartitionsToTxn (API key 24), versions 0-5. Our own definition in the notation of ../schema.ts.
 */
import { api, f, message } from '../schema.js';

const addPartitionsToTxnRequest = message(24, 'AddPartitionsToTxn', 'request', '0-5', '3+', [
  f('transactions', '[]AddPartitionsToTxnTransaction', '4+', {}, [
    f('transactionalId', 'string', '4+', { mapKey: true }),
    f('producerId', 'int64', '4+'),
    f('producerEpoch', 'int16', '4+'),
    f('verifyOnly', 'bool', '4+', { default: false }),
    f('topics', '[]AddPartitionsToTxnTopic', '4+', {}, [
      f('name', 'string', '0+', { mapKey: true }),
      f('partitions', '[]int32', '0+'),
    ]),
  ]),
  f('v3AndBelowTransactionalId', 'string', '0-3'),
  f('v3AndBelowProducerId', 'int64', '0-3'),
  f('v3AndBelowProducerEpoch', 'int16', '0-3'),
  f('v3AndBelowTopics', '[]AddPartitionsToTxnTopic', '0-3', {}, [
    f('name', 'string', '0+', { mapKey: true }),
    f('partitions', '[]int32', '0+'),
  ]),
]);

const addPartitionsToTxnResponse = message(24, 'AddPartitionsToTxn', 'response', '0-5', '3+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('errorCode', 'int16', '4+'),
  f('resultsByTransaction', '[]AddPartitionsToTxnResult', '4+', {}, [
    f('transactionalId', 'string', '4+', { mapKey: true }),
    f('topicResults', '[]AddPartitionsToTxnTopicResult', '4+', {}, [
      f('name', 'string', '0+', { mapKey: true }),
      f('resultsByPartition', '[]AddPartitionsToTxnPartitionResult', '0+', {}, [
        f('partitionIndex', 'int32', '0+', { mapKey: true }),
        f('partitionErrorCode', 'int16', '0+'),
      ]),
    ]),
  ]),
  f('resultsByTopicV3AndBelow', '[]AddPartitionsToTxnTopicResult', '0-3', {}, [
    f('name', 'string', '0+', { mapKey: true }),
    f('resultsByPartition', '[]AddPartitionsToTxnPartitionResult', '0+', {}, [
      f('partitionIndex', 'int32', '0+', { mapKey: true }),
      f('partitionErrorCode', 'int16', '0+'),
    ]),
  ]),
]);

export interface AddPartitionsToTxnRequest {
  transactions: AddPartitionsToTxnRequestAddPartitionsToTxnTransaction[];
  v3AndBelowTransactionalId: string;
  v3AndBelowProducerId: number;
  v3AndBelowProducerEpoch: number;
  v3AndBelowTopics: AddPartitionsToTxnRequestAddPartitionsToTxnTopic[];
}

export interface AddPartitionsToTxnRequestAddPartitionsToTxnTransaction {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  verifyOnly: boolean;
  topics: AddPartitionsToTxnRequestAddPartitionsToTxnTopic[];
}

export interface AddPartitionsToTxnRequestAddPartitionsToTxnTopic {
  name: string;
  partitions: number[];
}

export interface AddPartitionsToTxnResponse {
  throttleTimeMs: number;
  errorCode: number;
  resultsByTransaction: AddPartitionsToTxnResponseAddPartitionsToTxnResult[];
  resultsByTopicV3AndBelow: AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult[];
}

export interface AddPartitionsToTxnResponseAddPartitionsToTxnResult {
  transactionalId: string;
  topicResults: AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult[];
}

export interface AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult {
  name: string;
  resultsByPartition: AddPartitionsToTxnResponseAddPartitionsToTxnPartitionResult[];
}

export interface AddPartitionsToTxnResponseAddPartitionsToTxnPartitionResult {
  partitionIndex: number;
  partitionErrorCode: number;
}

export const AddPartitionsToTxn = api<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>(addPartitionsToTxnRequest, addPartitionsToTxnResponse);
