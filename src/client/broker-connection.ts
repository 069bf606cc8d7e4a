/**
 * One TCP connection to one broker: size-prefixed frames, correlation ids, pipelined requests.
 *
 * Request header v2 (with tagged fields) is used when the request version is flexible, else
 * v1. Response header v1 (tagged fields) is used when the response version is flexible, except
 * for ApiVersions, whose response header is always v0 so that a client can read it before
 * knowing what the broker supports. Kafka answers requests on one connection in order, but we
 * match by correlation id anyway and reject a response whose id we never sent (the
 * connection is then closed: the stream can no longer be trusted).
 *
 * Limits: at most `maxInFlight` requests are outstanding (later ones wait for a slot), each
 * request has a timeout, and a response frame larger than `maxResponseBytes` closes the
 * connection. A Produce with acks=0 gets no response and resolves as soon as it is written.
 */
import net from 'node:net';
import { BrokerError } from '../base/errors.js';
import { systemClock, type Clock, type TimerHandle } from '../base/clock.js';
import { Reader, Writer } from '../protocol/primitives.js';
import { readResponseHeader, responseHeaderIsFlexible, writeRequestHeader } from '../protocol/headers.js';
import type { ApiDef } from '../protocol/schema.js';

export class ConnectionError extends BrokerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SHERWOOD_NETWORK', message, options);
    this.name = 'ConnectionError';
  }
}

export class RequestTimeoutError extends BrokerError {
  constructor(message: string) {
    super('SHERWOOD_TIMEOUT', message);
    this.name = 'RequestTimeoutError';
  }
}

export interface BrokerConnectionOptions {
  clientId?: string | null;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  maxInFlight?: number;
  maxResponseBytes?: number;
  clock?: Clock;
}

interface Pending {
  correlationId: number;
  apiKey: number;
  apiVersion: number;
  responseFlexible: boolean;
  resolve: (body: Buffer) => void;
  reject: (err: Error) => void;
  timer: TimerHandle;
}

const DEFAULTS = {
  connectTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  maxInFlight: 100,
  maxResponseBytes: 256 * 1024 * 1024,
};

export class BrokerConnection {
  readonly host: string;
  readonly port: number;
  readonly clientId: string | null;
  private readonly socket: net.Socket;
  private readonly clock: Clock;
  private readonly requestTimeoutMs: number;
  private readonly maxInFlight: number;
  private readonly maxResponseBytes: number;
  private readonly pending = new Map<number, Pending>();
  /** Correlation ids whose requests timed out; their late responses are dropped. */
  private readonly timedOut = new Set<number>();
  private readonly slotWaiters: (() => void)[] = [];
  private nextCorrelationId = 1;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private closedError: Error | null = null;
  private readonly closeListeners: ((err: Error | null) => void)[] = [];

