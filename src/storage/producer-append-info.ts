/**
 * The per-producer pieces of the idempotent/transactional producer state (after Kafka's
 * `ProducerStateEntry`, `BatchMetadata`, `ProducerAppendInfo`, `TxnMetadata`, `CompletedTxn`).
 * Pure: no I/O, no clock.
 *
 * Validation order, as Kafka 4's ProducerAppendInfo (the caller has already looked for a
 * duplicate among the producer's cached batches):
 * 1. epoch: a batch (or marker) with an epoch older than the producer's → INVALID_PRODUCER_EPOCH
 *    (replication only warns). Transaction markers of transaction version ≥ 2 must carry a
 *    strictly newer epoch, except a retried marker for a transaction already ended.
 * 2. sequence, client appends only: a new epoch must start at sequence 0 unless the producer had
 *    no epoch (an unknown producer is accepted with any sequence: Kafka 4 no longer answers
 *    UNKNOWN_PRODUCER_ID); within an epoch the first sequence must follow the last one
 *    (Int32 max wraps to 0) → OUT_OF_ORDER_SEQUENCE_NUMBER otherwise.
 * 3. transactions: a non-transactional batch while the producer has a transaction open →
 *    INVALID_TXN_STATE; a transactional batch with none open starts one (TxnMetadata).
 * 4. markers: an older coordinator epoch → TRANSACTION_COORDINATOR_FENCED; a marker ends the
 *    open transaction (CompletedTxn) and clears currentTxnFirstOffset.
 * Nothing is changed until ProducerStateManager.update() applies the staged result, so a
 * rejected append leaves the state as it was.
 */
import { BrokerError } from '../base/errors.js';
import { ErrorCode } from '../protocol/error-codes.js';

/** How an append reached the log; decides how much is validated (Kafka's AppendOrigin). */
export type AppendOrigin = 'client' | 'coordinator' | 'replication';

export const NUM_BATCHES_TO_RETAIN = 5;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
const INT32_MAX = 2147483647;

/**
 * An append rejected by the producer state checks: nothing was written. `errorCode` is the
 * Kafka error the partition answers with (OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH,
 * INVALID_TXN_STATE, TRANSACTION_COORDINATOR_FENCED).
 */
export class ProducerStateError extends BrokerError {
  constructor(readonly errorCode: number, message: string) {
    super('SHERWOOD_STORAGE', message);
    this.name = 'ProducerStateError';
  }
}

/** A batch's last sequence: baseSequence + lastOffsetDelta, wrapping past Int32 max. */
export function incrementSequence(sequence: number, increment: number): number {
  if (sequence > INT32_MAX - increment) return increment - (INT32_MAX - sequence) - 1;
  return sequence + increment;
}

export function decrementSequence(sequence: number, decrement: number): number {
  if (sequence < decrement) return INT32_MAX - (decrement - sequence) + 1;
  return sequence - decrement;
}

/** Kafka's inSequence: the next batch must start right after the last one (or wrap to 0). */
export function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}

/** One cached batch of a producer: what a retry is matched against and answered with. */
export interface BatchMetadata {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  /** The batch's maxTimestamp as stored (the LogAppendTime when the topic stamps it). */
  readonly timestamp: number;
}

/** A transaction of one producer on this partition; lastOffset is -1 until its marker. */
export interface TxnMetadata {
  readonly producerId: number;
  readonly firstOffset: number;
  lastOffset: number;
}

/** A transaction ended by a COMMIT or ABORT marker at `lastOffset`. */
export interface CompletedTxn {
  readonly producerId: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly isAborted: boolean;
}

export class ProducerStateEntry {
  /** The last ≤ 5 batches of the current epoch, oldest first. */
  readonly batches: BatchMetadata[] = [];

  constructor(
    readonly producerId: number,
    public producerEpoch = NO_PRODUCER_EPOCH,
    public coordinatorEpoch = -1,
    public lastTimestamp = -1,
    /** First offset of the open transaction; -1 when none. */
    public currentTxnFirstOffset = -1,
  ) {}

  get isEmpty(): boolean {
    return this.batches.length === 0;
  }

  get firstSeq(): number {
    return this.batches.length === 0 ? NO_SEQUENCE : this.batches[0]!.firstSeq;
  }

