/**
 * The idempotent/transactional producer state of one partition (Kafka's ProducerStateManager):
 * producer id → ProducerStateEntry (epoch, last ≤ 5 batches, coordinator epoch, open
 * transaction, last timestamp), the ongoing transactions by first offset, the completed ones
 * whose markers are not yet below the high watermark, and the snapshot files on disk.
 *
 * Contract (PartitionLog drives it, always inside the log's queue):
 * - `analyzeAppend(records, origin)` validates the (offset-assigned) batches of one append in
 *   Kafka's order without changing anything: it returns null when no batch has a producer id,
 *   the cached batch a client retry duplicates (answered with its original offsets, nothing
 *   written), or the staged per-producer updates; or it throws ProducerStateError.
 *   `onAppendWritten(append, lastOffset)` follows every written append, idempotent or not: it
 *   applies the staged updates, completes the transactions ended by markers and moves
 *   mapEndOffset. The common append (one data batch) allocates only its BatchMetadata.
 * - Followers and rebuilds use origin 'replication': nothing is rejected or deduplicated.
 * - The state covers exactly the log below `mapEndOffset`. A snapshot at offset O holds the
 *   state of everything below O; `takeSnapshot()` writes one at mapEndOffset (segment roll,
 *   clean close, end of a rebuild). Snapshots above the log end are deleted before anything
 *   is loaded, so the state is never ahead of the log (producer-state-loader.ts rebuilds it).
 * - Moving the log start does not forget producers (Kafka ≥ 2.5, KIP-360): they stay until
 *   `producer.id.expiration.ms` passes without a write and no transaction is open
 *   (`removeExpiredProducers`). Only their snapshots go with the deleted segments.
 * - Transactions: `firstUnstableOffset()` (the LSO bound), `lastStableOffset(completed)` (what
 *   the aborted-transaction index records), `completeTxn`, `onHighWatermarkUpdated`. Every
 *   aborted transaction a written append or a replayed batch completes is handed to the caller
 *   with that last stable offset (Kafka's updateTxnIndex), before it is completed.
 */
import type { FileSystem } from '../base/file-system.js';
import { isNotFound } from '../base/file-system.js';
import type { Logger } from '../base/logger.js';
import { decodeBatch, decodeControlRecord, ControlRecordType } from '../protocol/records.js';
import { ErrorCode } from '../protocol/error-codes.js';
import {
  ATTRIBUTES_OFFSET,
  ATTR_CONTROL,
  ATTR_TRANSACTIONAL,
  BASE_SEQUENCE_OFFSET,
  BATCH_HEADER_SIZE,
  LAST_OFFSET_DELTA_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORDS_COUNT_OFFSET,
  batchSizeAt,
  readInt64,
} from '../protocol/record-batch.js';
import {
  ProducerAppendInfo,
  ProducerStateEntry,
  ProducerStateError,
  checkNotInTransaction,
  checkProducerEpoch,
  checkSequence,
  incrementSequence,
  NO_PRODUCER_EPOCH,
  NO_SEQUENCE,
  type AppendOrigin,
  type BatchMetadata,
  type CompletedTxn,
  type TxnMetadata,
} from './producer-append-info.js';
import { CorruptSnapshotError, decodeSnapshot, encodeSnapshot, parseSnapshotFileName, snapshotFileName } from './producer-state-snapshot.js';
import type { AbortedTxn } from './transaction-index.js';

/** Receives each aborted transaction as its marker completes it (the segment's transaction index). */
export type AbortedTxnSink = (txn: AbortedTxn) => void;

/** What the cleaner must keep of a producer (Kafka's LastRecord): its last data batch, or its markers of this epoch when it has none. */
export interface LastRecord {
  /** lastOffset of the producer's last data batch of its current epoch; -1 when none. */
  readonly lastDataOffset: number;
  readonly producerEpoch: number;
}

export { ProducerStateError, ProducerStateEntry, type AppendOrigin, type BatchMetadata, type CompletedTxn, type TxnMetadata } from './producer-append-info.js';

/** Broker settings the producer state obeys; read on every use, so dynamic changes apply. */
export interface ProducerStateManagerConfig {
  /** producer.id.expiration.ms */
  readonly producerIdExpirationMs: number;
}