  private constructor(socket: net.Socket, host: string, port: number, options: BrokerConnectionOptions) {
    this.socket = socket;
    this.host = host;
    this.port = port;
    this.clientId = options.clientId === undefined ? 'sherwood-client' : options.clientId;
    this.clock = options.clock ?? systemClock;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs;
    this.maxInFlight = options.maxInFlight ?? DEFAULTS.maxInFlight;
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULTS.maxResponseBytes;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(new ConnectionError(`connection to ${host}:${port} failed: ${err.message}`, { cause: err })));
    socket.on('close', () => this.fail(new ConnectionError(`connection to ${host}:${port} closed`)));
  }

  static connect(host: string, port: number, options: BrokerConnectionOptions = {}): Promise<BrokerConnection> {
    const clock = options.clock ?? systemClock;
    const timeoutMs = options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs;
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      const timer = clock.schedule(timeoutMs, () => {
        socket.destroy();
        reject(new RequestTimeoutError(`connecting to ${host}:${port} timed out after ${timeoutMs} ms`));
      });
      const onError = (err: Error): void => {
        timer.cancel();
        reject(new ConnectionError(`cannot connect to ${host}:${port}: ${err.message}`, { cause: err }));
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        timer.cancel();
        socket.off('error', onError);
        resolve(new BrokerConnection(socket, host, port, options));
      });
    });
  }

  get closed(): boolean {
    return this.closedError !== null;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Called once when the connection closes (err is null after close()). */
  onClose(fn: (err: Error | null) => void): void {
    this.closeListeners.push(fn);
  }

  /**
   * Encodes and sends a request at `version`, resolving to the decoded response. With
   * `expectResponse: false` (Produce acks=0) it resolves to null once written.
   */
  async send<Req, Res>(
    api: ApiDef<Req, Res>,
    version: number,
    body: Req,
    options: { timeoutMs?: number; expectResponse?: boolean } = {},
  ): Promise<Res> {
    const w = new Writer(256);
    api.request.write(w, body, version);
    const responseBody = await this.sendRaw(api.apiKey, version, w.toBuffer(), {
      requestFlexible: api.request.isFlexible(version),
      responseFlexible: responseHeaderIsFlexible(api.apiKey, api.response.isFlexible(version)),
      timeoutMs: options.timeoutMs,
      expectResponse: options.expectResponse,
    });
    if (responseBody === null) return null as Res;
    const r = new Reader(responseBody);
    const res = api.response.read(r, version);
    if (r.error !== null) throw new BrokerError('SHERWOOD_PROTOCOL', `${api.name} v${version} response: ${r.error}`);
    return res;
  }

  /** Sends an already-encoded request body; resolves to the response body (after the header). */
  async sendRaw(
    apiKey: number,
    apiVersion: number,
    body: Buffer,
    options: { requestFlexible: boolean; responseFlexible: boolean; timeoutMs?: number; expectResponse?: boolean },
  ): Promise<Buffer | null> {
    while (this.pending.size >= this.maxInFlight && this.closedError === null) {
      await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
    }
    if (this.closedError !== null) throw this.closedError;
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = (this.nextCorrelationId + 1) & 0x7fffffff;
    const w = new Writer(body.length + 64);
    const sizeAt = w.reserve(4);
    writeRequestHeader(w, { apiKey, apiVersion, correlationId, clientId: this.clientId }, options.requestFlexible);
    w.raw(body);
    const frame = w.toBuffer();
    frame.writeInt32BE(frame.length - 4, sizeAt);
    if (options.expectResponse === false) {
      await new Promise<void>((resolve, reject) => this.socket.write(frame, (err) => (err ? reject(new ConnectionError(err.message, { cause: err })) : resolve())));
      return null;
    }
    const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs;
    return new Promise<Buffer>((resolve, reject) => {
      const timer = this.clock.schedule(timeoutMs, () => {
        if (!this.pending.delete(correlationId)) return;
        // The broker may still answer: remember the id so that late response is dropped
        // instead of being taken for a protocol error that fails every other request.
        this.timedOut.add(correlationId);
        this.releaseSlot();
        reject(new RequestTimeoutError(`request apiKey=${apiKey} v${apiVersion} to ${this.host}:${this.port} timed out after ${timeoutMs} ms`));
      });
      this.pending.set(correlationId, { correlationId, apiKey, apiVersion, responseFlexible: options.responseFlexible, resolve, reject, timer });
      this.socket.write(frame);
    });
  }

  close(): Promise<void> {
    if (this.closedError === null) this.fail(null);
    return new Promise((resolve) => {
      if (this.socket.destroyed) resolve();
      else this.socket.once('close', () => resolve());
    });
  }

  private releaseSlot(): void {
    const next = this.slotWaiters.shift();
    if (next !== undefined) next();
  }

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= 4) {
      let first = this.chunks[0]!;
      if (first.length < 4) {
        first = Buffer.concat(this.chunks, this.buffered);
        this.chunks = [first];
      }
      const size = first.readInt32BE(0);
      if (size < 4 || size > this.maxResponseBytes) {
        this.fail(new ConnectionError(`bad response frame size ${size} from ${this.host}:${this.port}`));
        this.socket.destroy();
        return;
      }
      if (this.buffered < size + 4) return;
      // Join chunks only once the whole frame is here (no quadratic copying for big frames).
      const head = this.chunks.length === 1 ? first : Buffer.concat(this.chunks, this.buffered);
      const frame = head.subarray(4, 4 + size);
      const rest = head.subarray(4 + size);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
      this.onFrame(frame);
      if (this.closedError !== null) return;
    }
  }

  private onFrame(frame: Buffer): void {
    const correlationId = frame.readInt32BE(0);
    const p = this.pending.get(correlationId);
    if (p === undefined) {
      if (this.timedOut.delete(correlationId)) return;
      this.fail(new ConnectionError(`response with unknown correlation id ${correlationId} from ${this.host}:${this.port}`));
      this.socket.destroy();
      return;
    }
    this.pending.delete(correlationId);
    p.timer.cancel();
    this.releaseSlot();
    const r = new Reader(frame);
    readResponseHeader(r, p.responseFlexible);
    if (r.error !== null) {
      p.reject(new BrokerError('SHERWOOD_PROTOCOL', `bad response header: ${r.error}`));
      return;
    }
    p.resolve(frame.subarray(r.pos));
  }

  private fail(err: Error | null): void {
    if (this.closedError !== null) return;
    this.closedError = err ?? new ConnectionError(`connection to ${this.host}:${this.port} was closed by the client`);
    for (const p of this.pending.values()) {
      p.timer.cancel();
      p.reject(this.closedError);
    }
    this.pending.clear();
    for (const w of this.slotWaiters.splice(0)) w();
    if (!this.socket.destroyed) this.socket.destroy();
    for (const fn of this.closeListeners) fn(err);
  }
}
