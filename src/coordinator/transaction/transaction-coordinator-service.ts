/**
 * The transaction coordinator's API (apache/kafka `TransactionCoordinator`): one
 * TransactionCoordinatorShard per `__transaction_state` partition, run by the generic
 * CoordinatorRuntime. Each request goes to the shard of its transactional id's partition (Java
 * `String.hashCode`, as Kafka) as one queued operation; ListTransactions fans out to every
 * shard. Failures become error codes as Kafka's coordinator answers them: NOT_COORDINATOR for a
 * partition not loaded here, COORDINATOR_LOAD_IN_PROGRESS while it loads, a failed write
 * mapped as Kafka's TransactionStateManager does (unavailable/timeout → COORDINATOR_NOT_AVAILABLE,
 * lost leadership or storage → NOT_COORDINATOR, too large → UNKNOWN_SERVER_ERROR).
 *
 * Besides the APIs it does the I/O the shards may not:
 * - producer ids: a new transactional id (or an exhausted epoch) needs one from the injected
 *   ProducerIdGenerator; the shard asks, the service allocates and asks the shard again. While
 *   none can be allocated: COORDINATOR_LOAD_IN_PROGRESS (Kafka's answer).
 * - markers: when a shard reports a transaction durably PrepareCommit/PrepareAbort (or finds one
 *   at load), the markers are written through the TransactionMarkerWriter with retries
 *   (transaction-markers.ts) and then CompleteCommit/CompleteAbort is written to the shard,
 *   retried with backoff until it succeeds or the partition is no longer led here (the next
 *   coordinator resends the markers when it loads). `markersIdle()` lets tests wait for them.
 */
import { sleep, type Clock } from '../../base/clock.js';
import type { Logger } from '../../base/logger.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { DescribeTransactionsResponseTransactionState } from '../../protocol/messages/describe-transactions.js';
import type { ListTransactionsResponseTransactionState } from '../../protocol/messages/list-transactions.js';
import { coordinatorErrorFor, isCoordinatorFailure } from '../runtime/coordinator-errors.js';
import { CoordinatorRuntime } from '../runtime/coordinator-runtime.js';
import { immediate, type CoordinatorLoader, type PartitionWriter, type TransactionResult } from '../runtime/coordinator-shard.js';
import { partitionForTransactionalId, TRANSACTION_STATE_TOPIC, transactionRecordSerdeFor, type TopicPartition, type TransactionRecord } from './records.js';
import type { TransactionCoordinatorConfig } from './transaction-config.js';
import {
  describeError, NEEDS_PRODUCER_ID, TransactionCoordinatorShard, type EndTxnOutcome, type ExpectedProducer, type InitProducerIdOutcome,
} from './transaction-coordinator-shard.js';
import { sendMarkers, type TransactionMarker, type TransactionMarkerWriter } from './transaction-markers.js';
import type { TransactionMetadata } from './transaction-metadata.js';
import { isTransactionState, type TransactionState } from './transaction-state.js';

/** Where new producer ids come from (the broker's ProducerIdManager). */
export interface ProducerIdGenerator {
  generateProducerId(): Promise<number>;
}

export interface TransactionCoordinatorServiceOptions {
  /** Its transactionStateLogNumPartitions is the partition count of the existing topic. */
  config: TransactionCoordinatorConfig;
  clock: Clock;
  logger: Logger;
  writer: PartitionWriter;
  loader: CoordinatorLoader;
  producerIds: ProducerIdGenerator;
  markerWriter: TransactionMarkerWriter;
  loadRetryBackoffMs?: number;
  /** TransactionShardHooks.leadershipConfirmed (default: always). */
  leadershipConfirmed?: () => boolean;
}

export interface ListedTransactions {
  errorCode: number;
  unknownStateFilters: string[];
  transactionStates: ListTransactionsResponseTransactionState[];
}

const initError = (errorCode: number): InitProducerIdOutcome => ({ errorCode, producerId: -1, producerEpoch: -1 });

/**
 * Kafka's mapping of a failed `__transaction_state` append (TransactionStateManager
 * .appendTransactionToLog): the runtime's coordinator mapping, plus
 * NOT_ENOUGH_REPLICAS_AFTER_APPEND → COORDINATOR_NOT_AVAILABLE.
 */
export function transactionLogErrorFor(errorCode: number, appendErrorCode: number): number {
  return appendErrorCode === ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND ? ErrorCode.COORDINATOR_NOT_AVAILABLE : errorCode;
}

