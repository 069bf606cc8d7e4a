/**
 * One topic partition hosted by this broker: its local log plus what makes it a replica —
 * leader id, leader epoch, partition epoch, replicas, ISR, the fetch state of every follower
 * (on the leader) and the high watermark (after Kafka's `kafka.cluster.Partition`).
 *
 * Contract:
 * - The metadata layer decides leadership; this class applies it. `makeLeader(state)` and
 *   `makeFollower(state)` take the partition's registration (replicas, isr, leader,
 *   leaderEpoch, partitionEpoch). The leader epoch never goes backwards (an older state is a
 *   bug upstream: assert). A new leader epoch resets every follower's fetch state, and the
 *   epoch's start offset is the log end offset (recorded in the leader-epoch cache).
 * - Appends happen only on the leader, at the leader epoch captured when the append started:
 *   the epoch is checked before the write, again inside the log's queue right before the bytes
 *   are written (`isCurrent`), and again after every await. A change in between answers
 *   NOT_LEADER_OR_FOLLOWER: the client retries against the new leader.
 * - The high watermark lives in the log (so retention and reads see it) and only the leader
 *   moves it forward: the minimum log end offset over the ISR (the leader included), also
 *   waiting for a follower that is caught up but not yet in the ISR, as Kafka does. A follower
 *   takes it from its leader's fetch responses (`updateFollowerHighWatermark`). It is
 *   checkpointed by the ReplicaManager (`replication-offset-checkpoint`) and restored on open.
 * - Follower fetch state (`updateFollowerFetchState`) is Kafka's ReplicaState: log end and
 *   start offsets, last fetch time and last caught-up time, which decide ISR membership
 *   (`outOfSyncReplicaIds`, `isrExpansionCandidate`). The leader proposes ISR changes through
 *   `alterIsr` (AlterPartition in KRaft): `maybeExpandIsr` after a follower's fetch,
 *   `maybeShrinkIsr` on the ReplicaManager's timer, one proposal in flight at a time; the
 *   metadata layer writes them and they come back through makeLeader — the ISR used for the
 *   high watermark and min.insync.replicas is always the committed one.
 * - As a follower, the replica fetcher (replication/replica-fetcher.ts) appends the leader's
 *   batches (`appendRecordsAsFollower`, refused under another epoch), truncates
 *   (`truncateTo`, `truncateFullyAndStartAt`) and takes the leader's high watermark and log
 *   start (`updateFollowerHighWatermark`, `updateFollowerLogStartOffset`).
 * - A leader whose etcd session is confirmed gone fences itself (`fenceLeadership`): it acts
 *   as leader no more — produce and fetch answer NOT_LEADER_OR_FOLLOWER, acks=all waiters
 *   NOT_LEADER_OR_FOLLOWER, the high watermark and ISR stay put — until the metadata makes it
 *   leader at a newer epoch, or follower, or `unfenceLeadership` after the metadata confirmed
 *   it still leads at the same epoch (replica-manager.ts).
 * - Errors are Kafka codes (data). A partition stopped because its topic was deleted answers
 *   UNKNOWN_TOPIC_OR_PARTITION; one stopped by shutdown NOT_LEADER_OR_FOLLOWER.
 */
import { assert } from '../base/assert.js';
import type { Clock } from '../base/clock.js';
import type { Logger } from '../base/logger.js';
import { StorageError } from '../base/errors.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { NotLeaderForEpochError, ProducerStateError, type PartitionLog } from '../storage/partition-log.js';
import type { ActiveProducer } from '../storage/producer-state-manager.js';
import { ReplicaState, type ReplicaFetchState } from './replica-state.js';
import { validateRecords, type AppendOrigin } from './log-validator.js';
import {
  NOT_LEADER_MESSAGE, UNKNOWN_MESSAGE, failedAppend,
  type LeaderAppendResult, type OffsetLookupResult, type PartitionConfig, type PartitionFetchRequest, type PartitionReadResult,
  type PartitionState, type StopReason,
} from './partition-types.js';
import { deleteRecordsOnLeader, fetchOffsetForTimestamp, fetchRecords, lastOffsetForLeaderEpoch } from './partition-reads.js';

export * from './partition-types.js';

/** How long a leader waits after an ISR change failed (metadata store unreachable) before proposing again. */
export const ISR_CHANGE_RETRY_BACKOFF_MS = 1000;

