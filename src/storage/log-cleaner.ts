/**
 * Log compaction (cleanup.policy=compact, also combined with delete): keep only the latest
 * record per key in the non-active segments, and merge small segments as Kafka's
 * `LogCleaner.groupSegmentsBySize` does.
 *
 * One pass over a log:
 * 1. The cleanable range is the prefix of non-active segments that end at or below the high
 *    watermark and whose largest timestamp is at least min.compaction.lag.ms old. The active
 *    segment is never touched.
 * 2. The pass runs only when dirty bytes (segments at or after firstDirtyOffset, the end of
 *    the previous pass) make up at least min.cleanable.dirty.ratio of the cleanable bytes.
 * 3. A key → latest offset map is built over the cleanable range.
 * 4. The cleanable segments are split into groups of consecutive segments whose combined log
 *    size stays within segment.bytes, whose combined index sizes stay within
 *    segment.index.bytes, and whose offsets fit the int32 relative offsets of the first
 *    segment's indexes (an empty segment never breaks a group on offsets).
 * 5. Each group is rewritten into one segment named after its first base offset, keeping
 *    records whose offset is the latest for their key, dropping keyless records and tombstones
 *    (null value) whose batch maxTimestamp is older than now - delete.retention.ms. Batches
 *    left untouched are copied as is (compression kept); changed batches are rebuilt
 *    uncompressed with the original header (offsets, producer fields, epoch) and fresh CRC;
 *    batches left empty are dropped. Control batches are kept. A group of one segment in which
 *    nothing changes is left alone.
 * 6. Swap (as Kafka's `replaceSegments`), each step durable before the next:
 *    a. the output is written to `<first>.log.cleaned` and fsynced (outside the partition
 *       queue; nothing on disk refers to it yet);
 *    b. inside the queue, after re-checking that every segment of the group is still in the
 *       log, unmodified and not active: rename to `<first>.log.swap` — the commit point;
 *    c. delete the other segments of the group (indexes first, then .log) and the first
 *       segment's indexes;
 *    d. rename `.log.swap` over `<first>.log`, rebuild its indexes, and switch the in-memory
 *       segment list in one tick.
 *    A crash before (b) leaves a `.cleaned` file that log-loader.ts deletes: the old segments
 *    stay. A crash after (b) leaves a `.swap` file that log-loader.ts completes: it deletes
 *    every `.log` whose base offset lies in (first, last offset in the swap] and renames the
 *    swap. Segments of the group above the swap's last offset that survive are an untouched
 *    suffix of the group (all their records were removable, none is needed to shadow an
 *    earlier one), so the recovered log is either the old segments or the new one plus
 *    original records — nothing lost, nothing duplicated, offsets still increasing.
 *
 * Deviation from Kafka: the tombstone horizon uses the batch timestamp rather than KIP-534's
 * delete-horizon attribute, and rebuilt batches are not recompressed (a group's output can
 * then exceed segment.bytes).
 */
import { isNotFound, type FileHandle } from '../base/file-system.js';
import { isControlBatch, readInt64 } from '../protocol/record-batch.js';
import { readRecords, rebuildBatch } from './batch-records.js';
import {
  CLEANED_SUFFIX,
  INDEX_SUFFIX,
  LOG_SUFFIX,
  SWAP_SUFFIX,
  TIME_INDEX_SUFFIX,
  segmentFileName,
  type LogSegment,
} from './log-segment.js';
import type { PartitionLog } from './partition-log.js';

export interface CleanResult {
  /** Cleaned segments swapped in (one per rewritten group). */
  segmentsRewritten: number;
  /** Segment files that went away because their group was merged into one segment. */
  segmentsMerged: number;
  bytesBefore: number;
  bytesAfter: number;
  recordsRemoved: number;
}

const INT32_MAX = 2147483647;
const OFFSET_INDEX_ENTRY_BYTES = 8;
const TIME_INDEX_ENTRY_BYTES = 12;

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

/** What groupSegmentsBySize needs of a segment (a LogSegment fits). */
export interface GroupableSegment {
  baseOffset: number;
  size: number;
  offsetIndex: { entries: number };
  timeIndex: { entries: number };
}

