/**
 * ListPartitionReassignments (key 46), v0 (src/cluster/controller/partition-reassignment.ts).
 *
 * Behavior: the reassignments in progress, from this broker's metadata image: for each
 * partition being reassigned its replicas (target first, then the ones being removed), the
 * adding and the removing replicas. A null topic list means every partition; partitions asked
 * for that are unknown or not being reassigned are left out, as Kafka does. Needs DESCRIBE on
 * the cluster (CLUSTER_AUTHORIZATION_FAILED at the top level).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import {
  ListPartitionReassignments, type ListPartitionReassignmentsRequest, type ListPartitionReassignmentsResponse,
} from '../../protocol/messages/list-partition-reassignments.js';
import { listPartitionReassignments } from '../../cluster/controller/partition-reassignment.js';
import { defineHandler } from '../handler.js';

export default defineHandler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse>({
  api: ListPartitionReassignments,
  minVersion: 0,
  maxVersion: 0,
  clusterOperation: 'DESCRIBE',
  errorResponse: (_req, errorCode) => ({ throttleTimeMs: 0, errorCode, errorMessage: null, topics: [] }),
  handle(ctx, req) {
    const asked = req.topics === null ? null : req.topics.map((t) => ({ topic: t.name, partitions: t.partitionIndexes }));
    const out: ListPartitionReassignmentsResponse['topics'] = [];
    for (const r of listPartitionReassignments(ctx.broker.topics.image, asked)) {
      let t = out.find((x) => x.name === r.topic);
      if (t === undefined) out.push((t = { name: r.topic, partitions: [] }));
      if (t.partitions.some((p) => p.partitionIndex === r.partition)) continue;
      t.partitions.push({ partitionIndex: r.partition, replicas: [...r.replicas], addingReplicas: [...r.addingReplicas], removingReplicas: [...r.removingReplicas] });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics: out };
  },
});
