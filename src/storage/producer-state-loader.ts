/**
 * Rebuilding a partition's producer state from its snapshots and its log (Kafka's
 * UnifiedLog.rebuildProducerState), on open and after a truncation:
 *
 * 1. snapshots above `lastOffset` (the log end) or below the log start are deleted, and the
 *    latest valid remaining one is loaded (a torn or corrupt one is deleted and the next older
 *    tried; with none the state starts empty at the log start);
 * 2. the log from the snapshot's offset to `lastOffset` is replayed batch by batch without
 *    validation (data batches by their headers; COMMIT/ABORT markers by their one record),
 *    taking snapshots at the base offsets of the last two segments on the way;
 * 3. a snapshot is written at `lastOffset`, so the next open after a crash replays little.
 *
 * The replay also rebuilds the aborted-transaction indexes (transaction-index.ts) of the range it
 * covers, idempotently: before replaying from offset R, the segment holding R drops its entries
 * at or after R and later segments are emptied; each abort the replay completes is appended to
 * the index of the segment holding its marker, and each replayed segment's index is fsynced
 * before any later snapshot is written. Entries below R are kept: a snapshot at R exists only
 * once they were durable (segments are flushed before the roll snapshot, and the close and
 * rebuild snapshots follow the flush). `txnIndexRebuildFrom` (a segment whose index is missing
 * or insane) pulls R down to a snapshot at or below that segment, so its index is re-derived.
 *
 * So the state is exactly what the recovered log says: never ahead of it. Unlike Kafka, a log
 * without any snapshot is always replayed (Kafka skips that after a clean shutdown, a shortcut
 * for brokers upgraded from before 0.11; Sherwood logs from before producer state existed may
 * hold idempotent batches whose retries must still be recognised).
 */
import type { FileSystem } from '../base/file-system.js';
import type { Logger } from '../base/logger.js';
import { BatchCursor, type LogSegment } from './log-segment.js';
import { DEFAULT_PRODUCER_STATE_CONFIG, ProducerStateError, ProducerStateManager, type ProducerStateManagerConfig } from './producer-state-manager.js';
import { lastOffsetOf, baseOffsetOf } from '../protocol/record-batch.js';
import type { AbortedTxn } from './transaction-index.js';

/** An empty ProducerStateManager over the snapshots in a partition directory. */
export function openProducerState(options: { fs: FileSystem; dir: string; topic: string; partition: number; logger: Logger; producerStateConfig?: ProducerStateManagerConfig }): Promise<ProducerStateManager> {
  return ProducerStateManager.open({
    fs: options.fs,
    dir: options.dir,
    name: `${options.topic}-${options.partition}`,
    config: options.producerStateConfig ?? DEFAULT_PRODUCER_STATE_CONFIG,
    logger: options.logger,
  });
}

export async function rebuildProducerState(
  psm: ProducerStateManager,
  segments: readonly LogSegment[],
  logStartOffset: number,
  lastOffset: number,
  nowMs: number,
  logger: Logger,
  txnIndexRebuildFrom?: number,
): Promise<void> {
  const snapshotAt = new Set<number>([lastOffset]);
  const last = segments[segments.length - 1];
  if (last !== undefined) snapshotAt.add(last.baseOffset);
  const previous = segments[segments.length - 2];
  if (previous !== undefined) snapshotAt.add(previous.baseOffset);

  // A truncation of a log that never had producers has nothing to rebuild (Kafka's shortcut).
  const emptyBefore = psm.isEmpty && psm.mapEndOffset >= lastOffset && txnIndexRebuildFrom === undefined;
  await psm.truncateAndReload(logStartOffset, lastOffset, nowMs, txnIndexRebuildFrom);
  const replayFrom = psm.mapEndOffset;
  if (!emptyBefore) resetTxnIndexesFrom(segments, replayFrom);
  if (lastOffset > replayFrom && !emptyBefore) {
    for (const seg of [...segments]) {
      if (seg.nextOffset <= psm.mapEndOffset && seg !== last) continue;
      if (seg.baseOffset >= lastOffset) break;
      const startOffset = Math.max(seg.baseOffset, psm.mapEndOffset, logStartOffset);
      psm.updateMapEndOffset(startOffset);
      if (snapshotAt.has(seg.baseOffset)) await psm.takeSnapshot();
      await replaySegment(psm, seg, startOffset, lastOffset, logger);
      await seg.persistTxnIndex();
    }
  }
  if (!emptyBefore) {
    // Indexes emptied but not replayed (beyond lastOffset, or an empty active segment) are written too.
    for (const seg of segments) if (seg.baseOffset >= replayFrom || seg.nextOffset > replayFrom || seg === last) await seg.persistTxnIndex();
  }
  psm.updateMapEndOffset(lastOffset);
  await psm.takeSnapshot();
}

/** The replay from `offset` re-derives every abort whose marker is at or after it. */
function resetTxnIndexesFrom(segments: readonly LogSegment[], offset: number): void {
  for (const seg of segments) {
    if (seg.baseOffset >= offset) seg.txnIndex.reset();
    else seg.txnIndex.truncateTo(offset);
  }
}

/** Replays the batches of `seg` holding offsets in [fromOffset, toOffset), rebuilding its aborted-transaction index. */
async function replaySegment(psm: ProducerStateManager, seg: LogSegment, fromOffset: number, toOffset: number, logger: Logger): Promise<void> {
  if (seg.isDeleted) return;
  const onAborted = (txn: AbortedTxn): void => seg.txnIndex.append(txn);
  seg.acquire();
  try {
    const cursor = new BatchCursor(seg.fileHandle, await seg.positionOf(fromOffset), seg.size);
    for (;;) {
      const r = await cursor.next(true);
      if (r.kind !== 'batch') return;
      if (baseOffsetOf(r.buf, r.at) >= toOffset) return;
      if (lastOffsetOf(r.buf, r.at) < fromOffset) continue;
      try {
        psm.replayBatch(r.buf, r.at, onAborted);
      } catch (err) {
        if (!(err instanceof ProducerStateError)) throw err;
        // The leader accepted it; a follower or a rebuild keeps going (Kafka would fail the load).
        logger.warn('skipped a batch while rebuilding producer state', { partition: psm.name, offset: baseOffsetOf(r.buf, r.at), error: err.message });
      }
    }
  } finally {
    seg.release();
  }
}
