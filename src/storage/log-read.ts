/**
 * The read path of a partition log (Kafka's LocalLog.read / collectAbortedTransactions and the
 * offset lookups), kept apart from partition-log.ts, which owns the writes and the queue.
 *
 * Contract:
 * - Reads never enter the log's queue. They see only bytes whose write completed
 *   (segment.size) and hold a segment reference while reading, so a segment deleted or
 *   replaced under them (retention, truncation, a compaction swap) stays readable; a read that
 *   finds its segment already gone waits for the queue to settle and looks again.
 * - `read` returns whole batches from the one containing `fetchOffset`, from a single segment
 *   (as Kafka), never one whose lastOffset >= `maxOffsetExclusive`; the first batch even when
 *   larger than `maxBytes` if `minOneBatch`.
 * - `collectAbortedTransactions(fetchOffset, upperBoundOffset)` answers a read_committed Fetch:
 *   every aborted transaction with lastOffset >= fetchOffset and firstOffset < upperBoundOffset,
 *   from the segment holding fetchOffset and later ones until an entry's lastStableOffset shows
 *   that no later abort can overlap (transaction-index.ts). Entries live in memory: no I/O.
 */
import { StorageError } from '../base/errors.js';
import { BrokerError } from '../base/errors.js';
import type { Clock } from '../base/clock.js';
import type { LogSegment } from './log-segment.js';
import type { AbortedTxn } from './transaction-index.js';

/** fetchOffset outside [logStartOffset, logEndOffset]: Kafka's OFFSET_OUT_OF_RANGE. */
export class OffsetOutOfRangeError extends BrokerError {
  constructor(message: string, readonly logStartOffset: number, readonly logEndOffset: number) {
    super('SHERWOOD_STORAGE', message);
    this.name = 'OffsetOutOfRangeError';
  }
}

export interface ReadResult {
  records: Buffer;
  /** baseOffset of the first batch returned (fetchOffset when nothing is returned). */
  firstOffset: number;
  /** lastOffset of the last batch returned (fetchOffset - 1 when nothing is returned). */
  lastOffset: number;
}

/** What the read path needs of a PartitionLog. */
export interface ReadableLog {
  readonly topic: string;
  readonly partition: number;
  readonly segments: readonly LogSegment[];
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  /** Its clock (which bytes are recent: LogSegment.read). */
  readonly clock: Clock;
  /** Throws StorageError when the log went offline. */
  checkOnline(): void;
  /** Resolves once every queued change (a compaction swap, a deletion) has settled. */
  settled(): Promise<unknown>;
}

export async function readLog(log: ReadableLog, fetchOffset: number, maxBytes: number, maxOffsetExclusive: number, minOneBatch: boolean): Promise<ReadResult> {
  for (let attempt = 0; ; attempt++) {
    const r = await readOnce(log, fetchOffset, maxBytes, maxOffsetExclusive, minOneBatch);
    if (r !== 'retry') return r;
    // A segment was deleted or replaced under the read by a queued change that spans awaits
    // (a compaction swap): wait for the queue (reads never run inside it) and look again.
    if (attempt >= 3) throw new StorageError(`read of ${log.topic}-${log.partition} kept racing with segment deletion`);
    await log.settled();
  }
}

async function readOnce(log: ReadableLog, fetchOffset: number, maxBytes: number, maxOffsetExclusive: number, minOneBatch: boolean): Promise<ReadResult | 'retry'> {
  log.checkOnline();
  const start = log.logStartOffset;
  const end = log.logEndOffset;
  if (fetchOffset < start || fetchOffset > end) {
    throw new OffsetOutOfRangeError(`offset ${fetchOffset} is out of range [${start}, ${end}] for ${log.topic}-${log.partition}`, start, end);
  }
  const empty = { records: Buffer.alloc(0), firstOffset: fetchOffset, lastOffset: fetchOffset - 1 };
  const limit = Math.min(maxOffsetExclusive, end);
  if (fetchOffset >= limit) return empty;
  const segments = log.segments;
  let i = segmentIndexFor(segments, fetchOffset);
  // Below the first segment (its deletion is in progress): never serve a later segment instead.
  if (segments.length > 0 && fetchOffset < segments[0]!.baseOffset) return 'retry';
  for (; i < segments.length; i++) {
    const seg = segments[i]!;
    if (seg.isDeleted) return 'retry';
    seg.acquire();
    try {
      const r = await seg.read(fetchOffset, maxBytes, limit, minOneBatch, i === segments.length - 1 ? log.clock.now() : undefined);
      if (r !== null) return r;
      if (seg.nextOffset >= limit) return empty;
    } catch (err) {
      // Deleted or replaced while its file handle was closed by the fd cache: look again.
      if (seg.isDeleted) return 'retry';
      throw err;
    } finally {
      seg.release();
    }
  }
  return empty;
}

/** Index in `segments` of the last segment with baseOffset <= offset (0 when none). */
export function segmentIndexFor(segments: readonly LogSegment[], offset: number): number {
  let lo = 0;
  let hi = segments.length - 1;
  let found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (segments[mid]!.baseOffset <= offset) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/** Kafka's collectAbortedTransactions over the segments from the one holding `fetchOffset`. */
export function collectAbortedTransactions(segments: readonly LogSegment[], fetchOffset: number, upperBoundOffset: number): AbortedTxn[] {
  const out: AbortedTxn[] = [];
  for (let i = segmentIndexFor(segments, fetchOffset); i < segments.length; i++) {
    const r = segments[i]!.txnIndex.collectAbortedTxns(fetchOffset, upperBoundOffset);
    for (const txn of r.abortedTransactions) out.push(txn);
    if (r.isComplete) break;
  }
  return out;
}

/** First record with timestamp >= ts at or after the log start, or null (ListOffsets by time). */
export async function offsetForTimestamp(log: ReadableLog, ts: number): Promise<{ offset: number; timestamp: number } | null> {
  const logStartOffset = log.logStartOffset;
  for (const seg of log.segments) {
    if (seg.maxTimestamp < ts || seg.nextOffset <= logStartOffset) continue;
    seg.acquire();
    try {
      const found = await seg.findOffsetByTimestamp(ts, logStartOffset);
      if (found !== null) return found;
    } finally {
      seg.release();
    }
  }
  return null;
}

/** ListOffsets MAX_TIMESTAMP: the last offset of the batch holding the largest timestamp. */
export function maxTimestampOffset(segments: readonly LogSegment[]): { offset: number; timestamp: number } {
  let best = { offset: -1, timestamp: -1 };
  for (const seg of segments) {
    if (seg.size > 0 && seg.maxTimestamp > best.timestamp) best = { offset: seg.offsetOfMaxTimestamp, timestamp: seg.maxTimestamp };
  }
  return best;
}
