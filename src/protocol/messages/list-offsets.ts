/**
 * ListOffsets (API key 2), versions 1-10. Our own definition in the notation of ../schema.ts.
 */
import { api, f, message } from '../schema.js';

const listOffsetsRequest = message(2, 'ListOffsets', 'request', '1-10', '6+', [
  f('replicaId', 'int32', '0+'),
  f('isolationLevel', 'int8', '2+'),
  f('topics', '[]ListOffsetsTopic', '0+', {}, [
    f('name', 'string', '0+'),
    f('partitions', '[]ListOffsetsPartition', '0+', {}, [
      f('partitionIndex', 'int32', '0+'),
      f('currentLeaderEpoch', 'int32', '4+', { default: -1 }),
      f('timestamp', 'int64', '0+'),
      f('maxNumOffsets', 'int32', '0', { default: 1 }),
    ]),
  ]),
  f('timeoutMs', 'int32', '10+'),
]);

const listOffsetsResponse = message(2, 'ListOffsets', 'response', '1-10', '6+', [
  f('throttleTimeMs', 'int32', '2+'),
  f('topics', '[]ListOffsetsTopicResponse', '0+', {}, [
    f('name', 'string', '0+'),
    f('partitions', '[]ListOffsetsPartitionResponse', '0+', {}, [
      f('partitionIndex', 'int32', '0+'),
      f('errorCode', 'int16', '0+'),
      f('oldStyleOffsets', '[]int64', '0'),
      f('timestamp', 'int64', '1+', { default: -1 }),
      f('offset', 'int64', '1+', { default: -1 }),
      f('leaderEpoch', 'int32', '4+', { default: -1 }),
    ]),
  ]),
]);

export interface ListOffsetsRequest {
  replicaId: number;
  isolationLevel: number;
  topics: ListOffsetsRequestListOffsetsTopic[];
  timeoutMs: number;
}

export interface ListOffsetsRequestListOffsetsTopic {
  name: string;
  partitions: ListOffsetsRequestListOffsetsPartition[];
}

export interface ListOffsetsRequestListOffsetsPartition {
  partitionIndex: number;
  currentLeaderEpoch: number;
  timestamp: number;
  maxNumOffsets: number;
}

export interface ListOffsetsResponse {
  throttleTimeMs: number;
  topics: ListOffsetsResponseListOffsetsTopicResponse[];
}

export interface ListOffsetsResponseListOffsetsTopicResponse {
  name: string;
  partitions: ListOffsetsResponseListOffsetsPartitionResponse[];
}

export interface ListOffsetsResponseListOffsetsPartitionResponse {
  partitionIndex: number;
  errorCode: number;
  oldStyleOffsets: number[];
  timestamp: number;
  offset: number;
  leaderEpoch: number;
}

export const ListOffsets = api<ListOffsetsRequest, ListOffsetsResponse>(listOffsetsRequest, listOffsetsResponse);
