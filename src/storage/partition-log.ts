/**
 * The log of one topic partition: `<log dir>/<topic>-<partition>/` holding segments
 * (log-segment.ts) and `leader-epoch-checkpoint` (leader-epoch-cache.ts). The log start offset
 * and recovery point live in per-dir checkpoint files owned by LogManager.
 *
 * Contract (see also /docs/storage.md):
 * - Appends, truncation, retention and compaction swaps run one at a time through a promise
 *   queue, so concurrent produce requests never interleave. Reads (log-read.ts) do not queue.
 * - appendAsLeader rewrites baseOffset and partitionLeaderEpoch of the (already validated)
 *   batches in place — the CRC does not cover them — stamps LogAppendTime when configured
 *   (CRC recomputed) and writes all the bytes with one positional write. No per-record work.
 * - The high watermark is set by the replica layer (setHighWatermark); on open it starts at
 *   the log start offset, until the replica layer restores its checkpoint.
 * - Producer state (producer-state-manager.ts) is checked inside the queue right before the
 *   write, like Kafka under the log lock: a client retry of a cached batch is answered with its
 *   original offsets and nothing is written; a rejected append (ProducerStateError) writes
 *   nothing. A snapshot is taken at every roll (at the new segment's base offset) and on close;
 *   open, truncation and the log start moving keep it consistent (producer-state-loader.ts).
 *   A transaction an ABORT marker ends goes to the active segment's `.txnindex` (its marker is
 *   there), with the LSO of that moment; the open replay rebuilds the indexes it covers.
 * - Disk failures surface as StorageError; after a failed write the log goes offline (every
 *   later operation throws) because its in-memory state may no longer match the disk.
 */
import type { Clock } from '../base/clock.js';
import type { FileSystem } from '../base/file-system.js';
import type { Logger } from '../base/logger.js';
import { StorageError } from '../base/errors.js';
import {
  BATCH_HEADER_SIZE,
  LAST_OFFSET_DELTA_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  baseOffsetOf,
  batchSizeAt,
  lastOffsetOf,
  setBaseOffset,
  setLogAppendTime,
  setPartitionLeaderEpoch,
} from '../protocol/record-batch.js';
import type { LogConfig } from './log-config.js';
import { LeaderEpochCache } from './leader-epoch-cache.js';
import { LogSegment } from './log-segment.js';
import { loadSegments } from './log-loader.js';
import { deleteRetentionBreachedSegments } from './log-retention.js';
import { cleanLog, type CleanResult } from './log-cleaner.js';
import { OffsetOutOfRangeError, collectAbortedTransactions, maxTimestampOffset, offsetForTimestamp, readLog, type ReadResult, type ReadableLog } from './log-read.js';
import type { AbortedTxn } from './transaction-index.js';
import type { ActiveProducer, ProducerStateManager } from './producer-state-manager.js';
import { openProducerState, rebuildProducerState } from './producer-state-loader.js';
import { LEADER_EPOCH_CHECKPOINT, NotLeaderForEpochError, type AppendResult, type PartitionLogHooks, type PartitionLogOptions } from './partition-log-types.js';

export { ProducerStateError, type ActiveProducer, type AppendOrigin } from './producer-state-manager.js';
export { LEADER_EPOCH_CHECKPOINT, NotLeaderForEpochError, type AppendResult, type PartitionLogHooks, type PartitionLogOptions } from './partition-log-types.js';
export { OffsetOutOfRangeError, type ReadResult } from './log-read.js';
export type { AbortedTxn } from './transaction-index.js';

