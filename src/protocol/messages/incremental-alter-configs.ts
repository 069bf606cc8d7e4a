/**
 * IncrementalAlterConfigs (API key 44), versions 0-1. Our own definition in the notation of ../schema.ts.
 */
import { api, f, message } from '../schema.js';

const incrementalAlterConfigsRequest = message(44, 'IncrementalAlterConfigs', 'request', '0-1', '1+', [
  f('resources', '[]AlterConfigsResource', '0+', {}, [
    f('resourceType', 'int8', '0+', { mapKey: true }),
    f('resourceName', 'string', '0+', { mapKey: true }),
    f('configs', '[]AlterableConfig', '0+', {}, [
      f('name', 'string', '0+', { mapKey: true }),
      f('configOperation', 'int8', '0+', { mapKey: true }),
      f('value', 'string', '0+', { nullable: '0+' }),
    ]),
  ]),
  f('validateOnly', 'bool', '0+'),
]);

const incrementalAlterConfigsResponse = message(44, 'IncrementalAlterConfigs', 'response', '0-1', '1+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('responses', '[]AlterConfigsResourceResponse', '0+', {}, [
    f('errorCode', 'int16', '0+'),
    f('errorMessage', 'string', '0+', { nullable: '0+' }),
    f('resourceType', 'int8', '0+'),
    f('resourceName', 'string', '0+'),
  ]),
]);

export interface IncrementalAlterConfigsRequest {
  resources: IncrementalAlterConfigsRequestAlterConfigsResource[];
  validateOnly: boolean;
}

export interface IncrementalAlterConfigsRequestAlterConfigsResource {
  resourceType: number;
  resourceName: string;
  configs: IncrementalAlterConfigsRequestAlterableConfig[];
}

export interface IncrementalAlterConfigsRequestAlterableConfig {
  name: string;
  configOperation: number;
  value: string | null;
}

export interface IncrementalAlterConfigsResponse {
  throttleTimeMs: number;
  responses: IncrementalAlterConfigsResponseAlterConfigsResourceResponse[];
}

export interface IncrementalAlterConfigsResponseAlterConfigsResourceResponse {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
}

export const IncrementalAlterConfigs = api<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse>(incrementalAlterConfigsRequest, incrementalAlterConfigsResponse);
