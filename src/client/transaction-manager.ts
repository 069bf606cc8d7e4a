/**
 * The producer's side of idempotence and transactions, after the Java client's
 * TransactionManager: the producer id and epoch, the transaction state machine, and the
 * requests to the transaction coordinator. The per-partition sequence numbers and the batches
 * live in ./producer.ts, which asks this object for the current id/epoch.
 *
 * - Idempotent producer (no transactional.id): InitProducerId without a transactional id, sent
 *   to any broker, gives a producer id at epoch 0. On OUT_OF_ORDER_SEQUENCE_NUMBER or
 *   UNKNOWN_PRODUCER_ID a partition asks for an epoch bump (KIP-360): the epoch is bumped
 *   locally and that partition's sequences restart at 0, which brokers accept for a newer
 *   epoch; when the epoch is exhausted (32767) a new producer id is fetched instead.
 *   `generation` changes with every new id/epoch, so partitions can tell their sequences are
 *   stale.
 * - Transactional producer: FindCoordinator (key type 1) → InitProducerId(transactional.id)
 *   in `initTransactions()`; then per transaction `beginTransaction()`, AddPartitionsToTxn
 *   before the first write to a partition (concurrent asks coalesced into one request),
 *   AddOffsetsToTxn + TxnOffsetCommit (to the group coordinator) for `sendOffsetsToTransaction`,
 *   and EndTxn for commit/abort. An abort after an UNKNOWN_PRODUCER_ID/OUT_OF_ORDER_SEQUENCE
 *   re-initialises with the current id/epoch (KIP-360 epoch bump) instead of staying broken.
 *
 * States are Java's: UNINITIALIZED → INITIALIZING → READY ⇄ IN_TRANSACTION →
 * COMMITTING_TRANSACTION / ABORTING_TRANSACTION → READY; ABORTABLE_ERROR (only abort is
 * allowed) and FATAL_ERROR (nothing is: fenced — PRODUCER_FENCED / INVALID_PRODUCER_EPOCH —,
 * not authorized, INVALID_TXN_STATE). Coordinator errors that Kafka retries are retried with
 * `retryBackoffMs` (20 ms while the previous transaction is still completing:
 * CONCURRENT_TRANSACTIONS) until `maxBlockMs` has passed.
 */
import { BrokerError } from '../base/errors.js';
import { sleep } from '../base/clock.js';
import { ErrorCode, errorName } from '../protocol/error-codes.js';
import { InitProducerId } from '../protocol/messages/init-producer-id.js';
import { AddPartitionsToTxn } from '../protocol/messages/add-partitions-to-txn.js';
import { AddOffsetsToTxn } from '../protocol/messages/add-offsets-to-txn.js';
import { EndTxn } from '../protocol/messages/end-txn.js';
import { TxnOffsetCommit } from '../protocol/messages/txn-offset-commit.js';
import type { KafkaClient } from './kafka-client.js';
import { AbortableTransactionError, FatalProducerError, KafkaError } from './kafka-error.js';

export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;
/** Kafka's Short.MAX_VALUE: an epoch that cannot be bumped any further. */
export const MAX_PRODUCER_EPOCH = 32767;

export type TransactionState =
  | 'UNINITIALIZED' | 'INITIALIZING' | 'READY' | 'IN_TRANSACTION' | 'COMMITTING_TRANSACTION' | 'ABORTING_TRANSACTION'
  | 'ABORTABLE_ERROR' | 'FATAL_ERROR';

export interface ProducerIdAndEpoch {
  producerId: number;
  producerEpoch: number;
}

/** What `sendOffsetsToTransaction` needs of the consumer group (Java's ConsumerGroupMetadata). */
export interface ConsumerGroupMetadata {
  groupId: string;
  /** -1 and '' for offsets committed outside the group's membership. */
  generationId?: number;
  memberId?: string;
  groupInstanceId?: string | null;
}

export interface TransactionOffset {
  topic: string;
  partition: number;
  /** The next offset to consume (the last processed offset + 1). */
  offset: number;
  leaderEpoch?: number;
  metadata?: string | null;
}

