/**
 * Topic configs: Kafka's names, types, defaults, validators and broker synonyms (LogConfig and
 * TopicConfig in apache/kafka), how an effective value is resolved from the layers that can set
 * it, and the mapping onto storage's LogConfig.
 *
 * Resolution order, as Kafka's DescribeConfigs reports it: the topic's own override
 * (DYNAMIC_TOPIC_CONFIG), then each broker synonym in order (e.g. retention.ms ←
 * log.retention.ms, log.retention.minutes, log.retention.hours), each of which is resolved as
 * dynamic per-broker, dynamic cluster default, static (server.properties), default. The first
 * layer with a value wins; if none has one the topic config's own default applies.
 * Values are kept as the strings the user gave (trimmed); numbers are parsed only when mapped
 * to LogConfig, so Long.MAX_VALUE survives a round trip to DescribeConfigs.
 */
import type { LogConfig } from '../storage/log-config.js';

/** DescribeConfigsResponse.ConfigSource ids. */
export const ConfigSource = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
} as const;
export type ConfigSourceId = (typeof ConfigSource)[keyof typeof ConfigSource];

export type ConfigType = 'boolean' | 'string' | 'int' | 'short' | 'long' | 'double' | 'list' | 'class' | 'password';

/** DescribeConfigs v3+ configType ids (ConfigEntry.ConfigType). */
export const CONFIG_TYPE_ID: Record<ConfigType, number> = {
  boolean: 1, string: 2, int: 3, short: 4, long: 5, double: 6, list: 7, class: 8, password: 9,
};

const LONG_MAX = '9223372036854775807';
const LONG_MIN = -(2n ** 63n);
const LONG_MAX_N = 2n ** 63n - 1n;
const INT_MIN = -(2n ** 31n);
const INT_MAX = 2n ** 31n - 1n;

export interface BrokerSynonym {
  /** The broker config name, e.g. log.retention.hours. */
  name: string;
  /** Converts the broker value to the topic config's unit (hours → ms); identity if absent. */
  toTopicValue?: (brokerValue: string) => string;
}

export interface TopicConfigDef {
  name: string;
  type: ConfigType;
  /** Kafka's default, as DescribeConfigs prints it. */
  defaultValue: string;
  synonyms: BrokerSynonym[];
  /** For numbers: inclusive bounds. */
  min?: bigint | number;
  max?: bigint | number;
  /** For strings and lists: the allowed values. */
  validValues?: readonly string[];
  doc: string;
}

const times = (factor: number) => (v: string): string => {
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? String(n * factor) : v;
};
const HOURS = times(3_600_000);
const MINUTES = times(60_000);

function def(name: string, type: ConfigType, defaultValue: string, synonyms: (string | BrokerSynonym)[], doc: string,
  extra: Partial<Pick<TopicConfigDef, 'min' | 'max' | 'validValues'>> = {}): TopicConfigDef {
  return { name, type, defaultValue, synonyms: synonyms.map((s) => (typeof s === 'string' ? { name: s } : s)), doc, ...extra };
}

