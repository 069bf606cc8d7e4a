/**
 * Topic metadata for the broker: which topics exist, their ids, partitions (replicas, ISR,
 * leader, epochs) and config overrides, plus the dynamic broker config layers — all read from
 * the current MetadataImage (metadata/metadata-image.ts).
 *
 * Every change runs the same way, one at a time: plan against the current image (pure
 * functions in controller/: names, limits, placement, validation) → append the planned
 * records to the MetadataStore (durable when it resolves) → install the new image (reads see
 * it from then on) → await every MetadataListener in registration order with what changed
 * (the log reconciler creates and deletes partition logs there) → answer. So a CreateTopics
 * is answered only after its logs exist, and after a crash the image on disk is ahead of or
 * equal to the logs, never behind: the start-up reconcile creates what is missing and
 * deletes what the image no longer names. Reads are synchronous.
 *
 * A request is one batch of records: a CreateTopics or a Metadata request auto-creating N
 * topics, a DeleteTopics naming N topics, one CreatePartitions, one AlterConfigs resource.
 *
 * Shared stores (a cluster: etcd-metadata-store.ts): a change is appended with the offset it
 * was planned at; if another broker appended first (MetadataConflictError) the TopicManager
 * waits until it has installed the other batches and plans the change again. Other brokers'
 * batches (`onRemoteRecords`) are installed in log order and go through the same listeners.
 * `liveBrokers` (the cluster's live brokers, membership/) decides where new replicas go and
 * which of them start in the ISR; without it every registered broker counts as live.
 *
 * On the first start of a data dir that has no metadata at all (`adoptOnFirstStart`), the
 * partition logs found on disk are adopted as topics. The broker registers itself (its rack)
 * whenever its registration is missing or differs.
 *
 * The TopicManager never touches partition logs.
 */
import type { Logger } from '../base/logger.js';
import type { Random } from '../base/random.js';
import type { LogConfig } from '../storage/log-config.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { GROUP_METADATA_TOPIC_NAME, TRANSACTION_STATE_TOPIC_NAME, validateTopicName as validateName } from './topic-name.js';
import { resolveTopicConfig, toLogConfig, topicConfigDef } from './topic-config.js';
import { DynamicBrokerConfigs, brokerConfigString, type BrokerConfigView, type DynamicScope } from './dynamic-broker-config.js';
import type { MetadataChanges, MetadataImage, MetadataListener, PartitionRegistration, TopicImage } from './metadata/metadata-image.js';
import { MetadataDelta, rebaseChanges } from './metadata/metadata-delta.js';
import { uuidToString, type BrokerEndpointRecord, type MetadataRecord } from './metadata/metadata-records.js';
import { MetadataConflictError, type MetadataStore } from './metadata/metadata-store.js';
import {
  isLive, newTopicId, planCreatePartitions, planCreateTopics, planDeleteTopics,
  type ControllerContext, type CreatePartitionsSpec, type CreateTopicResult, type CreateTopicSpec, type TopicResult,
} from './controller/replication-control.js';
import { planAlterBrokerConfigs, planAlterTopicConfigs } from './controller/config-control.js';
import { completeReassignmentIfDone } from './controller/partition-reassignment.js';

export {
  MAX_PARTITIONS_PER_TOPIC, type CreatePartitionsSpec, type CreateTopicResult, type CreateTopicSpec, type TopicResult,
} from './controller/replication-control.js';
export { uuidFromString, uuidToString } from './metadata/metadata-records.js';

function sameEndpoints(a: readonly BrokerEndpointRecord[], b: readonly BrokerEndpointRecord[]): boolean {
  return a.length === b.length && a.every((e, i) => e.name === b[i]!.name && e.host === b[i]!.host && e.port === b[i]!.port);
}

/** Default of sherwood.max.broker.partitions. */
export const DEFAULT_MAX_BROKER_PARTITIONS = 100_000;

