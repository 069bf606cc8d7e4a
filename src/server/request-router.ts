/**
 * One request frame in, one response frame (or nothing) out, through the request pipeline:
 *
 *   decode header → find handler → check version → decode body
 *   → authenticate (pipeline/authentication.ts: the principal, or close the connection)
 *   → authorize    (pipeline/authorization.ts: the handler's cluster-level operation, if any;
 *                   per-resource checks happen in handlers through `authorize(ctx, ...)`)
 *   → quota        (pipeline/quota.ts: throttle time put in the response)
 *   → handler
 *   → metrics      (pipeline/request-metrics.ts: per-API count and time, also for failures)
 *   → encode, size prefix included, ready for the socket.
 *
 * Frame = the bytes after the 4-byte size prefix: request header, then body.
 *
 * What closes the connection (the router throws ProtocolError, as Kafka closes the socket):
 * a header or body that does not decode, an unknown API key, a version outside the handler's
 * range for any API but ApiVersions, and an authentication refusal. ApiVersions at an
 * unsupported version is answered with UNSUPPORTED_VERSION in the v0 format, listing our
 * ranges, so a client can retry with a version we know. A handler that throws also closes the
 * connection (the connection logs it); a handler that returns null sends nothing (Produce with
 * acks=0).
 */
import { ProtocolError } from '../base/errors.js';
import type { Logger } from '../base/logger.js';
import { Reader, Writer } from '../protocol/primitives.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { API_VERSIONS_KEY, responseHeaderIsFlexible, skipTaggedFields, writeResponseHeader, type RequestHeader } from '../protocol/headers.js';
import { ApiVersions, type ApiVersionsResponseApiVersion } from '../protocol/messages/api-versions.js';
import type { Broker } from './broker.js';
import type { ConnectionInfo, Handler, RequestContext } from './handler.js';
import { CLUSTER_RESOURCE_NAME } from './pipeline/authorization.js';

/**
 * A ready-to-write response frame: one Buffer, or a list of Buffers to write back to back
 * (record batches of a Fetch response are sent by reference, not copied into the frame).
 */
export type ResponseFrame = Buffer | Buffer[];

/** What a request produces: a ready-to-write frame, nothing, or a promise of either. */
export type RouteResult = ResponseFrame | null | Promise<ResponseFrame | null>;

/** Our advertised ranges, sorted by API key. */
export function supportedApiVersions(handlers: ReadonlyMap<number, Handler>): ApiVersionsResponseApiVersion[] {
  return [...handlers.values()]
    .map((h) => ({ apiKey: h.api.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }))
    .sort((a, b) => a.apiKey - b.apiKey);
}

export class RequestRouter {
  private readonly broker: Broker;
  private readonly handlers: ReadonlyMap<number, Handler>;
  private readonly logger: Logger;

  constructor(broker: Broker, handlers: ReadonlyMap<number, Handler> = broker.handlers) {
    this.broker = broker;
    this.handlers = handlers;
    this.logger = broker.logger;
  }

  /** Throws ProtocolError when the connection must be closed. */
  route(frame: Buffer, connection: ConnectionInfo, awaitingReplication?: () => void): RouteResult {
    const r = new Reader(frame);
    const apiKey = r.int16();
    const apiVersion = r.int16();
    const correlationId = r.int32();
    if (r.error !== null) throw new ProtocolError(`request header too short (${frame.length} bytes)`);
    const handler = this.handlers.get(apiKey);
    if (handler === undefined) throw new ProtocolError(`unknown API key ${apiKey}`);
    if (apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
      if (apiKey === API_VERSIONS_KEY) return this.unsupportedApiVersions(correlationId);
      throw new ProtocolError(`unsupported version ${apiVersion} of ${handler.api.name} (we serve ${handler.minVersion}-${handler.maxVersion})`);
    }
    const codec = handler.api.request;
    const flexible = codec.isFlexible(apiVersion);
    const clientId = r.nullableString();
    if (flexible) skipTaggedFields(r);
    const request = codec.read(r, apiVersion);
    if (r.error !== null) throw new ProtocolError(`malformed ${handler.api.name} v${apiVersion} request: ${r.error}`);
    const header: RequestHeader = { apiKey, apiVersion, correlationId, clientId };
    const broker = this.broker;
    const auth = broker.authenticator.authenticate(connection, header);
    if (auth.closeReason !== undefined) throw new ProtocolError(`${handler.api.name} refused: ${auth.closeReason}`);
    const ctx: RequestContext = { header, broker, connection, principal: auth.principal, awaitingReplication };
    const started = broker.clock.monotonicMs();
    const throttleTimeMs = broker.quotas.recordRequest(ctx, frame.length);
    let result: unknown;
    try {
      result = this.authorizedToRun(ctx, handler) ? handler.handle(ctx, request) : handler.errorResponse!(request, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, apiVersion);
    } catch (err) {
      broker.requestMetrics.record(apiKey, apiVersion, broker.clock.monotonicMs() - started, true);
      throw err;
    }
    if (result instanceof Promise) {
      return result.then(
        (res) => this.finish(handler, header, res, started, throttleTimeMs),
        (err: unknown) => {
          broker.requestMetrics.record(apiKey, apiVersion, broker.clock.monotonicMs() - started, true);
          throw err;
        },
      );
    }
    return this.finish(handler, header, result, started, throttleTimeMs);
  }

