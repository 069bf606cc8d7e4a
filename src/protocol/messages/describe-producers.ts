/**
 * DescribeProducers (API key 61), versions 0. Our own definition in the notation of ../schema.ts.
 */
import { api, f, message } from '../schema.js';

const describeProducersRequest = message(61, 'DescribeProducers', 'request', '0', '0+', [
  f('topics', '[]TopicRequest', '0+', {}, [
    f('name', 'string', '0+'),
    f('partitionIndexes', '[]int32', '0+'),
  ]),
]);

const describeProducersResponse = message(61, 'DescribeProducers', 'response', '0', '0+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('topics', '[]TopicResponse', '0+', {}, [
    f('name', 'string', '0+'),
    f('partitions', '[]PartitionResponse', '0+', {}, [
      f('partitionIndex', 'int32', '0+'),
      f('errorCode', 'int16', '0+'),
      f('errorMessage', 'string', '0+', { nullable: '0+', default: null }),
      f('activeProducers', '[]ProducerState', '0+', {}, [
        f('producerId', 'int64', '0+'),
        f('producerEpoch', 'int32', '0+'),
        f('lastSequence', 'int32', '0+', { default: -1 }),
        f('lastTimestamp', 'int64', '0+', { default: -1 }),
        f('coordinatorEpoch', 'int32', '0+'),
        f('currentTxnStartOffset', 'int64', '0+', { default: -1 }),
      ]),
    ]),
  ]),
]);

export interface DescribeProducersRequest {
  topics: DescribeProducersRequestTopicRequest[];
}

export interface DescribeProducersRequestTopicRequest {
  name: string;
  partitionIndexes: number[];
}

export interface DescribeProducersResponse {
  throttleTimeMs: number;
  topics: DescribeProducersResponseTopicResponse[];
}

export interface DescribeProducersResponseTopicResponse {
  name: string;
  partitions: DescribeProducersResponsePartitionResponse[];
}

export interface DescribeProducersResponsePartitionResponse {
  partitionIndex: number;
  errorCode: number;
  errorMessage: string | null;
  activeProducers: DescribeProducersResponseProducerState[];
}

export interface DescribeProducersResponseProducerState {
  producerId: number;
  producerEpoch: number;
  lastSequence: number;
  lastTimestamp: number;
  coordinatorEpoch: number;
  currentTxnStartOffset: number;
}

export const DescribeProducers = api<DescribeProducersRequest, DescribeProducersResponse>(describeProducersRequest, describeProducersResponse);