export interface TopicInfo {
  name: string;
  topicId: Buffer;
  numPartitions: number;
  replicationFactor: number;
  /** Explicit overrides only. */
  configs: Readonly<Record<string, string>>;
  logConfig: LogConfig;
  isInternal: boolean;
  /** Index = partition id. */
  partitions: readonly PartitionRegistration[];
}

export interface TopicManagerOptions {
  store: MetadataStore;
  config: BrokerConfigView;
  random: Random;
  logger: Logger;
  nodeId: number;
  /** broker.rack, registered with the broker. */
  rack?: string | null;
  /** The partition logs on disk, adopted as topics when the store holds no metadata at all. */
  adoptOnFirstStart?: () => readonly { topic: string; partition: number }[];
  /** A cluster member (etcd or a shared store): the internal topics get their configured replication factors. */
  clustered?: boolean;
  /** A cluster's live brokers (membership/); default: every broker registered in the image. */
  liveBrokers?: () => ReadonlyMap<number, { readonly brokerId: number; readonly rack: string | null }>;
}

export class TopicManager {
  private current!: MetadataImage;
  readonly dynamicConfigs: DynamicBrokerConfigs;
  private readonly listeners: MetadataListener[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  /** TopicInfo per topic image; `generation` changes when broker configs (and so logConfig) do. */
  private readonly infos = new WeakMap<TopicImage, { generation: number; info: TopicInfo }>();
  private generation = 0;
  /** Every install and its listener calls, in log order (own and remote batches alike). */
  private notifications: Promise<void> = Promise.resolve();
  /** Remote batches that arrived before the batch before them was installed, by base offset. */
  private readonly pendingRemote = new Map<number, { records: readonly MetadataRecord[]; image: MetadataImage }>();
  private offsetWaiters: { offset: number; resolve: () => void }[] = [];
  private closed = false;

  private constructor(private readonly opts: TopicManagerOptions) {
    this.dynamicConfigs = new DynamicBrokerConfigs(opts.config, opts.logger);
  }

  static async open(opts: TopicManagerOptions): Promise<TopicManager> {
    const tm = new TopicManager(opts);
    tm.install(await opts.store.load(), null);
    opts.store.onRemoteRecords?.((records, image) => tm.onRemote(records, image));
    await tm.register();
    return tm;
  }

  get nodeId(): number {
    return this.opts.nodeId;
  }

  /** The current metadata image. */
  get image(): MetadataImage {
    return this.current;
  }

  /** Listeners run after every published change, in registration order. */
  addListener(listener: MetadataListener): void {
    this.listeners.push(listener);
  }

  get(name: string): TopicInfo | undefined {
    const t = this.current.topic(name);
    return t === undefined ? undefined : this.info(t);
  }

  getById(id: Buffer): TopicInfo | undefined {
    const t = this.current.topicById(id);
    return t === undefined ? undefined : this.info(t);
  }

  list(): TopicInfo[] {
    const out: TopicInfo[] = [];
    for (const t of this.current.topics()) out.push(this.info(t));
    return out;
  }

  /**
   * The effective value of one topic config (the topic's override, else the broker synonyms,
   * else Kafka's default), as DescribeConfigs shows it; undefined for unknown topics or names.
   */
  configValue(topic: string, configName: string): string | undefined {
    const t = this.current.topic(topic);
    const d = topicConfigDef(configName);
    if (t === undefined || d === undefined) return undefined;
    return resolveTopicConfig(d, t.configs, this.dynamicConfigs).value;
  }

  validateTopicName(name: string): string | null {
    return validateName(name);
  }

  /** The registered broker ids. */
  brokerIds(): number[] {
    return [...this.current.brokers()].map((b) => b.brokerId).sort((a, b) => a - b);
  }

  // ---- create ---------------------------------------------------------------------------

  async create(spec: CreateTopicSpec): Promise<CreateTopicResult> {
    return (await this.createMany([spec]))[0]!;
  }

  /**
   * Creates several topics with one metadata append (a CreateTopics request). Each spec is
   * checked on its own and against the ones before it; results match `specs` by index.
   */
  createMany(specs: readonly CreateTopicSpec[]): Promise<CreateTopicResult[]> {
    return this.createTopics(specs, true);
  }

  /**
   * Creates a topic on first use (Metadata, Produce): honours auto.create.topics.enable,
   * num.partitions and default.replication.factor. The coordinators' internal topics are
   * always created, with their own partition counts and compacted configs.
   */
  async autoCreate(name: string): Promise<number> {
    return (await this.autoCreateMany([name]))[0]!;
  }

  /** autoCreate for many names with one metadata append; the codes match `names` by index. */
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
    const results = await this.createTopics(specs, false);
    results.forEach((r, j) => {
      if (r.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS) return;
      if (r.errorCode !== ErrorCode.NONE) this.opts.logger.warn('auto-create failed', { topic: specs[j]!.name, error: r.errorMessage });
      codes[at[j]!] = r.errorCode;
    });
    return codes;
  }

