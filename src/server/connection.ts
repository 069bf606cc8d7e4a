/**
 * One client connection: framing, pipelining, ordering and backpressure.
 *
 * Framing: every request is a 4-byte big-endian size followed by that many bytes. A size that
 * is negative or larger than `socket.request.max.bytes` closes the connection (Kafka does the
 * same: it cannot resynchronise the stream). Frames that arrive whole inside one chunk are
 * sliced without copying; a frame split across chunks is joined once, when its last byte
 * arrives (so a client announcing 100 MB and sending 10 bytes costs 10 bytes).
 *
 * Ordering: requests are answered strictly in the order they arrived. Each request gets a slot
 * in a FIFO; responses are written only from the head, so a handler that finishes early waits
 * for the ones before it. A handler returning null (acks=0) fills its slot with nothing.
 *
 * Concurrency: by default one request runs at a time, like Kafka, which mutes a channel while
 * a request is being processed. This keeps pipelined Produce requests of one idempotent
 * producer appending in order and lets an OffsetFetch see the OffsetCommit sent before it.
 * `maxConcurrentRequests` > 1 lets later requests start before earlier ones finish. One
 * exception to Kafka's muting: a Produce whose appends are done and which only waits for
 * followers (acks=all) lets the next Produce start (`RequestContext.awaitingReplication`);
 * appends and answers keep their order, only the replication waits overlap.
 *
 * Backpressure: at most `maxQueuedRequests` requests, and at most `maxQueuedBytes` of request
 * frames (socket.request.max.bytes: about one largest request, as Kafka, which mutes a channel
 * after each request), wait or run per connection; at either limit the socket is paused (the
 * kernel buffers, then TCP pushes back on the client). When
 * socket.write() returns false, reading and starting new requests stop until 'drain'.
 *
 * Broker-wide memory: every connection charges the SocketServer's RequestMemoryPool
 * (queued.max.request.bytes, see request-memory-pool.ts) with the request bytes it holds
 * (frame pieces, queued frames, a chunk set aside) and the response bytes its socket has not
 * flushed to the kernel yet (socket.writableLength, re-read after each write round, in write
 * callbacks and on 'drain'). Before consuming more of what the socket delivered, and before
 * starting a Fetch, it asks the pool; when refused it sets the rest of the chunk aside, pauses
 * the socket and waits for the pool to call onPoolAvailable. Closing releases everything.
 *
 * Raw frames: after SaslHandshake v0, Kafka clients such as kafka-python send SASL tokens as
 * bare size-prefixed frames without a request header. A handler switches its connection into
 * that mode with `setRawFrameHandler(ctx.connection, fn)`; until it passes null, each later
 * frame goes to `fn` and what it returns is written back size-prefixed (null: nothing).
 */
import type { TransportSocket } from '../base/transport.js';
import { BrokerError, ProtocolError } from '../base/errors.js';
import type { Logger } from '../base/logger.js';
import { ioBufferPool } from '../base/buffer-pool.js';
import { RequestMemoryPool, type PoolMember } from './request-memory-pool.js';
import type { ConnectionInfo } from './handler.js';
import type { RequestRouter, ResponseFrame } from './request-router.js';

export interface ConnectionOptions {
  maxRequestBytes: number;
  maxQueuedRequests: number;
  /** Bytes of received requests not yet answered, beyond which reading pauses. */
  maxQueuedBytes: number;
  maxConcurrentRequests: number;
  idleTimeoutMs: number;
  /** queued.max.request.bytes: the broker-wide RequestMemoryPool's capacity (-1: unbounded). */
  queuedMaxRequestBytes: number;
}

export const DEFAULT_CONNECTION_OPTIONS: ConnectionOptions = {
  maxRequestBytes: 104857600,
  maxQueuedRequests: 100,
  maxQueuedBytes: 104857600,
  maxConcurrentRequests: 1,
  idleTimeoutMs: 600000,
  queuedMaxRequestBytes: 268435456,
};

/** Receives a whole frame (without its size prefix); returns the payload to send back. */
export type RawFrameHandler = (frame: Buffer) => Buffer | null | Promise<Buffer | null>;

const CONNECTIONS = new WeakMap<ConnectionInfo, Connection>();