export interface PartitionOptions {
  topic: string;
  partition: number;
  topicId: Buffer;
  log: PartitionLog;
  localBrokerId: number;
  config: PartitionConfig;
  clock: Clock;
  logger: Logger;
  /**
   * Proposes a new ISR to the metadata (AlterPartition; TopicManager.alterPartitionIsr): a
   * Kafka error code, NONE once written. The change comes back through makeLeader. Absent on a
   * standalone broker, whose ISR never changes.
   */
  alterIsr?: (p: Partition, leaderEpoch: number, partitionEpoch: number, isr: readonly number[]) => Promise<number>;
  /**
   * Kafka's isReplicaIsrEligible (KIP-841): whether a replica's broker may be (or wait to be)
   * in the ISR — false once its session is gone. A caught-up replica outside the ISR holds the
   * high watermark only while it is eligible, or acks=all would wait out replica.lag.time.max.ms
   * for a dead broker the controller already removed from the ISR. Absent: every replica is.
   */
  isReplicaIsrEligible?: (brokerId: number) => boolean;
}

export class Partition {
  readonly topic: string;
  readonly partitionIndex: number;
  topicId: Buffer;
  readonly log: PartitionLog;
  readonly localBrokerId: number;
  config: PartitionConfig;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private _leaderId = -1;
  private _leaderEpoch = -1;
  private _partitionEpoch = -1;
  private _replicas: readonly number[] = [];
  private _isr: readonly number[] = [];
  private readonly remoteReplicas = new Map<number, ReplicaState>();
  private readonly listeners = new Set<() => void>();
  private stopReason: StopReason | null = null;
  private readonly unsubscribeLog: () => void;
  private readonly alterIsr: PartitionOptions['alterIsr'];
  private readonly isReplicaIsrEligible: (brokerId: number) => boolean;
  /** An ISR change proposed and not yet answered (one at a time, as Kafka's PendingIsrChange). */
  private isrChangeInFlight = false;
  /** After a failed (not refused) ISR change, no new proposal before this clock time. */
  private isrChangeRetryAtMs = 0;
  /** Where the current leader epoch started in our log (a follower joins the ISR only past it). */
  private leaderEpochStartOffset = -1;
  /** Session lost: not the leader in practice, whatever the (possibly stale) metadata says. */
  private leadershipFenced = false;

  constructor(options: PartitionOptions) {
    this.topic = options.topic;
    this.partitionIndex = options.partition;
    this.topicId = options.topicId;
    this.log = options.log;
    this.localBrokerId = options.localBrokerId;
    this.config = options.config;
    this.clock = options.clock;
    this.logger = options.logger;
    this.alterIsr = options.alterIsr;
    this.isReplicaIsrEligible = options.isReplicaIsrEligible ?? (() => true);
    // Everything that can complete a waiting produce or fetch goes through one notification.
    this.unsubscribeLog = this.log.onHighWatermarkChange(() => this.notify());
  }

  get leaderId(): number {
    return this._leaderId;
  }

  get leaderEpoch(): number {
    return this._leaderEpoch;
  }

  get partitionEpoch(): number {
    return this._partitionEpoch;
  }

  get replicas(): readonly number[] {
    return this._replicas;
  }

  get isr(): readonly number[] {
    return this._isr;
  }

  get isLeader(): boolean {
    return this.stopReason === null && this._leaderId === this.localBrokerId && !this.leadershipFenced;
  }

  get isLeadershipFenced(): boolean {
    return this.leadershipFenced;
  }

  /** Stops acting as leader at once (session lost); true if it was the leader. */
  fenceLeadership(): boolean {
    if (!this.isLeader) return false;
    this.leadershipFenced = true;
    this.notify();
    return true;
  }

  /** Leads again at `leaderEpoch` if still fenced at that epoch (the metadata confirmed it); true if so. */
  unfenceLeadership(leaderEpoch: number): boolean {
    if (!this.leadershipFenced || this.stopReason !== null || this._leaderId !== this.localBrokerId || this._leaderEpoch !== leaderEpoch) return false;
    this.leadershipFenced = false;
    this.maybeIncrementLeaderHighWatermark();
    this.notify();
    return true;
  }

  get isStopped(): boolean {
    return this.stopReason !== null;
  }

