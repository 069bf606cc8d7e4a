/**
 * Planning of config changes, after KRaft's ConfigurationControlManager: pure functions from
 * an image and the wanted set of configs to a result plus the ConfigRecords that make the
 * stored set equal to the wanted one (a record per added or changed name, a null-valued one
 * per removed name; nothing when nothing changes).
 *
 * Topic overrides are validated here (topic-config.ts; INVALID_CONFIG, UNKNOWN_TOPIC_OR_PARTITION).
 * Dynamic broker configs are validated by the caller against the broker config definitions
 * (which live in the server layer); this only computes their records.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { validateTopicConfigs } from '../topic-config.js';
import type { MetadataImage } from '../metadata/metadata-image.js';
import type { ConfigRecord, ConfigResourceType } from '../metadata/metadata-records.js';
import type { Plan, TopicResult } from './replication-control.js';

/** The records that turn `current` into `wanted` for one resource. */
export function configDiff(resourceType: ConfigResourceType, resourceName: string, current: Readonly<Record<string, string>>, wanted: Readonly<Record<string, string>>): ConfigRecord[] {
  const out: ConfigRecord[] = [];
  for (const name of Object.keys(current)) {
    if (!(name in wanted)) out.push({ type: 'ConfigRecord', resourceType, resourceName, name, value: null });
  }
  for (const [name, value] of Object.entries(wanted)) {
    if (current[name] !== value) out.push({ type: 'ConfigRecord', resourceType, resourceName, name, value });
  }
  return out;
}

/** AlterConfigs semantics for a topic: `configs` become its complete set of overrides. */
export function planAlterTopicConfigs(image: MetadataImage, name: string, configs: Record<string, string | null>): Plan<TopicResult> {
  const topic = image.topic(name);
  if (topic === undefined) return { results: [{ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `The topic '${name}' does not exist.` }], records: [] };
  const v = validateTopicConfigs(configs);
  if ('error' in v) return { results: [{ errorCode: ErrorCode.INVALID_CONFIG, errorMessage: v.error }], records: [] };
  return { results: [{ errorCode: ErrorCode.NONE, errorMessage: null }], records: configDiff('topic', name, topic.configs, v.configs) };
}

/** Replaces one dynamic broker config layer ('default' or a broker id) with `configs`. */
export function planAlterBrokerConfigs(image: MetadataImage, scope: 'default' | number, configs: Readonly<Record<string, string>>): ConfigRecord[] {
  return configDiff('broker', scope === 'default' ? '' : String(scope), image.brokerConfigs(scope), configs);
}