export class PartitionLog implements ReadableLog {
  readonly topic: string;
  readonly partition: number;
  readonly dir: string;
  config: LogConfig;
  /** Segments by ascending baseOffset; the last one is active. Never empty once open. */
  segments: LogSegment[] = [];
  private _logStartOffset = 0;
  private _highWatermark = 0;
  private firstUnstableOffset: number | undefined;
  /** Everything below was fsynced (log and indexes). */
  recoveryPoint = 0;
  /** Compaction: offsets below were cleaned already. */
  firstDirtyOffset = 0;
  readonly epochCache: LeaderEpochCache;
  readonly producerStateManager: ProducerStateManager;
  private queue: Promise<unknown> = Promise.resolve();
  private listeners = new Set<() => void>();
  private unflushedMessages = 0;
  private lastFlushMs: number;
  private offline: Error | undefined;
  private closed = false;
  readonly fs: FileSystem;
  readonly clock: Clock;
  readonly logger: Logger;
  private readonly hooks: PartitionLogHooks;
  /** Kafka's updateTxnIndex: an abort completed by an append goes to the active segment's index (its marker is there). */
  private readonly appendAbortedTxn = (txn: AbortedTxn): void => this.activeSegment.txnIndex.append(txn);

  private constructor(options: PartitionLogOptions, epochCache: LeaderEpochCache, producerStateManager: ProducerStateManager) {
    this.topic = options.topic;
    this.partition = options.partition;
    this.dir = options.dir;
    this.config = options.config;
    this.fs = options.fs;
    this.clock = options.clock;
    this.logger = options.logger;
    this.hooks = options.hooks ?? {};
    this.epochCache = epochCache;
    this.producerStateManager = producerStateManager;
    this.lastFlushMs = options.clock.now();
  }

  /** Opens (recovering as needed) or creates the log in options.dir. */
  static async open(options: PartitionLogOptions): Promise<PartitionLog> {
    await options.fs.mkdirp(options.dir);
    const cache = await LeaderEpochCache.load(options.fs, `${options.dir}/${LEADER_EPOCH_CHECKPOINT}`);
    const loaded = await loadSegments({
      fs: options.fs,
      dir: options.dir,
      config: options.config,
      nowMs: options.clock.now(),
      recoveryPoint: options.cleanShutdown === true ? Number.MAX_SAFE_INTEGER : options.recoveryPoint ?? 0,
      logStartOffset: options.logStartOffset ?? 0,
      logger: options.logger,
    });
    const psm = await openProducerState(options);
    const log = new PartitionLog(options, cache, psm);
    log.segments = loaded.segments;
    const first = log.segments[0]!;
    log._logStartOffset = Math.max(options.logStartOffset ?? 0, first.baseOffset);
    if (log._logStartOffset > log.logEndOffset) log._logStartOffset = log.logEndOffset;
    log.recoveryPoint = log.logEndOffset;
    log.firstDirtyOffset = Math.min(Math.max(options.firstDirtyOffset ?? 0, log._logStartOffset), log.logEndOffset);
    // The replica layer restores the checkpointed high watermark (or, as the only ISR member,
    // raises it to the log end); until then nothing above the log start counts as committed.
    log._highWatermark = log._logStartOffset;
    // The epoch cache may be ahead of the recovered log (written before a lost append).
    let cacheChanged = log.epochCache.truncateFromEnd(log.logEndOffset);
    cacheChanged = log.epochCache.truncateFromStart(log._logStartOffset) || cacheChanged;
    if (cacheChanged) await log.epochCache.persist();
    // Producer state: the latest snapshot at or below the recovered log end plus a replay of the rest.
    await psm.removeStraySnapshots(log.segments.map((s) => s.baseOffset));
    await rebuildProducerState(psm, log.segments, log._logStartOffset, log.logEndOffset, options.clock.now(), options.logger, loaded.txnIndexRebuildFrom);
    log.maybeIncrementFirstUnstableOffset();
    return log;
  }

  get logStartOffset(): number {
    return this._logStartOffset;
  }

  get logEndOffset(): number {
    return this.activeSegment.nextOffset;
  }

  get highWatermark(): number {
    return this._highWatermark;
  }

  get lastStableOffset(): number {
    return this.firstUnstableOffset === undefined ? this._highWatermark : Math.min(this._highWatermark, this.firstUnstableOffset);
  }

