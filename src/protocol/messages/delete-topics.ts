/**
 * DeleteTopics (API key 20), versions 1-6. Our own definition in the notation of ../schema.ts.
 */
import { api, f, message } from '../schema.js';

const deleteTopicsRequest = message(20, 'DeleteTopics', 'request', '1-6', '4+', [
  f('topics', '[]DeleteTopicState', '6+', {}, [
    f('name', 'string', '6+', { nullable: '6+', default: null }),
    f('topicId', 'uuid', '6+'),
  ]),
  f('topicNames', '[]string', '0-5'),
  f('timeoutMs', 'int32', '0+'),
]);

const deleteTopicsResponse = message(20, 'DeleteTopics', 'response', '1-6', '4+', [
  f('throttleTimeMs', 'int32', '1+'),
  f('responses', '[]DeletableTopicResult', '0+', {}, [
    f('name', 'string', '0+', { nullable: '6+', mapKey: true }),
    f('topicId', 'uuid', '6+'),
    f('errorCode', 'int16', '0+'),
    f('errorMessage', 'string', '5+', { nullable: '5+', default: null }),
  ]),
]);

export interface DeleteTopicsRequest {
  topics: DeleteTopicsRequestDeleteTopicState[];
  topicNames: string[];
  timeoutMs: number;
}

export interface DeleteTopicsRequestDeleteTopicState {
  name: string | null;
  topicId: Buffer;
}

export interface DeleteTopicsResponse {
  throttleTimeMs: number;
  responses: DeleteTopicsResponseDeletableTopicResult[];
}

export interface DeleteTopicsResponseDeletableTopicResult {
  name: string | null;
  topicId: Buffer;
  errorCode: number;
  errorMessage: string | null;
}

export const DeleteTopics = api<DeleteTopicsRequest, DeleteTopicsResponse>(deleteTopicsRequest, deleteTopicsResponse);
