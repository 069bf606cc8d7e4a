/**
 * ReplicaManager: the write and read paths of a partition leader, after Kafka's
 * ReplicaManager.appendRecords / readFromLocalLog.
 *
 * appendRecords validates the batches (./log-validator.ts, which decompresses every compressed
 * batch and re-encodes batches when the topic's compression.type asks for another codec),
 * appends them as leader, advances the high watermark (a single broker: the ISR is {self}, so
 * the high watermark follows the log end offset) and, for acks=-1, waits until the high
 * watermark covers the append or timeoutMs passes (REQUEST_TIMED_OUT). The wait is woken by
 * log.onHighWatermarkChange, never by polling; one timer per waiting append comes from the
 * injected clock. Kafka error codes are returned as data; only broken invariants throw.
 *
 * readFromLog is the per-partition read of Fetch: bounds (high watermark or last stable offset
 * by isolation level), leader-epoch fencing, OFFSET_OUT_OF_RANGE.
 *
 * A log can close under an await (its topic deleted, or the broker stopping). That is not a
 * storage failure: as Kafka's getPartitionOrException does, a partition the metadata no longer
 * names is UNKNOWN_TOPIC_OR_PARTITION and one still named (shutdown) is NOT_LEADER_OR_FOLLOWER,
 * both retriable, and nothing is logged at ERROR (closedLogError).
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { StorageError } from '../base/errors.js';
import type { Clock } from '../base/clock.js';
import type { Logger } from '../base/logger.js';
import type { PartitionLog } from '../storage/partition-log.js';
import { OffsetOutOfRangeError } from '../storage/partition-log.js';
import { parseCompressionType, validateRecords, type AppendOrigin, type RecordError, type ValidationConfig } from './log-validator.js';
import type { TopicManager } from './topic-manager.js';

/**
 * What the write path needs from the broker. The server's Broker satisfies it structurally;
 * the cluster layer never imports the server (docs/STYLE: imports flow one way).
 */
export interface ReplicaManagerContext {
  readonly topics: Pick<TopicManager, 'get' | 'configValue'>;
  /** Broker configuration (static, dynamic or default value); throws on an unknown name. */
  readonly config: { get(name: string): unknown };
  readonly clock: Clock;
  readonly logger: Pick<Logger, 'error'>;
}

export interface AppendOptions {
  /** 0, 1 or -1; anything else is INVALID_REQUIRED_ACKS. */
  acks: number;
  timeoutMs: number;
  /** Internal topics (__consumer_offsets, ...) accept appends only from the broker itself. */
  isInternal?: boolean;
  /** 'coordinator' skips the client-only checks (baseOffset 0, control batches). */
  origin?: AppendOrigin;
}

export interface PartitionAppendResult {
  errorCode: number;
  errorMessage: string | null;
  baseOffset: number;
  /** The offset of the last record appended, -1 on error. */
  lastOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
  recordErrors: RecordError[];
}

const LONG_MAX_MS = Number.MAX_SAFE_INTEGER;

export function isValidAcks(acks: number): boolean {
  return acks === 0 || acks === 1 || acks === -1;
}

function failed(errorCode: number, errorMessage: string | null, recordErrors: RecordError[] = [], logStartOffset = -1): PartitionAppendResult {
  return { errorCode, errorMessage, baseOffset: -1, lastOffset: -1, logAppendTimeMs: -1, logStartOffset, recordErrors };
}

/**
 * The Kafka error for an operation that met `log` closed (see the file header), or undefined
 * while the log is open (then a StorageError is a real disk failure: KAFKA_STORAGE_ERROR).
 */
export function closedLogError(log: PartitionLog, topics: Pick<TopicManager, 'get'> | undefined): number | undefined {
  if (!log.isClosed) return undefined;
  return topics !== undefined && topics.get(log.topic) !== undefined ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
}

const CLOSED_LOG_MESSAGE: Record<number, string> = {
  [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]: 'This server does not host this topic-partition.',
  [ErrorCode.NOT_LEADER_OR_FOLLOWER]: 'This server is not the leader for that topic-partition.',
};

/**
 * The leader epoch of a partition we lead. A single broker never changes leader: epoch 0, as
 * Metadata reports it (TopicManager). Replication will take it from the partition state.
 */
export function leaderEpochOf(_log: PartitionLog): number {
  return 0;
}

