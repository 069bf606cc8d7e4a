/**
 * The network is injected. The broker's listeners and connections see only a Transport and
 * its TransportSockets, so a test (or a simulator driving several brokers from one seed) can
 * run the real connection code over an in-memory transport instead of TCP; TLS becomes a third
 * implementation later.
 *
 * Contract:
 * - `listen(host, port, onConnection, onError?)` binds (host '' = every interface; port 0: any
 *   free port, `boundPort` tells which) and hands every accepted socket to onConnection; errors
 *   after binding (an accept failure) go to onError; `close()` stops accepting (existing
 *   sockets are the caller's to destroy).
 * - `connect(host, port, options?)` resolves once connected; rejects with ECONNREFUSED when
 *   nothing listens there. With `options.onread` (net.connect's option of that name), what
 *   arrives is written into the buffers `onread.buffer()` returns, and `onread.callback(n, buf)`
 *   is told how many bytes landed, instead of 'data' events carrying a new Buffer per read: a
 *   receiver that knows where its bytes go (a frame of known size) takes them without an
 *   allocation and a copy per read.
 * - A TransportSocket is the subset of `net.Socket` the connection code uses: write with
 *   backpressure (`write` returns false above the high-water mark, then 'drain'), cork/uncork,
 *   pause/resume of 'data', end/destroy, 'close' exactly once, an idle timeout, and the peer's
 *   address. `net.Socket` satisfies it as it is.
 */
import net from 'node:net';
import { Duplex } from 'node:stream';
import type { Clock, TimerHandle } from './clock.js';

export interface TransportSocket {
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  /** Bytes written but not yet taken by the network (the connection memory pool counts them). */
  readonly writableLength: number;
  write(data: Uint8Array, cb?: (err?: Error | null) => void): boolean;
  cork(): void;
  uncork(): void;
  pause(): this;
  resume(): this;
  end(): this;
  destroy(error?: Error): this;
  setNoDelay(noDelay?: boolean): this;
  /** Emits 'timeout' after `ms` without activity (0 disables). */
  setTimeout(ms: number, callback?: () => void): this;
  on(event: 'data', fn: (chunk: Buffer) => void): this;
  on(event: 'drain' | 'end' | 'close' | 'timeout', fn: () => void): this;
  on(event: 'error', fn: (err: Error) => void): this;
}

export interface TransportServer {
  readonly boundPort: number;
  close(): Promise<void>;
}

/** Reads into caller-provided memory (net.connect's `onread`). */
export interface OnRead {
  /** The memory the next read may fill (asked before every read; never empty). */
  buffer(): Uint8Array;
  /** `n` bytes were written at the start of `buf`, the buffer buffer() returned. */
  callback(n: number, buf: Uint8Array): void;
}

export interface ConnectOptions {
  onread?: OnRead;
}

export interface Transport {
  listen(host: string, port: number, onConnection: (socket: TransportSocket) => void, onError?: (err: Error) => void): Promise<TransportServer>;
  connect(host: string, port: number, options?: ConnectOptions): Promise<TransportSocket>;
}

// ---------------------------------------------------------------------------------------------
// TCP

export const tcpTransport: Transport = {
  listen(host, port, onConnection, onError) {
    const server = net.createServer({ allowHalfOpen: true, noDelay: true }, onConnection);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host: host === '' ? undefined : host }, () => {
        server.off('error', reject);
        server.on('error', (err) => onError?.(err));
        resolve({
          boundPort: (server.address() as net.AddressInfo).port,
          // Stops accepting at once; net.Server's callback would also wait for every
          // connection to end, and those are the caller's to close.
          close: async () => {
            server.close();
          },
        });
      });
    });
  },
  connect(host, port, options) {
    return new Promise((resolve, reject) => {
      const onread = options?.onread;
      const socket = net.connect({
        host, port, noDelay: true,
        ...(onread === undefined ? {} : { onread: { buffer: () => onread.buffer(), callback: (n: number, buf: Uint8Array) => { onread.callback(n, buf); return true; } } }),
      });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(socket);
      });
    });
  },
};

// ---------------------------------------------------------------------------------------------
// In memory

/** One end of an in-memory connection: a Duplex whose writes become the other end's reads. */
class MemorySocket extends Duplex implements TransportSocket {
  peer: MemorySocket | undefined;
  private idleMs = 0;
  private idleTimer: TimerHandle | undefined;
  private waitingRead: (() => void) | undefined;

