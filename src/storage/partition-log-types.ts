/**
 * The types around a partition log (partition-log.ts): what opening one takes, what an append
 * answers, the hooks its LogManager passes in, and the error an append raises when leadership
 * moved while it waited in the queue.
 */
import type { Clock } from '../base/clock.js';
import type { FileSystem } from '../base/file-system.js';
import type { Logger } from '../base/logger.js';
import { BrokerError } from '../base/errors.js';
import type { LogConfig } from './log-config.js';
import type { PartitionLog } from './partition-log.js';
import type { ProducerStateManagerConfig } from './producer-state-manager.js';

export const LEADER_EPOCH_CHECKPOINT = 'leader-epoch-checkpoint';

/**
 * An append found, inside the log's queue, that the leader epoch it was started under is no
 * longer current (the caller's `isCurrent` check): nothing was written.
 */
export class NotLeaderForEpochError extends BrokerError {
  constructor(message: string) {
    super('SHERWOOD_STORAGE', message);
    this.name = 'NotLeaderForEpochError';
  }
}

export interface AppendResult {
  firstOffset: number;
  lastOffset: number;
  /**
   * The LogAppendTime stamped on the batches, or -1 for CreateTime topics. For a duplicate,
   * the original batch's stored maxTimestamp, whatever the timestamp type (as Kafka answers).
   */
  logAppendTimeMs: number;
  logStartOffset: number;
  /** True when a client retry matched a cached batch: the offsets are the original ones, nothing was written. */
  duplicate: boolean;
}

/** Hooks the LogManager passes in to persist per-dir checkpoints. */
export interface PartitionLogHooks {
  /** Called after logStartOffset moved; resolves once it is durable. */
  logStartOffsetChanged?(log: PartitionLog): Promise<void>;
  /** Called once when the log goes offline after an I/O failure (Kafka's LogDirFailureChannel). */
  wentOffline?(log: PartitionLog, err: Error): void;
}

export interface PartitionLogOptions {
  fs: FileSystem;
  dir: string;
  topic: string;
  partition: number;
  config: LogConfig;
  clock: Clock;
  logger: Logger;
  /** The log start offset checkpointed last time (0 when none). */
  logStartOffset?: number;
  /** Offsets below this were fsynced with their indexes; segments from here on are scanned. */
  recoveryPoint?: number;
  /** Compaction progress checkpointed last time (0 when none). */
  firstDirtyOffset?: number;
  /** True when the directory had a clean-shutdown marker: nothing needs scanning. */
  cleanShutdown?: boolean;
  hooks?: PartitionLogHooks;
  /** producer.id.expiration.ms and friends (read on use); Kafka's defaults when absent. */
  producerStateConfig?: ProducerStateManagerConfig;
}