function longConfig(broker: ReplicaManagerContext, topicOverride: string | undefined, brokerName: string): number {
  let raw: unknown = topicOverride;
  if (raw === undefined) {
    try {
      raw = broker.config.get(brokerName);
    } catch {
      raw = undefined;
    }
  }
  if (raw === undefined || raw === null || raw === '') return LONG_MAX_MS;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? Math.min(n, LONG_MAX_MS) : LONG_MAX_MS;
}

/** The validator's settings for a partition: its LogConfig plus the timestamp bounds and compression.type. */
export function validationConfigFor(broker: ReplicaManagerContext, log: PartitionLog): ValidationConfig {
  const overrides = broker.topics.get(log.topic)?.configs ?? {};
  const c = log.config;
  return {
    maxMessageBytes: c.maxMessageBytes,
    segmentBytes: c.segmentBytes,
    compacted: c.cleanupPolicy.compact,
    timestampType: c.messageTimestampType,
    timestampBeforeMaxMs: longConfig(broker, overrides['message.timestamp.before.max.ms'], 'log.message.timestamp.before.max.ms'),
    timestampAfterMaxMs: longConfig(broker, overrides['message.timestamp.after.max.ms'], 'log.message.timestamp.after.max.ms'),
    // The topic's override, else the broker's (dynamic or static) compression.type.
    compressionType: parseCompressionType(broker.topics.configValue(log.topic, 'compression.type')),
  };
}

/**
 * Validates and appends `records` to `log` as leader; see the file header. Never throws for a
 * client's mistake; storage failures become KAFKA_STORAGE_ERROR.
 */
