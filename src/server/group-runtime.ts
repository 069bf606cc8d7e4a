/**
 * Wires the group coordinator (src/coordinator/group, run by src/coordinator/runtime) to the
 * broker: `__consumer_offsets` through the ReplicaManager, the broker's Clock/Random/Logger,
 * and Kafka's broker settings. It is `broker.groups`; group handlers use `availability()` and
 * then `service`.
 *
 * - Writer: one batch appended to the shard's `__consumer_offsets` partition as its leader
 *   (origin coordinator), acks=-1, timeout offsets.commit.timeout.ms; an append error becomes a
 *   CoordinatorWriteError carrying Kafka's error code.
 * - Loader: reads the partition up to its high watermark and hands its batches to the runtime
 *   (transactional offset commits and their COMMIT/ABORT markers included).
 * - Leadership: a LeadershipListener of the ReplicaManager for `__consumer_offsets`: a shard is
 *   loaded when this broker becomes the partition's leader (`onElection`) and unloaded when it
 *   stops being it (`onResignation`) — at start-up, when the topic is created, and on every
 *   leadership change. The service is built at the first election, with the topic's partition
 *   count (fixed once the topic exists; it wins over offsets.topic.num.partitions).
 * - Topic deletions: a MetadataListener; a deleted topic's committed offsets are removed from
 *   every group (Kafka's onPartitionsDeleted), whoever deleted it.
 * - `availability()`: creates `__consumer_offsets` on the first group request if it is missing
 *   (as Kafka does on the first FindCoordinator) and waits up to 5 s for the loads
 *   (COORDINATOR_LOAD_IN_PROGRESS after that, COORDINATOR_NOT_AVAILABLE if the topic could not
 *   be created; the next request tries again).
 */
import type { LeadershipListener } from '../cluster/replica-manager.js';
import type { Partition } from '../cluster/partition.js';
import type { MetadataChanges, MetadataListener } from '../cluster/metadata/metadata-image.js';
import { GROUP_METADATA_TOPIC_NAME } from '../cluster/topic-name.js';
import { CoordinatorWriteError } from '../coordinator/runtime/coordinator-errors.js';
import type { CoordinatorLoader, PartitionWriter } from '../coordinator/runtime/coordinator-shard.js';
import { DEFAULT_GROUP_COORDINATOR_CONFIG, type GroupCoordinatorConfig, type RequestInfo } from '../coordinator/group/group-config.js';
import { GroupCoordinatorService } from '../coordinator/group/group-coordinator-service.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { BATCH_HEADER_SIZE, BATCH_LENGTH_OFFSET, BATCH_LOG_OVERHEAD, lastOffsetOf } from '../protocol/record-batch.js';
import type { Broker } from './broker.js';
import type { RequestContext } from './handler.js';

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
      const r = await broker.replicaManager.appendRecords(GROUP_METADATA_TOPIC_NAME, partition, records, { acks: -1, timeoutMs, origin: 'coordinator' });
      if (r.errorCode !== ErrorCode.NONE) throw new CoordinatorWriteError(r.errorCode, r.errorMessage ?? `append failed with ${r.errorCode}`);
      return r.lastOffset;
    },
  };
}

/**
 * A coordinator loader over an internal topic: reads a partition hosted here from its log start
 * up to its high watermark and hands the batches over as they are (control batches included).
 */
export function internalTopicLoader(broker: Broker, topic: string): CoordinatorLoader {
  return {
    async load(partition, onBatches) {
      const p = broker.replicaManager.getPartitionOrError(topic, partition);
      if (typeof p === 'number') throw new Error(`${topic}-${partition} is not hosted here (error ${p})`);
      // A new leader's high watermark can trail its log (a follower learns it one fetch late):
      // what it has may be committed already, so load only once the high watermark reaches
      // the log end it had when elected (its ISR fetching brings it there, as Kafka waits too).
      await caughtUp(p, p.logEndOffset);
      let offset = p.logStartOffset;
      const end = p.highWatermark;
      while (offset < end) {
        const r = await p.readCommitted(offset, LOAD_READ_BYTES);
        const next = endOfWholeBatches(r.records);
        if (next === null) break;
        onBatches(r.records.subarray(0, next.bytes));
        offset = next.nextOffset;
      }
    },
  };
}

/** Resolves once `p`'s high watermark reaches `target`; rejects if it stops leading first. */
function caughtUp(p: Partition, target: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      if (!p.isLeader) {
        reject(new Error(`${p.topic}-${p.partitionIndex} is no longer led here`));
        return true;
      }
      if (p.highWatermark < target) return false;
      resolve();
      return true;
    };
    if (check()) return;
    const stop = p.onStateChange(() => {
      if (check()) stop();
    });
  });
}

/** The bytes of the complete batches at the start of `buf` and the offset after the last one; null if none. */
function endOfWholeBatches(buf: Buffer): { bytes: number; nextOffset: number } | null {
  let pos = 0;
  let nextOffset = -1;
  while (buf.length - pos >= BATCH_LOG_OVERHEAD + 5) {
    const size = buf.readInt32BE(pos + BATCH_LENGTH_OFFSET) + BATCH_LOG_OVERHEAD;
    if (size < BATCH_HEADER_SIZE || buf.length - pos < size) break;
    nextOffset = lastOffsetOf(buf, pos) + 1;
    pos += size;
  }
  return pos === 0 ? null : { bytes: pos, nextOffset };
}

