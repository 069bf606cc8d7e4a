/**
 * Log compaction (cleanup.policy=compact, also combined with delete): keep only the latest
 * record per key in the non-active segments.
 *
 * One pass over a log:
 * 1. The cleanable range is the prefix of non-active segments that end at or below the high
 *    watermark and whose largest timestamp is at least min.compaction.lag.ms old. The active
 *    segment is never touched.
 * 2. The pass runs only when dirty bytes (segments at or after firstDirtyOffset, the end of
 *    the previous pass) make up at least min.cleanable.dirty.ratio of the cleanable bytes.
 * 3. A key → latest offset map is built over the cleanable range. Each segment is rewritten
 *    keeping records whose offset is the latest for their key, dropping keyless records and
 *    tombstones (null value) whose batch maxTimestamp is older than now - delete.retention.ms.
 *    Batches left untouched are copied as is (compression kept); changed batches are rebuilt
 *    uncompressed with the original header (offsets, producer fields, epoch) and fresh CRC;
 *    batches left empty are dropped. Control batches are kept.
 * 4. The new content is written to `<base>.log.cleaned`, fsynced, renamed to `.log.swap`, and
 *    then — inside the partition queue, after re-checking the segment is still part of the
 *    log — renamed over `<base>.log` (see log-loader.ts for crash handling).
 *
 * Deviation from Kafka: the tombstone horizon uses the batch timestamp rather than KIP-534's
 * delete-horizon attribute; small segments are not merged.
 */
import { isControlBatch } from '../protocol/record-batch.js';
import { readRecords, rebuildBatch } from './batch-records.js';
import { SWAP_SUFFIX, CLEANED_SUFFIX, segmentFileName, type LogSegment } from './log-segment.js';
import type { PartitionLog } from './partition-log.js';

export interface CleanResult {
  segmentsRewritten: number;
  bytesBefore: number;
  bytesAfter: number;
  recordsRemoved: number;
}

function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * 4294967296 + buf.readUInt32BE(pos + 4);
}

/** Keyless records cannot live on a compacted topic; the produce path rejects them with this check. */
export function requiresKeys(config: { cleanupPolicy: { compact: boolean } }): boolean {
  return config.cleanupPolicy.compact;
}

/** The cleanable prefix of segments and the offset where it ends. */
export function cleanableSegments(log: PartitionLog, nowMs: number): { segments: LogSegment[]; endOffset: number } {
  const out: LogSegment[] = [];
  let endOffset = log.segments[0]!.baseOffset;
  const segs = log.segments;
  for (let i = 0; i < segs.length - 1; i++) {
    const seg = segs[i]!;
    const nextBase = segs[i + 1]!.baseOffset;
    if (nextBase > log.highWatermark) break;
    if (seg.maxTimestamp >= 0 && nowMs - seg.maxTimestamp < log.config.minCompactionLagMs) break;
    out.push(seg);
    endOffset = nextBase;
  }
  return { segments: out, endOffset };
}

export async function cleanLog(log: PartitionLog, nowMs: number): Promise<CleanResult | null> {
  if (!log.config.cleanupPolicy.compact) return null;
  const { segments, endOffset } = cleanableSegments(log, nowMs);
  if (segments.length === 0) return null;
  let cleanBytes = 0;
  let dirtyBytes = 0;
  for (const seg of segments) {
    if (seg.nextOffset <= log.firstDirtyOffset) cleanBytes += seg.size;
    else dirtyBytes += seg.size;
  }
  if (dirtyBytes === 0 || dirtyBytes / (cleanBytes + dirtyBytes) < log.config.minCleanableDirtyRatio) return null;

  const latest = new Map<string, number>();
  for (const seg of segments) {
    seg.acquire();
    try {
      await seg.forEachBatch((buf, at) => {
        if (isControlBatch(buf.readInt16BE(at + 21))) return;
        for (const rec of readRecords(buf, at)) if (rec.key !== null) latest.set(rec.key.toString('latin1'), rec.offset);
      });
    } finally {
      seg.release();
    }
  }

  const tombstoneHorizon = nowMs - log.config.deleteRetentionMs;
  const result: CleanResult = { segmentsRewritten: 0, bytesBefore: 0, bytesAfter: 0, recordsRemoved: 0 };
  for (const seg of segments) {
    const parts: Buffer[] = [];
    let changed = false;
    const modCount = seg.modCount;
    seg.acquire();
    try {
      await seg.forEachBatch((buf, at, size) => {
        if (isControlBatch(buf.readInt16BE(at + 21))) {
          parts.push(Buffer.from(buf.subarray(at, at + size)));
          return;
        }
        const tombstonesExpire = readInt64(buf, at + 35) < tombstoneHorizon;
        const records = readRecords(buf, at);
        const kept = records.filter(
          (r) => r.key !== null && latest.get(r.key.toString('latin1')) === r.offset && !(r.isTombstone && tombstonesExpire),
        );
        if (kept.length === records.length) {
          parts.push(Buffer.from(buf.subarray(at, at + size)));
          return;
        }
        changed = true;
        result.recordsRemoved += records.length - kept.length;
        if (kept.length > 0) parts.push(rebuildBatch(buf, at, kept));
      });
    } finally {
      seg.release();
    }
    if (!changed) continue;
    const content = Buffer.concat(parts);
    const cleanedPath = `${seg.dir}/${segmentFileName(seg.baseOffset, CLEANED_SUFFIX)}`;
    const swapPath = `${seg.dir}/${segmentFileName(seg.baseOffset, SWAP_SUFFIX)}`;
    const fh = await log.fs.open(cleanedPath, 'create');
    try {
      await fh.truncate(0);
      if (content.length > 0) await fh.write(content, 0);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await log.fs.rename(cleanedPath, swapPath);
    await log.fs.syncDir(seg.dir);
    const swapped = await log.enqueue(async () => {
      const index = log.segments.indexOf(seg);
      if (index < 0 || index === log.segments.length - 1 || seg.modCount !== modCount) {
        await log.fs.unlink(swapPath);
        return false;
      }
      const before = seg.size;
      log.segments[index] = await seg.replaceWithSwap(swapPath);
      await log.fs.syncDir(seg.dir);
      result.bytesBefore += before;
      result.bytesAfter += log.segments[index]!.size;
      return true;
    });
    if (swapped) result.segmentsRewritten++;
  }
  log.firstDirtyOffset = Math.max(log.firstDirtyOffset, endOffset);
  return result;
}
