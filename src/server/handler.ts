/**
 * The contract every API handler implements. A handler file in ./handlers/ decodes nothing
 * itself: the server decodes the request with `api.request`, calls `handle`, and encodes what
 * it returns with `api.response` at the request's version. Returning `null` sends no response
 * (Produce with acks=0). Kafka error codes go in the response; thrown errors close the
 * connection after logging (they mean a bug or an operating failure, not a client mistake).
 */
import type { ApiDef } from '../protocol/schema.js';
import type { RequestHeader } from '../protocol/headers.js';
import type { Broker } from './broker.js';
import type { AclOperation, ResourceType } from './pipeline/authorization.js';

export interface ConnectionInfo {
  /** A number unique to the connection for the broker's lifetime (fetch sessions, SASL). */
  id: number;
  remoteAddress: string;
  remotePort: number;
  listenerName: string;
  /** Authenticated principal, e.g. 'User:ANONYMOUS'. */
  principal: string;
}

export interface RequestContext {
  header: RequestHeader;
  broker: Broker;
  connection: ConnectionInfo;
  /** Who the request runs as (the pipeline's authentication stage decided it). */
  principal: string;
  /**
   * Produce only: the handler calls it once every append of the request is done and all that
   * is left is waiting for followers (acks=all). The connection may then start the next
   * Produce (connection.ts); answers stay in order.
   */
  awaitingReplication?: () => void;
}

export interface Handler<Req = any, Res = any> {
  api: ApiDef<Req, Res>;
  /** The version range we advertise in ApiVersions and accept. */
  minVersion: number;
  maxVersion: number;
  handle(ctx: RequestContext, request: Req): Promise<Res | null> | Res | null;
  /**
   * An operation on the cluster resource the principal must be allowed before the handler
   * runs (e.g. CLUSTER_ACTION for inter-broker APIs). A handler that declares it must also
   * build its error response.
   */
  clusterOperation?: AclOperation;
  /** The whole response carrying `errorCode` (Kafka's getErrorResponse), for pipeline refusals. */
  errorResponse?(request: Req, errorCode: number, version: number): Res;
}

/** Whether the request's principal may perform `operation` on a resource (handlers' per-item checks). */
export function authorize(ctx: RequestContext, operation: AclOperation, resourceType: ResourceType, resourceName: string): boolean {
  return ctx.broker.authorizer.authorize({ principal: ctx.principal, host: ctx.connection.remoteAddress, operation, resourceType, resourceName });
}

export function defineHandler<Req, Res>(h: Handler<Req, Res>): Handler<Req, Res> {
  return h;
}
