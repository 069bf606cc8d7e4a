/**
 * DescribeTopicPartitions (API key 75), versions 0. Our own definition in the notation of ../schema.ts.
 */
import { api, f, message } from '../schema.js';

const describeTopicPartitionsRequest = message(75, 'DescribeTopicPartitions', 'request', '0', '0+', [
  f('topics', '[]TopicRequest', '0+', {}, [
    f('name', 'string', '0+'),
  ]),
  f('responsePartitionLimit', 'int32', '0+', { default: 2000 }),
  f('cursor', 'Cursor', '0+', { nullable: '0+', default: null }, [
    f('topicName', 'string', '0+'),
    f('partitionIndex', 'int32', '0+'),
  ]),
]);

const describeTopicPartitionsResponse = message(75, 'DescribeTopicPartitions', 'response', '0', '0+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('topics', '[]DescribeTopicPartitionsResponseTopic', '0+', {}, [
    f('errorCode', 'int16', '0+'),
    f('name', 'string', '0+', { nullable: '0+', mapKey: true }),
    f('topicId', 'uuid', '0+'),
    f('isInternal', 'bool', '0+', { default: false }),
    f('partitions', '[]DescribeTopicPartitionsResponsePartition', '0+', {}, [
      f('errorCode', 'int16', '0+'),
      f('partitionIndex', 'int32', '0+'),
      f('leaderId', 'int32', '0+'),
      f('leaderEpoch', 'int32', '0+', { default: -1 }),
      f('replicaNodes', '[]int32', '0+'),
      f('isrNodes', '[]int32', '0+'),
      f('eligibleLeaderReplicas', '[]int32', '0+', { nullable: '0+', default: null }),
      f('lastKnownElr', '[]int32', '0+', { nullable: '0+', default: null }),
      f('offlineReplicas', '[]int32', '0+'),
    ]),
    f('topicAuthorizedOperations', 'int32', '0+', { default: -2147483648 }),
  ]),
  f('nextCursor', 'Cursor', '0+', { nullable: '0+', default: null }, [
    f('topicName', 'string', '0+'),
    f('partitionIndex', 'int32', '0+'),
  ]),
]);

export interface DescribeTopicPartitionsRequest {
  topics: DescribeTopicPartitionsRequestTopicRequest[];
  responsePartitionLimit: number;
  cursor: DescribeTopicPartitionsRequestCursor | null;
}

export interface DescribeTopicPartitionsRequestTopicRequest {
  name: string;
}

export interface DescribeTopicPartitionsRequestCursor {
  topicName: string;
  partitionIndex: number;
}

export interface DescribeTopicPartitionsResponse {
  throttleTimeMs: number;
  topics: DescribeTopicPartitionsResponseDescribeTopicPartitionsResponseTopic[];
  nextCursor: DescribeTopicPartitionsResponseCursor | null;
}

export interface DescribeTopicPartitionsResponseDescribeTopicPartitionsResponseTopic {
  errorCode: number;
  name: string | null;
  topicId: Buffer;
  isInternal: boolean;
  partitions: DescribeTopicPartitionsResponseDescribeTopicPartitionsResponsePartition[];
  topicAuthorizedOperations: number;
}

export interface DescribeTopicPartitionsResponseDescribeTopicPartitionsResponsePartition {
  errorCode: number;
  partitionIndex: number;
  leaderId: number;
  leaderEpoch: number;
  replicaNodes: number[];
  isrNodes: number[];
  eligibleLeaderReplicas: number[] | null;
  lastKnownElr: number[] | null;
  offlineReplicas: number[];
}

export interface DescribeTopicPartitionsResponseCursor {
  topicName: string;
  partitionIndex: number;
}

export const DescribeTopicPartitions = api<DescribeTopicPartitionsRequest, DescribeTopicPartitionsResponse>(describeTopicPartitionsRequest, describeTopicPartitionsResponse);
