/**
 * Retention for cleanup.policy=delete (also with compact), as Kafka's UnifiedLog does it:
 * 1. segments entirely below logStartOffset (after DeleteRecords) go first;
 * 2. retention.ms: oldest segments whose largest timestamp is older than now - retention.ms;
 * 3. retention.bytes: oldest segments while the log stays >= retention.bytes without them.
 * Only whole segments are deleted. When the active segment itself qualifies and holds data it
 * is rolled first (Kafka does the same), so a quiet topic still expires. Runs inside the
 * partition's queue. As in Kafka, a segment is deleted only when everything in it is below the
 * high watermark (its upper bound — the next segment's base offset, or the log end offset for
 * the active one — is <= highWatermark), so retention never removes records not yet committed.
 */
import type { PartitionLog } from './partition-log.js';

export async function deleteRetentionBreachedSegments(log: PartitionLog, nowMs: number): Promise<number> {
  let deleted = await log.deleteSegmentsBelowStart();
  if (!log.config.cleanupPolicy.delete) return deleted;
  if (log.config.retentionMs >= 0) {
    let count = 0;
    for (const seg of log.segments) {
      if (!belowHighWatermark(log, count)) break;
      const largest = seg.maxTimestamp >= 0 ? seg.maxTimestamp : seg.createdMs;
      if (seg.size > 0 && nowMs - largest > log.config.retentionMs) count++;
      else break;
    }
    deleted += await deleteOldest(log, count);
  }
  if (log.config.retentionBytes >= 0) {
    let diff = log.size - log.config.retentionBytes;
    let count = 0;
    for (const seg of log.segments) {
      if (!belowHighWatermark(log, count)) break;
      if (seg.size > 0 && diff - seg.size >= 0) {
        diff -= seg.size;
        count++;
      } else {
        break;
      }
    }
    deleted += await deleteOldest(log, count);
  }
  return deleted;
}

/** True when segment i holds only offsets below the high watermark. */
function belowHighWatermark(log: PartitionLog, i: number): boolean {
  const upper = i + 1 < log.segments.length ? log.segments[i + 1]!.baseOffset : log.logEndOffset;
  return upper <= log.highWatermark;
}

async function deleteOldest(log: PartitionLog, count: number): Promise<number> {
  if (count === 0) return 0;
  if (count >= log.segments.length) {
    await log.roll();
    count = log.segments.length - 1;
  }
  await log.deleteFirstSegments(count);
  return count;
}
