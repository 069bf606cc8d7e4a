/**
 * AlterConfigs (key 33), v0-2 — the legacy, replace-everything form.
 *
 * Behavior: for a TOPIC, the given configs become the topic's complete set of overrides
 * (anything not named returns to the broker default); for a BROKER (our node id, or "" for the
 * cluster-wide default), the given dynamic configs replace that whole dynamic layer. Every
 * value is validated first; nothing changes unless the whole resource is valid, and nothing
 * at all with validateOnly. Changed topic configs reach the partition logs at once and survive
 * restart.
 * Errors per resource: UNKNOWN_TOPIC_OR_PARTITION, INVALID_TOPIC_EXCEPTION, INVALID_CONFIG
 * (unknown name, bad value), INVALID_REQUEST (duplicate resource, another broker id, a static
 * broker config, an unsupported resource type).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { AlterConfigs, type AlterConfigsRequest, type AlterConfigsResponse } from '../../protocol/messages/alter-configs.js';
import type { Broker } from '../broker.js';
import { defineHandler } from '../handler.js';
import { ResourceType, brokerScope, validateBrokerConfigs } from './_admin-helpers.js';

type Outcome = { errorCode: number; errorMessage: string | null };

async function alter(broker: Broker, resourceType: number, resourceName: string, configs: Record<string, string | null>, validateOnly: boolean): Promise<Outcome> {
  switch (resourceType) {
    case ResourceType.TOPIC: {
      const bad = broker.topics.validateTopicName(resourceName);
      if (bad !== null) return { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: bad };
      return broker.topics.alterConfigs(resourceName, configs, { validateOnly });
    }
    case ResourceType.BROKER: {
      const s = brokerScope(broker, resourceName);
      if ('errorCode' in s) return s;
      const v = validateBrokerConfigs(configs);
      if ('errorCode' in v) return v;
      if (!validateOnly) await broker.topics.alterBrokerConfigs(s.scope, v.configs);
      return { errorCode: ErrorCode.NONE, errorMessage: null };
    }
    default:
      return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource type: ${resourceType}` };
  }
}

export default defineHandler<AlterConfigsRequest, AlterConfigsResponse>({
  api: AlterConfigs,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, request) {
    const version = ctx.header.apiVersion;
    const response = AlterConfigs.response.empty(version);
    const key = (t: number, n: string) => `${t}\u0000${n}`;
    const counts = new Map<string, number>();
    for (const r of request.resources) counts.set(key(r.resourceType, r.resourceName), (counts.get(key(r.resourceType, r.resourceName)) ?? 0) + 1);
    const reported = new Set<string>();
    for (const r of request.resources) {
      const k = key(r.resourceType, r.resourceName);
      let outcome: Outcome;
      if ((counts.get(k) ?? 0) > 1) {
        if (reported.has(k)) continue;
        reported.add(k);
        outcome = { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate resource.' };
      } else {
        const configs: Record<string, string | null> = {};
        for (const c of r.configs) configs[c.name] = c.value;
        outcome = await alter(ctx.broker, r.resourceType, r.resourceName, configs, request.validateOnly);
      }
      response.responses.push({ ...outcome, resourceType: r.resourceType, resourceName: r.resourceName });
    }
    return response;
  },
});
