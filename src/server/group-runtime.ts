/**
 * Wires the group coordinator (src/coordinator/group) to the broker: `__consumer_offsets`
 * through the ReplicaManager, the broker's Clock/Random, and Kafka's broker settings.
 *
 * Lifecycle: `getGroupRuntime(broker)` creates the runtime on first use (or at start-up when
 * the topic already exists: start.ts calls it) and registers it as
 * `broker.services.get('groups')` (the broker closes it on shutdown); `broker.groups` is its
 * GroupCoordinator, for reads. Anything that changes state goes through `run()`. It creates
 * `__consumer_offsets` if missing (offsets.topic.num.partitions, compacted, internal), replays
 * every partition up to its high watermark into the coordinator, and only then serves: until
 * the load is done group APIs answer COORDINATOR_LOAD_IN_PROGRESS (handlers first wait briefly
 * through `awaitReady`).
 */
import { appendRecords } from '../cluster/replica-manager.js';
import { GROUP_METADATA_TOPIC_NAME } from '../cluster/topic-name.js';
import { CoordinatorWriteError, GroupCoordinatorRuntime } from '../coordinator/group/coordinator-runtime.js';
import type { GroupCoordinator } from '../coordinator/group/group-coordinator.js';
import { DEFAULT_GROUP_COORDINATOR_CONFIG, type CoordinatorResult, type GroupCoordinatorConfig, type RequestInfo } from '../coordinator/group/result.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { decodeBatches } from '../protocol/records.js';
import { isControlBatch } from '../protocol/record-batch.js';
import type { Broker } from './broker.js';
import type { RequestContext } from './handler.js';

export const GROUP_RUNTIME_SERVICE = 'groups';
const LOAD_READ_BYTES = 4 * 1024 * 1024;

function configOf(broker: Broker): GroupCoordinatorConfig {
  const int = (name: string, fallback: number): number => {
    try {
      const v = Number(broker.config.get(name));
      return Number.isFinite(v) ? v : fallback;
    } catch {
      return fallback;
    }
  };
  const d = DEFAULT_GROUP_COORDINATOR_CONFIG;
  return {
    offsetsTopicNumPartitions: int('offsets.topic.num.partitions', d.offsetsTopicNumPartitions),
    groupMinSessionTimeoutMs: int('group.min.session.timeout.ms', d.groupMinSessionTimeoutMs),
    groupMaxSessionTimeoutMs: int('group.max.session.timeout.ms', d.groupMaxSessionTimeoutMs),
    groupInitialRebalanceDelayMs: int('group.initial.rebalance.delay.ms', d.groupInitialRebalanceDelayMs),
    groupMaxSize: int('group.max.size', d.groupMaxSize),
    groupNewMemberJoinTimeoutMs: int('group.new.member.join.timeout.ms', d.groupNewMemberJoinTimeoutMs),
    offsetsRetentionMs: int('offsets.retention.minutes', d.offsetsRetentionMs / 60000) * 60000,
    offsetsRetentionCheckIntervalMs: int('offsets.retention.check.interval.ms', d.offsetsRetentionCheckIntervalMs),
    offsetMetadataMaxBytes: int('offset.metadata.max.bytes', d.offsetMetadataMaxBytes),
  };
}

export class GroupRuntime {
  readonly runtime: GroupCoordinatorRuntime;
  readonly config: GroupCoordinatorConfig;
  state: 'loading' | 'ready' | 'failed' = 'loading';
  readonly ready: Promise<void>;
  private readonly broker: Broker;

