/**
 * Fetch (API key 1), versions 4-17. Our own definition in the notation of ../schema.ts.
 */
import { api, f, message } from '../schema.js';

const fetchRequest = message(1, 'Fetch', 'request', '4-17', '12+', [
  f('clusterId', 'string', '12+', { nullable: '12+', tagged: '12+', tag: 0, default: null }),
  f('replicaId', 'int32', '0-14', { default: -1 }),
  f('replicaState', 'ReplicaState', '15+', { tagged: '15+', tag: 1 }, [
    f('replicaId', 'int32', '15+', { default: -1 }),
    f('replicaEpoch', 'int64', '15+', { default: -1 }),
  ]),
  f('maxWaitMs', 'int32', '0+'),
  f('minBytes', 'int32', '0+'),
  f('maxBytes', 'int32', '3+', { default: 2147483647 }),
  f('isolationLevel', 'int8', '4+', { default: 0 }),
  f('sessionId', 'int32', '7+', { default: 0 }),
  f('sessionEpoch', 'int32', '7+', { default: -1 }),
  f('topics', '[]FetchTopic', '0+', {}, [
    f('topic', 'string', '0-12'),
    f('topicId', 'uuid', '13+'),
    f('partitions', '[]FetchPartition', '0+', {}, [
      f('partition', 'int32', '0+'),
      f('currentLeaderEpoch', 'int32', '9+', { default: -1 }),
      f('fetchOffset', 'int64', '0+'),
      f('lastFetchedEpoch', 'int32', '12+', { default: -1 }),
      f('logStartOffset', 'int64', '5+', { default: -1 }),
      f('partitionMaxBytes', 'int32', '0+'),
      f('replicaDirectoryId', 'uuid', '17+', { tagged: '17+', tag: 0 }),
    ]),
  ]),
  f('forgottenTopicsData', '[]ForgottenTopic', '7+', {}, [
    f('topic', 'string', '7-12'),
    f('topicId', 'uuid', '13+'),
    f('partitions', '[]int32', '7+'),
  ]),
  f('rackId', 'string', '11+', { default: "" }),
]);

const fetchResponse = message(1, 'Fetch', 'response', '4-17', '12+', [
  f('throttleTimeMs', 'int32', '1+'),
  f('errorCode', 'int16', '7+'),
  f('sessionId', 'int32', '7+', { default: 0 }),
  f('responses', '[]FetchableTopicResponse', '0+', {}, [
    f('topic', 'string', '0-12'),
    f('topicId', 'uuid', '13+'),
    f('partitions', '[]PartitionData', '0+', {}, [
      f('partitionIndex', 'int32', '0+'),
      f('errorCode', 'int16', '0+'),
      f('highWatermark', 'int64', '0+'),
      f('lastStableOffset', 'int64', '4+', { default: -1 }),
      f('logStartOffset', 'int64', '5+', { default: -1 }),
      f('divergingEpoch', 'EpochEndOffset', '12+', { tagged: '12+', tag: 0 }, [
        f('epoch', 'int32', '12+', { default: -1 }),
        f('endOffset', 'int64', '12+', { default: -1 }),
      ]),
      f('currentLeader', 'LeaderIdAndEpoch', '12+', { tagged: '12+', tag: 1 }, [
        f('leaderId', 'int32', '12+', { default: -1 }),
        f('leaderEpoch', 'int32', '12+', { default: -1 }),
      ]),
      f('snapshotId', 'SnapshotId', '12+', { tagged: '12+', tag: 2 }, [
        f('endOffset', 'int64', '0+', { default: -1 }),
        f('epoch', 'int32', '0+', { default: -1 }),
      ]),
      f('abortedTransactions', '[]AbortedTransaction', '4+', { nullable: '4+' }, [
        f('producerId', 'int64', '4+'),
        f('firstOffset', 'int64', '4+'),
      ]),
      f('preferredReadReplica', 'int32', '11+', { default: -1 }),
      f('records', 'records', '0+', { nullable: '0+' }),
    ]),
  ]),
  f('nodeEndpoints', '[]NodeEndpoint', '16+', { tagged: '16+', tag: 0 }, [
    f('nodeId', 'int32', '16+', { mapKey: true }),
    f('host', 'string', '16+'),
    f('port', 'int32', '16+'),
    f('rack', 'string', '16+', { nullable: '16+', default: null }),
  ]),
]);

export interface FetchRequest {
  clusterId: string | null;
  replicaId: number;
  replicaState: FetchRequestReplicaState;
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  isolationLevel: number;
  sessionId: number;
  sessionEpoch: number;
  topics: FetchRequestFetchTopic[];
  forgottenTopicsData: FetchRequestForgottenTopic[];
  rackId: string;
}

export interface FetchRequestReplicaState {
  replicaId: number;
  replicaEpoch: number;
}

export interface FetchRequestFetchTopic {
  topic: string;
  topicId: Buffer;
  partitions: FetchRequestFetchPartition[];
}

export interface FetchRequestFetchPartition {
  partition: number;
  currentLeaderEpoch: number;
  fetchOffset: number;
  lastFetchedEpoch: number;
  logStartOffset: number;
  partitionMaxBytes: number;
  replicaDirectoryId: Buffer;
}

export interface FetchRequestForgottenTopic {
  topic: string;
  topicId: Buffer;
  partitions: number[];
}

export interface FetchResponse {
  throttleTimeMs: number;
  errorCode: number;
  sessionId: number;
  responses: FetchResponseFetchableTopicResponse[];
  nodeEndpoints: FetchResponseNodeEndpoint[];
}

export interface FetchResponseFetchableTopicResponse {
  topic: string;
  topicId: Buffer;
  partitions: FetchResponsePartitionData[];
}

export interface FetchResponsePartitionData {
  partitionIndex: number;
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  divergingEpoch: FetchResponseEpochEndOffset;
  currentLeader: FetchResponseLeaderIdAndEpoch;
  snapshotId: FetchResponseSnapshotId;
  abortedTransactions: FetchResponseAbortedTransaction[] | null;
  preferredReadReplica: number;
  records: Buffer | null;
}

export interface FetchResponseEpochEndOffset {
  epoch: number;
  endOffset: number;
}

export interface FetchResponseLeaderIdAndEpoch {
  leaderId: number;
  leaderEpoch: number;
}

export interface FetchResponseSnapshotId {
  endOffset: number;
  epoch: number;
}

export interface FetchResponseAbortedTransaction {
  producerId: number;
  firstOffset: number;
}

export interface FetchResponseNodeEndpoint {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export const Fetch = api<FetchRequest, FetchResponse>(fetchRequest, fetchResponse);