export interface TransactionManagerOptions {
  transactionalId: string | null;
  /** transaction.timeout.ms, default 60000. */
  transactionTimeoutMs?: number;
  /** retry.backoff.ms, default 100. */
  retryBackoffMs?: number;
  /** max.block.ms: how long coordinator requests are retried; default 60000. */
  maxBlockMs?: number;
}

interface TopicPartition {
  topic: string;
  partition: number;
}

const tpKey = (topic: string, partition: number): string => `${topic}\0${partition}`;

/** Coordinator answers after which the coordinator is looked up again. */
const COORDINATOR_MOVED: ReadonlySet<number> = new Set([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE]);
/** Errors that end the producer (Java: fatal). */
export const FATAL_ERRORS: ReadonlySet<number> = new Set([
  ErrorCode.PRODUCER_FENCED, ErrorCode.INVALID_PRODUCER_EPOCH, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
  ErrorCode.CLUSTER_AUTHORIZATION_FAILED, ErrorCode.INVALID_TXN_STATE, ErrorCode.TRANSACTION_COORDINATOR_FENCED,
]);
/** Errors after which the transaction must be aborted and the epoch bumped (KIP-360). */
const EPOCH_BUMP_ERRORS: ReadonlySet<number> = new Set([ErrorCode.UNKNOWN_PRODUCER_ID, ErrorCode.INVALID_PRODUCER_ID_MAPPING]);
/** Short backoff while the previous transaction completes, as the Java client's AddPartitions does. */
const CONCURRENT_TRANSACTIONS_BACKOFF_MS = 20;

type Outcome = { kind: 'done' } | { kind: 'retry'; refindCoordinator: boolean; backoffMs: number } | { kind: 'fatal' | 'abortable'; code: number };

function isNetworkError(err: unknown): boolean {
  return err instanceof BrokerError && (err.code === 'SHERWOOD_NETWORK' || err.code === 'SHERWOOD_TIMEOUT');
}

/**
 * This client runs Transaction V1 (AddPartitionsToTxn/AddOffsetsToTxn, one epoch per producer
 * session): like the Java client without transaction.version 2, it stays below the versions
 * that mean Transaction V2 (Kafka's LAST_STABLE_VERSION_BEFORE_TRANSACTION_V2): EndTxn v5
 * would bump the epoch on every commit, Produce v12 / TxnOffsetCommit v5 add partitions.
 */
export const TRANSACTION_V1_MAX_VERSION = { EndTxn: 4, TxnOffsetCommit: 4, Produce: 11 } as const;

export class TransactionManager {
  readonly client: KafkaClient;
  readonly transactionalId: string | null;
  readonly transactionTimeoutMs: number;
  readonly retryBackoffMs: number;
  readonly maxBlockMs: number;
  private current: ProducerIdAndEpoch = { producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH };
  /** Bumped on every new producer id or epoch: sequences of an older generation are stale. */
  private gen = 0;
  private txnState: TransactionState = 'UNINITIALIZED';
  private lastError: Error | null = null;
  /** Set by UNKNOWN_PRODUCER_ID / OUT_OF_ORDER_SEQUENCE in a transaction: the abort re-initialises. */
  private epochBumpRequired = false;
  private readonly partitionsInTransaction = new Set<string>();
  private readonly pendingPartitions = new Map<string, TopicPartition>();
  private addInFlight: Promise<void> | null = null;
  private transactionStarted = false;
  private coordinator: number | undefined;
  private bumping: Promise<void> | null = null;

  constructor(client: KafkaClient, options: TransactionManagerOptions) {
    this.client = client;
    this.transactionalId = options.transactionalId;
    if (this.transactionalId === '') throw new BrokerError('SHERWOOD_CLIENT', 'transactional.id must not be empty');
    this.transactionTimeoutMs = options.transactionTimeoutMs ?? 60_000;
    this.retryBackoffMs = options.retryBackoffMs ?? 100;
    this.maxBlockMs = options.maxBlockMs ?? 60_000;
  }

  get isTransactional(): boolean {
    return this.transactionalId !== null;
  }