/** Routes the connection's next frames to `fn` instead of the request router (null: back to normal). */
export function setRawFrameHandler(info: ConnectionInfo, fn: RawFrameHandler | null): void {
  const connection = CONNECTIONS.get(info);
  if (connection === undefined) throw new Error(`connection ${info.id} is not open`);
  connection.rawFrameHandler = fn;
}

/**
 * Aborted when the client closes its side or the connection closes (client gone, idle
 * timeout, broker shutdown), so work parked on its behalf (a long-polling Fetch) is released
 * at once and answered with what it has (Kafka closes the channel on EOF). A request that did not
 * come through a socket (handler tests) gets a signal that never aborts.
 */
export function connectionClosedSignal(info: ConnectionInfo): AbortSignal {
  return CONNECTIONS.get(info)?.closedSignal ?? NEVER_ABORTED;
}

const NEVER_ABORTED = new AbortController().signal;

function sizePrefixed(payload: Buffer | null): Buffer | null {
  if (payload === null) return null;
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeInt32BE(payload.length, 0);
  payload.copy(out, 4);
  return out;
}

const QUEUED = 0;
const RUNNING = 1;
const DONE = 2;

interface Slot {
  frame: Buffer;
  /** The request frame's size, counted in queuedBytes until the slot is answered. */
  size: number;
  state: 0 | 1 | 2;
  /** A Fetch request (it starts only when the memory pool has room). */
  fetch: boolean;
  /** A Produce request (it may start while earlier Produces wait for replication). */
  produce: boolean;
  /** Running, appended, and only waiting for followers (acks=all): see parkForReplication. */
  parked: boolean;
  response: ResponseFrame | null;
  /**
   * The frame when it was assembled in a pooled buffer; kept until the request is answered
   * and given back to the pool then if it was a Produce (whose records are on disk by then and
   * referenced by nothing); other requests may keep parts of their frame, so theirs is left to
   * the GC.
   */
  pooledFrame: Buffer | null;
}

/** Frames split across socket chunks at least this long are joined in a pooled buffer. */
const POOLED_FRAME_BYTES = 64 * 1024;
const PRODUCE_API_KEY = 0;
const FETCH_API_KEY = 1;

/** The pieces of a frame, joined (in a pooled buffer when large). */
function joinPieces(pieces: Buffer[], size: number): Buffer {
  if (size < POOLED_FRAME_BYTES) return Buffer.concat(pieces, size);
  const out = ioBufferPool.acquire(size);
  let at = 0;
  for (const p of pieces) {
    p.copy(out, at);
    at += p.length;
  }
  return out;
}

export class Connection implements PoolMember {
  readonly info: ConnectionInfo;
  private readonly socket: TransportSocket;
  private readonly router: RequestRouter;
  private readonly logger: Logger;
  private readonly options: ConnectionOptions;
  private readonly onClose: (c: Connection) => void;
  private readonly pool: RequestMemoryPool;
  /** Request bytes charged to the pool: frame pieces + queued frames + the stash. */
  private requestHeld = 0;
  /** Response bytes charged to the pool: what the socket has not flushed to the kernel. */
  private responseHeld = 0;
  /** The next request is a Fetch waiting for the pool. */
  private fetchWaiting = false;
  private readonly onFlushed = (): void => this.trackResponses();

  /** Bytes of the size prefix seen so far when it straddles chunks. */
  private readonly sizeBuf = Buffer.alloc(4);
  private sizeFilled = 0;
  /**
   * Pieces of a frame split across chunks, joined once complete. Memory grows with the bytes
   * actually received, not with the size a client claims (up to socket.request.max.bytes).
   */
  private partial: Buffer[] | null = null;
  private partialSize = 0;
  private partialFilled = 0;
  /** The unread rest of a chunk, kept while reading is paused at the request limit. */
  private stash: Buffer | null = null;

  private readonly slots: Slot[] = [];
  /** Sum of `size` over `slots`. */
  private queuedBytes = 0;
  /** Index in `slots` of the first slot not yet started. */
  private nextToStart = 0;
  private running = 0;
  /** Running slots parked (see parkForReplication). */
  private parked = 0;
  private writeBlocked = false;
  private readPaused = false;
  private pumping = false;
  private closed = false;
  private released = false;
  /** Set by setRawFrameHandler (legacy SASL framing). */
  rawFrameHandler: RawFrameHandler | null = null;
  /** The client half-closed; finish what was received, then end our side. */
  private ended = false;
  private readonly closedController = new AbortController();

