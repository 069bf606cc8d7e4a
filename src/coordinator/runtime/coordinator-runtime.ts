/**
 * Runs coordinator shards, one per partition of an internal topic, generic over the shard type
 * S and its record type R (apache/kafka coordinator-common `CoordinatorRuntime`, reduced to one
 * event loop: Node's).
 *
 * Leadership: `onElection(partition, leaderEpoch)` loads the partition — a fresh shard from the
 * factory replays the partition's records (through the injected CoordinatorLoader, up to the
 * high watermark), then the shard becomes active and its `onLoaded()` runs as the first queued
 * operation. `onResignation(partition, leaderEpoch)` unloads it: its timers are cancelled, its
 * queued operations fail with NOT_COORDINATOR and the shard's `onUnloaded()` answers what it
 * has parked. An epoch older than the newest one seen for the partition is ignored. A failed
 * load is tried again after `loadRetryBackoffMs` while the partition stays elected (Kafka
 * waits for the next election; a single broker has none).
 *
 * Operations: until a partition is loaded its operations fail with COORDINATOR_LOAD_IN_PROGRESS;
 * for a partition not led here (never elected, resigned, or a failed load) with NOT_COORDINATOR.
 * Each shard runs its operations one at a time, in arrival order, through its own queue:
 *
 *   decide (op(shard), synchronous) → replay the records into the shard under a snapshot
 *   → write them (one batch, to this partition only, through the PartitionWriter)
 *   → success: keep the state, onDurable(), answer the response
 *   → failure: revert the shard to the snapshot, onWriteFailed() or reject
 *
 * and the next operation decides only after that. So every decision sees every earlier
 * decision of its shard and nothing that is not durable, and a failed write leaves the shard
 * exactly as it was before the operation (the timeline collections' undo log). Reads go through
 * the same queue, so they too see only durable state. An operation with no records completes
 * synchronously: when the queue is idle it runs inside the caller's call (as the timers of a
 * ManualClock do), which keeps time-driven tests deterministic.
 *
 * Transactional writes (Kafka 4's CoordinatorRuntime.scheduleTransactionalWriteOperation /
 * scheduleTransactionCompletion): a transactional operation's records are written as one
 * transactional batch with the producer's id and epoch (base sequence 0, as Kafka writes them)
 * and replayed with them; a transaction completion replays the COMMIT/ABORT marker into the
 * shard under a snapshot and writes it as a control batch carrying the transaction
 * coordinator's epoch. At load, control batches replay their marker and data records of
 * transactional batches replay with their producer id, so the shard ends in the same state.
 *
 * Timers are per shard (injected Clock), run their operation through the queue, and are
 * cancelled on unload; a timer cancelled or replaced after it fired never runs.
 */
import type { Clock, TimerHandle } from '../../base/clock.js';
import type { Logger } from '../../base/logger.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { isControlBatch, ATTR_TRANSACTIONAL } from '../../protocol/record-batch.js';
import { ControlRecordType, decodeBatches, decodeControlRecord, encodeBatch } from '../../protocol/records.js';
import { appendErrorFor, coordinatorErrorFor, CoordinatorError } from './coordinator-errors.js';
import {
  NO_PRODUCER_EPOCH, NO_PRODUCER_ID,
  type CoordinatorLoader, type CoordinatorResult, type CoordinatorShard, type CoordinatorTimer, type PartitionWriter, type RecordSerde,
  type ShardContext, type TransactionalProducer, type TransactionResult,
} from './coordinator-shard.js';
import { SnapshotRegistry } from './snapshot-registry.js';

export interface CoordinatorRuntimeOptions<S extends CoordinatorShard<R>, R> {
  /** The internal topic, for log lines and error messages (e.g. `__consumer_offsets`). */
  topic: string;
  clock: Clock;
  logger: Logger;
  writer: PartitionWriter;
  loader: CoordinatorLoader;
  serde: RecordSerde<R>;
  shardFactory: (context: ShardContext<R>) => S;
  /** How soon a failed load is tried again while the partition is still elected (default 1 s). */
  loadRetryBackoffMs?: number;
}

