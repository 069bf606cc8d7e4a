/**
 * DescribeCluster (API key 60), versions 0-1. Our own definition in the notation of ../schema.ts.
 */
import { api, f, message } from '../schema.js';

const describeClusterRequest = message(60, 'DescribeCluster', 'request', '0-1', '0+', [
  f('includeClusterAuthorizedOperations', 'bool', '0+'),
  f('endpointType', 'int8', '1+', { default: 1 }),
]);

const describeClusterResponse = message(60, 'DescribeCluster', 'response', '0-1', '0+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('errorCode', 'int16', '0+'),
  f('errorMessage', 'string', '0+', { nullable: '0+', default: null }),
  f('endpointType', 'int8', '1+', { default: 1 }),
  f('clusterId', 'string', '0+'),
  f('controllerId', 'int32', '0+', { default: -1 }),
  f('brokers', '[]DescribeClusterBroker', '0+', {}, [
    f('brokerId', 'int32', '0+', { mapKey: true }),
    f('host', 'string', '0+'),
    f('port', 'int32', '0+'),
    f('rack', 'string', '0+', { nullable: '0+', default: null }),
  ]),
  f('clusterAuthorizedOperations', 'int32', '0+', { default: -2147483648 }),
]);

export interface DescribeClusterRequest {
  includeClusterAuthorizedOperations: boolean;
  endpointType: number;
}

export interface DescribeClusterResponse {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
  endpointType: number;
  clusterId: string;
  controllerId: number;
  brokers: DescribeClusterResponseDescribeClusterBroker[];
  clusterAuthorizedOperations: number;
}

export interface DescribeClusterResponseDescribeClusterBroker {
  brokerId: number;
  host: string;
  port: number;
  rack: string | null;
}

export const DescribeCluster = api<DescribeClusterRequest, DescribeClusterResponse>(describeClusterRequest, describeClusterResponse);
