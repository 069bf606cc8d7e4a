/**
 * CreateTopics (API key 19), versions 2-7. Our own definition in the notation of ../schema.ts.
 */
import { api, f, message } from '../schema.js';

const createTopicsRequest = message(19, 'CreateTopics', 'request', '2-7', '5+', [
  f('topics', '[]CreatableTopic', '0+', {}, [
    f('name', 'string', '0+', { mapKey: true }),
    f('numPartitions', 'int32', '0+'),
    f('replicationFactor', 'int16', '0+'),
    f('assignments', '[]CreatableReplicaAssignment', '0+', {}, [
      f('partitionIndex', 'int32', '0+', { mapKey: true }),
      f('brokerIds', '[]int32', '0+'),
    ]),
    f('configs', '[]CreatableTopicConfig', '0+', {}, [
      f('name', 'string', '0+', { mapKey: true }),
      f('value', 'string', '0+', { nullable: '0+' }),
    ]),
  ]),
  f('timeoutMs', 'int32', '0+', { default: 60000 }),
  f('validateOnly', 'bool', '1+', { default: false }),
]);

const createTopicsResponse = message(19, 'CreateTopics', 'response', '2-7', '5+', [
  f('throttleTimeMs', 'int32', '2+'),
  f('topics', '[]CreatableTopicResult', '0+', {}, [
    f('name', 'string', '0+', { mapKey: true }),
    f('topicId', 'uuid', '7+'),
    f('errorCode', 'int16', '0+'),
    f('errorMessage', 'string', '1+', { nullable: '0+' }),
    f('topicConfigErrorCode', 'int16', '5+', { tagged: '5+', tag: 0 }),
    f('numPartitions', 'int32', '5+', { default: -1 }),
    f('replicationFactor', 'int16', '5+', { default: -1 }),
    f('configs', '[]CreatableTopicConfigs', '5+', { nullable: '5+' }, [
      f('name', 'string', '5+'),
      f('value', 'string', '5+', { nullable: '5+' }),
      f('readOnly', 'bool', '5+'),
      f('configSource', 'int8', '5+', { default: -1 }),
      f('isSensitive', 'bool', '5+'),
    ]),
  ]),
]);

export interface CreateTopicsRequest {
  topics: CreateTopicsRequestCreatableTopic[];
  timeoutMs: number;
  validateOnly: boolean;
}

export interface CreateTopicsRequestCreatableTopic {
  name: string;
  numPartitions: number;
  replicationFactor: number;
  assignments: CreateTopicsRequestCreatableReplicaAssignment[];
  configs: CreateTopicsRequestCreatableTopicConfig[];
}

export interface CreateTopicsRequestCreatableReplicaAssignment {
  partitionIndex: number;
  brokerIds: number[];
}

export interface CreateTopicsRequestCreatableTopicConfig {
  name: string;
  value: string | null;
}

export interface CreateTopicsResponse {
  throttleTimeMs: number;
  topics: CreateTopicsResponseCreatableTopicResult[];
}

export interface CreateTopicsResponseCreatableTopicResult {
  name: string;
  topicId: Buffer;
  errorCode: number;
  errorMessage: string | null;
  topicConfigErrorCode: number;
  numPartitions: number;
  replicationFactor: number;
  configs: CreateTopicsResponseCreatableTopicConfigs[] | null;
}

export interface CreateTopicsResponseCreatableTopicConfigs {
  name: string;
  value: string | null;
  readOnly: boolean;
  configSource: number;
  isSensitive: boolean;
}

export const CreateTopics = api<CreateTopicsRequest, CreateTopicsResponse>(createTopicsRequest, createTopicsResponse);
