/**
 * Log compaction (cleanup.policy=compact, also combined with delete): keep only the latest
 * record per key in the non-active segments, and merge small segments as Kafka's
 * `LogCleaner.groupSegmentsBySize` does.
 *
 * One pass over a log:
 * 1. The cleanable range is the prefix of non-active segments that end at or below the last
 *    stable offset (so every transaction with data in it is decided and its marker replicated)
 *    and whose largest timestamp is at least min.compaction.lag.ms old. The active segment is
 *    never touched.
 * 2. The pass runs only when dirty bytes (segments at or after firstDirtyOffset, the end of
 *    the previous pass) make up at least min.cleanable.dirty.ratio of the cleanable bytes.
 * 3. A key → latest offset map is built over the cleanable range, skipping the batches of
 *    aborted transactions (found through the transaction indexes, cleaned-transaction-
 *    metadata.ts): an aborted value never shadows an earlier committed one.
 * 4. The cleanable segments are split into groups of consecutive segments whose combined log
 *    size stays within segment.bytes, whose combined index sizes stay within
 *    segment.index.bytes, and whose offsets fit the int32 relative offsets of the first
 *    segment's indexes (an empty segment never breaks a group on offsets).
 * 5. Each group is rewritten into one segment named after its first base offset, keeping
 *    records whose offset is the latest for their key, dropping keyless records and tombstones
 *    (null value) whose batch maxTimestamp is older than now - delete.retention.ms, and every
 *    record of an aborted transaction. Batches left untouched are copied as is (compression
 *    kept); changed batches are rebuilt uncompressed with the original header (offsets,
 *    producer fields, epoch) and fresh CRC; batches left empty are dropped, except the batch
 *    holding a producer's last data offset (or, when it has none, its markers of its current
 *    epoch), kept empty so that a rebuild of the producer state from the log still knows the
 *    producer's last sequence and epoch (Kafka's RETAIN_EMPTY). COMMIT/ABORT markers follow
 *    Kafka (CleanedTransactionMetadata, KIP-534): kept while any batch of their transaction
 *    was seen in the pass; the first pass that finds the transaction's data gone stamps the
 *    marker with a delete horizon (now + delete.retention.ms, in baseTimestamp, attribute bit
 *    6) and a later pass past that horizon drops it, so a consumer that read the data has
 *    delete.retention.ms to read the marker too. Retained ABORT markers whose transaction had
 *    data in the pass make up the new segment's transaction index. A group of one segment in
 *    which nothing changes is left alone.
 * 6. Swap (as Kafka's `replaceSegments`), each step durable before the next:
 *    a. the output is written to `<first>.log.cleaned` and fsynced (outside the partition
 *       queue; nothing on disk refers to it yet);
 *    b. inside the queue, after re-checking that every segment of the group is still in the
 *       log, unmodified and not active: rename to `<first>.log.swap` — the commit point;
 *    c. delete the other segments of the group (indexes first, then .log) and the first
 *       segment's indexes (the transaction index included);
 *    d. rename `.log.swap` over `<first>.log`, rebuild its offset and time indexes, write its
 *       transaction index (the cleaner's), and switch the in-memory segment list in one tick.
 *    A crash before (b) leaves a `.cleaned` file that log-loader.ts deletes: the old segments
 *    stay. A crash after (b) leaves a `.swap` file that log-loader.ts completes: it deletes
 *    every `.log` whose base offset lies in (first, last offset in the swap] and renames the
 *    swap. Segments of the group above the swap's last offset that survive are an untouched
 *    suffix of the group (all their records were removable, none is needed to shadow an
 *    earlier one), so the recovered log is either the old segments or the new one plus
 *    original records — nothing lost, nothing duplicated, offsets still increasing. A merged
 *    segment left without its `.txnindex` by a crash gets it rebuilt from the producer state.
 *
 * Deviation from Kafka: the tombstone horizon uses the batch timestamp rather than KIP-534's
 * delete-horizon attribute (markers do use it), and rebuilt batches are not recompressed (a
 * group's output can then exceed segment.bytes).
 */
