/**
 * ReplicaFetcher: the follower side of replication for the partitions one leader broker leads
 * here (Kafka's ReplicaFetcherThread over AbstractFetcherThread), one loop per leader.
 *
 * Every partition added is first *truncating*: an OffsetForLeaderEpoch (replica id = ours,
 * current leader epoch, our latest epoch) asks where our last epoch ended on the leader, and
 * the log is truncated there (truncationOffset below), so a former leader drops the tail the
 * new leader never had. Then it is *fetching*: one Fetch per round for every fetching
 * partition (replica id = ours, currentLeaderEpoch, fetchOffset = our log end,
 * lastFetchedEpoch, our log start), long-polling per replica.fetch.wait.max.ms /
 * replica.fetch.min.bytes, in an incremental fetch session (fetch-session-handler.ts: after the
 * first, full, request only partitions whose position changed are sent, and the leader answers
 * only those with news). Records are appended as follower (offsets and epochs as the leader
 * wrote them; producer state follows), then the high watermark is the leader's, capped by our
 * log end, and the log start follows the leader's up to that high watermark. Answers:
 *   divergingEpoch            truncate as above, keep fetching
 *   OFFSET_OUT_OF_RANGE       below the leader's log start: restart the log empty there;
 *                             past its end: truncate again (OffsetForLeaderEpoch)
 *   FENCED_LEADER_EPOCH,      our metadata is behind or ahead of the leader's; the partition
 *   UNKNOWN_LEADER_EPOCH,     waits replica.fetch.backoff.ms and tries again (a metadata
 *   NOT_LEADER_OR_FOLLOWER,   update meanwhile re-adds it at its new epoch)
 *   others
 * A request that fails (connection, timeout) backs the whole fetcher off; a partition whose
 * answer cannot be applied (its log went offline) backs off alone.
 *
 * Decide, await, re-check: a response is applied to a partition only if the fetcher still
 * holds the same entry for it (same leader epoch) and the partition is still a follower.
 */
import type { Clock, TimerHandle } from '../../base/clock.js';
import type { Logger } from '../../base/logger.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { Fetch, type FetchResponsePartitionData } from '../../protocol/messages/fetch.js';
import { BATCH_HEADER_SIZE, baseOffsetOf } from '../../protocol/record-batch.js';
import { OffsetForLeaderEpoch } from '../../protocol/messages/offset-for-leader-epoch.js';
import type { Partition } from '../partition.js';
import type { BrokerChannel } from './broker-channel.js';
import { FetchSessionHandler, type SessionPartition } from './fetch-session-handler.js';

/** The Fetch version followers send: topic names, lastFetchedEpoch and divergingEpoch (v12). */
export const REPLICA_FETCH_VERSION = 12;
export const OFFSET_FOR_LEADER_EPOCH_VERSION = 4;

/** The replica.fetch.* settings. */
export interface ReplicaFetchConfig {
  /** replica.fetch.max.bytes: per partition. */
  maxBytes: number;
  /** replica.fetch.response.max.bytes */
  responseMaxBytes: number;
  /** replica.fetch.wait.max.ms */
  waitMaxMs: number;
  /** replica.fetch.min.bytes */
  minBytes: number;
  /** replica.fetch.backoff.ms */
  backoffMs: number;
}

interface Entry {
  readonly partition: Partition;
  readonly leaderEpoch: number;
  state: 'truncating' | 'fetching';
  /** Clock ms before which the partition is not fetched (after an error). */
  delayedUntilMs: number;
}

const key = (p: Partition): string => `${p.topic}\u0000${p.partitionIndex}`;

/** Groups by topic, in first-seen order. */
function groupByTopic<T extends { topic: string }>(list: readonly T[]): [string, T[]][] {
  const groups = new Map<string, T[]>();
  for (const x of list) {
    const l = groups.get(x.topic) ?? [];
    l.push(x);
    groups.set(x.topic, l);
  }
  return [...groups];
}

