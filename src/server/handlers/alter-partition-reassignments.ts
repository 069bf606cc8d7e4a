/**
 * AlterPartitionReassignments (key 45), v0 (src/cluster/controller/partition-reassignment.ts
 * decides).
 *
 * Behavior: each partition's replicas move to the list given (the new ones copy the log as
 * followers, the old ones leave once every new one is in the ISR), or, with a null list, its
 * reassignment in progress is cancelled (NO_REASSIGNMENT_IN_PROGRESS when there is none). The
 * changes are one compare-and-set metadata append, so every broker answers it; the answer
 * comes once the reassignment has started, not when it is done (ListPartitionReassignments
 * shows the progress). An unknown topic or partition is UNKNOWN_TOPIC_OR_PARTITION; an empty
 * list, a broker twice or an unregistered broker is INVALID_REPLICA_ASSIGNMENT. A partition
 * named twice gets INVALID_REQUEST "Duplicate partition." for each mention (nothing is
 * changed for it). Needs ALTER on the cluster (CLUSTER_AUTHORIZATION_FAILED at the top level,
 * as Kafka answers).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import {
  AlterPartitionReassignments, type AlterPartitionReassignmentsRequest, type AlterPartitionReassignmentsResponse,
} from '../../protocol/messages/alter-partition-reassignments.js';
import { planAlterPartitionReassignments, type ReassignmentRequest, type ReassignmentResult } from '../../cluster/controller/partition-reassignment.js';
import { defineHandler } from '../handler.js';

function errorResponse(req: AlterPartitionReassignmentsRequest, errorCode: number, errorMessage: string | null = null): AlterPartitionReassignmentsResponse {
  return {
    throttleTimeMs: 0, errorCode, errorMessage,
    responses: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode, errorMessage })) })),
  };
}

export default defineHandler<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse>({
  api: AlterPartitionReassignments,
  minVersion: 0,
  maxVersion: 0,
  clusterOperation: 'ALTER',
  errorResponse: (req, errorCode) => errorResponse(req, errorCode),
  async handle(ctx, req) {
    const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;
    const mentions = new Map<string, number>();
    for (const t of req.topics) for (const p of t.partitions) mentions.set(key(t.name, p.partitionIndex), (mentions.get(key(t.name, p.partitionIndex)) ?? 0) + 1);
    const once = (topic: string, partition: number) => mentions.get(key(topic, partition)) === 1;
    const asked: ReassignmentRequest[] = req.topics.map((t) => ({
      topic: t.name,
      partitions: t.partitions.filter((p) => once(t.name, p.partitionIndex)).map((p) => ({ partition: p.partitionIndex, replicas: p.replicas })),
    }));
    const broker = ctx.broker;
    const results = await broker.topics.applyChange((image) => planAlterPartitionReassignments(image, asked, (id) => broker.isBrokerLive(id)));
    const byKey = new Map<string, ReassignmentResult>(results.map((r) => [key(r.topic, r.partition), r]));
    return {
      throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null,
      responses: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => {
          const r = once(t.name, p.partitionIndex) ? byKey.get(key(t.name, p.partitionIndex)) : undefined;
          return r === undefined
            ? { partitionIndex: p.partitionIndex, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate partition.' }
            : { partitionIndex: p.partitionIndex, errorCode: r.errorCode, errorMessage: r.errorMessage };
        }),
      })),
    };
  },
});
