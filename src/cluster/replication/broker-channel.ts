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
 * - Responses are read straight into their frame (the transport's onread): small reads land in
 *   a scratch buffer and are copied out, a frame's body goes directly into a buffer of its
 *   size from ioBufferPool (which hands out plain buffers for small sizes and ignores their
 *   release). `sendHolding` hands that frame's release to the caller,
 *   who gives it back to the pool once nothing refers to the response (a follower, after
 *   appending the fetched records); `send` leaves it to the GC.
 * The channel never touches the cluster's state: it moves bytes.
 */
import { BrokerError } from '../../base/errors.js';
import type { Clock, TimerHandle } from '../../base/clock.js';
import type { Transport, TransportSocket } from '../../base/transport.js';
import { ioBufferPool } from '../../base/buffer-pool.js';
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

const SCRATCH_BYTES = 64 * 1024;

interface Pending {
  responseFlexible: boolean;
  /** The whole frame (correlation id first) and where the response body starts in it. */
  resolve: (frame: Buffer, bodyAt: number) => void;
  reject: (err: Error) => void;
  timer: TimerHandle;
}

export class BrokerChannel {
  private socket: TransportSocket | null = null;
  private connecting: Promise<TransportSocket> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextCorrelationId = 1;
  private closed = false;
  /** Identifies the current connection's reads (a stale socket's reads are dropped). */
  private readToken: object | null = null;
  private readonly scratch = Buffer.allocUnsafe(SCRATCH_BYTES);
  private readonly header = Buffer.alloc(4);
  private headerFill = 0;
  /** The frame being received (size prefix excluded) and how much of it has arrived. */
  private frame: Buffer | null = null;
  private frameFill = 0;

  constructor(readonly peerId: number, private readonly opts: BrokerChannelOptions) {}

  /** The default bound on a request (and on connecting). */
  get requestTimeoutMs(): number {
    return this.opts.requestTimeoutMs;
  }

  async send<Req, Res>(api: ApiDef<Req, Res>, version: number, body: Req, timeoutMs = this.opts.requestTimeoutMs): Promise<Res> {
    return (await this.sendHolding(api, version, body, timeoutMs)).response;
  }

  /**
   * As send; `release()` returns the response's frame to ioBufferPool. Call it once nothing
   * reads the response or any buffer in it any more (they are views of the frame), or never.
   */
  async sendHolding<Req, Res>(api: ApiDef<Req, Res>, version: number, body: Req, timeoutMs = this.opts.requestTimeoutMs): Promise<{ response: Res; release: () => void }> {
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
    const { frame: responseFrame, bodyAt } = await new Promise<{ frame: Buffer; bodyAt: number }>((resolve, reject) => {
      const timer = this.opts.clock.schedule(timeoutMs, () => {
        this.reset(new ChannelError(`${api.name} to broker ${this.peerId} timed out after ${timeoutMs} ms`));
      });
      this.pending.set(correlationId, { responseFlexible, resolve: (f, at) => resolve({ frame: f, bodyAt: at }), reject, timer });
      socket.write(frame);
    });
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      ioBufferPool.release(responseFrame);
    };
    const r = new Reader(responseFrame.subarray(bodyAt));
    const res = api.response.read(r, version);
    if (r.error !== null) {
      release();
      this.reset(new ChannelError(`${api.name} v${version} response from broker ${this.peerId} does not decode: ${r.error}`));
      throw new ChannelError(`${api.name} v${version} response from broker ${this.peerId} does not decode: ${r.error}`);
    }
    return { response: res, release };
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
      const token = {};
      try {
        socket = await this.connectWithTimeout(ep.host, ep.port, token);
      } catch (err) {
        throw new ChannelError(`cannot connect to broker ${this.peerId} at ${ep.host}:${ep.port}: ${(err as Error).message}`, { cause: err });
      }
      if (this.closed) {
        socket.destroy();
        throw new ChannelError(`channel to broker ${this.peerId} closed`);
      }
      socket.setNoDelay(true);
      this.readToken = token;
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
  private connectWithTimeout(host: string, port: number, token: object): Promise<TransportSocket> {
    return new Promise((resolve, reject) => {
      let done = false;
      const timer = this.opts.clock.schedule(this.opts.requestTimeoutMs, () => {
        done = true;
        reject(new Error(`connect timed out after ${this.opts.requestTimeoutMs} ms`));
      });
      const onread = { buffer: () => this.readTarget(token), callback: (n: number, buf: Uint8Array) => this.onRead(token, n, buf) };
      this.opts.transport.connect(host, port, { onread }).then((socket) => {
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
    this.readToken = null;
    // A partly received frame was nobody's yet.
    if (this.frame !== null) ioBufferPool.release(this.frame);
    this.frame = null;
    this.frameFill = 0;
    this.headerFill = 0;
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) {
      p.timer.cancel();
      p.reject(err);
    }
    socket?.destroy();
  }

  /** Where the next read goes: the rest of the frame being received, else the scratch buffer. */
  private readTarget(token: object): Uint8Array {
    if (token !== this.readToken || this.frame === null) return this.scratch;
    return this.frame.subarray(this.frameFill);
  }

  /** `n` bytes arrived in `buf` (what readTarget returned). */
  private onRead(token: object, n: number, buf: Uint8Array): void {
    if (token !== this.readToken) return;
    if (buf !== this.scratch) {
      // Straight into the frame.
      this.frameFill += n;
      if (this.frameFill === this.frame!.length) this.completeFrame();
      return;
    }
    let at = 0;
    while (at < n && token === this.readToken) {
      if (this.frame === null) {
        const take = Math.min(4 - this.headerFill, n - at);
        this.scratch.copy(this.header, this.headerFill, at, at + take);
        this.headerFill += take;
        at += take;
        if (this.headerFill < 4) return;
        this.headerFill = 0;
        const size = this.header.readInt32BE(0);
        if (size < 4 || size > this.opts.maxResponseBytes) {
          this.reset(new ChannelError(`bad response frame size ${size} from broker ${this.peerId}`));
          return;
        }
        // Large frames (fetch responses) are pooled and may go back to it (sendHolding).
        this.frame = ioBufferPool.acquire(size);
        this.frameFill = 0;
      }
      const take = Math.min(this.frame.length - this.frameFill, n - at);
      this.scratch.copy(this.frame, this.frameFill, at, at + take);
      this.frameFill += take;
      at += take;
      if (this.frameFill === this.frame.length) this.completeFrame();
    }
  }

  private completeFrame(): void {
    const frame = this.frame!;
    this.frame = null;
    this.frameFill = 0;
    const correlationId = frame.readInt32BE(0);
    const p = this.pending.get(correlationId);
    if (p === undefined) {
      // Nobody gets this frame.
      ioBufferPool.release(frame);
      this.reset(new ChannelError(`response with unknown correlation id ${correlationId} from broker ${this.peerId}`));
      return;
    }
    this.pending.delete(correlationId);
    p.timer.cancel();
    const r = new Reader(frame);
    readResponseHeader(r, p.responseFlexible);
    if (r.error !== null) {
      ioBufferPool.release(frame);
      p.reject(new ChannelError(`bad response header from broker ${this.peerId}: ${r.error}`));
      return;
    }
    p.resolve(frame, r.pos);
  }
}