/**
 * Kafka's getOffsetTruncationState: where a follower truncates given the leader's answer
 * (epoch, endOffset) for its last epoch (OffsetForLeaderEpoch or a diverging epoch). We look
 * up where that epoch ends in our own log: when we have that epoch, we keep up to the smaller
 * of the two ends; when we do not (our largest epoch below it ends earlier), up to where ours
 * ends, and the next round compares again. An unknown epoch keeps the high watermark.
 */
export function truncationOffset(p: Partition, leaderEpoch: number, leaderEndOffset: number): number {
  const logEnd = p.logEndOffset;
  if (leaderEpoch < 0 || leaderEndOffset < 0) return Math.min(p.highWatermark, logEnd);
  const ours = p.log.endOffsetForEpoch(leaderEpoch);
  if (ours.endOffset < 0) return Math.min(p.highWatermark, logEnd);
  if (ours.leaderEpoch === leaderEpoch) return Math.min(ours.endOffset, leaderEndOffset, logEnd);
  return Math.min(ours.endOffset, logEnd);
}

export class ReplicaFetcher {
  private readonly entries = new Map<string, Entry>();
  private running = true;
  private wakeUp: (() => void) | null = null;
  private loop: Promise<void>;
  /** The incremental fetch session with this leader (KIP-227). */
  private readonly session = new FetchSessionHandler();
  /** Rounds completed (tests wait on progress through it). */
  rounds = 0;

  constructor(
    readonly leaderId: number,
    private readonly localBrokerId: number,
    private readonly channel: BrokerChannel,
    private readonly config: () => ReplicaFetchConfig,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.loop = this.run();
  }

  get partitionCount(): number {
    return this.entries.size;
  }

  has(p: Partition): boolean {
    return this.entries.get(key(p))?.partition === p;
  }

  /** Starts (or restarts, at a new epoch) replicating `p` from this leader: truncation first. */
  add(p: Partition): void {
    this.entries.set(key(p), { partition: p, leaderEpoch: p.leaderEpoch, state: 'truncating', delayedUntilMs: 0 });
    this.wake();
  }

  remove(p: Partition): void {
    if (this.entries.get(key(p))?.partition === p) this.entries.delete(key(p));
    this.wake();
  }

