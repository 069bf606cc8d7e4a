/**
 * Topic metadata for a single broker: which topics exist, their ids, partition counts,
 * replication factors and config overrides, plus the dynamic broker config layers. This broker
 * is the leader of every partition (ISR = [nodeId], leader epoch 0).
 *
 * On-disk format: one JSON file, `<first log dir>/sherwood-metadata.json`, replaced atomically
 * (write tmp + fsync + rename) once per change; a batch (createMany / autoCreateMany: one
 * CreateTopics or Metadata request) is one change, so creating N topics costs O(N), not O(N^2):
 *   { "version": 1,
 *     "topics": [{ "name", "topicId" (Kafka's base64url Uuid string), "numPartitions",
 *                  "replicationFactor", "configs": { name: value }, "internal" }],
 *     "brokerConfigs": { "broker": { name: value }, "default": { name: value } } }
 * Order of effects: creating a topic or partitions writes the file first and then the logs;
 * deleting writes the file first and then deletes the logs. So after a crash a partition named
 * in the file but missing on disk is created on open, and a partition log on disk that the
 * file does not name is a half-finished delete and is removed. If there is no file at all
 * (a data dir from before this format) the logs found are adopted as topics instead.
 *
 * Mutations run one at a time (decide, write, apply); reads are synchronous.
 */
import type { Clock } from '../base/clock.js';
import type { Logger } from '../base/logger.js';
import { randomUuid, type Random } from '../base/random.js';
import { CorruptRecordError } from '../base/errors.js';
import type { FileSystem } from '../base/file-system.js';
import type { LogManager } from '../storage/log-manager.js';
import type { PartitionLog } from '../storage/partition-log.js';
import type { LogConfig } from '../storage/log-config.js';
import { ErrorCode } from '../protocol/error-codes.js';
import {
  CLUSTER_METADATA_TOPIC_NAME, GROUP_METADATA_TOPIC_NAME, TRANSACTION_STATE_TOPIC_NAME,
  hasCollisionChars, isInternalTopic, unifyCollisionChars, validateTopicName as validateName,
} from './topic-name.js';
import { resolveTopicConfig, toLogConfig, topicConfigDef, validateTopicConfigs } from './topic-config.js';
import { DynamicBrokerConfigs, brokerConfigString, type BrokerConfigView, type DynamicBrokerConfigState, type DynamicScope } from './dynamic-broker-config.js';

export const METADATA_FILE_NAME = 'sherwood-metadata.json';
/** A limit on partitions per topic (and per CreatePartitions), so one request cannot exhaust the disk. */
export const MAX_PARTITIONS_PER_TOPIC = 10_000;

export interface TopicInfo {
  name: string;
  topicId: Buffer;
  numPartitions: number;
  replicationFactor: number;
  /** Explicit overrides only. */
  configs: Record<string, string>;
  logConfig: LogConfig;
  isInternal: boolean;
}

export interface TopicResult {
  errorCode: number;
  errorMessage: string | null;
}

export interface CreateTopicSpec {
  name: string;
  /** -1 means num.partitions (or the assignment's size). */
  numPartitions: number;
  /** -1 means default.replication.factor (or the assignment's width). */
  replicationFactor: number;
  configs?: Record<string, string | null>;
  /** Manual replica assignment, one broker list per partition (index = partition). */
  assignments?: number[][] | null;
  validateOnly?: boolean;
  internal?: boolean;
}

export interface CreateTopicResult extends TopicResult {
  topicId: Buffer | null;
  numPartitions: number;
  replicationFactor: number;
}

export interface TopicManagerOptions {
  fs: FileSystem;
  dir: string;
  logs: LogManager;
  config: BrokerConfigView;
  clock: Clock;
  random: Random;
  logger: Logger;
  nodeId: number;
}

interface PersistedTopic {
  name: string;
  topicId: string;
  numPartitions: number;
  replicationFactor: number;
  configs: Record<string, string>;
  internal: boolean;
}

interface PersistedState {
  version: 1;
  topics: PersistedTopic[];
  brokerConfigs: DynamicBrokerConfigState;
}

const ZERO_UUID = Buffer.alloc(16);