export async function appendRecords(broker: ReplicaManagerContext, log: PartitionLog, records: Buffer, options: AppendOptions): Promise<PartitionAppendResult> {
  if (!isValidAcks(options.acks)) return failed(ErrorCode.INVALID_REQUIRED_ACKS, null);
  const origin = options.origin ?? (options.isInternal === true ? 'coordinator' : 'client');
  const topicInfo = broker.topics.get(log.topic);
  if (topicInfo?.isInternal === true && options.isInternal !== true) {
    return failed(ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot append to internal topic ${log.topic}`);
  }
  const verdict = validateRecords(records, validationConfigFor(broker, log), broker.clock.now(), origin);
  if (!verdict.ok) {
    // Kafka reports the log start offset with record-level rejections (RecordValidationException,
    // InvalidRecordException) but -1 for a corrupt or too large batch.
    const withStart = verdict.errorCode === ErrorCode.INVALID_RECORD || verdict.errorCode === ErrorCode.INVALID_TIMESTAMP;
    return failed(verdict.errorCode, verdict.errorMessage, verdict.recordErrors, withStart ? log.logStartOffset : -1);
  }
  if (verdict.batchCount === 0) {
    return { errorCode: ErrorCode.NONE, errorMessage: null, baseOffset: -1, lastOffset: -1, logAppendTimeMs: -1, logStartOffset: log.logStartOffset, recordErrors: [] };
  }
  let appended: { firstOffset: number; lastOffset: number; logAppendTimeMs: number; logStartOffset: number };
  try {
    appended = await log.appendAsLeader(verdict.records, leaderEpochOf(log));
  } catch (err) {
    const closed = closedLogError(log, broker.topics);
    if (closed !== undefined) return failed(closed, CLOSED_LOG_MESSAGE[closed] ?? null);
    if (err instanceof StorageError) {
      broker.logger.error(`append to ${log.topic}-${log.partition} failed: ${err.message}`);
      return failed(ErrorCode.KAFKA_STORAGE_ERROR, err.message);
    }
    throw err;
  }
  // Single broker: the ISR is {self}, so everything appended is committed. Later replication
  // replaces this with the minimum of the ISR's fetch positions.
  maybeIncrementHighWatermark(log, appended.lastOffset + 1);
  const result: PartitionAppendResult = {
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    baseOffset: appended.firstOffset,
    lastOffset: appended.lastOffset,
    logAppendTimeMs: appended.logAppendTimeMs,
    logStartOffset: appended.logStartOffset,
    recordErrors: [],
  };
  if (options.acks !== -1) return result;
  const reached = await waitForHighWatermark(broker.clock, log, appended.lastOffset + 1, options.timeoutMs);
  if (!reached) {
    // Kafka's DelayedProduce completes with the partition's error when it goes away meanwhile.
    const closed = closedLogError(log, broker.topics);
    return { ...result, errorCode: closed ?? ErrorCode.REQUEST_TIMED_OUT, errorMessage: closed === undefined ? null : CLOSED_LOG_MESSAGE[closed] ?? null };
  }
  return result;
}

function maybeIncrementHighWatermark(log: PartitionLog, offset: number): void {
  const target = Math.min(offset, log.logEndOffset);
  if (target > log.highWatermark) log.setHighWatermark(target);
}

/**
 * Resolves true once log.highWatermark >= offset, false after timeoutMs or when the log
 * closes first (Kafka's DelayedProduce). Woken only by the log's high-watermark listener.
 */
export function waitForHighWatermark(clock: Clock, log: PartitionLog, offset: number, timeoutMs: number): Promise<boolean> {
  if (log.highWatermark >= offset) return Promise.resolve(true);
  return new Promise<boolean>((resolve) => {
    let done = false;
    const finish = (value: boolean): void => {
      if (done) return;
      done = true;
      unsubscribe();
      timer.cancel();
      resolve(value);
    };
    const unsubscribe = log.onHighWatermarkChange(() => {
      if (log.highWatermark >= offset) finish(true);
      else if (log.isClosed) finish(false);
    });
    const timer = clock.schedule(Math.max(0, timeoutMs), () => finish(log.highWatermark >= offset));
  });
}

// ---------------------------------------------------------------------------------------------
// Reads

export interface LogReadRequest {
  fetchOffset: number;
  maxBytes: number;
  /** -1 when the client does not know the leader epoch. */
  currentLeaderEpoch: number;
  /** 0 = read_uncommitted (up to the high watermark), 1 = read_committed (last stable offset). */
  isolationLevel: number;
  /** KIP-74: return the first batch even if it is larger than maxBytes. */
  minOneMessage: boolean;
}

export interface LogReadResult {
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  records: Buffer;
}

const EMPTY = Buffer.alloc(0);

/** FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH for a client's currentLeaderEpoch, or NONE. */
export function checkLeaderEpoch(log: PartitionLog, currentLeaderEpoch: number): number {
  if (currentLeaderEpoch < 0) return ErrorCode.NONE;
  const ours = leaderEpochOf(log);
  if (currentLeaderEpoch < ours) return ErrorCode.FENCED_LEADER_EPOCH;
  if (currentLeaderEpoch > ours) return ErrorCode.UNKNOWN_LEADER_EPOCH;
  return ErrorCode.NONE;
}

/** The offset a consumer may read up to (exclusive) for an isolation level. */
export function fetchableOffset(log: PartitionLog, isolationLevel: number): number {
  return isolationLevel === 1 ? log.lastStableOffset : log.highWatermark;
}

/**
 * Reads one partition for Fetch. `topics` tells a deleted topic's closed log from one closed
 * by shutdown (closedLogError); without it a closed log is UNKNOWN_TOPIC_OR_PARTITION.
 */
export async function readFromLog(log: PartitionLog, req: LogReadRequest, topics?: Pick<TopicManager, 'get'>): Promise<LogReadResult> {
  const closedBefore = closedLogError(log, topics);
  if (closedBefore !== undefined) return { errorCode: closedBefore, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, records: EMPTY };
  const base = { highWatermark: log.highWatermark, lastStableOffset: log.lastStableOffset, logStartOffset: log.logStartOffset };
  const epochError = checkLeaderEpoch(log, req.currentLeaderEpoch);
  if (epochError !== ErrorCode.NONE) return { errorCode: epochError, ...base, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, records: EMPTY };
  if (req.fetchOffset < log.logStartOffset || req.fetchOffset > log.logEndOffset) {
    return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, ...base, records: EMPTY };
  }
  const limit = fetchableOffset(log, req.isolationLevel);
  if (req.fetchOffset >= limit || (req.maxBytes <= 0 && !req.minOneMessage)) {
    return { errorCode: ErrorCode.NONE, ...base, records: EMPTY };
  }
  try {
    const read = await log.read(req.fetchOffset, Math.max(0, req.maxBytes), limit, req.minOneMessage);
    return {
      errorCode: ErrorCode.NONE,
      highWatermark: log.highWatermark,
      lastStableOffset: log.lastStableOffset,
      logStartOffset: log.logStartOffset,
      records: read.records,
    };
  } catch (err) {
    const closed = closedLogError(log, topics);
    if (closed !== undefined) return { errorCode: closed, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, records: EMPTY };
    if (err instanceof OffsetOutOfRangeError) {
      return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, highWatermark: log.highWatermark, lastStableOffset: log.lastStableOffset, logStartOffset: log.logStartOffset, records: EMPTY };
    }
    if (err instanceof StorageError) {
      return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, ...base, records: EMPTY };
    }
    throw err;
  }
}