/**
 * Kafka's `LogCleaner.groupSegmentsBySize`: consecutive segments whose combined log size stays
 * within maxSize, combined offset and time index sizes within maxIndexSize, and whose last
 * offset (the next segment's base - 1, or endOffset - 1 for the last) fits an int32 relative
 * offset from the group's first base offset. The first segment of a group is always taken.
 */
export function groupSegmentsBySize<S extends GroupableSegment>(segments: readonly S[], maxSize: number, maxIndexSize: number, endOffset: number): S[][] {
  const groups: S[][] = [];
  let i = 0;
  while (i < segments.length) {
    const first = segments[i]!;
    const group = [first];
    let logSize = first.size;
    let indexSize = first.offsetIndex.entries * OFFSET_INDEX_ENTRY_BYTES;
    let timeIndexSize = first.timeIndex.entries * TIME_INDEX_ENTRY_BYTES;
    i++;
    while (i < segments.length) {
      const next = segments[i]!;
      const nextIndex = next.offsetIndex.entries * OFFSET_INDEX_ENTRY_BYTES;
      const nextTimeIndex = next.timeIndex.entries * TIME_INDEX_ENTRY_BYTES;
      const lastOffset = (i + 1 < segments.length ? segments[i + 1]!.baseOffset : endOffset) - 1;
      if (logSize + next.size > maxSize) break;
      if (indexSize + nextIndex > maxIndexSize || timeIndexSize + nextTimeIndex > maxIndexSize) break;
      // An empty segment never breaks a group on offsets (Kafka: no empty log every 2^31 offsets).
      if (next.size > 0 && lastOffset - first.baseOffset > INT32_MAX) break;
      group.push(next);
      logSize += next.size;
      indexSize += nextIndex;
      timeIndexSize += nextTimeIndex;
      i++;
    }
    groups.push(group);
  }
  return groups;
}

/** min.cleanable.dirty.ratio: dirty bytes over cleanable bytes. */
function dirtyEnough(log: PartitionLog, segments: readonly LogSegment[]): boolean {
  let cleanBytes = 0;
  let dirtyBytes = 0;
  for (const seg of segments) {
    if (seg.nextOffset <= log.firstDirtyOffset) cleanBytes += seg.size;
    else dirtyBytes += seg.size;
  }
  return dirtyBytes > 0 && dirtyBytes / (cleanBytes + dirtyBytes) >= log.config.minCleanableDirtyRatio;
}

/** Key (latin1) → offset of its latest record over the segments. */
async function buildOffsetMap(segments: readonly LogSegment[]): Promise<Map<string, number>> {
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
  return latest;
}

/** The retained bytes of one segment and whether anything was dropped. */
async function cleanSegment(seg: LogSegment, latest: Map<string, number>, tombstoneHorizon: number): Promise<{ parts: Buffer[]; removed: number }> {
  const parts: Buffer[] = [];
  let removed = 0;
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
      removed += records.length - kept.length;
      if (kept.length > 0) parts.push(rebuildBatch(buf, at, kept));
    });
  } finally {
    seg.release();
  }
  return { parts, removed };
}

