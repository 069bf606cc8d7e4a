/**
 * DeleteRecords (API key 21), versions 0-2: moves a partition's log start offset forward.
 *
 * Behavior, per partition (Kafka's ReplicaManager.deleteRecords / Partition.deleteRecordsOnLeader):
 * - UNKNOWN_TOPIC_OR_PARTITION (lowWatermark -1) for a partition we do not have, also when the
 *   topic is deleted during the call (a closed log is not KAFKA_STORAGE_ERROR);
 * - offset -1 means the high watermark; any other offset < 0 or > the high watermark ⇒
 *   OFFSET_OUT_OF_RANGE;
 * - a topic whose cleanup.policy lacks "delete" ⇒ POLICY_VIOLATION;
 * - otherwise the log start offset becomes max(current, offset) and lowWatermark is returned.
 *   With a single broker every replica's low watermark is ours, so there is no waiting.
 */
import { StorageError } from '../../base/errors.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { DeleteRecords, type DeleteRecordsResponse } from '../../protocol/messages/delete-records.js';
import { closedLogError } from '../../cluster/replica-manager.js';
import { defineHandler } from '../handler.js';

const HIGH_WATERMARK = -1;

export default defineHandler({
  api: DeleteRecords,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, req): Promise<DeleteRecordsResponse> {
    const broker = ctx.broker;
    const topics = [];
    for (const t of req.topics) {
      const partitions = [];
      for (const p of t.partitions) {
        const log = broker.partitionLog(t.name, p.partitionIndex);
        if (log === undefined) {
          partitions.push({ partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
          continue;
        }
        if (!log.config.cleanupPolicy.delete) {
          partitions.push({ partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: ErrorCode.POLICY_VIOLATION });
          continue;
        }
        const offset = p.offset === HIGH_WATERMARK ? log.highWatermark : p.offset;
        if (offset < 0 || offset > log.highWatermark) {
          partitions.push({ partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE });
          continue;
        }
        try {
          const lowWatermark = offset > log.logStartOffset ? await log.deleteRecordsBefore(offset) : log.logStartOffset;
          partitions.push({ partitionIndex: p.partitionIndex, lowWatermark, errorCode: ErrorCode.NONE });
        } catch (err) {
          // A log deleted (or closed by shutdown) under the call is not a disk failure.
          const closed = closedLogError(log, broker.topics);
          if (closed === undefined && !(err instanceof StorageError)) throw err;
          partitions.push({ partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: closed ?? ErrorCode.KAFKA_STORAGE_ERROR });
        }
      }
      topics.push({ name: t.name, partitions });
    }
    return { throttleTimeMs: 0, topics };
  },
});