  /** The authorize stage: a handler's cluster-level operation, when it declares one. */
  private authorizedToRun(ctx: RequestContext, handler: Handler): boolean {
    const operation = handler.clusterOperation;
    if (operation === undefined) return true;
    return this.broker.authorizer.authorize({
      principal: ctx.principal, host: ctx.connection.remoteAddress, operation, resourceType: 'CLUSTER', resourceName: CLUSTER_RESOURCE_NAME,
    });
  }

  private finish(handler: Handler, header: RequestHeader, response: unknown, started: number, throttleTimeMs: number): ResponseFrame | null {
    this.broker.requestMetrics.record(header.apiKey, header.apiVersion, this.broker.clock.monotonicMs() - started, false);
    if (throttleTimeMs > 0 && typeof response === 'object' && response !== null && 'throttleTimeMs' in response) {
      const r = response as { throttleTimeMs: number };
      r.throttleTimeMs = Math.max(r.throttleTimeMs, throttleTimeMs);
    }
    return this.encode(handler, header, response);
  }

  private encode(handler: Handler, header: RequestHeader, response: unknown): ResponseFrame | null {
    if (response === null || response === undefined) return null;
    return encodeResponseChunks(handler, header.apiVersion, header.correlationId, response);
  }

  /** Kafka answers an ApiVersions version it does not know with error 35 in the v0 format. */
  private unsupportedApiVersions(correlationId: number): Buffer {
    const body = ApiVersions.response.empty(0);
    body.errorCode = ErrorCode.UNSUPPORTED_VERSION;
    body.apiKeys = supportedApiVersions(this.handlers);
    const w = new Writer(16 + body.apiKeys.length * 6);
    const at = w.reserve(4);
    writeResponseHeader(w, correlationId, false);
    ApiVersions.response.write(w, body, 0);
    w.buf.writeInt32BE(w.pos - at - 4, at);
    this.logger.debug('ApiVersions at an unsupported version', { correlationId });
    return w.toBuffer();
  }
}

/** Size prefix + response header (v1 for flexible versions, except ApiVersions) + body, as one Buffer. */
export function encodeResponseFrame(handler: Handler, version: number, correlationId: number, response: unknown): Buffer {
  const frame = encodeResponseChunks(handler, version, correlationId, response);
  return Buffer.isBuffer(frame) ? frame : Buffer.concat(frame);
}

/**
 * Record batches at least this long are sent by reference (their own iovec in one vectored
 * socket write) instead of being copied into the frame; shorter ones are cheaper to copy.
 */
const RECORDS_BY_REFERENCE_BYTES = 8192;

/**
 * The frame as `encodeResponseFrame`, but `records` fields of RECORDS_BY_REFERENCE_BYTES or
 * more are not copied: the result is then a list of Buffers (size prefix in the first one)
 * that the connection writes back to back.
 */
export function encodeResponseChunks(handler: Handler, version: number, correlationId: number, response: unknown): ResponseFrame {
  const codec = handler.api.response;
  const w = new Writer(512, RECORDS_BY_REFERENCE_BYTES);
  const at = w.reserve(4);
  writeResponseHeader(w, correlationId, responseHeaderIsFlexible(handler.api.apiKey, codec.isFlexible(version)));
  codec.write(w, response, version);
  const chunks = w.toChunks();
  chunks[0]!.writeInt32BE(w.length - at - 4, at);
  return chunks.length === 1 ? chunks[0]! : chunks;
}
