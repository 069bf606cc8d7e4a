/**
 * The read side of a Partition (partition.ts), after Kafka's Partition: Fetch
 * (`fetchRecords`, consumers and followers), ListOffsets (`fetchOffsetForTimestamp`),
 * OffsetForLeaderEpoch (`lastOffsetForLeaderEpoch`) and DeleteRecords on the leader
 * (`deleteRecordsOnLeader`). Functions of the partition's public state, called through the
 * Partition's methods of the same names; a follower's fetch also updates its replica state and
 * may expand the ISR (Partition.updateFollowerFetchState / maybeExpandIsr).
 */
import type { Clock } from '../base/clock.js';
import { StorageError } from '../base/errors.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { OffsetOutOfRangeError } from '../storage/partition-log.js';
import type { Partition } from './partition.js';
import {
  EMPTY, ListOffsetsTimestamp, lookupResult, readError,
  type AbortedTransaction, type OffsetLookupResult, type PartitionFetchRequest, type PartitionReadResult,
} from './partition-types.js';

const byFirstOffset = (a: AbortedTransaction, b: AbortedTransaction): number => a.firstOffset - b.firstOffset;

/**
 * One partition of a Fetch (Kafka's Partition.fetchRecords): consumers read from the leader
 * up to the high watermark (read_uncommitted) or last stable offset (read_committed);
 * a follower (`replicaId` >= 0) reads up to the log end, is told when its last fetched epoch
 * diverges from ours (Fetch v12+ `divergingEpoch`), and its fetch updates its replica state.
 */
