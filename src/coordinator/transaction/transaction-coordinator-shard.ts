/**
 * The transaction coordinator shard of one `__transaction_state` partition: the transactional
 * ids that hash to it and their transactions, as a state machine over that partition (apache/kafka
 * `TransactionCoordinator` + `TransactionStateManager`, Transaction V1 and V2), run by the
 * generic CoordinatorRuntime, one shard per partition.
 *
 * Contract: every operation decides synchronously on durable state and returns a
 * CoordinatorResult whose records are the transactional ids' next metadata; the runtime replays
 * them into `transactions` before writing them and reverts on a failed write. Nothing here does
 * I/O: markers are sent by the service, which this shard tells through `hooks.onPrepared` once a
 * transaction is durably PrepareCommit/PrepareAbort (after the write, and for every such
 * transaction found at load — a coordinator that restarts between PrepareCommit and
 * CompleteCommit resends the markers). When the markers are written the service runs
 * `completeTransaction`, which writes CompleteCommit/CompleteAbort.
 *
 * Kafka's answers, per API (errors are data in the responses):
 * - InitProducerId: unknown id → a new producer id (asked of the service: `needs-producer-id`)
 *   at epoch 0; Empty/Complete* → epoch + 1 (KIP-360: with the producer's id/epoch, the current
 *   epoch bumps, the previous one is a retry and keeps it, anything else PRODUCER_FENCED), a new
 *   producer id once the epoch is exhausted; Prepare* → CONCURRENT_TRANSACTIONS; Ongoing → the
 *   old producer is fenced: epoch + 1 and PrepareAbort written, markers sent, and the caller
 *   told CONCURRENT_TRANSACTIONS so it retries once the abort completes.
 * - AddPartitions: unknown id or other producer id → INVALID_PRODUCER_ID_MAPPING, other epoch →
 *   PRODUCER_FENCED, Prepare* → CONCURRENT_TRANSACTIONS, partitions already in the Ongoing
 *   transaction → NONE without a write; otherwise Ongoing with them added.
 * - EndTxn v0-4 (Transaction V1): as AddPartitions for id/epoch; Ongoing → Prepare*; Complete* or
 *   Prepare* of the same result → NONE / CONCURRENT_TRANSACTIONS, of the other result or Empty →
 *   INVALID_TXN_STATE.
 * - EndTxn v5 (Transaction V2, Kafka's endTransaction with epoch bump): the transaction ends at
 *   epoch + 1, which the answer hands to the client (a new producer id at epoch 0 once the epoch
 *   is exhausted: `needs-producer-id` as for InitProducerId). Which epoch a request may carry
 *   depends on the state (Kafka's table): Ongoing/Empty the current one; Prepare* only the one
 *   before the bump (a retry: CONCURRENT_TRANSACTIONS); Complete* the current one (a new end:
 *   an abort of nothing is allowed, a commit is INVALID_TXN_STATE), or the one before the bump
 *   / before the rotation (a retry: NONE for the same result with the current id and epoch,
 *   INVALID_TXN_STATE for the other). Anything else → PRODUCER_FENCED.
 * Timers: open transactions past their timeout are aborted (fenced) every
 * transaction.abort.timed.out.transaction.cleanup.interval.ms; idle ids in Empty/Complete*
 * expire after transactional.id.expiration.ms (a tombstone), checked every
 * transaction.remove.expired.transaction.cleanup.interval.ms.
 */
import type { Clock } from '../../base/clock.js';
import { assert } from '../../base/assert.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { DescribeTransactionsResponseTransactionState } from '../../protocol/messages/describe-transactions.js';
import type { ListTransactionsResponseTransactionState } from '../../protocol/messages/list-transactions.js';
import {
  immediate, type CoordinatorResult, type CoordinatorShard, type CoordinatorTimer, type ShardContext, type TransactionResult,
} from '../runtime/coordinator-shard.js';
import { TimelineMap } from '../runtime/timeline-map.js';
import type { TopicPartition, TransactionRecord } from './records.js';
import type { TransactionCoordinatorConfig } from './transaction-config.js';
import {
  isEpochExhausted, MAX_PRODUCER_EPOCH, newTransactionMetadata, NO_PRODUCER_EPOCH, NO_PRODUCER_ID, prepareAbortOrCommit, prepareAddPartitions, prepareComplete, prepareDead,
  prepareFenceProducerEpoch, prepareIncrementProducerEpoch, prepareProducerIdRotation, type TransactionMetadata,
} from './transaction-metadata.js';
import { isExpirationAllowed, type TransactionState } from './transaction-state.js';

