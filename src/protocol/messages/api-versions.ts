/**
 * ApiVersions (API key 18), versions 0-4. Our own definition in the notation of ../schema.ts.
 */
import { api, f, message } from '../schema.js';

const apiVersionsRequest = message(18, 'ApiVersions', 'request', '0-4', '3+', [
  f('clientSoftwareName', 'string', '3+'),
  f('clientSoftwareVersion', 'string', '3+'),
]);

const apiVersionsResponse = message(18, 'ApiVersions', 'response', '0-4', '3+', [
  f('errorCode', 'int16', '0+'),
  f('apiKeys', '[]ApiVersion', '0+', {}, [
    f('apiKey', 'int16', '0+', { mapKey: true }),
    f('minVersion', 'int16', '0+'),
    f('maxVersion', 'int16', '0+'),
  ]),
  f('throttleTimeMs', 'int32', '1+'),
  f('supportedFeatures', '[]SupportedFeatureKey', '3+', { tagged: '3+', tag: 0 }, [
    f('name', 'string', '3+', { mapKey: true }),
    f('minVersion', 'int16', '3+'),
    f('maxVersion', 'int16', '3+'),
  ]),
  f('finalizedFeaturesEpoch', 'int64', '3+', { tagged: '3+', tag: 1, default: -1 }),
  f('finalizedFeatures', '[]FinalizedFeatureKey', '3+', { tagged: '3+', tag: 2 }, [
    f('name', 'string', '3+', { mapKey: true }),
    f('maxVersionLevel', 'int16', '3+'),
    f('minVersionLevel', 'int16', '3+'),
  ]),
  f('zkMigrationReady', 'bool', '3+', { tagged: '3+', tag: 3, default: false }),
]);

export interface ApiVersionsRequest {
  clientSoftwareName: string;
  clientSoftwareVersion: string;
}

export interface ApiVersionsResponse {
  errorCode: number;
  apiKeys: ApiVersionsResponseApiVersion[];
  throttleTimeMs: number;
  supportedFeatures: ApiVersionsResponseSupportedFeatureKey[];
  finalizedFeaturesEpoch: number;
  finalizedFeatures: ApiVersionsResponseFinalizedFeatureKey[];
  zkMigrationReady: boolean;
}

export interface ApiVersionsResponseApiVersion {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

export interface ApiVersionsResponseSupportedFeatureKey {
  name: string;
  minVersion: number;
  maxVersion: number;
}

export interface ApiVersionsResponseFinalizedFeatureKey {
  name: string;
  maxVersionLevel: number;
  minVersionLevel: number;
}

export const ApiVersions = api<ApiVersionsRequest, ApiVersionsResponse>(apiVersionsRequest, apiVersionsResponse);