import { isNotFound, type FileHandle } from '../base/file-system.js';
import {
  ATTRIBUTES_OFFSET,
  ATTR_TRANSACTIONAL,
  MAX_TIMESTAMP_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  isControlBatch,
  lastOffsetOf,
  readInt64,
} from '../protocol/record-batch.js';
import { deleteHorizonOf, readRecords, rebuildBatch, withDeleteHorizon, type RecordView } from './batch-records.js';
import { CleanedTransactionMetadata, type ControlBatchKind } from './cleaned-transaction-metadata.js';
import {
  CLEANED_SUFFIX,
  LOG_SUFFIX,
  SEGMENT_INDEX_SUFFIXES,
  SWAP_SUFFIX,
  segmentFileName,
  type LogSegment,
} from './log-segment.js';
import type { PartitionLog } from './partition-log.js';
import type { LastRecord } from './producer-state-manager.js';
import type { AbortedTxn } from './transaction-index.js';

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
    if (nextBase > log.lastStableOffset) break;
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

/** The first record's control type of a control batch (Kafka's ControlRecordType.parse). */
function controlKind(records: readonly RecordView[]): ControlBatchKind {
  const key = records[0]?.key;
  if (records.length === 0) return 'empty';
  if (key === null || key === undefined || key.length < 4) return 'other';
  const type = key.readInt16BE(2);
  return type === 0 ? 'abort' : type === 1 ? 'commit' : 'other';
}

/** The aborted transactions that may have data in [startOffset, endOffset) (markers possibly later). */
function transactionMetadata(log: PartitionLog, startOffset: number, endOffset: number): CleanedTransactionMetadata {
  const txns = new CleanedTransactionMetadata();
  txns.addAbortedTransactions(log.collectAbortedTransactions(startOffset, endOffset));
  return txns;
}

/** Key (latin1) → offset of its latest record over the segments; aborted transactions' records never count. */
async function buildOffsetMap(log: PartitionLog, segments: readonly LogSegment[], endOffset: number): Promise<Map<string, number>> {
  const latest = new Map<string, number>();
  const txns = transactionMetadata(log, segments[0]!.baseOffset, endOffset);
  for (const seg of segments) {
    seg.acquire();
    try {
      await seg.forEachBatch((buf, at) => {
        const attributes = buf.readInt16BE(at + ATTRIBUTES_OFFSET);
        const producerId = readInt64(buf, at + PRODUCER_ID_OFFSET);
        const lastOffset = lastOffsetOf(buf, at);
        if (isControlBatch(attributes)) {
          txns.onControlBatchRead(producerId, lastOffset, controlKind(readRecords(buf, at)));
          return;
        }
        if (txns.onBatchRead(producerId, lastOffset, (attributes & ATTR_TRANSACTIONAL) !== 0)) return;
        for (const rec of readRecords(buf, at)) if (rec.key !== null) latest.set(rec.key.toString('latin1'), rec.offset);
      });
    } finally {
      seg.release();
    }
  }
  return latest;
}

/** What one pass decides with, shared by its groups (the transaction walk carries across them). */
interface CleanPass {
  latest: Map<string, number>;
  nowMs: number;
  deleteRetentionMs: number;
  txns: CleanedTransactionMetadata;
  lastRecords: Map<number, LastRecord>;
}

/** The retained bytes of one segment, the records dropped, and whether anything changed. */
async function cleanSegment(seg: LogSegment, pass: CleanPass): Promise<{ parts: Buffer[]; removed: number; changed: boolean }> {
  const parts: Buffer[] = [];
  let removed = 0;
  let changed = false;
  const tombstoneHorizon = pass.nowMs - pass.deleteRetentionMs;
  seg.acquire();
  try {
    await seg.forEachBatch((buf, at, size) => {
      const attributes = buf.readInt16BE(at + ATTRIBUTES_OFFSET);
      const producerId = readInt64(buf, at + PRODUCER_ID_OFFSET);
      const lastOffset = lastOffsetOf(buf, at);
      const control = isControlBatch(attributes);
      const records = readRecords(buf, at);
      // Kafka's checkBatchRetention: markers by the transaction walk and their delete horizon.
      let discardRecords: boolean;
      let stampHorizon = false;
      if (control) {
        const canDiscard = pass.txns.onControlBatchRead(producerId, lastOffset, controlKind(records));
        const horizon = deleteHorizonOf(buf, at);
        discardRecords = canDiscard && horizon !== undefined && horizon <= pass.nowMs;
        stampHorizon = canDiscard && horizon === undefined;
      } else {
        discardRecords = pass.txns.onBatchRead(producerId, lastOffset, (attributes & ATTR_TRANSACTIONAL) !== 0);
      }
      const tombstonesExpire = readInt64(buf, at + MAX_TIMESTAMP_OFFSET) < tombstoneHorizon;
      const kept = discardRecords ? [] : control ? records : records.filter(
        (r) => r.key !== null && pass.latest.get(r.key.toString('latin1')) === r.offset && !(r.isTombstone && tombstonesExpire),
      );
      removed += records.length - kept.length;
      if (kept.length > 0) {
        if (stampHorizon) parts.push(withDeleteHorizon(buf, at, pass.nowMs + pass.deleteRetentionMs));
        else if (kept.length === records.length) parts.push(Buffer.from(buf.subarray(at, at + size)));
        else parts.push(rebuildBatch(buf, at, kept));
        changed ||= stampHorizon || kept.length < records.length;
      } else if (isLastBatchOfProducer(pass.lastRecords, producerId, lastOffset, control, buf.readInt16BE(at + PRODUCER_EPOCH_OFFSET))) {
        parts.push(records.length === 0 ? Buffer.from(buf.subarray(at, at + size)) : rebuildBatch(buf, at, []));
        changed ||= records.length > 0;
      } else {
        changed = true;
      }
    });
  } finally {
    seg.release();
  }
  return { parts, removed, changed };
}