export class GroupRuntime implements LeadershipListener, MetadataListener {
  private coordinator: GroupCoordinatorService | null = null;
  private creating: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly broker: Broker) {}

  /** Registers for `__consumer_offsets` leadership and topic deletions (start.ts, before partitions start). */
  attach(): void {
    this.broker.replicaManager.addLeadershipListener(GROUP_METADATA_TOPIC_NAME, this);
    this.broker.topics.addListener(this);
  }

  /** The coordinator; after availability() returned NONE. */
  get service(): GroupCoordinatorService {
    if (this.coordinator === null) throw new Error('the group coordinator is used before any __consumer_offsets partition was elected');
    return this.coordinator;
  }

  /** The coordinator if a partition was elected already (tests and diagnostics). */
  get serviceIfStarted(): GroupCoordinatorService | undefined {
    return this.coordinator ?? undefined;
  }

  onElection(partition: number, leaderEpoch: number): void {
    if (this.closed) return;
    this.ensureService().onElection(partition, leaderEpoch);
  }

  onResignation(partition: number, leaderEpoch: number): void {
    this.coordinator?.onResignation(partition, leaderEpoch);
  }

  async onMetadataUpdate(changes: MetadataChanges): Promise<void> {
    const deleted = changes.deletedTopics.map((t) => t.name).filter((name) => name !== GROUP_METADATA_TOPIC_NAME);
    if (deleted.length > 0 && this.coordinator !== null && !this.closed) await this.coordinator.onTopicsDeleted(deleted);
  }

  private ensureService(): GroupCoordinatorService {
    if (this.coordinator !== null) return this.coordinator;
    const info = this.broker.topics.get(GROUP_METADATA_TOPIC_NAME);
    const numPartitions = info?.numPartitions ?? this.broker.config.getInt('offsets.topic.num.partitions');
    this.coordinator = new GroupCoordinatorService({
      config: groupCoordinatorConfig(this.broker, numPartitions),
      clock: this.broker.clock,
      random: this.broker.random,
      logger: this.broker.logger,
      writer: offsetsWriter(this.broker),
      loader: internalTopicLoader(this.broker, GROUP_METADATA_TOPIC_NAME),
    });
    return this.coordinator;
  }

  /** Creates `__consumer_offsets` if it is missing (its partitions are then elected by the partition layer). */
  private ensureTopic(): Promise<void> {
    if (this.broker.topics.get(GROUP_METADATA_TOPIC_NAME) !== undefined) return Promise.resolve();
    this.creating ??= (async () => {
      const errorCode = await this.broker.topics.autoCreate(GROUP_METADATA_TOPIC_NAME);
      if (errorCode !== ErrorCode.NONE) throw new Error(`cannot create ${GROUP_METADATA_TOPIC_NAME}: error ${errorCode}`);
    })().finally(() => {
      this.creating = null;
    });
    return this.creating;
  }

  /** Resolves once every `__consumer_offsets` partition led here has had its first load attempt. */
  private async loaded(): Promise<void> {
    await this.ensureTopic();
    const info = this.broker.topics.get(GROUP_METADATA_TOPIC_NAME);
    if (info === undefined) throw new Error(`${GROUP_METADATA_TOPIC_NAME} was deleted while it was being created`);
    const service = this.ensureService();
    const led: number[] = [];
    for (let p = 0; p < info.numPartitions; p++) if (this.broker.replicaManager.getPartition(GROUP_METADATA_TOPIC_NAME, p)?.isLeader === true) led.push(p);
    await Promise.all(led.map((p) => service.runtime.awaitLoaded(p)));
  }

  /** NONE once loaded; otherwise the error a group API answers (after waiting up to 5 s). */
  async availability(timeoutMs = READY_WAIT_MS): Promise<number> {
    if (this.closed) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    let timer: { cancel(): void } | undefined;
    const timeout = new Promise<number>((resolve) => { timer = this.broker.clock.schedule(timeoutMs, () => resolve(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)); });
    const started = this.loaded().then(() => ErrorCode.NONE, (err: unknown) => {
      this.broker.logger.error('starting the group coordinator failed; the next group request retries', { error: String(err) });
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    });
    const outcome = await Promise.race([started, timeout]);
    timer?.cancel();
    return this.closed ? ErrorCode.COORDINATOR_NOT_AVAILABLE : outcome;
  }

  /** True once loaded, within timeoutMs. */
  async awaitReady(timeoutMs = READY_WAIT_MS): Promise<boolean> {
    return (await this.availability(timeoutMs)) === ErrorCode.NONE;
  }

  close(): void {
    this.closed = true;
    this.coordinator?.close();
  }
}

/** The broker's group runtime (kept as a function for the group handlers). */
export function getGroupRuntime(broker: Broker): GroupRuntime {
  return broker.groups;
}

/** The per-request facts the coordinator records (client id, host as Kafka prints it). */
export function requestInfo(ctx: RequestContext): RequestInfo {
  return {
    apiVersion: ctx.header.apiVersion,
    clientId: ctx.header.clientId ?? '',
    clientHost: `/${ctx.connection.remoteAddress}`,
  };
}
