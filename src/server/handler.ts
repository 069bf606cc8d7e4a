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
}

export interface Handler<Req = any, Res = any> {
  api: ApiDef<Req, Res>;
  /** The version range we advertise in ApiVersions and accept. */
  minVersion: number;
  maxVersion: number;
  handle(ctx: RequestContext, request: Req): Promise<Res | null> | Res | null;
}

export function defineHandler<Req, Res>(h: Handler<Req, Res>): Handler<Req, Res> {
  return h;
}
