/**
 * Shared pieces of the admin handlers: config resource types, authorized-operation bitfields
 * (no authorizer: everything is allowed), and DescribeConfigs-style entries for topics and for
 * this broker, built from the topic config definitions and the dynamic broker config layers.
 */
import type { Broker } from '../broker.js';
import { BROKER_CONFIG_DEFS, configDef, parseConfigValue, type ConfigType as BrokerConfigType } from '../config.js';
import {
  CONFIG_TYPE_ID, ConfigSource, TOPIC_CONFIG_DEFS, resolveTopicConfig, type ConfigLayer, type ConfigSourceId,
} from '../../cluster/topic-config.js';
import type { DynamicScope } from '../../cluster/dynamic-broker-config.js';
import { ErrorCode } from '../../protocol/error-codes.js';

/** ConfigResource.Type ids. */
export const ResourceType = { UNKNOWN: 0, TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const;

/** AclOperation codes (READ=3 ... IDEMPOTENT_WRITE=12) as Kafka's authorized-operations bitfields. */
const op = (...codes: number[]) => codes.reduce((acc, c) => acc | (1 << c), 0);
/** READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS. */
export const TOPIC_AUTHORIZED_OPERATIONS = op(3, 4, 5, 6, 7, 8, 10, 11);
/** CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE. */
export const CLUSTER_AUTHORIZED_OPERATIONS = op(5, 7, 8, 9, 10, 11, 12);
/** Kafka's "not requested" marker (Integer.MIN_VALUE). */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

/** One config entry in the shape DescribeConfigs (and CreateTopics v5+) returns. */
export interface ConfigEntryView {
  name: string;
  value: string | null;
  readOnly: boolean;
  configSource: ConfigSourceId;
  isSensitive: boolean;
  synonyms: ConfigLayer[];
  configType: number;
  documentation: string | null;
}

/** Every topic config with its effective value for the given overrides. */
export function topicConfigEntries(broker: Broker, overrides: Record<string, string>, keys: string[] | null = null): ConfigEntryView[] {
  const layers = broker.topics.dynamicConfigs;
  const out: ConfigEntryView[] = [];
  for (const d of TOPIC_CONFIG_DEFS) {
    if (keys !== null && !keys.includes(d.name)) continue;
    const r = resolveTopicConfig(d, overrides, layers);
    out.push({
      name: d.name, value: r.value, readOnly: false, configSource: r.source, isSensitive: false,
      synonyms: r.synonyms, configType: CONFIG_TYPE_ID[d.type], documentation: d.doc,
    });
  }
  return out;
}

/** Which dynamic layer a BROKER resource name addresses: "" is the cluster default. */
export function brokerScope(broker: Broker, resourceName: string): { scope: DynamicScope } | { errorCode: number; errorMessage: string } {
  if (resourceName === '') return { scope: 'default' };
  if (!/^-?\d+$/.test(resourceName)) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Broker id must be an integer, but it is: ${resourceName}` };
  if (Number(resourceName) !== broker.nodeId) {
    return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unexpected broker id, expected ${broker.nodeId}, but received ${resourceName}` };
  }
  return { scope: 'broker' };
}

/**
 * The broker's configs. For our own node id: every known config with its effective value; for
 * the empty name (cluster default): only the dynamic cluster-default configs, as Kafka does.
 */
export function brokerConfigEntries(broker: Broker, scope: DynamicScope, keys: string[] | null): ConfigEntryView[] {
  const layers = broker.topics.dynamicConfigs;
  const out: ConfigEntryView[] = [];
  if (scope === 'default') {
    for (const [name, value] of Object.entries(layers.get('default'))) {
      if (keys !== null && !keys.includes(name)) continue;
      const d = configDef(name);
      const sensitive = d?.type === 'password';
      out.push({
        name, value: sensitive ? null : value, readOnly: false, configSource: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG,
        isSensitive: sensitive, synonyms: [{ name, value: sensitive ? null : value, source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG }],
        configType: d === undefined ? 0 : CONFIG_TYPE_ID[d.type], documentation: d?.doc ?? null,
      });
    }
    return out;
  }
  for (const d of BROKER_CONFIG_DEFS) {
    if (keys !== null && !keys.includes(d.name)) continue;
    const sensitive = d.type === 'password';
    const ls = layers.layers(d.name).map((l) => (sensitive ? { ...l, value: null } : l));
    const top = ls[0];
    out.push({
      name: d.name, value: sensitive ? null : top?.value ?? null, readOnly: d.dynamic !== true,
      configSource: top?.source ?? ConfigSource.DEFAULT_CONFIG, isSensitive: sensitive, synonyms: ls,
      configType: CONFIG_TYPE_ID[d.type], documentation: d.doc,
    });
  }
  return out;
}