export const DEFAULT_PRODUCER_STATE_CONFIG: ProducerStateManagerConfig = { producerIdExpirationMs: 86_400_000 };

/** What DescribeProducers shows for one producer (UnifiedLog.activeProducers). */
export interface ActiveProducer {
  producerId: number;
  producerEpoch: number;
  lastSequence: number;
  lastTimestamp: number;
  coordinatorEpoch: number;
  /** -1 when no transaction is open. */
  currentTxnStartOffset: number;
}

/**
 * The outcome of analyzeAppend for an append that carries producer ids. The common case (one
 * non-transactional data batch from a client or the coordinator) reuses one object per
 * partition and allocates only the batch's BatchMetadata: it is valid until the next
 * analyzeAppend, which the log's queue orders after this append's applyAppend.
 */
export interface ProducerAppend {
  /** Set when a client batch repeats one of the producer's cached batches: answer with it, write nothing. */
  duplicate: BatchMetadata | undefined;
  /** Staged updates, one per producer (few per append: a linear list beats a Map). */
  producers: readonly ProducerAppendInfo[];
  /** Transactions ended by markers in this append, in offset order (a shared empty array when none). */
  completedTxns: readonly CompletedTxn[];
  /** The single-batch case: the batch to add to producer `singleProducerId` at `singleEpoch`. */
  single: BatchMetadata | undefined;
  singleProducerId: number;
  singleEpoch: number;
}

const NO_COMPLETED_TXNS: readonly CompletedTxn[] = Object.freeze([]);
const NO_PRODUCERS: readonly ProducerAppendInfo[] = Object.freeze([]);

