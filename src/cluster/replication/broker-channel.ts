/**
 * BrokerChannel: one broker's connection to another broker (Kafka's BlockingSend /
 * NetworkClient for the replica fetcher), over the injected Transport and our own protocol
 * codec: size-prefixed frames, request header v1/v2, responses matched by correlation id.
 *
 * Contract:
 * - `send(api, version, body)` connects on first use (the peer's endpoint is looked up at that
 *   moment, so a broker that moved is found at its new address), encodes, and resolves with
 *   the decoded response. Requests may be pipelined; the peer answers in order.
 * - Every failure — no endpoint, connect refused, a closed socket, a timeout, a frame that
 *   does not decode — rejects with ChannelError and closes the connection; the next send
 *   reconnects. The caller backs off (replica.fetch.backoff.ms); the channel never retries.
 * - A response frame above `maxResponseBytes` closes the connection, and a connect or request
 *   taking longer than `requestTimeoutMs` (or the request's own timeout) fails it.
 * The channel never touches the cluster's state: it moves bytes.
 */
import { BrokerError } from '../../base/errors.js';
import type { Clock, TimerHandle } from '../../base/clock.js';
import type { Transport, TransportSocket } from '../../base/transport.js';
import { Reader, Writer } from '../../protocol/primitives.js';
import { readResponseHeader, responseHeaderIsFlexible, writeRequestHeader } from '../../protocol/headers.js';
import type { ApiDef } from '../../protocol/schema.js';

export class ChannelError extends BrokerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SHERWOOD_NETWORK', message, options);
    this.name = 'ChannelError';
  }
}

export interface BrokerChannelOptions {
  transport: Transport;
  clock: Clock;
  /** The peer's address now, or null when the metadata has none. */
  endpoint(): { host: string; port: number } | null;
  clientId: string;
  requestTimeoutMs: number;
  maxResponseBytes: number;
}

interface Pending {
  responseFlexible: boolean;
  resolve: (body: Buffer) => void;
  reject: (err: Error) => void;
  timer: TimerHandle;
}

export class BrokerChannel {
  private socket: TransportSocket | null = null;
  private connecting: Promise<TransportSocket> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextCorrelationId = 1;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private closed = false;

  constructor(readonly peerId: number, private readonly opts: BrokerChannelOptions) {}

  /** The default bound on a request (and on connecting). */
  get requestTimeoutMs(): number {
    return this.opts.requestTimeoutMs;
  }

  async send<Req, Res>(api: ApiDef<Req, Res>, version: number, body: Req, timeoutMs = this.opts.requestTimeoutMs): Promise<Res> {
    const w = new Writer(256);
    api.request.write(w, body, version);
    const responseFlexible = responseHeaderIsFlexible(api.apiKey, api.response.isFlexible(version));
    const socket = await this.connect();
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = (this.nextCorrelationId + 1) & 0x7fffffff;
    const frameWriter = new Writer(w.length + 64);
    const sizeAt = frameWriter.reserve(4);
    writeRequestHeader(frameWriter, { apiKey: api.apiKey, apiVersion: version, correlationId, clientId: this.opts.clientId }, api.request.isFlexible(version));
    frameWriter.raw(w.toBuffer());
    const frame = frameWriter.toBuffer();
    frame.writeInt32BE(frame.length - 4, sizeAt);
    const responseBody = await new Promise<Buffer>((resolve, reject) => {
      const timer = this.opts.clock.schedule(timeoutMs, () => {
        this.reset(new ChannelError(`${api.name} to broker ${this.peerId} timed out after ${timeoutMs} ms`));
      });
      this.pending.set(correlationId, { responseFlexible, resolve, reject, timer });
      socket.write(frame);
    });
    const r = new Reader(responseBody);
    const res = api.response.read(r, version);
    if (r.error !== null) {
      this.reset(new ChannelError(`${api.name} v${version} response from broker ${this.peerId} does not decode: ${r.error}`));
      throw new ChannelError(`${api.name} v${version} response from broker ${this.peerId} does not decode: ${r.error}`);
    }
    return res;
  }

  /** Closes the connection; pending requests reject. The channel cannot be used afterwards. */
  close(): void {
    this.closed = true;
    this.reset(new ChannelError(`channel to broker ${this.peerId} closed`));
  }

