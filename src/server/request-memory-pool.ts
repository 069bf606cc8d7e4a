/**
 * The broker-wide bound on memory held by connections: Kafka's `queued.max.request.bytes`
 * (its MemoryPool), extended to the responses that sit in our memory because a client does not
 * read them. Pure accounting and admission rules; connection.ts does the pausing.
 *
 * Counted, per connection and in total:
 * - request bytes: bytes of frames read from a socket — pieces of a frame still arriving (memory
 *   follows the bytes received, not the size announced), whole frames queued or running until
 *   their request is answered, and a chunk set aside while reading is paused;
 * - response bytes: bytes written to a socket that Node still holds because the kernel has not
 *   taken them (`socket.writableLength`): Fetch responses a client is not reading stay here.
 *   Kafka sends fetched records from the page cache (sendfile) and never holds them; we do.
 *
 * Admission, asked before a connection consumes more of what its socket delivered (a socket
 * that may not read is paused, so the kernel and then TCP push back on the client):
 * 1. below the capacity, anyone reads;
 * 2. the connection receiving the oldest incomplete frame keeps reading, whatever the pool: a
 *    request larger than the whole pool still arrives (as Kafka's non-strict pool lets one
 *    allocation overdraw it), and a pool full of partly received frames cannot stall them all;
 * 3. above the capacity, a connection that holds nothing may still read (one socket chunk, at
 *    most 64 KiB, before it holds something and is paused again) as long as fewer than
 *    `emergencySlots` connections (capacity / 16 / 64 KiB) took this way and still hold bytes:
 *    a client sending small requests on an idle connection (Metadata, a small Produce, a
 *    heartbeat) is still served while clients that do not read their responses, or stalled
 *    half-sent frames, hold the rest.
 * A Fetch starts only while the pool, without its own frame, is below the capacity: its response
 * size is the client's choice (up to fetch.max.bytes) and its records would be held until the
 * client reads them. Other requests start as soon as they are read (they were admitted, and
 * their responses do not grow with what a client asks).
 *
 * Bound: capacity + one frame (rule 2, at most socket.request.max.bytes) + emergencySlots x
 * (64 KiB + a response that is not a Fetch's) + the responses of Fetches that started together
 * before any of their responses was counted. Releases (a request answered, bytes flushed to the
 * kernel, a connection closed) wake the connections waiting for room, oldest first.
 */

/** One connection, as the pool sees it. */
export interface PoolMember {
  /** Request and response bytes this member holds (updated before it calls the pool). */
  readonly heldBytes: number;
  /** The pool has room again (or this member became the oldest receiver): try to proceed. */
  onPoolAvailable(): void;
}

/** Bytes one socket read delivers at most (Node reads sockets in 64 KiB chunks). */
const SOCKET_CHUNK_BYTES = 64 * 1024;

export class RequestMemoryPool {
  /** Bytes beyond which reading pauses; Infinity for Kafka's -1 (unbounded). */
  readonly capacity: number;
  /** How many idle connections may read while the pool is full (rule 3). */
  readonly emergencySlots: number;
  private requests = 0;
  private responses = 0;
  private peak = 0;
  /** Members receiving a frame, oldest first: the first may always read (rule 2). */
  private readonly receiving = new Set<PoolMember>();
  /** Members that read under rule 3 and still hold bytes. */
  private readonly emergency = new Set<PoolMember>();
  /** Members paused for room, oldest first: those holding bytes (they need the pool below capacity)... */
  private readonly waitingHolding = new Set<PoolMember>();
  /** ...and those holding nothing (rule 3 may let them in while the pool is full). */
  private readonly waitingIdle = new Set<PoolMember>();
  /** Members whose next request is a Fetch waiting for room, with that Fetch's frame size. */
  private readonly waitingFetch = new Map<PoolMember, number>();

  /** `capacityBytes` -1 (or any negative) means unbounded. */
  constructor(capacityBytes: number) {
    this.capacity = capacityBytes < 0 ? Infinity : capacityBytes;
    this.emergencySlots = Number.isFinite(this.capacity) ? Math.max(1, Math.floor(this.capacity / 16 / SOCKET_CHUNK_BYTES)) : 0;
  }

  get requestBytes(): number {
    return this.requests;
  }

  get responseBytes(): number {
    return this.responses;
  }

  get usedBytes(): number {
    return this.requests + this.responses;
  }

  /** The most bytes held at once (since resetPeak()). */
  get peakBytes(): number {
    return this.peak;
  }

  resetPeak(): void {
    this.peak = this.usedBytes;
  }