  constructor(socket: TransportSocket, info: ConnectionInfo, router: RequestRouter, logger: Logger, options: ConnectionOptions, onClose: (c: Connection) => void, pool: RequestMemoryPool = new RequestMemoryPool(options.queuedMaxRequestBytes)) {
    this.socket = socket;
    this.pool = pool;
    this.info = info;
    this.router = router;
    this.logger = logger;
    this.options = options;
    this.onClose = onClose;
    CONNECTIONS.set(info, this);
    socket.setNoDelay(true);
    if (options.idleTimeoutMs > 0) {
      socket.setTimeout(options.idleTimeoutMs, () => {
        this.logger.debug('closing idle connection', { connection: info.id });
        this.close();
      });
    }
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => {
      this.writeBlocked = false;
      this.trackResponses();
      this.pump();
    });
    socket.on('end', () => {
      this.ended = true;
      // A client that closed its side (or went away) waits for nothing: release long polls.
      this.closedController.abort();
      this.pump();
    });
    socket.on('error', (err) => this.logger.debug('socket error', { connection: info.id, error: err.message }));
    socket.on('close', () => this.finishClose());
  }

  /** Aborted once the connection has closed. */
  get closedSignal(): AbortSignal {
    return this.closedController.signal;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Requests received and not yet answered (queued or running). */
  get pending(): number {
    return this.slots.length;
  }

  /** PoolMember: bytes this connection has charged to the memory pool. */
  get heldBytes(): number {
    return this.requestHeld + this.responseHeld;
  }

  /** PoolMember: the pool has room again. */
  onPoolAvailable(): void {
    this.pump();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.finishClose();
  }

  private finishClose(): void {
    this.closed = true;
    if (this.released) return;
    this.released = true;
    this.slots.length = 0;
    this.queuedBytes = 0;
    this.stash = null;
    this.partial = null;
    const requestHeld = this.requestHeld;
    const responseHeld = this.responseHeld;
    this.requestHeld = 0;
    this.responseHeld = 0;
    this.pool.remove(this);
    this.pool.releaseRequest(this, requestHeld);
    this.pool.adjustResponse(this, -responseHeld);
    this.closedController.abort();
    this.onClose(this);
  }

  private fail(reason: string, err?: unknown): void {
    if (this.closed) return;
    // A client's mistake (undecodable request; acks=0 produce that failed) is a warning, not a bug.
    if (err instanceof ProtocolError || (err instanceof BrokerError && err.code === 'SHERWOOD_CLIENT')) {
      this.logger.warn(`closing connection: ${err.message}`, { connection: this.info.id, remote: `${this.info.remoteAddress}:${this.info.remotePort}` });
    } else {
      this.logger.error(`closing connection: ${reason}`, { connection: this.info.id, error: err instanceof Error ? err.stack ?? err.message : String(err) });
    }
    this.close();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.parse(chunk);
    this.pump();
  }

  /** Splits a chunk into frames until it is used up or the request queue is full. */
  private parse(chunk: Buffer): void {
    let pos = 0;
    const len = chunk.length;
    while (pos < len && !this.closed) {
      if (this.queueFull() || !this.pool.mayRead(this, true)) {
        this.setStash(pos === 0 ? chunk : chunk.subarray(pos));
        this.pauseReading();
        return;
      }
      if (this.partial !== null) {
        const n = Math.min(this.partialSize - this.partialFilled, len - pos);
        this.partial.push(chunk.subarray(pos, pos + n));
        this.partialFilled += n;
        this.chargeRequest(n);
        pos += n;
        if (this.partialFilled === this.partialSize) {
          const frame = joinPieces(this.partial, this.partialSize);
          this.partial = null;
          this.pool.frameEnded(this);
          // The pieces were charged as they came.
          this.enqueue(frame, this.partialSize >= POOLED_FRAME_BYTES, false);
        }
        continue;
      }
      let size: number;
      if (this.sizeFilled === 0 && len - pos >= 4) {
        size = chunk.readInt32BE(pos);
        pos += 4;
      } else {
        const n = Math.min(4 - this.sizeFilled, len - pos);
        chunk.copy(this.sizeBuf, this.sizeFilled, pos, pos + n);
        this.sizeFilled += n;
        pos += n;
        if (this.sizeFilled < 4) return;
        this.sizeFilled = 0;
        size = this.sizeBuf.readInt32BE(0);
      }
      if (size < 0 || size > this.options.maxRequestBytes) {
        this.fail('', new ProtocolError(`request size ${size} outside 0..${this.options.maxRequestBytes} (socket.request.max.bytes)`));
        return;
      }
      if (len - pos >= size) {
        this.enqueue(chunk.subarray(pos, pos + size));
        pos += size;
      } else {
        this.partial = [chunk.subarray(pos)];
        this.partialSize = size;
        this.partialFilled = len - pos;
        this.chargeRequest(len - pos);
        this.pool.frameStarted(this);
        pos = len;
      }
    }
  }

  private enqueue(frame: Buffer, pooled = false, charge = true): void {
    const apiKey = frame.length >= 2 ? frame.readInt16BE(0) : -1;
    this.slots.push({ frame, size: frame.length, state: QUEUED, fetch: apiKey === FETCH_API_KEY, produce: apiKey === PRODUCE_API_KEY, parked: false, response: null, pooledFrame: pooled ? frame : null });
    this.queuedBytes += frame.length;
    if (charge) this.chargeRequest(frame.length);
  }

  private chargeRequest(bytes: number): void {
    this.requestHeld += bytes;
    this.pool.chargeRequest(bytes);
  }

  private releaseRequest(bytes: number): void {
    this.requestHeld -= bytes;
    this.pool.releaseRequest(this, bytes);
  }

  /** Keeps the unread rest of a chunk (charged to the pool: it is memory we hold). */
  private setStash(rest: Buffer): void {
    this.stash = rest;
    this.chargeRequest(rest.length);
  }

  /** Re-reads how much written response data the socket still holds and updates the pool. */
  private trackResponses(): void {
    if (this.released) return;
    const pending = this.socket.writableLength;
    const delta = pending - this.responseHeld;
    if (delta === 0) return;
    this.responseHeld = pending;
    this.pool.adjustResponse(this, delta);
  }

  private queueFull(): boolean {
    return this.slots.length >= this.options.maxQueuedRequests || this.queuedBytes >= this.options.maxQueuedBytes;
  }

  private pauseReading(): void {
    if (this.readPaused) return;
    this.readPaused = true;
    this.socket.pause();
  }

  /** Starts what may start, writes what is finished, and pauses or resumes reading. */
  private pump(): void {
    if (this.pumping || this.closed) return;
    this.pumping = true;
    try {
      while (!this.closed) {
        // Write finished responses from the head, in order; several buffers go out in one
        // vectored write (cork/uncork), not one system call each.
        if (this.slots.length > 0 && this.slots[0]!.state === DONE) {
          const socket = this.socket;
          // One plain Buffer (the usual small response) is written as is; anything more is corked.
          const cork = !Buffer.isBuffer(this.slots[0]!.response) || (this.slots.length > 1 && this.slots[1]!.state === DONE);
          if (cork) socket.cork();
          while (this.slots.length > 0 && this.slots[0]!.state === DONE) {
            const slot = this.slots.shift()!;
            this.queuedBytes -= slot.size;
            this.releaseRequest(slot.size);
            this.nextToStart--;
            const response = slot.response;
            if (response === null) continue;
            if (Buffer.isBuffer(response)) {
              if (!socket.write(response, this.onFlushed)) this.writeBlocked = true;
            } else {
              // Chunks after the first are record batches sent by reference; once written, a
              // log read buffer among them goes back to its pool.
              for (let i = 0; i < response.length; i++) {
                const chunk = response[i]!;
                const written = i === 0 ? socket.write(chunk) : socket.write(chunk, () => {
                  ioBufferPool.release(chunk);
                  this.trackResponses();
                });
                if (!written) this.writeBlocked = true;
              }
            }
          }
          if (cork) socket.uncork();
          this.trackResponses();
        }
        // Start one queued request while under the concurrency limit and the socket keeps up;
        // a Fetch also waits for room in the memory pool (its response may be large).
        this.fetchWaiting = false;
        if (!this.writeBlocked && this.nextToStart < this.slots.length && this.mayStart(this.slots[this.nextToStart]!)) {
          const next = this.slots[this.nextToStart]!;
          if (next.fetch && this.rawFrameHandler === null && !this.pool.mayStartFetch(next.size)) {
            this.fetchWaiting = true;
          } else {
            this.nextToStart++;
            this.start(next);
            continue;
          }
        }
        // Parse what was left over when the queue or the pool filled up.
        if (this.stash !== null && !this.queueFull()) {
          const stash = this.stash;
          this.stash = null;
          this.releaseRequest(stash.length);
          this.parse(stash);
          if (this.stash !== stash) continue;
          // Nothing of it could be taken: it is set aside again, so stop here.
        }
        break;
      }
    } finally {
      this.pumping = false;
    }
    if (this.closed) return;
    if (this.ended && this.slots.length === 0 && this.stash === null) {
      this.socket.end();
      return;
    }
    const poolBlocked = !this.pool.mayRead(this, false);
    const mustPause = this.writeBlocked || this.stash !== null || this.queueFull() || poolBlocked;
    if (this.fetchWaiting) this.pool.waitForFetchRoom(this, this.slots[this.nextToStart]!.size);
    if (poolBlocked && !this.writeBlocked && !this.queueFull()) this.pool.waitForRoom(this);
    if (mustPause) this.pauseReading();
    else if (this.readPaused) {
      this.readPaused = false;
      this.socket.resume();
    }
  }

  /**
   * Under the concurrency limit; or a Produce behind Produces that only wait for replication
   * (parked): its appends come after theirs, which are done, and its answer after theirs.
   */
  private mayStart(next: Slot): boolean {
    const limit = this.options.maxConcurrentRequests;
    if (this.running < limit) return true;
    return next.produce && this.rawFrameHandler === null && this.running - this.parked < limit;
  }

  /**
   * The request of `slot` has done everything but wait for followers (a Produce with acks=all
   * whose appends are all done): the next Produce on this connection may start. Kafka mutes a
   * channel until its response is sent, so a producer's pipeline stalls for every replication
   * round trip; appends stay in arrival order and answers too, so only the waiting overlaps.
   */
  private parkForReplication(slot: Slot): void {
    if (slot.state !== RUNNING || slot.parked || this.closed) return;
    slot.parked = true;
    this.parked++;
    // Every append of the request is written: nothing reads its frame any more, so the frame
    // goes back to the pool now rather than after the replication wait. Under acks=all load
    // a connection holds many frames in that wait; each one kept would mean a fresh buffer
    // for the next request, and external-memory growth that keeps V8's major GC busy.
    if (slot.pooledFrame !== null) {
      ioBufferPool.release(slot.pooledFrame);
      slot.pooledFrame = null;
    }
    this.pump();
  }

  /** A running slot is done (answered or failed). */
  private stopRunning(slot: Slot): void {
    this.running--;
    if (slot.parked) {
      slot.parked = false;
      this.parked--;
    }
  }

  private start(slot: Slot): void {
    slot.state = RUNNING;
    this.running++;
    const frame = slot.frame;
    slot.frame = EMPTY;
    let result;
    try {
      const raw = this.rawFrameHandler;
      // Only a Produce frame goes back to the pool (see Slot.pooledFrame).
      if (slot.pooledFrame !== null && (raw !== null || frame.readInt16BE(0) !== PRODUCE_API_KEY)) slot.pooledFrame = null;
      if (raw === null) {
        result = this.router.route(frame, this.info, slot.produce ? () => this.parkForReplication(slot) : undefined);
      } else {
        const r = raw(frame);
        result = r instanceof Promise ? r.then(sizePrefixed) : sizePrefixed(r);
      }
    } catch (err) {
      this.stopRunning(slot);
      this.fail('request handler failed', err);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (response) => this.complete(slot, response, true),
        (err: unknown) => {
          this.stopRunning(slot);
          this.fail('request handler failed', err);
        },
      );
    } else {
      this.complete(slot, result, false);
    }
  }

  private complete(slot: Slot, response: ResponseFrame | null, async: boolean): void {
    this.stopRunning(slot);
    if (slot.pooledFrame !== null) {
      // The Produce was answered: its appends are done, nothing refers to the frame any more.
      ioBufferPool.release(slot.pooledFrame);
      slot.pooledFrame = null;
    }
    if (this.closed) return;
    slot.state = DONE;
    slot.response = response;
    if (async) this.pump();
  }
}

const EMPTY = Buffer.alloc(0);