export async function fetchRecords(p: Partition, req: PartitionFetchRequest, clock: Clock): Promise<PartitionReadResult> {
  const isFollower = req.replicaId >= 0;
  const epochError = p.checkLeaderEpoch(req.currentLeaderEpoch, true);
  if (epochError !== ErrorCode.NONE) return readError(epochError);
  if (isFollower && !p.hasFollower(req.replicaId)) return readError(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  const log = p.log;
  const leaderEnd = log.logEndOffset;
  const readCommitted = !isFollower && req.isolationLevel === 1;
  const result = (errorCode: number, records: Buffer, divergingEpoch: PartitionReadResult['divergingEpoch'] = null, abortedTransactions: AbortedTransaction[] | null = readCommitted ? [] : null): PartitionReadResult => ({
    errorCode, highWatermark: log.highWatermark, lastStableOffset: log.lastStableOffset, logStartOffset: log.logStartOffset, logEndOffset: log.logEndOffset,
    divergingEpoch, records, abortedTransactions,
  });
  if (isFollower && req.lastFetchedEpoch >= 0) {
    const end = log.endOffsetForEpoch(req.lastFetchedEpoch);
    if (end.leaderEpoch < req.lastFetchedEpoch || end.endOffset < req.fetchOffset) {
      return result(ErrorCode.NONE, EMPTY, { epoch: end.leaderEpoch, endOffset: end.endOffset });
    }
  }
  if (req.fetchOffset < log.logStartOffset || req.fetchOffset > leaderEnd) return result(ErrorCode.OFFSET_OUT_OF_RANGE, EMPTY);
  const limit = isFollower ? leaderEnd : p.fetchableOffset(req.isolationLevel);
  let records: Buffer = EMPTY;
  let lastOffset = req.fetchOffset - 1;
  if (req.fetchOffset < limit && (req.maxBytes > 0 || req.minOneMessage)) {
    try {
      ({ records, lastOffset } = await log.read(req.fetchOffset, Math.max(0, req.maxBytes), limit, req.minOneMessage));
    } catch (err) {
      if (p.isStopped) return readError(p.stoppedError);
      if (err instanceof OffsetOutOfRangeError) return result(ErrorCode.OFFSET_OUT_OF_RANGE, EMPTY);
      if (err instanceof StorageError) return result(ErrorCode.KAFKA_STORAGE_ERROR, EMPTY);
      throw err;
    }
  }
  if (isFollower) {
    p.updateFollowerFetchState(req.replicaId, req.fetchOffset, req.followerLogStartOffset, clock.now(), leaderEnd);
    p.maybeExpandIsr(req.replicaId);
  }
  // Kafka's collectAbortedTransactions(fetchOffset, upperBound): those overlapping what is
  // returned — listed by first offset, not in the index's (abort marker) order as Kafka does:
  // KafkaJS only ever looks at the head of the list (design.md, Non-obvious 56).
  const aborted = readCommitted && records.length > 0
    ? log.collectAbortedTransactions(req.fetchOffset, lastOffset + 1).map((t) => ({ producerId: t.producerId, firstOffset: t.firstOffset })).sort(byFirstOffset)
    : undefined;
  return result(ErrorCode.NONE, records, null, aborted);
}

/**
 * ListOffsets for one partition (Kafka's fetchOffsetForTimestamp): special timestamps
 * (EARLIEST -2, LATEST -1, MAX_TIMESTAMP -3, EARLIEST_LOCAL -4, LATEST_TIERED -5) or the
 * first offset whose timestamp is >= `timestamp`, bounded by what the isolation level sees.
 * A new leader whose high watermark has not reached the start of its epoch yet (followers
 * learn it one fetch late) answers a client's LATEST, and a timestamp lookup it cannot answer
 * below its high watermark, with OFFSET_NOT_AVAILABLE, as Kafka does: its high watermark may be
 * below one a client already saw from the previous leader.
 */
export async function fetchOffsetForTimestamp(p: Partition, timestamp: number, isolationLevel: number, currentLeaderEpoch: number, fetchOnlyFromLeader: boolean): Promise<OffsetLookupResult> {
  const epochError = p.checkLeaderEpoch(currentLeaderEpoch, fetchOnlyFromLeader);
  if (epochError !== ErrorCode.NONE) return lookupResult(epochError);
  const log = p.log;
  const epoch = p.leaderEpoch;
  const lagging = fetchOnlyFromLeader && p.isLeader && p.epochStartOffset > log.highWatermark;
  try {
    switch (timestamp) {
      case ListOffsetsTimestamp.EARLIEST:
      case ListOffsetsTimestamp.EARLIEST_LOCAL:
        return lookupResult(ErrorCode.NONE, log.logStartOffset, -1, epoch);
      case ListOffsetsTimestamp.LATEST:
        if (lagging) return lookupResult(ErrorCode.OFFSET_NOT_AVAILABLE);
        return lookupResult(ErrorCode.NONE, p.fetchableOffset(isolationLevel), -1, epoch);
      case ListOffsetsTimestamp.MAX_TIMESTAMP: {
        const max = log.maxTimestampOffset();
        return max.offset < 0 ? lookupResult(ErrorCode.NONE) : lookupResult(ErrorCode.NONE, max.offset, max.timestamp, epoch);
      }
      case ListOffsetsTimestamp.LATEST_TIERED:
        return lookupResult(ErrorCode.NONE);
      default: {
        if (timestamp < 0) return lookupResult(ErrorCode.INVALID_REQUEST);
        const found = await log.offsetForTimestamp(timestamp);
        if (found === null || found.offset >= p.fetchableOffset(isolationLevel)) return lookupResult(lagging ? ErrorCode.OFFSET_NOT_AVAILABLE : ErrorCode.NONE);
        return lookupResult(ErrorCode.NONE, found.offset, found.timestamp, epoch);
      }
    }
  } catch (err) {
    if (p.isStopped) return lookupResult(p.stoppedError);
    if (err instanceof StorageError) return lookupResult(ErrorCode.KAFKA_STORAGE_ERROR);
    throw err;
  }
}

/**
 * OffsetForLeaderEpoch (Kafka's lastOffsetForLeaderEpoch): the largest epoch <= `leaderEpoch`
 * and where it ended (the log end for the current epoch), or -1/-1 when unknown.
 */
export function lastOffsetForLeaderEpoch(p: Partition, currentLeaderEpoch: number, leaderEpoch: number, fetchOnlyFromLeader: boolean): { errorCode: number; leaderEpoch: number; endOffset: number } {
  const epochError = p.checkLeaderEpoch(currentLeaderEpoch, fetchOnlyFromLeader);
  if (epochError !== ErrorCode.NONE) return { errorCode: epochError, leaderEpoch: -1, endOffset: -1 };
  const r = p.log.endOffsetForEpoch(leaderEpoch);
  return { errorCode: ErrorCode.NONE, leaderEpoch: r.leaderEpoch, endOffset: r.endOffset };
}

/**
 * DeleteRecords on the leader (Kafka's deleteRecordsOnLeader): -1 means the high watermark;
 * the topic must allow deletion (cleanup.policy has delete); the offset must lie within
 * [0, high watermark]. Returns the new low watermark. With followers, Kafka also waits until
 * every replica's log start offset has moved (the clustering work adds that wait).
 */
export async function deleteRecordsOnLeader(p: Partition, offset: number): Promise<{ errorCode: number; lowWatermark: number }> {
  const epochError = p.checkLeaderEpoch(-1, true);
  if (epochError !== ErrorCode.NONE) return { errorCode: epochError, lowWatermark: -1 };
  const log = p.log;
  if (!log.config.cleanupPolicy.delete) return { errorCode: ErrorCode.POLICY_VIOLATION, lowWatermark: -1 };
  const target = offset === -1 ? log.highWatermark : offset;
  if (target < 0 || target > log.highWatermark) return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, lowWatermark: -1 };
  if (target <= log.logStartOffset) return { errorCode: ErrorCode.NONE, lowWatermark: log.logStartOffset };
  try {
    return { errorCode: ErrorCode.NONE, lowWatermark: await log.deleteRecordsBefore(target) };
  } catch (err) {
    if (p.isStopped) return { errorCode: p.stoppedError, lowWatermark: -1 };
    if (err instanceof OffsetOutOfRangeError) return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, lowWatermark: -1 };
    if (err instanceof StorageError) return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, lowWatermark: -1 };
    throw err;
  }
}