  private async connect(): Promise<TransportSocket> {
    if (this.closed) throw new ChannelError(`channel to broker ${this.peerId} closed`);
    if (this.socket !== null) return this.socket;
    this.connecting ??= (async () => {
      const ep = this.opts.endpoint();
      if (ep === null) throw new ChannelError(`broker ${this.peerId} has no registered endpoint`);
      let socket: TransportSocket;
      try {
        socket = await this.connectWithTimeout(ep.host, ep.port);
      } catch (err) {
        throw new ChannelError(`cannot connect to broker ${this.peerId} at ${ep.host}:${ep.port}: ${(err as Error).message}`, { cause: err });
      }
      if (this.closed) {
        socket.destroy();
        throw new ChannelError(`channel to broker ${this.peerId} closed`);
      }
      socket.setNoDelay(true);
      socket.on('data', (chunk) => this.onData(socket, chunk));
      socket.on('error', (err) => this.resetIf(socket, new ChannelError(`connection to broker ${this.peerId} failed: ${err.message}`, { cause: err })));
      socket.on('close', () => this.resetIf(socket, new ChannelError(`connection to broker ${this.peerId} closed`)));
      socket.on('end', () => this.resetIf(socket, new ChannelError(`connection to broker ${this.peerId} ended`)));
      this.socket = socket;
      return socket;
    })().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  /** A connect that hangs (a host that drops packets) fails after requestTimeoutMs. */
  private connectWithTimeout(host: string, port: number): Promise<TransportSocket> {
    return new Promise((resolve, reject) => {
      let done = false;
      const timer = this.opts.clock.schedule(this.opts.requestTimeoutMs, () => {
        done = true;
        reject(new Error(`connect timed out after ${this.opts.requestTimeoutMs} ms`));
      });
      this.opts.transport.connect(host, port).then((socket) => {
        timer.cancel();
        if (done) socket.destroy();
        else resolve(socket);
      }, (err: unknown) => {
        timer.cancel();
        if (!done) reject(err);
      });
    });
  }

  private resetIf(socket: TransportSocket, err: Error): void {
    if (this.socket === socket) this.reset(err);
  }

  /** Drops the connection and fails everything in flight. */
  private reset(err: Error): void {
    const socket = this.socket;
    this.socket = null;
    this.chunks = [];
    this.buffered = 0;
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) {
      p.timer.cancel();
      p.reject(err);
    }
    socket?.destroy();
  }

  private onData(socket: TransportSocket, chunk: Buffer): void {
    if (this.socket !== socket) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    // Chunks are joined once per frame, when its last byte has arrived (joining on every chunk
    // would copy a 1 MiB fetch response ~16 times over).
    while (this.buffered >= 4) {
      const size = this.frameSize();
      if (size < 4 || size > this.opts.maxResponseBytes) {
        this.reset(new ChannelError(`bad response frame size ${size} from broker ${this.peerId}`));
        return;
      }
      if (this.buffered < size + 4) return;
      let head = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
      const frame = head.subarray(4, 4 + size);
      head = head.subarray(4 + size);
      this.chunks = head.length > 0 ? [head] : [];
      this.buffered = head.length;
      const correlationId = frame.readInt32BE(0);
      const p = this.pending.get(correlationId);
      if (p === undefined) {
        this.reset(new ChannelError(`response with unknown correlation id ${correlationId} from broker ${this.peerId}`));
        return;
      }
      this.pending.delete(correlationId);
      p.timer.cancel();
      const r = new Reader(frame);
      readResponseHeader(r, p.responseFlexible);
      if (r.error !== null) {
        p.reject(new ChannelError(`bad response header from broker ${this.peerId}: ${r.error}`));
        continue;
      }
      p.resolve(frame.subarray(r.pos));
    }
  }

  /** The size prefix of the next frame, which may span the first chunks (buffered >= 4). */
  private frameSize(): number {
    const first = this.chunks[0]!;
    if (first.length >= 4) return first.readInt32BE(0);
    const prefix = Buffer.concat(this.chunks, 4);
    return prefix.readInt32BE(0);
  }
}
