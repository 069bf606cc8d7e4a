/**
 * DescribeConfigs (API key 32), versions 1-4. Our own definition in the notation of ../schema.ts.
 */
import { api, f, message } from '../schema.js';

const describeConfigsRequest = message(32, 'DescribeConfigs', 'request', '1-4', '4+', [
  f('resources', '[]DescribeConfigsResource', '0+', {}, [
    f('resourceType', 'int8', '0+'),
    f('resourceName', 'string', '0+'),
    f('configurationKeys', '[]string', '0+', { nullable: '0+' }),
  ]),
  f('includeSynonyms', 'bool', '1+', { default: false }),
  f('includeDocumentation', 'bool', '3+', { default: false }),
]);

const describeConfigsResponse = message(32, 'DescribeConfigs', 'response', '1-4', '4+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('results', '[]DescribeConfigsResult', '0+', {}, [
    f('errorCode', 'int16', '0+'),
    f('errorMessage', 'string', '0+', { nullable: '0+' }),
    f('resourceType', 'int8', '0+'),
    f('resourceName', 'string', '0+'),
    f('configs', '[]DescribeConfigsResourceResult', '0+', {}, [
      f('name', 'string', '0+'),
      f('value', 'string', '0+', { nullable: '0+' }),
      f('readOnly', 'bool', '0+'),
      f('isDefault', 'bool', '0'),
      f('configSource', 'int8', '1+', { default: -1 }),
      f('isSensitive', 'bool', '0+'),
      f('synonyms', '[]DescribeConfigsSynonym', '1+', {}, [
        f('name', 'string', '1+'),
        f('value', 'string', '1+', { nullable: '0+' }),
        f('source', 'int8', '1+'),
      ]),
      f('configType', 'int8', '3+', { default: 0 }),
      f('documentation', 'string', '3+', { nullable: '0+' }),
    ]),
  ]),
]);

export interface DescribeConfigsRequest {
  resources: DescribeConfigsRequestDescribeConfigsResource[];
  includeSynonyms: boolean;
  includeDocumentation: boolean;
}

export interface DescribeConfigsRequestDescribeConfigsResource {
  resourceType: number;
  resourceName: string;
  configurationKeys: string[] | null;
}

export interface DescribeConfigsResponse {
  throttleTimeMs: number;
  results: DescribeConfigsResponseDescribeConfigsResult[];
}

export interface DescribeConfigsResponseDescribeConfigsResult {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
  configs: DescribeConfigsResponseDescribeConfigsResourceResult[];
}

export interface DescribeConfigsResponseDescribeConfigsResourceResult {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  configSource: number;
  isSensitive: boolean;
  synonyms: DescribeConfigsResponseDescribeConfigsSynonym[];
  configType: number;
  documentation: string | null;
}

export interface DescribeConfigsResponseDescribeConfigsSynonym {
  name: string;
  value: string | null;
  source: number;
}

export const DescribeConfigs = api<DescribeConfigsRequest, DescribeConfigsResponse>(describeConfigsRequest, describeConfigsResponse);
