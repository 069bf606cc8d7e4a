/**
 * Dynamic broker configs (IncrementalAlterConfigs / AlterConfigs on a BROKER resource): a
 * per-broker layer (resource name = our node id) and a cluster-default layer (empty resource
 * name) over the static server.properties values. The layers are stored as broker
 * ConfigRecords in the metadata journal and loaded from the image by the TopicManager; this
 * class only keeps the current ones and answers which layer sets what. The effective value is pushed into BrokerConfig with `set`, so code that reads
 * `broker.config` sees it.
 *
 * Config names are never guessed: asking for a name BrokerConfig does not define throws its
 * ConfigError (a misspelled name in code is a bug and must show), except for the topic-config
 * synonyms listed in TOPIC_ONLY_SYNONYMS, which have no broker layer. Persisted layers are data,
 * not code: an entry whose name BrokerConfig no longer defines is dropped on load with a
 * warning (a value it refuses still stops the start-up, naming the key).
 */
import type { Logger } from '../base/logger.js';
import { ConfigSource, type BrokerConfigLayers, type ConfigLayer, type ConfigSourceId } from './topic-config.js';

/** The slice of the server's BrokerConfig this layer needs (cluster does not import server). */
export interface BrokerConfigView {
  /** Throws ConfigError for a name it does not define. */
  get(name: string): unknown;
  /** True when the name is a broker config. */
  has(name: string): boolean;
  source(name: string): string;
  /** Sets a dynamic value; null removes it (the static value shows again). */
  set(name: string, value: string | null): void;
}

export type DynamicScope = 'broker' | 'default';

export interface DynamicBrokerConfigState {
  broker: Record<string, string>;
  default: Record<string, string>;
}

/**
 * Topic-config synonyms (topic-config.ts) that Kafka lists but that are not broker configs
 * here: nothing at the broker level sets them.
 */
export const TOPIC_ONLY_SYNONYMS: ReadonlySet<string> = new Set(['leader.replication.throttled.replicas', 'follower.replication.throttled.replicas']);

/** A BrokerConfig value as the string DescribeConfigs shows; null when unset. Throws for an unknown name. */
export function brokerConfigString(config: BrokerConfigView, name: string): string | null {
  const v = config.get(name);
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return v.join(',');
  // Long.MAX_VALUE does not fit a double exactly; print it as Kafka does.
  if (typeof v === 'number' && v >= 9223372036854775807) return '9223372036854775807';
  return String(v);
}

function sourceId(s: string): ConfigSourceId {
  switch (s) {
    case 'STATIC_BROKER_CONFIG': return ConfigSource.STATIC_BROKER_CONFIG;
    case 'DYNAMIC_BROKER_CONFIG': return ConfigSource.DYNAMIC_BROKER_CONFIG;
    case 'DYNAMIC_DEFAULT_BROKER_CONFIG': return ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG;
    default: return ConfigSource.DEFAULT_CONFIG;
  }
}

export class DynamicBrokerConfigs implements BrokerConfigLayers {
  private state: DynamicBrokerConfigState = { broker: {}, default: {} };
  /** server.properties / default values, captured before we first override a name. */
  private readonly staticLayer = new Map<string, { value: string | null; source: ConfigSourceId }>();

  constructor(private readonly config: BrokerConfigView, private readonly logger: Logger) {}

  snapshot(): DynamicBrokerConfigState {
    return { broker: { ...this.state.broker }, default: { ...this.state.default } };
  }

  get(scope: DynamicScope): Record<string, string> {
    return { ...this.state[scope] };
  }

  /** Replaces one layer and pushes the new effective values into BrokerConfig. */
  replace(scope: DynamicScope, configs: Record<string, string>): void {
    const touched = new Set([...Object.keys(this.state[scope]), ...Object.keys(configs)]);
    for (const name of touched) this.captureStatic(name);
    this.state = { ...this.state, [scope]: { ...configs } };
    for (const name of touched) this.push(name);
  }

  /** Restores persisted layers at start-up, without the entries BrokerConfig does not accept. */
  load(state: DynamicBrokerConfigState): void {
    this.replace('default', this.acceptable('default', state.default));
    this.replace('broker', this.acceptable('broker', state.broker));
  }

  private acceptable(scope: DynamicScope, configs: Record<string, string>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(configs)) {
      if (this.config.has(name)) out[name] = value;
      else this.logger.warn('ignoring a persisted dynamic broker config with an unknown name', { scope, name, value });
    }
    return out;
  }

  /** The static/default layer only (what server.properties says). */
  staticValue(name: string): { value: string | null; source: ConfigSourceId } {
    const snap = this.staticLayer.get(name);
    if (snap !== undefined) return snap;
    return { value: brokerConfigString(this.config, name), source: sourceId(this.config.source(name)) };
  }

  layers(name: string): ConfigLayer[] {
    if (TOPIC_ONLY_SYNONYMS.has(name)) return [];
    const out: ConfigLayer[] = [];
    const b = this.state.broker[name];
    if (b !== undefined) out.push({ name, value: b, source: ConfigSource.DYNAMIC_BROKER_CONFIG });
    const d = this.state.default[name];
    if (d !== undefined) out.push({ name, value: d, source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG });
    const s = this.staticValue(name);
    if (s.value !== null) out.push({ name, value: s.value, source: s.source });
    return out;
  }

  private captureStatic(name: string): void {
    if (!this.staticLayer.has(name)) this.staticLayer.set(name, this.staticValue(name));
  }

  private push(name: string): void {
    const value = this.state.broker[name] ?? this.state.default[name] ?? null;
    // Values were validated before they were stored (validateBrokerConfigs): set() does not fail.
    this.config.set(name, value);
  }
}
