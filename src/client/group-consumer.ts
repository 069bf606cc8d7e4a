/**
 * A consumer that is a member of a classic consumer group (the JoinGroup/SyncGroup protocol,
 * "eager" rebalancing), as Kafka's Java consumer with `group.protocol=classic`:
 *
 * - `poll()` joins the group when needed: FindCoordinator, JoinGroup (retried with the member
 *   id from MEMBER_ID_REQUIRED), and SyncGroup; the leader computes the assignment with the
 *   `range` or `roundrobin` assignor over every member's subscription. The assigned partitions
 *   start at the group's committed offsets, else per `autoOffsetReset`.
 * - Heartbeats go every `heartbeatIntervalMs` on a connection of their own. A heartbeat
 *   answered REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION or UNKNOWN_MEMBER_ID makes the next
 *   poll commit (with auto-commit), give up every partition and rejoin.
 * - The position of a partition moves only past records `poll()` returned (at most
 *   `maxPollRecords` a call; the rest stay buffered), so committed offsets never skip a record
 *   the application has not seen. Auto-commit commits every `autoCommitIntervalMs` inside
 *   poll, before a rejoin, and in `close()`.
 * - `close()` commits (with auto-commit) and sends LeaveGroup, so the group rebalances at
 *   once instead of after the session timeout; a static member (`groupInstanceId`) does not
 *   leave, as in Kafka. `wakeup()` makes a pending or the next poll reject with WakeupError.
 *
 * Not here: cooperative rebalancing, regex subscriptions, the KIP-848 protocol, a poll-interval
 * watchdog (max.poll.interval.ms only sets the rebalance timeout), metadata-change rejoins.
 */
import { BrokerError } from '../base/errors.js';
import { sleep, type TimerHandle } from '../base/clock.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { JoinGroup, type JoinGroupResponse } from '../protocol/messages/join-group.js';
import { SyncGroup } from '../protocol/messages/sync-group.js';
import { Heartbeat } from '../protocol/messages/heartbeat.js';
import { LeaveGroup } from '../protocol/messages/leave-group.js';
import { CONSUMER_PROTOCOL_TYPE, decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription, type TopicPartitions } from '../protocol/consumer-protocol.js';
import { assign, type AssignorMember, type AssignorName } from './assignors.js';
import { DEFAULT_FETCH_SETTINGS, REFRESH_METADATA_ERRORS, fetchFromLeader, type FetchSettings, type FetchTarget } from './fetcher.js';
import type { KafkaClient } from './kafka-client.js';
import { KafkaError } from './kafka-error.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, type FetchedRecord } from './operations.js';
import type { ConsumedRecord } from './simple-consumer.js';

export interface GroupConsumerOptions {
  groupId: string;
  topics: string[];
  /** group.instance.id (KIP-345 static membership); default null. */
  groupInstanceId?: string | null;
  /** session.timeout.ms, default 45000. */
  sessionTimeoutMs?: number;
  /** max.poll.interval.ms, sent as the rebalance timeout; default 300000. */
  rebalanceTimeoutMs?: number;
  /** heartbeat.interval.ms, default 3000. */
  heartbeatIntervalMs?: number;
  /** partition.assignment.strategy in preference order; default ['range']. */
  assignors?: AssignorName[];
  /** auto.offset.reset, default 'latest'. */
  autoOffsetReset?: 'earliest' | 'latest' | 'none';
  /** enable.auto.commit, default true. */
  enableAutoCommit?: boolean;
  /** auto.commit.interval.ms, default 5000. */
  autoCommitIntervalMs?: number;
  /** max.poll.records, default 500. */
  maxPollRecords?: number;
  /** fetch.min.bytes, fetch.max.wait.ms, fetch.max.bytes, max.partition.fetch.bytes, isolation level. */
  fetch?: Partial<FetchSettings>;
  /** retry.backoff.ms, default 100. */
  retryBackoffMs?: number;
  /** Where non-fatal problems (a failed auto-commit, a heartbeat error) are reported. */
  onWarning?: (message: string) => void;
}

/** Thrown by poll() after wakeup(), as the Java consumer's WakeupException. */
export class WakeupError extends BrokerError {
  constructor() {
    super('SHERWOOD_CLIENT', 'consumer woken up');
    this.name = 'WakeupError';
  }
}

type Position = FetchTarget;