  async close(): Promise<void> {
    this.running = false;
    this.wake();
    this.channel.close();
    await this.loop;
  }

  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = null;
    w?.();
  }

  /** Sleeps until woken (add/remove/close) or `ms` passed. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: TimerHandle | undefined;
      this.wakeUp = () => {
        timer?.cancel();
        resolve();
      };
      if (ms < Infinity) {
        timer = this.clock.schedule(Math.max(1, ms), () => {
          this.wakeUp = null;
          resolve();
        });
      }
    });
  }

  private async run(): Promise<void> {
    while (this.running) {
      const now = this.clock.now();
      const ready: Entry[] = [];
      let next = Infinity;
      for (const e of [...this.entries.values()]) {
        if (!this.isCurrent(e)) this.entries.delete(key(e.partition));
        else if (e.delayedUntilMs <= now) ready.push(e);
        else next = Math.min(next, e.delayedUntilMs);
      }
      if (ready.length === 0) {
        await this.sleep(next === Infinity ? Infinity : next - now);
        continue;
      }
      try {
        const truncating = ready.filter((e) => e.state === 'truncating');
        if (truncating.length > 0) await this.truncate(truncating);
        const fetching = ready.filter((e) => e.state === 'fetching' && this.isCurrent(e));
        if (fetching.length > 0) await this.fetch(fetching);
      } catch (err) {
        if (!this.running) break;
        this.logger.debug('replica fetch from the leader failed; backing off', { leader: this.leaderId, error: String(err) });
        await this.sleep(this.config().backoffMs);
      }
      this.rounds++;
    }
  }

  /** Whether the entry still stands: same partition object, same leader epoch, still a follower. */
  private isCurrent(e: Entry): boolean {
    const p = e.partition;
    return this.entries.get(key(p)) === e && !p.isStopped && !p.isLeader && p.leaderEpoch === e.leaderEpoch && p.leaderId === this.leaderId;
  }

  private delay(e: Entry): void {
    e.delayedUntilMs = this.clock.now() + this.config().backoffMs;
  }

  // ---- truncation -------------------------------------------------------------------------

  private async truncate(entries: Entry[]): Promise<void> {
    const asking: { topic: string; e: Entry }[] = [];
    for (const e of entries) {
      // A log without any epoch has nothing the leader could disagree with.
      if (e.partition.log.latestEpoch < 0) e.state = 'fetching';
      else asking.push({ topic: e.partition.topic, e });
    }
    if (asking.length === 0) return;
    const res = await this.channel.send(OffsetForLeaderEpoch, OFFSET_FOR_LEADER_EPOCH_VERSION, {
      replicaId: this.localBrokerId,
      topics: groupByTopic(asking).map(([topic, list]) => ({
        topic,
        partitions: list.map(({ e }) => ({ partition: e.partition.partitionIndex, currentLeaderEpoch: e.leaderEpoch, leaderEpoch: e.partition.log.latestEpoch })),
      })),
    });
    const asked = new Map(entries.map((e) => [key(e.partition), e]));
    for (const t of res.topics) {
      for (const r of t.partitions) {
        const e = asked.get(`${t.topic}\u0000${r.partition}`);
        if (e === undefined || !this.isCurrent(e)) continue;
        if (r.errorCode !== ErrorCode.NONE) {
          this.logger.debug('OffsetForLeaderEpoch failed; retrying after backoff', { topic: t.topic, partition: r.partition, errorCode: r.errorCode });
          this.delay(e);
          continue;
        }
        await this.truncateTo(e, truncationOffset(e.partition, r.leaderEpoch, r.endOffset));
        if (this.isCurrent(e)) e.state = 'fetching';
      }
    }
  }

  private async truncateTo(e: Entry, offset: number): Promise<void> {
    const p = e.partition;
    // At the log end nothing is removed, but an epoch that started there without records is
    // (PartitionLog.truncateTo).
    if (p.isLeader) return;
    if (offset < p.logEndOffset) this.logger.info('truncating follower log to the leader', { topic: p.topic, partition: p.partitionIndex, from: p.logEndOffset, to: offset, leader: this.leaderId });
    await p.truncateTo(offset);
  }

  // ---- fetch ------------------------------------------------------------------------------

  private async fetch(entries: Entry[]): Promise<void> {
    const cfg = this.config();
    const sent = new Map<Entry, number>();
    const wanted: SessionPartition[] = entries.map((e) => {
      const p = e.partition;
      sent.set(e, p.logEndOffset);
      return {
        topic: p.topic, topicId: p.topicId, partition: p.partitionIndex, fetchOffset: p.logEndOffset, logStartOffset: p.logStartOffset,
        maxBytes: cfg.maxBytes, currentLeaderEpoch: e.leaderEpoch, lastFetchedEpoch: p.log.latestEpoch,
      };
    });
    const session = this.session.build(wanted);
    let held;
    try {
      // The response's buffers are views of its frame, which goes back to the pool once applied.
      held = await this.channel.sendHolding(Fetch, REPLICA_FETCH_VERSION, {
        clusterId: null,
        replicaId: this.localBrokerId,
        replicaState: { replicaId: -1, replicaEpoch: -1 },
        maxWaitMs: cfg.waitMaxMs,
        minBytes: cfg.minBytes,
        maxBytes: cfg.responseMaxBytes,
        isolationLevel: 0,
        sessionId: session.sessionId,
        sessionEpoch: session.sessionEpoch,
        topics: groupByTopic(session.send).map(([topic, list]) => ({
          topic,
          topicId: list[0]!.topicId,
          partitions: list.map((x) => ({
            partition: x.partition, currentLeaderEpoch: x.currentLeaderEpoch, fetchOffset: x.fetchOffset, lastFetchedEpoch: x.lastFetchedEpoch,
            logStartOffset: x.logStartOffset, partitionMaxBytes: x.maxBytes, replicaDirectoryId: Buffer.alloc(16),
          })),
        })),
        forgottenTopicsData: groupByTopic(session.forget).map(([topic, list]) => ({ topic, topicId: list[0]!.topicId, partitions: list.map((x) => x.partition) })),
        rackId: '',
      }, cfg.waitMaxMs + this.channel.requestTimeoutMs);
    } catch (err) {
      // The leader may have taken the request (and moved the session's epoch on): start over.
      this.session.reset();
      throw err;
    }
    const { response: res, release } = held;
    this.session.handleResponse(res.errorCode, res.sessionId);
    if (res.errorCode !== ErrorCode.NONE) {
      release();
      // A lost session: the next round is a full fetch, at once. Anything else backs off.
      if (res.errorCode !== ErrorCode.FETCH_SESSION_ID_NOT_FOUND && res.errorCode !== ErrorCode.INVALID_FETCH_SESSION_EPOCH) {
        for (const e of entries) this.delay(e);
      }
      return;
    }
    const asked = new Map(entries.map((e) => [key(e.partition), e]));
    try {
      for (const t of res.responses) {
        for (const d of t.partitions) {
          const e = asked.get(`${t.topic}\u0000${d.partitionIndex}`);
          if (e === undefined || !this.isCurrent(e)) continue;
          // Our log must not have moved while the fetch was out (only this loop appends to it).
          if (e.partition.logEndOffset !== sent.get(e)) continue;
          try {
            await this.processPartition(e, d);
          } catch (err) {
            // One partition's failure (its log went offline, say) must not stop the others.
            this.logger.warn('follower could not apply the leader\'s answer; backing off', { topic: t.topic, partition: d.partitionIndex, error: String(err) });
            this.delay(e);
          }
        }
      }
    } finally {
      release();
    }
  }

  private async processPartition(e: Entry, d: FetchResponsePartitionData): Promise<void> {
    const p = e.partition;
    switch (d.errorCode) {
      case ErrorCode.NONE:
        break;
      case ErrorCode.OFFSET_OUT_OF_RANGE:
        if (d.logStartOffset >= 0 && p.logEndOffset < d.logStartOffset) {
          this.logger.info('follower log is behind the leader\'s log start; restarting it there', { topic: p.topic, partition: p.partitionIndex, at: d.logStartOffset });
          await p.truncateFullyAndStartAt(d.logStartOffset);
        } else {
          // Past the leader's end: truncate again, after a backoff (a leader that keeps
          // answering this must not make the fetcher spin).
          e.state = 'truncating';
          this.delay(e);
        }
        return;
      default:
        this.logger.debug('follower fetch answered an error; backing off', { topic: p.topic, partition: p.partitionIndex, errorCode: d.errorCode, leader: this.leaderId });
        this.delay(e);
        return;
    }
    if (d.divergingEpoch.epoch >= 0) {
      const offset = truncationOffset(p, d.divergingEpoch.epoch, d.divergingEpoch.endOffset);
      // A diverging answer is immediate (no long poll): one that moves nothing must not spin.
      if (offset >= p.logEndOffset) {
        this.logger.warn('diverging epoch from the leader at our log end: dropping our epochs past it; backing off', { topic: p.topic, partition: p.partitionIndex, divergingEpoch: d.divergingEpoch, logEndOffset: p.logEndOffset });
        this.delay(e);
      }
      await this.truncateTo(e, offset);
      return;
    }
    const records = d.records ?? Buffer.alloc(0);
    if (records.length >= BATCH_HEADER_SIZE) {
      // After a truncation inside one of the leader's batches, the leader answers that whole
      // batch: drop our part of it and take it as the leader wrote it.
      const base = baseOffsetOf(records, 0);
      if (base < p.logEndOffset) await p.truncateTo(base);
      if (!this.isCurrent(e)) return;
    }
    if (records.length > 0) {
      await p.appendRecordsAsFollower(records, e.leaderEpoch);
      if (!this.isCurrent(e)) return;
    }
    p.updateFollowerHighWatermark(d.highWatermark);
    await p.updateFollowerLogStartOffset(d.logStartOffset);
  }
}