export type TxnResult<T> = CoordinatorResult<T, TransactionRecord>;

const NONE = ErrorCode.NONE;
const ABORT_TIMED_OUT_KEY = 'abort-timed-out-transactions';
const REMOVE_EXPIRED_KEY = 'remove-expired-transactional-ids';

export interface TransactionShardHooks {
  /** The transaction is durably PrepareCommit/PrepareAbort (just written, or found at load): write its markers. */
  onPrepared(shard: TransactionCoordinatorShard, metadata: TransactionMetadata): void;
  /** A write of the shard failed with this append error: the coordinator's answer for it. */
  errorFor(errorCode: number, appendErrorCode: number): number;
  /**
   * Whether this broker is surely still the coordinator (its etcd session confirmed within the
   * session timeout; always on a standalone broker). An EndTxn answered from a completed state
   * writes nothing that replication could refuse, so a coordinator deposed while cut off from
   * etcd would otherwise confirm a commit its successor is about to abort.
   */
  leadershipConfirmed?(): boolean;
}

export interface InitProducerIdOutcome {
  errorCode: number;
  producerId: number;
  producerEpoch: number;
}

/** The producer id and epoch a KIP-360 client (InitProducerId v3+) says it has. */
export interface ExpectedProducer {
  producerId: number;
  producerEpoch: number;
}

export const NEEDS_PRODUCER_ID = 'needs-producer-id';

/** EndTxn's answer: v5 carries the producer id and epoch the client continues with (-1 on errors). */
export interface EndTxnOutcome {
  errorCode: number;
  producerId: number;
  producerEpoch: number;
}

const endError = (errorCode: number): EndTxnOutcome => ({ errorCode, producerId: -1, producerEpoch: -1 });

const initError = (errorCode: number): InitProducerIdOutcome => ({ errorCode, producerId: -1, producerEpoch: -1 });
const record = (m: TransactionMetadata): TransactionRecord => ({ transactionalId: m.transactionalId, metadata: m });

export class TransactionCoordinatorShard implements CoordinatorShard<TransactionRecord> {
  readonly partition: number;
  /** transactional id → its metadata (durable state). */
  readonly transactions: TimelineMap<string, TransactionMetadata>;
  readonly timer: CoordinatorTimer<TransactionRecord>;

  constructor(
    private readonly context: ShardContext<TransactionRecord>,
    readonly config: TransactionCoordinatorConfig,
    readonly clock: Clock,
    private readonly hooks: TransactionShardHooks,
  ) {
    this.partition = context.partition;
    this.timer = context.timer;
    this.transactions = new TimelineMap(context.snapshotRegistry);
  }

