/**
 * Planning of topic and partition changes, after KRaft's ReplicationControlManager: pure
 * functions that check a CreateTopics / CreatePartitions / DeleteTopics request against a
 * metadata image and return a result per item plus the records that carry out the valid
 * ones. No I/O: the caller appends the records (metadata-store.ts) and publishes the image.
 *
 * Checks, with Kafka's errors and messages:
 * - names: Topic.validate (INVALID_TOPIC_EXCEPTION), `__cluster_metadata` (INVALID_REQUEST),
 *   an existing name (TOPIC_ALREADY_EXISTS), a name that collides with an existing one or an
 *   earlier one in the request once '.' and '_' are unified (INVALID_TOPIC_EXCEPTION);
 * - partitions and replication factor: -1 takes num.partitions / default.replication.factor;
 *   non-positive values (INVALID_PARTITIONS / INVALID_REPLICATION_FACTOR), more replicas than
 *   registered brokers (INVALID_REPLICATION_FACTOR), more than MAX_PARTITIONS_PER_TOPIC;
 * - manual assignments: both counts must be -1 (INVALID_REQUEST); non-empty, no broker twice,
 *   registered brokers, one width for every partition (INVALID_REPLICA_ASSIGNMENT). A valid
 *   assignment is kept as the partition's replicas (leader = its first live replica, ISR =
 *   its live replicas); otherwise replicas are placed by replica-placer.ts;
 * - configs: topic-config.ts validation (INVALID_CONFIG);
 * - limits: a CreateTopics asking for more than MAX_PARTITIONS_PER_REQUEST partitions in all
 *   fails whole, as Kafka's validateTotalNumberOfPartitions does (POLICY_VIOLATION "Excessively
 *   large number of partitions per request."); a CreatePartitions adding more than
 *   MAX_RECORDS_PER_USER_OP fails whole with Kafka's BoundedList answer (POLICY_VIOLATION
 *   "Unable to perform excessively large batch operation."); a change that would put more
 *   than `maxPartitionsPerBroker` replicas on a broker (sherwood.max.broker.partitions; Kafka
 *   has no such limit) fails with POLICY_VIOLATION.
 * validateOnly items are checked (and reserve their names within the request) but produce no
 * records.
 */
import type { Random } from '../../base/random.js';
import { randomUuid } from '../../base/random.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { CLUSTER_METADATA_TOPIC_NAME, hasCollisionChars, unifyCollisionChars, validateTopicName } from '../topic-name.js';
import { validateTopicConfigs } from '../topic-config.js';
import type { MetadataImage } from '../metadata/metadata-image.js';
import { newPartitionRegistration } from '../metadata/metadata-delta.js';
import { uuidToString, type MetadataRecord } from '../metadata/metadata-records.js';
import { placeReplicas } from './replica-placer.js';

/** A limit on partitions per topic (and per CreatePartitions), so one topic cannot exhaust the disk. */
export const MAX_PARTITIONS_PER_TOPIC = 10_000;
/** Kafka's ReplicationControlManager.MAX_PARTITIONS_PER_BATCH. */
export const MAX_PARTITIONS_PER_REQUEST = 10_000;
/** Kafka's QuorumController.MAX_RECORDS_PER_USER_OP. */
export const MAX_RECORDS_PER_USER_OP = 10_000;

export interface ControllerContext {
  readonly image: MetadataImage;
  readonly random: Random;
  /** num.partitions */
  readonly defaultNumPartitions: number;
  /** default.replication.factor */
  readonly defaultReplicationFactor: number;
  /** sherwood.max.broker.partitions */
  readonly maxPartitionsPerBroker: number;
  /** delete.topic.enable */
  readonly deleteTopicEnable: boolean;
  /**
   * A cluster's live brokers (membership/), by id. Brokers registered in the image but not
   * live are placed on as KRaft places on fenced ones (never first), and new partitions leave
   * them out of the ISR; a live broker whose RegisterBrokerRecord this broker has not applied
   * yet (the membership and the metadata log are separate watches) counts as registered.
   * Default: every registered broker is alive.
   */
  readonly liveBrokers?: () => ReadonlyMap<number, { readonly brokerId: number; readonly rack: string | null }>;
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
  /** Informational: whether a topic is internal follows from its name (topic-name.ts). */
  internal?: boolean;
}

export interface CreateTopicResult extends TopicResult {
  topicId: Buffer | null;
  numPartitions: number;
  replicationFactor: number;
}

export interface CreatePartitionsSpec {
  name: string;
  count: number;
  assignments?: number[][] | null;
}

export interface Plan<R> {
  results: R[];
  records: MetadataRecord[];
}