/**
 * Kafka's retention of a producer's last batch: the one holding its last data offset, or (when
 * its epoch has no data batch, e.g. after a fencing abort) its markers of that epoch.
 */
function isLastBatchOfProducer(lastRecords: Map<number, LastRecord>, producerId: number, lastOffset: number, control: boolean, producerEpoch: number): boolean {
  if (producerId < 0) return false;
  const last = lastRecords.get(producerId);
  if (last === undefined) return false;
  return last.lastDataOffset >= 0 ? lastOffset === last.lastDataOffset : control && producerEpoch === last.producerEpoch;
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
  /** The new segment's aborted-transaction index. */
  abortedTxns: AbortedTxn[];
  /** modCount of each group segment when it was read. */
  modCounts: number[];
}

/**
 * Writes the group's retained records to `<first>.log.cleaned` and fsyncs it. Null when the
 * group is a single segment in which nothing would change.
 */
async function writeCleaned(log: PartitionLog, group: readonly LogSegment[], pass: CleanPass): Promise<CleanedGroup | null> {
  const first = group[0]!;
  const cleanedPath = `${first.dir}/${segmentFileName(first.baseOffset, CLEANED_SUFFIX)}`;
  const modCounts = group.map((s) => s.modCount);
  const abortedTxns: AbortedTxn[] = [];
  pass.txns.cleanedIndex = abortedTxns;
  let fh: FileHandle | undefined;
  let position = 0;
  let removed = 0;
  try {
    for (const seg of group) {
      const cleaned = await cleanSegment(seg, pass);
      removed += cleaned.removed;
      if (group.length === 1 && !cleaned.changed) return null;
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
  return { cleanedPath, removed, abortedTxns, modCounts };
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
    for (const suffix of [...SEGMENT_INDEX_SUFFIXES, LOG_SUFFIX]) {
      await unlinkIfExists(log, `${dir}/${segmentFileName(seg.baseOffset, suffix)}`);
    }
  }
  // Stale indexes must never describe the new log: rebuilt after the rename.
  for (const suffix of SEGMENT_INDEX_SUFFIXES) await unlinkIfExists(log, `${dir}/${segmentFileName(first.baseOffset, suffix)}`);
  await log.fs.syncDir(dir);
  const replacement = await first.replaceWithSwap(swapPath, cleaned.abortedTxns);
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
  const pass: CleanPass = {
    latest: await buildOffsetMap(log, segments, endOffset),
    nowMs,
    deleteRetentionMs: log.config.deleteRetentionMs,
    txns: transactionMetadata(log, segments[0]!.baseOffset, endOffset),
    lastRecords: log.producerStateManager.lastRecordsOfActiveProducers(),
  };
  const result: CleanResult = { segmentsRewritten: 0, segmentsMerged: 0, bytesBefore: 0, bytesAfter: 0, recordsRemoved: 0 };
  for (const group of groupSegmentsBySize(segments, log.config.segmentBytes, log.config.segmentIndexBytes, endOffset)) {
    const cleaned = await writeCleaned(log, group, pass);
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