async function unlinkIfExists(log: PartitionLog, path: string): Promise<void> {
  try {
    await log.fs.unlink(path);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

interface CleanedGroup {
  cleanedPath: string;
  removed: number;
  /** modCount of each group segment when it was read. */
  modCounts: number[];
}

/**
 * Writes the group's retained records to `<first>.log.cleaned` and fsyncs it. Null when the
 * group is a single segment in which nothing would change.
 */
async function writeCleaned(log: PartitionLog, group: readonly LogSegment[], latest: Map<string, number>, tombstoneHorizon: number): Promise<CleanedGroup | null> {
  const first = group[0]!;
  const cleanedPath = `${first.dir}/${segmentFileName(first.baseOffset, CLEANED_SUFFIX)}`;
  const modCounts = group.map((s) => s.modCount);
  let fh: FileHandle | undefined;
  let position = 0;
  let removed = 0;
  try {
    for (const seg of group) {
      const cleaned = await cleanSegment(seg, latest, tombstoneHorizon);
      removed += cleaned.removed;
      if (group.length === 1 && cleaned.removed === 0) return null;
      if (fh === undefined) {
        fh = await log.fs.open(cleanedPath, 'create');
        await fh.truncate(0);
      }
      if (cleaned.parts.length === 0) continue;
      const content = Buffer.concat(cleaned.parts);
      await fh.write(content, position);
      position += content.length;
    }
    await fh!.sync();
  } catch (err) {
    if (fh !== undefined) {
      await fh.close().catch(() => undefined);
      fh = undefined;
      await unlinkIfExists(log, cleanedPath).catch(() => undefined);
    }
    throw err;
  } finally {
    await fh?.close();
  }
  return { cleanedPath, removed, modCounts };
}

/** Index of the group in the log when it is still a run of unmodified, non-active segments; else -1. */
function groupStillInLog(log: PartitionLog, group: readonly LogSegment[], modCounts: readonly number[]): number {
  const start = log.segments.indexOf(group[0]!);
  if (start < 0 || start + group.length >= log.segments.length) return -1;
  for (let j = 0; j < group.length; j++) {
    if (log.segments[start + j] !== group[j] || group[j]!.modCount !== modCounts[j]) return -1;
  }
  return start;
}

/**
 * Kafka's `replaceSegments` for one group (steps 6b-6d of the header); runs inside the
 * partition queue. Returns the bytes of the new segment, or -1 when the log changed under the
 * cleaner (the output is discarded).
 */
async function replaceSegments(log: PartitionLog, group: readonly LogSegment[], cleaned: CleanedGroup): Promise<number> {
  const start = groupStillInLog(log, group, cleaned.modCounts);
  if (start < 0) {
    await unlinkIfExists(log, cleaned.cleanedPath);
    return -1;
  }
  const first = group[0]!;
  const dir = first.dir;
  const swapPath = `${dir}/${segmentFileName(first.baseOffset, SWAP_SUFFIX)}`;
  await log.fs.rename(cleaned.cleanedPath, swapPath);
  await log.fs.syncDir(dir);
  // Committed: from here a crash completes the swap on open.
  for (const seg of group.slice(1)) {
    await seg.markReplaced();
    for (const suffix of [INDEX_SUFFIX, TIME_INDEX_SUFFIX, LOG_SUFFIX]) {
      await unlinkIfExists(log, `${dir}/${segmentFileName(seg.baseOffset, suffix)}`);
    }
  }
  // Stale indexes must never describe the new log: rebuilt after the rename.
  for (const suffix of [INDEX_SUFFIX, TIME_INDEX_SUFFIX]) await unlinkIfExists(log, `${dir}/${segmentFileName(first.baseOffset, suffix)}`);
  await log.fs.syncDir(dir);
  const replacement = await first.replaceWithSwap(swapPath);
  // One tick: readers see either the old segments or the new one.
  log.segments = [...log.segments.slice(0, start), replacement, ...log.segments.slice(start + group.length)];
  for (const seg of group.slice(1)) await seg.delete();
  await log.fs.syncDir(dir);
  return replacement.size;
}

export async function cleanLog(log: PartitionLog, nowMs: number): Promise<CleanResult | null> {
  if (!log.config.cleanupPolicy.compact) return null;
  const { segments, endOffset } = cleanableSegments(log, nowMs);
  if (segments.length === 0 || !dirtyEnough(log, segments)) return null;
  const latest = await buildOffsetMap(segments);
  const tombstoneHorizon = nowMs - log.config.deleteRetentionMs;
  const result: CleanResult = { segmentsRewritten: 0, segmentsMerged: 0, bytesBefore: 0, bytesAfter: 0, recordsRemoved: 0 };
  for (const group of groupSegmentsBySize(segments, log.config.segmentBytes, log.config.segmentIndexBytes, endOffset)) {
    const cleaned = await writeCleaned(log, group, latest, tombstoneHorizon);
    if (cleaned === null) continue;
    let before = 0;
    for (const seg of group) before += seg.size;
    const after = await log.enqueue(() => replaceSegments(log, group, cleaned));
    if (after < 0) continue;
    result.segmentsRewritten++;
    result.segmentsMerged += group.length - 1;
    result.recordsRemoved += cleaned.removed;
    result.bytesBefore += before;
    result.bytesAfter += after;
  }
  log.firstDirtyOffset = Math.max(log.firstDirtyOffset, endOffset);
  return result;
}
