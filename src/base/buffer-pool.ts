/**
 * A pool of large I/O buffers, reused instead of allocated per use.
 *
 * Why: a Fetch reads up to max.partition.fetch.bytes (librdkafka asks for 16 MB) from the log
 * into a buffer that lives until the response is written to the socket, and a large Produce
 * request is assembled from socket chunks into one frame buffer that lives until its append is
 * done. A fresh buffer each time costs a page fault per 4 KiB written into it (on this VM a
 * 16 MB pread into fresh memory took 7-12 ms, into reused memory 0.6 ms) and external-memory
 * pressure that triggers V8 major GCs; measured with `perf`, those faults were nearly all of
 * the broker's page faults under consume load.
 *
 * Contract: `acquire(n)` returns a Buffer of exactly n bytes over a pooled ArrayBuffer.
 * Whoever ends up holding it last may `release(buf)` (any view of it) once nothing reads it any
 * more: the storage layer for read windows it did not hand out, the connection after a
 * response chunk was written to the socket or a Produce request was answered. A buffer that is
 * never released is simply garbage collected; releasing a buffer the pool does not own, or one
 * already free, does nothing. Released memory is reused, so a buffer must not be released
 * while anyone may still read it.
 */

const MIN_CLASS_BYTES = 64 * 1024;

export class BufferPool {
  /** Idle buffers by size class, most recently released last. */
  private readonly free = new Map<number, ArrayBuffer[]>();
  /** Every idle buffer, least recently released first (what goes when the cap is reached). */
  private readonly idleOrder: ArrayBuffer[] = [];
  /** ArrayBuffers this pool handed out and not yet got back. */
  private readonly out = new WeakSet<ArrayBuffer>();
  private pooledBytes = 0;

  /**
   * `maxPooledBytes`: idle memory kept for reuse (to keep a newly released buffer beyond it,
   * the least recently released idle ones are dropped to the GC, so a change of workload, e.g.
   * from 1 MB Produce frames to 16 MB Fetch reads, is followed); `maxBufferBytes`: larger
   * requests are plain allocations.
   */
  constructor(private readonly maxPooledBytes: number, private readonly maxBufferBytes: number) {}

  /** Bytes held idle for reuse. */
  get idleBytes(): number {
    return this.pooledBytes;
  }

  acquire(size: number): Buffer {
    if (size > this.maxBufferBytes || size < MIN_CLASS_BYTES / 2) return Buffer.allocUnsafe(size);
    const cls = classOf(size);
    // The size's own class, else the next ones up to 1.5 times it: request frames and reads of
    // one workload vary in size around a few classes, and a miss is a fresh allocation. (The
    // request memory pool counts frame lengths, so what is held may be up to ~1.9x that.)
    let ab = this.free.get(cls)?.pop();
    for (let c = nextClass(cls); ab === undefined && c <= 1.5 * cls; c = nextClass(c)) ab = this.free.get(c)?.pop();
    let buf: ArrayBuffer;
    if (ab !== undefined) {
      this.pooledBytes -= ab.byteLength;
      this.idleOrder.splice(this.idleOrder.lastIndexOf(ab), 1);
      buf = ab;
    } else {
      buf = Buffer.allocUnsafeSlow(cls).buffer as ArrayBuffer;
    }
    this.out.add(buf);
    return Buffer.from(buf, 0, size);
  }

  /** Gives back the ArrayBuffer under `buf` if this pool handed it out (else nothing happens). */
  release(buf: Buffer): void {
    const ab = buf.buffer as ArrayBuffer;
    if (!this.out.has(ab)) return;
    this.out.delete(ab);
    const cls = ab.byteLength;
    if (cls > this.maxPooledBytes) return;
    while (this.pooledBytes + cls > this.maxPooledBytes) {
      const oldest = this.idleOrder.shift()!;
      const list = this.free.get(oldest.byteLength)!;
      list.splice(list.indexOf(oldest), 1);
      this.pooledBytes -= oldest.byteLength;
    }
    let list = this.free.get(cls);
    if (list === undefined) this.free.set(cls, (list = []));
    list.push(ab);
    this.idleOrder.push(ab);
    this.pooledBytes += cls;
  }
}

/** Size class: rounded up to a quarter of its power of two (so 1 MiB + 4 KiB takes 1.25 MiB), at least MIN_CLASS_BYTES. */
function classOf(size: number): number {
  if (size <= MIN_CLASS_BYTES) return MIN_CLASS_BYTES;
  let p = MIN_CLASS_BYTES;
  while (p * 2 <= size) p *= 2;
  const step = p / 4;
  return Math.ceil(size / step) * step;
}

/** The class after `cls`. */
function nextClass(cls: number): number {
  return classOf(cls + 1);
}

/**
 * The broker-wide pool (log reads in LogSegment.read, large request frames in Connection): free
 * buffers up to 64 MB in all, buffers up to 32 MB pooled.
 */
export const ioBufferPool = new BufferPool(64 * 1024 * 1024, 32 * 1024 * 1024);
