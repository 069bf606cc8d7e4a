/**
 * ReplicaManager: every partition this broker hosts, after Kafka's `ReplicaManager`.
 *
 * Contract:
 * - Handlers get a partition or a Kafka error (`getPartitionOrError`), never a log:
 *   UNKNOWN_TOPIC_OR_PARTITION when the metadata does not name the partition,
 *   NOT_LEADER_OR_FOLLOWER when it does but this broker does not host it.
 * - The metadata decides, this class applies: `startup(image)` reconciles the logs on disk
 *   with the image (creates missing logs, deletes logs the image does not give this broker,
 *   restores checkpointed high watermarks) and makes each hosted partition leader or follower;
 *   `onMetadataUpdate(changes, image)` does the same for one published delta (new topics and
 *   partitions, leadership and ISR changes, config changes, deletions). Nothing else creates or
 *   deletes partitions.
 * - Leadership listeners (`addLeadershipListener`) hear when this broker becomes leader of a
 *   partition of a topic (at a new epoch) and when it stops being its leader: the coordinators
 *   load and unload their internal partitions there.
 * - High watermarks are checkpointed per log dir in `replication-offset-checkpoint` (Kafka's
 *   file and format) every replica.high.watermark.checkpoint.interval.ms and on shutdown.
 *
 * The metadata types are taken structurally (TopicView, MetadataView, ChangesView) so this
 * layer depends only on the shape of the metadata image, not on where it is stored.
 */
import { dirname } from 'node:path';
import type { Clock, TimerHandle } from '../base/clock.js';
import type { FileSystem } from '../base/file-system.js';
import type { Logger } from '../base/logger.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { LogManager } from '../storage/log-manager.js';
import type { LogConfig } from '../storage/log-config.js';
import { readOffsetCheckpoint, writeCheckpoint } from '../storage/checkpoint-file.js';
import type { AppendOrigin } from './log-validator.js';
import { Partition } from './partition.js';
import type { ReplicaFetcherManager } from './replication/replica-fetcher-manager.js';
import {
  NOT_LEADER_MESSAGE, UNKNOWN_MESSAGE, failedAppend, readError,
  type LeaderAppendResult, type PartitionConfig, type PartitionFetchRequest, type PartitionReadResult, type PartitionState,
} from './partition-types.js';

export const HIGH_WATERMARK_CHECKPOINT = 'replication-offset-checkpoint';

/** The slice of a topic image this layer reads (a TopicImage satisfies it). */
export interface TopicView {
  readonly name: string;
  readonly topicId: Buffer;
  readonly partitions: readonly PartitionState[];
}

/** The slice of the metadata image this layer reads (a MetadataImage satisfies it). */
export interface MetadataView {
  topic(name: string): TopicView | undefined;
  topics(): Iterable<TopicView>;
}

/** The slice of one published delta this layer reads (MetadataChanges satisfies it). */
export interface ChangesView {
  readonly deletedTopics: readonly TopicView[];
  readonly changedPartitions: readonly { topic: TopicView; partition: number; after: PartitionState }[];
  readonly changedTopicConfigs: readonly TopicView[];
  readonly brokerConfigsChanged: boolean;
}

/** A topic's settings as the partition layer needs them, resolved from its configs. */
export interface TopicSettings {
  logConfig: LogConfig;
  partition: PartitionConfig;
}

export interface LeadershipListener {
  /** This broker became the leader of `partition` (or its leader epoch moved while leader). */
  onElection(partition: number, leaderEpoch: number): void;
  /** This broker is no longer the leader of `partition` (follower now, deleted, or shutting down). */
  onResignation(partition: number, leaderEpoch: number): void;
}

export interface ReplicaManagerOptions {
  localBrokerId: number;
  logs: LogManager;
  fs: FileSystem;
  clock: Clock;
  logger: Logger;
  /** Resolves a topic's settings from the current metadata (configs over broker defaults). */
  topicSettings(topic: string): TopicSettings;
  /** replica.high.watermark.checkpoint.interval.ms */
  highWatermarkCheckpointIntervalMs: number;
  /**
   * In a cluster: the follower side (fetchers per leader) and the leader side's ISR changes
   * (AlterPartition through the metadata). Absent on a standalone broker.
   */
  replication?: {
    fetchers: ReplicaFetcherManager;
    alterIsr: (topic: string, partition: number, leaderEpoch: number, partitionEpoch: number, isr: readonly number[]) => Promise<number>;
    /** replica.lag.time.max.ms: the ISR shrink check runs every half of it, as in Kafka. */
    replicaLagTimeMaxMs: number;
    /** Whether a broker may be in the ISR (its session is live); Partition's isReplicaIsrEligible. */
    isReplicaIsrEligible?: (brokerId: number) => boolean;
  };
}