const ok = (): TopicResult => ({ errorCode: ErrorCode.NONE, errorMessage: null });
const fail = (errorCode: number, errorMessage: string): TopicResult => ({ errorCode, errorMessage });
const failed = (r: TopicResult): CreateTopicResult => ({ ...r, topicId: null, numPartitions: -1, replicationFactor: -1 });
const ZERO_UUID = Buffer.alloc(16);

/** What a request adds to each broker on top of the image, for the per-broker limit. */
class BrokerLoad {
  private readonly added = new Map<number, number>();

  constructor(private readonly ctx: ControllerContext) {}

  /** A POLICY_VIOLATION if `replicas` would push a broker past the limit; else records them. */
  add(replicas: readonly (readonly number[])[]): TopicResult | null {
    const adding = new Map<number, number>();
    for (const r of replicas) for (const b of r) adding.set(b, (adding.get(b) ?? 0) + 1);
    for (const [b, n] of adding) {
      const has = this.ctx.image.replicaCount(b) + (this.added.get(b) ?? 0);
      if (has + n > this.ctx.maxPartitionsPerBroker) {
        return fail(ErrorCode.POLICY_VIOLATION,
          `Adding ${n} partition replica(s) to broker ${b}, which has ${has}, would exceed the limit of ${this.ctx.maxPartitionsPerBroker} per broker (sherwood.max.broker.partitions).`);
      }
    }
    for (const [b, n] of adding) this.added.set(b, (this.added.get(b) ?? 0) + n);
    return null;
  }
}

/** The liveness test of `ctx` (ControllerContext.liveBrokers, else registration). */
export function isLive(ctx: ControllerContext): (brokerId: number) => boolean {
  if (ctx.liveBrokers === undefined) return (b) => ctx.image.broker(b) !== undefined;
  const live = ctx.liveBrokers();
  return (b) => live.has(b);
}

/** Registered or live brokers (see ControllerContext.liveBrokers), each once. */
function knownBrokers(ctx: ControllerContext): { brokerId: number; rack: string | null }[] {
  const out = new Map<number, { brokerId: number; rack: string | null }>();
  for (const b of ctx.image.brokers()) out.set(b.brokerId, b);
  if (ctx.liveBrokers !== undefined) for (const b of ctx.liveBrokers().values()) if (!out.has(b.brokerId)) out.set(b.brokerId, b);
  return [...out.values()];
}

/** Why one manual replica list is invalid (Kafka's messages), or null: non-empty, no broker twice, known brokers. */
export function replicaListError(replicas: readonly number[], known: (brokerId: number) => boolean): string | null {
  if (replicas.length === 0) return 'The manual partition assignment includes an empty replica list.';
  const seen = new Set<number>();
  for (const b of replicas) {
    if (seen.has(b)) return `The manual partition assignment includes the broker ${b} more than once.`;
    seen.add(b);
    if (!known(b)) return `The manual partition assignment includes broker ${b}, but no such broker is registered.`;
  }
  return null;
}

/**
 * Kafka's manual assignment checks: non-empty, no duplicate brokers, registered brokers, and
 * every partition the same width (`width` when the topic already has one).
 */
export function validateAssignments(ctx: ControllerContext, assignments: readonly (readonly number[])[], width: number | null): TopicResult | null {
  let expected = width;
  // Registered, or live without a registration yet (isLive reads the live set once).
  const live = isLive(ctx);
  const known = (b: number) => ctx.image.broker(b) !== undefined || live(b);
  for (const replicas of assignments) {
    const bad = replicaListError(replicas, known);
    if (bad !== null) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, bad);
    if (expected === null) expected = replicas.length;
    else if (replicas.length !== expected) {
      return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        `The manual partition assignment includes a partition with ${replicas.length} replica(s), but this is not consistent with previous partitions, which have ${expected} replica(s).`);
    }
  }
  return null;
}


function place(ctx: ControllerContext, numPartitions: number, replicationFactor: number): number[][] | TopicResult {
  const live = isLive(ctx);
  const usable = knownBrokers(ctx).map((b) => ({ id: b.brokerId, rack: b.rack, fenced: !live(b.brokerId) }));
  const placed = placeReplicas({ numPartitions, numReplicas: replicationFactor }, usable, ctx.random);
  if ('error' in placed) return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `Unable to replicate the partition ${replicationFactor} time(s): ${placed.error}`);
  return placed.replicas;
}

/** Kafka never hands out the zero id, or an id whose string form starts with '-'. */
export function newTopicId(ctx: ControllerContext, taken: Set<string>): Buffer {
  for (;;) {
    const id = randomUuid(ctx.random);
    const hex = id.toString('hex');
    if (id.equals(ZERO_UUID) || uuidToString(id).startsWith('-') || taken.has(hex) || ctx.image.topicById(id) !== undefined) continue;
    taken.add(hex);
    return id;
  }
}

