/**
 * Drives a GroupCoordinator: runs its operations (requests and timers) so that records are
 * durable before effects apply and responses leave (apache/kafka `CoordinatorRuntime`).
 *
 * - Writes go through a PartitionWriter, one batch per operation and partition. Each
 *   partition's appends are chained, so they reach the log in the order operations decided
 *   them, and onDurable callbacks run in that order too.
 * - Timers use the injected Clock; a timer's operation goes through the same path.
 * - A failed write maps to Kafka's coordinator error codes (NOT_COORDINATOR,
 *   COORDINATOR_NOT_AVAILABLE, ...) and is handed to the operation's onWriteFailed, which
 *   leaves the state as it was (result.ts, "All or nothing").
 */
import type { Clock, TimerHandle } from '../../base/clock.js';
import type { Logger } from '../../base/logger.js';
import type { Random } from '../../base/random.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { encodeBatch } from '../../protocol/records.js';
import { GroupCoordinator } from './group-coordinator.js';
import { expireOffsets } from './offsets.js';
import type { GroupRecord } from './records.js';
import type { CoordinatorResult, CoordinatorTimer, GroupCoordinatorConfig, PartitionWriter } from './result.js';

/** What a PartitionWriter throws when an append fails with a Kafka error code. */
export class CoordinatorWriteError extends Error {
  constructor(readonly errorCode: number, message: string) {
    super(message);
    this.name = 'CoordinatorWriteError';
  }
}

/**
 * Kafka's mapping of a failed coordinator write to the error the request answers
 * (GroupCoordinatorService.normalizeException): unavailable partition or replicas and timeouts
 * → COORDINATOR_NOT_AVAILABLE, a lost leadership or a storage error → NOT_COORDINATOR, a batch
 * too large → UNKNOWN_SERVER_ERROR; any other Kafka error is answered as it is, and anything
 * that is not a Kafka error is UNKNOWN_SERVER_ERROR.
 */
export function coordinatorErrorFor(err: unknown): number {
  const code = err instanceof CoordinatorWriteError ? err.errorCode : ErrorCode.UNKNOWN_SERVER_ERROR;
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return code;
  }
}

export interface CoordinatorRuntimeOptions {
  config: GroupCoordinatorConfig;
  clock: Clock;
  random: Random;
  writer: PartitionWriter;
  logger?: Logger;
}

export class GroupCoordinatorRuntime implements CoordinatorTimer {
  readonly coordinator: GroupCoordinator;
  private readonly clock: Clock;
  private readonly writer: PartitionWriter;
  private readonly logger: Logger | undefined;
  private readonly timers = new Map<string, TimerHandle>();
  private readonly tails = new Map<number, Promise<unknown>>();
  private closed = false;

  constructor(options: CoordinatorRuntimeOptions) {
    this.clock = options.clock;
    this.writer = options.writer;
    this.logger = options.logger;
    this.coordinator = new GroupCoordinator(options.config, options.clock, this, options.random);
  }

  /** After replay: re-arm session timers (and rebalance groups over capacity), start offset expiration. */
  start(): void {
    this.run(this.coordinator.onLoaded()).catch((err: unknown) => this.logger?.error('group coordinator load actions failed', { error: String(err) }));
    this.scheduleOffsetExpiration();
  }

  private scheduleOffsetExpiration(): void {
    this.schedule('expire-offsets', this.coordinator.config.offsetsRetentionCheckIntervalMs, () => {
      this.scheduleOffsetExpiration();
      return expireOffsets(this.coordinator);
    });
  }

  schedule(key: string, delayMs: number, operation: () => CoordinatorResult<void>): void {
    this.cancel(key);
    if (this.closed) return;
    const handle = this.clock.schedule(delayMs, () => {
      if (this.timers.get(key) !== handle) return;
      this.timers.delete(key);
      if (this.closed) return;
      this.run(operation()).catch((err: unknown) => this.logger?.error('group coordinator timer failed', { key, error: String(err) }));
    });
    this.timers.set(key, handle);
  }

  execute(operation: () => CoordinatorResult<void>): void {
    if (this.closed) return;
    this.run(operation()).catch((err: unknown) => this.logger?.error('group coordinator operation failed', { error: String(err) }));
  }

  cancel(key: string): void {
    const handle = this.timers.get(key);
    if (handle === undefined) return;
    handle.cancel();
    this.timers.delete(key);
  }

  /** Writes the operation's records, applies its effects, then yields its response. */
  async run<T>(result: CoordinatorResult<T>): Promise<T> {
    if (result.records.length > 0) {
      try {
        await this.write(result.records);
      } catch (err) {
        const code = coordinatorErrorFor(err);
        const appendErrorCode = err instanceof CoordinatorWriteError ? err.errorCode : ErrorCode.UNKNOWN_SERVER_ERROR;
        this.logger?.warn('group coordinator write failed', { error: String(err), errorCode: code });
        if (result.onWriteFailed !== undefined) return result.onWriteFailed(code, appendErrorCode);
        throw err;
      }
    }
    result.onDurable?.();
    return await result.response;
  }

  private async write(records: GroupRecord[]): Promise<void> {
    const byPartition = new Map<number, GroupRecord[]>();
    for (const r of records) {
      let list = byPartition.get(r.partition);
      if (list === undefined) byPartition.set(r.partition, (list = []));
      list.push(r);
    }
    const now = this.clock.now();
    const writes: Promise<unknown>[] = [];
    for (const [partition, list] of byPartition) {
      const batch = encodeBatch({ timestamp: now, records: list.map((r) => ({ key: r.key, value: r.value })) });
      const previous = this.tails.get(partition) ?? Promise.resolve();
      const next = previous.catch(() => undefined).then(() => this.writer.append(partition, batch));
      this.tails.set(partition, next);
      void next.catch(() => undefined).then(() => { if (this.tails.get(partition) === next) this.tails.delete(partition); });
      writes.push(next);
    }
    await Promise.all(writes);
  }

  close(): void {
    this.closed = true;
    for (const handle of this.timers.values()) handle.cancel();
    this.timers.clear();
  }
}