  get producerIdAndEpoch(): ProducerIdAndEpoch {
    return { ...this.current };
  }

  /** Changes with every new producer id or epoch. */
  get generation(): number {
    return this.gen;
  }

  get state(): TransactionState {
    return this.txnState;
  }

  /** The error behind ABORTABLE_ERROR or FATAL_ERROR, else null. */
  get error(): Error | null {
    return this.lastError;
  }

  // --- producer id and epoch ----------------------------------------------------------------

  /**
   * InitProducerId: for an idempotent producer a new producer id; for a transactional one
   * (Java's initTransactions) the coordinator's id and epoch for transactional.id, fencing any
   * older producer with the same id. Retried while the coordinator is busy.
   */
  async initialize(): Promise<void> {
    if (this.txnState !== 'UNINITIALIZED') throw this.stateError('initialize');
    this.txnState = 'INITIALIZING';
    try {
      await this.initProducerId(null);
    } catch (err) {
      if (this.txnState === 'INITIALIZING') this.txnState = 'UNINITIALIZED';
      throw err;
    }
    this.txnState = 'READY';
  }

  /**
   * KIP-360 for an idempotent producer: bump the epoch locally (a new producer id once the epoch
   * is exhausted). Partitions that saw the same generation share one bump.
   */
  async bumpIdempotentEpoch(seenGeneration: number): Promise<void> {
    if (this.isTransactional) throw new BrokerError('SHERWOOD_CLIENT', 'a transactional producer bumps its epoch through the coordinator');
    if (this.bumping !== null) return this.bumping;
    if (seenGeneration !== this.gen) return;
    if (this.current.producerEpoch < MAX_PRODUCER_EPOCH) {
      this.setProducerIdAndEpoch({ producerId: this.current.producerId, producerEpoch: this.current.producerEpoch + 1 });
      return;
    }
    this.bumping = this.initProducerId(null).finally(() => { this.bumping = null; });
    return this.bumping;
  }

  private setProducerIdAndEpoch(p: ProducerIdAndEpoch): void {
    this.current = p;
    this.gen++;
  }

  /** InitProducerId, with `expected` (KIP-360: bump this id/epoch) for a transactional re-init. */
  private async initProducerId(expected: ProducerIdAndEpoch | null): Promise<void> {
    const version = await this.client.versionFor(InitProducerId);
    if (expected !== null && version < 3) throw this.fatal(ErrorCode.UNSUPPORTED_VERSION, 'the broker cannot bump a producer epoch (InitProducerId v3+)');
    const res = await this.retrying('InitProducerId', !this.isTransactional, async (node) => {
      const r = await this.client.request(InitProducerId, {
        transactionalId: this.transactionalId,
        transactionTimeoutMs: this.transactionTimeoutMs,
        producerId: expected?.producerId ?? NO_PRODUCER_ID,
        producerEpoch: expected?.producerEpoch ?? NO_PRODUCER_EPOCH,
      }, { nodeId: node, version });
      return { code: r.errorCode, value: r };
    }, () => 'fatal');
    this.setProducerIdAndEpoch({ producerId: res.producerId, producerEpoch: res.producerEpoch });
  }

  // --- transactions -------------------------------------------------------------------------

  beginTransaction(): void {
    this.requireTransactional('beginTransaction');
    if (this.txnState !== 'READY') throw this.stateError('beginTransaction');
    this.txnState = 'IN_TRANSACTION';
    this.transactionStarted = false;
  }

  /** Throws unless records may be sent now (idempotent: initialized; transactional: in a transaction). */
  checkCanSend(): void {
    if (this.txnState === 'FATAL_ERROR' || this.txnState === 'ABORTABLE_ERROR') throw this.lastError!;
    if (this.isTransactional && this.txnState !== 'IN_TRANSACTION') {
      if (this.txnState === 'UNINITIALIZED' || this.txnState === 'INITIALIZING') {
        throw new BrokerError('SHERWOOD_CLIENT', "Cannot perform a 'send' before completing a call to initTransactions when transactions are enabled.");
      }
      throw new BrokerError('SHERWOOD_CLIENT', `Cannot call send in state ${this.txnState}`);
    }
    if (!this.isTransactional && this.txnState !== 'READY') throw this.stateError('send');
  }