  get lastSeq(): number {
    return this.batches.length === 0 ? NO_SEQUENCE : this.batches[this.batches.length - 1]!.lastSeq;
  }

  get lastDataOffset(): number {
    return this.batches.length === 0 ? -1 : this.batches[this.batches.length - 1]!.lastOffset;
  }

  get lastOffsetDelta(): number {
    if (this.batches.length === 0) return 0;
    const last = this.batches[this.batches.length - 1]!;
    return last.lastOffset - last.firstOffset;
  }

  /** A new epoch forgets the cached batches (their sequences belong to the old epoch). */
  maybeUpdateProducerEpoch(producerEpoch: number): void {
    if (this.producerEpoch === producerEpoch) return;
    this.batches.length = 0;
    this.producerEpoch = producerEpoch;
  }

  addBatch(producerEpoch: number, batch: BatchMetadata): void {
    this.maybeUpdateProducerEpoch(producerEpoch);
    if (this.batches.length === NUM_BATCHES_TO_RETAIN) this.batches.shift();
    this.batches.push(batch);
    this.lastTimestamp = batch.timestamp;
  }

  /** The cached batch a retry of (epoch, firstSeq..lastSeq) duplicates, if any. */
  findDuplicateBatch(producerEpoch: number, firstSeq: number, lastSeq: number): BatchMetadata | undefined {
    if (producerEpoch !== this.producerEpoch) return undefined;
    for (const b of this.batches) if (b.firstSeq === firstSeq && b.lastSeq === lastSeq) return b;
    return undefined;
  }

  /** Applies a staged entry (ProducerAppendInfo's) onto this one. */
  update(next: ProducerStateEntry): void {
    this.maybeUpdateProducerEpoch(next.producerEpoch);
    for (const b of next.batches) {
      if (this.batches.length === NUM_BATCHES_TO_RETAIN) this.batches.shift();
      this.batches.push(b);
    }
    this.coordinatorEpoch = next.coordinatorEpoch;
    this.currentTxnFirstOffset = next.currentTxnFirstOffset;
    this.lastTimestamp = next.lastTimestamp;
  }
}

/**
 * One producer's part of one append: validates its batches in order against the current entry
 * (and against the earlier batches of the same append) and stages the result.
 */
export class ProducerAppendInfo {
  /** The staged entry: the current one's fields with only this append's batches. */
  readonly updated: ProducerStateEntry;
  /** Transactions begun by this append (undefined: none, the common case). */
  startedTransactions: TxnMetadata[] | undefined;
  private readonly current: ProducerStateEntry | undefined;

  constructor(readonly producerId: number, current: ProducerStateEntry | undefined, readonly origin: AppendOrigin, private readonly where: string) {
    this.current = current;
    this.updated = current === undefined
      ? new ProducerStateEntry(producerId)
      : new ProducerStateEntry(producerId, current.producerEpoch, current.coordinatorEpoch, current.lastTimestamp, current.currentTxnFirstOffset);
  }

  /** Validates and stages a data batch; throws ProducerStateError (nothing staged is applied then). */
  appendDataBatch(epoch: number, firstSeq: number, lastSeq: number, timestamp: number, firstOffset: number, lastOffset: number, isTransactional: boolean): void {
    const updated = this.updated;
    checkProducerEpoch(this.producerId, epoch, updated.producerEpoch, updated.currentTxnFirstOffset >= 0, firstOffset, 0, this.origin, this.where);
    if (this.origin === 'client') {
      let lastSeqBefore: number;
      if (!updated.isEmpty) lastSeqBefore = updated.lastSeq;
      else if (this.current !== undefined && epoch === this.current.producerEpoch) lastSeqBefore = this.current.lastSeq;
      else lastSeqBefore = NO_SEQUENCE;
      checkSequence(this.producerId, epoch, firstSeq, firstOffset, updated.producerEpoch, lastSeqBefore, this.current?.producerEpoch ?? NO_PRODUCER_EPOCH, this.where);
    }
    updated.addBatch(epoch, { firstSeq, lastSeq, firstOffset, lastOffset, timestamp });
    const open = updated.currentTxnFirstOffset;
    if (open >= 0 && !isTransactional) {
      checkNotInTransaction(this.producerId, firstOffset, this.origin, this.where);
    } else if (open < 0 && isTransactional) {
      updated.currentTxnFirstOffset = firstOffset;
      (this.startedTransactions ??= []).push({ producerId: this.producerId, firstOffset, lastOffset: -1 });
    }
  }

