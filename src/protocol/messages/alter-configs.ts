/**
 * AlterConfigs (API key 33), versions 0-2. Our own definition in the notation of ../schema.ts.
 */
import { api, f, message } from '../schema.js';

const alterConfigsRequest = message(33, 'AlterConfigs', 'request', '0-2', '2+', [
  f('resources', '[]AlterConfigsResource', '0+', {}, [
    f('resourceType', 'int8', '0+', { mapKey: true }),
    f('resourceName', 'string', '0+', { mapKey: true }),
    f('configs', '[]AlterableConfig', '0+', {}, [
      f('name', 'string', '0+', { mapKey: true }),
      f('value', 'string', '0+', { nullable: '0+' }),
    ]),
  ]),
  f('validateOnly', 'bool', '0+'),
]);

const alterConfigsResponse = message(33, 'AlterConfigs', 'response', '0-2', '2+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('responses', '[]AlterConfigsResourceResponse', '0+', {}, [
    f('errorCode', 'int16', '0+'),
    f('errorMessage', 'string', '0+', { nullable: '0+' }),
    f('resourceType', 'int8', '0+'),
    f('resourceName', 'string', '0+'),
  ]),
]);

export interface AlterConfigsRequest {
  resources: AlterConfigsRequestAlterConfigsResource[];
  validateOnly: boolean;
}

export interface AlterConfigsRequestAlterConfigsResource {
  resourceType: number;
  resourceName: string;
  configs: AlterConfigsRequestAlterableConfig[];
}

export interface AlterConfigsRequestAlterableConfig {
  name: string;
  value: string | null;
}

export interface AlterConfigsResponse {
  throttleTimeMs: number;
  responses: AlterConfigsResponseAlterConfigsResourceResponse[];
}

export interface AlterConfigsResponseAlterConfigsResourceResponse {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
}

export const AlterConfigs = api<AlterConfigsRequest, AlterConfigsResponse>(alterConfigsRequest, alterConfigsResponse);