/** Partitions a CreateTopics asks for, counted as Kafka's validateTotalNumberOfPartitions does. */
function requestedPartitions(ctx: ControllerContext, specs: readonly CreateTopicSpec[]): number {
  let total = 0;
  for (const s of specs) {
    if (s.assignments !== null && s.assignments !== undefined && s.assignments.length > 0) total += s.assignments.length;
    else if (s.numPartitions === -1) total += ctx.defaultNumPartitions;
    else if (s.numPartitions > 0) total += s.numPartitions;
  }
  return total;
}

interface Shape {
  replicas: number[][];
  replicationFactor: number;
  configs: Record<string, string>;
}

/** The partitions, replicas and configs of one new topic, or why it cannot be created. */
function shapeOf(ctx: ControllerContext, spec: CreateTopicSpec): Shape | TopicResult {
  const assignments = spec.assignments ?? null;
  let replicas: number[][];
  if (assignments !== null && assignments.length > 0) {
    if (spec.numPartitions !== -1 || spec.replicationFactor !== -1) {
      return fail(ErrorCode.INVALID_REQUEST, 'A manual partition assignment was specified, but numPartitions or replicationFactor was not set to -1.');
    }
    const bad = validateAssignments(ctx, assignments, null);
    if (bad !== null) return bad;
    replicas = assignments.map((a) => [...a]);
  } else {
    const numPartitions = spec.numPartitions === -1 ? ctx.defaultNumPartitions : spec.numPartitions;
    const replicationFactor = spec.replicationFactor === -1 ? ctx.defaultReplicationFactor : spec.replicationFactor;
    if (numPartitions <= 0) return fail(ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.');
    if (replicationFactor <= 0) return fail(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0, or -1 to use the default value.');
    const brokers = knownBrokers(ctx).length;
    if (replicationFactor > brokers) {
      return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `Replication factor: ${replicationFactor} larger than available brokers: ${brokers}.`);
    }
    if (numPartitions > MAX_PARTITIONS_PER_TOPIC) return tooManyPartitions(numPartitions);
    const placed = place(ctx, numPartitions, replicationFactor);
    if (!Array.isArray(placed)) return placed;
    replicas = placed;
  }
  if (replicas.length > MAX_PARTITIONS_PER_TOPIC) return tooManyPartitions(replicas.length);
  const v = validateTopicConfigs(spec.configs ?? {});
  if ('error' in v) return fail(ErrorCode.INVALID_CONFIG, v.error);
  return { replicas, replicationFactor: replicas[0]!.length, configs: v.configs };
}

function tooManyPartitions(n: number): TopicResult {
  return fail(ErrorCode.INVALID_PARTITIONS, `Number of partitions ${n} exceeds the limit of ${MAX_PARTITIONS_PER_TOPIC} per topic.`);
}

function partitionRecords(ctx: ControllerContext, topicId: Buffer, firstPartition: number, replicas: readonly number[][]): MetadataRecord[] {
  const live = isLive(ctx);
  return replicas.map((r, i) => ({ type: 'PartitionRecord' as const, topicId, partitionId: firstPartition + i, ...newPartitionRegistration(r, live) }));
}

/**
 * Plans the creation of `specs` (one CreateTopics request, or the topics one Metadata request
 * auto-creates). Later specs are checked against earlier ones. `requestLimit` applies the
 * per-request partition limit (explicit CreateTopics; auto-creation is bounded per broker).
 */
export function planCreateTopics(ctx: ControllerContext, specs: readonly CreateTopicSpec[], options: { requestLimit: boolean }): Plan<CreateTopicResult> {
  if (options.requestLimit && requestedPartitions(ctx, specs) > MAX_PARTITIONS_PER_REQUEST) {
    const r = failed(fail(ErrorCode.POLICY_VIOLATION, 'Excessively large number of partitions per request.'));
    return { results: specs.map(() => ({ ...r })), records: [] };
  }
  const results: CreateTopicResult[] = [];
  const records: MetadataRecord[] = [];
  const names = new Set<string>();
  const unified = new Map<string, string>();
  const ids = new Set<string>();
  const load = new BrokerLoad(ctx);
  for (const spec of specs) {
    const bad = checkNewName(ctx, spec.name, names, unified);
    if (bad !== null) {
      results.push(failed(bad));
      continue;
    }
    const shape = shapeOf(ctx, spec);
    if ('errorCode' in shape) {
      results.push(failed(shape));
      continue;
    }
    const over = load.add(shape.replicas);
    if (over !== null) {
      results.push(failed(over));
      continue;
    }
    names.add(spec.name);
    unified.set(unifyCollisionChars(spec.name), spec.name);
    if (spec.validateOnly === true) {
      results.push({ ...ok(), topicId: null, numPartitions: shape.replicas.length, replicationFactor: shape.replicationFactor });
      continue;
    }
    const topicId = newTopicId(ctx, ids);
    records.push({ type: 'TopicRecord', name: spec.name, topicId });
    for (const [name, value] of Object.entries(shape.configs)) records.push({ type: 'ConfigRecord', resourceType: 'topic', resourceName: spec.name, name, value });
    records.push(...partitionRecords(ctx, topicId, 0, shape.replicas));
    results.push({ ...ok(), topicId, numPartitions: shape.replicas.length, replicationFactor: shape.replicationFactor });
  }
  return { results, records };
}

function checkNewName(ctx: ControllerContext, name: string, names: Set<string>, unified: Map<string, string>): TopicResult | null {
  const bad = validateTopicName(name);
  if (bad !== null) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, bad);
  if (name === CLUSTER_METADATA_TOPIC_NAME) return fail(ErrorCode.INVALID_REQUEST, `Creation of internal topic ${CLUSTER_METADATA_TOPIC_NAME} is prohibited.`);
  if (ctx.image.topic(name) !== undefined || names.has(name)) return fail(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`);
  if (hasCollisionChars(name)) {
    const u = unifyCollisionChars(name);
    const other = ctx.image.topicsWithUnifiedName(u)[0] ?? unified.get(u);
    if (other !== undefined) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${name}' collides with existing topic: ${other}`);
  }
  return null;
}