/** Node timers overflow above 2^31-1 ms and would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

type ShardState = 'loading' | 'active' | 'failed' | 'closed';

/** What a transaction completion writes: the marker of `producerId`'s transaction. */
export interface TransactionCompletion {
  producerId: number;
  producerEpoch: number;
  /** The transaction coordinator's epoch, carried in the marker's value. */
  coordinatorEpoch: number;
  result: TransactionResult;
}

/** An operation's answer, boxed so that a parked (promise) response does not hold the queue. */
interface Answer<T> {
  response: T | Promise<T>;
}

interface Task {
  name: string;
  run(): Answer<unknown> | Promise<Answer<unknown>>;
  resolve(answer: Answer<unknown>): void;
  reject(err: unknown): void;
}

interface TimerEntry {
  handle: TimerHandle | null;
}

class PartitionContext<S> {
  state: ShardState = 'loading';
  shard: S | null = null;
  registry = new SnapshotRegistry();
  readonly timers = new Map<string, TimerEntry>();
  readonly queue: Task[] = [];
  running = false;
  retry: TimerHandle | null = null;
  readonly loadWaiters: ((loaded: boolean) => void)[] = [];

  constructor(readonly partition: number, public epoch: number) {}

  settleLoad(loaded: boolean): void {
    for (const resolve of this.loadWaiters.splice(0)) resolve(loaded);
  }
}

export class CoordinatorRuntime<S extends CoordinatorShard<R>, R> {
  private readonly contexts = new Map<number, PartitionContext<S>>();
  /** The newest leader epoch seen per partition (elections and resignations). */
  private readonly epochs = new Map<number, number>();
  private closed = false;
  private readonly loadRetryBackoffMs: number;

  constructor(private readonly options: CoordinatorRuntimeOptions<S, R>) {
    this.loadRetryBackoffMs = options.loadRetryBackoffMs ?? 1000;
  }

  // ---- leadership --------------------------------------------------------------------------

  onElection(partition: number, leaderEpoch: number): void {
    if (this.closed || this.isStaleEpoch(partition, leaderEpoch, 'election')) return;
    this.epochs.set(partition, leaderEpoch);
    const existing = this.contexts.get(partition);
    if (existing !== undefined) {
      // Still leader (a newer epoch without a resignation in between): keep the loaded state.
      existing.epoch = leaderEpoch;
      if (existing.state === 'failed') this.load(existing);
      return;
    }
    const context = new PartitionContext<S>(partition, leaderEpoch);
    this.contexts.set(partition, context);
    this.load(context);
  }

  onResignation(partition: number, leaderEpoch: number): void {
    if (this.isStaleEpoch(partition, leaderEpoch, 'resignation')) return;
    this.epochs.set(partition, leaderEpoch);
    const context = this.contexts.get(partition);
    if (context !== undefined) this.unload(context);
  }

  private isStaleEpoch(partition: number, leaderEpoch: number, what: string): boolean {
    const newest = this.epochs.get(partition);
    if (newest === undefined || leaderEpoch >= newest) return false;
    this.options.logger.info(`ignoring ${what} of ${this.options.topic}-${partition}: leader epoch ${leaderEpoch} is older than ${newest}`);
    return true;
  }