/**
 * Validates dynamic broker config values (AlterConfigs / IncrementalAlterConfigs on BROKER):
 * the key must be a known dynamic broker config and the value must parse. Returns the values
 * as given (trimmed) or Kafka's INVALID_CONFIG / INVALID_REQUEST answer.
 */
export function validateBrokerConfigs(configs: Record<string, string | null>): { configs: Record<string, string> } | { errorCode: number; errorMessage: string } {
  const out: Record<string, string> = {};
  const notDynamic: string[] = [];
  for (const [name, value] of Object.entries(configs)) {
    const d = configDef(name);
    if (d === undefined) return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: `Unknown broker config name: ${name}` };
    if (d.dynamic !== true) {
      notDynamic.push(name);
      continue;
    }
    if (value === null) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Null value not supported for : ${name}` };
    try {
      parseConfigValue(d, value);
    } catch (err) {
      const why = /\(([^()]*)\)$/.exec((err as Error).message)?.[1] ?? (err as Error).message;
      return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: `Invalid value ${value} for configuration ${name}: ${why}` };
    }
    out[name] = value.trim();
  }
  if (notDynamic.length > 0) {
    return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Cannot update these configs dynamically: Set(${notDynamic.join(', ')})` };
  }
  return { configs: out };
}

/** A known broker config's type (whether or not it is dynamic; validation decides that). */
export function brokerConfigType(name: string): BrokerConfigType | undefined {
  return configDef(name)?.type;
}

// ---------------------------------------------------------------------------------------------
// AlterConfigs and IncrementalAlterConfigs: what the two handlers share per resource.

/** One resource's answer in an AlterConfigs-style response. */
export interface ResourceOutcome {
  errorCode: number;
  errorMessage: string | null;
}

interface ConfigResource {
  resourceType: number;
  resourceName: string;
}

const OK: ResourceOutcome = { errorCode: ErrorCode.NONE, errorMessage: null };

/**
 * Answers every resource of an AlterConfigs-style request, in request order. A (type, name)
 * named more than once is not altered at all: it gets a single INVALID_REQUEST "Duplicate
 * resource." answer, as Kafka's ControllerApis/ZkAdminManager do.
 */
export async function alterEachResource<R extends ConfigResource>(
  resources: readonly R[],
  alter: (resource: R) => Promise<ResourceOutcome>,
): Promise<(ResourceOutcome & ConfigResource)[]> {
  const key = (r: ConfigResource) => `${r.resourceType}\u0000${r.resourceName}`;
  const counts = new Map<string, number>();
  for (const r of resources) counts.set(key(r), (counts.get(key(r)) ?? 0) + 1);
  const reported = new Set<string>();
  const out: (ResourceOutcome & ConfigResource)[] = [];
  for (const r of resources) {
    const k = key(r);
    let outcome: ResourceOutcome;
    if ((counts.get(k) ?? 0) > 1) {
      if (reported.has(k)) continue;
      reported.add(k);
      outcome = { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate resource.' };
    } else {
      outcome = await alter(r);
    }
    out.push({ ...outcome, resourceType: r.resourceType, resourceName: r.resourceName });
  }
  return out;
}

/** INVALID_TOPIC_EXCEPTION when a TOPIC resource's name is not a legal topic name, else null. */
export function checkTopicResourceName(broker: Broker, resourceName: string): ResourceOutcome | null {
  const bad = broker.topics.validateTopicName(resourceName);
  return bad === null ? null : { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: bad };
}

/** Validates a BROKER resource's resulting dynamic configs and, unless validateOnly, stores them. */
export async function applyBrokerConfigs(broker: Broker, scope: DynamicScope, configs: Record<string, string | null>, validateOnly: boolean): Promise<ResourceOutcome> {
  const v = validateBrokerConfigs(configs);
  if ('errorCode' in v) return v;
  if (!validateOnly) await broker.topics.alterBrokerConfigs(scope, v.configs);
  return OK;
}

export function unsupportedResourceType(resourceType: number): ResourceOutcome {
  return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource type: ${resourceType}` };
}