  get highWatermark(): number {
    return this.log.highWatermark;
  }

  get logEndOffset(): number {
    return this.log.logEndOffset;
  }

  get logStartOffset(): number {
    return this.log.logStartOffset;
  }

  get lastStableOffset(): number {
    return this.log.lastStableOffset;
  }

  /** Whether `brokerId` is a follower replica this leader tracks. */
  hasFollower(brokerId: number): boolean {
    return this.remoteReplicas.has(brokerId);
  }

  /** A copy of a follower's fetch state (undefined for the leader itself and non-replicas). */
  followerState(brokerId: number): ReplicaFetchState | undefined {
    return this.remoteReplicas.get(brokerId)?.snapshot();
  }

  // ---- listeners --------------------------------------------------------------------------

  /**
   * `fn` runs synchronously after the high watermark or last stable offset moves, after a
   * leadership change, and when the partition stops, so waiters (acks=all, long polls) can
   * re-check their condition. Returns the unsubscribe function.
   */
  onStateChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
    };
  }

  private notify(): void {
    for (const fn of [...this.listeners]) {
      try {
        fn();
      } catch (err) {
        this.logger.error('partition listener failed', { topic: this.topic, partition: this.partitionIndex, error: String(err) });
      }
    }
  }

  // ---- leadership -------------------------------------------------------------------------

  /**
   * Becomes (or stays) leader with `state`. Returns true when this is a new leader epoch or
   * this broker was not the leader before. The high watermark may move at once (an ISR of one).
   */
  async makeLeader(state: PartitionState): Promise<boolean> {
    assert(state.leader === this.localBrokerId, () => `makeLeader of ${this.name} with leader ${state.leader}, we are ${this.localBrokerId}`);
    this.checkEpochs(state);
    const wasLeader = this._leaderId === this.localBrokerId;
    const isNewEpoch = state.leaderEpoch > this._leaderEpoch;
    this.applyState(state);
    if (isNewEpoch) this.leadershipFenced = false;
    if (isNewEpoch) {
      this.leaderEpochStartOffset = this.log.logEndOffset;
      const now = this.clock.now();
      this.remoteReplicas.clear();
      for (const id of state.replicas) {
        if (id === this.localBrokerId) continue;
        // Kafka resets followers on a new epoch: unknown position; ISR members count as caught
        // up now so they are not dropped before their first fetch.
        this.remoteReplicas.set(id, new ReplicaState(id, state.isr.includes(id) ? now : 0));
      }
      // The epoch starts at the current log end: OffsetForLeaderEpoch answers from it even
      // before the first append in the epoch. An empty log records it on its first append.
      if (this.log.logEndOffset > this.log.logStartOffset) await this.log.assignEpochStartOffset(state.leaderEpoch, this.log.logEndOffset);
    } else {
      this.syncRemoteReplicas(state.replicas);
    }
    this.maybeIncrementLeaderHighWatermark();
    this.notify();
    return isNewEpoch || !wasLeader;
  }

  /** Becomes (or stays) a follower of `state.leader`. Returns true when the leader or epoch changed. */
  makeFollower(state: PartitionState): boolean {
    assert(state.leader !== this.localBrokerId, () => `makeFollower of ${this.name} naming ourselves (${this.localBrokerId}) as leader`);
    this.checkEpochs(state);
    const changed = state.leader !== this._leaderId || state.leaderEpoch > this._leaderEpoch;
    this.applyState(state);
    this.leadershipFenced = false;
    this.remoteReplicas.clear();
    this.notify();
    return changed;
  }

  private checkEpochs(state: PartitionState): void {
    assert(state.leaderEpoch >= this._leaderEpoch, () => `leader epoch of ${this.name} would go back from ${this._leaderEpoch} to ${state.leaderEpoch}`);
    assert(state.partitionEpoch >= this._partitionEpoch, () => `partition epoch of ${this.name} would go back from ${this._partitionEpoch} to ${state.partitionEpoch}`);
  }

  private applyState(state: PartitionState): void {
    this._leaderId = state.leader;
    this._leaderEpoch = state.leaderEpoch;
    this._partitionEpoch = state.partitionEpoch;
    this._replicas = [...state.replicas];
    this._isr = [...state.isr];
  }

  private syncRemoteReplicas(replicas: readonly number[]): void {
    for (const id of [...this.remoteReplicas.keys()]) if (!replicas.includes(id)) this.remoteReplicas.delete(id);
    for (const id of replicas) {
      if (id !== this.localBrokerId && !this.remoteReplicas.has(id)) this.remoteReplicas.set(id, new ReplicaState(id));
    }
  }

  /** Stops serving: waiters wake and get the stop's error. The log is closed by the caller. */
  stop(reason: StopReason): void {
    if (this.stopReason !== null) return;
    this.stopReason = reason;
    this.unsubscribeLog();
    this.notify();
  }

  /** The error for a request that met a stopped partition (see the file header). */
  get stoppedError(): number {
    return this.stopReason === 'deleted' ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.NOT_LEADER_OR_FOLLOWER;
  }

  private errorMessage(code: number): string | null {
    if (code === ErrorCode.NOT_LEADER_OR_FOLLOWER) return NOT_LEADER_MESSAGE;
    if (code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return UNKNOWN_MESSAGE;
    return null;
  }

  /**
   * Kafka's check of a request's currentLeaderEpoch (-1: not sent), then of leadership when
   * `requireLeader`: FENCED_LEADER_EPOCH (older), UNKNOWN_LEADER_EPOCH (newer),
   * NOT_LEADER_OR_FOLLOWER, or NONE.
   */
  checkLeaderEpoch(currentLeaderEpoch: number, requireLeader: boolean): number {
    if (this.stopReason !== null) return this.stoppedError;
    if (currentLeaderEpoch >= 0) {
      if (currentLeaderEpoch < this._leaderEpoch) return ErrorCode.FENCED_LEADER_EPOCH;
      if (currentLeaderEpoch > this._leaderEpoch) return ErrorCode.UNKNOWN_LEADER_EPOCH;
    }
    if (requireLeader && (this._leaderId !== this.localBrokerId || this.leadershipFenced)) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    return ErrorCode.NONE;
  }

  // ---- high watermark ---------------------------------------------------------------------

  /**
   * Kafka's maybeIncrementLeaderHW: the minimum log end offset over the ISR and over followers
   * that are caught up (they are about to join it). Only ever moves forward.
   */
  private maybeIncrementLeaderHighWatermark(): boolean {
    if (!this.isLeader) return false;
    const now = this.clock.now();
    const leaderEnd = this.log.logEndOffset;
    let hw = leaderEnd;
    for (const r of this.remoteReplicas.values()) {
      const waitFor = this._isr.includes(r.brokerId) || (r.isCaughtUp(leaderEnd, now, this.config.replicaLagTimeMaxMs) && this.isReplicaIsrEligible(r.brokerId));
      // A member that has not fetched in this epoch (-1) holds the high watermark where it is.
      if (waitFor && r.logEndOffset < hw) hw = r.logEndOffset;
    }
    if (hw <= this.log.highWatermark) return false;
    this.log.setHighWatermark(hw);
    return true;
  }

  /** A follower's high watermark: the leader's, capped by what we have. */
  updateFollowerHighWatermark(leaderHighWatermark: number): void {
    if (this.isLeader || this.stopReason !== null) return;
    const hw = Math.min(leaderHighWatermark, this.log.logEndOffset);
    if (hw !== this.log.highWatermark) this.log.setHighWatermark(hw);
  }

  /**
   * A follower follows its leader's log start (DeleteRecords, retention) up to its own high
   * watermark (Kafka's maybeIncrementLogStartOffset on the follower).
   */
  async updateFollowerLogStartOffset(leaderLogStartOffset: number): Promise<void> {
    if (this.isLeader || this.stopReason !== null) return;
    const target = Math.min(leaderLogStartOffset, this.log.highWatermark);
    if (target > this.log.logStartOffset) await this.log.deleteRecordsBefore(target);
  }

  /** Restores a checkpointed high watermark on open (clamped to the log's bounds). */
  restoreHighWatermark(offset: number): void {
    this.log.setHighWatermark(offset);
  }

  /**
   * Records a follower's fetch (Kafka's updateFollowerFetchState) and moves the high watermark.
   * Returns false when `brokerId` is not a follower replica of this partition.
   */
  updateFollowerFetchState(brokerId: number, fetchOffset: number, followerLogStartOffset: number, fetchTimeMs: number, leaderEndOffset: number): boolean {
    const r = this.remoteReplicas.get(brokerId);
    if (r === undefined) return false;
    r.updateFetchState(fetchOffset, followerLogStartOffset, fetchTimeMs, leaderEndOffset);
    this.maybeIncrementLeaderHighWatermark();
    return true;
  }

  /** ISR members that have not caught up within replica.lag.time.max.ms (candidates to drop). */
  outOfSyncReplicaIds(nowMs: number): number[] {
    if (!this.isLeader) return [];
    const leaderEnd = this.log.logEndOffset;
    return this._isr.filter((id) => {
      if (id === this.localBrokerId) return false;
      const r = this.remoteReplicas.get(id);
      return r !== undefined && r.logEndOffset < leaderEnd && nowMs - r.lastCaughtUpTimeMs > this.config.replicaLagTimeMaxMs;
    });
  }

  /**
   * A follower outside the ISR that has reached the high watermark and the start of the
   * current leader epoch (Kafka's isFollowerInSync for expansion): a candidate to add.
   */
  isrExpansionCandidate(brokerId: number): boolean {
    if (!this.isLeader || this._isr.includes(brokerId)) return false;
    const r = this.remoteReplicas.get(brokerId);
    return r !== undefined && r.logEndOffset >= 0 && r.logEndOffset >= this.log.highWatermark && r.logEndOffset >= this.leaderEpochStartOffset;
  }

  /** Kafka's maybeExpandIsr, after a follower's fetch: proposes ISR + follower when it caught up. */
  maybeExpandIsr(brokerId: number): void {
    if (this.isrExpansionCandidate(brokerId) && this.isReplicaIsrEligible(brokerId)) this.proposeIsr([...this._isr, brokerId]);
  }

  /**
   * Kafka's maybeShrinkIsr, on the ReplicaManager's timer: proposes the ISR without the
   * followers not caught up within replica.lag.time.max.ms. Returns the ids it proposed to drop.
   */
  maybeShrinkIsr(nowMs: number): number[] {
    const out = this.outOfSyncReplicaIds(nowMs);
    if (out.length > 0) this.proposeIsr(this._isr.filter((id) => !out.includes(id)));
    return out;
  }

  private proposeIsr(isr: readonly number[]): void {
    if (this.alterIsr === undefined || this.isrChangeInFlight || !this.isLeader) return;
    if (this.clock.now() < this.isrChangeRetryAtMs) return;
    this.isrChangeInFlight = true;
    const epoch = this._leaderEpoch;
    this.logger.info('proposing an ISR change', { topic: this.topic, partition: this.partitionIndex, from: this._isr, to: isr, leaderEpoch: epoch });
    this.alterIsr(this, epoch, this._partitionEpoch, isr)
      .then((code) => {
        if (code !== ErrorCode.NONE) this.logger.info('ISR change refused', { topic: this.topic, partition: this.partitionIndex, errorCode: code });
      }, (err: unknown) => {
        // The metadata store is unreachable: do not retry on every follower fetch.
        this.isrChangeRetryAtMs = this.clock.now() + ISR_CHANGE_RETRY_BACKOFF_MS;
        this.logger.warn('ISR change failed', { topic: this.topic, partition: this.partitionIndex, error: String(err) });
      })
      .finally(() => {
        this.isrChangeInFlight = false;
      });
  }

  // ---- append -----------------------------------------------------------------------------

  /**
   * Validates and appends `records` as leader (Kafka's appendRecordsToLeader); see the file
   * header for the epoch checks. For acks=-1 the caller then waits with `waitForAcks`.
   */
  async appendRecordsToLeader(records: Buffer, origin: AppendOrigin, requiredAcks: number): Promise<LeaderAppendResult> {
    const epochError = this.checkLeaderEpoch(-1, true);
    if (epochError !== ErrorCode.NONE) return failedAppend(epochError, this.errorMessage(epochError));
    if (this.config.isInternal && origin !== 'coordinator') {
      return failedAppend(ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot append to internal topic ${this.topic}`);
    }
    const minIsr = this.config.minInsyncReplicas;
    if (requiredAcks === -1 && this._isr.length < minIsr) {
      return failedAppend(ErrorCode.NOT_ENOUGH_REPLICAS,
        `The size of the current ISR [${this._isr.join(', ')}] is insufficient to satisfy the min.isr requirement of ${minIsr} for partition ${this.name}`);
    }
    const verdict = validateRecords(records, this.config.validation, this.clock.now(), origin);
    if (!verdict.ok) {
      // Kafka reports the log start offset with record-level rejections, -1 otherwise.
      const withStart = verdict.errorCode === ErrorCode.INVALID_RECORD || verdict.errorCode === ErrorCode.INVALID_TIMESTAMP;
      return failedAppend(verdict.errorCode, verdict.errorMessage, verdict.recordErrors, withStart ? this.log.logStartOffset : -1);
    }
    if (verdict.batchCount === 0) {
      return { errorCode: ErrorCode.NONE, errorMessage: null, baseOffset: -1, lastOffset: -1, logAppendTimeMs: -1, logStartOffset: this.log.logStartOffset, recordErrors: [] };
    }
    const epoch = this._leaderEpoch;
    const isCurrent = (): boolean => this.isLeader && this._leaderEpoch === epoch;
    let appended;
    try {
      appended = await this.log.appendAsLeader(verdict.records, epoch, isCurrent, origin);
    } catch (err) {
      if (this.stopReason !== null) return failedAppend(this.stoppedError, this.errorMessage(this.stoppedError));
      if (err instanceof NotLeaderForEpochError) return failedAppend(ErrorCode.NOT_LEADER_OR_FOLLOWER, NOT_LEADER_MESSAGE);
      // Sequence/epoch rejections: nothing was written. Kafka sends no error message with them.
      if (err instanceof ProducerStateError) return failedAppend(err.errorCode, null);
      if (err instanceof StorageError) {
        this.logger.error(`append to ${this.name} failed: ${err.message}`);
        return failedAppend(ErrorCode.KAFKA_STORAGE_ERROR, err.message);
      }
      throw err;
    }
    // Written under our epoch, but leadership may have moved during the write's await.
    if (!isCurrent()) {
      const code = this.stopReason !== null ? this.stoppedError : ErrorCode.NOT_LEADER_OR_FOLLOWER;
      return failedAppend(code, this.errorMessage(code));
    }
    // Followers' long polls wait for the log end, not the high watermark: wake them either way.
    if (!this.maybeIncrementLeaderHighWatermark()) this.notify();
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      baseOffset: appended.firstOffset,
      lastOffset: appended.lastOffset,
      logAppendTimeMs: appended.logAppendTimeMs,
      logStartOffset: appended.logStartOffset,
      recordErrors: [],
    };
  }

  /**
   * Kafka's checkEnoughReplicasReachOffset: null while the high watermark is below
   * `requiredOffset`; then NONE, or NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrank below
   * min.insync.replicas meanwhile; NOT_LEADER_OR_FOLLOWER (or the stop's error) once we are
   * no longer the leader.
   */
  checkEnoughReplicasReachOffset(requiredOffset: number): number | null {
    if (this.stopReason !== null) return this.stoppedError;
    if (!this.isLeader) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    if (this.log.highWatermark < requiredOffset) return null;
    return this._isr.length < this.config.minInsyncReplicas ? ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND : ErrorCode.NONE;
  }

  /**
   * Waits (Kafka's DelayedProduce) until checkEnoughReplicasReachOffset decides, or
   * REQUEST_TIMED_OUT after timeoutMs. Woken only by state changes, never by polling.
   */
  waitForAcks(requiredOffset: number, timeoutMs: number): Promise<number> {
    const now = this.checkEnoughReplicasReachOffset(requiredOffset);
    if (now !== null) return Promise.resolve(now);
    return new Promise<number>((resolve) => {
      let done = false;
      const finish = (code: number): void => {
        if (done) return;
        done = true;
        unsubscribe();
        timer.cancel();
        resolve(code);
      };
      const unsubscribe = this.onStateChange(() => {
        const code = this.checkEnoughReplicasReachOffset(requiredOffset);
        if (code !== null) finish(code);
      });
      const timer = this.clock.schedule(Math.max(0, timeoutMs), () => finish(this.checkEnoughReplicasReachOffset(requiredOffset) ?? ErrorCode.REQUEST_TIMED_OUT));
    });
  }

  /**
   * Appends replicated batches on a follower (offsets and epochs as the leader wrote them),
   * fetched under `leaderEpoch`. Nothing is written if we became leader or moved to another
   * epoch meanwhile (the fetcher re-checks too; this is the last check before the log).
   */
  async appendRecordsAsFollower(records: Buffer, leaderEpoch = this._leaderEpoch): Promise<{ firstOffset: number; lastOffset: number } | null> {
    if (this.isLeader || this.stopReason !== null || this._leaderEpoch !== leaderEpoch) return null;
    return this.log.appendAsFollower(records);
  }

  /** Truncates a follower's log (divergence found through OffsetForLeaderEpoch or a diverging epoch). */
  async truncateTo(offset: number): Promise<void> {
    assert(!this.isLeader, () => `truncateTo on the leader of ${this.name}`);
    await this.log.truncateTo(offset);
  }

  /** A follower below its leader's log start: the log restarts empty at `offset`. */
  async truncateFullyAndStartAt(offset: number): Promise<void> {
    assert(!this.isLeader, () => `truncateFullyAndStartAt on the leader of ${this.name}`);
    await this.log.truncateFullyAndStartAt(offset);
  }

  // ---- reads ------------------------------------------------------------------------------

  /** The offset a consumer may read up to (exclusive) for an isolation level. */
  fetchableOffset(isolationLevel: number): number {
    return isolationLevel === 1 ? this.log.lastStableOffset : this.log.highWatermark;
  }

  /** One partition of a Fetch (Kafka's Partition.fetchRecords; partition-reads.ts). */
  fetchRecords(req: PartitionFetchRequest): Promise<PartitionReadResult> {
    return fetchRecords(this, req, this.clock);
  }

  /**
   * Reads committed records for a coordinator loading its state (up to the high watermark).
   * Throws StorageError / OffsetOutOfRangeError as the log does.
   */
  readCommitted(fetchOffset: number, maxBytes: number): Promise<{ records: Buffer; firstOffset: number }> {
    return this.log.read(fetchOffset, maxBytes, this.log.highWatermark, true);
  }

  /** ListOffsets for one partition (Kafka's fetchOffsetForTimestamp; partition-reads.ts). */
  fetchOffsetForTimestamp(timestamp: number, isolationLevel: number, currentLeaderEpoch: number, fetchOnlyFromLeader: boolean): Promise<OffsetLookupResult> {
    return fetchOffsetForTimestamp(this, timestamp, isolationLevel, currentLeaderEpoch, fetchOnlyFromLeader);
  }

  /** OffsetForLeaderEpoch (Kafka's lastOffsetForLeaderEpoch; partition-reads.ts). */
  lastOffsetForLeaderEpoch(currentLeaderEpoch: number, leaderEpoch: number, fetchOnlyFromLeader: boolean): { errorCode: number; leaderEpoch: number; endOffset: number } {
    return lastOffsetForLeaderEpoch(this, currentLeaderEpoch, leaderEpoch, fetchOnlyFromLeader);
  }

  /** DeleteRecords on the leader (Kafka's deleteRecordsOnLeader; partition-reads.ts). */
  deleteRecordsOnLeader(offset: number): Promise<{ errorCode: number; lowWatermark: number }> {
    return deleteRecordsOnLeader(this, offset);
  }

  /** Where the current leader epoch started in this log (-1 before this broker led it). */
  get epochStartOffset(): number {
    return this.leaderEpochStartOffset;
  }

  /**
   * Whether `producerId` (at `producerEpoch`) has a transaction open on this partition: its
   * first transactional write here was verified already (KIP-890), later ones need no check.
   */
  hasOngoingTransaction(producerId: number, producerEpoch: number): boolean {
    const entry = this.log.producerStateManager.lastEntry(producerId);
    return entry !== undefined && entry.producerEpoch === producerEpoch && entry.currentTxnFirstOffset >= 0;
  }

  /** The producers this replica's log knows (DescribeProducers; any hosted replica answers, as in Kafka). */
  activeProducers(): ActiveProducer[] {
    return this.log.activeProducers();
  }

  get name(): string {
    return `${this.topic}-${this.partitionIndex}`;
  }

  /** Notifies waiters that the last stable offset may have moved (the transaction layer sets it). */
  lastStableOffsetChanged(): void {
    this.notify();
  }
}
