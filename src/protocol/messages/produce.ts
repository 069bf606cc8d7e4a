/**
 * Produce (API key 0), versions 0-12 (v12, Kafka 4.0: the same as v11; a transactional batch adds its partition to the transaction). Our own definition in the notation of ../schema.ts.
 */
import { api, f, message } from '../schema.js';

const produceRequest = message(0, 'Produce', 'request', '0-12', '9+', [
  f('transactionalId', 'string', '3+', { nullable: '3+', default: null }),
  f('acks', 'int16', '0+'),
  f('timeoutMs', 'int32', '0+'),
  f('topicData', '[]TopicProduceData', '0+', {}, [
    f('name', 'string', '0+', { mapKey: true }),
    f('partitionData', '[]PartitionProduceData', '0+', {}, [
      f('index', 'int32', '0+'),
      f('records', 'records', '0+', { nullable: '0+' }),
    ]),
  ]),
]);

const produceResponse = message(0, 'Produce', 'response', '0-12', '9+', [
  f('responses', '[]TopicProduceResponse', '0+', {}, [
    f('name', 'string', '0+', { mapKey: true }),
    f('partitionResponses', '[]PartitionProduceResponse', '0+', {}, [
      f('index', 'int32', '0+'),
      f('errorCode', 'int16', '0+'),
      f('baseOffset', 'int64', '0+'),
      f('logAppendTimeMs', 'int64', '2+', { default: -1 }),
      f('logStartOffset', 'int64', '5+', { default: -1 }),
      f('recordErrors', '[]BatchIndexAndErrorMessage', '8+', {}, [
        f('batchIndex', 'int32', '8+'),
        f('batchIndexErrorMessage', 'string', '8+', { nullable: '8+', default: null }),
      ]),
      f('errorMessage', 'string', '8+', { nullable: '8+', default: null }),
      f('currentLeader', 'LeaderIdAndEpoch', '10+', { tagged: '10+', tag: 0 }, [
        f('leaderId', 'int32', '10+', { default: -1 }),
        f('leaderEpoch', 'int32', '10+', { default: -1 }),
      ]),
    ]),
  ]),
  f('throttleTimeMs', 'int32', '1+', { default: 0 }),
  f('nodeEndpoints', '[]NodeEndpoint', '10+', { tagged: '10+', tag: 0 }, [
    f('nodeId', 'int32', '10+', { mapKey: true }),
    f('host', 'string', '10+'),
    f('port', 'int32', '10+'),
    f('rack', 'string', '10+', { nullable: '10+', default: null }),
  ]),
]);

export interface ProduceRequest {
  transactionalId: string | null;
  acks: number;
  timeoutMs: number;
  topicData: ProduceRequestTopicProduceData[];
}

export interface ProduceRequestTopicProduceData {
  name: string;
  partitionData: ProduceRequestPartitionProduceData[];
}

export interface ProduceRequestPartitionProduceData {
  index: number;
  records: Buffer | null;
}

export interface ProduceResponse {
  responses: ProduceResponseTopicProduceResponse[];
  throttleTimeMs: number;
  nodeEndpoints: ProduceResponseNodeEndpoint[];
}

export interface ProduceResponseTopicProduceResponse {
  name: string;
  partitionResponses: ProduceResponsePartitionProduceResponse[];
}

export interface ProduceResponsePartitionProduceResponse {
  index: number;
  errorCode: number;
  baseOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
  recordErrors: ProduceResponseBatchIndexAndErrorMessage[];
  errorMessage: string | null;
  currentLeader: ProduceResponseLeaderIdAndEpoch;
}

export interface ProduceResponseBatchIndexAndErrorMessage {
  batchIndex: number;
  batchIndexErrorMessage: string | null;
}

export interface ProduceResponseLeaderIdAndEpoch {
  leaderId: number;
  leaderEpoch: number;
}

export interface ProduceResponseNodeEndpoint {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export const Produce = api<ProduceRequest, ProduceResponse>(produceRequest, produceResponse);
