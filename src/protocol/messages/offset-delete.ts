/**
 * OffsetDelete (API key 47), versions 0. Our own definition in the notation of ../schema.ts.
 */
import { api, f, message } from '../schema.js';

const offsetDeleteRequest = message(47, 'OffsetDelete', 'request', '0', 'none', [
  f('groupId', 'string', '0+'),
  f('topics', '[]OffsetDeleteRequestTopic', '0+', {}, [
    f('name', 'string', '0+', { mapKey: true }),
    f('partitions', '[]OffsetDeleteRequestPartition', '0+', {}, [
      f('partitionIndex', 'int32', '0+'),
    ]),
  ]),
]);

const offsetDeleteResponse = message(47, 'OffsetDelete', 'response', '0', 'none', [
  f('errorCode', 'int16', '0+'),
  f('throttleTimeMs', 'int32', '0+'),
  f('topics', '[]OffsetDeleteResponseTopic', '0+', {}, [
    f('name', 'string', '0+', { mapKey: true }),
    f('partitions', '[]OffsetDeleteResponsePartition', '0+', {}, [
      f('partitionIndex', 'int32', '0+', { mapKey: true }),
      f('errorCode', 'int16', '0+'),
    ]),
  ]),
]);

export interface OffsetDeleteRequest {
  groupId: string;
  topics: OffsetDeleteRequestOffsetDeleteRequestTopic[];
}

export interface OffsetDeleteRequestOffsetDeleteRequestTopic {
  name: string;
  partitions: OffsetDeleteRequestOffsetDeleteRequestPartition[];
}

export interface OffsetDeleteRequestOffsetDeleteRequestPartition {
  partitionIndex: number;
}

export interface OffsetDeleteResponse {
  errorCode: number;
  throttleTimeMs: number;
  topics: OffsetDeleteResponseOffsetDeleteResponseTopic[];
}

export interface OffsetDeleteResponseOffsetDeleteResponseTopic {
  name: string;
  partitions: OffsetDeleteResponseOffsetDeleteResponsePartition[];
}

export interface OffsetDeleteResponseOffsetDeleteResponsePartition {
  partitionIndex: number;
  errorCode: number;
}

export const OffsetDelete = api<OffsetDeleteRequest, OffsetDeleteResponse>(offsetDeleteRequest, offsetDeleteResponse);
