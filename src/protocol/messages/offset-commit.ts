/**
 * OffsetCommit (API key 8), versions 2-9. Our own definition in the notation of ../schema.ts.
 */
import { api, f, message } from '../schema.js';

const offsetCommitRequest = message(8, 'OffsetCommit', 'request', '2-9', '8+', [
  f('groupId', 'string', '0+'),
  f('generationIdOrMemberEpoch', 'int32', '1+', { default: -1 }),
  f('memberId', 'string', '1+'),
  f('groupInstanceId', 'string', '7+', { nullable: '7+', default: null }),
  f('retentionTimeMs', 'int64', '2-4', { default: -1 }),
  f('topics', '[]OffsetCommitRequestTopic', '0+', {}, [
    f('name', 'string', '0+'),
    f('partitions', '[]OffsetCommitRequestPartition', '0+', {}, [
      f('partitionIndex', 'int32', '0+'),
      f('committedOffset', 'int64', '0+'),
      f('committedLeaderEpoch', 'int32', '6+', { default: -1 }),
      f('commitTimestamp', 'int64', '1', { default: -1 }),
      f('committedMetadata', 'string', '0+', { nullable: '0+' }),
    ]),
  ]),
]);

const offsetCommitResponse = message(8, 'OffsetCommit', 'response', '2-9', '8+', [
  f('throttleTimeMs', 'int32', '3+'),
  f('topics', '[]OffsetCommitResponseTopic', '0+', {}, [
    f('name', 'string', '0+'),
    f('partitions', '[]OffsetCommitResponsePartition', '0+', {}, [
      f('partitionIndex', 'int32', '0+'),
      f('errorCode', 'int16', '0+'),
    ]),
  ]),
]);

export interface OffsetCommitRequest {
  groupId: string;
  generationIdOrMemberEpoch: number;
  memberId: string;
  groupInstanceId: string | null;
  retentionTimeMs: number;
  topics: OffsetCommitRequestOffsetCommitRequestTopic[];
}

export interface OffsetCommitRequestOffsetCommitRequestTopic {
  name: string;
  partitions: OffsetCommitRequestOffsetCommitRequestPartition[];
}

export interface OffsetCommitRequestOffsetCommitRequestPartition {
  partitionIndex: number;
  committedOffset: number;
  committedLeaderEpoch: number;
  commitTimestamp: number;
  committedMetadata: string | null;
}

export interface OffsetCommitResponse {
  throttleTimeMs: number;
  topics: OffsetCommitResponseOffsetCommitResponseTopic[];
}

export interface OffsetCommitResponseOffsetCommitResponseTopic {
  name: string;
  partitions: OffsetCommitResponseOffsetCommitResponsePartition[];
}

export interface OffsetCommitResponseOffsetCommitResponsePartition {
  partitionIndex: number;
  errorCode: number;
}

export const OffsetCommit = api<OffsetCommitRequest, OffsetCommitResponse>(offsetCommitRequest, offsetCommitResponse);