  private createTopics(specs: readonly CreateTopicSpec[], requestLimit: boolean): Promise<CreateTopicResult[]> {
    return this.change(() => planCreateTopics(this.context(), specs, { requestLimit }));
  }

  /** The spec auto-creation uses for `name`, or the error code that stops it. */
  private autoCreateSpec(name: string): CreateTopicSpec | number {
    if (this.current.topic(name) !== undefined) return ErrorCode.NONE;
    if (validateName(name) !== null) return ErrorCode.INVALID_TOPIC_EXCEPTION;
    if (name === GROUP_METADATA_TOPIC_NAME) {
      return { name, internal: true, numPartitions: this.brokerInt('offsets.topic.num.partitions', 50),
        replicationFactor: this.internalReplicationFactor('offsets.topic.replication.factor'),
        configs: { 'cleanup.policy': 'compact', 'compression.type': 'producer', 'segment.bytes': String(this.brokerInt('offsets.topic.segment.bytes', 104857600)) } };
    }
    if (name === TRANSACTION_STATE_TOPIC_NAME) {
      return { name, internal: true, numPartitions: this.brokerInt('transaction.state.log.num.partitions', 50),
        replicationFactor: this.internalReplicationFactor('transaction.state.log.replication.factor'),
        configs: { 'cleanup.policy': 'compact', 'compression.type': 'uncompressed', 'unclean.leader.election.enable': 'false',
          'min.insync.replicas': String(Math.min(this.brokerInt('transaction.state.log.min.isr', 2), this.internalReplicationFactor('transaction.state.log.replication.factor'))),
          'segment.bytes': String(this.brokerInt('transaction.state.log.segment.bytes', 104857600)) } };
    }
    if (!this.brokerBool('auto.create.topics.enable', true)) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    return { name, numPartitions: -1, replicationFactor: -1 };
  }

  /**
   * The replication factor of an internal topic: the configured one (Kafka's default 3) in a
   * cluster, where creation fails (INVALID_REPLICATION_FACTOR) while fewer brokers are live;
   * 1 on a standalone broker, which is the only broker there will ever be (what Kafka's
   * single-broker server.properties sets by hand).
   */
  private internalReplicationFactor(key: string): number {
    return this.opts.clustered === true ? this.brokerInt(key, 3) : 1;
  }

  // ---- delete ---------------------------------------------------------------------------

  async delete(name: string): Promise<TopicResult> {
    return (await this.deleteMany([name]))[0]!;
  }

  /** Deletes several topics with one metadata append (a DeleteTopics request). */
  deleteMany(names: readonly string[]): Promise<TopicResult[]> {
    return this.change(() => planDeleteTopics(this.context(), names));
  }

  // ---- partitions -----------------------------------------------------------------------

  async createPartitions(name: string, count: number, options: { assignments?: number[][] | null; validateOnly?: boolean } = {}): Promise<TopicResult> {
    return (await this.createPartitionsMany([{ name, count, assignments: options.assignments ?? null }], options.validateOnly === true))[0]!;
  }