  isPartitionAdded(topic: string, partition: number): boolean {
    return !this.isTransactional || this.partitionsInTransaction.has(tpKey(topic, partition));
  }

  /**
   * AddPartitionsToTxn for a partition about to get its first batch of the transaction.
   * Partitions asked for while a request is in flight go in the next one.
   */
  async addPartition(topic: string, partition: number): Promise<void> {
    const k = tpKey(topic, partition);
    while (!this.partitionsInTransaction.has(k)) {
      this.checkCanSend();
      this.pendingPartitions.set(k, { topic, partition });
      if (this.addInFlight === null) {
        this.addInFlight = this.addPendingPartitions().finally(() => { this.addInFlight = null; });
      }
      await this.addInFlight;
    }
  }

  private async addPendingPartitions(): Promise<void> {
    // Let callers of the same tick join this request.
    await Promise.resolve();
    const batch = [...this.pendingPartitions.values()];
    this.pendingPartitions.clear();
    if (batch.length === 0) return;
    const byTopic = new Map<string, number[]>();
    for (const tp of batch) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
    const { producerId, producerEpoch } = this.current;
    const first = !this.transactionStarted;
    await this.retrying('AddPartitionsToTxn', false, async (node) => {
      const r = await this.client.request(AddPartitionsToTxn, {
        v3AndBelowTransactionalId: this.transactionalId!, v3AndBelowProducerId: producerId, v3AndBelowProducerEpoch: producerEpoch,
        v3AndBelowTopics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
      }, { nodeId: node, version: Math.min(3, await this.client.versionFor(AddPartitionsToTxn, node)) });
      const codes = r.resultsByTopicV3AndBelow.flatMap((t) => t.resultsByPartition.map((p) => p.partitionErrorCode));
      return { code: worstAddPartitionsError(codes), value: r };
    }, (code) => addPartitionsOutcome(code), first ? CONCURRENT_TRANSACTIONS_BACKOFF_MS : undefined);
    for (const tp of batch) this.partitionsInTransaction.add(tpKey(tp.topic, tp.partition));
    this.transactionStarted = true;
  }

