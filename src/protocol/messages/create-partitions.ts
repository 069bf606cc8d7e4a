/**
 * CreatePartitions (API key 37), versions 0-3. Our own definition in the notation of ../schema.ts.
 */
import { api, f, message } from '../schema.js';

const createPartitionsRequest = message(37, 'CreatePartitions', 'request', '0-3', '2+', [
  f('topics', '[]CreatePartitionsTopic', '0+', {}, [
    f('name', 'string', '0+', { mapKey: true }),
    f('count', 'int32', '0+'),
    f('assignments', '[]CreatePartitionsAssignment', '0+', { nullable: '0+' }, [
      f('brokerIds', '[]int32', '0+'),
    ]),
  ]),
  f('timeoutMs', 'int32', '0+'),
  f('validateOnly', 'bool', '0+'),
]);

const createPartitionsResponse = message(37, 'CreatePartitions', 'response', '0-3', '2+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('results', '[]CreatePartitionsTopicResult', '0+', {}, [
    f('name', 'string', '0+'),
    f('errorCode', 'int16', '0+'),
    f('errorMessage', 'string', '0+', { nullable: '0+', default: null }),
  ]),
]);

export interface CreatePartitionsRequest {
  topics: CreatePartitionsRequestCreatePartitionsTopic[];
  timeoutMs: number;
  validateOnly: boolean;
}

export interface CreatePartitionsRequestCreatePartitionsTopic {
  name: string;
  count: number;
  assignments: CreatePartitionsRequestCreatePartitionsAssignment[] | null;
}

export interface CreatePartitionsRequestCreatePartitionsAssignment {
  brokerIds: number[];
}

export interface CreatePartitionsResponse {
  throttleTimeMs: number;
  results: CreatePartitionsResponseCreatePartitionsTopicResult[];
}

export interface CreatePartitionsResponseCreatePartitionsTopicResult {
  name: string;
  errorCode: number;
  errorMessage: string | null;
}

export const CreatePartitions = api<CreatePartitionsRequest, CreatePartitionsResponse>(createPartitionsRequest, createPartitionsResponse);