  /** One CreatePartitions request (each name at most once), one metadata append. */
  createPartitionsMany(specs: readonly CreatePartitionsSpec[], validateOnly: boolean): Promise<TopicResult[]> {
    return this.change(() => planCreatePartitions(this.context(), specs, validateOnly));
  }

  // ---- configs --------------------------------------------------------------------------

  /** Replaces the topic's overrides (AlterConfigs semantics); null values are rejected. */
  alterConfigs(name: string, configs: Record<string, string | null>, options: { validateOnly?: boolean } = {}): Promise<TopicResult> {
    return this.change(() => {
      const plan = planAlterTopicConfigs(this.current, name, configs);
      return { results: plan.results, records: options.validateOnly === true ? [] : plan.records };
    }).then((results) => results[0]!);
  }

  /** Replaces one dynamic broker config layer; values must already be validated by the caller. */
  async alterBrokerConfigs(scope: DynamicScope, configs: Record<string, string>): Promise<void> {
    await this.change(() => ({ results: [], records: planAlterBrokerConfigs(this.current, scope === 'broker' ? this.opts.nodeId : 'default', configs) }));
  }

  /**
   * Hands out the next block of `size` producer ids to `brokerId` (KRaft's AllocateProducerIds):
   * one ProducerIdsRecord moves the cluster's next producer id past the block, durably, so no
   * id is ever handed out twice, also across restarts.
   */
  allocateProducerIdBlock(brokerId: number, size: number): Promise<{ firstProducerId: number; size: number }> {
    return this.change(() => {
      const firstProducerId = this.current.nextProducerId();
      if (firstProducerId + size > Number.MAX_SAFE_INTEGER) throw new Error('producer ids exhausted');
      return { results: [{ firstProducerId, size }], records: [{ type: 'ProducerIdsRecord', brokerId, nextProducerId: firstProducerId + size }] };
    }).then((r) => r[0]!);
  }

  /**
   * A change planned by someone else against the current image (the cluster controller's
   * partition changes): `plan` runs against the image and again after every conflict.
   */
  applyChange<R>(plan: (image: MetadataImage) => { results: R[]; records: MetadataRecord[] }): Promise<R[]> {
    return this.change(() => plan(this.current));
  }

  async close(): Promise<void> {
    await this.exclusive(async () => {
      this.closed = true;
      for (const w of this.offsetWaiters.splice(0)) w.resolve();
      await this.opts.store.close();
    });
  }

  // ---- internals ------------------------------------------------------------------------

  private context(): ControllerContext {
    return {
      image: this.current,
      ...(this.opts.liveBrokers !== undefined ? { liveBrokers: this.opts.liveBrokers } : {}),
      random: this.opts.random,
      defaultNumPartitions: this.brokerInt('num.partitions', 1),
      defaultReplicationFactor: this.brokerInt('default.replication.factor', 1),
      maxPartitionsPerBroker: this.brokerInt('sherwood.max.broker.partitions', DEFAULT_MAX_BROKER_PARTITIONS),
      deleteTopicEnable: this.brokerBool('delete.topic.enable', true),
    };
  }

  /**
   * Plan, append, install, notify, one change at a time; planned again after a conflict with
   * another writer of a shared store, once this broker has installed that writer's batches.
   */
  private change<R>(plan: () => { results: R[]; records: MetadataRecord[] }): Promise<R[]> {
    return this.exclusive(async () => {
      for (;;) {
        const p = plan();
        try {
          await this.publish(p.records);
          return p.results;
        } catch (err) {
          if (!(err instanceof MetadataConflictError)) throw err;
          this.opts.logger.debug('metadata changed under a planned change; planning again', { expected: err.expectedOffset, actual: err.actualOffset });
          await this.reachOffset(err.actualOffset);
        }
      }
    });
  }