  /**
   * Java's sendOffsetsToTransaction: AddOffsetsToTxn to the transaction coordinator, then
   * TxnOffsetCommit to the group's coordinator; the offsets become the group's committed
   * offsets when the transaction commits.
   */
  async sendOffsetsToTransaction(offsets: readonly TransactionOffset[], group: ConsumerGroupMetadata): Promise<void> {
    this.requireTransactional('sendOffsetsToTransaction');
    this.checkCanSend();
    const { producerId, producerEpoch } = this.current;
    await this.retrying('AddOffsetsToTxn', false, async (node) => {
      const r = await this.client.request(AddOffsetsToTxn, {
        transactionalId: this.transactionalId!, producerId, producerEpoch, groupId: group.groupId,
      }, { nodeId: node });
      return { code: r.errorCode, value: r };
    }, (code) => addPartitionsOutcome(code), this.transactionStarted ? undefined : CONCURRENT_TRANSACTIONS_BACKOFF_MS);
    this.transactionStarted = true;
    if (offsets.length === 0) return;
    const byTopic = new Map<string, TransactionOffset[]>();
    for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), o]);
    let groupCoordinator: number | undefined;
    await this.retryLoop('TxnOffsetCommit', async () => {
      if (groupCoordinator === undefined) groupCoordinator = this.client.coordinatorConnectionId(await this.client.findCoordinator(group.groupId, 0));
      const r = await this.client.request(TxnOffsetCommit, {
        transactionalId: this.transactionalId!, groupId: group.groupId, producerId, producerEpoch,
        generationId: group.generationId ?? -1, memberId: group.memberId ?? '', groupInstanceId: group.groupInstanceId ?? null,
        topics: [...byTopic].map(([name, list]) => ({
          name,
          partitions: list.map((o) => ({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch ?? -1, committedMetadata: o.metadata ?? '' })),
        })),
      }, { nodeId: groupCoordinator, version: Math.min(TRANSACTION_V1_MAX_VERSION.TxnOffsetCommit, await this.client.versionFor(TxnOffsetCommit, groupCoordinator)) });
      const codes = r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode));
      const code = codes.find((c) => c !== ErrorCode.NONE) ?? ErrorCode.NONE;
      const outcome = txnOffsetCommitOutcome(code, this.retryBackoffMs);
      if (outcome.kind === 'retry' && outcome.refindCoordinator) groupCoordinator = undefined;
      return { outcome, code, value: r };
    }, () => { groupCoordinator = undefined; });
  }

  /** EndTxn (commit or abort). The caller has flushed (commit) or drained (abort) the batches first. */
  async endTransaction(commit: boolean): Promise<void> {
    this.requireTransactional(commit ? 'commitTransaction' : 'abortTransaction');
    if (this.txnState === 'FATAL_ERROR') throw this.lastError!;
    if (commit) {
      if (this.txnState === 'ABORTABLE_ERROR') throw this.lastError!;
      if (this.txnState !== 'IN_TRANSACTION') throw this.stateError('commitTransaction');
      this.txnState = 'COMMITTING_TRANSACTION';
    } else {
      if (this.txnState !== 'IN_TRANSACTION' && this.txnState !== 'ABORTABLE_ERROR') throw this.stateError('abortTransaction');
      this.txnState = 'ABORTING_TRANSACTION';
    }
    // An AddPartitionsToTxn still in flight decides whether the coordinator has a transaction to end.
    await this.addInFlight?.catch(() => undefined);
    const before = this.txnState === 'ABORTING_TRANSACTION' && this.lastError !== null ? 'ABORTABLE_ERROR' : 'IN_TRANSACTION';
    const lastErrorCode = this.lastError instanceof AbortableTransactionError ? this.lastError.errorCode : ErrorCode.NONE;
    // The coordinator refuses EndTxn for an id/epoch it no longer maps (INVALID_PRODUCER_ID_MAPPING): go straight to the re-init.
    if (this.transactionStarted && lastErrorCode !== ErrorCode.INVALID_PRODUCER_ID_MAPPING) {
      const { producerId, producerEpoch } = this.current;
      try {
        await this.retrying('EndTxn', false, async (node) => {
          const r = await this.client.request(EndTxn, { transactionalId: this.transactionalId!, producerId, producerEpoch, committed: commit },
            { nodeId: node, version: Math.min(TRANSACTION_V1_MAX_VERSION.EndTxn, await this.client.versionFor(EndTxn, node)) });
          return { code: r.errorCode, value: r };
        }, (code) => endTxnOutcome(code));
      } catch (err) {
        const now = this.txnState as TransactionState;
        // A commit or abort that failed abortably leaves the transaction to be aborted; one that
        // timed out may be called again (as in Java).
        if (err instanceof AbortableTransactionError && now !== 'FATAL_ERROR') this.txnState = 'ABORTABLE_ERROR';
        else if (!(err instanceof FatalProducerError) && now !== 'FATAL_ERROR') this.txnState = commit ? 'IN_TRANSACTION' : before;
        throw err;
      }
    }
    if (!commit && this.epochBumpRequired) {
      // The transaction is over on the coordinator; what is left is the KIP-360 epoch bump.
      this.transactionStarted = false;
      try {
        await this.initProducerId(this.current);
      } catch (err) {
        if (!(err instanceof FatalProducerError) && (this.txnState as TransactionState) !== 'FATAL_ERROR') {
          this.txnState = 'ABORTABLE_ERROR';
          this.lastError = err as Error;
        }
        throw err;
      }
      this.epochBumpRequired = false;
    }
    this.partitionsInTransaction.clear();
    this.pendingPartitions.clear();
    this.transactionStarted = false;
    this.lastError = null;
    this.txnState = 'READY';
  }

  /** The next abort re-initialises (KIP-360 epoch bump): some sequence number went unused. */
  requireEpochBump(): void {
    this.epochBumpRequired = true;
  }

  // --- errors -------------------------------------------------------------------------------

  /** A failed batch in a transaction: abortable; `bumpEpoch` for UNKNOWN_PRODUCER_ID / OUT_OF_ORDER_SEQUENCE. */
  abortable(errorCode: number, message: string, bumpEpoch = false): AbortableTransactionError {
    const err = new AbortableTransactionError(errorCode, message);
    if (this.txnState === 'FATAL_ERROR') return err;
    if (bumpEpoch) this.epochBumpRequired = true;
    if (this.isTransactional && this.txnState !== 'ABORTING_TRANSACTION') {
      this.txnState = 'ABORTABLE_ERROR';
      this.lastError = err;
    }
    return err;
  }

  /** The producer cannot go on: every later call throws the returned error. */
  fatal(errorCode: number, message: string): FatalProducerError {
    if (this.txnState === 'FATAL_ERROR') return this.lastError as FatalProducerError;
    const who = this.transactionalId === null ? `producer ${this.current.producerId}` : `transactional producer '${this.transactionalId}'`;
    const fenced = errorCode === ErrorCode.PRODUCER_FENCED || errorCode === ErrorCode.INVALID_PRODUCER_EPOCH;
    const err = new FatalProducerError(errorCode, fenced
      ? `${who} (epoch ${this.current.producerEpoch}) was fenced by a newer producer with the same transactional.id: ${errorName(errorCode)} (${errorCode})`
      : `${who}: ${message}: ${errorName(errorCode)} (${errorCode})`);
    this.txnState = 'FATAL_ERROR';
    this.lastError = err;
    return err;
  }

  private requireTransactional(what: string): void {
    if (!this.isTransactional) throw new BrokerError('SHERWOOD_CLIENT', `${what}: the producer has no transactional.id`);
  }

  private stateError(what: string): Error {
    if (this.txnState === 'FATAL_ERROR' || this.txnState === 'ABORTABLE_ERROR') return this.lastError!;
    return new BrokerError('SHERWOOD_CLIENT', `${what}: invalid transition from state ${this.txnState}`);
  }

  // --- coordinator requests -----------------------------------------------------------------

  private async ensureCoordinator(): Promise<number> {
    if (this.coordinator === undefined) {
      const info = await this.client.findCoordinator(this.transactionalId!, 1);
      this.coordinator = this.client.coordinatorConnectionId(info);
    }
    return this.coordinator;
  }

  /**
   * One coordinator request, retried as Kafka's client retries it. `anyBroker`: the request
   * goes to the bootstrap broker (an idempotent InitProducerId), not the transaction coordinator.
   */
  private async retrying<T>(
    what: string, anyBroker: boolean, send: (node: number | undefined) => Promise<{ code: number; value: T }>,
    classifyOther: (code: number) => 'retry' | 'fatal' | 'abortable' | Outcome, concurrentBackoffMs?: number,
  ): Promise<T> {
    return this.retryLoop(what, async () => {
      const node = anyBroker ? undefined : await this.ensureCoordinator();
      const { code, value } = await send(node);
      let outcome: Outcome;
      if (code === ErrorCode.NONE) outcome = { kind: 'done' };
      else if (COORDINATOR_MOVED.has(code)) outcome = { kind: 'retry', refindCoordinator: true, backoffMs: this.retryBackoffMs };
      else if (code === ErrorCode.CONCURRENT_TRANSACTIONS) outcome = { kind: 'retry', refindCoordinator: false, backoffMs: concurrentBackoffMs ?? this.retryBackoffMs };
      else if (code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS || code === ErrorCode.REQUEST_TIMED_OUT) outcome = { kind: 'retry', refindCoordinator: false, backoffMs: this.retryBackoffMs };
      else {
        const c = classifyOther(code);
        outcome = typeof c === 'string' ? (c === 'retry' ? { kind: 'retry', refindCoordinator: false, backoffMs: this.retryBackoffMs } : { kind: c, code }) : c;
      }
      if (outcome.kind === 'retry' && outcome.refindCoordinator) this.coordinator = undefined;
      return { outcome, code, value };
    }, () => { this.coordinator = undefined; });
  }

  private async retryLoop<T>(what: string, attempt: () => Promise<{ outcome: Outcome; code: number; value: T }>, onNetworkError: () => void): Promise<T> {
    const deadline = this.client.clock.monotonicMs() + this.maxBlockMs;
    let lastProblem = '';
    for (;;) {
      let backoffMs = this.retryBackoffMs;
      try {
        const { outcome, code, value } = await attempt();
        if (outcome.kind === 'done') return value;
        if (outcome.kind === 'fatal') throw this.fatal(outcome.code, what);
        if (outcome.kind === 'abortable') {
          throw this.abortable(outcome.code, `${what} for transactional id '${this.transactionalId}': ${errorName(outcome.code)} (${outcome.code})`, EPOCH_BUMP_ERRORS.has(outcome.code));
        }
        backoffMs = (outcome as Extract<Outcome, { kind: 'retry' }>).backoffMs;
        lastProblem = `${errorName(code)} (${code})`;
      } catch (err) {
        if (err instanceof FatalProducerError || err instanceof AbortableTransactionError) throw err;
        const retriableLookup = err instanceof KafkaError && err.retriable;
        if (!isNetworkError(err) && !retriableLookup) throw err;
        onNetworkError();
        lastProblem = (err as Error).message;
      }
      if (this.client.clock.monotonicMs() + backoffMs > deadline) {
        throw new BrokerError('SHERWOOD_TIMEOUT', `${what}${this.transactionalId === null ? '' : ` for transactional id '${this.transactionalId}'`} did not succeed within ${this.maxBlockMs} ms (max.block.ms); last: ${lastProblem}`);
      }
      await sleep(this.client.clock, backoffMs);
    }
  }
}

