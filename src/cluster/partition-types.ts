/**
 * The shapes the partition layer speaks: the metadata's view of a partition (PartitionState),
 * the topic settings it applies (PartitionConfig), and the results of appends, reads and
 * offset lookups, with Kafka error codes as data.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import type { RecordError, ValidationConfig } from './log-validator.js';

/** What the metadata says about a partition (KRaft's PartitionRegistration). */
export interface PartitionState {
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  /** -1 when the partition has no leader. */
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
}

/** The topic settings the partition applies, resolved by the ReplicaManager. */
export interface PartitionConfig {
  readonly validation: ValidationConfig;
  /** min.insync.replicas */
  readonly minInsyncReplicas: number;
  /** Internal topics accept appends only from the broker itself (coordinators). */
  readonly isInternal: boolean;
  /** replica.lag.time.max.ms */
  readonly replicaLagTimeMaxMs: number;
}

export type StopReason = 'deleted' | 'shutdown';

export interface LeaderAppendResult {
  errorCode: number;
  errorMessage: string | null;
  baseOffset: number;
  lastOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
  recordErrors: RecordError[];
}

export function failedAppend(errorCode: number, errorMessage: string | null, recordErrors: RecordError[] = [], logStartOffset = -1): LeaderAppendResult {
  return { errorCode, errorMessage, baseOffset: -1, lastOffset: -1, logAppendTimeMs: -1, logStartOffset, recordErrors };
}

/** ListOffsets' special timestamps. */
export const ListOffsetsTimestamp = {
  LATEST: -1,
  EARLIEST: -2,
  MAX_TIMESTAMP: -3,
  EARLIEST_LOCAL: -4,
  LATEST_TIERED: -5,
} as const;

export interface PartitionFetchRequest {
  fetchOffset: number;
  maxBytes: number;
  /** -1 when the fetcher does not know the leader epoch. */
  currentLeaderEpoch: number;
  /** 0 read_uncommitted, 1 read_committed (consumers only). */
  isolationLevel: number;
  /** KIP-74: return the first batch even if it is larger than maxBytes. */
  minOneMessage: boolean;
  /** -1 for consumers; a follower's broker id. */
  replicaId: number;
  /** Follower fetches (v12+): the epoch of the last batch it has, -1 when unknown. */
  lastFetchedEpoch: number;
  /** Follower fetches: its log start offset. */
  followerLogStartOffset: number;
}

export interface PartitionReadResult {
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  logEndOffset: number;
  /** For a follower whose log diverged: where our log has its last fetched epoch end. */
  divergingEpoch: { epoch: number; endOffset: number } | null;
  records: Buffer;
  /**
   * read_committed consumer fetches: the aborted transactions overlapping the records returned
   * (Kafka's FetchResponse abortedTransactions), by marker order; null otherwise.
   */
  abortedTransactions: AbortedTransaction[] | null;
}

/** A transaction a read_committed consumer must drop: the producer's records from firstOffset up to its ABORT marker. */
export interface AbortedTransaction {
  producerId: number;
  firstOffset: number;
}

export interface OffsetLookupResult {
  errorCode: number;
  offset: number;
  timestamp: number;
  leaderEpoch: number;
}

export const EMPTY: Buffer = Buffer.alloc(0);

export function readError(errorCode: number): PartitionReadResult {
  return { errorCode, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, logEndOffset: -1, divergingEpoch: null, records: EMPTY, abortedTransactions: null };
}

export function lookupResult(errorCode: number, offset = -1, timestamp = -1, leaderEpoch = -1): OffsetLookupResult {
  return { errorCode, offset, timestamp, leaderEpoch };
}

export const NOT_LEADER_MESSAGE = 'This server is not the leader for that topic-partition.';
export const UNKNOWN_MESSAGE = 'This server does not host this topic-partition.';

