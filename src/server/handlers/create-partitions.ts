/**
 * CreatePartitions (key 37), v0-3.
 *
 * Behavior: grows a topic to `count` partitions; the count can only increase
 * (INVALID_PARTITIONS otherwise, with Kafka's messages). Optional assignments give the replicas
 * of each new partition and must match the number added and the topic's replication factor
 * (INVALID_REPLICA_ASSIGNMENT). A topic named twice gets INVALID_REQUEST. Unknown topics get
 * UNKNOWN_TOPIC_OR_PARTITION. validateOnly checks and changes nothing.
 * Version notes: v2 is flexible; v3 is identical to v2.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import {
  CreatePartitions, type CreatePartitionsRequest, type CreatePartitionsResponse,
} from '../../protocol/messages/create-partitions.js';
import { defineHandler } from '../handler.js';

export default defineHandler<CreatePartitionsRequest, CreatePartitionsResponse>({
  api: CreatePartitions,
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, request) {
    const version = ctx.header.apiVersion;
    const response = CreatePartitions.response.empty(version);
    const counts = new Map<string, number>();
    for (const t of request.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const reported = new Set<string>();
    for (const t of request.topics) {
      if ((counts.get(t.name) ?? 0) > 1) {
        if (!reported.has(t.name)) response.results.push({ name: t.name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic name.' });
        reported.add(t.name);
        continue;
      }
      const r = await ctx.broker.topics.createPartitions(t.name, t.count, {
        assignments: t.assignments === null ? null : t.assignments.map((a) => a.brokerIds),
        validateOnly: request.validateOnly,
      });
      response.results.push({ name: t.name, errorCode: r.errorCode, errorMessage: r.errorMessage });
    }
    return response;
  },
});