/** The error of an AddPartitionsToTxn answer that decides what happens (OPERATION_NOT_ATTEMPTED says nothing). */
function worstAddPartitionsError(codes: number[]): number {
  const real = codes.filter((c) => c !== ErrorCode.NONE && c !== ErrorCode.OPERATION_NOT_ATTEMPTED);
  return real.find((c) => FATAL_ERRORS.has(c)) ?? real[0] ?? ErrorCode.NONE;
}

function addPartitionsOutcome(code: number): 'retry' | 'fatal' | 'abortable' {
  if (code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return 'retry';
  if (FATAL_ERRORS.has(code)) return 'fatal';
  if (EPOCH_BUMP_ERRORS.has(code) || code === ErrorCode.TOPIC_AUTHORIZATION_FAILED || code === ErrorCode.GROUP_AUTHORIZATION_FAILED) return 'abortable';
  return 'fatal';
}

function endTxnOutcome(code: number): 'retry' | 'fatal' | 'abortable' {
  if (FATAL_ERRORS.has(code)) return 'fatal';
  if (EPOCH_BUMP_ERRORS.has(code)) return 'abortable';
  return 'fatal';
}

/** TxnOffsetCommit answers, as Java's TxnOffsetCommitHandler reads them. */
export function txnOffsetCommitOutcome(code: number, backoffMs: number): Outcome {
  switch (code) {
    case ErrorCode.NONE:
      return { kind: 'done' };
    case ErrorCode.COORDINATOR_NOT_AVAILABLE:
    case ErrorCode.NOT_COORDINATOR:
    case ErrorCode.REQUEST_TIMED_OUT:
      return { kind: 'retry', refindCoordinator: true, backoffMs };
    case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.CONCURRENT_TRANSACTIONS:
    case ErrorCode.UNSTABLE_OFFSET_COMMIT:
      return { kind: 'retry', refindCoordinator: false, backoffMs };
    case ErrorCode.PRODUCER_FENCED:
    case ErrorCode.INVALID_PRODUCER_EPOCH:
    case ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
      return { kind: 'fatal', code };
    default:
      // UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, FENCED_INSTANCE_ID (Java's CommitFailedException),
      // GROUP_AUTHORIZATION_FAILED, ...: this transaction cannot commit the offsets.
      return { kind: 'abortable', code };
  }
}