/**
 * Kafka's first checks of a transactional InitProducerId, before the coordinator's state:
 * INVALID_REQUEST for an empty transactional id, INVALID_TRANSACTION_TIMEOUT for a timeout
 * outside (0, transaction.max.timeout.ms]; NONE otherwise.
 */
export function initProducerIdRequestError(transactionalId: string, transactionTimeoutMs: number, transactionMaxTimeoutMs: number): number {
  if (transactionalId === '') return ErrorCode.INVALID_REQUEST;
  if (transactionTimeoutMs <= 0 || transactionTimeoutMs > transactionMaxTimeoutMs) return ErrorCode.INVALID_TRANSACTION_TIMEOUT;
  return ErrorCode.NONE;
}

export class TransactionCoordinatorService {
  readonly runtime: CoordinatorRuntime<TransactionCoordinatorShard, TransactionRecord>;
  readonly config: TransactionCoordinatorConfig;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly producerIds: ProducerIdGenerator;
  private readonly markerWriter: TransactionMarkerWriter;
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(options: TransactionCoordinatorServiceOptions) {
    const { config, clock } = options;
    this.config = config;
    this.clock = clock;
    this.logger = options.logger;
    this.producerIds = options.producerIds;
    this.markerWriter = options.markerWriter;
    const hooks = {
      onPrepared: (shard: TransactionCoordinatorShard, m: TransactionMetadata) => this.onPrepared(shard, m),
      errorFor: transactionLogErrorFor,
      ...(options.leadershipConfirmed === undefined ? {} : { leadershipConfirmed: options.leadershipConfirmed }),
    };
    this.runtime = new CoordinatorRuntime<TransactionCoordinatorShard, TransactionRecord>({
      topic: TRANSACTION_STATE_TOPIC,
      clock,
      logger: options.logger,
      writer: options.writer,
      loader: options.loader,
      serde: transactionRecordSerdeFor(config.transactionVersionLevel),
      shardFactory: (context) => new TransactionCoordinatorShard(context, config, clock, hooks),
      ...(options.loadRetryBackoffMs === undefined ? {} : { loadRetryBackoffMs: options.loadRetryBackoffMs }),
    });
  }

  partitionFor(transactionalId: string): number {
    return partitionForTransactionalId(transactionalId, this.config.transactionStateLogNumPartitions);
  }

  // ---- leadership --------------------------------------------------------------------------

  onElection(partition: number, leaderEpoch: number): void {
    this.runtime.onElection(partition, leaderEpoch);
  }

  onResignation(partition: number, leaderEpoch: number): void {
    this.runtime.onResignation(partition, leaderEpoch);
  }

  /** The loaded shard of a transactional id's partition, for tests and diagnostics (bypasses the queue). */
  shardFor(transactionalId: string): TransactionCoordinatorShard | undefined {
    return this.runtime.activeShard(this.partitionFor(transactionalId));
  }

  close(): void {
    this.closed = true;
    this.runtime.close();
  }

  // ---- APIs --------------------------------------------------------------------------------

  /**
   * InitProducerId with a transactional id (Kafka's handleInitProducerId): an empty id is
   * INVALID_REQUEST, a timeout outside (0, transaction.max.timeout.ms] INVALID_TRANSACTION_TIMEOUT;
   * `expected` is the producer id/epoch of a v3+ request that carries them.
   */
  async initProducerId(transactionalId: string, transactionTimeoutMs: number, expected: ExpectedProducer | null): Promise<InitProducerIdOutcome> {
    const invalid = initProducerIdRequestError(transactionalId, transactionTimeoutMs, this.config.transactionMaxTimeoutMs);
    if (invalid !== ErrorCode.NONE) return initError(invalid);
    const partition = this.partitionFor(transactionalId);
    let newProducerId: number | null = null;
    for (;;) {
      let outcome: InitProducerIdOutcome | typeof NEEDS_PRODUCER_ID;
      try {
        const id = newProducerId;
        outcome = await this.runtime.scheduleWriteOperation('init-producer-id', partition, (s) => s.initProducerId(transactionalId, transactionTimeoutMs, expected, id));
      } catch (err) {
        return this.failure(err, initError);
      }
      if (outcome !== NEEDS_PRODUCER_ID) return outcome;
      if (newProducerId !== null) throw new Error(`InitProducerId for ${transactionalId} asked for a second new producer id`);
      try {
        newProducerId = await this.producerIds.generateProducerId();
      } catch (err) {
        this.logger.warn('no producer id available for a transactional id', { transactionalId, error: String(err) });
        return initError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
      }
    }
  }