  /** Members paused and waiting for room (for reading, for starting a Fetch, or both). */
  get waitingCount(): number {
    return new Set([...this.waitingHolding, ...this.waitingIdle, ...this.waitingFetch.keys()]).size;
  }

  /** Members that read under rule 3 and still hold bytes. */
  get emergencyCount(): number {
    return this.emergency.size;
  }

  // ---- accounting (the member updates its own heldBytes first) --------------------------------

  chargeRequest(bytes: number): void {
    this.requests += bytes;
    this.notePeak();
  }

  releaseRequest(m: PoolMember, bytes: number): void {
    if (bytes === 0) return;
    this.requests -= bytes;
    this.released(m);
  }

  /** Response bytes held by `m` changed by `delta` (positive: written, negative: flushed). */
  adjustResponse(m: PoolMember, delta: number): void {
    if (delta === 0) return;
    this.responses += delta;
    if (delta > 0) this.notePeak();
    else this.released(m);
  }

  private notePeak(): void {
    const used = this.requests + this.responses;
    if (used > this.peak) this.peak = used;
  }

  private released(m: PoolMember): void {
    if (m.heldBytes === 0) {
      this.emergency.delete(m);
      if (this.waitingHolding.delete(m)) this.waitingIdle.add(m);
    }
    this.wake();
  }

  // ---- admission -------------------------------------------------------------------------------

  /** `m` started receiving a frame (once per frame). */
  frameStarted(m: PoolMember): void {
    this.receiving.add(m);
  }

  /** Its frame is complete, or it closed: the next oldest receiver may go on. */
  frameEnded(m: PoolMember): void {
    const wasOldest = this.oldestReceiver() === m;
    if (!this.receiving.delete(m) || !wasOldest) return;
    const next = this.oldestReceiver();
    if (next !== undefined && (this.waitingHolding.delete(next) || this.waitingIdle.delete(next))) {
      this.waitingFetch.delete(next);
      next.onPoolAvailable();
    }
  }

  private oldestReceiver(): PoolMember | undefined {
    for (const m of this.receiving) return m;
    return undefined;
  }

  /**
   * May `m` consume more bytes from its socket now (rules 1-3)? `consuming`: it is about to
   * (a rule-3 admission then takes an emergency slot until `m` holds nothing again); false when
   * only deciding whether to resume its socket.
   */
  mayRead(m: PoolMember, consuming: boolean): boolean {
    if (this.requests + this.responses < this.capacity) return true;
    if (this.oldestReceiver() === m) return true;
    if (this.emergency.has(m)) return false;
    if (m.heldBytes !== 0 || this.emergency.size >= this.emergencySlots) return false;
    if (consuming) this.emergency.add(m);
    return true;
  }

  /** May a Fetch whose frame is `frameBytes` (already counted) start now? */
  mayStartFetch(frameBytes: number): boolean {
    return this.requests + this.responses - frameBytes < this.capacity;
  }

  /** `m` is paused until room appears: onPoolAvailable() is called then (once). */
  waitForRoom(m: PoolMember): void {
    if (m.heldBytes === 0) this.waitingIdle.add(m);
    else this.waitingHolding.add(m);
  }

  /** `m`'s next request, a Fetch of `frameBytes`, waits until mayStartFetch: onPoolAvailable() then. */
  waitForFetchRoom(m: PoolMember, frameBytes: number): void {
    this.waitingFetch.set(m, frameBytes);
  }

  /** `m` closed (after releasing what it held): forget it. */
  remove(m: PoolMember): void {
    this.waitingHolding.delete(m);
    this.waitingIdle.delete(m);
    this.waitingFetch.delete(m);
    this.emergency.delete(m);
    this.frameEnded(m);
  }

  /** After a release: below the capacity every waiter may try again; above it, idle ones while rule 3 has slots. */
  private wake(): void {
    if (this.waitingFetch.size > 0) {
      const used = this.requests + this.responses;
      for (const [m, frameBytes] of [...this.waitingFetch]) {
        if (used - frameBytes >= this.capacity) continue;
        this.waitingFetch.delete(m);
        m.onPoolAvailable();
      }
    }
    if (this.requests + this.responses < this.capacity) {
      if (this.waitingHolding.size > 0) this.wakeAll(this.waitingHolding);
      if (this.waitingIdle.size > 0) this.wakeAll(this.waitingIdle);
    } else if (this.waitingIdle.size > 0 && this.emergency.size < this.emergencySlots) {
      this.wakeAll(this.waitingIdle);
    }
  }

  private wakeAll(set: Set<PoolMember>): void {
    const woken = [...set];
    set.clear();
    for (const m of woken) m.onPoolAvailable();
  }
}