// Header reads on the append path: plain byte access is several times cheaper than Buffer's
// checked readInt32BE in this hot loop (bench/micro/producer-state-append.ts). The caller has
// checked that the 61-byte header is there.
function int32At(b: Buffer, p: number): number {
  return (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
}

function int16At(b: Buffer, p: number): number {
  return ((b[p]! << 24) | (b[p + 1]! << 16)) >> 16;
}

function int64At(b: Buffer, p: number): number {
  return int32At(b, p) * 4294967296 + (int32At(b, p + 4) >>> 0);
}

function newAppend(): ProducerAppend {
  return { duplicate: undefined, producers: [], completedTxns: NO_COMPLETED_TXNS, single: undefined, singleProducerId: -1, singleEpoch: -1 };
}

export interface ProducerStateManagerOptions {
  fs: FileSystem;
  dir: string;
  /** `<topic>-<partition>`, for messages. */
  name: string;
  config: ProducerStateManagerConfig;
  logger: Logger;
}

/** Inserts by firstOffset into an array kept sorted (transactions are few). */
function insertByFirstOffset(list: TxnMetadata[], txn: TxnMetadata): void {
  let i = list.length;
  while (i > 0 && list[i - 1]!.firstOffset > txn.firstOffset) i--;
  if (i > 0 && list[i - 1]!.firstOffset === txn.firstOffset) list[i - 1] = txn;
  else list.splice(i, 0, txn);
}

export class ProducerStateManager {
  private readonly fs: FileSystem;
  private readonly dir: string;
  readonly name: string;
  private readonly config: ProducerStateManagerConfig;
  private readonly logger: Logger;
  private readonly producers = new Map<number, ProducerStateEntry>();
  /** Open transactions, by first offset. */
  private ongoingTxns: TxnMetadata[] = [];
  /** Ended transactions whose marker is not yet below the high watermark, by first offset. */
  private unreplicatedTxns: TxnMetadata[] = [];
  /** Offsets of the snapshot files on disk, ascending. */
  private snapshots: number[] = [];
  private lastMapOffset = 0;
  private lastSnapOffset = 0;
  private readonly scratch: ProducerAppend = { ...newAppend(), producers: NO_PRODUCERS };

  private constructor(options: ProducerStateManagerOptions, snapshots: number[]) {
    this.fs = options.fs;
    this.dir = options.dir;
    this.name = options.name;
    this.config = options.config;
    this.logger = options.logger;
    this.snapshots = snapshots;
  }

  /** An empty state that knows the snapshot files present in `dir`. */
  static async open(options: ProducerStateManagerOptions): Promise<ProducerStateManager> {
    return new ProducerStateManager(options, await ProducerStateManager.listSnapshots(options.fs, options.dir));
  }

  private static async listSnapshots(fs: FileSystem, dir: string): Promise<number[]> {
    const out: number[] = [];
    for (const name of await fs.readdir(dir)) {
      const offset = parseSnapshotFileName(name);
      if (offset !== undefined) out.push(offset);
    }
    return out.sort((a, b) => a - b);
  }

  // ---- reads -----------------------------------------------------------------------------

  /** The state covers the log below this offset. */
  get mapEndOffset(): number {
    return this.lastMapOffset;
  }

  get producerIdCount(): number {
    return this.producers.size;
  }

  get isEmpty(): boolean {
    return this.producers.size === 0 && this.unreplicatedTxns.length === 0;
  }

  lastEntry(producerId: number): ProducerStateEntry | undefined {
    return this.producers.get(producerId);
  }

  activeProducers(): ActiveProducer[] {
    const out: ActiveProducer[] = [];
    for (const e of this.producers.values()) {
      out.push({
        producerId: e.producerId,
        producerEpoch: e.producerEpoch,
        lastSequence: e.lastSeq,
        lastTimestamp: e.lastTimestamp,
        coordinatorEpoch: e.coordinatorEpoch,
        currentTxnStartOffset: e.currentTxnFirstOffset,
      });
    }
    return out;
  }

  /** Kafka's lastRecordsOfActiveProducers: what compaction keeps of each producer. */
  lastRecordsOfActiveProducers(): Map<number, LastRecord> {
    const out = new Map<number, LastRecord>();
    for (const e of this.producers.values()) out.set(e.producerId, { lastDataOffset: e.lastDataOffset, producerEpoch: e.producerEpoch });
    return out;
  }

  /** Offsets of the snapshot files, ascending (tests and diagnostics). */
  snapshotOffsets(): readonly number[] {
    return this.snapshots;
  }

  latestSnapshotOffset(): number | undefined {
    return this.snapshots[this.snapshots.length - 1];
  }

  // ---- the append path ---------------------------------------------------------------------

  /**
   * Validates the batches of one append (offsets already assigned) in Kafka's order
   * (UnifiedLog.analyzeAndValidateProducerState). Changes nothing. Throws ProducerStateError.
   */
  analyzeAppend(records: Buffer, origin: AppendOrigin, transactionVersion = 0): ProducerAppend | null {
    if (origin !== 'replication' && records.length === batchSizeAt(records, 0)) {
      // Producer ids are never negative except NO_PRODUCER_ID (-1): the high word tells.
      if (int32At(records, 43) < 0) return null;
      if ((int16At(records, 21) & (ATTR_CONTROL | ATTR_TRANSACTIONAL)) === 0) return this.analyzeSingleDataBatch(records, origin);
    }
    let result: ProducerAppend | null = null;
    for (let pos = 0; pos < records.length; pos += batchSizeAt(records, pos)) {
      if (int32At(records, pos + 43) < 0) continue;
      result ??= newAppend();
      this.analyzeBatch(records, pos, origin, transactionVersion, result);
      if (result.duplicate !== undefined) return result;
    }
    return result;
  }

  /**
   * The common case, checked against the stored entry directly (what ProducerAppendInfo does for
   * a producer's first batch of an append) without staging: one non-transactional data batch.
   */
  private analyzeSingleDataBatch(records: Buffer, origin: AppendOrigin): ProducerAppend {
    const producerId = int64At(records, 43);
    const epoch = int16At(records, 51);
    const firstSeq = int32At(records, 53);
    const lastOffsetDelta = int32At(records, 23);
    const lastSeq = firstSeq === NO_SEQUENCE ? NO_SEQUENCE : incrementSequence(firstSeq, lastOffsetDelta);
    const entry = this.producers.get(producerId);
    const out = this.scratch;
    out.single = undefined;
    out.duplicate = origin === 'client' ? entry?.findDuplicateBatch(epoch, firstSeq, lastSeq) : undefined;
    if (out.duplicate !== undefined) return out;
    const firstOffset = int64At(records, 0);
    const currentEpoch = entry === undefined ? NO_PRODUCER_EPOCH : entry.producerEpoch;
    const txnOpen = entry !== undefined && entry.currentTxnFirstOffset >= 0;
    checkProducerEpoch(producerId, epoch, currentEpoch, txnOpen, firstOffset, 0, origin, this.name);
    if (origin === 'client') {
      const lastSeqBefore = entry !== undefined && epoch === currentEpoch ? entry.lastSeq : NO_SEQUENCE;
      checkSequence(producerId, epoch, firstSeq, firstOffset, currentEpoch, lastSeqBefore, currentEpoch, this.name);
    }
    if (txnOpen) checkNotInTransaction(producerId, firstOffset, origin, this.name);
    out.single = { firstSeq, lastSeq, firstOffset, lastOffset: firstOffset + lastOffsetDelta, timestamp: int64At(records, 35) };
    out.singleProducerId = producerId;
    out.singleEpoch = epoch;
    return out;
  }

  /** One batch with a producer id: a duplicate (set on `result`), staged, or ProducerStateError. */
  private analyzeBatch(records: Buffer, pos: number, origin: AppendOrigin, transactionVersion: number, result: ProducerAppend): void {
    const producerId = readInt64(records, pos + PRODUCER_ID_OFFSET);
    const attributes = records.readInt16BE(pos + ATTRIBUTES_OFFSET);
    const epoch = records.readInt16BE(pos + PRODUCER_EPOCH_OFFSET);
    const baseSequence = records.readInt32BE(pos + BASE_SEQUENCE_OFFSET);
    const lastOffsetDelta = records.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET);
    const lastSeq = baseSequence === NO_SEQUENCE ? NO_SEQUENCE : incrementSequence(baseSequence, lastOffsetDelta);
    if (origin === 'client') {
      const duplicate = this.producers.get(producerId)?.findDuplicateBatch(epoch, baseSequence, lastSeq);
      if (duplicate !== undefined) {
        result.duplicate = duplicate;
        return;
      }
    }
    const isTransactional = (attributes & ATTR_TRANSACTIONAL) !== 0;
    if (isTransactional && origin !== 'replication') {
      // Kafka also requires the coordinator to have verified the transaction here
      // (transaction.partition.verification.enable); that arrives with the transaction coordinator.
      const entry = this.producers.get(producerId);
      const ongoing = entry !== undefined && entry.currentTxnFirstOffset >= 0 && entry.producerEpoch === epoch;
      if (!ongoing && entry !== undefined && epoch < entry.producerEpoch) {
        throw new ProducerStateError(ErrorCode.INVALID_PRODUCER_EPOCH, `Epoch of producer ${producerId} is ${epoch}, which is smaller than the last seen epoch ${entry.producerEpoch}`);
      }
    }
    const info = this.appendInfoFor(result, producerId, origin);
    const baseOffset = readInt64(records, pos);
    if ((attributes & ATTR_CONTROL) !== 0) {
      const completed = this.appendControlBatch(info, records, pos, epoch, baseOffset, transactionVersion);
      if (completed !== undefined) result.completedTxns = [...result.completedTxns, completed];
    } else {
      const maxTimestamp = readInt64(records, pos + MAX_TIMESTAMP_OFFSET);
      info.appendDataBatch(epoch, baseSequence, lastSeq, maxTimestamp, baseOffset, baseOffset + lastOffsetDelta, isTransactional);
    }
  }

  /**
   * Replays one stored batch (the whole batch at `pos`) without validation, as a follower or a
   * rebuild does: the state moves as if it had been appended, transactions complete at once
   * (aborted ones are handed to `onAborted` first, as on append).
   */
  replayBatch(buf: Buffer, pos: number, onAborted?: AbortedTxnSink): void {
    if (readInt64(buf, pos + PRODUCER_ID_OFFSET) < 0) return;
    const result = newAppend();
    this.analyzeBatch(buf, pos, 'replication', 0, result);
    this.applyAppend(result);
    this.completeTxns(result.completedTxns, onAborted);
  }

  /** Kafka's updateTxnIndex + completeTxn for each transaction a marker ended, in offset order. */
  private completeTxns(completedTxns: readonly CompletedTxn[], onAborted: AbortedTxnSink | undefined): void {
    for (const completed of completedTxns) {
      if (completed.isAborted && onAborted !== undefined) {
        onAborted({ producerId: completed.producerId, firstOffset: completed.firstOffset, lastOffset: completed.lastOffset, lastStableOffset: this.lastStableOffset(completed) });
      }
      this.completeTxn(completed);
    }
  }

  private appendInfoFor(result: ProducerAppend, producerId: number, origin: AppendOrigin): ProducerAppendInfo {
    for (const info of result.producers) if (info.producerId === producerId) return info;
    const info = new ProducerAppendInfo(producerId, this.producers.get(producerId), origin, this.name);
    result.producers = [...result.producers, info];
    return info;
  }

  /** A COMMIT/ABORT marker: its one record's key holds the type, its value the coordinator epoch. */
  private appendControlBatch(info: ProducerAppendInfo, records: Buffer, pos: number, epoch: number, baseOffset: number, transactionVersion: number): CompletedTxn | undefined {
    // An empty control batch: compaction removed the whole transaction; nothing to end.
    if (records.readInt32BE(pos + RECORDS_COUNT_OFFSET) === 0 || batchSizeAt(records, pos) <= BATCH_HEADER_SIZE) return undefined;
    let marker: { type: ControlRecordType; coordinatorEpoch: number; timestamp: number };
    try {
      const record = decodeBatch(records, pos).records[0]!;
      marker = { ...decodeControlRecord(record), timestamp: record.timestamp };
    } catch (err) {
      throw new ProducerStateError(ErrorCode.CORRUPT_MESSAGE, `unreadable control record at offset ${baseOffset} in ${this.name}: ${(err as Error).message}`);
    }
    return info.appendEndTxnMarker(marker.type === ControlRecordType.Abort, marker.coordinatorEpoch, epoch, baseOffset, marker.timestamp, transactionVersion);
  }

  /** Applies what analyzeAppend staged (after the write succeeded). Completed txns are the caller's: see completeTxn. */
  applyAppend(append: ProducerAppend): void {
    const single = append.single;
    if (single !== undefined) {
      append.single = undefined;
      let entry = this.producers.get(append.singleProducerId);
      if (entry === undefined) {
        entry = new ProducerStateEntry(append.singleProducerId);
        this.producers.set(append.singleProducerId, entry);
      }
      entry.addBatch(append.singleEpoch, single);
      return;
    }
    for (const info of append.producers) this.update(info);
  }

  /**
   * After an append ending at `lastOffset` was written (Kafka: after localLog.append): applies
   * the staged updates, hands aborted transactions to `onAborted` (the active segment's
   * transaction index), completes the ended transactions and moves mapEndOffset. Returns true
   * when the first unstable offset may have moved.
   */
  onAppendWritten(append: ProducerAppend | null, lastOffset: number, onAborted?: AbortedTxnSink): boolean {
    this.lastMapOffset = lastOffset + 1;
    if (append === null) return false;
    if (append.single !== undefined) {
      this.applyAppend(append);
      return false;
    }
    this.applyAppend(append);
    this.completeTxns(append.completedTxns, onAborted);
    return true;
  }

  /** Kafka's update(appendInfo). */
  update(info: ProducerAppendInfo): void {
    const current = this.producers.get(info.producerId);
    if (current !== undefined) current.update(info.updated);
    else this.producers.set(info.producerId, info.updated);
    if (info.startedTransactions !== undefined) for (const txn of info.startedTransactions) insertByFirstOffset(this.ongoingTxns, txn);
  }

  updateMapEndOffset(offset: number): void {
    this.lastMapOffset = offset;
  }

  // ---- transactions ----------------------------------------------------------------------

  /**
   * The earliest offset whose transaction is undecided, or decided by a marker not yet below
   * the high watermark; undefined when none (then the LSO is the high watermark).
   */
  firstUnstableOffset(): number | undefined {
    const unreplicated = this.unreplicatedTxns[0]?.firstOffset;
    const undecided = this.ongoingTxns[0]?.firstOffset;
    if (unreplicated === undefined) return undecided;
    if (undecided === undefined) return unreplicated;
    return Math.min(undecided, unreplicated);
  }

  /** The first offset of the oldest open transaction, ignoring replication. */
  firstUndecidedOffset(): number | undefined {
    return this.ongoingTxns[0]?.firstOffset;
  }

  /** Open transactions, by first offset (the transaction layer's view). */
  ongoingTransactions(): readonly TxnMetadata[] {
    return this.ongoingTxns;
  }

  /**
   * The LSO to record for `completed` in the aborted-transaction index: the first offset of the
   * oldest other open transaction, else the offset after the marker. Call before completeTxn.
   */
  lastStableOffset(completed: CompletedTxn): number {
    for (const txn of this.ongoingTxns) if (txn.producerId !== completed.producerId) return txn.firstOffset;
    return completed.lastOffset + 1;
  }

  /** Moves a transaction from ongoing to unreplicated; the LSO passes it once the HW does. */
  completeTxn(completed: CompletedTxn): void {
    const i = this.ongoingTxns.findIndex((t) => t.firstOffset === completed.firstOffset);
    if (i < 0) {
      this.logger.warn('completed a transaction that was not started', { partition: this.name, ...completed });
      return;
    }
    const [txn] = this.ongoingTxns.splice(i, 1);
    txn!.lastOffset = completed.lastOffset;
    insertByFirstOffset(this.unreplicatedTxns, txn!);
  }

  onHighWatermarkUpdated(highWatermark: number): void {
    this.removeUnreplicatedTransactions(highWatermark);
  }

  /** The log start moved: drop unreplicated transactions below it (producers stay, KIP-360). */
  onLogStartOffsetIncremented(logStartOffset: number): void {
    this.removeUnreplicatedTransactions(logStartOffset);
    if (this.lastMapOffset < logStartOffset) this.lastMapOffset = logStartOffset;
    this.lastSnapOffset = this.latestSnapshotOffset() ?? logStartOffset;
  }

  private removeUnreplicatedTransactions(offset: number): void {
    if (this.unreplicatedTxns.length === 0) return;
    this.unreplicatedTxns = this.unreplicatedTxns.filter((t) => !(t.lastOffset >= 0 && t.lastOffset < offset));
  }

  // ---- expiration --------------------------------------------------------------------------

  private isExpired(nowMs: number, entry: ProducerStateEntry): boolean {
    return entry.currentTxnFirstOffset < 0 && nowMs - entry.lastTimestamp >= this.config.producerIdExpirationMs;
  }

  /** Forgets producers idle for producer.id.expiration.ms with no open transaction; returns how many. */
  removeExpiredProducers(nowMs: number): number {
    let n = 0;
    for (const [id, entry] of this.producers) {
      if (this.isExpired(nowMs, entry)) {
        this.producers.delete(id);
        n++;
      }
    }
    return n;
  }

  // ---- snapshots and reloading -------------------------------------------------------------

  private snapshotPath(offset: number): string {
    return `${this.dir}/${snapshotFileName(offset)}`;
  }

  /** Writes a snapshot at mapEndOffset unless one is already there (fsynced, atomic). */
  async takeSnapshot(): Promise<void> {
    if (this.lastMapOffset <= this.lastSnapOffset) return;
    const offset = this.lastMapOffset;
    await this.fs.writeFileAtomic(this.snapshotPath(offset), encodeSnapshot(this.producers.values(), this.producers.size));
    if (!this.snapshots.includes(offset)) {
      this.snapshots.push(offset);
      this.snapshots.sort((a, b) => a - b);
    }
    this.lastSnapOffset = offset;
  }

  private async removeAndDeleteSnapshot(offset: number): Promise<void> {
    const i = this.snapshots.indexOf(offset);
    if (i >= 0) this.snapshots.splice(i, 1);
    try {
      await this.fs.unlink(this.snapshotPath(offset));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Deletes the snapshots of segments being deleted (by their base offsets). */
  async deleteSnapshotsAt(offsets: readonly number[]): Promise<void> {
    for (const offset of offsets) if (this.snapshots.includes(offset)) await this.removeAndDeleteSnapshot(offset);
  }

  /** Deletes every snapshot below `offset`. */
  async deleteSnapshotsBefore(offset: number): Promise<void> {
    for (const s of [...this.snapshots]) if (s < offset) await this.removeAndDeleteSnapshot(s);
  }

  /**
   * Kafka's removeStraySnapshots: a snapshot whose offset is no segment's base offset is a
   * leftover (its segment was deleted or merged), except the latest one when it lies beyond
   * every segment base (the clean-shutdown snapshot at the log end).
   */
  async removeStraySnapshots(segmentBaseOffsets: readonly number[]): Promise<void> {
    const bases = new Set(segmentBaseOffsets);
    const maxBase = segmentBaseOffsets.length === 0 ? undefined : Math.max(...segmentBaseOffsets);
    const strays = this.snapshots.filter((s) => !bases.has(s));
    const latestStray = strays[strays.length - 1];
    for (const s of strays) {
      if (s === latestStray && (maxBase === undefined || s > maxBase)) continue;
      await this.removeAndDeleteSnapshot(s);
    }
  }

  /**
   * Kafka's truncateAndReload: deletes snapshots outside (logStartOffset, logEndOffset] —
   * Sherwood keeps one exactly at the log start, see design notes — and, unless the state
   * already ends at logEndOffset, reloads it from the latest remaining valid snapshot (a corrupt
   * one is deleted with a warning and the next older tried). The caller replays the log from
   * mapEndOffset to logEndOffset. `reloadAtOrBelow`, when given, forces the reload from a
   * snapshot at or below that offset (later snapshots stay): the replay must cover it.
   */
  async truncateAndReload(logStartOffset: number, logEndOffset: number, nowMs: number, reloadAtOrBelow?: number): Promise<void> {
    for (const s of [...this.snapshots]) {
      if (s > logEndOffset || s < logStartOffset) await this.removeAndDeleteSnapshot(s);
    }
    if (logEndOffset !== this.lastMapOffset || (reloadAtOrBelow !== undefined && reloadAtOrBelow < this.lastMapOffset)) {
      this.producers.clear();
      this.ongoingTxns = [];
      this.unreplicatedTxns = [];
      await this.loadFromSnapshot(logStartOffset, nowMs, reloadAtOrBelow ?? logEndOffset);
    } else {
      this.onLogStartOffsetIncremented(logStartOffset);
    }
  }

  private async loadFromSnapshot(logStartOffset: number, nowMs: number, atOrBelow: number): Promise<void> {
    for (;;) {
      let offset: number | undefined;
      for (const s of this.snapshots) if (s <= atOrBelow) offset = s;
      if (offset === undefined) {
        this.lastSnapOffset = logStartOffset;
        this.lastMapOffset = logStartOffset;
        return;
      }
      const path = this.snapshotPath(offset);
      try {
        const entries = decodeSnapshot(await this.fs.readFile(path), path);
        for (const entry of entries) if (!this.isExpired(nowMs, entry)) this.loadProducerEntry(entry);
        this.lastSnapOffset = offset;
        this.lastMapOffset = offset;
        return;
      } catch (err) {
        if (!(err instanceof CorruptSnapshotError) && !isNotFound(err)) throw err;
        this.logger.warn('ignoring an unreadable producer state snapshot', { partition: this.name, path, error: (err as Error).message });
        await this.removeAndDeleteSnapshot(offset);
      }
    }
  }

  /** Adds a producer as a snapshot describes it (with its open transaction, if any). */
  loadProducerEntry(entry: ProducerStateEntry): void {
    this.producers.set(entry.producerId, entry);
    if (entry.currentTxnFirstOffset >= 0) {
      insertByFirstOffset(this.ongoingTxns, { producerId: entry.producerId, firstOffset: entry.currentTxnFirstOffset, lastOffset: -1 });
    }
  }

  /** Forgets everything and every snapshot; the state restarts empty at `offset`. */
  async truncateFullyAndStartAt(offset: number): Promise<void> {
    this.producers.clear();
    this.ongoingTxns = [];
    this.unreplicatedTxns = [];
    for (const s of [...this.snapshots]) await this.removeAndDeleteSnapshot(s);
    this.lastSnapOffset = 0;
    this.lastMapOffset = offset;
  }
}
