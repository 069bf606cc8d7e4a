/**
 * OffsetFetch (API key 9), versions 1-9. Our own definition in the notation of ../schema.ts.
 */
import { api, f, message } from '../schema.js';

const offsetFetchRequest = message(9, 'OffsetFetch', 'request', '1-9', '6+', [
  f('groupId', 'string', '0-7'),
  f('topics', '[]OffsetFetchRequestTopic', '0-7', { nullable: '2-7' }, [
    f('name', 'string', '0-7'),
    f('partitionIndexes', '[]int32', '0-7'),
  ]),
  f('groups', '[]OffsetFetchRequestGroup', '8+', {}, [
    f('groupId', 'string', '8+'),
    f('memberId', 'string', '9+', { nullable: '9+', default: null }),
    f('memberEpoch', 'int32', '9+', { default: -1 }),
    f('topics', '[]OffsetFetchRequestTopics', '8+', { nullable: '8+' }, [
      f('name', 'string', '8+'),
      f('partitionIndexes', '[]int32', '8+'),
    ]),
  ]),
  f('requireStable', 'bool', '7+', { default: false }),
]);

const offsetFetchResponse = message(9, 'OffsetFetch', 'response', '1-9', '6+', [
  f('throttleTimeMs', 'int32', '3+'),
  f('topics', '[]OffsetFetchResponseTopic', '0-7', {}, [
    f('name', 'string', '0-7'),
    f('partitions', '[]OffsetFetchResponsePartition', '0-7', {}, [
      f('partitionIndex', 'int32', '0-7'),
      f('committedOffset', 'int64', '0-7'),
      f('committedLeaderEpoch', 'int32', '5-7', { default: -1 }),
      f('metadata', 'string', '0-7', { nullable: '0-7' }),
      f('errorCode', 'int16', '0-7'),
    ]),
  ]),
  f('errorCode', 'int16', '2-7', { default: 0 }),
  f('groups', '[]OffsetFetchResponseGroup', '8+', {}, [
    f('groupId', 'string', '8+'),
    f('topics', '[]OffsetFetchResponseTopics', '8+', {}, [
      f('name', 'string', '8+'),
      f('partitions', '[]OffsetFetchResponsePartitions', '8+', {}, [
        f('partitionIndex', 'int32', '8+'),
        f('committedOffset', 'int64', '8+'),
        f('committedLeaderEpoch', 'int32', '8+', { default: -1 }),
        f('metadata', 'string', '8+', { nullable: '8+' }),
        f('errorCode', 'int16', '8+'),
      ]),
    ]),
    f('errorCode', 'int16', '8+', { default: 0 }),
  ]),
]);

export interface OffsetFetchRequest {
  groupId: string;
  topics: OffsetFetchRequestOffsetFetchRequestTopic[] | null;
  groups: OffsetFetchRequestOffsetFetchRequestGroup[];
  requireStable: boolean;
}

export interface OffsetFetchRequestOffsetFetchRequestTopic {
  name: string;
  partitionIndexes: number[];
}

export interface OffsetFetchRequestOffsetFetchRequestGroup {
  groupId: string;
  memberId: string | null;
  memberEpoch: number;
  topics: OffsetFetchRequestOffsetFetchRequestTopics[] | null;
}

export interface OffsetFetchRequestOffsetFetchRequestTopics {
  name: string;
  partitionIndexes: number[];
}

export interface OffsetFetchResponse {
  throttleTimeMs: number;
  topics: OffsetFetchResponseOffsetFetchResponseTopic[];
  errorCode: number;
  groups: OffsetFetchResponseOffsetFetchResponseGroup[];
}

export interface OffsetFetchResponseOffsetFetchResponseTopic {
  name: string;
  partitions: OffsetFetchResponseOffsetFetchResponsePartition[];
}

export interface OffsetFetchResponseOffsetFetchResponsePartition {
  partitionIndex: number;
  committedOffset: number;
  committedLeaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}

export interface OffsetFetchResponseOffsetFetchResponseGroup {
  groupId: string;
  topics: OffsetFetchResponseOffsetFetchResponseTopics[];
  errorCode: number;
}

export interface OffsetFetchResponseOffsetFetchResponseTopics {
  name: string;
  partitions: OffsetFetchResponseOffsetFetchResponsePartitions[];
}

export interface OffsetFetchResponseOffsetFetchResponsePartitions {
  partitionIndex: number;
  committedOffset: number;
  committedLeaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}

export const OffsetFetch = api<OffsetFetchRequest, OffsetFetchResponse>(offsetFetchRequest, offsetFetchResponse);
