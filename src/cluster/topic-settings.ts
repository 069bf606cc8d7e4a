/**
 * A topic's settings as the partition layer applies them, resolved once per change of the
 * topic's configs or of the dynamic broker configs (never per request): the LogConfig the
 * storage obeys, and the validation and replication settings of its partitions. Each value is
 * the topic override, else the broker's (dynamic, then static) synonym, else Kafka's default,
 * exactly as DescribeConfigs reports it.
 */
import { assert } from '../base/assert.js';
import { parseCompressionType } from './log-validator.js';
import type { TopicSettings } from './replica-manager.js';
import type { TopicManager } from './topic-manager.js';

const LONG_MAX_MS = Number.MAX_SAFE_INTEGER;

/** A long config value in ms; Kafka's Long.MAX_VALUE and anything beyond 2^53 mean "no limit". */
function longMs(value: string | undefined, name: string): number {
  assert(value !== undefined, `topic config ${name} has no value`);
  const n = Number(value);
  assert(Number.isFinite(n) && n >= 0, `topic config ${name} has a bad value '${value}'`);
  return Math.min(n, LONG_MAX_MS);
}

export function resolveTopicSettings(topics: Pick<TopicManager, 'get' | 'configValue'>, replicaLagTimeMaxMs: number, topic: string): TopicSettings {
  const info = topics.get(topic);
  assert(info !== undefined, `settings of unknown topic ${topic}`);
  const c = info.logConfig;
  const value = (name: string): string | undefined => topics.configValue(topic, name);
  return {
    logConfig: c,
    partition: {
      validation: {
        maxMessageBytes: c.maxMessageBytes,
        segmentBytes: c.segmentBytes,
        compacted: c.cleanupPolicy.compact,
        timestampType: c.messageTimestampType,
        timestampBeforeMaxMs: longMs(value('message.timestamp.before.max.ms'), 'message.timestamp.before.max.ms'),
        timestampAfterMaxMs: longMs(value('message.timestamp.after.max.ms'), 'message.timestamp.after.max.ms'),
        compressionType: parseCompressionType(value('compression.type')),
      },
      minInsyncReplicas: Number(value('min.insync.replicas')),
      isInternal: info.isInternal,
      replicaLagTimeMaxMs,
    },
  };
}