  constructor(broker: Broker) {
    this.broker = broker;
    this.config = configOf(broker);
    const commitTimeoutMs = (() => {
      try { return Number(broker.config.get('offsets.commit.timeout.ms')) || 5000; } catch { return 5000; }
    })();
    this.runtime = new GroupCoordinatorRuntime({
      config: this.config,
      clock: broker.clock,
      random: broker.random,
      logger: broker.logger,
      writer: {
        append: async (partition, records) => {
          const log = broker.partitionLog(GROUP_METADATA_TOPIC_NAME, partition);
          if (log === undefined) throw new CoordinatorWriteError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${GROUP_METADATA_TOPIC_NAME}-${partition} does not exist`);
          const r = await appendRecords(broker, log, records, { acks: -1, timeoutMs: commitTimeoutMs, isInternal: true });
          if (r.errorCode !== ErrorCode.NONE) throw new CoordinatorWriteError(r.errorCode, r.errorMessage ?? `append failed with ${r.errorCode}`);
          return r.lastOffset;
        },
      },
    });
    this.ready = this.load().then(
      () => { this.state = 'ready'; },
      (err: unknown) => {
        this.state = 'failed';
        broker.logger.error('loading __consumer_offsets failed; the next group request retries', { error: String(err) });
        // A partial replay leaves dirty state: drop this runtime so the next request builds a fresh one.
        if (broker.services.get(GROUP_RUNTIME_SERVICE) === this) {
          broker.services.delete(GROUP_RUNTIME_SERVICE);
          this.close();
        }
      },
    );
  }

  get coordinator(): GroupCoordinator {
    return this.runtime.coordinator;
  }

  private async load(): Promise<void> {
    const errorCode = await this.broker.topics.autoCreate(GROUP_METADATA_TOPIC_NAME);
    if (errorCode !== ErrorCode.NONE) throw new Error(`cannot create ${GROUP_METADATA_TOPIC_NAME}: error ${errorCode}`);
    const info = this.broker.topics.get(GROUP_METADATA_TOPIC_NAME);
    const numPartitions = info?.numPartitions ?? this.config.offsetsTopicNumPartitions;
    // The topic's partition count wins over the setting if they differ (it is fixed once created).
    (this.config as { offsetsTopicNumPartitions: number }).offsetsTopicNumPartitions = numPartitions;
    let records = 0;
    for (let p = 0; p < numPartitions; p++) {
      const log = this.broker.partitionLog(GROUP_METADATA_TOPIC_NAME, p);
      if (log === undefined) continue;
      let offset = log.logStartOffset;
      const end = log.highWatermark;
      while (offset < end) {
        const r = await log.read(offset, LOAD_READ_BYTES, end, true);
        const batches = decodeBatches(r.records);
        if (batches.length === 0) break;
        for (const batch of batches) {
          offset = batch.header.baseOffset + batch.header.lastOffsetDelta + 1;
          if (isControlBatch(batch.header.attributes)) continue;
          for (const rec of batch.records) {
            if (rec.key === null) continue;
            try {
              this.coordinator.replay(rec.key, rec.value);
              records++;
            } catch (err) {
              this.broker.logger.warn('skipping unreadable __consumer_offsets record', { partition: p, offset: rec.offset, error: String(err) });
            }
          }
        }
      }
    }
    this.runtime.start();
    if (records > 0) this.broker.logger.info('loaded group coordinator state', { records, groups: this.coordinator.groups.size });
  }

  /** Waits up to timeoutMs for the load; false if still loading (COORDINATOR_LOAD_IN_PROGRESS). */
  async awaitReady(timeoutMs = 5000): Promise<boolean> {
    if (this.state === 'ready') return true;
    let timer: { cancel(): void } | undefined;
    const timeout = new Promise<void>((resolve) => { timer = this.broker.clock.schedule(timeoutMs, resolve); });
    await Promise.race([this.ready, timeout]);
    timer?.cancel();
    return (this.state as string) === 'ready';
  }

  /** The error a group API answers with before the coordinator can serve, or NONE. */
  async availability(): Promise<number> {
    if (await this.awaitReady()) return ErrorCode.NONE;
    return this.state === 'failed' ? ErrorCode.COORDINATOR_NOT_AVAILABLE : ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
  }

  run<T>(result: CoordinatorResult<T>): Promise<T> {
    return this.runtime.run(result);
  }

  close(): void {
    this.runtime.close();
  }
}

export function getGroupRuntime(broker: Broker): GroupRuntime {
  let rt = broker.services.get(GROUP_RUNTIME_SERVICE) as GroupRuntime | undefined;
  if (rt === undefined) {
    rt = new GroupRuntime(broker);
    broker.services.set(GROUP_RUNTIME_SERVICE, rt);
    // The contract's `broker.groups` is the coordinator itself (reads); writes go through `rt.run`.
    broker.groups = rt.coordinator;
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
