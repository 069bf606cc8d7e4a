/**
 * ElectLeaders (API key 43), versions 0-2. Our own definition in the notation of ../schema.ts.
 */
import { api, f, message } from '../schema.js';

const electLeadersRequest = message(43, 'ElectLeaders', 'request', '0-2', '2+', [
  f('electionType', 'int8', '1+'),
  f('topicPartitions', '[]TopicPartitions', '0+', { nullable: '0+' }, [
    f('topic', 'string', '0+', { mapKey: true }),
    f('partitions', '[]int32', '0+'),
  ]),
  f('timeoutMs', 'int32', '0+', { default: 60000 }),
]);

const electLeadersResponse = message(43, 'ElectLeaders', 'response', '0-2', '2+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('errorCode', 'int16', '1+'),
  f('replicaElectionResults', '[]ReplicaElectionResult', '0+', {}, [
    f('topic', 'string', '0+'),
    f('partitionResult', '[]PartitionResult', '0+', {}, [
      f('partitionId', 'int32', '0+'),
      f('errorCode', 'int16', '0+'),
      f('errorMessage', 'string', '0+', { nullable: '0+' }),
    ]),
  ]),
]);

export interface ElectLeadersRequest {
  electionType: number;
  topicPartitions: ElectLeadersRequestTopicPartitions[] | null;
  timeoutMs: number;
}

export interface ElectLeadersRequestTopicPartitions {
  topic: string;
  partitions: number[];
}

export interface ElectLeadersResponse {
  throttleTimeMs: number;
  errorCode: number;
  replicaElectionResults: ElectLeadersResponseReplicaElectionResult[];
}

export interface ElectLeadersResponseReplicaElectionResult {
  topic: string;
  partitionResult: ElectLeadersResponsePartitionResult[];
}

export interface ElectLeadersResponsePartitionResult {
  partitionId: number;
  errorCode: number;
  errorMessage: string | null;
}

export const ElectLeaders = api<ElectLeadersRequest, ElectLeadersResponse>(electLeadersRequest, electLeadersResponse);
