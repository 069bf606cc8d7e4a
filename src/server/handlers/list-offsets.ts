/**
 * ListOffsets (API key 2), versions 1-10.
 *
 * Behavior, per partition (Kafka's ReplicaManager.fetchOffsetForTimestamp):
 * - timestamp -2 (EARLIEST) and -4 (EARLIEST_LOCAL, v8+): logStartOffset, timestamp -1.
 * - timestamp -1 (LATEST): the high watermark, or the last stable offset for read_committed
 *   (isolationLevel 1, v2+); timestamp -1.
 * - timestamp -3 (MAX_TIMESTAMP, v7+): the offset of the record with the largest timestamp.
 * - timestamp -5 (LATEST_TIERED, v9+): no tiered storage ⇒ offset -1, timestamp -1.
 * - timestamp >= 0: the first offset whose timestamp is >= it, through the time index; none,
 *   or one beyond what the isolation level may see ⇒ offset -1, timestamp -1.
 * - A topic-partition named more than once in the request (in one topic entry or across
 *   entries for the same topic) ⇒ INVALID_REQUEST for every occurrence, checked first, as
 *   Kafka's ListOffsetsRequest.duplicatePartitions.
 * - Errors: UNKNOWN_TOPIC_OR_PARTITION (also when the topic is deleted during the lookup),
 *   FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH (v4+ currentLeaderEpoch), KAFKA_STORAGE_ERROR.
 * Version notes: leaderEpoch in the response from v4; v0 (oldStyleOffsets) is not served.
 */
import { StorageError } from '../../base/errors.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import {
  ListOffsets,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
  type ListOffsetsResponseListOffsetsPartitionResponse,
} from '../../protocol/messages/list-offsets.js';
import { checkLeaderEpoch, closedLogError, fetchableOffset, leaderEpochOf } from '../../cluster/replica-manager.js';
import type { PartitionLog } from '../../storage/partition-log.js';
import { defineHandler } from '../handler.js';

export const EARLIEST_TIMESTAMP = -2;
export const LATEST_TIMESTAMP = -1;
export const MAX_TIMESTAMP = -3;
export const EARLIEST_LOCAL_TIMESTAMP = -4;
export const LATEST_TIERED_TIMESTAMP = -5;

type PartitionResult = Omit<ListOffsetsResponseListOffsetsPartitionResponse, 'partitionIndex' | 'oldStyleOffsets'>;

function result(errorCode: number, offset = -1, timestamp = -1, leaderEpoch = -1): PartitionResult {
  return { errorCode, offset, timestamp, leaderEpoch };
}

async function offsetFor(log: PartitionLog, timestamp: number, isolationLevel: number, currentLeaderEpoch: number): Promise<PartitionResult> {
  const epochError = checkLeaderEpoch(log, currentLeaderEpoch);
  if (epochError !== ErrorCode.NONE) return result(epochError);
  const epoch = leaderEpochOf(log);
  switch (timestamp) {
    case EARLIEST_TIMESTAMP:
    case EARLIEST_LOCAL_TIMESTAMP:
      return result(ErrorCode.NONE, log.logStartOffset, -1, epoch);
    case LATEST_TIMESTAMP:
      return result(ErrorCode.NONE, fetchableOffset(log, isolationLevel), -1, epoch);
    case MAX_TIMESTAMP: {
      const max = log.maxTimestampOffset();
      if (max.offset < 0) return result(ErrorCode.NONE, -1, -1, -1);
      return result(ErrorCode.NONE, max.offset, max.timestamp, epoch);
    }
    case LATEST_TIERED_TIMESTAMP:
      return result(ErrorCode.NONE, -1, -1, -1);
    default: {
      if (timestamp < 0) return result(ErrorCode.INVALID_REQUEST);
      const found = await log.offsetForTimestamp(timestamp);
      if (found === null || found.offset >= fetchableOffset(log, isolationLevel)) return result(ErrorCode.NONE, -1, -1, -1);
      return result(ErrorCode.NONE, found.offset, found.timestamp, epoch);
    }
  }
}

/** Keys (`topic:partition`) of the topic-partitions the request names more than once. */
export function duplicatePartitions(req: Pick<ListOffsetsRequest, 'topics'>): Set<string> {
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const t of req.topics) {
    for (const p of t.partitions) {
      const key = `${t.name}:${p.partitionIndex}`;
      if (seen.has(key)) duplicates.add(key);
      else seen.add(key);
    }
  }
  return duplicates;
}

export default defineHandler({
  api: ListOffsets,
  minVersion: 1,
  maxVersion: 10,
  async handle(ctx, req): Promise<ListOffsetsResponse> {
    const broker = ctx.broker;
    const duplicates = duplicatePartitions(req);
    const topics = [];
    for (const t of req.topics) {
      const partitions: ListOffsetsResponseListOffsetsPartitionResponse[] = [];
      for (const p of t.partitions) {
        const log = broker.partitionLog(t.name, p.partitionIndex);
        let r: PartitionResult;
        if (duplicates.size > 0 && duplicates.has(`${t.name}:${p.partitionIndex}`)) {
          r = result(ErrorCode.INVALID_REQUEST);
        } else if (log === undefined) {
          r = result(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        } else {
          try {
            r = await offsetFor(log, p.timestamp, req.isolationLevel, p.currentLeaderEpoch);
          } catch (err) {
            // A log deleted (or closed by shutdown) under the read is not a disk failure.
            const closed = closedLogError(log, broker.topics);
            if (closed !== undefined) r = result(closed);
            else if (err instanceof StorageError) r = result(ErrorCode.KAFKA_STORAGE_ERROR);
            else throw err;
          }
        }
        partitions.push({ partitionIndex: p.partitionIndex, oldStyleOffsets: [], ...r });
      }
      topics.push({ name: t.name, partitions });
    }
    return { throttleTimeMs: 0, topics };
  },
});
