/**
 * CreateTopics (key 19), v2-7.
 *
 * Behavior (Kafka's ControllerApis.createTopics + ReplicationControlManager):
 * - A name given twice in one request is not created: each copy gets INVALID_REQUEST
 *   "Duplicate topic name.".
 * - numPartitions / replicationFactor -1 take num.partitions / default.replication.factor;
 *   a manual assignment requires both to be -1 and must name registered brokers, each at most
 *   once, with the same width for every partition (INVALID_REPLICA_ASSIGNMENT).
 *   A valid assignment is kept as the partitions' replicas (leader = first live replica);
 *   otherwise replicas are placed over the registered brokers (StripedReplicaPlacer).
 * - Errors per topic: INVALID_TOPIC_EXCEPTION, TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS,
 *   INVALID_REPLICATION_FACTOR (more replicas than brokers), INVALID_CONFIG, INVALID_REQUEST,
 *   POLICY_VIOLATION (the topic would put more than sherwood.max.broker.partitions replicas
 *   on a broker).
 * - A request asking for more than 10,000 partitions in all fails every topic with
 *   POLICY_VIOLATION "Excessively large number of partitions per request.", as Kafka does.
 * - validateOnly checks everything and creates nothing.
 * Version notes: v5+ returns numPartitions, replicationFactor and every config with its source
 * (-1 / null on error), v7 the topic id (zero for validateOnly and errors).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import {
  CreateTopics, type CreateTopicsRequest, type CreateTopicsResponse, type CreateTopicsResponseCreatableTopicResult,
} from '../../protocol/messages/create-topics.js';
import { validateTopicConfigs } from '../../cluster/topic-config.js';
import type { CreateTopicSpec } from '../../cluster/topic-manager.js';
import { defineHandler } from '../handler.js';
import { topicConfigEntries } from './_admin-helpers.js';

const ZERO_UUID = Buffer.alloc(16);

function failure(name: string, errorCode: number, errorMessage: string | null): CreateTopicsResponseCreatableTopicResult {
  return { name, topicId: ZERO_UUID, errorCode, errorMessage, topicConfigErrorCode: ErrorCode.NONE, numPartitions: -1, replicationFactor: -1, configs: null };
}

export default defineHandler<CreateTopicsRequest, CreateTopicsResponse>({
  api: CreateTopics,
  minVersion: 2,
  maxVersion: 7,
  async handle(ctx, request) {
    const version = ctx.header.apiVersion;
    const broker = ctx.broker;
    const response = CreateTopics.response.empty(version);
    const counts = new Map<string, number>();
    for (const t of request.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const reportedDuplicates = new Set<string>();

    // Checked topics are created together after the loop: one metadata write per request.
    const specs: CreateTopicSpec[] = [];
    const slots: number[] = [];
    for (const t of request.topics) {
      if ((counts.get(t.name) ?? 0) > 1) {
        if (!reportedDuplicates.has(t.name)) response.topics.push(failure(t.name, ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'));
        reportedDuplicates.add(t.name);
        continue;
      }
      const configs: Record<string, string | null> = {};
      for (const c of t.configs) configs[c.name] = c.value;
      const assignments = [...t.assignments].sort((a, b) => a.partitionIndex - b.partitionIndex);
      if (assignments.some((a, i) => a.partitionIndex !== i)) {
        response.topics.push(failure(t.name, ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'partitions should be a consecutive 0-based integer sequence'));
        continue;
      }
      specs.push({
        name: t.name,
        numPartitions: t.numPartitions,
        replicationFactor: t.replicationFactor,
        configs,
        assignments: assignments.length === 0 ? null : assignments.map((a) => a.brokerIds),
        validateOnly: request.validateOnly,
      });
      slots.push(response.topics.length);
      response.topics.push(failure(t.name, ErrorCode.UNKNOWN_SERVER_ERROR, null)); // replaced below
    }
    const results = specs.length === 0 ? [] : await broker.topics.createMany(specs);
    results.forEach((r, i) => {
      const spec = specs[i]!;
      if (r.errorCode !== ErrorCode.NONE) {
        response.topics[slots[i]!] = failure(spec.name, r.errorCode, r.errorMessage);
        return;
      }
      const created = broker.topics.get(spec.name);
      const overrides = request.validateOnly || created === undefined ? validOverrides(spec.configs ?? {}) : created.configs;
      response.topics[slots[i]!] = {
        name: spec.name,
        topicId: r.topicId ?? ZERO_UUID,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        topicConfigErrorCode: ErrorCode.NONE,
        numPartitions: r.numPartitions,
        replicationFactor: r.replicationFactor,
        configs: topicConfigEntries(broker, overrides).map((e) => ({
          name: e.name, value: e.value, readOnly: e.readOnly, configSource: e.configSource, isSensitive: e.isSensitive,
        })),
      };
    });
    return response;
  },
});

function validOverrides(configs: Record<string, string | null>): Record<string, string> {
  const v = validateTopicConfigs(configs);
  return 'configs' in v ? v.configs : {};
}
