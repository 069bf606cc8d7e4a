/**
 * What a coordinator shard is and what it is given (apache/kafka coordinator-common
 * `CoordinatorShard`, `CoordinatorResult`, `CoordinatorTimer`, `PartitionWriter`,
 * `CoordinatorLoader`, `Serializer`/`Deserializer`).
 *
 * A shard is the state machine of ONE partition of an internal topic (`__consumer_offsets`,
 * `__transaction_state`), generic over its record type R. Its durable state is what its
 * records say; it is rebuilt at load by `replay()` of the partition's records and, at run
 * time, changed only by `replay()` of the records an operation produced (before they are
 * written, under a snapshot the runtime reverts if the write fails). An operation decides
 * synchronously and returns a CoordinatorResult; it never does I/O.
 *
 * Transactions (Kafka 4's transactional coordinator writes): an operation may be scheduled as
 * transactional (`scheduleTransactionalWriteOperation`), and its records are then written as
 * one transactional batch carrying the producer id and epoch, and replayed with them; a
 * COMMIT/ABORT marker that reaches the partition (`scheduleTransactionCompletion`, or a control
 * batch met at load) is applied by `replayEndTransactionMarker`. A shard that keeps no
 * transactional state ignores both (non-transactional records replay with producer id -1).
 *
 * `replayRecords: false` (Kafka's flag of the same name): the runtime writes the records but
 * does not replay them; the operation applies what they say itself, in `onDurable`, and
 * compensates in `onWriteFailed`. Kafka does this for classic-group membership metadata,
 * because a ClassicGroup carries transient state no record describes (parked JoinGroup/
 * SyncGroup responses, pending members, timers) that replaying a GroupMetadata record would
 * throw away. Timeline collections changed while such an operation decided are still reverted
 * if its write fails.
 */
import type { SnapshotRegistry } from './snapshot-registry.js';

export interface CoordinatorResult<T, R> {
  records: R[];
  /** May be a promise: a parked response (JoinGroup) completes when a later operation says so. */
  response: T | Promise<T>;
  /** Default true: replay `records` into the shard before they are written. */
  replayRecords?: boolean;
  /** Runs once the records are durable (also when there are none). */
  onDurable?: () => void;
  /**
   * Runs when the write failed, after the runtime reverted the shard to its state before the
   * operation; what it returns is the operation's answer. `errorCode` is Kafka's coordinator
   * mapping of the append error (coordinatorErrorFor), `appendErrorCode` the raw one. Without
   * it the operation's promise rejects with the writer's error.
   */
  onWriteFailed?: (errorCode: number, appendErrorCode: number) => T;
}

export function immediate<T, R>(response: T): CoordinatorResult<T, R> {
  return { records: [], response };
}

/**
 * Several void results of one operation as one: records in order, every onDurable and
 * onWriteFailed. They must agree on replayRecords.
 */
export function combineResults<R>(results: CoordinatorResult<void, R>[]): CoordinatorResult<void, R> {
  const withRecords = results.filter((r) => r.records.length > 0);
  const replay = withRecords.length === 0 ? true : (withRecords[0]!.replayRecords ?? true);
  if (withRecords.some((r) => (r.replayRecords ?? true) !== replay)) throw new Error('combineResults: results disagree on replayRecords');
  return {
    records: results.flatMap((r) => r.records),
    response: undefined,
    replayRecords: replay,
    onDurable: () => { for (const r of results) r.onDurable?.(); },
    onWriteFailed: (code, appendErrorCode) => { for (const r of results) r.onWriteFailed?.(code, appendErrorCode); },
  };
}

/** A transaction's outcome, as its COMMIT/ABORT control record says (Kafka's TransactionResult). */
export type TransactionResult = 'COMMIT' | 'ABORT';

/** Kafka's RecordBatch.NO_PRODUCER_ID / NO_PRODUCER_EPOCH: a record written outside a transaction. */
export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;

/** The producer a transactional write is made for. */
export interface TransactionalProducer {
  producerId: number;
  producerEpoch: number;
}

export interface CoordinatorShard<R> {
  /**
   * Applies one record to the durable state (load, and operations with replayRecords). A record
   * of a transactional batch comes with its batch's producer id and epoch; any other with -1.
   */
  replay(record: R, producerId: number, producerEpoch: number): void;
  /**
   * A COMMIT or ABORT marker of `producerId` reached this partition: its pending transactional
   * records become durable state or are dropped. Optional: shards without transactional
   * records ignore markers.
   */
  replayEndTransactionMarker?(producerId: number, producerEpoch: number, result: TransactionResult): void;
  /** Runs first once the partition is loaded (re-arm timers, ...), through the queue. */
  onLoaded(): CoordinatorResult<void, R>;
  /** The partition was unloaded: answer what is parked (the runtime cancels the timers). */
  onUnloaded(): void;
}

/**
 * A shard's timers. Scheduling a key that exists replaces it; a cancelled or replaced timer
 * never runs, even if it had already fired and was waiting in the queue. The operation runs
 * through the shard's queue like a request.
 */
export interface CoordinatorTimer<R> {
  schedule(key: string, delayMs: number, operation: () => CoordinatorResult<void, R>): void;
  cancel(key: string): void;
}

/** What a shard factory is given for one partition. */
export interface ShardContext<R> {
  partition: number;
  timer: CoordinatorTimer<R>;
  snapshotRegistry: SnapshotRegistry;
  /** The partition's current leader epoch (Kafka's coordinator epoch); it may grow while loaded. */
  leaderEpoch(): number;
}

/** Appends one encoded batch to the partition as its leader, durably; resolves with the last offset. */
export interface PartitionWriter {
  append(partition: number, records: Buffer): Promise<number>;
}

/**
 * Reads a partition from its log start up to its high watermark and hands over its record
 * batches in offset order: each buffer holds one or more whole v2 batches, control batches
 * included (the runtime replays COMMIT/ABORT markers and passes transactional batches' producer
 * ids to the shard).
 */
export interface CoordinatorLoader {
  load(partition: number, onBatches: (batches: Buffer) => void): Promise<void>;
}

/** Between a shard's records and the bytes of the internal topic. */
export interface RecordSerde<R> {
  serialize(record: R): { key: Buffer; value: Buffer | null };
  /** null: a record type this shard does not manage (skipped). Throws on corrupt bytes. */
  deserialize(key: Buffer, value: Buffer | null): R | null;
}
