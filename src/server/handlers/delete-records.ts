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
import { ErrorCode } from '../../protocol/error-codes.js';
import { DeleteRecords, type DeleteRecordsResponse } from '../../protocol/messages/delete-records.js';
import { defineHandler } from '../handler.js';

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
        const partition = broker.replicaManager.getPartitionOrError(t.name, p.partitionIndex);
        if (typeof partition === 'number') {
          partitions.push({ partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: partition });
          continue;
        }
        const r = await partition.deleteRecordsOnLeader(p.offset);
        partitions.push({ partitionIndex: p.partitionIndex, lowWatermark: r.lowWatermark, errorCode: r.errorCode });
      }
      topics.push({ name: t.name, partitions });
    }
    return { throttleTimeMs: 0, topics };
  },
});
