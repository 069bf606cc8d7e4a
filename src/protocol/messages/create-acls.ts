/**
 * CreateAcls (API key 30), versions 1-3. Our own definition in the notation of ../schema.ts.
 */
import { api, f, message } from '../schema.js';

const createAclsRequest = message(30, 'CreateAcls', 'request', '1-3', '2+', [
  f('creations', '[]AclCreation', '0+', {}, [
    f('resourceType', 'int8', '0+'),
    f('resourceName', 'string', '0+'),
    f('resourcePatternType', 'int8', '1+', { default: 3 }),
    f('principal', 'string', '0+'),
    f('host', 'string', '0+'),
    f('operation', 'int8', '0+'),
    f('permissionType', 'int8', '0+'),
  ]),
]);

const createAclsResponse = message(30, 'CreateAcls', 'response', '1-3', '2+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('results', '[]AclCreationResult', '0+', {}, [
    f('errorCode', 'int16', '0+'),
    f('errorMessage', 'string', '0+', { nullable: '0+' }),
  ]),
]);

export interface CreateAclsRequest {
  creations: CreateAclsRequestAclCreation[];
}

export interface CreateAclsRequestAclCreation {
  resourceType: number;
  resourceName: string;
  resourcePatternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}

export interface CreateAclsResponse {
  throttleTimeMs: number;
  results: CreateAclsResponseAclCreationResult[];
}

export interface CreateAclsResponseAclCreationResult {
  errorCode: number;
  errorMessage: string | null;
}

export const CreateAcls = api<CreateAclsRequest, CreateAclsResponse>(createAclsRequest, createAclsResponse);
