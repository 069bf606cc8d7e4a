/**
 * DescribeCluster (key 60), v0-1.
 *
 * Behavior: a standalone broker is the whole cluster and its controller; in a cluster
 * (etcd.connect) every live broker is listed, with the elected controller. v1 adds endpointType
 * (1 = brokers, 2 = controllers); a broker listener answers a request for controllers with
 * MISMATCHED_ENDPOINT_TYPE, as Kafka does, and other values with UNSUPPORTED_ENDPOINT_TYPE.
 * clusterAuthorizedOperations is -2147483648 unless asked for (no authorizer: all allowed).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { DescribeCluster, type DescribeClusterRequest, type DescribeClusterResponse } from '../../protocol/messages/describe-cluster.js';
import { defineHandler } from '../handler.js';
import { AUTHORIZED_OPERATIONS_OMITTED, CLUSTER_AUTHORIZED_OPERATIONS } from './_admin-helpers.js';

const ENDPOINT_TYPE_BROKER = 1;
const ENDPOINT_TYPE_CONTROLLER = 2;

export default defineHandler<DescribeClusterRequest, DescribeClusterResponse>({
  api: DescribeCluster,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, request) {
    const version = ctx.header.apiVersion;
    const broker = ctx.broker;
    const response = DescribeCluster.response.empty(version);
    response.endpointType = ENDPOINT_TYPE_BROKER;
    response.clusterId = broker.clusterId;
    response.controllerId = broker.controllerId;
    if (version >= 1 && request.endpointType !== ENDPOINT_TYPE_BROKER) {
      if (request.endpointType === ENDPOINT_TYPE_CONTROLLER) {
        response.errorCode = ErrorCode.MISMATCHED_ENDPOINT_TYPE;
        response.errorMessage = 'The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER';
      } else {
        response.errorCode = ErrorCode.UNSUPPORTED_ENDPOINT_TYPE;
        response.errorMessage = `Unsupported endpoint type ${request.endpointType}`;
      }
      return response;
    }
    response.brokers = broker.endpoints(ctx.connection.listenerName).map((e) => ({ brokerId: e.nodeId, host: e.host, port: e.port, rack: e.rack }));
    response.clusterAuthorizedOperations = request.includeClusterAuthorizedOperations ? CLUSTER_AUTHORIZED_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED;
    return response;
  },
});