export const TOPIC_CONFIG_DEFS: readonly TopicConfigDef[] = [
  def('cleanup.policy', 'list', 'delete', ['log.cleanup.policy'],
    'A string that is either "delete" or "compact" or both. Designates the retention policy to use on old log segments.',
    { validValues: ['compact', 'delete'] }),
  def('compression.gzip.level', 'int', '-1', ['compression.gzip.level'],
    'The compression level to use if compression.type is set to gzip.', { min: -1, max: 9 }),
  def('compression.lz4.level', 'int', '9', ['compression.lz4.level'],
    'The compression level to use if compression.type is set to lz4.', { min: 1, max: 17 }),
  def('compression.type', 'string', 'producer', ['compression.type'],
    "Specify the final compression type for a given topic. 'producer' retains the original compression codec set by the producer.",
    { validValues: ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'] }),
  def('compression.zstd.level', 'int', '3', ['compression.zstd.level'],
    'The compression level to use if compression.type is set to zstd.', { min: -131072, max: 22 }),
  def('delete.retention.ms', 'long', '86400000', ['log.cleaner.delete.retention.ms'],
    'The amount of time to retain delete tombstone markers for log compacted topics.', { min: 0 }),
  def('file.delete.delay.ms', 'long', '60000', ['log.segment.delete.delay.ms'],
    'The time to wait before deleting a file from the filesystem.', { min: 0 }),
  def('flush.messages', 'long', LONG_MAX, ['log.flush.interval.messages'],
    'The number of messages accumulated on a log partition before messages are flushed to disk.', { min: 1 }),
  def('flush.ms', 'long', LONG_MAX, ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'],
    'The maximum time in ms that a message in any topic is kept in memory before flushed to disk.', { min: 0 }),
  def('follower.replication.throttled.replicas', 'list', '', ['follower.replication.throttled.replicas'],
    'A list of replicas for which log replication should be throttled on the follower side.'),
  def('index.interval.bytes', 'int', '4096', ['log.index.interval.bytes'],
    'How frequently Kafka adds an index entry to its offset index.', { min: 0 }),
  def('leader.replication.throttled.replicas', 'list', '', ['leader.replication.throttled.replicas'],
    'A list of replicas for which log replication should be throttled on the leader side.'),
  def('max.compaction.lag.ms', 'long', LONG_MAX, ['log.cleaner.max.compaction.lag.ms'],
    'The maximum time a message will remain ineligible for compaction in the log.', { min: 1 }),
  def('max.message.bytes', 'int', '1048588', ['message.max.bytes'],
    'The largest record batch size allowed by Kafka (after compression if compression is enabled).', { min: 0 }),
  def('message.timestamp.after.max.ms', 'long', '3600000', ['log.message.timestamp.after.max.ms'],
    'The maximum allowed time difference between the message timestamp and the broker\'s timestamp, when the message timestamp is later.', { min: 0 }),
  def('message.timestamp.before.max.ms', 'long', LONG_MAX, ['log.message.timestamp.before.max.ms'],
    'The maximum allowed time difference between the broker\'s timestamp and the message timestamp, when the message timestamp is earlier.', { min: 0 }),
  def('message.timestamp.difference.max.ms', 'long', LONG_MAX, ['log.message.timestamp.difference.max.ms'],
    '[DEPRECATED] The maximum difference allowed between the timestamp when a broker receives a message and the timestamp specified in the message.', { min: 0 }),
  def('message.timestamp.type', 'string', 'CreateTime', ['log.message.timestamp.type'],
    'Define whether the timestamp in the message is message create time or log append time.',
    { validValues: ['CreateTime', 'LogAppendTime'] }),
  def('min.cleanable.dirty.ratio', 'double', '0.5', ['log.cleaner.min.cleanable.ratio'],
    'This configuration controls how frequently the log compactor will attempt to clean the log.', { min: 0, max: 1 }),
  def('min.compaction.lag.ms', 'long', '0', ['log.cleaner.min.compaction.lag.ms'],
    'The minimum time a message will remain uncompacted in the log.', { min: 0 }),
  def('min.insync.replicas', 'int', '1', ['min.insync.replicas'],
    'The minimum number of replicas that must acknowledge a write for the write to be considered successful when acks=all.', { min: 1 }),
  def('preallocate', 'boolean', 'false', ['log.preallocate'],
    'True if we should preallocate the file on disk when creating a new log segment.'),
  def('retention.bytes', 'long', '-1', ['log.retention.bytes'],
    'The maximum size a partition can grow to before old log segments are discarded to free up space.'),
  def('retention.ms', 'long', '604800000',
    ['log.retention.ms', { name: 'log.retention.minutes', toTopicValue: MINUTES }, { name: 'log.retention.hours', toTopicValue: HOURS }],
    'The maximum time a log is retained before old log segments are discarded; -1 means no time limit.', { min: -1 }),
  // Kafka 4.0 raised the minimum to 1 MiB; we keep 3.x's bound so small test segments work.
  def('segment.bytes', 'int', '1073741824', ['log.segment.bytes'],
    'This configuration controls the segment file size for the log.', { min: 14 }),
  def('segment.index.bytes', 'int', '10485760', ['log.index.size.max.bytes'],
    'This configuration controls the size of the index that maps offsets to file positions.', { min: 4 }),
  def('segment.jitter.ms', 'long', '0', ['log.roll.jitter.ms', { name: 'log.roll.jitter.hours', toTopicValue: HOURS }],
    'The maximum random jitter subtracted from the scheduled segment roll time.', { min: 0 }),
  def('segment.ms', 'long', '604800000', ['log.roll.ms', { name: 'log.roll.hours', toTopicValue: HOURS }],
    'The period of time after which Kafka will force the log to roll even if the segment file isn\'t full.', { min: 1 }),
  def('unclean.leader.election.enable', 'boolean', 'false', ['unclean.leader.election.enable'],
    'Indicates whether to enable replicas not in the ISR set to be elected as leader as a last resort.'),
];

const BY_NAME: ReadonlyMap<string, TopicConfigDef> = new Map(TOPIC_CONFIG_DEFS.map((d) => [d.name, d]));

export function topicConfigDef(name: string): TopicConfigDef | undefined {
  return BY_NAME.get(name);
}

/** Every broker config name that is a synonym of some topic config. */

/**
 * Checks one value against its definition the way Kafka's ConfigDef does; returns the canonical
 * value (trimmed; booleans lower-cased; lists with bare commas) or Kafka's message.
 */
export function validateConfigValue(d: Pick<TopicConfigDef, 'name' | 'type' | 'min' | 'max' | 'validValues'>, raw: string): { value: string } | { error: string } {
  const v = d.type === 'password' ? raw : raw.trim();
  const bad = (why: string) => ({ error: `Invalid value ${raw} for configuration ${d.name}: ${why}` });
  switch (d.type) {
    case 'boolean': {
      const l = v.toLowerCase();
      if (l !== 'true' && l !== 'false') return bad('Expected value to be either true or false');
      return { value: l };
    }
    case 'int': case 'short': case 'long': {
      const kind = d.type.toUpperCase();
      if (!/^[+-]?\d+$/.test(v)) return bad(`Not a number of type ${kind}`);
      const n = BigInt(v);
      const [lo, hi] = d.type === 'long' ? [LONG_MIN, LONG_MAX_N] : d.type === 'int' ? [INT_MIN, INT_MAX] : [-32768n, 32767n];
      if (n < lo || n > hi) return bad(`Not a number of type ${kind}`);
      if (d.min !== undefined && n < BigInt(d.min)) return bad(`Value must be at least ${d.min}`);
      if (d.max !== undefined && n > BigInt(d.max)) return bad(`Value must be no more than ${d.max}`);
      return { value: n.toString() };
    }
    case 'double': {
      const n = Number(v);
      if (v === '' || !Number.isFinite(n)) return bad('Not a number of type DOUBLE');
      if (d.min !== undefined && n < Number(d.min)) return bad(`Value must be at least ${d.min}`);
      if (d.max !== undefined && n > Number(d.max)) return bad(`Value must be no more than ${d.max}`);
      return { value: v };
    }
    case 'list': {
      const items = v === '' ? [] : v.split(',').map((s) => s.trim());
      if (d.validValues !== undefined) {
        for (const item of items) {
          if (!d.validValues.includes(item)) return bad(`String must be one of: ${d.validValues.join(', ')}`);
        }
      }
      return { value: items.join(',') };
    }
    default: {
      if (d.validValues !== undefined && !d.validValues.includes(v)) return bad(`String must be one of: ${d.validValues.join(', ')}`);
      return { value: v };
    }
  }
}

/**
 * Validates a set of topic overrides (CreateTopics, AlterConfigs). Returns the canonical
 * overrides, or Kafka's INVALID_CONFIG message for the first bad entry.
 */
export function validateTopicConfigs(configs: Record<string, string | null>): { configs: Record<string, string> } | { error: string } {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(configs)) {
    const d = BY_NAME.get(name);
    if (d === undefined) return { error: `Unknown topic config name: ${name}` };
    if (value === null) return { error: `Null value not supported for topic configs: ${name}` };
    const r = validateConfigValue(d, value);
    if ('error' in r) return r;
    out[name] = r.value;
  }
  return { configs: out };
}

/** One place a config value can come from, as DescribeConfigs lists synonyms. */
export interface ConfigLayer {
  name: string;
  value: string | null;
  source: ConfigSourceId;
}

/** What the broker knows about one of its own configs, most specific layer first. */
export interface BrokerConfigLayers {
  layers(brokerConfigName: string): ConfigLayer[];
}

export interface ResolvedConfig {
  name: string;
  value: string;
  source: ConfigSourceId;
  /** Every layer that sets the value, the winner first (Kafka's synonyms list). */
  synonyms: ConfigLayer[];
}

/** Resolves one topic config through the override, the broker synonyms and the default. */
export function resolveTopicConfig(d: TopicConfigDef, overrides: Record<string, string>, broker: BrokerConfigLayers): ResolvedConfig {
  const synonyms: ConfigLayer[] = [];
  const own = overrides[d.name];
  if (own !== undefined) synonyms.push({ name: d.name, value: own, source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
  let winner: { value: string; source: ConfigSourceId } | null = own === undefined ? null : { value: own, source: ConfigSource.DYNAMIC_TOPIC_CONFIG };
  for (const syn of d.synonyms) {
    for (const layer of broker.layers(syn.name)) {
      if (layer.value === null) continue;
      synonyms.push(layer);
      if (winner === null) winner = { value: syn.toTopicValue === undefined ? layer.value : syn.toTopicValue(layer.value), source: layer.source };
    }
  }
  if (winner === null) winner = { value: d.defaultValue, source: ConfigSource.DEFAULT_CONFIG };
  return { name: d.name, value: winner.value, source: winner.source, synonyms };
}

/** The effective value of every topic config. */
export function effectiveTopicConfigs(overrides: Record<string, string>, broker: BrokerConfigLayers): Map<string, ResolvedConfig> {
  const out = new Map<string, ResolvedConfig>();
  for (const d of TOPIC_CONFIG_DEFS) out.set(d.name, resolveTopicConfig(d, overrides, broker));
  return out;
}

function num(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) return fallback;
  return Math.max(Math.min(n, Number.MAX_SAFE_INTEGER), Number.MIN_SAFE_INTEGER);
}

/** Maps the effective topic configs onto storage's LogConfig. */
export function toLogConfig(overrides: Record<string, string>, broker: BrokerConfigLayers): LogConfig {
  const eff = effectiveTopicConfigs(overrides, broker);
  const get = (name: string): string | undefined => eff.get(name)?.value;
  const policy = (get('cleanup.policy') ?? 'delete').split(',').map((s) => s.trim());
  return {
    segmentBytes: num(get('segment.bytes'), 1073741824),
    segmentMs: num(get('segment.ms'), 604800000),
    segmentIndexBytes: num(get('segment.index.bytes'), 10485760),
    indexIntervalBytes: num(get('index.interval.bytes'), 4096),
    retentionMs: num(get('retention.ms'), 604800000),
    retentionBytes: num(get('retention.bytes'), -1),
    cleanupPolicy: { delete: policy.includes('delete'), compact: policy.includes('compact') },
    deleteRetentionMs: num(get('delete.retention.ms'), 86400000),
    minCleanableDirtyRatio: num(get('min.cleanable.dirty.ratio'), 0.5),
    minCompactionLagMs: num(get('min.compaction.lag.ms'), 0),
    flushMessages: num(get('flush.messages'), Number.MAX_SAFE_INTEGER),
    flushMs: num(get('flush.ms'), Number.MAX_SAFE_INTEGER),
    maxMessageBytes: num(get('max.message.bytes'), 1048588),
    messageTimestampType: get('message.timestamp.type') === 'LogAppendTime' ? 'LogAppendTime' : 'CreateTime',
    fileDeleteDelayMs: num(get('file.delete.delay.ms'), 60000),
  };
}

/** Applies IncrementalAlterConfigs operations to a set of overrides; returns the new set or an error. */
export const AlterConfigOp = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

export function applyIncrementalOps(current: Record<string, string>, ops: { name: string; configOperation: number; value: string | null }[],
  typeOf: (name: string) => ConfigType | undefined, effective: (name: string) => string | undefined,
  unknownMessage: (name: string) => string): { configs: Record<string, string | null> } | { errorCode: 'INVALID_CONFIG' | 'INVALID_REQUEST'; error: string } {
  const next: Record<string, string | null> = { ...current };
  for (const op of ops) {
    const type = typeOf(op.name);
    if (type === undefined) return { errorCode: 'INVALID_CONFIG', error: unknownMessage(op.name) };
    switch (op.configOperation) {
      case AlterConfigOp.SET:
        next[op.name] = op.value;
        break;
      case AlterConfigOp.DELETE:
        delete next[op.name];
        break;
      case AlterConfigOp.APPEND:
      case AlterConfigOp.SUBTRACT: {
        if (type !== 'list') {
          const verb = op.configOperation === AlterConfigOp.APPEND ? 'append' : 'subtract';
          return { errorCode: 'INVALID_CONFIG', error: `Config value ${verb} is not allowed for config key: ${op.name}` };
        }
        const base = next[op.name] ?? effective(op.name) ?? '';
        const items = base === '' ? [] : base.split(',').map((s) => s.trim());
        const given = (op.value ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
        let result: string[];
        if (op.configOperation === AlterConfigOp.APPEND) {
          result = [...items];
          for (const g of given) if (!result.includes(g)) result.push(g);
        } else {
          result = items.filter((i) => !given.includes(i));
        }
        next[op.name] = result.join(',');
        break;
      }
      default:
        return { errorCode: 'INVALID_REQUEST', error: `Unknown alter configs operation type ${op.configOperation}` };
    }
  }
  return { configs: next };
}