  /** Append, install, notify: the only way this broker changes the image after open(). */
  private async publish(records: readonly MetadataRecord[]): Promise<void> {
    if (records.length === 0) return;
    const base = this.current;
    const { image: expected, changes } = new MetadataDelta(base).replayAll(records).apply();
    const image = await this.opts.store.append(records, base.offset);
    if (image.offset !== expected.offset) throw new Error(`metadata store at offset ${image.offset}, expected ${expected.offset}`);
    await this.installAndNotify(image, rebaseChanges(changes, image));
    this.installPendingRemote();
  }

  /** Another broker's batch (shared stores), in log order; installed once its predecessor is. */
  private onRemote(records: readonly MetadataRecord[], image: MetadataImage): void {
    const baseOffset = image.offset - records.length;
    if (baseOffset < this.current.offset) return;
    this.pendingRemote.set(baseOffset, { records, image });
    this.installPendingRemote();
  }

  private installPendingRemote(): void {
    for (;;) {
      const next = this.pendingRemote.get(this.current.offset);
      if (next === undefined) return;
      this.pendingRemote.delete(this.current.offset);
      const { changes } = new MetadataDelta(this.current).replayAll(next.records).apply();
      this.installAndNotify(next.image, rebaseChanges(changes, next.image)).catch((err) => {
        this.opts.logger.error('a metadata listener failed on a change from another broker', { error: String(err) });
      });
    }
  }

  /** Installs at once; the listeners run after those of every earlier install. */
  private installAndNotify(image: MetadataImage, changes: MetadataChanges): Promise<void> {
    this.install(image, changes);
    this.logChanges(changes);
    this.offsetWaiters = this.offsetWaiters.filter((w) => (image.offset >= w.offset ? (w.resolve(), false) : true));
    const run = this.notifications.then(async () => {
      let first: unknown = null;
      for (const l of this.listeners) {
        try {
          await l.onMetadataUpdate(changes, image);
        } catch (err) {
          first ??= err;
        }
      }
      if (first !== null) throw first;
    });
    this.notifications = run.catch(() => undefined);
    return run;
  }

  /** Resolves once the installed image is at `offset` or later. */
  private reachOffset(offset: number): Promise<void> {
    if (this.current.offset >= offset || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.offsetWaiters.push({ offset, resolve }));
  }

  private install(image: MetadataImage, changes: MetadataChanges | null): void {
    this.current = image;
    if (this.offsetWaiters.length > 0) {
      const ready = this.offsetWaiters.filter((w) => w.offset <= image.offset);
      this.offsetWaiters = this.offsetWaiters.filter((w) => w.offset > image.offset);
      for (const w of ready) w.resolve();
    }
    if (changes === null || changes.brokerConfigsChanged) {
      this.dynamicConfigs.load({ default: { ...image.brokerConfigs('default') }, broker: { ...image.brokerConfigs(this.opts.nodeId) } });
      this.generation++;
    }
  }

  private logChanges(changes: MetadataChanges): void {
    const { logger } = this.opts;
    for (const t of changes.createdTopics) logger.info('created topic', { topic: t.name, partitions: t.partitions.length, topicId: uuidToString(t.topicId) });
    for (const t of changes.deletedTopics) logger.info('deleted topic', { topic: t.name });
    const created = new Set(changes.createdTopics.map((t) => t.name));
    const grown = new Map<string, number>();
    for (const c of changes.changedPartitions) if (!created.has(c.topic.name) && c.before === undefined) grown.set(c.topic.name, c.topic.partitions.length);
    for (const [topic, to] of grown) logger.info('created partitions', { topic, to });
  }

  private info(t: TopicImage): TopicInfo {
    const cached = this.infos.get(t);
    if (cached !== undefined && cached.generation === this.generation) return cached.info;
    const info: TopicInfo = {
      name: t.name, topicId: t.topicId, numPartitions: t.partitions.length, replicationFactor: t.partitions[0]?.replicas.length ?? 0,
      configs: t.configs, logConfig: toLogConfig(t.configs, this.dynamicConfigs), isInternal: t.isInternal, partitions: t.partitions,
    };
    this.infos.set(t, { generation: this.generation, info });
    return info;
  }

