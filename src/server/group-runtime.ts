/**
 * Wires the group coordinator (src/coordinator/group, run by src/coordinator/runtime) to the
 * broker: `__consumer_offsets` through the ReplicaManager, the broker's Clock/Random/Logger,
 * and Kafka's broker settings.
 *
 * - Writer: one batch appended to the shard's `__consumer_offsets` partition as its leader,
 *   acks=-1, timeout offsets.commit.timeout.ms; an append error becomes a CoordinatorWriteError
 *   carrying Kafka's error code.
 * - Loader: reads the partition's log from its log start up to its high watermark (control
 *   batches skipped).
 * - Leadership: until the partition layer calls `service.onElection`/`onResignation` itself,
 *   `start()` creates `__consumer_offsets` if it is missing (offsets.topic.num.partitions,
 *   compacted, internal) and elects every partition with leader epoch 0. It runs at start-up
 *   when the topic exists (start.ts) and otherwise on the first group request (as Kafka creates
 *   the topic on the first FindCoordinator). The topic's partition count wins over the setting
 *   (it is fixed once the topic exists).
 *
 * `getGroupRuntime(broker)` creates this object on first use and registers it as
 * `broker.services.get('groups')` (closed on shutdown); once started, `broker.groups` is its
 * GroupCoordinatorService. Group handlers first call `availability()`, which waits up to 5 s for
 * the start-up load (COORDINATOR_LOAD_IN_PROGRESS after that, COORDINATOR_NOT_AVAILABLE if the
 * topic could not be created; the next request tries again).
 */
import { appendRecords } from '../cluster/replica-manager.js';
import { GROUP_METADATA_TOPIC_NAME } from '../cluster/topic-name.js';
import { CoordinatorWriteError } from '../coordinator/runtime/coordinator-errors.js';
import type { CoordinatorLoader, PartitionWriter } from '../coordinator/runtime/coordinator-shard.js';
import { DEFAULT_GROUP_COORDINATOR_CONFIG, type GroupCoordinatorConfig, type RequestInfo } from '../coordinator/group/group-config.js';
import { GroupCoordinatorService } from '../coordinator/group/group-coordinator-service.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { decodeBatches } from '../protocol/records.js';
import { isControlBatch } from '../protocol/record-batch.js';
import type { Broker } from './broker.js';
import type { RequestContext } from './handler.js';

export const GROUP_RUNTIME_SERVICE = 'groups';
const LOAD_READ_BYTES = 4 * 1024 * 1024;
/** How long a group request waits for the start-up load before answering COORDINATOR_LOAD_IN_PROGRESS. */
const READY_WAIT_MS = 5000;

/**
 * The coordinator's settings from the broker configuration. Every key is a defined broker key
 * (a missing one is a bug and throws). The new-member join timeout is Kafka's constant, not a
 * setting.
 */
export function groupCoordinatorConfig(broker: Broker, offsetsTopicNumPartitions: number): GroupCoordinatorConfig {
  const c = broker.config;
  return {
    offsetsTopicNumPartitions,
    groupMinSessionTimeoutMs: c.getInt('group.min.session.timeout.ms'),
    groupMaxSessionTimeoutMs: c.getInt('group.max.session.timeout.ms'),
    groupInitialRebalanceDelayMs: c.getInt('group.initial.rebalance.delay.ms'),
    groupMaxSize: c.getInt('group.max.size'),
    groupNewMemberJoinTimeoutMs: DEFAULT_GROUP_COORDINATOR_CONFIG.groupNewMemberJoinTimeoutMs,
    offsetsRetentionMs: c.getInt('offsets.retention.minutes') * 60_000,
    offsetsRetentionCheckIntervalMs: c.getLong('offsets.retention.check.interval.ms'),
    offsetMetadataMaxBytes: c.getInt('offset.metadata.max.bytes'),
  };
}