/** Kafka's Uuid.toString: base64url of the 16 bytes without padding. */
export function uuidToString(id: Buffer): string {
  return id.toString('base64url');
}

export function uuidFromString(s: string): Buffer {
  const b = Buffer.from(s, 'base64url');
  if (b.length !== 16) throw new CorruptRecordError(`bad topic id ${s}`);
  return b;
}

const ok = (): TopicResult => ({ errorCode: ErrorCode.NONE, errorMessage: null });
const fail = (errorCode: number, errorMessage: string): TopicResult => ({ errorCode, errorMessage });

export class TopicManager {
  private readonly topics = new Map<string, TopicInfo>();
  private readonly byId = new Map<string, TopicInfo>();
  /** unifyCollisionChars(name) → name, so the collision check is O(1) per create. */
  private readonly byUnifiedName = new Map<string, string>();
  readonly dynamicConfigs: DynamicBrokerConfigs;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly opts: TopicManagerOptions) {
    this.dynamicConfigs = new DynamicBrokerConfigs(opts.config, opts.logger);
  }

  static async open(opts: TopicManagerOptions): Promise<TopicManager> {
    const tm = new TopicManager(opts);
    await tm.load();
    return tm;
  }

  get nodeId(): number {
    return this.opts.nodeId;
  }

  get(name: string): TopicInfo | undefined {
    return this.topics.get(name);
  }

  getById(id: Buffer): TopicInfo | undefined {
    return this.byId.get(id.toString('hex'));
  }

  list(): TopicInfo[] {
    return [...this.topics.values()];
  }

  log(name: string, partition: number): PartitionLog | undefined {
    const t = this.topics.get(name);
    if (t === undefined || partition < 0 || partition >= t.numPartitions) return undefined;
    return this.opts.logs.get(name, partition);
  }

  /**
   * The effective value of one topic config (the topic's override, else the broker synonyms,
   * else Kafka's default), as DescribeConfigs shows it; undefined for unknown topics or names.
   */
  configValue(topic: string, configName: string): string | undefined {
    const info = this.topics.get(topic);
    const d = topicConfigDef(configName);
    if (info === undefined || d === undefined) return undefined;
    return resolveTopicConfig(d, info.configs, this.dynamicConfigs).value;
  }

  validateTopicName(name: string): string | null {
    return validateName(name);
  }

  /** The broker ids that exist (a single broker). */
  brokerIds(): number[] {
    return [this.opts.nodeId];
  }

  // ---- create ---------------------------------------------------------------------------

  async create(spec: CreateTopicSpec): Promise<CreateTopicResult> {
    return (await this.createMany([spec]))[0]!;
  }

  /**
   * Creates several topics with one metadata write, so a request naming N new topics costs
   * O(N) rather than N rewrites of the whole topic list. Each spec is checked on its own (and
   * against the ones before it in the batch); the result array matches `specs` index by index.
   */
  async createMany(specs: readonly CreateTopicSpec[]): Promise<CreateTopicResult[]> {
    const results: (CreateTopicResult | undefined)[] = new Array(specs.length);
    const pending: number[] = [];
    specs.forEach((spec, i) => {
      const plan = this.planCreate(spec);
      if ('errorCode' in plan) results[i] = { ...plan, topicId: null, numPartitions: -1, replicationFactor: -1 };
      else if (spec.validateOnly === true) results[i] = { ...ok(), topicId: null, numPartitions: plan.numPartitions, replicationFactor: plan.replicationFactor };
      else pending.push(i);
    });
    if (pending.length === 0) return results as CreateTopicResult[];
    return this.exclusive(async () => {
      // Re-check under the lock: another create of the same name may have won meanwhile. Each
      // topic is indexed at once so later specs in the batch see it (duplicates, collisions).
      const created: TopicInfo[] = [];
      for (const i of pending) {
        const spec = specs[i]!;
        const again = this.planCreate(spec);
        if ('errorCode' in again) {
          results[i] = { ...again, topicId: null, numPartitions: -1, replicationFactor: -1 };
          continue;
        }
        const info = this.makeInfo(spec.name, this.newTopicId(), again.numPartitions, again.replicationFactor, again.configs, spec.internal === true || isInternalTopic(spec.name));
        this.index(info);
        created.push(info);
        results[i] = { ...ok(), topicId: info.topicId, numPartitions: info.numPartitions, replicationFactor: info.replicationFactor };
      }
      if (created.length === 0) return results as CreateTopicResult[];
      try {
        await this.persist();
      } catch (err) {
        for (const info of created) this.unindex(info);
        throw err;
      }
      for (const info of created) {
        for (let i = 0; i < info.numPartitions; i++) await this.opts.logs.create(info.name, i, info.logConfig);
        this.opts.logger.info('created topic', { topic: info.name, partitions: info.numPartitions, topicId: uuidToString(info.topicId) });
      }
      return results as CreateTopicResult[];
    });
  }

  private planCreate(spec: CreateTopicSpec): Planned | TopicResult {
    const bad = validateName(spec.name);
    if (bad !== null) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, bad);
    if (spec.name === CLUSTER_METADATA_TOPIC_NAME) {
      return fail(ErrorCode.INVALID_REQUEST, `Creation of internal topic ${CLUSTER_METADATA_TOPIC_NAME} is prohibited.`);
    }
    if (this.topics.has(spec.name)) return fail(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${spec.name}' already exists.`);
    if (hasCollisionChars(spec.name)) {
      const other = this.byUnifiedName.get(unifyCollisionChars(spec.name));
      if (other !== undefined) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${spec.name}' collides with existing topic: ${other}`);
    }
    let numPartitions = spec.numPartitions;
    let replicationFactor = spec.replicationFactor;
    const assignments = spec.assignments ?? null;
    if (assignments !== null && assignments.length > 0) {
      if (numPartitions !== -1 || replicationFactor !== -1) {
        return fail(ErrorCode.INVALID_REQUEST, 'A manual partition assignment was specified, but numPartitions or replicationFactor was not set to -1.');
      }
      const err = this.validateAssignments(assignments, null);
      if (err !== null) return err;
      numPartitions = assignments.length;
      replicationFactor = assignments[0]!.length;
    } else {
      if (numPartitions === -1) numPartitions = this.brokerInt('num.partitions', 1);
      if (replicationFactor === -1) replicationFactor = this.brokerInt('default.replication.factor', 1);
      if (numPartitions <= 0) return fail(ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.');
      if (replicationFactor <= 0) return fail(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0, or -1 to use the default value.');
      const brokers = this.brokerIds().length;
      if (replicationFactor > brokers) {
        return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `Replication factor: ${replicationFactor} larger than available brokers: ${brokers}.`);
      }
    }
    if (numPartitions > MAX_PARTITIONS_PER_TOPIC) {
      return fail(ErrorCode.INVALID_PARTITIONS, `Number of partitions ${numPartitions} exceeds the limit of ${MAX_PARTITIONS_PER_TOPIC} per topic.`);
    }
    const v = validateTopicConfigs(spec.configs ?? {});
    if ('error' in v) return fail(ErrorCode.INVALID_CONFIG, v.error);
    return { numPartitions, replicationFactor, configs: v.configs };
  }

  /**
   * Kafka's manual assignment checks (ReplicationControlManager): non-empty, no duplicate
   * brokers, registered brokers, and every partition the same width.
   */
  private validateAssignments(assignments: number[][], width: number | null): TopicResult | null {
    const known = new Set(this.brokerIds());
    let expected = width;
    for (const replicas of assignments) {
      if (replicas.length === 0) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes an empty replica list.');
      const seen = new Set<number>();
      for (const b of replicas) {
        if (seen.has(b)) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes the broker ${b} more than once.`);
        seen.add(b);
        if (!known.has(b)) {
          return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes broker ${b}, but no such broker is registered.`);
        }
      }
      if (expected === null) expected = replicas.length;
      else if (replicas.length !== expected) {
        return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `The manual partition assignment includes a partition with ${replicas.length} replica(s), but this is not consistent with previous partitions, which have ${expected} replica(s).`);
      }
    }
    return null;
  }

  /**
   * Creates a topic on first use (Metadata, Produce): honours auto.create.topics.enable,
   * num.partitions and default.replication.factor. The coordinators' internal topics are
   * always created, with their own partition counts and compacted configs.
   */
  async autoCreate(name: string): Promise<number> {
    return (await this.autoCreateMany([name]))[0]!;
  }

  /** autoCreate for many names with one metadata write; the codes match `names` by index. */
  async autoCreateMany(names: readonly string[]): Promise<number[]> {
    const codes: number[] = new Array(names.length).fill(ErrorCode.NONE);
    const specs: CreateTopicSpec[] = [];
    const at: number[] = [];
    names.forEach((name, i) => {
      const spec = this.autoCreateSpec(name);
      if (typeof spec === 'number') codes[i] = spec;
      else {
        specs.push(spec);
        at.push(i);
      }
    });
    if (specs.length === 0) return codes;
    const results = await this.createMany(specs);
    results.forEach((r, j) => {
      if (r.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS) return;
      if (r.errorCode !== ErrorCode.NONE) this.opts.logger.warn('auto-create failed', { topic: specs[j]!.name, error: r.errorMessage });
      codes[at[j]!] = r.errorCode;
    });
    return codes;
  }

  /** The spec auto-creation uses for `name`, or the error code that stops it. */
  private autoCreateSpec(name: string): CreateTopicSpec | number {
    if (this.topics.has(name)) return ErrorCode.NONE;
    if (validateName(name) !== null) return ErrorCode.INVALID_TOPIC_EXCEPTION;
    if (name === GROUP_METADATA_TOPIC_NAME) {
      return { name, internal: true, numPartitions: this.brokerInt('offsets.topic.num.partitions', 50), replicationFactor: 1,
        configs: { 'cleanup.policy': 'compact', 'compression.type': 'producer', 'segment.bytes': String(this.brokerInt('offsets.topic.segment.bytes', 104857600)) } };
    }
    if (name === TRANSACTION_STATE_TOPIC_NAME) {
      return { name, internal: true, numPartitions: this.brokerInt('transaction.state.log.num.partitions', 50), replicationFactor: 1,
        configs: { 'cleanup.policy': 'compact', 'compression.type': 'uncompressed', 'unclean.leader.election.enable': 'false',
          'min.insync.replicas': '1', 'segment.bytes': String(this.brokerInt('transaction.state.log.segment.bytes', 104857600)) } };
    }
    if (!this.brokerBool('auto.create.topics.enable', true)) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    return { name, numPartitions: -1, replicationFactor: -1 };
  }

  // ---- delete ---------------------------------------------------------------------------

  async delete(name: string): Promise<TopicResult> {
    return this.exclusive(async () => {
      const info = this.topics.get(name);
      if (info === undefined) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
      if (!this.brokerBool('delete.topic.enable', true)) return fail(ErrorCode.TOPIC_DELETION_DISABLED, 'Topic deletion is disabled.');
      this.unindex(info);
      try {
        await this.persist();
      } catch (err) {
        this.index(info);
        throw err;
      }
      for (let i = 0; i < info.numPartitions; i++) await this.opts.logs.delete(name, i);
      this.opts.logger.info('deleted topic', { topic: name });
      return ok();
    });
  }

  // ---- partitions -----------------------------------------------------------------------

  async createPartitions(name: string, count: number, options: { assignments?: number[][] | null; validateOnly?: boolean } = {}): Promise<TopicResult> {
    const check = (): TopicResult | TopicInfo => {
      const info = this.topics.get(name);
      if (info === undefined) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`);
      if (count < info.numPartitions) {
        return fail(ErrorCode.INVALID_PARTITIONS, `The topic ${name} currently has ${info.numPartitions} partition(s); ${count} would not be an increase.`);
      }
      if (count === info.numPartitions) return fail(ErrorCode.INVALID_PARTITIONS, `Topic already has ${info.numPartitions} partition(s).`);
      if (count > MAX_PARTITIONS_PER_TOPIC) {
        return fail(ErrorCode.INVALID_PARTITIONS, `Number of partitions ${count} exceeds the limit of ${MAX_PARTITIONS_PER_TOPIC} per topic.`);
      }
      const assignments = options.assignments ?? null;
      if (assignments !== null) {
        const adding = count - info.numPartitions;
        if (assignments.length !== adding) {
          return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT,
            `Attempted to add ${adding} additional partition(s), but only ${assignments.length} assignment(s) were specified.`);
        }
        const err = this.validateAssignments(assignments, info.replicationFactor);
        if (err !== null) return err;
      }
      return info;
    };
    const first = check();
    if (!('topicId' in first)) return first;
    if (options.validateOnly === true) return ok();
    return this.exclusive(async () => {
      const info = check();
      if (!('topicId' in info)) return info;
      const before = info.numPartitions;
      const grown = { ...info, numPartitions: count };
      this.index(grown);
      try {
        await this.persist();
      } catch (err) {
        this.index(info);
        throw err;
      }
      for (let i = before; i < count; i++) await this.opts.logs.create(name, i, grown.logConfig);
      this.opts.logger.info('created partitions', { topic: name, from: before, to: count });
      return ok();
    });
  }

  // ---- configs --------------------------------------------------------------------------

  /** Replaces the topic's overrides (AlterConfigs semantics); null values are rejected. */
  async alterConfigs(name: string, configs: Record<string, string | null>, options: { validateOnly?: boolean } = {}): Promise<TopicResult> {
    const check = (): TopicResult | { info: TopicInfo; configs: Record<string, string> } => {
      const info = this.topics.get(name);
      if (info === undefined) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`);
      const v = validateTopicConfigs(configs);
      if ('error' in v) return fail(ErrorCode.INVALID_CONFIG, v.error);
      return { info, configs: v.configs };
    };
    const first = check();
    if ('errorCode' in first) return first;
    if (options.validateOnly === true) return ok();
    return this.exclusive(async () => {
      const c = check();
      if ('errorCode' in c) return c;
      const updated = this.makeInfo(c.info.name, c.info.topicId, c.info.numPartitions, c.info.replicationFactor, c.configs, c.info.isInternal);
      this.index(updated);
      try {
        await this.persist();
      } catch (err) {
        this.index(c.info);
        throw err;
      }
      await this.applyLogConfig(updated);
      return ok();
    });
  }

  /** Replaces one dynamic broker config layer; values must already be validated by the caller. */
  async alterBrokerConfigs(scope: DynamicScope, configs: Record<string, string>): Promise<void> {
    await this.exclusive(async () => {
      const before = this.dynamicConfigs.get(scope);
      this.dynamicConfigs.replace(scope, configs);
      try {
        await this.persist();
      } catch (err) {
        this.dynamicConfigs.replace(scope, before);
        throw err;
      }
      for (const info of [...this.topics.values()]) {
        const updated = this.makeInfo(info.name, info.topicId, info.numPartitions, info.replicationFactor, info.configs, info.isInternal);
        if (JSON.stringify(updated.logConfig) === JSON.stringify(info.logConfig)) continue;
        this.index(updated);
        await this.applyLogConfig(updated);
      }
    });
  }

  // ---- internals ------------------------------------------------------------------------

  private makeInfo(name: string, topicId: Buffer, numPartitions: number, replicationFactor: number, configs: Record<string, string>, isInternal: boolean): TopicInfo {
    return { name, topicId, numPartitions, replicationFactor, configs: { ...configs }, logConfig: toLogConfig(configs, this.dynamicConfigs), isInternal };
  }

  private index(info: TopicInfo): void {
    this.topics.set(info.name, info);
    this.byId.set(info.topicId.toString('hex'), info);
    this.byUnifiedName.set(unifyCollisionChars(info.name), info.name);
  }

  private unindex(info: TopicInfo): void {
    this.topics.delete(info.name);
    this.byId.delete(info.topicId.toString('hex'));
    if (this.byUnifiedName.get(unifyCollisionChars(info.name)) === info.name) this.byUnifiedName.delete(unifyCollisionChars(info.name));
  }

  private async applyLogConfig(info: TopicInfo): Promise<void> {
    for (let i = 0; i < info.numPartitions; i++) {
      if (this.opts.logs.get(info.name, i) !== undefined) await this.opts.logs.updateConfig(info.name, i, info.logConfig);
    }
  }

  /** Kafka never hands out the zero id, the metadata topic's id, or an id whose string starts with '-'. */
  private newTopicId(): Buffer {
    for (;;) {
      const id = randomUuid(this.opts.random);
      if (id.equals(ZERO_UUID) || uuidToString(id).startsWith('-') || this.byId.has(id.toString('hex'))) continue;
      return id;
    }
  }

  private brokerInt(name: string, fallback: number): number {
    const s = brokerConfigString(this.opts.config, name);
    const n = s === null ? NaN : Number(s);
    return Number.isInteger(n) ? n : fallback;
  }

  private brokerBool(name: string, fallback: boolean): boolean {
    const s = brokerConfigString(this.opts.config, name);
    return s === null ? fallback : s.toLowerCase() === 'true';
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private get path(): string {
    return `${this.opts.dir.replace(/\/+$/, '')}/${METADATA_FILE_NAME}`;
  }

  private async persist(): Promise<void> {
    const state: PersistedState = {
      version: 1,
      topics: this.list().map((t) => ({
        name: t.name, topicId: uuidToString(t.topicId), numPartitions: t.numPartitions,
        replicationFactor: t.replicationFactor, configs: t.configs, internal: t.isInternal,
      })),
      brokerConfigs: this.dynamicConfigs.snapshot(),
    };
    await this.opts.fs.writeFileAtomic(this.path, Buffer.from(JSON.stringify(state, null, 1) + '\n'));
  }

  private async load(): Promise<void> {
    const { fs, logs, logger } = this.opts;
    await fs.mkdirp(this.opts.dir);
    const exists = await fs.exists(this.path);
    if (exists) {
      const state = parseState(await fs.readFile(this.path), this.path);
      this.dynamicConfigs.load(state.brokerConfigs);
      for (const t of state.topics) {
        this.index(this.makeInfo(t.name, uuidFromString(t.topicId), t.numPartitions, t.replicationFactor, t.configs, t.internal));
      }
    }
    // Logs on disk that the metadata does not name.
    const strays = logs.all().filter((l) => {
      const t = this.topics.get(l.topic);
      return t === undefined || l.partition >= t.numPartitions;
    });
    if (!exists && strays.length > 0) {
      const counts = new Map<string, number>();
      for (const l of strays) counts.set(l.topic, Math.max(counts.get(l.topic) ?? 0, l.partition + 1));
      for (const [name, n] of counts) {
        this.index(this.makeInfo(name, this.newTopicId(), n, 1, {}, isInternalTopic(name)));
        logger.warn('adopted topic found on disk without metadata', { topic: name, partitions: n });
      }
    } else {
      for (const l of strays) {
        logger.warn('deleting partition log not in topic metadata (interrupted delete)', { topic: l.topic, partition: l.partition });
        await logs.delete(l.topic, l.partition);
      }
    }
    for (const info of this.topics.values()) {
      for (let i = 0; i < info.numPartitions; i++) {
        if (logs.get(info.name, i) === undefined) await logs.create(info.name, i, info.logConfig);
        else await logs.updateConfig(info.name, i, info.logConfig);
      }
    }
    if (!exists) await this.persist();
  }
}

interface Planned {
  numPartitions: number;
  replicationFactor: number;
  configs: Record<string, string>;
}

function parseState(buf: Buffer, path: string): PersistedState {
  let raw: unknown;
  try {
    raw = JSON.parse(buf.toString('utf8'));
  } catch (err) {
    throw new CorruptRecordError(`topic metadata ${path} is not valid JSON`, { cause: err });
  }
  const s = raw as Partial<PersistedState>;
  if (typeof s !== 'object' || s === null || s.version !== 1 || !Array.isArray(s.topics)) {
    throw new CorruptRecordError(`topic metadata ${path} has an unknown format`);
  }
  for (const t of s.topics) {
    if (typeof t.name !== 'string' || typeof t.topicId !== 'string' || !Number.isInteger(t.numPartitions) || t.numPartitions < 1) {
      throw new CorruptRecordError(`topic metadata ${path} has a malformed topic entry`);
    }
    t.configs ??= {};
    t.replicationFactor ??= 1;
    t.internal ??= isInternalTopic(t.name);
  }
  return { version: 1, topics: s.topics, brokerConfigs: { broker: s.brokerConfigs?.broker ?? {}, default: s.brokerConfigs?.default ?? {} } };
}