  constructor(readonly remoteAddress: string, readonly remotePort: number, highWaterMark: number, private readonly clock: Clock | undefined) {
    super({ allowHalfOpen: true, highWaterMark });
    this.on('close', () => this.clearIdle());
  }

  override _read(): void {
    const wake = this.waitingRead;
    this.waitingRead = undefined;
    wake?.();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const peer = this.peer;
    this.touch();
    if (peer === undefined || peer.destroyed) {
      callback(Object.assign(new Error('write after the peer closed'), { code: 'EPIPE' }));
      return;
    }
    peer.touch();
    // The peer's readable buffer is the "network": a full buffer holds our write callback back,
    // which is what makes our own write() return false (backpressure end to end).
    if (peer.push(Buffer.from(chunk))) callback();
    else peer.waitingRead = () => callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.peer?.push(null);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const peer = this.peer;
    this.peer = undefined;
    // As with TCP, the peer sees the end of its input (and EPIPE if it writes on); it closes
    // when it ends its own side.
    if (peer !== undefined && !peer.destroyed) peer.push(null);
    callback(error);
  }

  setNoDelay(): this {
    return this;
  }

  setTimeout(ms: number, callback?: () => void): this {
    this.idleMs = ms;
    if (callback !== undefined) this.once('timeout', callback);
    this.touch();
    return this;
  }

  private touch(): void {
    this.clearIdle();
    if (this.idleMs > 0 && !this.destroyed) {
      const fire = (): void => {
        this.emit('timeout');
      };
      if (this.clock !== undefined) this.idleTimer = this.clock.schedule(this.idleMs, fire);
      else {
        // Not unref'd: an open socket keeps the process alive, as a TCP socket does.
        const t = setTimeout(fire, this.idleMs);
        this.idleTimer = { cancel: () => clearTimeout(t) };
      }
    }
  }

  private clearIdle(): void {
    this.idleTimer?.cancel();
    this.idleTimer = undefined;
  }
}

/**
 * Connections that never leave the process: `listen` registers host:port, `connect` creates a
 * socket pair. Ports are handed out from 40000 up for port 0. `highWaterMark` (bytes buffered
 * per direction before writes report backpressure) defaults to 64 KiB, as a TCP socket's.
 * Idle timeouts run on `clock` when given (a simulator's), else on real timers.
 */
export class MemoryTransport implements Transport {
  private readonly listeners = new Map<string, (socket: TransportSocket) => void>();
  private nextPort = 40000;
  private nextClientPort = 50000;

  constructor(private readonly highWaterMark = 64 * 1024, private readonly clock?: Clock) {}

  async listen(host: string, port: number, onConnection: (socket: TransportSocket) => void): Promise<TransportServer> {
    let bound = port;
    if (bound === 0) while (this.listeners.has(`${host}:${(bound = this.nextPort++)}`));
    const key = `${host}:${bound}`;
    if (this.listeners.has(key)) throw Object.assign(new Error(`listen EADDRINUSE: address already in use ${key}`), { code: 'EADDRINUSE' });
    this.listeners.set(key, onConnection);
    return {
      boundPort: bound,
      close: async () => {
        this.listeners.delete(key);
      },
    };
  }

  async connect(host: string, port: number, options?: ConnectOptions): Promise<TransportSocket> {
    const accept = this.listeners.get(`${host}:${port}`);
    if (accept === undefined) throw Object.assign(new Error(`connect ECONNREFUSED ${host}:${port}`), { code: 'ECONNREFUSED' });
    const clientPort = this.nextClientPort++;
    const client = new MemorySocket(host, port, this.highWaterMark, this.clock);
    const server = new MemorySocket('127.0.0.1', clientPort, this.highWaterMark, this.clock);
    client.peer = server;
    server.peer = client;
    const onread = options?.onread;
    if (onread !== undefined) {
      // As net.connect's onread: each chunk is copied into the memory the receiver provides.
      client.on('data', (chunk: Buffer) => {
        for (let at = 0; at < chunk.length;) {
          const target = onread.buffer();
          const n = Math.min(target.length, chunk.length - at);
          chunk.copy(target, 0, at, at + n);
          at += n;
          onread.callback(n, target);
        }
      });
    }
    accept(server);
    return client;
  }
}
