/**
 * AlterPartitionReassignments (API key 45), version 0. Our own definition in the notation of
 * ../schema.ts.
 */
import { api, f, message } from '../schema.js';

const alterPartitionReassignmentsRequest = message(45, 'AlterPartitionReassignments', 'request', '0', '0+', [
  f('timeoutMs', 'int32', '0+', { default: 60000 }),
  f('topics', '[]ReassignableTopic', '0+', {}, [
    f('name', 'string', '0+'),
    f('partitions', '[]ReassignablePartition', '0+', {}, [
      f('partitionIndex', 'int32', '0+'),
      f('replicas', '[]int32', '0+', { nullable: '0+', default: null }),
    ]),
  ]),
]);

const alterPartitionReassignmentsResponse = message(45, 'AlterPartitionReassignments', 'response', '0', '0+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('errorCode', 'int16', '0+'),
  f('errorMessage', 'string', '0+', { nullable: '0+' }),
  f('responses', '[]ReassignableTopicResponse', '0+', {}, [
    f('name', 'string', '0+'),
    f('partitions', '[]ReassignablePartitionResponse', '0+', {}, [
      f('partitionIndex', 'int32', '0+'),
      f('errorCode', 'int16', '0+'),
      f('errorMessage', 'string', '0+', { nullable: '0+' }),
    ]),
  ]),
]);

export interface AlterPartitionReassignmentsRequest {
  timeoutMs: number;
  topics: AlterPartitionReassignmentsRequestTopic[];
}

export interface AlterPartitionReassignmentsRequestTopic {
  name: string;
  partitions: AlterPartitionReassignmentsRequestPartition[];
}

export interface AlterPartitionReassignmentsRequestPartition {
  partitionIndex: number;
  /** null cancels the partition's reassignment. */
  replicas: number[] | null;
}

export interface AlterPartitionReassignmentsResponse {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
  responses: AlterPartitionReassignmentsResponseTopic[];
}

export interface AlterPartitionReassignmentsResponseTopic {
  name: string;
  partitions: AlterPartitionReassignmentsResponsePartition[];
}

export interface AlterPartitionReassignmentsResponsePartition {
  partitionIndex: number;
  errorCode: number;
  errorMessage: string | null;
}

export const AlterPartitionReassignments = api<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse>(
  alterPartitionReassignmentsRequest, alterPartitionReassignmentsResponse,
);
