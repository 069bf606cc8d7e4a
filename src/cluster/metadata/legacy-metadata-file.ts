/**
 * The topic metadata format Sherwood used before the metadata journal, read once to migrate a
 * data dir (file-metadata-store.ts). One JSON file, `<first log dir>/sherwood-metadata.json`,
 * replaced atomically on every change:
 *   { "version": 1,
 *     "topics": [{ "name", "topicId" (Kafka's base64url Uuid string), "numPartitions",
 *                  "replicationFactor", "configs": { name: value }, "internal" }],
 *     "brokerConfigs": { "broker": { name: value }, "default": { name: value } } }
 * Every topic was led by this broker alone (replicas = ISR = [node id], leader epoch 0), and
 * "broker" was this broker's dynamic layer.
 */
import { CorruptRecordError } from '../../base/errors.js';
import { uuidFromString, type MetadataRecord } from './metadata-records.js';

export const LEGACY_METADATA_FILE_NAME = 'sherwood-metadata.json';

interface LegacyTopic {
  name: string;
  topicId: string;
  numPartitions: number;
  configs?: Record<string, string>;
}

/** The records equivalent to a legacy file's content; throws CorruptRecordError naming `path`. */
export function legacyMetadataRecords(buf: Buffer, path: string, nodeId: number): MetadataRecord[] {
  let raw: unknown;
  try {
    raw = JSON.parse(buf.toString('utf8'));
  } catch (err) {
    throw new CorruptRecordError(`topic metadata ${path} is not valid JSON`, { cause: err });
  }
  const s = raw as { version?: unknown; topics?: unknown; brokerConfigs?: { broker?: Record<string, string>; default?: Record<string, string> } };
  if (typeof s !== 'object' || s === null || s.version !== 1 || !Array.isArray(s.topics)) {
    throw new CorruptRecordError(`topic metadata ${path} has an unknown format`);
  }
  const records: MetadataRecord[] = [];
  for (const [scope, resourceName] of [['default', ''], ['broker', String(nodeId)]] as const) {
    for (const [name, value] of Object.entries(s.brokerConfigs?.[scope] ?? {})) {
      if (typeof value === 'string') records.push({ type: 'ConfigRecord', resourceType: 'broker', resourceName, name, value });
    }
  }
  for (const t of s.topics as LegacyTopic[]) {
    if (typeof t?.name !== 'string' || typeof t.topicId !== 'string' || !Number.isInteger(t.numPartitions) || t.numPartitions < 1) {
      throw new CorruptRecordError(`topic metadata ${path} has a malformed topic entry`);
    }
    let topicId: Buffer;
    try {
      topicId = uuidFromString(t.topicId);
    } catch (err) {
      throw new CorruptRecordError(`topic metadata ${path}: topic ${t.name} has a bad topic id`, { cause: err });
    }
    records.push({ type: 'TopicRecord', name: t.name, topicId });
    for (const [name, value] of Object.entries(t.configs ?? {})) {
      if (typeof value === 'string') records.push({ type: 'ConfigRecord', resourceType: 'topic', resourceName: t.name, name, value });
    }
    for (let p = 0; p < t.numPartitions; p++) {
      records.push({ type: 'PartitionRecord', topicId, partitionId: p, replicas: [nodeId], isr: [nodeId], leader: nodeId, leaderEpoch: 0, partitionEpoch: 0 });
    }
  }
  return records;
}
