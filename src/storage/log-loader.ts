/**
 * Opening a partition directory: finish or discard interrupted compaction swaps, open every
 * segment, and decide what to trust.
 *
 * - After a clean shutdown (recoveryPoint = MAX) every segment loads from its indexes, which
 *   must pass a sanity check; a segment whose index fails is recovered instead.
 * - Otherwise the segment holding the recovery point and every later one are scanned batch by
 *   batch (size, magic, CRC, increasing offsets), their indexes rebuilt, and the first invalid
 *   byte ends the log: the tail of that segment is truncated and later segments are deleted.
 *   Earlier segments were fsynced (with their indexes) when they were rolled.
 * - `.log.cleaned` files are incomplete compaction output and are deleted; a `.log.swap` is
 *   complete and fsynced and replaces its `.log` and every other segment whose base offset
 *   lies within the swap's offsets (a merged group, see log-cleaner.ts); indexes are rebuilt.
 * - Every segment's `.txnindex` is loaded and sanity-checked against the recovered segment;
 *   `txnIndexRebuildFrom` is the base offset of the first segment whose index is missing or
 *   insane. The partition log then replays the producer state from a snapshot at or below it,
 *   which rebuilds those indexes (producer-state-loader.ts): a transaction index cannot be
 *   rebuilt from its own segment alone.
 */
import type { FileSystem } from '../base/file-system.js';
import { isNotFound } from '../base/file-system.js';
import type { Logger } from '../base/logger.js';
import type { LogConfig } from './log-config.js';
import { lastOffsetOf } from '../protocol/record-batch.js';
import {
  BatchCursor,
  CLEANED_SUFFIX,
  LOG_SUFFIX,
  LogSegment,
  SEGMENT_INDEX_SUFFIXES,
  SWAP_SUFFIX,
  parseSegmentFileName,
  segmentFileName,
} from './log-segment.js';

export interface LoadOptions {
  fs: FileSystem;
  dir: string;
  config: LogConfig;
  nowMs: number;
  recoveryPoint: number;
  logStartOffset: number;
  logger: Logger;
}