interface Buffered {
  records: FetchedRecord[];
  next: number;
  /** Where the partition's next fetch starts once every buffered record is returned. */
  nextOffset: number;
}

/** How long a poll loop served from the buffer may run before yielding to timers. */
const YIELD_EVERY_MS = 50;

const key = (topic: string, partition: number): string => `${topic}\0${partition}`;

/** Coordinator trouble after which the coordinator is looked up again. */
const COORDINATOR_ERRORS: ReadonlySet<number> = new Set([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE]);

function isNetworkError(err: unknown): boolean {
  return err instanceof BrokerError && (err.code === 'SHERWOOD_NETWORK' || err.code === 'SHERWOOD_TIMEOUT');
}

export class GroupConsumer {
  readonly client: KafkaClient;
  readonly groupId: string;
  readonly topics: readonly string[];
  memberId = '';
  generationId = -1;
  protocolName: string | null = null;
  private readonly o: Required<Omit<GroupConsumerOptions, 'fetch' | 'onWarning' | 'groupInstanceId'>> & { groupInstanceId: string | null };
  private readonly fetchSettings: FetchSettings;
  private readonly warn: (message: string) => void;
  /** Node id of the dedicated coordinator connection, or undefined when it must be looked up. */
  private coordinator: number | undefined;
  private rejoinNeeded = true;
  private fatal: Error | null = null;
  private assigned: TopicPartitions[] = [];
  private readonly positions = new Map<string, Position>();
  private readonly buffered = new Map<string, Buffered>();
  /** Bumped whenever the assignment is dropped: results of work started earlier are discarded. */
  private assignmentEpoch = 0;
  private heartbeatTimer: TimerHandle | null = null;
  private heartbeatEpoch = 0;
  private lastCommitMs: number;
  private lastYieldMs = 0;
  private closing = false;
  private readonly wakeups = new Set<() => void>();

  constructor(client: KafkaClient, options: GroupConsumerOptions) {
    if (options.topics.length === 0) throw new BrokerError('SHERWOOD_CLIENT', 'a group consumer needs at least one topic');
    this.client = client;
    this.groupId = options.groupId;
    this.topics = [...options.topics];
    this.o = {
      groupId: options.groupId,
      topics: options.topics,
      groupInstanceId: options.groupInstanceId ?? null,
      sessionTimeoutMs: options.sessionTimeoutMs ?? 45_000,
      rebalanceTimeoutMs: options.rebalanceTimeoutMs ?? 300_000,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 3_000,
      assignors: options.assignors ?? ['range'],
      autoOffsetReset: options.autoOffsetReset ?? 'latest',
      enableAutoCommit: options.enableAutoCommit ?? true,
      autoCommitIntervalMs: options.autoCommitIntervalMs ?? 5_000,
      maxPollRecords: options.maxPollRecords ?? 500,
      retryBackoffMs: options.retryBackoffMs ?? 100,
    };
    this.fetchSettings = { ...DEFAULT_FETCH_SETTINGS, ...options.fetch };
    this.warn = options.onWarning ?? (() => undefined);
    this.lastCommitMs = client.clock.monotonicMs();
  }

  /** The partitions this member owns in the current generation. */
  assignment(): TopicPartitions[] {
    return this.assigned.map((t) => ({ topic: t.topic, partitions: [...t.partitions] }));
  }

  /**
   * What a transactional producer's sendOffsetsToTransaction needs (Java's
   * consumer.groupMetadata()): the coordinator then fences commits of a stale generation.
   */
  groupMetadata(): { groupId: string; generationId: number; memberId: string; groupInstanceId: string | null } {
    return { groupId: this.groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: this.o.groupInstanceId };
  }

  /** The next offset poll() will return, per assigned partition. */
  position(topic: string, partition: number): number | undefined {
    return this.positions.get(key(topic, partition))?.offset;
  }

  /**
   * Records of the assigned partitions, at most maxPollRecords, after joining the group if
   * needed; waits up to maxWaitMs (default fetch.max.wait.ms) when there are none.
   */
  poll(maxWaitMs = this.fetchSettings.maxWaitMs): Promise<ConsumedRecord[]> {
    if (this.closing) return Promise.reject(new BrokerError('SHERWOOD_CLIENT', 'consumer is closed'));
    return this.interruptible(this.pollOnce(maxWaitMs));
  }