/** Plans CreatePartitions for each spec (a name appears at most once; the handler checks). */
export function planCreatePartitions(ctx: ControllerContext, specs: readonly CreatePartitionsSpec[], validateOnly: boolean): Plan<TopicResult> {
  const results: TopicResult[] = [];
  const records: MetadataRecord[] = [];
  const load = new BrokerLoad(ctx);
  for (const spec of specs) {
    const topic = ctx.image.topic(spec.name);
    if (topic === undefined) {
      results.push(fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${spec.name}' does not exist.`));
      continue;
    }
    const current = topic.partitions.length;
    const r = planNewPartitions(ctx, spec, current, topic.partitions[0]?.replicas.length ?? 1);
    if (!Array.isArray(r)) {
      results.push(r);
      continue;
    }
    const over = load.add(r);
    if (over !== null) {
      results.push(over);
      continue;
    }
    results.push(ok());
    if (!validateOnly) records.push(...partitionRecords(ctx, topic.topicId, current, r));
  }
  const adding = records.length;
  if (adding > MAX_RECORDS_PER_USER_OP) {
    const r = fail(ErrorCode.POLICY_VIOLATION, 'Unable to perform excessively large batch operation.');
    return { results: results.map(() => ({ ...r })), records: [] };
  }
  return { results, records };
}

function planNewPartitions(ctx: ControllerContext, spec: CreatePartitionsSpec, current: number, width: number): number[][] | TopicResult {
  const { name, count } = spec;
  if (count < current) return fail(ErrorCode.INVALID_PARTITIONS, `The topic ${name} currently has ${current} partition(s); ${count} would not be an increase.`);
  if (count === current) return fail(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partition(s).`);
  if (count > MAX_PARTITIONS_PER_TOPIC) return tooManyPartitions(count);
  const adding = count - current;
  const assignments = spec.assignments ?? null;
  if (assignments !== null) {
    if (assignments.length !== adding) {
      return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Attempted to add ${adding} additional partition(s), but only ${assignments.length} assignment(s) were specified.`);
    }
    const bad = validateAssignments(ctx, assignments, width);
    return bad ?? assignments.map((a) => [...a]);
  }
  return place(ctx, adding, width);
}

/** Plans DeleteTopics for `names` (each at most once; the handler checks). */
export function planDeleteTopics(ctx: ControllerContext, names: readonly string[]): Plan<TopicResult> {
  const results: TopicResult[] = [];
  const records: MetadataRecord[] = [];
  const removed = new Set<string>();
  for (const name of names) {
    const topic = ctx.image.topic(name);
    if (topic === undefined || removed.has(name)) {
      results.push(fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.'));
    } else if (!ctx.deleteTopicEnable) {
      results.push(fail(ErrorCode.TOPIC_DELETION_DISABLED, 'Topic deletion is disabled.'));
    } else {
      removed.add(name);
      records.push({ type: 'RemoveTopicRecord', topicId: topic.topicId });
      results.push(ok());
    }
  }
  return { results, records };
}
