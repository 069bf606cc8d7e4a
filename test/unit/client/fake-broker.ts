/**
 * A scripted TCP peer for client tests: it parses request frames with our protocol codec and
 * answers with whatever the test's handler returns, so the client's framing, correlation and
 * header rules are tested without the real broker.
 */
import net from 'node:net';
import { Reader, Writer } from '../../../src/protocol/primitives.js';
import { readRequestHeaderPrefix, skipTaggedFields, writeResponseHeader } from '../../../src/protocol/headers.js';
import { apiByKey } from '../../../src/protocol/api-keys.js';
import { ApiVersions } from '../../../src/protocol/messages/api-versions.js';

export interface FakeRequest {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  body: unknown;
  raw: Buffer;
}

/** Return a response object (encoded at the request's version), a Buffer (raw body), null (no answer) or 'close'. */
export type FakeHandler = (req: FakeRequest, socket: net.Socket) => unknown | Promise<unknown>;

export interface FakeBroker {
  port: number;
  bootstrap: string;
  requests: FakeRequest[];
  close(): Promise<void>;
}

export function apiVersionsBody(ranges: [number, number, number][] = defaultRanges()): { errorCode: number; apiKeys: { apiKey: number; minVersion: number; maxVersion: number }[]; throttleTimeMs: number } {
  return { errorCode: 0, apiKeys: ranges.map(([apiKey, minVersion, maxVersion]) => ({ apiKey, minVersion, maxVersion })), throttleTimeMs: 0 };
}

export function defaultRanges(): [number, number, number][] {
  return [[18, 0, 3], [3, 0, 12], [0, 3, 9], [1, 4, 12], [2, 1, 7], [10, 0, 4], [8, 2, 8], [9, 1, 8]];
}

export function encodeResponse(apiKey: number, version: number, correlationId: number, body: unknown | Buffer): Buffer {
  const def = apiByKey(apiKey)!;
  const flexible = apiKey !== 18 && def.response.isFlexible(version);
  const w = new Writer();
  const at = w.reserve(4);
  writeResponseHeader(w, correlationId, flexible);
  if (Buffer.isBuffer(body)) w.raw(body);
  else def.response.write(w, { ...def.response.empty(version), ...(body as object) }, version);
  const frame = w.toBuffer();
  frame.writeInt32BE(frame.length - 4, at);
  return Buffer.from(frame);
}

export async function startFakeBroker(handler: FakeHandler): Promise<FakeBroker> {
  const requests: FakeRequest[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const size = buf.readInt32BE(0);
        const frame = buf.subarray(4, 4 + size);
        buf = buf.subarray(4 + size);
        const r = new Reader(frame);
        const { apiKey, apiVersion, correlationId } = readRequestHeaderPrefix(r);
        const def = apiByKey(apiKey)!;
        const clientId = r.nullableString();
        const flexible = def.request.isFlexible(apiVersion);
        if (flexible) skipTaggedFields(r);
        const raw = frame.subarray(r.pos);
        let body: unknown = null;
        try {
          body = def.request.decode(raw, apiVersion);
        } catch {
          body = null;
        }
        const req = { apiKey, apiVersion, correlationId, clientId, body, raw };
        requests.push(req);
        // Answers may complete in any order: each request is handled independently.
        void Promise.resolve(handler(req, socket)).then((out) => {
          if (out === 'close') {
            socket.destroy();
            return;
          }
          if (out === null || out === undefined || socket.destroyed) return;
          socket.write(encodeResponse(apiKey, apiVersion, correlationId, out));
        });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    bootstrap: `127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/** ApiVersions answer for the fake broker (with the given ranges). */
export function answerApiVersions(req: FakeRequest, ranges = defaultRanges()): unknown {
  return ApiVersions.response.encode(apiVersionsBody(ranges) as never, req.apiVersion);
}