  /** Makes the pending poll (or, if none, nothing) reject with WakeupError. */
  wakeup(): void {
    for (const w of [...this.wakeups]) w();
  }

  /** The next poll of a partition starts at `offset` (e.g. to re-read records not processed). */
  seek(topic: string, partition: number, offset: number): void {
    const p = this.positions.get(key(topic, partition));
    if (p === undefined) throw new BrokerError('SHERWOOD_CLIENT', `seek: ${topic}-${partition} is not assigned to this consumer`);
    p.offset = offset;
    this.buffered.delete(key(topic, partition));
  }

  /** Commits the position of every assigned partition with this member's generation. */
  async commitSync(): Promise<void> {
    const offsets = [...this.positions.values()].filter((p) => p.offset >= 0).map((p) => ({ topic: p.topic, partition: p.partition, offset: p.offset }));
    if (offsets.length === 0 || this.generationId < 0) return;
    try {
      // On the coordinator connection: the shared one may be busy with a long-poll Fetch.
      const nodeId = await this.ensureCoordinator();
      await this.client.commitOffsets(this.groupId, offsets, {
        generationId: this.generationId, memberId: this.memberId, groupInstanceId: this.o.groupInstanceId, nodeId, retries: 0,
      });
      this.lastCommitMs = this.client.clock.monotonicMs();
    } catch (err) {
      if (err instanceof KafkaError) this.onMembershipError(err.errorCode);
      throw err;
    }
  }

  /** Commits (with auto-commit) and leaves the group. The client stays open: its owner closes it. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.stopHeartbeat();
    this.wakeup();
    if (this.o.enableAutoCommit && !this.rejoinNeeded) await this.commitQuietly('on close');
    if (this.memberId !== '' && this.o.groupInstanceId === null) {
      try {
        const coordinator = await this.ensureCoordinator();
        await this.client.request(LeaveGroup, {
          groupId: this.groupId, memberId: this.memberId,
          members: [{ memberId: this.memberId, groupInstanceId: null, reason: 'the consumer is being closed' }],
        }, { nodeId: coordinator, timeoutMs: 5_000 });
      } catch (err) {
        this.warn(`LeaveGroup for ${this.groupId} failed: ${(err as Error).message}`);
      }
    }
    this.memberId = '';
    this.generationId = -1;
  }

  // --- poll ---------------------------------------------------------------------------------

  private interruptible<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const onWakeup = (): void => {
        this.wakeups.delete(onWakeup);
        reject(new WakeupError());
      };
      this.wakeups.add(onWakeup);
      // If woken first, work's own outcome is ignored here (settling twice is a no-op).
      work.then((v) => { this.wakeups.delete(onWakeup); resolve(v); }, (e: unknown) => { this.wakeups.delete(onWakeup); reject(e); });
    });
  }

  private async pollOnce(maxWaitMs: number): Promise<ConsumedRecord[]> {
    this.throwIfFatal();
    await this.maybeAutoCommit();
    if (this.rejoinNeeded) await this.rejoin();
    if (this.buffered.size > 0) {
      // Served from memory, a poll resolves without ever reaching the timers phase: yield now
      // and then so that heartbeats (timers) are not starved by a busy poll loop.
      const now = this.client.clock.monotonicMs();
      if (now - this.lastYieldMs >= YIELD_EVERY_MS) {
        this.lastYieldMs = now;
        await sleep(this.client.clock, 0);
      }
      const ready = this.drain();
      if (ready.length > 0) return ready;
    }
    await this.fetchOnce(maxWaitMs);
    return this.drain();
  }

  private throwIfFatal(): void {
    if (this.fatal !== null) throw this.fatal;
    if (this.closing) throw new BrokerError('SHERWOOD_CLIENT', 'consumer is closed');
  }

  /** Up to maxPollRecords buffered records; positions move past what is returned. */
  private drain(): ConsumedRecord[] {
    const out: ConsumedRecord[] = [];
    for (const [k, b] of this.buffered) {
      const pos = this.positions.get(k)!;
      while (b.next < b.records.length && out.length < this.o.maxPollRecords) {
        const r = b.records[b.next++]!;
        out.push({ ...r, topic: pos.topic, partition: pos.partition });
        pos.offset = r.offset + 1;
      }
      if (b.next < b.records.length) break;
      pos.offset = Math.max(pos.offset, b.nextOffset);
      this.buffered.delete(k);
    }
    return out;
  }