export interface AppendRecordsOptions {
  /** 0, 1 or -1; anything else is INVALID_REQUIRED_ACKS. */
  acks: number;
  timeoutMs: number;
  /** 'coordinator' for the broker's own writes to internal topics. */
  origin: AppendOrigin;
  /** Called once the append is done (or refused), before acks=all waits for followers. */
  appended?: () => void;
}

export function isValidAcks(acks: number): boolean {
  return acks === 0 || acks === 1 || acks === -1;
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export class ReplicaManager {
  private readonly partitions = new Map<string, Partition>();
  private readonly leadership = new Map<string, Set<LeadershipListener>>();
  private image: MetadataView | undefined;
  private checkpointTimer: TimerHandle | undefined;
  private isrTimer: TimerHandle | undefined;
  private checkpointing: Promise<void> = Promise.resolve();
  private stopped = false;
  readonly localBrokerId: number;

  constructor(private readonly opts: ReplicaManagerOptions) {
    this.localBrokerId = opts.localBrokerId;
  }

  // ---- lookups ----------------------------------------------------------------------------

  getPartition(topic: string, partition: number): Partition | undefined {
    return this.partitions.get(key(topic, partition));
  }

  /** Whether the metadata names this partition (Kafka's metadataCache.contains). */
  inMetadata(topic: string, partition: number): boolean {
    const t = this.image?.topic(topic);
    return t !== undefined && partition >= 0 && partition < t.partitions.length;
  }

  /** The hosted partition, or UNKNOWN_TOPIC_OR_PARTITION / NOT_LEADER_OR_FOLLOWER (see the file header). */
  getPartitionOrError(topic: string, partition: number): Partition | number {
    const p = this.partitions.get(key(topic, partition));
    if (p !== undefined && !p.isStopped) return p;
    return this.inMetadata(topic, partition) ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  }

  /** Every hosted partition. */
  allPartitions(): Partition[] {
    return [...this.partitions.values()];
  }

  // ---- the write path ---------------------------------------------------------------------

  /**
   * Validates and appends `records` to the partition as leader and, for acks=-1, waits until
   * the ISR has them (or timeoutMs: REQUEST_TIMED_OUT). Kafka errors come back as data.
   */
  async appendRecords(topic: string, partition: number, records: Buffer, options: AppendRecordsOptions): Promise<LeaderAppendResult> {
    if (!isValidAcks(options.acks)) return failedAppend(ErrorCode.INVALID_REQUIRED_ACKS, null);
    const p = this.getPartitionOrError(topic, partition);
    if (typeof p === 'number') return failedAppend(p, p === ErrorCode.NOT_LEADER_OR_FOLLOWER ? NOT_LEADER_MESSAGE : UNKNOWN_MESSAGE);
    const result = await p.appendRecordsToLeader(records, options.origin, options.acks);
    options.appended?.();
    if (result.errorCode !== ErrorCode.NONE || options.acks !== -1 || result.lastOffset < 0) return result;
    const code = await p.waitForAcks(result.lastOffset + 1, options.timeoutMs);
    if (code === ErrorCode.NONE) return result;
    const message = code === ErrorCode.NOT_LEADER_OR_FOLLOWER ? NOT_LEADER_MESSAGE : code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? UNKNOWN_MESSAGE : null;
    return { ...result, errorCode: code, errorMessage: message };
  }

  // ---- the read path ----------------------------------------------------------------------

  /** One partition of a Fetch (consumer or follower: see Partition.fetchRecords). */
  async fetchPartition(topic: string, partition: number, req: PartitionFetchRequest): Promise<PartitionReadResult> {
    const p = this.getPartitionOrError(topic, partition);
    if (typeof p === 'number') return readError(p);
    return p.fetchRecords(req);
  }

  // ---- leadership -------------------------------------------------------------------------

  /** Listens to leadership changes of `topic`'s partitions (coordinators' internal topics). */
  addLeadershipListener(topic: string, listener: LeadershipListener): () => void {
    let set = this.leadership.get(topic);
    if (set === undefined) this.leadership.set(topic, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  private fireElection(p: Partition): void {
    for (const l of this.leadership.get(p.topic) ?? []) this.callListener(() => l.onElection(p.partitionIndex, p.leaderEpoch), p);
  }

  private fireResignation(p: Partition, leaderEpoch: number): void {
    for (const l of this.leadership.get(p.topic) ?? []) this.callListener(() => l.onResignation(p.partitionIndex, leaderEpoch), p);
  }

  private callListener(fn: () => void, p: Partition): void {
    try {
      fn();
    } catch (err) {
      this.opts.logger.error('leadership listener failed', { topic: p.topic, partition: p.partitionIndex, error: String(err) });
    }
  }

  // ---- metadata ---------------------------------------------------------------------------

  /**
   * Start-up: makes the logs on disk match the image and applies every hosted partition's
   * state. Logs the image does not assign to this broker are deleted (an interrupted topic
   * deletion, or a partition moved away); missing logs are created.
   */
  async startup(image: MetadataView): Promise<void> {
    this.image = image;
    const checkpointed = await this.readHighWatermarkCheckpoints();
    for (const log of this.opts.logs.all()) {
      const t = image.topic(log.topic);
      const state = t?.partitions[log.partition];
      if (state === undefined || !state.replicas.includes(this.localBrokerId)) {
        this.opts.logger.warn('deleting partition log not in topic metadata (interrupted delete)', { topic: log.topic, partition: log.partition });
        await this.opts.logs.delete(log.topic, log.partition);
      }
    }
    for (const t of image.topics()) {
      for (let i = 0; i < t.partitions.length; i++) {
        const state = t.partitions[i]!;
        if (!state.replicas.includes(this.localBrokerId)) continue;
        await this.applyPartitionState(t, i, state, checkpointed.get(`${t.name}-${i}`));
      }
    }
    this.scheduleCheckpoint();
    this.scheduleIsrShrink();
  }

  /** The follower side, in a cluster (tests and diagnostics). */
  get fetchers(): ReplicaFetcherManager | undefined {
    return this.opts.replication?.fetchers;
  }

  /** Kafka's isr-expiration task: every replica.lag.time.max.ms / 2, each led partition drops laggards. */
  private scheduleIsrShrink(): void {
    const r = this.opts.replication;
    if (r === undefined || this.stopped) return;
    this.isrTimer = this.opts.clock.schedule(Math.max(1, Math.floor(r.replicaLagTimeMaxMs / 2)), () => {
      this.maybeShrinkIsr();
      this.scheduleIsrShrink();
    });
  }

  /** Proposes ISR shrinks for every led partition with followers out of sync (also called by tests). */
  maybeShrinkIsr(): void {
    const now = this.opts.clock.now();
    for (const p of this.partitions.values()) if (p.isLeader) p.maybeShrinkIsr(now);
  }

  /** Applies one published metadata delta (a MetadataListener). */
  async onMetadataUpdate(changes: ChangesView, image: MetadataView): Promise<void> {
    this.image = image;
    for (const t of changes.deletedTopics) {
      for (let i = 0; i < t.partitions.length; i++) await this.stopPartition(t.name, i, 'deleted');
    }
    for (const c of changes.changedPartitions) {
      if (c.after.replicas.includes(this.localBrokerId)) await this.applyPartitionState(c.topic, c.partition, c.after, undefined);
      else await this.stopPartition(c.topic.name, c.partition, 'deleted');
    }
    const reconfigure = changes.brokerConfigsChanged ? [...image.topics()] : changes.changedTopicConfigs;
    for (const t of reconfigure) this.applyTopicSettings(t.name);
  }

  /** Re-reads a topic's settings into its logs and partitions (after a config change). */
  applyTopicSettings(topic: string): void {
    const t = this.image?.topic(topic);
    if (t === undefined) return;
    const settings = this.opts.topicSettings(topic);
    for (let i = 0; i < t.partitions.length; i++) {
      const p = this.partitions.get(key(topic, i));
      if (p === undefined) continue;
      p.log.config = settings.logConfig;
      p.config = settings.partition;
    }
  }

  private async applyPartitionState(t: TopicView, index: number, state: PartitionState, checkpointedHw: number | undefined): Promise<void> {
    let p = this.partitions.get(key(t.name, index));
    if (p === undefined || p.isStopped) {
      const settings = this.opts.topicSettings(t.name);
      const log = await this.opts.logs.create(t.name, index, settings.logConfig);
      p = new Partition({
        topic: t.name, partition: index, topicId: t.topicId, log, localBrokerId: this.localBrokerId,
        config: settings.partition, clock: this.opts.clock, logger: this.opts.logger,
        ...(this.opts.replication === undefined ? {} : { alterIsr: this.alterIsr }),
        ...(this.opts.replication?.isReplicaIsrEligible === undefined ? {} : { isReplicaIsrEligible: this.opts.replication.isReplicaIsrEligible }),
      });
      // The log opens with its high watermark at the log start; the checkpoint restores it.
      if (checkpointedHw !== undefined) p.restoreHighWatermark(checkpointedHw);
      this.partitions.set(key(t.name, index), p);
    }
    p.topicId = t.topicId;
    const wasLeader = p.isLeader;
    const previousEpoch = p.leaderEpoch;
    const fetchers = this.opts.replication?.fetchers;
    if (state.leader === this.localBrokerId) {
      fetchers?.removePartition(p);
      if (await p.makeLeader(state)) this.fireElection(p);
    } else {
      const changed = p.makeFollower(state);
      if (wasLeader) this.fireResignation(p, previousEpoch);
      // A new leader or epoch: fetch from it, truncating first (a former leader drops its tail).
      if (fetchers !== undefined) {
        if (state.leader < 0) fetchers.removePartition(p);
        else if (changed || !fetchers.isFetching(p)) fetchers.addPartition(p);
      }
    }
  }

  private readonly alterIsr = (p: Partition, leaderEpoch: number, partitionEpoch: number, isr: readonly number[]): Promise<number> =>
    this.opts.replication!.alterIsr(p.topic, p.partitionIndex, leaderEpoch, partitionEpoch, isr);

  private async stopPartition(topic: string, index: number, reason: 'deleted' | 'shutdown'): Promise<void> {
    const k = key(topic, index);
    const p = this.partitions.get(k);
    if (p === undefined) return;
    const wasLeader = p.isLeader;
    this.partitions.delete(k);
    this.opts.replication?.fetchers.removePartition(p);
    p.stop(reason);
    if (wasLeader) this.fireResignation(p, p.leaderEpoch);
    if (reason === 'deleted') await this.opts.logs.delete(topic, index);
  }

  // ---- high watermark checkpoints -----------------------------------------------------------

  private async readHighWatermarkCheckpoints(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const dir of this.opts.logs.dirs) {
      for (const [k, v] of await readOffsetCheckpoint(this.opts.fs, `${dir}/${HIGH_WATERMARK_CHECKPOINT}`)) out.set(k, v);
    }
    return out;
  }

  /** Writes every log dir's `replication-offset-checkpoint` (one at a time, never overlapping). */
  checkpointHighWatermarks(partitions: Iterable<Partition> = this.partitions.values()): Promise<void> {
    const list = [...partitions];
    const run = this.checkpointing.then(async () => {
      const byDir = new Map<string, (string | number)[][]>(this.opts.logs.dirs.map((d) => [d, []]));
      for (const p of list) {
        byDir.get(dirname(p.log.dir))?.push([p.topic, p.partitionIndex, p.highWatermark]);
      }
      for (const [dir, entries] of byDir) await writeCheckpoint(this.opts.fs, `${dir}/${HIGH_WATERMARK_CHECKPOINT}`, entries);
    });
    this.checkpointing = run.catch(() => undefined);
    return run;
  }

  private scheduleCheckpoint(): void {
    if (this.stopped) return;
    this.checkpointTimer = this.opts.clock.schedule(this.opts.highWatermarkCheckpointIntervalMs, () => {
      this.checkpointHighWatermarks()
        .catch((err: unknown) => this.opts.logger.error('high watermark checkpoint failed', { error: String(err) }))
        .finally(() => this.scheduleCheckpoint());
    });
  }

  /**
   * Stops every partition (waiters answer NOT_LEADER_OR_FOLLOWER, coordinators unload) and
   * writes the final high watermark checkpoint. The logs are closed by the LogManager after.
   */
  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.checkpointTimer?.cancel();
    this.isrTimer?.cancel();
    await this.opts.replication?.fetchers.shutdown();
    const all = [...this.partitions.values()];
    for (const p of all) await this.stopPartition(p.topic, p.partitionIndex, 'shutdown');
    await this.checkpointHighWatermarks(all).catch((err: unknown) => this.opts.logger.error('high watermark checkpoint failed', { error: String(err) }));
  }
}