  private load(context: PartitionContext<S>): void {
    const { partition } = context;
    context.state = 'loading';
    context.registry = new SnapshotRegistry();
    const shard = this.options.shardFactory({
      partition, timer: this.timerFor(context), snapshotRegistry: context.registry, leaderEpoch: () => context.epoch,
    });
    const startedMs = this.options.clock.monotonicMs();
    let replayed = 0;
    const onBatches = (buf: Buffer) => {
      if (context.state !== 'loading') return;
      for (const batch of decodeBatches(buf)) {
        const { attributes, producerId, producerEpoch } = batch.header;
        if (isControlBatch(attributes)) {
          this.replayMarkers(shard, partition, batch.records, producerId, producerEpoch);
          continue;
        }
        const transactional = (attributes & ATTR_TRANSACTIONAL) !== 0;
        for (const rec of batch.records) {
          if (rec.key === null) continue;
          let record: R | null;
          try {
            record = this.options.serde.deserialize(rec.key, rec.value);
          } catch (err) {
            this.options.logger.warn(`skipping unreadable ${this.options.topic} record`, { partition, error: String(err) });
            continue;
          }
          if (record === null) continue;
          shard.replay(record, transactional ? producerId : NO_PRODUCER_ID, transactional ? producerEpoch : NO_PRODUCER_EPOCH);
          replayed++;
        }
      }
    };
    let loading: Promise<void>;
    try {
      loading = this.options.loader.load(partition, onBatches);
    } catch (err) {
      loading = Promise.reject(err);
    }
    void loading.then(
      () => {
        if (this.contexts.get(partition) !== context || context.state !== 'loading') return;
        context.shard = shard;
        context.state = 'active';
        const elapsedMs = Math.round(this.options.clock.monotonicMs() - startedMs);
        if (replayed > 0) this.options.logger.info(`loaded ${this.options.topic}-${partition}`, { records: replayed, elapsedMs, leaderEpoch: context.epoch });
        context.settleLoad(true);
        this.enqueue(context, 'on-loaded', () => this.executeWrite(context, 'on-loaded', (s) => s.onLoaded(), null))
          .catch((err: unknown) => this.options.logger.error(`${this.options.topic}-${partition} onLoaded failed`, { error: String(err) }));
      },
      (err: unknown) => {
        if (this.contexts.get(partition) !== context || context.state !== 'loading') return;
        context.state = 'failed';
        this.cancelTimers(context);
        this.options.logger.error(`loading ${this.options.topic}-${partition} failed; retrying in ${this.loadRetryBackoffMs} ms`, { error: String(err) });
        context.settleLoad(false);
        context.retry = this.options.clock.schedule(this.loadRetryBackoffMs, () => {
          context.retry = null;
          if (this.contexts.get(partition) === context && context.state === 'failed') this.load(context);
        });
      },
    );
  }

  /** The COMMIT/ABORT markers of a control batch met while loading (other control records are skipped). */
  private replayMarkers(shard: S, partition: number, records: { key: Buffer | null; value: Buffer | null }[], producerId: number, producerEpoch: number): void {
    for (const rec of records) {
      let type: ControlRecordType;
      try {
        type = decodeControlRecord(rec).type;
      } catch (err) {
        this.options.logger.warn(`skipping an unknown control record in ${this.options.topic}-${partition}`, { error: String(err) });
        continue;
      }
      shard.replayEndTransactionMarker?.(producerId, producerEpoch, type === ControlRecordType.Commit ? 'COMMIT' : 'ABORT');
    }
  }

  private unload(context: PartitionContext<S>): void {
    const wasActive = context.state === 'active';
    context.state = 'closed';
    this.contexts.delete(context.partition);
    context.retry?.cancel();
    context.retry = null;
    this.cancelTimers(context);
    const error = new CoordinatorError(ErrorCode.NOT_COORDINATOR, `${this.options.topic}-${context.partition} was unloaded`);
    for (const task of context.queue.splice(0)) task.reject(error);
    context.settleLoad(false);
    if (wasActive) {
      try {
        context.shard!.onUnloaded();
      } catch (err) {
        this.options.logger.error(`${this.options.topic}-${context.partition} onUnloaded failed`, { error: String(err) });
      }
    }
  }

  /** Unloads every partition; nothing is loaded or run afterwards. */
  close(): void {
    this.closed = true;
    for (const context of [...this.contexts.values()]) this.unload(context);
  }

  // ---- state -------------------------------------------------------------------------------

  /** Partitions elected here (loading, loaded or failed to load). */
  partitions(): number[] {
    return [...this.contexts.keys()].sort((a, b) => a - b);
  }

  /** The newest leader epoch seen for a partition elected here, or undefined. */
  leaderEpoch(partition: number): number | undefined {
    return this.contexts.get(partition)?.epoch;
  }

  isActive(partition: number): boolean {
    return this.contexts.get(partition)?.state === 'active';
  }

  /** Resolves true once the partition is loaded, false if its load fails or it is unloaded first. */
  awaitLoaded(partition: number): Promise<boolean> {
    const context = this.contexts.get(partition);
    if (context === undefined || context.state === 'failed') return Promise.resolve(false);
    if (context.state === 'active') return Promise.resolve(true);
    return new Promise<boolean>((resolve) => context.loadWaiters.push(resolve));
  }

  /**
   * The loaded shard itself, for tests and diagnostics. Reading it directly bypasses the queue:
   * it may show records of an operation whose write has not completed.
   */
  activeShard(partition: number): S | undefined {
    const context = this.contexts.get(partition);
    return context?.state === 'active' ? context.shard! : undefined;
  }

