/**
 * OffsetForLeaderEpoch (API key 23), versions 2-4. Our own definition in the notation of ../schema.ts.
 */
import { api, f, message } from '../schema.js';

const offsetForLeaderEpochRequest = message(23, 'OffsetForLeaderEpoch', 'request', '2-4', '4+', [
  f('replicaId', 'int32', '3+', { default: -2 }),
  f('topics', '[]OffsetForLeaderTopic', '0+', {}, [
    f('topic', 'string', '0+', { mapKey: true }),
    f('partitions', '[]OffsetForLeaderPartition', '0+', {}, [
      f('partition', 'int32', '0+'),
      f('currentLeaderEpoch', 'int32', '2+', { default: -1 }),
      f('leaderEpoch', 'int32', '0+'),
    ]),
  ]),
]);

const offsetForLeaderEpochResponse = message(23, 'OffsetForLeaderEpoch', 'response', '2-4', '4+', [
  f('throttleTimeMs', 'int32', '2+'),
  f('topics', '[]OffsetForLeaderTopicResult', '0+', {}, [
    f('topic', 'string', '0+', { mapKey: true }),
    f('partitions', '[]EpochEndOffset', '0+', {}, [
      f('errorCode', 'int16', '0+'),
      f('partition', 'int32', '0+'),
      f('leaderEpoch', 'int32', '1+', { default: -1 }),
      f('endOffset', 'int64', '0+', { default: -1 }),
    ]),
  ]),
]);

export interface OffsetForLeaderEpochRequest {
  replicaId: number;
  topics: OffsetForLeaderEpochRequestOffsetForLeaderTopic[];
}

export interface OffsetForLeaderEpochRequestOffsetForLeaderTopic {
  topic: string;
  partitions: OffsetForLeaderEpochRequestOffsetForLeaderPartition[];
}

export interface OffsetForLeaderEpochRequestOffsetForLeaderPartition {
  partition: number;
  currentLeaderEpoch: number;
  leaderEpoch: number;
}

export interface OffsetForLeaderEpochResponse {
  throttleTimeMs: number;
  topics: OffsetForLeaderEpochResponseOffsetForLeaderTopicResult[];
}

export interface OffsetForLeaderEpochResponseOffsetForLeaderTopicResult {
  topic: string;
  partitions: OffsetForLeaderEpochResponseEpochEndOffset[];
}

export interface OffsetForLeaderEpochResponseEpochEndOffset {
  errorCode: number;
  partition: number;
  leaderEpoch: number;
  endOffset: number;
}

export const OffsetForLeaderEpoch = api<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse>(offsetForLeaderEpochRequest, offsetForLeaderEpochResponse);