  /**
   * AddPartitionsToTxn (and AddOffsetsToTxn with the group's `__consumer_offsets` partition);
   * `clientTransactionVersion` 2 for AddPartitionsToTxn v5 (a leader adding the partition of a
   * Produce v12 / TxnOffsetCommit v5).
   */
  addPartitionsToTransaction(transactionalId: string, producerId: number, producerEpoch: number, partitions: readonly TopicPartition[], clientTransactionVersion = 0): Promise<number> {
    if (transactionalId === '') return Promise.resolve(ErrorCode.INVALID_REQUEST);
    return this.runtime.scheduleWriteOperation('add-partitions', this.partitionFor(transactionalId),
      (s) => s.addPartitions(transactionalId, producerId, producerEpoch, partitions, clientTransactionVersion))
      .catch((err: unknown) => this.failure(err, (code) => code));
  }

  /** EndTxn: answered once PrepareCommit/PrepareAbort is durable; the markers follow. */
  endTransaction(transactionalId: string, producerId: number, producerEpoch: number, result: TransactionResult): Promise<number> {
    if (transactionalId === '') return Promise.resolve(ErrorCode.INVALID_REQUEST);
    return this.runtime.scheduleWriteOperation('end-transaction', this.partitionFor(transactionalId), (s) => s.endTransaction(transactionalId, producerId, producerEpoch, result))
      .catch((err: unknown) => this.failure(err, (code) => code));
  }