  /** The coordinator epoch markers carry: the leader epoch of this `__transaction_state` partition. */
  get coordinatorEpoch(): number {
    return this.context.leaderEpoch();
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  replay(r: TransactionRecord): void {
    if (r.metadata === null) this.transactions.delete(r.transactionalId);
    else this.transactions.set(r.transactionalId, r.metadata);
  }

  /** After the load: the timers start, and transactions left in Prepare* get their markers (re)sent. */
  onLoaded(): TxnResult<void> {
    this.scheduleAbortTimedOut();
    this.scheduleRemoveExpired();
    const prepared = [...this.transactions.values()].filter((m) => m.state === 'PrepareCommit' || m.state === 'PrepareAbort');
    return { records: [], response: undefined, onDurable: () => { for (const m of prepared) this.hooks.onPrepared(this, m); } };
  }

  onUnloaded(): void {
    // Nothing is parked here: markers in flight stop by themselves (the service checks the shard).
  }

  private scheduleAbortTimedOut(): void {
    this.timer.schedule(ABORT_TIMED_OUT_KEY, this.config.abortTimedOutTransactionsIntervalMs, () => {
      this.scheduleAbortTimedOut();
      return this.abortTimedOutTransactions();
    });
  }

  private scheduleRemoveExpired(): void {
    this.timer.schedule(REMOVE_EXPIRED_KEY, this.config.removeExpiredTransactionalIdsIntervalMs, () => {
      this.scheduleRemoveExpired();
      return this.removeExpiredTransactionalIds();
    });
  }

  // ---- InitProducerId ----------------------------------------------------------------------

  /**
   * InitProducerId for a (non-empty) transactional id whose timeout the caller validated.
   * Answers NEEDS_PRODUCER_ID when it must hand out a new producer id and `newProducerId` is
   * null; the service allocates one and asks again.
   */
  initProducerId(
    transactionalId: string, txnTimeoutMs: number, expected: ExpectedProducer | null, newProducerId: number | null,
  ): TxnResult<InitProducerIdOutcome | typeof NEEDS_PRODUCER_ID> {
    const now = this.clock.now();
    let m = this.transactions.get(transactionalId);
    if (m === undefined) {
      if (newProducerId === null) return immediate(NEEDS_PRODUCER_ID);
      m = newTransactionMetadata(transactionalId, newProducerId, txnTimeoutMs, now);
    }
    // Kafka's isValidProducerId: a producer that names its id must name the current one (or the
    // previous one after an exhausted epoch, retrying a rotation it never heard about).
    if (expected !== null && !(m.producerEpoch === NO_PRODUCER_EPOCH || expected.producerId === m.producerId ||
      (expected.producerId === m.prevProducerId && isEpochExhausted(expected.producerEpoch)))) {
      return immediate(initError(ErrorCode.PRODUCER_FENCED));
    }
    switch (m.state) {
      case 'PrepareAbort':
      case 'PrepareCommit':
        return immediate(initError(ErrorCode.CONCURRENT_TRANSACTIONS));
      case 'Empty':
      case 'CompleteAbort':
      case 'CompleteCommit': {
        let next: TransactionMetadata | 'PRODUCER_FENCED';
        if (isEpochExhausted(m.producerEpoch) && (expected === null || expected.producerEpoch === m.producerEpoch)) {
          if (newProducerId === null) return immediate(NEEDS_PRODUCER_ID);
          next = prepareProducerIdRotation(m, newProducerId, txnTimeoutMs, now, expected !== null);
        } else {
          next = prepareIncrementProducerEpoch(m, txnTimeoutMs, expected?.producerEpoch ?? null, now);
        }
        if (next === 'PRODUCER_FENCED') return immediate(initError(ErrorCode.PRODUCER_FENCED));
        const done = next;
        return {
          records: [record(done)],
          response: { errorCode: NONE, producerId: done.producerId, producerEpoch: done.producerEpoch },
          onWriteFailed: (code, appendCode) => initError(this.hooks.errorFor(code, appendCode)),
        };
      }
      case 'Ongoing': {
        // The old producer is fenced and its transaction aborted; this epoch is never handed
        // out: the caller retries (CONCURRENT_TRANSACTIONS) and gets the next one.
        const fence = this.fenceAndAbort([m]);
        return {
          ...fence,
          response: initError(ErrorCode.CONCURRENT_TRANSACTIONS),
          onWriteFailed: (code, appendCode) => initError(this.hooks.errorFor(code, appendCode)),
        };
      }
      case 'Dead':
      case 'PrepareEpochFence':
        assert(false, () => `transactional id ${transactionalId} is stored in state ${m.state}`);
    }
  }

  /**
   * Fences each Ongoing transaction's producer and aborts the transaction: PrepareAbort at the
   * bumped epoch. (Kafka's hasFailedEpochFence is not needed: a failed write reverts the bump
   * here, so the next fence bumps from the same epoch and writes the same value.)
   */
  private fenceAndAbort(ongoing: TransactionMetadata[]): TxnResult<void> {
    const now = this.clock.now();
    // Kafka aborts with the cluster's transaction version (not the client's): at level 2 the
    // abort bumps the fenced epoch once more.
    const end = { clientTransactionVersion: this.config.transactionVersionLevel >= 2 ? 2 : 0, nextProducerId: NO_PRODUCER_ID, noPartitionAdded: false };
    const aborts = ongoing.map((m) => prepareAbortOrCommit(prepareFenceProducerEpoch(m), 'PrepareAbort', now, end));
    return {
      records: aborts.map(record),
      response: undefined,
      onDurable: () => { for (const m of aborts) this.hooks.onPrepared(this, m); },
    };
  }

  // ---- AddPartitionsToTxn / AddOffsetsToTxn -------------------------------------------------

  addPartitions(transactionalId: string, producerId: number, producerEpoch: number, partitions: readonly TopicPartition[], clientTransactionVersion = 0): TxnResult<number> {
    const m = this.transactions.get(transactionalId);
    const error = this.producerError(m, producerId, producerEpoch);
    if (error !== NONE) return immediate(error);
    const current = m!;
    if (current.state === 'PrepareCommit' || current.state === 'PrepareAbort') return immediate(ErrorCode.CONCURRENT_TRANSACTIONS);
    if (current.state === 'Ongoing' && partitions.every((tp) => current.topicPartitions.some((c) => c.topic === tp.topic && c.partition === tp.partition))) {
      return immediate(NONE);
    }
    const next = prepareAddPartitions(current, partitions, this.clock.now(), clientTransactionVersion);
    return { records: [record(next)], response: NONE, onWriteFailed: (code, appendCode) => this.hooks.errorFor(code, appendCode) };
  }

  /** INVALID_PRODUCER_ID_MAPPING / PRODUCER_FENCED unless the id is known with this producer id and epoch. */
  private producerError(m: TransactionMetadata | undefined, producerId: number, producerEpoch: number): number {
    if (m === undefined || m.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (m.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
    return NONE;
  }

  // ---- EndTxn ------------------------------------------------------------------------------

  /**
   * EndTxn v5 (Transaction V2): see the file header. Answers NEEDS_PRODUCER_ID when the epoch is
   * exhausted and `newProducerId` is null; the service allocates one and asks again.
   */
  endTransactionV2(
    transactionalId: string, producerId: number, producerEpoch: number, result: TransactionResult, newProducerId: number | null,
  ): TxnResult<EndTxnOutcome | typeof NEEDS_PRODUCER_ID> {
    const m = this.transactions.get(transactionalId);
    if (m === undefined) return immediate(endError(ErrorCode.INVALID_PRODUCER_ID_MAPPING));
    const retryOnOverflow = m.prevProducerId === producerId && producerEpoch === MAX_PRODUCER_EPOCH - 1 && m.producerEpoch === 0;
    const retryOnEpochBump = m.producerEpoch === producerEpoch + 1;
    let validEpoch: boolean;
    switch (m.state) {
      case 'PrepareCommit':
      case 'PrepareAbort':
        validEpoch = retryOnEpochBump;
        break;
      case 'CompleteCommit':
      case 'CompleteAbort':
        validEpoch = retryOnEpochBump || retryOnOverflow || producerEpoch === m.producerEpoch;
        break;
      default:
        validEpoch = producerEpoch === m.producerEpoch;
    }
    if (m.producerId !== producerId && !retryOnOverflow) return immediate(endError(ErrorCode.INVALID_PRODUCER_ID_MAPPING));
    if (!validEpoch) return immediate(endError(ErrorCode.PRODUCER_FENCED));
    const isRetry = retryOnEpochBump || retryOnOverflow;
    const commit = result === 'COMMIT';
    const concurrent: TxnResult<EndTxnOutcome> = immediate(endError(ErrorCode.CONCURRENT_TRANSACTIONS));
    const retried: TxnResult<EndTxnOutcome> = this.retriedEnd() === NONE
      ? immediate({ errorCode: NONE, producerId: m.producerId, producerEpoch: m.producerEpoch })
      : immediate(endError(ErrorCode.NOT_COORDINATOR));
    const invalid: TxnResult<EndTxnOutcome> = immediate(endError(ErrorCode.INVALID_TXN_STATE));
    switch (m.state) {
      case 'Ongoing':
        return this.endV2(m, commit ? 'PrepareCommit' : 'PrepareAbort', false, newProducerId);
      case 'CompleteCommit':
        if (commit) return isRetry ? retried : invalid;
        return isRetry ? invalid : this.endV2(m, 'PrepareAbort', true, newProducerId);
      case 'CompleteAbort':
        if (!commit) return isRetry ? retried : this.endV2(m, 'PrepareAbort', true, newProducerId);
        return invalid;
      case 'PrepareCommit':
        return commit ? concurrent : invalid;
      case 'PrepareAbort':
        return commit ? invalid : concurrent;
      case 'Empty':
        return commit ? invalid : this.endV2(m, 'PrepareAbort', true, newProducerId);
      case 'Dead':
      case 'PrepareEpochFence':
        assert(false, () => `transactional id ${transactionalId} is stored in state ${m.state}`);
    }
  }

  /** Prepare* at the bumped epoch (a new producer id waiting when the epoch is exhausted); answered with what Complete* will hold. */
  private endV2(m: TransactionMetadata, state: 'PrepareCommit' | 'PrepareAbort', noPartitionAdded: boolean, newProducerId: number | null): TxnResult<EndTxnOutcome | typeof NEEDS_PRODUCER_ID> {
    const exhausted = isEpochExhausted(m.producerEpoch);
    if (exhausted && newProducerId === null) return immediate(NEEDS_PRODUCER_ID);
    const next = prepareAbortOrCommit(m, state, this.clock.now(), {
      clientTransactionVersion: 2, nextProducerId: exhausted ? newProducerId! : NO_PRODUCER_ID, noPartitionAdded,
    });
    const rotated = next.nextProducerId !== NO_PRODUCER_ID;
    return {
      records: [record(next)],
      response: { errorCode: NONE, producerId: rotated ? next.nextProducerId : next.producerId, producerEpoch: rotated ? 0 : next.producerEpoch },
      onDurable: () => this.hooks.onPrepared(this, next),
      onWriteFailed: (code, appendCode) => endError(this.hooks.errorFor(code, appendCode)),
    };
  }

  /**
   * The answer to an EndTxn that finds its transaction already completed the same way: success
   * (Kafka's retried EndTxn), or NOT_COORDINATOR when this broker cannot be sure it still is the
   * coordinator (see TransactionShardHooks.leadershipConfirmed); the client then finds the
   * current coordinator and asks it.
   */
  private retriedEnd(): number {
    return this.hooks.leadershipConfirmed?.() === false ? ErrorCode.NOT_COORDINATOR : NONE;
  }

  endTransaction(transactionalId: string, producerId: number, producerEpoch: number, result: TransactionResult): TxnResult<number> {
    const m = this.transactions.get(transactionalId);
    const error = this.producerError(m, producerId, producerEpoch);
    if (error !== NONE) return immediate(error);
    const current = m!;
    const commit = result === 'COMMIT';
    switch (current.state) {
      case 'Ongoing': {
        const next = prepareAbortOrCommit(current, commit ? 'PrepareCommit' : 'PrepareAbort', this.clock.now());
        return {
          records: [record(next)],
          response: NONE,
          onDurable: () => this.hooks.onPrepared(this, next),
          onWriteFailed: (code, appendCode) => this.hooks.errorFor(code, appendCode),
        };
      }
      case 'CompleteCommit':
        return immediate(commit ? this.retriedEnd() : ErrorCode.INVALID_TXN_STATE);
      case 'CompleteAbort':
        return immediate(commit ? ErrorCode.INVALID_TXN_STATE : this.retriedEnd());
      case 'PrepareCommit':
        return immediate(commit ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE);
      case 'PrepareAbort':
        return immediate(commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.CONCURRENT_TRANSACTIONS);
      case 'Empty':
        return immediate(ErrorCode.INVALID_TXN_STATE);
      case 'Dead':
      case 'PrepareEpochFence':
        assert(false, () => `transactional id ${transactionalId} is stored in state ${current.state}`);
    }
  }

  /**
   * Every marker of the transaction is written: CompleteCommit/CompleteAbort. Nothing happens
   * if the transaction moved on meanwhile (another producer id or epoch, another state), which
   * cannot happen while it is Prepare* but is checked as Kafka does.
   */
  completeTransaction(transactionalId: string, producerId: number, producerEpoch: number, result: TransactionResult): TxnResult<boolean> {
    const m = this.transactions.get(transactionalId);
    const expected: TransactionState = result === 'COMMIT' ? 'PrepareCommit' : 'PrepareAbort';
    if (m === undefined || m.producerId !== producerId || m.producerEpoch !== producerEpoch || m.state !== expected) return immediate(false);
    const next = prepareComplete(m, this.clock.now());
    return { records: [record(next)], response: true };
  }

  // ---- timers ------------------------------------------------------------------------------

  /** Kafka's abortTimedOutTransactions: Ongoing past txnStartTimestamp + timeout → fenced and aborted. */
  abortTimedOutTransactions(): TxnResult<void> {
    const now = this.clock.now();
    const timedOut = [...this.transactions.values()]
      .filter((m) => m.state === 'Ongoing' && m.txnStartTimestamp + m.txnTimeoutMs < now)
      .sort((a, b) => (a.transactionalId < b.transactionalId ? -1 : 1));
    if (timedOut.length === 0) return immediate(undefined);
    return this.fenceAndAbort(timedOut);
  }

  /** Kafka's removeExpiredTransactionalIds: tombstones for ids idle past transactional.id.expiration.ms. */
  removeExpiredTransactionalIds(): TxnResult<void> {
    const horizon = this.clock.now() - this.config.transactionalIdExpirationMs;
    const records: TransactionRecord[] = [];
    for (const m of this.transactions.values()) {
      if (!isExpirationAllowed(m.state) || m.txnLastUpdateTimestamp > horizon) continue;
      prepareDead(m);
      records.push({ transactionalId: m.transactionalId, metadata: null });
    }
    return { records, response: undefined };
  }

  // ---- reads -------------------------------------------------------------------------------

  /** DescribeTransactions for one id of this shard (TRANSACTIONAL_ID_NOT_FOUND if unknown). */
  describe(transactionalId: string): DescribeTransactionsResponseTransactionState {
    const m = this.transactions.get(transactionalId);
    if (m === undefined) return describeError(transactionalId, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
    const topics: { topic: string; partitions: number[] }[] = [];
    for (const tp of m.topicPartitions) {
      if (topics.at(-1)?.topic !== tp.topic) topics.push({ topic: tp.topic, partitions: [] });
      topics.at(-1)!.partitions.push(tp.partition);
    }
    return {
      errorCode: NONE, transactionalId, transactionState: m.state, transactionTimeoutMs: m.txnTimeoutMs,
      transactionStartTimeMs: m.txnStartTimestamp, producerId: m.producerId, producerEpoch: m.producerEpoch, topics,
    };
  }

  /**
   * ListTransactions on this shard (Kafka's listTransactionStates): every id, unless a filter
   * excludes it — producer ids, states (`states` null: no state filter), and with
   * durationFilterMs >= 0 only transactions running longer than that.
   */
  list(producerIds: ReadonlySet<number>, states: ReadonlySet<TransactionState> | null, durationFilterMs: number): ListTransactionsResponseTransactionState[] {
    const now = this.clock.now();
    const out: ListTransactionsResponseTransactionState[] = [];
    for (const m of this.transactions.values()) {
      if (producerIds.size > 0 && !producerIds.has(m.producerId)) continue;
      if (states !== null && !states.has(m.state)) continue;
      if (durationFilterMs >= 0 && now - m.txnStartTimestamp <= durationFilterMs) continue;
      out.push({ transactionalId: m.transactionalId, producerId: m.producerId, transactionState: m.state });
    }
    return out.sort((a, b) => (a.transactionalId < b.transactionalId ? -1 : a.transactionalId > b.transactionalId ? 1 : 0));
  }

  /**
   * KIP-890 verification (Kafka's handleVerifyPartitionsInTransaction, the AddPartitionsToTxn
   * v4 verifyOnly answer): per partition NONE if it was added to this producer's ongoing
   * transaction, TRANSACTION_ABORTABLE if not (the append path turns it into INVALID_TXN_STATE
   * for older clients); for all of them INVALID_PRODUCER_ID_MAPPING /
   * PRODUCER_FENCED for another producer id / epoch, CONCURRENT_TRANSACTIONS while the
   * transaction is ending.
   */
  verify(transactionalId: string, producerId: number, producerEpoch: number, partitions: readonly TopicPartition[]): number[] {
    const m = this.transactions.get(transactionalId);
    const error = this.producerError(m, producerId, producerEpoch);
    if (error !== NONE) return partitions.map(() => error);
    const current = m!;
    if (current.state === 'PrepareCommit' || current.state === 'PrepareAbort') return partitions.map(() => ErrorCode.CONCURRENT_TRANSACTIONS);
    return partitions.map((tp) => (current.state === 'Ongoing' && current.topicPartitions.some((c) => c.topic === tp.topic && c.partition === tp.partition)
      ? NONE : ErrorCode.TRANSACTION_ABORTABLE));
  }
}

export function describeError(transactionalId: string, errorCode: number): DescribeTransactionsResponseTransactionState {
  return {
    errorCode, transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: 0, producerId: 0, producerEpoch: 0, topics: [],
  };
}
