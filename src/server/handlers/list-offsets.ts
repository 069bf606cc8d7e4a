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
 * The lookups themselves are the partition's (Partition.fetchOffsetForTimestamp); only the
 * leader answers (NOT_LEADER_OR_FOLLOWER elsewhere) unless replicaId is -2 (debugging).
 * Version notes: leaderEpoch in the response from v4; v0 (oldStyleOffsets) is not served.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import {
  ListOffsets,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
  type ListOffsetsResponseListOffsetsPartitionResponse,
} from '../../protocol/messages/list-offsets.js';
import { ListOffsetsTimestamp, type OffsetLookupResult } from '../../cluster/partition.js';
import { defineHandler } from '../handler.js';

export const EARLIEST_TIMESTAMP = ListOffsetsTimestamp.EARLIEST;
export const LATEST_TIMESTAMP = ListOffsetsTimestamp.LATEST;
export const MAX_TIMESTAMP = ListOffsetsTimestamp.MAX_TIMESTAMP;
export const EARLIEST_LOCAL_TIMESTAMP = ListOffsetsTimestamp.EARLIEST_LOCAL;
export const LATEST_TIERED_TIMESTAMP = ListOffsetsTimestamp.LATEST_TIERED;

/** A consumer's replicaId; -2 is Kafka's debugging replica id, which may read from any replica. */
const DEBUGGING_REPLICA_ID = -2;

function result(errorCode: number): OffsetLookupResult {
  return { errorCode, offset: -1, timestamp: -1, leaderEpoch: -1 };
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
        let r: OffsetLookupResult;
        if (duplicates.size > 0 && duplicates.has(`${t.name}:${p.partitionIndex}`)) {
          r = result(ErrorCode.INVALID_REQUEST);
        } else {
          const partition = broker.replicaManager.getPartitionOrError(t.name, p.partitionIndex);
          r = typeof partition === 'number'
            ? result(partition)
            : await partition.fetchOffsetForTimestamp(p.timestamp, req.isolationLevel, p.currentLeaderEpoch, req.replicaId !== DEBUGGING_REPLICA_ID);
        }
        partitions.push({ partitionIndex: p.partitionIndex, oldStyleOffsets: [], ...r });
      }
      topics.push({ name: t.name, partitions });
    }
    return { throttleTimeMs: 0, topics };
  },
});