  /**
   * EndTxn v5 (Transaction V2): answered once Prepare* is durable, with the producer id and
   * epoch the client continues with (a new producer id when the epoch is exhausted).
   */
  async endTransactionV2(transactionalId: string, producerId: number, producerEpoch: number, result: TransactionResult): Promise<EndTxnOutcome> {
    const fail = (errorCode: number): EndTxnOutcome => ({ errorCode, producerId: -1, producerEpoch: -1 });
    if (transactionalId === '') return fail(ErrorCode.INVALID_REQUEST);
    const partition = this.partitionFor(transactionalId);
    let newProducerId: number | null = null;
    for (;;) {
      let outcome: EndTxnOutcome | typeof NEEDS_PRODUCER_ID;
      try {
        const id = newProducerId;
        outcome = await this.runtime.scheduleWriteOperation('end-transaction', partition, (s) => s.endTransactionV2(transactionalId, producerId, producerEpoch, result, id));
      } catch (err) {
        return this.failure(err, fail);
      }
      if (outcome !== NEEDS_PRODUCER_ID) return outcome;
      if (newProducerId !== null) throw new Error(`EndTxn for ${transactionalId} asked for a second new producer id`);
      try {
        newProducerId = await this.producerIds.generateProducerId();
      } catch (err) {
        this.logger.warn('no producer id available for an exhausted epoch', { transactionalId, error: String(err) });
        return fail(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
      }
    }
  }

  describeTransaction(transactionalId: string): Promise<DescribeTransactionsResponseTransactionState> {
    if (transactionalId === '') return Promise.resolve(describeError(transactionalId, ErrorCode.INVALID_REQUEST));
    return this.runtime.scheduleReadOperation('describe-transaction', this.partitionFor(transactionalId), (s) => s.describe(transactionalId))
      .catch((err: unknown) => this.failure(err, (code) => describeError(transactionalId, code)));
  }

  /**
   * ListTransactions over every shard loaded here (partitions led elsewhere are skipped; one
   * still loading makes the answer COORDINATOR_LOAD_IN_PROGRESS). State filters Kafka does not
   * know are echoed in unknownStateFilters and match nothing.
   */
  async listTransactions(stateFilters: readonly string[], producerIdFilters: readonly number[], durationFilterMs: number): Promise<ListedTransactions> {
    const unknownStateFilters = stateFilters.filter((s) => !isTransactionState(s));
    const states = stateFilters.length === 0 ? null : new Set(stateFilters.filter(isTransactionState) as TransactionState[]);
    const producerIds = new Set(producerIdFilters);
    const answers = await Promise.all(this.runtime.partitions().map((partition) => this.runtime
      .scheduleReadOperation('list-transactions', partition, (s) => ({ errorCode: ErrorCode.NONE as number, list: s.list(producerIds, states, durationFilterMs) }))
      .catch((err: unknown) => this.failure(err, (code) => ({ errorCode: code === ErrorCode.NOT_COORDINATOR ? ErrorCode.NONE : code, list: [] })))));
    const failed = answers.find((a) => a.errorCode !== ErrorCode.NONE);
    if (failed !== undefined) return { errorCode: failed.errorCode, unknownStateFilters, transactionStates: [] };
    return { errorCode: ErrorCode.NONE, unknownStateFilters, transactionStates: answers.flatMap((a) => a.list) };
  }

  /**
   * The coordinator's answer to a KIP-890 verification (AddPartitionsToTxn v4 verifyOnly): per
   * partition NONE when it is in the producer's ongoing transaction (shard.verify), or the
   * coordinator's error (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, ...).
   */
  verifyPartitions(transactionalId: string, producerId: number, producerEpoch: number, partitions: readonly TopicPartition[]): Promise<number[]> {
    if (transactionalId === '') return Promise.resolve(partitions.map(() => ErrorCode.INVALID_REQUEST));
    return this.runtime.scheduleReadOperation('verify-partitions', this.partitionFor(transactionalId), (s) => s.verify(transactionalId, producerId, producerEpoch, partitions))
      .catch((err: unknown) => this.failure(err, (code) => partitions.map(() => code)));
  }

  // ---- markers -----------------------------------------------------------------------------

  /** Resolves once no marker is being written and no completion is pending (tests). */
  async markersIdle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** Transactions whose markers or completion are in progress (tests and diagnostics). */
  get pendingCompletions(): number {
    return this.inFlight.size;
  }

  private onPrepared(shard: TransactionCoordinatorShard, m: TransactionMetadata): void {
    if (this.closed) return;
    const partition = shard.partition;
    const marker: TransactionMarker = {
      transactionalId: m.transactionalId,
      producerId: m.producerId,
      producerEpoch: m.producerEpoch,
      coordinatorEpoch: shard.coordinatorEpoch,
      result: m.state === 'PrepareCommit' ? 'COMMIT' : 'ABORT',
      partitions: m.topicPartitions,
    };
    const isCurrent = () => !this.closed && this.runtime.activeShard(partition) === shard;
    const task = (async () => {
      const outcome = await sendMarkers(this.markerWriter, marker, isCurrent, {
        clock: this.clock, logger: this.logger, retryBackoffMs: this.config.markerRetryBackoffMs, retryBackoffMaxMs: this.config.markerRetryBackoffMaxMs,
      });
      if (outcome === 'written') await this.complete(shard, marker, isCurrent);
    })().catch((err: unknown) => {
      this.logger.error('completing a transaction failed', { transactionalId: m.transactionalId, error: String(err) });
    });
    this.inFlight.add(task);
    void task.finally(() => this.inFlight.delete(task));
  }

  /** Writes CompleteCommit/CompleteAbort, retrying until it is written or the partition is no longer ours. */
  private async complete(shard: TransactionCoordinatorShard, marker: TransactionMarker, isCurrent: () => boolean): Promise<void> {
    let backoffMs = this.config.markerRetryBackoffMs;
    for (;;) {
      if (!isCurrent()) return;
      try {
        await this.runtime.scheduleWriteOperation('complete-transaction', shard.partition, (s) => (s === shard
          ? s.completeTransaction(marker.transactionalId, marker.producerId, marker.producerEpoch, marker.result)
          : immediate(false)));
        return;
      } catch (err) {
        const code = coordinatorErrorFor(err);
        if (code === ErrorCode.NOT_COORDINATOR || code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return;
        this.logger.warn('writing a transaction\'s completion failed; retrying', { transactionalId: marker.transactionalId, errorCode: code });
      }
      await sleep(this.clock, backoffMs);
      backoffMs = Math.min(backoffMs * 2, this.config.markerRetryBackoffMaxMs);
    }
  }

  // ---- plumbing ----------------------------------------------------------------------------

  /** A coordinator failure answered as its error code; anything else is a bug and rethrown. */
  private failure<T>(err: unknown, onError: (errorCode: number) => T): T {
    if (!isCoordinatorFailure(err)) throw err;
    return onError(coordinatorErrorFor(err));
  }
}
