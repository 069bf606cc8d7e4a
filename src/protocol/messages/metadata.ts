/**
 * Metadata (API key 3), versions 0-12. Our own definition in the notation of ../schema.ts.
 */
import { api, f, message } from '../schema.js';

const metadataRequest = message(3, 'Metadata', 'request', '0-12', '9+', [
  f('topics', '[]MetadataRequestTopic', '0+', { nullable: '1+' }, [
    f('topicId', 'uuid', '10+'),
    f('name', 'string', '0+', { nullable: '10+' }),
  ]),
  f('allowAutoTopicCreation', 'bool', '4+', { default: true }),
  f('includeClusterAuthorizedOperations', 'bool', '8-10'),
  f('includeTopicAuthorizedOperations', 'bool', '8+'),
]);

const metadataResponse = message(3, 'Metadata', 'response', '0-12', '9+', [
  f('throttleTimeMs', 'int32', '3+'),
  f('brokers', '[]MetadataResponseBroker', '0+', {}, [
    f('nodeId', 'int32', '0+', { mapKey: true }),
    f('host', 'string', '0+'),
    f('port', 'int32', '0+'),
    f('rack', 'string', '1+', { nullable: '1+', default: null }),
  ]),
  f('clusterId', 'string', '2+', { nullable: '2+', default: null }),
  f('controllerId', 'int32', '1+', { default: -1 }),
  f('topics', '[]MetadataResponseTopic', '0+', {}, [
    f('errorCode', 'int16', '0+'),
    f('name', 'string', '0+', { nullable: '12+', mapKey: true }),
    f('topicId', 'uuid', '10+'),
    f('isInternal', 'bool', '1+', { default: false }),
    f('partitions', '[]MetadataResponsePartition', '0+', {}, [
      f('errorCode', 'int16', '0+'),
      f('partitionIndex', 'int32', '0+'),
      f('leaderId', 'int32', '0+'),
      f('leaderEpoch', 'int32', '7+', { default: -1 }),
      f('replicaNodes', '[]int32', '0+'),
      f('isrNodes', '[]int32', '0+'),
      f('offlineReplicas', '[]int32', '5+'),
    ]),
    f('topicAuthorizedOperations', 'int32', '8+', { default: -2147483648 }),
  ]),
  f('clusterAuthorizedOperations', 'int32', '8-10', { default: -2147483648 }),
]);

export interface MetadataRequest {
  topics: MetadataRequestMetadataRequestTopic[] | null;
  allowAutoTopicCreation: boolean;
  includeClusterAuthorizedOperations: boolean;
  includeTopicAuthorizedOperations: boolean;
}

export interface MetadataRequestMetadataRequestTopic {
  topicId: Buffer;
  name: string | null;
}

export interface MetadataResponse {
  throttleTimeMs: number;
  brokers: MetadataResponseMetadataResponseBroker[];
  clusterId: string | null;
  controllerId: number;
  topics: MetadataResponseMetadataResponseTopic[];
  clusterAuthorizedOperations: number;
}

export interface MetadataResponseMetadataResponseBroker {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface MetadataResponseMetadataResponseTopic {
  errorCode: number;
  name: string | null;
  topicId: Buffer;
  isInternal: boolean;
  partitions: MetadataResponseMetadataResponsePartition[];
  topicAuthorizedOperations: number;
}

export interface MetadataResponseMetadataResponsePartition {
  errorCode: number;
  partitionIndex: number;
  leaderId: number;
  leaderEpoch: number;
  replicaNodes: number[];
  isrNodes: number[];
  offlineReplicas: number[];
}

export const Metadata = api<MetadataRequest, MetadataResponse>(metadataRequest, metadataResponse);