function offsetsWriter(broker: Broker): PartitionWriter {
  const timeoutMs = broker.config.getInt('offsets.commit.timeout.ms');
  return {
    async append(partition, records) {
      const log = broker.partitionLog(GROUP_METADATA_TOPIC_NAME, partition);
      if (log === undefined) throw new CoordinatorWriteError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${GROUP_METADATA_TOPIC_NAME}-${partition} does not exist`);
      const r = await appendRecords(broker, log, records, { acks: -1, timeoutMs, isInternal: true });
      if (r.errorCode !== ErrorCode.NONE) throw new CoordinatorWriteError(r.errorCode, r.errorMessage ?? `append failed with ${r.errorCode}`);
      return r.lastOffset;
    },
  };
}

function offsetsLoader(broker: Broker): CoordinatorLoader {
  return {
    async load(partition, onRecord) {
      const log = broker.partitionLog(GROUP_METADATA_TOPIC_NAME, partition);
      if (log === undefined) throw new Error(`${GROUP_METADATA_TOPIC_NAME}-${partition} does not exist`);
      let offset = log.logStartOffset;
      const end = log.highWatermark;
      while (offset < end) {
        const r = await log.read(offset, LOAD_READ_BYTES, end, true);
        const batches = decodeBatches(r.records);
        if (batches.length === 0) break;
        for (const batch of batches) {
          offset = batch.header.baseOffset + batch.header.lastOffsetDelta + 1;
          if (isControlBatch(batch.header.attributes)) continue;
          for (const rec of batch.records) onRecord(rec.key, rec.value);
        }
      }
    },
  };
}

export class GroupRuntime {
  private coordinator: GroupCoordinatorService | null = null;
  private starting: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly broker: Broker) {}

  /** The coordinator; only after `start()` began electing (availability() returned NONE). */
  get service(): GroupCoordinatorService {
    if (this.coordinator === null) throw new Error('the group coordinator is used before start()');
    return this.coordinator;
  }

  /**
   * Creates `__consumer_offsets` if missing, elects every partition and resolves once each
   * partition's first load attempt is over. Idempotent; if the topic cannot be created it
   * rejects and the next call tries again. When the topic exists the coordinator is in place
   * (broker.groups set) before this returns.
   */
  start(): Promise<void> {
    if (this.starting === null) {
      const existing = this.broker.topics.get(GROUP_METADATA_TOPIC_NAME);
      const started = existing !== undefined ? this.electAll(existing.numPartitions) : this.createThenElect();
      this.starting = started.catch((err: unknown) => {
        this.starting = null;
        throw err;
      });
    }
    return this.starting;
  }

  private async createThenElect(): Promise<void> {
    const errorCode = await this.broker.topics.autoCreate(GROUP_METADATA_TOPIC_NAME);
    if (errorCode !== ErrorCode.NONE) throw new Error(`cannot create ${GROUP_METADATA_TOPIC_NAME}: error ${errorCode}`);
    const info = this.broker.topics.get(GROUP_METADATA_TOPIC_NAME);
    if (info === undefined) throw new Error(`${GROUP_METADATA_TOPIC_NAME} was deleted while it was being created`);
    await this.electAll(info.numPartitions);
  }

  private async electAll(numPartitions: number): Promise<void> {
    if (this.closed) return;
    const service = this.coordinator ??= new GroupCoordinatorService({
      config: groupCoordinatorConfig(this.broker, numPartitions),
      clock: this.broker.clock,
      random: this.broker.random,
      logger: this.broker.logger,
      writer: offsetsWriter(this.broker),
      loader: offsetsLoader(this.broker),
    });
    this.broker.groups = service;
    const partitions = Array.from({ length: numPartitions }, (_, p) => p);
    for (const p of partitions) service.onElection(p, 0);
    await Promise.all(partitions.map((p) => service.runtime.awaitLoaded(p)));
  }

  /** NONE once started; otherwise the error a group API answers (after waiting up to 5 s). */
  async availability(timeoutMs = READY_WAIT_MS): Promise<number> {
    let timer: { cancel(): void } | undefined;
    const timeout = new Promise<number>((resolve) => { timer = this.broker.clock.schedule(timeoutMs, () => resolve(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)); });
    const started = this.start().then(() => ErrorCode.NONE, (err: unknown) => {
      this.broker.logger.error('starting the group coordinator failed; the next group request retries', { error: String(err) });
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    });
    const outcome = await Promise.race([started, timeout]);
    timer?.cancel();
    return this.closed ? ErrorCode.COORDINATOR_NOT_AVAILABLE : outcome;
  }

  /** True once started, within timeoutMs. */
  async awaitReady(timeoutMs = READY_WAIT_MS): Promise<boolean> {
    return (await this.availability(timeoutMs)) === ErrorCode.NONE;
  }

  close(): void {
    this.closed = true;
    this.coordinator?.close();
  }
}

export function getGroupRuntime(broker: Broker): GroupRuntime {
  let rt = broker.services.get(GROUP_RUNTIME_SERVICE) as GroupRuntime | undefined;
  if (rt === undefined) {
    rt = new GroupRuntime(broker);
    broker.services.set(GROUP_RUNTIME_SERVICE, rt);
  }
  return rt;
}

/** The per-request facts the coordinator records (client id, host as Kafka prints it). */
export function requestInfo(ctx: RequestContext): RequestInfo {
  return {
    apiVersion: ctx.header.apiVersion,
    clientId: ctx.header.clientId ?? '',
    clientHost: `/${ctx.connection.remoteAddress}`,
  };
}
