/**
 * DeleteGroups (API key 42), versions 0-2. Our own definition in the notation of ../schema.ts.
 */
import { api, f, message } from '../schema.js';

const deleteGroupsRequest = message(42, 'DeleteGroups', 'request', '0-2', '2+', [
  f('groupsNames', '[]string', '0+'),
]);

const deleteGroupsResponse = message(42, 'DeleteGroups', 'response', '0-2', '2+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('results', '[]DeletableGroupResult', '0+', {}, [
    f('groupId', 'string', '0+', { mapKey: true }),
    f('errorCode', 'int16', '0+'),
  ]),
]);

export interface DeleteGroupsRequest {
  groupsNames: string[];
}

export interface DeleteGroupsResponse {
  throttleTimeMs: number;
  results: DeleteGroupsResponseDeletableGroupResult[];
}

export interface DeleteGroupsResponseDeletableGroupResult {
  groupId: string;
  errorCode: number;
}

export const DeleteGroups = api<DeleteGroupsRequest, DeleteGroupsResponse>(deleteGroupsRequest, deleteGroupsResponse);