  get latestEpoch(): number {
    return this.epochCache.latestEpoch;
  }

  get activeSegment(): LogSegment {
    return this.segments[this.segments.length - 1]!;
  }

  /** Total bytes of all segments. */
  get size(): number {
    let n = 0;
    for (const s of this.segments) n += s.size;
    return n;
  }

  /** Runs fn after every earlier queued operation; failures do not poison the queue. */
  enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(() => {
      if (this.offline !== undefined) throw new StorageError(`log ${this.topic}-${this.partition} is offline`, { cause: this.offline });
      if (this.closed) throw new StorageError(`log ${this.topic}-${this.partition} is closed`);
      return fn();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private goOffline(err: unknown): never {
    this.offline = err instanceof Error ? err : new Error(String(err));
    this.logger.error('partition log offline after I/O failure', { topic: this.topic, partition: this.partition, error: String(err) });
    this.hooks.wentOffline?.(this, this.offline);
    throw err instanceof StorageError ? err : new StorageError(`I/O failure on ${this.topic}-${this.partition}`, { cause: err });
  }

  // ---- append --------------------------------------------------------------------------------

  /**
   * `isCurrent`, when given, runs inside the queue right before anything is written: false
   * (leadership moved while the append waited its turn) rejects with NotLeaderForEpochError.
   * `origin` 'coordinator' (the broker's own writes) skips the sequence checks but not the
   * epoch checks. A producer state rejection throws ProducerStateError; a duplicate resolves
   * with `duplicate: true` and the original offsets. Either way nothing is written.
   */
  appendAsLeader(records: Buffer, leaderEpoch: number, isCurrent?: () => boolean, origin: 'client' | 'coordinator' = 'client'): Promise<AppendResult> {
    return this.enqueue(async () => {
      if (isCurrent !== undefined && !isCurrent()) {
        throw new NotLeaderForEpochError(`leader epoch ${leaderEpoch} of ${this.topic}-${this.partition} is no longer current`);
      }
      const now = this.clock.now();
      const logAppendTime = this.config.messageTimestampType === 'LogAppendTime';
      const firstOffset = this.logEndOffset;
      let next = firstOffset;
      let pos = 0;
      while (pos < records.length) {
        const size = batchSizeAt(records, pos);
        if (size < BATCH_HEADER_SIZE || pos + size > records.length) throw new StorageError('appendAsLeader: records are not whole batches');
        setBaseOffset(records, pos, next);
        setPartitionLeaderEpoch(records, pos, leaderEpoch);
        if (logAppendTime) setLogAppendTime(records, pos, size, now);
        next += records.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET) + 1;
        pos += size;
      }
      if (pos === 0) throw new StorageError('appendAsLeader: no batches');
      const lastOffset = next - 1;
      const producers = this.producerStateManager.analyzeAppend(records, origin);
      const dup = producers?.duplicate;
      if (dup !== undefined) return { firstOffset: dup.firstOffset, lastOffset: dup.lastOffset, logAppendTimeMs: dup.timestamp, logStartOffset: this._logStartOffset, duplicate: true };
      if (leaderEpoch > this.epochCache.latestEpoch && this.epochCache.assign(leaderEpoch, firstOffset)) {
        await this.epochCache.persist();
      }
      await this.write(records, firstOffset, lastOffset, now);
      if (this.producerStateManager.onAppendWritten(producers, lastOffset, this.appendAbortedTxn)) this.maybeIncrementFirstUnstableOffset();
      return { firstOffset, lastOffset, logAppendTimeMs: logAppendTime ? now : -1, logStartOffset: this._logStartOffset, duplicate: false };
    });
  }

  /** The last stable offset follows the producer state's first unstable offset (never below the log start). */
  private maybeIncrementFirstUnstableOffset(): void {
    const first = this.producerStateManager.firstUnstableOffset();
    if (first === undefined && this.firstUnstableOffset === undefined) return;
    this.setFirstUnstableOffset(first === undefined ? undefined : Math.max(first, this._logStartOffset));
  }

  /** What DescribeProducers shows: one entry per producer with state on this partition. */
  activeProducers(): ActiveProducer[] {
    return this.producerStateManager.activeProducers();
  }

  /** producer.id.expiration.ms: forgets idle producers without an open transaction. */
  removeExpiredProducers(): Promise<number> {
    return this.enqueue(async () => this.producerStateManager.removeExpiredProducers(this.clock.now()));
  }

  /**
   * Records that `epoch` starts at `startOffset` (a new leader epoch begins at the log end),
   * so OffsetForLeaderEpoch answers from it before the epoch's first append. No-op unless the
   * epoch is newer than the latest one known.
   */
  assignEpochStartOffset(epoch: number, startOffset: number): Promise<void> {
    return this.enqueue(async () => {
      if (epoch > this.epochCache.latestEpoch && this.epochCache.assign(epoch, startOffset)) await this.epochCache.persist();
    });
  }

  /** Appends replicated batches keeping their offsets and leader epochs. */
  appendAsFollower(records: Buffer): Promise<{ firstOffset: number; lastOffset: number }> {
    return this.enqueue(async () => {
      let pos = 0;
      let expected = this.logEndOffset;
      let firstOffset = -1;
      let lastOffset = -1;
      let epochChanged = false;
      while (pos < records.length) {
        const size = batchSizeAt(records, pos);
        if (size < BATCH_HEADER_SIZE || pos + size > records.length) throw new StorageError('appendAsFollower: records are not whole batches');
        const base = baseOffsetOf(records, pos);
        if (base < expected) {
          throw new StorageError(`appendAsFollower: offset ${base} is below the expected ${expected} on ${this.topic}-${this.partition}`);
        }
        if (firstOffset < 0) firstOffset = base;
        const epoch = records.readInt32BE(pos + PARTITION_LEADER_EPOCH_OFFSET);
        if (epoch > this.epochCache.latestEpoch) epochChanged = this.epochCache.assign(epoch, base) || epochChanged;
        lastOffset = lastOffsetOf(records, pos);
        expected = lastOffset + 1;
        pos += size;
      }
      if (firstOffset < 0) return { firstOffset: this.logEndOffset, lastOffset: this.logEndOffset - 1 };
      // No validation: the leader did it. The state follows what is written (Kafka's REPLICATION origin).
      const producers = this.producerStateManager.analyzeAppend(records, 'replication');
      if (epochChanged) await this.epochCache.persist();
      await this.write(records, firstOffset, lastOffset, this.clock.now());
      if (this.producerStateManager.onAppendWritten(producers, lastOffset, this.appendAbortedTxn)) this.maybeIncrementFirstUnstableOffset();
      return { firstOffset, lastOffset };
    });
  }

  /** Rolls if needed, writes, and flushes per flush.messages. Runs inside the queue. */
  private async write(records: Buffer, firstOffset: number, lastOffset: number, now: number): Promise<void> {
    await this.maybeRoll(records.length, firstOffset, lastOffset, now);
    try {
      await this.activeSegment.append(records, lastOffset, now);
    } catch (err) {
      this.goOffline(err);
    }
    this.unflushedMessages += lastOffset - firstOffset + 1;
    if (this.unflushedMessages >= this.config.flushMessages) await this.flushInQueue();
  }

  private async maybeRoll(bytes: number, firstOffset: number, lastOffset: number, now: number): Promise<void> {
    const seg = this.activeSegment;
    if (seg.size === 0 && seg.baseOffset === firstOffset) return;
    const full = seg.size + bytes > this.config.segmentBytes || seg.size + bytes > 2147483647;
    const old = now - seg.createdMs > this.config.segmentMs;
    if (seg.size > 0 && (full || old || seg.indexFull || !seg.canHoldOffset(lastOffset))) {
      await this.roll(firstOffset);
    } else if (seg.size === 0 && firstOffset !== seg.baseOffset) {
      // An empty active segment whose base does not match (follower gap): recreate it.
      await this.roll(firstOffset);
    }
  }

  /** Starts a new active segment at baseOffset; the old one is flushed (like Kafka). */
  async roll(baseOffset = this.logEndOffset): Promise<void> {
    const old = this.activeSegment;
    if (old.size === 0 && old.baseOffset === baseOffset) return;
    try {
      if (old.size === 0) {
        this.segments.pop();
        await old.delete();
      } else {
        old.onBecomeInactive();
        await old.flush();
      }
      const seg = await LogSegment.create(this.fs, this.dir, baseOffset, this.config, this.clock.now());
      this.segments.push(seg);
      await this.fs.syncDir(this.dir);
      // A snapshot at the new segment's base: recovery starts from it and replays that segment.
      const psm = this.producerStateManager;
      if (old.size === 0 && old.baseOffset !== baseOffset) await psm.deleteSnapshotsAt([old.baseOffset]);
      psm.updateMapEndOffset(baseOffset);
      await psm.takeSnapshot();
    } catch (err) {
      this.goOffline(err);
    }
    this.recoveryPoint = Math.max(this.recoveryPoint, old.nextOffset);
  }

  // ---- read (log-read.ts) -------------------------------------------------------------------

  read(fetchOffset: number, maxBytes: number, maxOffsetExclusive: number, minOneBatch = true): Promise<ReadResult> {
    return readLog(this, fetchOffset, maxBytes, maxOffsetExclusive, minOneBatch);
  }

  /**
   * The aborted transactions a read_committed fetch of [fetchOffset, upperBoundOffset) must
   * report (Kafka's collectAbortedTransactions), in marker order.
   */
  collectAbortedTransactions(fetchOffset: number, upperBoundOffset: number): AbortedTxn[] {
    return collectAbortedTransactions(this.segments, fetchOffset, upperBoundOffset);
  }

  checkOnline(): void {
    if (this.offline !== undefined) throw new StorageError(`log ${this.topic}-${this.partition} is offline`, { cause: this.offline });
  }

  settled(): Promise<unknown> {
    return this.queue;
  }

  // ---- watermarks ----------------------------------------------------------------------------

  setHighWatermark(offset: number): void {
    const hw = Math.max(this._logStartOffset, Math.min(offset, this.logEndOffset));
    if (hw === this._highWatermark) return;
    this._highWatermark = hw;
    this.producerStateManager.onHighWatermarkUpdated(hw);
    this.maybeIncrementFirstUnstableOffset();
    this.fireHighWatermark();
  }

  private fireHighWatermark(): void {
    for (const fn of [...this.listeners]) {
      try {
        fn();
      } catch (err) {
        this.logger.error('high watermark listener failed', { error: String(err) });
      }
    }
  }

  /** True once close() or closeWithoutFlush() ran (the log was deleted or the broker stops). */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * `fn` runs synchronously after every high watermark or last stable offset change, and once
   * more when the log closes (deleted topic, shutdown) so that waiters can notice and give up (isClosed).
   */
  onHighWatermarkChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
    };
  }

  /**
   * For the transaction layer: the first offset of the oldest open transaction (undefined:
   * none). A change of the last stable offset notifies the same listeners as the high
   * watermark, so read_committed long polls wake when a transaction ends.
   */
  setFirstUnstableOffset(offset: number | undefined): void {
    const before = this.lastStableOffset;
    this.firstUnstableOffset = offset;
    if (this.lastStableOffset !== before) this.fireHighWatermark();
  }

  // ---- offsets by time and epoch ------------------------------------------------------------

  offsetForTimestamp(ts: number): Promise<{ offset: number; timestamp: number } | null> {
    return offsetForTimestamp(this, ts);
  }

  maxTimestampOffset(): { offset: number; timestamp: number } {
    return maxTimestampOffset(this.segments);
  }

  endOffsetForEpoch(epoch: number): { leaderEpoch: number; endOffset: number } {
    return this.epochCache.endOffsetFor(epoch, this.logEndOffset);
  }

  // ---- truncation ------------------------------------------------------------------------------

  /**
   * Removes everything at and after offset (follower divergence). At or past the log end no
   * record goes, but epoch entries starting at the log end still do (Kafka does the same): a
   * broker that became leader records its epoch's start before appending anything, and if it
   * lost leadership before its first append, that entry must go or its fetches keep naming an
   * epoch the new leader never had (an endless diverging-epoch loop).
   */
  truncateTo(offset: number): Promise<void> {
    return this.enqueue(async () => {
      if (offset >= this.logEndOffset) {
        if (this.epochCache.truncateFromEnd(this.logEndOffset)) await this.epochCache.persist();
        return;
      }
      if (offset < this._logStartOffset) {
        await this.doTruncateFullyAndStartAt(offset);
        return;
      }
      try {
        while (this.segments.length > 1 && this.activeSegment.baseOffset >= offset) {
          const seg = this.segments.pop()!;
          await seg.delete();
        }
        await this.activeSegment.truncateTo(offset);
        // Kafka sets the end offset to the target even when a batch straddling it was removed.
        this.activeSegment.nextOffset = offset;
        await this.activeSegment.flush();
      } catch (err) {
        this.goOffline(err);
      }
      if (this.epochCache.truncateFromEnd(offset)) await this.epochCache.persist();
      this.recoveryPoint = Math.min(this.recoveryPoint, offset);
      this.firstDirtyOffset = Math.min(this.firstDirtyOffset, offset);
      // Kafka's truncateAndReload: the state of the remaining log, from a snapshot at or below it.
      try {
        await rebuildProducerState(this.producerStateManager, this.segments, this._logStartOffset, offset, this.clock.now(), this.logger);
      } catch (err) {
        this.goOffline(err);
      }
      const hwChanged = this._highWatermark > offset;
      if (hwChanged) this._highWatermark = offset;
      this.maybeIncrementFirstUnstableOffset();
      if (hwChanged) this.fireHighWatermark();
    });
  }

  /** Deletes every segment and restarts the log empty at offset. */
  truncateFullyAndStartAt(offset: number): Promise<void> {
    return this.enqueue(() => this.doTruncateFullyAndStartAt(offset));
  }

  private async doTruncateFullyAndStartAt(offset: number): Promise<void> {
    try {
      for (const old of this.segments) await old.delete();
      this.segments = [];
      this.segments = [await LogSegment.create(this.fs, this.dir, offset, this.config, this.clock.now())];
      await this.fs.syncDir(this.dir);
    } catch (err) {
      this.goOffline(err);
    }
    this.epochCache.clear();
    await this.epochCache.persist();
    await this.producerStateManager.truncateFullyAndStartAt(offset);
    this._logStartOffset = offset;
    this.recoveryPoint = offset;
    this.firstDirtyOffset = offset;
    const hwChanged = this._highWatermark !== offset;
    this._highWatermark = offset;
    this.setFirstUnstableOffset(undefined);
    await this.hooks.logStartOffsetChanged?.(this);
    if (hwChanged) this.fireHighWatermark();
  }

  // ---- retention -------------------------------------------------------------------------------

  /** DeleteRecords: moves logStartOffset up to offset (<= highWatermark); returns the low watermark. */
  deleteRecordsBefore(offset: number): Promise<number> {
    return this.enqueue(async () => {
      if (offset > this._highWatermark) {
        throw new OffsetOutOfRangeError(`cannot delete records beyond the high watermark ${this._highWatermark}`, this._logStartOffset, this.logEndOffset);
      }
      if (offset > this._logStartOffset) {
        await this.advanceLogStartOffset(offset);
        await this.deleteSegmentsBelowStart();
      }
      return this._logStartOffset;
    });
  }

  /** Moves logStartOffset forward and makes it durable. Runs inside the queue. */
  async advanceLogStartOffset(offset: number): Promise<void> {
    if (offset <= this._logStartOffset) return;
    this._logStartOffset = offset;
    if (this._highWatermark < offset) {
      this._highWatermark = offset;
      this.fireHighWatermark();
    }
    if (this.epochCache.truncateFromStart(offset)) await this.epochCache.persist();
    this.producerStateManager.onLogStartOffsetIncremented(offset);
    this.maybeIncrementFirstUnstableOffset();
    await this.hooks.logStartOffsetChanged?.(this);
  }

  /** Deletes non-active segments lying entirely below logStartOffset. Runs inside the queue. */
  async deleteSegmentsBelowStart(): Promise<number> {
    let n = 0;
    while (this.segments.length > 1 && this.segments[1]!.baseOffset <= this._logStartOffset) {
      const seg = this.segments.shift()!;
      await seg.delete();
      await this.producerStateManager.deleteSnapshotsAt([seg.baseOffset]);
      n++;
    }
    return n;
  }

  /** Applies retention.ms / retention.bytes and the log start offset; returns segments deleted. */
  deleteOldSegments(): Promise<number> {
    return this.enqueue(() => deleteRetentionBreachedSegments(this, this.clock.now()));
  }

  /** Removes the first `count` segments (retention); the active one must have been rolled. */
  async deleteFirstSegments(count: number): Promise<void> {
    const doomed = this.segments.slice(0, count);
    this.segments = this.segments.slice(count);
    // The log start offset moves in the same tick as the segment list (as Kafka increments it
    // before deleting): a read racing the deletion gets OFFSET_OUT_OF_RANGE, never the next
    // segment's records under an offset that was just deleted.
    await this.advanceLogStartOffset(this.segments[0]!.baseOffset);
    for (const seg of doomed) await seg.delete();
    await this.producerStateManager.deleteSnapshotsAt(doomed.map((s) => s.baseOffset));
  }

  private cleaning = false;

  /** One compaction pass when cleanup.policy includes compact and the log is dirty enough. */
  async compact(): Promise<CleanResult | null> {
    if (this.cleaning || this.offline !== undefined || this.closed) return null;
    this.cleaning = true;
    try {
      return await cleanLog(this, this.clock.now());
    } finally {
      this.cleaning = false;
    }
  }

  // ---- flush and close -------------------------------------------------------------------------

  flush(): Promise<void> {
    return this.enqueue(() => this.flushInQueue());
  }

  /** flush.ms: flushes when that long has passed since the last flush and data is pending. */
  maybeFlushByTime(): Promise<void> {
    return this.enqueue(async () => {
      const now = this.clock.now();
      if (this.unflushedMessages > 0 && now - this.lastFlushMs >= this.config.flushMs) await this.flushInQueue();
    });
  }

  private async flushInQueue(): Promise<void> {
    const upTo = this.logEndOffset;
    try {
      await this.activeSegment.flush();
    } catch (err) {
      this.goOffline(err);
    }
    this.unflushedMessages = 0;
    this.lastFlushMs = this.clock.now();
    this.recoveryPoint = Math.max(this.recoveryPoint, upTo);
  }

  /** Flushes everything and closes the files. */
  close(): Promise<void> {
    const run = this.enqueue(async () => {
      for (const seg of this.segments) {
        if (seg === this.activeSegment) await seg.close();
        else await seg.closeHandles();
      }
      // After the data is flushed: the next open loads this and replays nothing (Kafka does the same).
      await this.producerStateManager.takeSnapshot();
      this.recoveryPoint = this.logEndOffset;
      this.closed = true;
      this.fireHighWatermark();
    });
    return run;
  }

  /** Closes the files without flushing (used when the log is deleted). */
  async closeWithoutFlush(): Promise<void> {
    await this.queue;
    this.closed = true;
    this.fireHighWatermark();
    for (const seg of this.segments) await seg.closeHandles();
  }
}