  private async fetchOnce(maxWaitMs: number): Promise<void> {
    const epoch = this.assignmentEpoch;
    const targets = [...this.positions].filter(([k]) => !this.buffered.has(k)).map(([, p]) => ({ ...p }));
    if (targets.length === 0) {
      // Nothing assigned (more members than partitions): wait as a fetch would.
      await sleep(this.client.clock, maxWaitMs);
      return;
    }
    const byLeader = new Map<number, FetchTarget[]>();
    for (const t of targets) {
      let leader: number;
      try {
        leader = await this.client.leaderFor(t.topic, t.partition);
      } catch (err) {
        if (!(err instanceof KafkaError) || !err.retriable) throw err;
        this.client.invalidateTopic(t.topic);
        continue;
      }
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), t]);
    }
    if (byLeader.size === 0) {
      await sleep(this.client.clock, this.o.retryBackoffMs);
      return;
    }
    const settings = { ...this.fetchSettings, maxWaitMs: Math.max(0, Math.min(maxWaitMs, this.fetchSettings.maxWaitMs)) };
    const results = await Promise.all([...byLeader].map(([leader, list]) => fetchFromLeader(this.client, leader, list, settings)));
    if (epoch !== this.assignmentEpoch) return; // rebalanced meanwhile: these partitions may be someone else's
    for (const pf of results.flat()) {
      const k = key(pf.topic, pf.partition);
      const pos = this.positions.get(k);
      if (pos === undefined || pos.offset !== pf.offset) continue; // sought elsewhere meanwhile
      if (pf.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
        pos.offset = await this.resetOffset(pf.topic, pf.partition);
      } else if (REFRESH_METADATA_ERRORS.has(pf.errorCode)) {
        this.client.invalidateTopic(pf.topic);
      } else if (pf.errorCode !== ErrorCode.NONE) {
        throw new KafkaError(pf.errorCode, `fetch ${pf.topic}-${pf.partition} at offset ${pf.offset}`);
      } else if (pf.records.length > 0 || pf.nextOffset > pf.offset) {
        this.buffered.set(k, { records: pf.records, next: 0, nextOffset: pf.nextOffset });
      }
    }
  }

  // --- commits ------------------------------------------------------------------------------

  private async maybeAutoCommit(): Promise<void> {
    if (!this.o.enableAutoCommit || this.rejoinNeeded) return;
    if (this.client.clock.monotonicMs() - this.lastCommitMs < this.o.autoCommitIntervalMs) return;
    await this.commitQuietly('auto-commit');
  }

  private async commitQuietly(context: string): Promise<void> {
    try {
      await this.commitSync();
    } catch (err) {
      this.lastCommitMs = this.client.clock.monotonicMs();
      this.warn(`offset commit (${context}) for group ${this.groupId} failed: ${(err as Error).message}`);
    }
  }

  /** Reacts to a group error from a heartbeat or a commit. */
  private onMembershipError(code: number): void {
    if (code === ErrorCode.UNKNOWN_MEMBER_ID) {
      this.memberId = '';
      this.generationId = -1;
      this.rejoinNeeded = true;
    } else if (code === ErrorCode.ILLEGAL_GENERATION) {
      this.generationId = -1;
      this.rejoinNeeded = true;
    } else if (code === ErrorCode.REBALANCE_IN_PROGRESS) {
      this.rejoinNeeded = true;
    } else if (code === ErrorCode.FENCED_INSTANCE_ID) {
      this.fatal = new KafkaError(code, `group ${this.groupId}: another consumer with group.instance.id ${this.o.groupInstanceId} joined`);
    } else if (COORDINATOR_ERRORS.has(code)) {
      this.coordinator = undefined;
    }
  }

  // --- membership ---------------------------------------------------------------------------

  private async ensureCoordinator(): Promise<number> {
    if (this.coordinator === undefined) {
      const info = await this.client.findCoordinator(this.groupId);
      this.coordinator = this.client.coordinatorConnectionId(info);
    }
    return this.coordinator;
  }

  /** Gives up every partition (committing first with auto-commit), then joins and syncs. */
  private async rejoin(): Promise<void> {
    this.stopHeartbeat();
    if (this.o.enableAutoCommit && this.generationId >= 0 && this.positions.size > 0) await this.commitQuietly('before rejoining');
    this.assignmentEpoch++;
    this.assigned = [];
    this.positions.clear();
    this.buffered.clear();
    while (!(await this.joinAndSync())) {
      this.throwIfFatal();
    }
    const epoch = this.assignmentEpoch;
    this.rejoinNeeded = false;
    this.startHeartbeat();
    await this.initPositions(epoch);
  }

  /** One JoinGroup + SyncGroup round; false when it must be tried again. */
  private async joinAndSync(): Promise<boolean> {
    let join: JoinGroupResponse;
    try {
      const coordinator = await this.ensureCoordinator();
      join = await this.client.request(JoinGroup, {
        groupId: this.groupId, sessionTimeoutMs: this.o.sessionTimeoutMs, rebalanceTimeoutMs: this.o.rebalanceTimeoutMs,
        memberId: this.memberId, groupInstanceId: this.o.groupInstanceId, protocolType: CONSUMER_PROTOCOL_TYPE,
        // Subscription v0: every consumer (Java, librdkafka, kafka-python) that may lead the group reads it.
        protocols: this.o.assignors.map((name) => ({ name, metadata: encodeSubscription({ topics: [...this.topics] }, 0) })),
        reason: null,
      }, { nodeId: coordinator, timeoutMs: this.o.rebalanceTimeoutMs + 5_000 });
    } catch (err) {
      return this.retryAfter(err);
    }
    if (join.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
      this.memberId = join.memberId;
      return false;
    }
    if (join.errorCode !== ErrorCode.NONE) return this.retryAfterCode(join.errorCode, 'join group');
    this.memberId = join.memberId;
    this.generationId = join.generationId;
    this.protocolName = join.protocolName;

    const assignments = join.leader === join.memberId ? await this.leaderAssignments(join) : [];
    let sync;
    try {
      sync = await this.client.request(SyncGroup, {
        groupId: this.groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: this.o.groupInstanceId,
        protocolType: CONSUMER_PROTOCOL_TYPE, protocolName: this.protocolName, assignments,
      }, { nodeId: await this.ensureCoordinator(), timeoutMs: this.o.rebalanceTimeoutMs + 5_000 });
    } catch (err) {
      return this.retryAfter(err);
    }
    if (sync.errorCode !== ErrorCode.NONE) return this.retryAfterCode(sync.errorCode, 'sync group');
    const decoded = decodeAssignment(sync.assignment);
    if (decoded === null) throw new BrokerError('SHERWOOD_CLIENT', `group ${this.groupId}: the leader sent an assignment we cannot read`);
    this.assigned = decoded.assignedPartitions.filter((t) => t.partitions.length > 0);
    for (const t of this.assigned) {
      for (const partition of t.partitions) this.positions.set(key(t.topic, partition), { topic: t.topic, partition, offset: -1 });
    }
    return true;
  }

  private async retryAfter(err: unknown): Promise<false> {
    if (!isNetworkError(err) || this.closing) throw err;
    this.coordinator = undefined;
    await sleep(this.client.clock, this.o.retryBackoffMs);
    return false;
  }

  private async retryAfterCode(code: number, what: string): Promise<false> {
    const retriable = code === ErrorCode.UNKNOWN_MEMBER_ID || code === ErrorCode.ILLEGAL_GENERATION || code === ErrorCode.REBALANCE_IN_PROGRESS
      || code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS || COORDINATOR_ERRORS.has(code);
    if (!retriable) throw new KafkaError(code, `${what} ${this.groupId}`);
    this.onMembershipError(code);
    if (code !== ErrorCode.UNKNOWN_MEMBER_ID && code !== ErrorCode.REBALANCE_IN_PROGRESS) await sleep(this.client.clock, this.o.retryBackoffMs);
    return false;
  }

  /** The leader's job: run the chosen assignor over every member's subscription. */
  private async leaderAssignments(join: JoinGroupResponse): Promise<{ memberId: string; assignment: Buffer }[]> {
    const name = join.protocolName as AssignorName;
    if (!this.o.assignors.includes(name)) throw new BrokerError('SHERWOOD_CLIENT', `group ${this.groupId} chose assignor ${join.protocolName}, which we do not have`);
    const members: AssignorMember[] = join.members.map((m) => ({
      memberId: m.memberId, groupInstanceId: m.groupInstanceId, topics: decodeSubscription(m.metadata)?.topics ?? [],
    }));
    const topics = [...new Set(members.flatMap((m) => m.topics))];
    const md = await this.client.metadata(topics);
    const counts = new Map<string, number>();
    for (const t of md.topics) if (t.errorCode === ErrorCode.NONE) counts.set(t.name, t.partitions.length);
    const result = assign(name, members, counts);
    return members.map((m) => ({ memberId: m.memberId, assignment: encodeAssignment({ assignedPartitions: result.get(m.memberId) ?? [] }) }));
  }

  /** Committed offsets, else auto.offset.reset, for the new assignment. */
  private async initPositions(epoch: number): Promise<void> {
    const missing: string[] = [];
    for (const t of this.assigned) {
      // read_committed asks for stable offsets (KIP-447): none still pending in a transaction.
      const committed = await this.client.fetchCommittedOffsets(this.groupId, t.topic, t.partitions, { requireStable: this.fetchSettings.isolationLevel === 1 });
      for (const partition of t.partitions) {
        const c = committed.get(partition) ?? -1;
        const offset = c >= 0 ? c : this.o.autoOffsetReset === 'none' ? -1 : await this.resetOffset(t.topic, partition);
        if (epoch !== this.assignmentEpoch) return;
        if (offset < 0) missing.push(`${t.topic}-${partition}`);
        this.positions.get(key(t.topic, partition))!.offset = offset;
      }
    }
    if (missing.length > 0) {
      this.fatal = new BrokerError('SHERWOOD_CLIENT', `Undefined offset with no reset policy for partitions: [${missing.join(', ')}]`);
      throw this.fatal;
    }
  }

  private async resetOffset(topic: string, partition: number): Promise<number> {
    if (this.o.autoOffsetReset === 'none') {
      this.fatal = new BrokerError('SHERWOOD_CLIENT', `Offsets out of range with no configured reset policy for partitions: [${topic}-${partition}]`);
      throw this.fatal;
    }
    const ts = this.o.autoOffsetReset === 'earliest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP;
    return (await this.client.listOffsets(topic, partition, ts, { isolationLevel: this.fetchSettings.isolationLevel })).offset;
  }

  // --- heartbeats ---------------------------------------------------------------------------

  private startHeartbeat(): void {
    this.stopHeartbeat();
    if (this.closing) return;
    const epoch = this.heartbeatEpoch;
    this.heartbeatTimer = this.client.clock.schedule(this.o.heartbeatIntervalMs, () => {
      this.heartbeatTimer = null;
      this.heartbeat(epoch).then(
        () => {
          // Stop after UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION (generation -1) or fencing; keep going
          // through REBALANCE_IN_PROGRESS so the session lives until the rejoin.
          if (epoch === this.heartbeatEpoch && this.generationId >= 0 && this.fatal === null) this.startHeartbeat();
        },
        (err: unknown) => this.warn(`heartbeat for group ${this.groupId} failed: ${(err as Error).message}`),
      );
    });
  }

  private stopHeartbeat(): void {
    this.heartbeatEpoch++;
    this.heartbeatTimer?.cancel();
    this.heartbeatTimer = null;
  }

  private async heartbeat(epoch: number): Promise<void> {
    const generationId = this.generationId;
    let code: number;
    try {
      const coordinator = await this.ensureCoordinator();
      const res = await this.client.request(Heartbeat, {
        groupId: this.groupId, generationId, memberId: this.memberId, groupInstanceId: this.o.groupInstanceId,
      }, { nodeId: coordinator, timeoutMs: this.o.sessionTimeoutMs });
      code = res.errorCode;
    } catch (err) {
      if (!isNetworkError(err) && !(err instanceof KafkaError)) throw err;
      this.coordinator = undefined;
      this.warn(`heartbeat for group ${this.groupId} failed: ${(err as Error).message}`);
      return;
    }
    // A rejoin started meanwhile: this answer is about a generation we no longer care for.
    if (epoch !== this.heartbeatEpoch || generationId !== this.generationId) return;
    if (code === ErrorCode.NONE) return;
    this.onMembershipError(code);
    if (!COORDINATOR_ERRORS.has(code) && code !== ErrorCode.REBALANCE_IN_PROGRESS && code !== ErrorCode.UNKNOWN_MEMBER_ID
      && code !== ErrorCode.ILLEGAL_GENERATION && code !== ErrorCode.FENCED_INSTANCE_ID) {
      this.warn(`heartbeat for group ${this.groupId}: ${new KafkaError(code, 'heartbeat').errorName}`);
    }
  }
}
