/**
 * The network seam under the etcd client: etcd's v3 JSON gateway over HTTP/1.1 (`POST
 * /v3/<service>/<method>` with a JSON body, base64 keys and values). The client
 * (etcd-client.ts) sees only this interface, so tests or a simulator can put something else
 * under it; `httpEtcdTransport` is the real one, on node:http.
 *
 * Contract:
 * - `request` sends one JSON body and resolves with the status and the whole response body,
 *   whatever the status. It rejects with EtcdTransportError when no response came: `sent`
 *   is false when the request surely never reached etcd (connection refused), true when it
 *   may have (reset, aborted by `signal` after writing).
 * - `stream` is a server-streaming call (`/v3/watch`, `/v3/lease/keepalive`): the gateway
 *   answers with one JSON object per line. `onResponse(status)` once the headers arrive, then
 *   `onMessage(line)` per object, then `onEnd(err)` exactly once (null: etcd closed the stream
 *   cleanly; also called after `close()`, with null). `pause()`/`resume()` stop and restart
 *   reading (backpressure for slow consumers).
 */
import http from 'node:http';
import type { Socket } from 'node:net';

export interface EtcdEndpoint {
  readonly host: string;
  readonly port: number;
}

export interface EtcdHttpResponse {
  readonly status: number;
  readonly body: string;
}

export interface EtcdStreamHandlers {
  onResponse(status: number): void;
  onMessage(line: string): void;
  onEnd(err: Error | null): void;
}

export interface EtcdStream {
  close(): void;
  pause(): void;
  resume(): void;
}

export interface EtcdTransport {
  request(endpoint: EtcdEndpoint, path: string, body: string, options: { signal: AbortSignal; headers?: Record<string, string> }): Promise<EtcdHttpResponse>;
  stream(endpoint: EtcdEndpoint, path: string, body: string, handlers: EtcdStreamHandlers, options?: { headers?: Record<string, string> }): EtcdStream;
  /** Closes idle pooled connections. */
  close(): void;
}

export class EtcdTransportError extends Error {
  constructor(message: string, readonly sent: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EtcdTransportError';
  }
}

/** TCP keep-alive probes on every etcd connection, so a dead peer host ends a silent watch. */
const KEEPALIVE_INITIAL_DELAY_MS = 5000;

function onSocket(req: http.ClientRequest): void {
  req.on('socket', (s: Socket) => s.setKeepAlive(true, KEEPALIVE_INITIAL_DELAY_MS));
}

function headersFor(body: string, extra?: Record<string, string>): Record<string, string | number> {
  return { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...extra };
}

/** etcd's v3 gateway through node:http; one keep-alive pool for unary calls, a connection per stream. */
export function httpEtcdTransport(): EtcdTransport {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  return {
    request(endpoint, path, body, options) {
      return new Promise((resolve, reject) => {
        let written = false;
        const req = http.request({
          host: endpoint.host, port: endpoint.port, path, method: 'POST', agent, signal: options.signal,
          headers: headersFor(body, options.headers),
        }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', (err) => reject(new EtcdTransportError(`etcd ${endpoint.host}:${endpoint.port}${path}: ${err.message}`, true, { cause: err })));
        });
        onSocket(req);
        req.on('error', (err: NodeJS.ErrnoException) => {
          const sent = written && err.code !== 'ECONNREFUSED';
          reject(new EtcdTransportError(`etcd ${endpoint.host}:${endpoint.port}${path}: ${err.code ?? err.message}`, sent, { cause: err }));
        });
        req.end(body, () => { written = true; });
      });
    },

    stream(endpoint, path, body, handlers, options = {}) {
      let ended = false;
      let response: http.IncomingMessage | null = null;
      const end = (err: Error | null) => {
        if (ended) return;
        ended = true;
        handlers.onEnd(err);
      };
      const req = http.request({
        host: endpoint.host, port: endpoint.port, path, method: 'POST', agent: false,
        headers: headersFor(body, options.headers),
      }, (res) => {
        response = res;
        handlers.onResponse(res.statusCode ?? 0);
        res.setEncoding('utf8');
        let buffered = '';
        res.on('data', (chunk: string) => {
          buffered += chunk;
          let nl: number;
          while (!ended && (nl = buffered.indexOf('\n')) >= 0) {
            const line = buffered.slice(0, nl).trim();
            buffered = buffered.slice(nl + 1);
            if (line.length > 0) handlers.onMessage(line);
          }
        });
        res.on('end', () => {
          const rest = buffered.trim();
          if (!ended && rest.length > 0) handlers.onMessage(rest);
          end(null);
        });
        res.on('aborted', () => end(new EtcdTransportError(`etcd stream ${path} aborted`, true)));
        res.on('error', (err) => end(new EtcdTransportError(`etcd stream ${path}: ${err.message}`, true, { cause: err })));
        res.on('close', () => end(new EtcdTransportError(`etcd stream ${path} closed`, true)));
      });
      onSocket(req);
      req.on('error', (err: NodeJS.ErrnoException) => end(new EtcdTransportError(`etcd ${endpoint.host}:${endpoint.port}${path}: ${err.code ?? err.message}`, err.code !== 'ECONNREFUSED', { cause: err })));
      req.end(body);
      return {
        close() {
          end(null);
          req.destroy();
        },
        pause: () => { response?.pause(); },
        resume: () => { response?.resume(); },
      };
    },

    close() {
      agent.destroy();
    },
  };
}
