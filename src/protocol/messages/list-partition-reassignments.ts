/**
 * ListPartitionReassignments (API key 46), version 0. Our own definition in the notation of
 * ../schema.ts.
 */
import { api, f, message } from '../schema.js';

const listPartitionReassignmentsRequest = message(46, 'ListPartitionReassignments', 'request', '0', '0+', [
  f('timeoutMs', 'int32', '0+', { default: 60000 }),
  f('topics', '[]ListPartitionReassignmentsTopics', '0+', { nullable: '0+', default: null }, [
    f('name', 'string', '0+'),
    f('partitionIndexes', '[]int32', '0+'),
  ]),
]);

const listPartitionReassignmentsResponse = message(46, 'ListPartitionReassignments', 'response', '0', '0+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('errorCode', 'int16', '0+'),
  f('errorMessage', 'string', '0+', { nullable: '0+' }),
  f('topics', '[]OngoingTopicReassignment', '0+', {}, [
    f('name', 'string', '0+'),
    f('partitions', '[]OngoingPartitionReassignment', '0+', {}, [
      f('partitionIndex', 'int32', '0+'),
      f('replicas', '[]int32', '0+'),
      f('addingReplicas', '[]int32', '0+'),
      f('removingReplicas', '[]int32', '0+'),
    ]),
  ]),
]);

export interface ListPartitionReassignmentsRequest {
  timeoutMs: number;
  /** null: every partition. */
  topics: ListPartitionReassignmentsRequestTopic[] | null;
}

export interface ListPartitionReassignmentsRequestTopic {
  name: string;
  partitionIndexes: number[];
}

export interface ListPartitionReassignmentsResponse {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
  topics: ListPartitionReassignmentsResponseTopic[];
}

export interface ListPartitionReassignmentsResponseTopic {
  name: string;
  partitions: ListPartitionReassignmentsResponsePartition[];
}

export interface ListPartitionReassignmentsResponsePartition {
  partitionIndex: number;
  replicas: number[];
  addingReplicas: number[];
  removingReplicas: number[];
}

export const ListPartitionReassignments = api<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse>(
  listPartitionReassignmentsRequest, listPartitionReassignmentsResponse,
);