  // ---- operations --------------------------------------------------------------------------

  scheduleWriteOperation<T>(name: string, partition: number, op: (shard: S) => CoordinatorResult<T, R>): Promise<T> {
    const context = this.contextFor(partition);
    if (context instanceof CoordinatorError) return Promise.reject(context);
    return this.enqueue(context, name, () => this.executeWrite(context, name, op, null));
  }

  /**
   * A write whose records form one transactional batch of `producer` (Kafka's TxnOffsetCommit):
   * replayed with its producer id, they stay pending in the shard until the transaction's
   * marker reaches the partition.
   */
  scheduleTransactionalWriteOperation<T>(name: string, partition: number, producer: TransactionalProducer, op: (shard: S) => CoordinatorResult<T, R>): Promise<T> {
    const context = this.contextFor(partition);
    if (context instanceof CoordinatorError) return Promise.reject(context);
    return this.enqueue(context, name, () => this.executeWrite(context, name, op, producer));
  }

  /**
   * Writes a transaction's COMMIT/ABORT marker to the partition (a control batch) after
   * replaying it into the shard; a failed write reverts the shard and rejects with the
   * writer's error.
   */
  scheduleTransactionCompletion(name: string, partition: number, completion: TransactionCompletion): Promise<void> {
    const context = this.contextFor(partition);
    if (context instanceof CoordinatorError) return Promise.reject(context);
    return this.enqueue(context, name, () => this.executeCompletion(context, name, completion));
  }

  scheduleReadOperation<T>(name: string, partition: number, op: (shard: S) => T): Promise<T> {
    const context = this.contextFor(partition);
    if (context instanceof CoordinatorError) return Promise.reject(context);
    return this.enqueue(context, name, () => ({ response: op(context.shard!) }));
  }

