/**
 * A raw TCP Kafka client for framing tests: builds request frames by hand and reads response
 * frames (or notices the broker closing the connection), every wait bounded by a timeout.
 */
import net from 'node:net';
import type { Transport, TransportSocket } from '../../../src/base/transport.js';
import { Reader, Writer } from '../../../src/protocol/primitives.js';
import { writeRequestHeader } from '../../../src/protocol/headers.js';
import type { ApiDef } from '../../../src/protocol/schema.js';

export function requestFrame<Req>(api: ApiDef<Req>, version: number, correlationId: number, body: Partial<Req>, clientId: string | null = 'raw-test'): Buffer {
  const w = new Writer(64);
  const at = w.reserve(4);
  const flexible = api.request.isFlexible(version);
  writeRequestHeader(w, { apiKey: api.apiKey, apiVersion: version, correlationId, clientId }, flexible);
  api.request.write(w, { ...api.request.empty(version), ...body } as Req, version);
  w.buf.writeInt32BE(w.pos - at - 4, at);
  return Buffer.from(w.toBuffer());
}

/** A frame with an arbitrary header prefix and body bytes (for unknown keys and versions). */
export function rawFrame(apiKey: number, apiVersion: number, correlationId: number, rest: Buffer = Buffer.alloc(0)): Buffer {
  const w = new Writer(64);
  const at = w.reserve(4);
  w.int16(apiKey).int16(apiVersion).int32(correlationId).nullableString('raw-test').raw(rest);
  w.buf.writeInt32BE(w.pos - at - 4, at);
  return Buffer.from(w.toBuffer());
}

export class RawClient {
  /** A net.Socket for TCP; over a MemoryTransport, its Duplex (only the TransportSocket part works). */
  readonly socket: net.Socket;
  private buffered = Buffer.alloc(0);
  private frames: Buffer[] = [];
  private waiters: (() => void)[] = [];
  closed = false;
  /** Date.now() when the socket closed. */
  closedAt: number | undefined;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, d]);
      while (this.buffered.length >= 4) {
        const size = this.buffered.readInt32BE(0);
        if (this.buffered.length < 4 + size) break;
        this.frames.push(this.buffered.subarray(4, 4 + size));
        this.buffered = this.buffered.subarray(4 + size);
      }
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.closedAt = Date.now();
      this.wake();
    });
    socket.on('error', () => {});
  }

  /** A connection through an injected transport (e.g. a MemoryTransport). */
  static async over(transport: Transport, port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new RawClient((await transport.connect(host, port)) as TransportSocket as net.Socket);
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, host);
      s.once('connect', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const fn of w) fn();
  }

  private async until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  send(buf: Buffer): void {
    this.socket.write(buf);
  }

  /** Resolves with the next n response frames (without size prefix). */
  async read(n: number, timeoutMs = 5000): Promise<Buffer[]> {
    await this.until(() => this.frames.length >= n || this.closed, timeoutMs, `${n} frames`);
    if (this.frames.length < n) throw new Error(`connection closed after ${this.frames.length} of ${n} frames`);
    return this.frames.splice(0, n);
  }

  /** Resolves true if the broker closes the connection within timeoutMs. */
  async waitClosed(timeoutMs = 5000): Promise<boolean> {
    try {
      await this.until(() => this.closed, timeoutMs, 'close');
      return true;
    } catch {
      return false;
    }
  }

  /** Frames received so far and not yet read. */
  get unread(): number {
    return this.frames.length;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Splits a response frame into correlation id and a Reader positioned at the body. */
export function responseReader(frame: Buffer, flexibleHeader = false): { correlationId: number; r: Reader } {
  const r = new Reader(frame);
  const correlationId = r.int32();
  if (flexibleHeader) {
    const n = r.unsignedVarint();
    for (let i = 0; i < n; i++) {
      r.unsignedVarint();
      r.raw(r.unsignedVarint());
    }
  }
  return { correlationId, r };
}