  /**
   * Validates and stages a COMMIT/ABORT marker at `offset`; returns the transaction it ends, or
   * undefined when none was open (an empty transaction leaves no trace for the LSO).
   */
  appendEndTxnMarker(isAbort: boolean, coordinatorEpoch: number, producerEpoch: number, offset: number, timestamp: number, transactionVersion = 0): CompletedTxn | undefined {
    const updated = this.updated;
    checkProducerEpoch(this.producerId, producerEpoch, updated.producerEpoch, updated.currentTxnFirstOffset >= 0, offset, transactionVersion, this.origin, this.where);
    if (updated.coordinatorEpoch > coordinatorEpoch && this.origin !== 'replication') {
      throw new ProducerStateError(ErrorCode.TRANSACTION_COORDINATOR_FENCED,
        `Invalid coordinator epoch for producerId ${this.producerId} at offset ${offset} in partition ${this.where}: ${coordinatorEpoch} (zombie), ${updated.coordinatorEpoch} (current)`);
    }
    const open = updated.currentTxnFirstOffset;
    const completed = open >= 0 ? { producerId: this.producerId, firstOffset: open, lastOffset: offset, isAborted: isAbort } : undefined;
    updated.maybeUpdateProducerEpoch(producerEpoch);
    updated.coordinatorEpoch = coordinatorEpoch;
    updated.currentTxnFirstOffset = -1;
    updated.lastTimestamp = timestamp;
    return completed;
  }
}

/**
 * Kafka's checkProducerEpoch: `current` is the producer's epoch so far (-1 when unknown).
 * Replication only warns in Kafka; here it passes silently.
 */
export function checkProducerEpoch(producerId: number, epoch: number, current: number, txnOpen: boolean, offset: number, transactionVersion: number, origin: AppendOrigin, where: string): void {
  const invalid = transactionVersion >= 2 ? epoch <= current : epoch < current;
  if (!invalid || origin === 'replication') return;
  // A TV2 marker retried after its transaction ended (same epoch, nothing open) is accepted.
  if (transactionVersion >= 2 && epoch === current && !txnOpen) return;
  throw new ProducerStateError(ErrorCode.INVALID_PRODUCER_EPOCH,
    `Epoch of producer ${producerId} at offset ${offset} in ${where} is ${epoch}, which is ${transactionVersion >= 2 ? '<=' : '<'} the last seen epoch ${current}`);
}

/**
 * Kafka's checkSequence (client appends only). `stagedEpoch`: the producer's epoch including the
 * append's earlier batches; `lastSeq`: the sequence the batch must follow; `currentEpoch`: the
 * stored entry's epoch, -1 when the producer is unknown (then any sequence is accepted).
 */
export function checkSequence(producerId: number, epoch: number, firstSeq: number, offset: number, stagedEpoch: number, lastSeq: number, currentEpoch: number, where: string): void {
  if (epoch !== stagedEpoch) {
    if (firstSeq !== 0 && stagedEpoch !== NO_PRODUCER_EPOCH) {
      throw new ProducerStateError(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        `Invalid sequence number for new epoch of producer ${producerId} at offset ${offset} in partition ${where}: ${epoch} (request epoch), ${firstSeq} (seq. number), ${stagedEpoch} (current producer epoch)`);
    }
    return;
  }
  // No epoch yet (unknown producer, or its state expired): any sequence.
  if (currentEpoch === NO_PRODUCER_EPOCH || inSequence(lastSeq, firstSeq)) return;
  throw new ProducerStateError(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    `Out of order sequence number for producer ${producerId} at offset ${offset} in partition ${where}: ${firstSeq} (incoming seq. number), ${lastSeq} (current end sequence number)`);
}

/** A non-transactional batch while the producer has a transaction open: INVALID_TXN_STATE (not for replication). */
export function checkNotInTransaction(producerId: number, offset: number, origin: AppendOrigin, where: string): void {
  if (origin === 'replication') return;
  throw new ProducerStateError(ErrorCode.INVALID_TXN_STATE, `Expected transactional write from producer ${producerId} at offset ${offset} in partition ${where}`);
}