  /** Registers this broker (and, on a data dir without metadata, adopts the logs on disk). */
  private async register(): Promise<void> {
    await this.change(() => ({ results: [], records: this.registrationRecords() }));
  }

  private registrationRecords(): MetadataRecord[] {
    const { nodeId, logger } = this.opts;
    const rack = this.opts.rack ?? null;
    const records: MetadataRecord[] = [];
    const registered = this.current.broker(nodeId);
    if (registered === undefined || registered.rack !== rack) {
      records.push({ type: 'RegisterBrokerRecord', brokerId: nodeId, rack, ...(registered?.endpoints === undefined ? {} : { endpoints: registered.endpoints }) });
    }
    if (this.current.offset === 0 && this.opts.adoptOnFirstStart !== undefined) {
      // Adopted as found, without the checks a new topic gets: refusing one would delete its data.
      const counts = new Map<string, number>();
      for (const l of this.opts.adoptOnFirstStart()) counts.set(l.topic, Math.max(counts.get(l.topic) ?? 0, l.partition + 1));
      const ids = new Set<string>();
      for (const [name, n] of counts) {
        const topicId = newTopicId(this.context(), ids);
        records.push({ type: 'TopicRecord', name, topicId });
        for (let p = 0; p < n; p++) {
          records.push({ type: 'PartitionRecord', topicId, partitionId: p, replicas: [nodeId], isr: [nodeId], leader: nodeId, leaderEpoch: 0, partitionEpoch: 0 });
        }
        logger.warn('adopted topic found on disk without metadata', { topic: name, partitions: n });
      }
    }
    return records;
  }

  /**
   * Registers where this broker listens (a cluster's brokers find each other's endpoints in
   * the image). Called once the sockets are bound; nothing is written when unchanged.
   */
  async registerEndpoints(endpoints: readonly BrokerEndpointRecord[]): Promise<void> {
    await this.change<never>(() => {
      const registered = this.current.broker(this.opts.nodeId);
      if (registered !== undefined && sameEndpoints(registered.endpoints ?? [], endpoints)) return { records: [], results: [] };
      return { records: [{ type: 'RegisterBrokerRecord', brokerId: this.opts.nodeId, rack: this.opts.rack ?? null, endpoints: [...endpoints] }], results: [] };
    });
  }

  /**
   * A leader's ISR change (AlterPartition in KRaft): written only when the image still shows
   * this broker leading at `leaderEpoch` and the partition at `partitionEpoch` (compare-and-set
   * on the partition epoch); otherwise the Kafka error that says why, and nothing is written.
   */
  alterPartitionIsr(topic: string, partition: number, leaderEpoch: number, partitionEpoch: number, isr: readonly number[]): Promise<number> {
    return this.change(() => {
      const t = this.current.topic(topic);
      const p = t?.partitions[partition];
      if (t === undefined || p === undefined) return { records: [], results: [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION] };
      if (p.leader !== this.opts.nodeId) return { records: [], results: [ErrorCode.NOT_LEADER_OR_FOLLOWER] };
      if (p.leaderEpoch !== leaderEpoch) return { records: [], results: [ErrorCode.FENCED_LEADER_EPOCH] };
      if (p.partitionEpoch !== partitionEpoch) return { records: [], results: [ErrorCode.INVALID_UPDATE_VERSION] };
      if (!isr.includes(this.opts.nodeId) || isr.some((b) => !p.replicas.includes(b))) return { records: [], results: [ErrorCode.INVALID_REQUEST] };
      // The ISR change that brings the last adding replica in also finishes its reassignment.
      const done = completeReassignmentIfDone(p, isr, isLive(this.context()));
      return { records: [{ type: 'PartitionChangeRecord', topicId: t.topicId, partitionId: partition, isr: [...isr], ...done }], results: [ErrorCode.NONE] };
    }).then((r) => r[0]!);
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
}