  private contextFor(partition: number): PartitionContext<S> | CoordinatorError {
    const context = this.contexts.get(partition);
    const where = `${this.options.topic}-${partition}`;
    if (context === undefined || context.state === 'failed' || context.state === 'closed') {
      return new CoordinatorError(ErrorCode.NOT_COORDINATOR, `This broker is not the coordinator of ${where}`);
    }
    if (context.state === 'loading') return new CoordinatorError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, `${where} is loading`);
    return context;
  }

  private enqueue<T>(context: PartitionContext<S>, name: string, run: () => Answer<T> | Promise<Answer<T>>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      context.queue.push({ name, run, resolve: (answer) => resolve(answer.response as T | Promise<T>), reject });
      this.drain(context);
    });
  }

  /**
   * Runs queued tasks in order. Synchronous ones (no write) complete in this call; at a write
   * the loop stops and resumes when the write settles, so nothing overtakes it.
   */
  private drain(context: PartitionContext<S>): void {
    if (context.running) return;
    context.running = true;
    while (context.queue.length > 0 && context.state === 'active') {
      const task = context.queue.shift()!;
      let out: Answer<unknown> | Promise<Answer<unknown>>;
      try {
        out = task.run();
      } catch (err) {
        task.reject(err);
        continue;
      }
      if (out instanceof Promise) {
        void out.then(task.resolve, task.reject).finally(() => {
          context.running = false;
          this.drain(context);
        });
        return;
      }
      task.resolve(out);
    }
    context.running = false;
  }

  private executeWrite<T>(
    context: PartitionContext<S>, name: string, op: (shard: S) => CoordinatorResult<T, R>, producer: TransactionalProducer | null,
  ): Answer<T> | Promise<Answer<T>> {
    const shard = context.shard!;
    const registry = context.registry;
    const snapshot = registry.createSnapshot();
    const producerId = producer?.producerId ?? NO_PRODUCER_ID;
    const producerEpoch = producer?.producerEpoch ?? NO_PRODUCER_EPOCH;
    let result: CoordinatorResult<T, R>;
    let batch: Buffer | null = null;
    try {
      result = op(shard);
      if (result.records.length > 0) {
        if (result.replayRecords !== false) for (const record of result.records) shard.replay(record, producerId, producerEpoch);
        const records = result.records.map((r) => this.options.serde.serialize(r));
        batch = producer === null
          ? encodeBatch({ timestamp: this.options.clock.now(), records })
          : encodeBatch({ timestamp: this.options.clock.now(), records, producerId, producerEpoch, baseSequence: 0, transactional: true });
      }
    } catch (err) {
      registry.revertToSnapshot(snapshot);
      throw err;
    }
    if (batch === null) {
      registry.deleteSnapshot(snapshot);
      result.onDurable?.();
      return { response: result.response };
    }
    return this.write(context, batch).then(
      () => {
        if (context.state !== 'active') throw this.unloadedDuring(context, name);
        registry.deleteSnapshot(snapshot);
        result.onDurable?.();
        return { response: result.response };
      },
      (err: unknown) => {
        if (context.state !== 'active') throw this.unloadedDuring(context, name);
        registry.revertToSnapshot(snapshot);
        const errorCode = coordinatorErrorFor(err);
        this.options.logger.warn(`${this.options.topic}-${context.partition} write failed`, { operation: name, error: String(err), errorCode });
        if (result.onWriteFailed === undefined) throw err;
        return { response: result.onWriteFailed(errorCode, appendErrorFor(err)) };
      },
    );
  }

  private executeCompletion(context: PartitionContext<S>, name: string, c: TransactionCompletion): Promise<Answer<void>> {
    const shard = context.shard!;
    const registry = context.registry;
    const snapshot = registry.createSnapshot();
    let batch: Buffer;
    try {
      shard.replayEndTransactionMarker?.(c.producerId, c.producerEpoch, c.result);
      batch = encodeBatch({
        timestamp: this.options.clock.now(), records: [], producerId: c.producerId, producerEpoch: c.producerEpoch, transactional: true,
        control: { type: c.result === 'COMMIT' ? ControlRecordType.Commit : ControlRecordType.Abort, coordinatorEpoch: c.coordinatorEpoch },
      });
    } catch (err) {
      registry.revertToSnapshot(snapshot);
      return Promise.reject(err);
    }
    return this.write(context, batch).then(
      () => {
        if (context.state !== 'active') throw this.unloadedDuring(context, name);
        registry.deleteSnapshot(snapshot);
        return { response: undefined };
      },
      (err: unknown) => {
        if (context.state !== 'active') throw this.unloadedDuring(context, name);
        registry.revertToSnapshot(snapshot);
        this.options.logger.warn(`${this.options.topic}-${context.partition} marker write failed`, { operation: name, error: String(err) });
        throw err;
      },
    );
  }

  /** One batch to the shard's partition; a synchronous throw becomes a rejection. */
  private write(context: PartitionContext<S>, batch: Buffer): Promise<number> {
    try {
      return this.options.writer.append(context.partition, batch);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private unloadedDuring(context: PartitionContext<S>, name: string): CoordinatorError {
    return new CoordinatorError(ErrorCode.NOT_COORDINATOR, `${this.options.topic}-${context.partition} was unloaded during ${name}`);
  }

  // ---- timers ------------------------------------------------------------------------------

  private timerFor(context: PartitionContext<S>): CoordinatorTimer<R> {
    return {
      schedule: (key, delayMs, operation) => {
        this.cancelTimer(context, key);
        if (context.state === 'closed' || context.state === 'failed') return;
        const entry: TimerEntry = { handle: null };
        entry.handle = this.options.clock.schedule(Math.max(0, Math.min(delayMs, MAX_TIMER_MS)), () => {
          if (context.timers.get(key) !== entry || context.state !== 'active') return;
          this.enqueue(context, `timer ${key}`, () => this.executeWrite(context, `timer ${key}`, () => {
            // Cancelled or replaced while it waited in the queue: it does not run.
            if (context.timers.get(key) !== entry) return { records: [], response: undefined };
            context.timers.delete(key);
            return operation();
          }, null)).catch((err: unknown) => this.options.logger.error(`${this.options.topic}-${context.partition} timer failed`, { key, error: String(err) }));
        });
        context.timers.set(key, entry);
      },
      cancel: (key) => this.cancelTimer(context, key),
    };
  }

  private cancelTimer(context: PartitionContext<S>, key: string): void {
    const entry = context.timers.get(key);
    if (entry === undefined) return;
    entry.handle?.cancel();
    context.timers.delete(key);
  }

  private cancelTimers(context: PartitionContext<S>): void {
    for (const entry of context.timers.values()) entry.handle?.cancel();
    context.timers.clear();
  }
}
