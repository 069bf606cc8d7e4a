/**
 * What a coordinator operation returns, and the seams the coordinator is driven through.
 *
 * An operation decides synchronously and returns `{ records, response }`. The runtime appends
 * `records` to `__consumer_offsets`, then calls `onDurable()`, and only then sends `response`.
 * If the write fails it calls `onWriteFailed(errorCode)` and sends what that returns.
 * `response` may be a promise: a parked JoinGroup/SyncGroup resolves when another request or a
 * timer completes the rebalance.
 *
 * All or nothing (what apache/kafka gets from CoordinatorRuntime reverting its timeline
 * structures to the last committed snapshot): an operation that returns records must not
 * change the state those records describe before they are durable. It computes the new state
 * without applying it, and `onDurable` applies it after re-checking (generation, group
 * identity, member ids) that it still fits; `onWriteFailed` leaves the state as it was (beyond
 * what Kafka itself does on that failure, e.g. rebalancing after a failed SyncGroup write).
 * Transient bookkeeping that no record describes (parked requests, timers, pending-sync sets,
 * a deletion lock) may change at once.
 */
import type { GroupRecord } from './records.js';

export interface CoordinatorResult<T> {
  records: GroupRecord[];
  response: T | Promise<T>;
  onDurable?: () => void;
  /** errorCode is Kafka's coordinator mapping of the append error; appendErrorCode the raw one. */
  onWriteFailed?: (errorCode: number, appendErrorCode: number) => T;
}

export function immediate<T>(response: T, records: GroupRecord[] = []): CoordinatorResult<T> {
  return { records, response };
}

/**
 * Timers the coordinator schedules (session, rebalance and sync timeouts, the initial
 * rebalance delay, offset expiration). Scheduling a key that exists replaces it. The operation
 * runs through the same path as a request: its records are written before its effects apply.
 */
export interface CoordinatorTimer {
  schedule(key: string, delayMs: number, operation: () => CoordinatorResult<void>): void;
  cancel(key: string): void;
  /** Runs an operation now, through the same path (used to retry a request that had to wait). */
  execute(operation: () => CoordinatorResult<void>): void;
}

/** The writer the runtime appends encoded batches through (owner of the log decides durability). */
export interface PartitionWriter {
  append(partition: number, records: Buffer): Promise<number>;
}

/** Per-request facts the coordinator needs from the connection and header. */
export interface RequestInfo {
  apiVersion: number;
  clientId: string;
  /** As Kafka reports it: `/` + the client's address. */
  clientHost: string;
}

/** Kafka's broker settings for groups and offsets (names in comments). */
export interface GroupCoordinatorConfig {
  /** offsets.topic.num.partitions */
  offsetsTopicNumPartitions: number;
  /** group.min.session.timeout.ms */
  groupMinSessionTimeoutMs: number;
  /** group.max.session.timeout.ms */
  groupMaxSessionTimeoutMs: number;
  /** group.initial.rebalance.delay.ms */
  groupInitialRebalanceDelayMs: number;
  /** group.max.size */
  groupMaxSize: number;
  /**
   * How long a new member's first JoinGroup may stay parked (KIP-394). Kafka's
   * CLASSIC_GROUP_NEW_MEMBER_JOIN_TIMEOUT_MS, 5 minutes, which it does not expose as a setting;
   * here `group.new.member.join.timeout.ms` for tests.
   */
  groupNewMemberJoinTimeoutMs: number;
  /** offsets.retention.minutes, in ms */
  offsetsRetentionMs: number;
  /** offsets.retention.check.interval.ms */
  offsetsRetentionCheckIntervalMs: number;
  /** offset.metadata.max.bytes */
  offsetMetadataMaxBytes: number;
}

export const DEFAULT_GROUP_COORDINATOR_CONFIG: GroupCoordinatorConfig = {
  offsetsTopicNumPartitions: 50,
  groupMinSessionTimeoutMs: 6000,
  groupMaxSessionTimeoutMs: 1800000,
  groupInitialRebalanceDelayMs: 3000,
  groupMaxSize: 2147483647,
  groupNewMemberJoinTimeoutMs: 300000,
  offsetsRetentionMs: 10080 * 60 * 1000,
  offsetsRetentionCheckIntervalMs: 600000,
  offsetMetadataMaxBytes: 4096,
};
