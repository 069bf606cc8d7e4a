/**
 * TxnOffsetCommit (API key 28), versions 0-5 (v5, Kafka 4.0: the same as v4; the offsets partition is added to the transaction). Our own definition in the notation of ../schema.ts.
 */
import { api, f, message } from '../schema.js';

const txnOffsetCommitRequest = message(28, 'TxnOffsetCommit', 'request', '0-5', '3+', [
  f('transactionalId', 'string', '0+'),
  f('groupId', 'string', '0+'),
  f('producerId', 'int64', '0+'),
  f('producerEpoch', 'int16', '0+'),
  f('generationId', 'int32', '3+', { default: -1 }),
  f('memberId', 'string', '3+', { default: "" }),
  f('groupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
  f('topics', '[]TxnOffsetCommitRequestTopic', '0+', {}, [
    f('name', 'string', '0+'),
    f('partitions', '[]TxnOffsetCommitRequestPartition', '0+', {}, [
      f('partitionIndex', 'int32', '0+'),
      f('committedOffset', 'int64', '0+'),
      f('committedLeaderEpoch', 'int32', '2+', { default: -1 }),
      f('committedMetadata', 'string', '0+', { nullable: '0+' }),
    ]),
  ]),
]);

const txnOffsetCommitResponse = message(28, 'TxnOffsetCommit', 'response', '0-5', '3+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('topics', '[]TxnOffsetCommitResponseTopic', '0+', {}, [
    f('name', 'string', '0+'),
    f('partitions', '[]TxnOffsetCommitResponsePartition', '0+', {}, [
      f('partitionIndex', 'int32', '0+'),
      f('errorCode', 'int16', '0+'),
    ]),
  ]),
]);

export interface TxnOffsetCommitRequest {
  transactionalId: string;
  groupId: string;
  producerId: number;
  producerEpoch: number;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  topics: TxnOffsetCommitRequestTxnOffsetCommitRequestTopic[];
}

export interface TxnOffsetCommitRequestTxnOffsetCommitRequestTopic {
  name: string;
  partitions: TxnOffsetCommitRequestTxnOffsetCommitRequestPartition[];
}

export interface TxnOffsetCommitRequestTxnOffsetCommitRequestPartition {
  partitionIndex: number;
  committedOffset: number;
  committedLeaderEpoch: number;
  committedMetadata: string | null;
}

export interface TxnOffsetCommitResponse {
  throttleTimeMs: number;
  topics: TxnOffsetCommitResponseTxnOffsetCommitResponseTopic[];
}

export interface TxnOffsetCommitResponseTxnOffsetCommitResponseTopic {
  name: string;
  partitions: TxnOffsetCommitResponseTxnOffsetCommitResponsePartition[];
}

export interface TxnOffsetCommitResponseTxnOffsetCommitResponsePartition {
  partitionIndex: number;
  errorCode: number;
}

export const TxnOffsetCommit = api<TxnOffsetCommitRequest, TxnOffsetCommitResponse>(txnOffsetCommitRequest, txnOffsetCommitResponse);
