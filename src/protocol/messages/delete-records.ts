/**
 * DeleteRecords (API key 21), versions 0-2. Our own definition in the notation of ../schema.ts.
 */
import { api, f, message } from '../schema.js';

const deleteRecordsRequest = message(21, 'DeleteRecords', 'request', '0-2', '2+', [
  f('topics', '[]DeleteRecordsTopic', '0+', {}, [
    f('name', 'string', '0+'),
    f('partitions', '[]DeleteRecordsPartition', '0+', {}, [
      f('partitionIndex', 'int32', '0+'),
      f('offset', 'int64', '0+'),
    ]),
  ]),
  f('timeoutMs', 'int32', '0+'),
]);

const deleteRecordsResponse = message(21, 'DeleteRecords', 'response', '0-2', '2+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('topics', '[]DeleteRecordsTopicResult', '0+', {}, [
    f('name', 'string', '0+', { mapKey: true }),
    f('partitions', '[]DeleteRecordsPartitionResult', '0+', {}, [
      f('partitionIndex', 'int32', '0+', { mapKey: true }),
      f('lowWatermark', 'int64', '0+'),
      f('errorCode', 'int16', '0+'),
    ]),
  ]),
]);

export interface DeleteRecordsRequest {
  topics: DeleteRecordsRequestDeleteRecordsTopic[];
  timeoutMs: number;
}

export interface DeleteRecordsRequestDeleteRecordsTopic {
  name: string;
  partitions: DeleteRecordsRequestDeleteRecordsPartition[];
}

export interface DeleteRecordsRequestDeleteRecordsPartition {
  partitionIndex: number;
  offset: number;
}

export interface DeleteRecordsResponse {
  throttleTimeMs: number;
  topics: DeleteRecordsResponseDeleteRecordsTopicResult[];
}

export interface DeleteRecordsResponseDeleteRecordsTopicResult {
  name: string;
  partitions: DeleteRecordsResponseDeleteRecordsPartitionResult[];
}

export interface DeleteRecordsResponseDeleteRecordsPartitionResult {
  partitionIndex: number;
  lowWatermark: number;
  errorCode: number;
}

export const DeleteRecords = api<DeleteRecordsRequest, DeleteRecordsResponse>(deleteRecordsRequest, deleteRecordsResponse);
