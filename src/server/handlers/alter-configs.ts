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
import { AlterConfigs, type AlterConfigsRequest, type AlterConfigsResponse } from '../../protocol/messages/alter-configs.js';
import type { Broker } from '../broker.js';
import { defineHandler } from '../handler.js';
import {
  ResourceType, alterEachResource, applyBrokerConfigs, brokerScope, checkTopicResourceName, unsupportedResourceType, type ResourceOutcome,
} from './_admin-helpers.js';

async function alter(broker: Broker, resourceType: number, resourceName: string, configs: Record<string, string | null>, validateOnly: boolean): Promise<ResourceOutcome> {
  switch (resourceType) {
    case ResourceType.TOPIC:
      return checkTopicResourceName(broker, resourceName) ?? broker.topics.alterConfigs(resourceName, configs, { validateOnly });
    case ResourceType.BROKER: {
      const s = brokerScope(broker, resourceName);
      if ('errorCode' in s) return s;
      return applyBrokerConfigs(broker, s.scope, configs, validateOnly);
    }
    default:
      return unsupportedResourceType(resourceType);
  }
}

export default defineHandler<AlterConfigsRequest, AlterConfigsResponse>({
  api: AlterConfigs,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, request) {
    const response = AlterConfigs.response.empty(ctx.header.apiVersion);
    response.responses = await alterEachResource(request.resources, (r) => {
      const configs: Record<string, string | null> = {};
      for (const c of r.configs) configs[c.name] = c.value;
      return alter(ctx.broker, r.resourceType, r.resourceName, configs, request.validateOnly);
    });
    return response;
  },
});
