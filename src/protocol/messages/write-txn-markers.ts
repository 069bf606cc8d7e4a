/**
 * WriteTxnMarkers (API key 27), versions 1. Our own definition in the notation of ../schema.ts.
 */
import { api, f, message } from '../schema.js';

const writeTxnMarkersRequest = message(27, 'WriteTxnMarkers', 'request', '1', '1+', [
  f('markers', '[]WritableTxnMarker', '0+', {}, [
    f('producerId', 'int64', '0+'),
    f('producerEpoch', 'int16', '0+'),
    f('transactionResult', 'bool', '0+'),
    f('topics', '[]WritableTxnMarkerTopic', '0+', {}, [
      f('name', 'string', '0+'),
      f('partitionIndexes', '[]int32', '0+'),
    ]),
    f('coordinatorEpoch', 'int32', '0+'),
  ]),
]);

const writeTxnMarkersResponse = message(27, 'WriteTxnMarkers', 'response', '1', '1+', [
  f('markers', '[]WritableTxnMarkerResult', '0+', {}, [
    f('producerId', 'int64', '0+'),
    f('topics', '[]WritableTxnMarkerTopicResult', '0+', {}, [
      f('name', 'string', '0+'),
      f('partitions', '[]WritableTxnMarkerPartitionResult', '0+', {}, [
        f('partitionIndex', 'int32', '0+'),
        f('errorCode', 'int16', '0+'),
      ]),
    ]),
  ]),
]);

export interface WriteTxnMarkersRequest {
  markers: WriteTxnMarkersRequestWritableTxnMarker[];
}

export interface WriteTxnMarkersRequestWritableTxnMarker {
  producerId: number;
  producerEpoch: number;
  transactionResult: boolean;
  topics: WriteTxnMarkersRequestWritableTxnMarkerTopic[];
  coordinatorEpoch: number;
}

export interface WriteTxnMarkersRequestWritableTxnMarkerTopic {
  name: string;
  partitionIndexes: number[];
}

export interface WriteTxnMarkersResponse {
  markers: WriteTxnMarkersResponseWritableTxnMarkerResult[];
}

export interface WriteTxnMarkersResponseWritableTxnMarkerResult {
  producerId: number;
  topics: WriteTxnMarkersResponseWritableTxnMarkerTopicResult[];
}

export interface WriteTxnMarkersResponseWritableTxnMarkerTopicResult {
  name: string;
  partitions: WriteTxnMarkersResponseWritableTxnMarkerPartitionResult[];
}

export interface WriteTxnMarkersResponseWritableTxnMarkerPartitionResult {
  partitionIndex: number;
  errorCode: number;
}

export const WriteTxnMarkers = api<WriteTxnMarkersRequest, WriteTxnMarkersResponse>(writeTxnMarkersRequest, writeTxnMarkersResponse);