async function unlinkIfExists(fs: FileSystem, path: string): Promise<void> {
  try {
    await fs.unlink(path);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/** The last offset stored in a (complete, fsynced) swap file; base - 1 when it is empty. */
async function lastOffsetInFile(fs: FileSystem, path: string, base: number): Promise<number> {
  const fh = await fs.open(path, 'read');
  try {
    const cursor = new BatchCursor(fh, 0, await fh.size());
    let last = base - 1;
    for (;;) {
      const r = await cursor.next(false);
      if (r.kind !== 'batch') return last;
      last = lastOffsetOf(r.buf, r.at);
    }
  } finally {
    await fh.close();
  }
}

/**
 * Finishes a compaction swap (log-cleaner.ts): the segments the swap replaces are those whose
 * base offset lies in [base, last offset in the swap]; they are deleted (made durable) before
 * the swap is renamed over `<base>.log`, whose indexes are rebuilt on load.
 */
async function completeSwap(fs: FileSystem, dir: string, base: number, names: readonly string[], logger: Logger): Promise<void> {
  const swapPath = `${dir}/${segmentFileName(base, SWAP_SUFFIX)}`;
  const last = await lastOffsetInFile(fs, swapPath, base);
  logger.info('completing an interrupted compaction swap', { dir, baseOffset: base, lastOffset: last });
  for (const name of names) {
    const other = parseSegmentFileName(name, LOG_SUFFIX);
    if (other === undefined || other <= base || other > last) continue;
    for (const suffix of [...SEGMENT_INDEX_SUFFIXES, LOG_SUFFIX]) await unlinkIfExists(fs, `${dir}/${segmentFileName(other, suffix)}`);
  }
  // The swap's aborted-transaction index is rebuilt from the producer state (a missing .txnindex).
  for (const suffix of SEGMENT_INDEX_SUFFIXES) await unlinkIfExists(fs, `${dir}/${segmentFileName(base, suffix)}`);
  await fs.syncDir(dir);
  await fs.rename(swapPath, `${dir}/${segmentFileName(base, LOG_SUFFIX)}`);
  await fs.syncDir(dir);
}

export interface LoadedSegments {
  segments: LogSegment[];
  truncatedBytes: number;
  /** Base offset of the first segment whose aborted-transaction index must be rebuilt; undefined when all loaded. */
  txnIndexRebuildFrom: number | undefined;
}

export async function loadSegments(options: LoadOptions): Promise<LoadedSegments> {
  const { fs, dir, config, nowMs, logger } = options;
  const names = await fs.readdir(dir);
  for (const name of names) {
    if (name.endsWith(CLEANED_SUFFIX) || name.endsWith('.tmp')) {
      await unlinkIfExists(fs, `${dir}/${name}`);
    }
  }
  for (const name of names) {
    const base = parseSegmentFileName(name, SWAP_SUFFIX);
    if (base === undefined) continue;
    await completeSwap(fs, dir, base, names, logger);
  }
  const bases = (await fs.readdir(dir))
    .map((name) => parseSegmentFileName(name, LOG_SUFFIX))
    .filter((b): b is number => b !== undefined)
    .sort((a, b) => a - b);

  if (bases.length === 0) {
    const seg = await LogSegment.create(fs, dir, options.logStartOffset, config, nowMs);
    await fs.syncDir(dir);
    return { segments: [seg], truncatedBytes: 0, txnIndexRebuildFrom: undefined };
  }

  // The segment holding the recovery point and all later ones are scanned.
  let firstToRecover = bases.length;
  if (options.recoveryPoint !== Number.MAX_SAFE_INTEGER) {
    firstToRecover = 0;
    for (let i = 0; i < bases.length; i++) if (bases[i]! <= options.recoveryPoint) firstToRecover = i;
  }

  const segments: LogSegment[] = [];
  let truncatedBytes = 0;
  let i = 0;
  for (; i < bases.length; i++) {
    const seg = await LogSegment.open(fs, dir, bases[i]!, config, nowMs);
    const previous = segments[segments.length - 1];
    let truncated = 0;
    if (i < firstToRecover && (await seg.loadClean())) {
      // trusted
    } else {
      if (i < firstToRecover) logger.warn('rebuilding a missing or corrupt index', { dir, baseOffset: bases[i] });
      truncated = await seg.recover();
    }
    if (previous !== undefined && seg.size > 0 && seg.baseOffset < previous.nextOffset) {
      logger.error('segment overlaps its predecessor; dropping it and everything after', { dir, baseOffset: seg.baseOffset });
      await seg.delete();
      truncatedBytes += seg.size;
      break;
    }
    segments.push(seg);
    if (truncated > 0) {
      truncatedBytes += truncated;
      logger.warn('truncated an invalid log tail during recovery', { dir, baseOffset: seg.baseOffset, bytes: truncated });
      i++;
      break;
    }
  }
  // Everything after a corrupt point is unreachable: delete it.
  for (; i < bases.length; i++) {
    const base = bases[i]!;
    for (const suffix of [LOG_SUFFIX, ...SEGMENT_INDEX_SUFFIXES]) await unlinkIfExists(fs, `${dir}/${segmentFileName(base, suffix)}`);
    logger.warn('deleted a segment after the recovered end of the log', { dir, baseOffset: base });
  }
  let txnIndexRebuildFrom: number | undefined;
  for (const seg of segments) {
    if (await seg.loadTxnIndex()) continue;
    txnIndexRebuildFrom ??= seg.baseOffset;
  }
  if (txnIndexRebuildFrom !== undefined) logger.info('rebuilding aborted-transaction indexes from the producer state', { dir, fromBaseOffset: txnIndexRebuildFrom });
  // Empty trailing segments other than the last add nothing; keep the structure simple.
  if (truncatedBytes > 0) {
    const last = segments[segments.length - 1]!;
    await last.flush();
    await fs.syncDir(dir);
  }
  return { segments, truncatedBytes, txnIndexRebuildFrom };
}
