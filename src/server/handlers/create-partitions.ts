/**
 * CreatePartitions (key 37), v0-3.
 *
 * Behavior: grows a topic to `count` partitions; the count can only increase
 * (INVALID_PARTITIONS otherwise, with Kafka's messages). Optional assignments give the replicas
 * of each new partition and must match the number added and the topic's replication factor
 * (INVALID_REPLICA_ASSIGNMENT); they are kept as the new partitions' replicas, otherwise
 * replicas are placed over the registered brokers. A topic named twice gets INVALID_REQUEST.
 * Unknown topics get UNKNOWN_TOPIC_OR_PARTITION. Adding more than 10,000 partitions in one
 * request fails every topic with POLICY_VIOLATION "Unable to perform excessively large batch
 * operation." (Kafka's limit on records per operation), and exceeding
 * sherwood.max.broker.partitions fails the topic with POLICY_VIOLATION. validateOnly checks
 * and changes nothing.
 * Version notes: v2 is flexible; v3 is identical to v2.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import {
  CreatePartitions, type CreatePartitionsRequest, type CreatePartitionsResponse,
} from '../../protocol/messages/create-partitions.js';
import type { CreatePartitionsSpec } from '../../cluster/topic-manager.js';
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
    // The valid topics are grown together: one metadata append, one per-request limit.
    const specs: CreatePartitionsSpec[] = [];
    const slots: number[] = [];
    for (const t of request.topics) {
      if ((counts.get(t.name) ?? 0) > 1) {
        if (!reported.has(t.name)) response.results.push({ name: t.name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic name.' });
        reported.add(t.name);
        continue;
      }
      specs.push({ name: t.name, count: t.count, assignments: t.assignments === null ? null : t.assignments.map((a) => a.brokerIds) });
      slots.push(response.results.length);
      response.results.push({ name: t.name, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: null }); // replaced below
    }
    const results = specs.length === 0 ? [] : await ctx.broker.topics.createPartitionsMany(specs, request.validateOnly);
    results.forEach((r, i) => {
      response.results[slots[i]!] = { name: specs[i]!.name, errorCode: r.errorCode, errorMessage: r.errorMessage };
    });
    return response;
  },
});
