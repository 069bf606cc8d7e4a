/**
 * DescribeConfigs (key 32), v1-4.
 *
 * Behavior: for a TOPIC resource, every topic config (or only configurationKeys) with its
 * effective value and source: DYNAMIC_TOPIC_CONFIG for the topic's overrides, then the broker
 * synonyms (DYNAMIC_BROKER_CONFIG, DYNAMIC_DEFAULT_BROKER_CONFIG, STATIC_BROKER_CONFIG,
 * DEFAULT_CONFIG) and finally the topic default. For a BROKER resource named by our node id,
 * every broker config (readOnly unless dynamic, passwords null and sensitive); with the empty
 * name, only the dynamic cluster-wide defaults. BROKER_LOGGER answers an empty list.
 * Errors per resource: UNKNOWN_TOPIC_OR_PARTITION, INVALID_TOPIC_EXCEPTION, INVALID_REQUEST for
 * another broker id or an unsupported resource type.
 * Version notes: v1 sources and synonyms (only when includeSynonyms), v3 configType and
 * documentation (only when includeDocumentation), v4 flexible.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import {
  DescribeConfigs, type DescribeConfigsRequest, type DescribeConfigsResponse, type DescribeConfigsResponseDescribeConfigsResult,
} from '../../protocol/messages/describe-configs.js';
import { ConfigSource } from '../../cluster/topic-config.js';
import type { Broker } from '../broker.js';
import { defineHandler } from '../handler.js';
import { ResourceType, brokerConfigEntries, brokerScope, topicConfigEntries, type ConfigEntryView } from './_admin-helpers.js';

function describe(broker: Broker, resourceType: number, resourceName: string, keys: string[] | null): { errorCode: number; errorMessage: string | null; entries: ConfigEntryView[] } {
  switch (resourceType) {
    case ResourceType.TOPIC: {
      const bad = broker.topics.validateTopicName(resourceName);
      if (bad !== null) return { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: bad, entries: [] };
      const info = broker.topics.get(resourceName);
      if (info === undefined) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `The topic '${resourceName}' does not exist.`, entries: [] };
      return { errorCode: ErrorCode.NONE, errorMessage: null, entries: topicConfigEntries(broker, info.configs, keys) };
    }
    case ResourceType.BROKER: {
      const s = brokerScope(broker, resourceName);
      if ('errorCode' in s) return { ...s, entries: [] };
      return { errorCode: ErrorCode.NONE, errorMessage: null, entries: brokerConfigEntries(broker, s.scope, keys) };
    }
    case ResourceType.BROKER_LOGGER: {
      const s = brokerScope(broker, resourceName);
      if ('errorCode' in s) return { ...s, entries: [] };
      return { errorCode: ErrorCode.NONE, errorMessage: null, entries: [] };
    }
    default:
      return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource type: ${resourceType}`, entries: [] };
  }
}

export default defineHandler<DescribeConfigsRequest, DescribeConfigsResponse>({
  api: DescribeConfigs,
  minVersion: 1,
  maxVersion: 4,
  handle(ctx, request) {
    const version = ctx.header.apiVersion;
    const response = DescribeConfigs.response.empty(version);
    for (const res of request.resources) {
      const d = describe(ctx.broker, res.resourceType, res.resourceName, res.configurationKeys);
      const result: DescribeConfigsResponseDescribeConfigsResult = {
        errorCode: d.errorCode, errorMessage: d.errorMessage, resourceType: res.resourceType, resourceName: res.resourceName,
        configs: d.entries.map((e) => ({
          name: e.name,
          value: e.value,
          readOnly: e.readOnly,
          isDefault: e.configSource === ConfigSource.DEFAULT_CONFIG,
          configSource: e.configSource,
          isSensitive: e.isSensitive,
          synonyms: request.includeSynonyms ? e.synonyms : [],
          configType: e.configType,
          documentation: request.includeDocumentation ? e.documentation : null,
        })),
      };
      response.results.push(result);
    }
    return response;
  },
});
