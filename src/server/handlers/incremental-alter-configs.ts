/**
 * IncrementalAlterConfigs (key 44), v0-1.
 *
 * Behavior: applies SET (0), DELETE (1), APPEND (2) and SUBTRACT (3) to a TOPIC's overrides or
 * to a BROKER's dynamic layer (our node id, or "" for the cluster-wide default). APPEND and
 * SUBTRACT only apply to list configs (e.g. cleanup.policy) and start from the current
 * override, else the config's default. The resulting set is validated as a whole; nothing
 * changes unless it is valid, and nothing at all with validateOnly.
 * Errors per resource: UNKNOWN_TOPIC_OR_PARTITION, INVALID_TOPIC_EXCEPTION, INVALID_CONFIG
 * (unknown name, bad value, APPEND/SUBTRACT on a non-list), INVALID_REQUEST (duplicate resource
 * or key, unknown operation, another broker id, unsupported resource type).
 * Kafka's replication-quota broker configs (leader/follower.replication.throttled.rate,
 * replica.alter.log.dirs.io.max.bytes.per.second) are not supported: DELETE of them is the
 * no-op it is on an unset config (kafka-reassign-partitions.sh --verify clears them after every
 * reassignment), any other operation is INVALID_CONFIG saying so.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import {
  IncrementalAlterConfigs, type IncrementalAlterConfigsRequest, type IncrementalAlterConfigsResponse,
  type IncrementalAlterConfigsRequestAlterableConfig,
} from '../../protocol/messages/incremental-alter-configs.js';
import { applyIncrementalOps, topicConfigDef } from '../../cluster/topic-config.js';
import type { Broker } from '../broker.js';
import { defineHandler } from '../handler.js';
import {
  ResourceType, alterEachResource, applyBrokerConfigs, brokerConfigType, brokerScope, checkTopicResourceName, unsupportedResourceType,
  type ResourceOutcome,
} from './_admin-helpers.js';

/** Kafka's replication quotas (not implemented; see the file header). */
const REPLICATION_QUOTA_CONFIGS: ReadonlySet<string> = new Set([
  'leader.replication.throttled.rate', 'follower.replication.throttled.rate', 'replica.alter.log.dirs.io.max.bytes.per.second',
]);
const OP_DELETE = 1;

async function alter(broker: Broker, resourceType: number, resourceName: string, ops: IncrementalAlterConfigsRequestAlterableConfig[], validateOnly: boolean): Promise<ResourceOutcome> {
  const names = new Set<string>();
  for (const o of ops) {
    if (names.has(o.name)) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Error due to duplicate config keys' };
    names.add(o.name);
  }
  switch (resourceType) {
    case ResourceType.TOPIC: {
      const bad = checkTopicResourceName(broker, resourceName);
      if (bad !== null) return bad;
      const info = broker.topics.get(resourceName);
      if (info === undefined) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `The topic '${resourceName}' does not exist.` };
      const next = applyIncrementalOps(info.configs, ops, (n) => topicConfigDef(n)?.type, (n) => topicConfigDef(n)?.defaultValue,
        (n) => `Unknown topic config name: ${n}`);
      if ('error' in next) return { errorCode: ErrorCode[next.errorCode], errorMessage: next.error };
      return broker.topics.alterConfigs(resourceName, next.configs, { validateOnly });
    }
    case ResourceType.BROKER: {
      const s = brokerScope(broker, resourceName);
      if ('errorCode' in s) return s;
      const quota = ops.find((o) => REPLICATION_QUOTA_CONFIGS.has(o.name) && o.configOperation !== OP_DELETE);
      if (quota !== undefined) return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: `Replication quotas are not supported: ${quota.name}` };
      ops = ops.filter((o) => !REPLICATION_QUOTA_CONFIGS.has(o.name));
      const layers = broker.topics.dynamicConfigs;
      const next = applyIncrementalOps(layers.get(s.scope), ops, brokerConfigType,
        (n) => layers.staticValue(n).value ?? undefined, (n) => `Unknown broker config name: ${n}`);
      if ('error' in next) return { errorCode: ErrorCode[next.errorCode], errorMessage: next.error };
      return applyBrokerConfigs(broker, s.scope, next.configs, validateOnly);
    }
    default:
      return unsupportedResourceType(resourceType);
  }
}

export default defineHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse>({
  api: IncrementalAlterConfigs,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, request) {
    const response = IncrementalAlterConfigs.response.empty(ctx.header.apiVersion);
    response.responses = await alterEachResource(request.resources, (r) => alter(ctx.broker, r.resourceType, r.resourceName, r.configs, request.validateOnly));
    return response;
  },
});
