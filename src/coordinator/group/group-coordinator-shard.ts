/**
 * The group coordinator shard of one `__consumer_offsets` partition: Kafka's classic group
 * protocol as a state machine over that partition (apache/kafka group-coordinator
 * `GroupCoordinatorShard` + `GroupMetadataManager` for classic groups), run by the generic
 * CoordinatorRuntime (../runtime/), one shard per partition, each with only its own groups.
 *
 * Contract: every operation decides synchronously and returns a CoordinatorResult; nothing
 * here does I/O or reads the wall clock other than the injected Clock, and timers go through
 * the shard's CoordinatorTimer. The runtime runs the shard's operations one at a time.
 *
 * Durable state and how it changes:
 * - `groups` (a TimelineMap), `offsets` (CommittedOffsets) and `pendingOffsets` (offsets of
 *   open transactions, PendingTransactionalOffsets) are rebuilt at load by
 *   `replay()` (replay.ts). Offsets, deletions and expirations change at run time only by
 *   replaying their records (the default, replayRecords=true): the runtime replays them under
 *   a snapshot before the write and reverts it if the write fails.
 * - Classic membership metadata is the exception Kafka also makes: a GroupMetadata record
 *   written by SyncGroup (the leader's assignment), a static member's replacement, or a group's
 *   Empty generation is NOT replayed (replayRecords=false), because a ClassicGroup carries
 *   transient state no record describes (parked JoinGroup/SyncGroup responses, pending
 *   members, timers). Those operations apply what their record says in onDurable, after
 *   re-checking that the group is still where they left it, and compensate in onWriteFailed.
 *
 * This file holds the membership protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup, the
 * rebalance and session timers) and the shard's lifecycle. Offsets live in offsets.ts, admin
 * APIs in group-admin.ts, replay in replay.ts.
 */
import type { Clock } from '../../base/clock.js';
import { randomUuid, type Random } from '../../base/random.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { JoinGroupRequest, JoinGroupResponse } from '../../protocol/messages/join-group.js';
import type { SyncGroupRequest, SyncGroupResponse } from '../../protocol/messages/sync-group.js';
import type { HeartbeatRequest, HeartbeatResponse } from '../../protocol/messages/heartbeat.js';
import type { LeaveGroupRequest, LeaveGroupResponse } from '../../protocol/messages/leave-group.js';
import {
  combineResults, immediate, type CoordinatorResult, type CoordinatorShard, type CoordinatorTimer, type ShardContext, type TransactionResult,
} from '../runtime/coordinator-shard.js';
import { TimelineMap } from '../runtime/timeline-map.js';
import { ClassicGroup, ClassicGroupMember } from './classic-group.js';
import { CommittedOffsets } from './committed-offsets.js';
import { PendingTransactionalOffsets } from './transactional-offsets.js';
import type { GroupCoordinatorConfig, RequestInfo } from './group-config.js';
import { groupMetadataRecord, type GroupRecord } from './records.js';
import { emptyGenerationValue, groupMetadataValue, replayEndTransactionMarker, replayRecord } from './replay.js';
import {
  copyProtocols, heartbeatKey, joinError, joinKey, parkJoin, rebalanceTimeoutOf, resetAssignmentsWithError,
  syncError, syncKey, syncResponse, validateMember,
} from './member-responses.js';
import { expireOffsets } from './offsets.js';
import { replaceStaticMember } from './static-membership.js';

export type GroupResult<T> = CoordinatorResult<T, GroupRecord>;

const NONE = ErrorCode.NONE;
/** How soon a group's empty generation is written again after that write failed. */
export const EMPTY_GENERATION_RETRY_MS = 1000;

/** The timer that runs offset expiration on each shard. */
const EXPIRE_OFFSETS_KEY = 'expire-offsets';

export class GroupCoordinatorShard implements CoordinatorShard<GroupRecord> {
  /** The `__consumer_offsets` partition this shard owns. */
  readonly partition: number;
  readonly groups: TimelineMap<string, ClassicGroup>;
  readonly offsets: CommittedOffsets;
  /** Offsets committed inside transactions that have not ended (TxnOffsetCommit). */
  readonly pendingOffsets: PendingTransactionalOffsets;
  readonly timer: CoordinatorTimer<GroupRecord>;
  /** Counts replayed offset records: their order, standing in for Kafka's record offsets (committed-offsets.ts). */
  private replayOrder = 0;

  constructor(
    context: ShardContext<GroupRecord>,
    readonly config: GroupCoordinatorConfig,
    readonly clock: Clock,
    readonly random: Random,
  ) {
    this.partition = context.partition;
    this.timer = context.timer;
    this.groups = new TimelineMap(context.snapshotRegistry);
    this.offsets = new CommittedOffsets(context.snapshotRegistry);
    this.pendingOffsets = new PendingTransactionalOffsets(context.snapshotRegistry);
  }

  /** The next replay order (monotonic over the shard's life, gaps after a failed write are harmless). */
  nextReplayOrder(): number {
    return ++this.replayOrder;
  }

  getOrCreateGroup(groupId: string): ClassicGroup {
    let group = this.groups.get(groupId);
    if (group === undefined) {
      group = new ClassicGroup(groupId, this.clock.now());
      this.groups.set(groupId, group);
    }
    return group;
  }

  /** Drops a group that was created for a request that then failed and left nothing behind. */
  private dropIfUnused(group: ClassicGroup): void {
    if (group.state === 'Empty' && group.isEmpty() && group.pendingMembers.size === 0 && group.generationId === 0 &&
      this.offsets.count(group.groupId) === 0 && !this.pendingOffsets.hasGroup(group.groupId) && this.groups.get(group.groupId) === group) {
      this.groups.delete(group.groupId);
    }
  }

  // ---- lifecycle -------------------------------------------------------------------------

  replay(record: GroupRecord, producerId: number): void {
    replayRecord(this, record, producerId);
  }

  replayEndTransactionMarker(producerId: number, _producerEpoch: number, result: TransactionResult): void {
    replayEndTransactionMarker(this, producerId, result);
  }

  /**
   * After the partition is replayed: members must heartbeat again within their session
   * timeout, a group over group.max.size (the setting was lowered) rebalances so that the
   * members beyond it are refused when they rejoin (Kafka's onLoaded), and offset expiration
   * starts.
   */
  onLoaded(): GroupResult<void> {
    const results: GroupResult<void>[] = [];
    for (const group of this.groups.values()) {
      for (const member of group.members.values()) this.scheduleHeartbeat(group, member);
      if (group.members.size > this.config.groupMaxSize) results.push(this.prepareRebalance(group));
    }
    this.scheduleOffsetExpiration();
    return combineResults(results);
  }

  private scheduleOffsetExpiration(): void {
    this.timer.schedule(EXPIRE_OFFSETS_KEY, this.config.offsetsRetentionCheckIntervalMs, () => {
      this.scheduleOffsetExpiration();
      return expireOffsets(this);
    });
  }

  /** Unloaded (the runtime cancelled the timers): parked requests learn that this broker is no longer the coordinator. */
  onUnloaded(): void {
    for (const group of this.groups.values()) {
      for (const member of group.members.values()) {
        const join = member.awaitingJoin;
        const sync = member.awaitingSync;
        member.awaitingJoin = null;
        member.awaitingSync = null;
        join?.(joinError(member.memberId, ErrorCode.NOT_COORDINATOR));
        sync?.(syncError(ErrorCode.NOT_COORDINATOR));
      }
    }
  }

  // ---- JoinGroup -------------------------------------------------------------------------

  joinGroup(req: JoinGroupRequest, info: RequestInfo): GroupResult<JoinGroupResponse> {
    if (req.groupId === '') return immediate(joinError(req.memberId, ErrorCode.INVALID_GROUP_ID));
    if (req.sessionTimeoutMs < this.config.groupMinSessionTimeoutMs || req.sessionTimeoutMs > this.config.groupMaxSessionTimeoutMs) {
      return immediate(joinError(req.memberId, ErrorCode.INVALID_SESSION_TIMEOUT));
    }
    const isUnknownMember = req.memberId === '';
    let group = this.groups.get(req.groupId);
    if (group === undefined) {
      if (!isUnknownMember) return immediate(joinError(req.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
      group = this.getOrCreateGroup(req.groupId);
    }
    // Kafka: a Dead group (here also one whose deletion is being written) may have moved; retry.
    if (group.isDead()) return immediate(joinError(req.memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (!this.acceptJoiningMember(group, req.memberId)) {
      // Kafka removes a refused existing member: a group over capacity sheds its last rejoiners.
      if (group.removeMember(req.memberId) !== undefined) this.timer.cancel(heartbeatKey(group.groupId, req.memberId));
      this.dropIfUnused(group);
      return immediate(joinError('', ErrorCode.GROUP_MAX_SIZE_REACHED));
    }
    const result = isUnknownMember ? this.joinNewMember(group, req, info) : this.joinExistingMember(group, req, info);
    this.dropIfUnused(group);
    return result;
  }

  /**
   * Kafka's acceptJoiningMember (group.max.size). While rebalancing only members awaiting join
   * count: the group may already be over a lowered limit, and this lets the last rejoiners be
   * turned away. Otherwise members count, and existing members are always accepted.
   */
  private acceptJoiningMember(group: ClassicGroup, memberId: string): boolean {
    const max = this.config.groupMaxSize;
    switch (group.state) {
      case 'Empty':
      case 'Dead':
        return true;
      case 'PreparingRebalance':
        return (group.members.get(memberId)?.awaitingJoin ?? null) !== null || group.awaitingJoinCount() < max;
      default:
        return group.members.has(memberId) || group.members.size < max;
    }
  }

  private joinNewMember(group: ClassicGroup, req: JoinGroupRequest, info: RequestInfo): GroupResult<JoinGroupResponse> {
    if (!group.supportsProtocols(req.protocolType, req.protocols)) return immediate(joinError('', ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    const newMemberId = `${req.groupInstanceId ?? info.clientId}-${this.newUuid()}`;
    if (req.groupInstanceId !== null) {
      const oldMemberId = group.staticMembers.get(req.groupInstanceId);
      if (oldMemberId !== undefined) return replaceStaticMember(this, group, oldMemberId, newMemberId, req, info);
      return this.addMemberAndRebalance(group, newMemberId, req, info);
    }
    if (info.apiVersion >= 4) {
      // KIP-394: the client must come back with the id, so a client that dies now leaves no member.
      group.pendingMembers.add(newMemberId);
      this.timer.schedule(heartbeatKey(group.groupId, newMemberId), req.sessionTimeoutMs, () => this.expireHeartbeat(group.groupId, newMemberId));
      return immediate(joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED));
    }
    return this.addMemberAndRebalance(group, newMemberId, req, info);
  }

  private joinExistingMember(group: ClassicGroup, req: JoinGroupRequest, info: RequestInfo): GroupResult<JoinGroupResponse> {
    if (!group.supportsProtocols(req.protocolType, req.protocols)) {
      return immediate(joinError(req.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    if (group.pendingMembers.has(req.memberId)) {
      group.pendingMembers.delete(req.memberId);
      return this.addMemberAndRebalance(group, req.memberId, req, info);
    }
    const memberError = validateMember(group, req.memberId, req.groupInstanceId);
    if (memberError !== NONE) return immediate(joinError(req.memberId, memberError));
    const member = group.members.get(req.memberId)!;
    switch (group.state) {
      case 'PreparingRebalance':
        return this.updateMemberAndRebalance(group, member, req);
      case 'CompletingRebalance':
        // Same metadata: the member probably missed the JoinGroup response; resend it.
        if (member.matches(req.protocols)) return immediate(this.joinResponse(group, member.memberId));
        return this.updateMemberAndRebalance(group, member, req);
      case 'Stable':
        if (group.leaderId === member.memberId || !member.matches(req.protocols)) return this.updateMemberAndRebalance(group, member, req);
        return immediate(this.joinResponse(group, member.memberId, false));
      default:
        return immediate(joinError(req.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  private addMemberAndRebalance(group: ClassicGroup, memberId: string, req: JoinGroupRequest, info: RequestInfo): GroupResult<JoinGroupResponse> {
    const member = new ClassicGroupMember({
      memberId,
      groupInstanceId: req.groupInstanceId,
      clientId: info.clientId,
      clientHost: info.clientHost,
      rebalanceTimeoutMs: rebalanceTimeoutOf(req),
      sessionTimeoutMs: req.sessionTimeoutMs,
      protocolType: req.protocolType,
      protocols: copyProtocols(req),
    });
    if (group.initialDelayActive) group.newMemberAdded = true;
    member.isNew = true;
    group.addMember(member);
    const response = parkJoin(member);
    // The member cannot heartbeat until it has its id, and a parked JoinGroup hides a
    // disconnect; so a new member's join is bounded by its own timeout (Kafka, KIP-394), and a
    // client that gave up and retried does not leave a defunct member in a long rebalance.
    this.timer.schedule(heartbeatKey(group.groupId, memberId), this.config.groupNewMemberJoinTimeoutMs, () => this.expireHeartbeat(group.groupId, memberId));
    const result = this.maybePrepareRebalance(group);
    return { records: result.records, replayRecords: result.replayRecords, response, onDurable: result.onDurable };
  }

  /** @internal (static-membership.ts) */
  updateMemberAndRebalance(group: ClassicGroup, member: ClassicGroupMember, req: JoinGroupRequest): GroupResult<JoinGroupResponse> {
    member.protocols = copyProtocols(req);
    member.rebalanceTimeoutMs = rebalanceTimeoutOf(req);
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    if (member.awaitingJoin !== null) member.awaitingJoin(joinError(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
    const response = parkJoin(member);
    const result = this.maybePrepareRebalance(group);
    return { records: result.records, replayRecords: result.replayRecords, response, onDurable: result.onDurable };
  }

  /** @internal (static-membership.ts) */
  joinResponse(group: ClassicGroup, memberId: string, includeMembers = true): JoinGroupResponse {
    const isLeader = group.leaderId === memberId;
    return {
      throttleTimeMs: 0,
      errorCode: NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      skipAssignment: false,
      memberId,
      members: isLeader && includeMembers
        ? [...group.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadataFor(group.protocolName ?? '') }))
        : [],
    };
  }

  // ---- rebalance -------------------------------------------------------------------------

  private maybePrepareRebalance(group: ClassicGroup): GroupResult<void> {
    if (group.state === 'Stable' || group.state === 'CompletingRebalance' || group.state === 'Empty') return this.prepareRebalance(group);
    return this.tryCompleteJoin(group);
  }

  prepareRebalance(group: ClassicGroup): GroupResult<void> {
    if (group.state === 'CompletingRebalance') resetAssignmentsWithError(group, ErrorCode.REBALANCE_IN_PROGRESS);
    this.timer.cancel(syncKey(group.groupId));
    const isInitialRebalance = group.state === 'Empty';
    group.transitionTo('PreparingRebalance', this.clock.now());
    const rebalanceTimeoutMs = group.rebalanceTimeoutMs();
    if (isInitialRebalance) {
      // group.initial.rebalance.delay.ms: wait for more members before the first generation,
      // extending by the delay while members keep arriving, up to the rebalance timeout (the
      // first wait is the full delay even if the rebalance timeout is shorter, as in Kafka).
      const delayMs = this.config.groupInitialRebalanceDelayMs;
      group.initialDelayActive = true;
      group.newMemberAdded = false;
      this.scheduleInitialDelay(group, delayMs, Math.max(rebalanceTimeoutMs - this.config.groupInitialRebalanceDelayMs, 0));
      return immediate(undefined);
    }
    this.timer.schedule(joinKey(group.groupId), rebalanceTimeoutMs, () => this.completeJoin(group));
    return this.tryCompleteJoin(group);
  }

  private scheduleInitialDelay(group: ClassicGroup, delayMs: number, remainingMs: number): void {
    this.timer.schedule(joinKey(group.groupId), delayMs, () => {
      if (group.newMemberAdded && remainingMs > 0) {
        group.newMemberAdded = false;
        const next = Math.min(this.config.groupInitialRebalanceDelayMs, remainingMs);
        this.scheduleInitialDelay(group, next, Math.max(remainingMs - next, 0));
        return immediate(undefined);
      }
      group.initialDelayActive = false;
      return this.completeJoin(group);
    });
  }

  private tryCompleteJoin(group: ClassicGroup): GroupResult<void> {
    if (group.state === 'PreparingRebalance' && !group.initialDelayActive && group.hasAllMembersJoined()) return this.completeJoin(group);
    return immediate(undefined);
  }

  /**
   * The join phase ends: dynamic members that did not rejoin are dropped (static ones stay
   * until their session times out) and a generation begins, led by a member that rejoined.
   */
  private completeJoin(group: ClassicGroup): GroupResult<void> {
    if (group.state !== 'PreparingRebalance' || this.groups.get(group.groupId) !== group) return immediate(undefined);
    this.timer.cancel(joinKey(group.groupId));
    group.initialDelayActive = false;
    for (const member of [...group.members.values()]) {
      if (member.awaitingJoin === null && member.groupInstanceId === null) {
        group.removeMember(member.memberId);
        this.timer.cancel(heartbeatKey(group.groupId, member.memberId));
      }
    }
    if (!group.maybeElectNewJoinedLeader() && !group.isEmpty()) {
      // Only static members that did not rejoin are left: wait, their session timeouts end it.
      this.timer.schedule(joinKey(group.groupId), group.rebalanceTimeoutMs(), () => this.completeJoin(group));
      return immediate(undefined);
    }
    if (group.isEmpty()) return this.completeJoinEmpty(group);
    group.generationId++;
    group.protocolName = group.selectProtocol();
    group.transitionTo('CompletingRebalance', this.clock.now());
    group.pendingSyncMembers.clear();
    for (const member of group.members.values()) {
      group.pendingSyncMembers.add(member.memberId);
      member.isNew = false;
      const respond = member.awaitingJoin;
      member.awaitingJoin = null;
      respond?.(this.joinResponse(group, member.memberId));
      this.scheduleHeartbeat(group, member);
    }
    const generationId = group.generationId;
    this.timer.schedule(syncKey(group.groupId), group.rebalanceTimeoutMs(), () => this.expirePendingSync(group, generationId));
    return immediate(undefined);
  }

  /**
   * No member left: the next generation is Empty. It is written first and applied once
   * durable; until then the group stays PreparingRebalance with no members. If the write
   * fails nothing changes and it is tried again shortly (Kafka keeps the in-memory Empty state
   * and only warns; here memory never runs ahead of the log).
   */
  private completeJoinEmpty(group: ClassicGroup): GroupResult<void> {
    const now = this.clock.now();
    const generationId = group.generationId;
    const stillCurrent = () => this.groups.get(group.groupId) === group && group.state === 'PreparingRebalance' &&
      group.generationId === generationId && group.isEmpty();
    return {
      records: [groupMetadataRecord(group.groupId, emptyGenerationValue(group, now))],
      replayRecords: false,
      response: undefined,
      onDurable: () => {
        if (!stillCurrent()) return;
        group.generationId = generationId + 1;
        group.protocolName = null;
        group.leaderId = null;
        group.pendingSyncMembers.clear();
        group.transitionTo('Empty', now);
      },
      onWriteFailed: () => {
        if (stillCurrent()) this.timer.schedule(joinKey(group.groupId), EMPTY_GENERATION_RETRY_MS, () => this.completeJoin(group));
      },
    };
  }

  /** Members that never sent SyncGroup for this generation are removed and the group rebalances. */
  private expirePendingSync(group: ClassicGroup, generationId: number): GroupResult<void> {
    if (group.generationId !== generationId || group.pendingSyncMembers.size === 0) return immediate(undefined);
    if (group.state !== 'CompletingRebalance' && group.state !== 'Stable') return immediate(undefined);
    for (const memberId of [...group.pendingSyncMembers]) {
      const m = group.removeMember(memberId);
      if (m?.awaitingSync) m.awaitingSync(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
      this.timer.cancel(heartbeatKey(group.groupId, memberId));
    }
    group.pendingSyncMembers.clear();
    return this.prepareRebalance(group);
  }

  // ---- SyncGroup -------------------------------------------------------------------------

  syncGroup(req: SyncGroupRequest, _info: RequestInfo): GroupResult<SyncGroupResponse> {
    if (req.groupId === '') return immediate(syncError(ErrorCode.INVALID_GROUP_ID));
    const group = this.groups.get(req.groupId);
    if (group === undefined || group.state === 'Dead') return immediate(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    const memberError = validateMember(group, req.memberId, req.groupInstanceId);
    if (memberError !== NONE) return immediate(syncError(memberError));
    if (req.generationId !== group.generationId) return immediate(syncError(ErrorCode.ILLEGAL_GENERATION));
    if ((req.protocolType !== null && req.protocolType !== group.protocolType) || (req.protocolName !== null && req.protocolName !== group.protocolName)) {
      return immediate(syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    const member = group.members.get(req.memberId)!;
    switch (group.state) {
      case 'PreparingRebalance':
        return immediate(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      case 'CompletingRebalance':
        return this.syncCompleting(group, member, req);
      case 'Stable':
        group.pendingSyncMembers.delete(member.memberId);
        this.scheduleHeartbeat(group, member);
        return immediate(syncResponse(group, member.assignment));
      default:
        return immediate(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  private syncCompleting(group: ClassicGroup, member: ClassicGroupMember, req: SyncGroupRequest): GroupResult<SyncGroupResponse> {
    if (member.awaitingSync !== null) member.awaitingSync(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
    const response = new Promise<SyncGroupResponse>((resolve) => { member.awaitingSync = resolve; });
    group.pendingSyncMembers.delete(member.memberId);
    if (group.pendingSyncMembers.size === 0) this.timer.cancel(syncKey(group.groupId));
    this.scheduleHeartbeat(group, member);
    if (group.leaderId !== member.memberId) return { records: [], response };

    const assignments = new Map<string, Buffer>();
    for (const a of req.assignments) if (group.members.has(a.memberId)) assignments.set(a.memberId, Buffer.from(a.assignment));
    const generationId = group.generationId;
    const value = groupMetadataValue(group, assignments);
    const stillCurrent = () => group.state === 'CompletingRebalance' && group.generationId === generationId && this.groups.get(group.groupId) === group;
    return {
      records: [groupMetadataRecord(group.groupId, value)],
      replayRecords: false,
      response,
      onDurable: () => {
        if (!stillCurrent()) return;
        for (const m of group.members.values()) m.assignment = assignments.get(m.memberId) ?? Buffer.alloc(0);
        group.transitionTo('Stable', this.clock.now());
        for (const m of group.members.values()) {
          if (m.awaitingSync === null) continue;
          const respond = m.awaitingSync;
          m.awaitingSync = null;
          respond(syncResponse(group, m.assignment));
        }
      },
      onWriteFailed: (code) => {
        if (stillCurrent()) {
          resetAssignmentsWithError(group, code);
          this.prepareRebalance(group);
        }
        return syncError(code);
      },
    };
  }

  // ---- Heartbeat -------------------------------------------------------------------------

  heartbeat(req: HeartbeatRequest, _info: RequestInfo): GroupResult<HeartbeatResponse> {
    const reply = (errorCode: number): GroupResult<HeartbeatResponse> => immediate({ throttleTimeMs: 0, errorCode });
    if (req.groupId === '') return reply(ErrorCode.INVALID_GROUP_ID);
    const group = this.groups.get(req.groupId);
    if (group === undefined) return reply(ErrorCode.UNKNOWN_MEMBER_ID);
    if (group.isDead()) return reply(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (group.state === 'Empty') return reply(ErrorCode.UNKNOWN_MEMBER_ID);
    const memberError = validateMember(group, req.memberId, req.groupInstanceId);
    if (memberError !== NONE) return reply(memberError);
    if (req.generationId !== group.generationId) return reply(ErrorCode.ILLEGAL_GENERATION);
    this.scheduleHeartbeat(group, group.members.get(req.memberId)!);
    return reply(group.state === 'PreparingRebalance' ? ErrorCode.REBALANCE_IN_PROGRESS : NONE);
  }

  scheduleHeartbeat(group: ClassicGroup, member: ClassicGroupMember): void {
    this.timer.schedule(heartbeatKey(group.groupId, member.memberId), member.sessionTimeoutMs, () => this.expireHeartbeat(group.groupId, member.memberId));
  }

  private expireHeartbeat(groupId: string, memberId: string): GroupResult<void> {
    const group = this.groups.get(groupId);
    if (group === undefined) return immediate(undefined);
    if (group.pendingMembers.delete(memberId)) {
      const result = this.tryCompleteJoin(group);
      this.dropIfUnused(group);
      return result;
    }
    const member = group.members.get(memberId);
    if (member === undefined) return immediate(undefined);
    if (!member.isNew && (member.awaitingJoin !== null || member.awaitingSync !== null)) {
      // A parked request proves an existing member is alive; the rebalance/sync timeouts bound
      // the wait. A new member's parked join does not (KIP-394): it expires.
      this.scheduleHeartbeat(group, member);
      return immediate(undefined);
    }
    return this.removeMemberAndUpdateGroup(group, member);
  }

  removeMemberAndUpdateGroup(group: ClassicGroup, member: ClassicGroupMember): GroupResult<void> {
    this.removeCurrentMember(group, member);
    switch (group.state) {
      case 'Stable':
      case 'CompletingRebalance':
        return this.prepareRebalance(group);
      case 'PreparingRebalance':
        return this.tryCompleteJoin(group);
      default:
        return immediate(undefined);
    }
  }

  /** Removes a member; its parked requests get UNKNOWN_MEMBER_ID so a live client rejoins. */
  private removeCurrentMember(group: ClassicGroup, member: ClassicGroupMember): void {
    if (member.awaitingJoin !== null) member.awaitingJoin(joinError('', ErrorCode.UNKNOWN_MEMBER_ID));
    if (member.awaitingSync !== null) member.awaitingSync(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    member.awaitingJoin = null;
    member.awaitingSync = null;
    group.removeMember(member.memberId);
    this.timer.cancel(heartbeatKey(group.groupId, member.memberId));
  }

  // ---- LeaveGroup ------------------------------------------------------------------------

  /**
   * Kafka's classicGroupLeave: every listed member leaves, then the group rebalances once. If
   * that completes the join phase with no member left, the Empty generation is written and a
   * failed write answers its error (top level, as Kafka does).
   */
  leaveGroup(req: LeaveGroupRequest, info: RequestInfo): GroupResult<LeaveGroupResponse> {
    const identities = info.apiVersion <= 2 ? [{ memberId: req.memberId, groupInstanceId: null, reason: null }] : req.members;
    const reply = (errorCode: number, members: LeaveGroupResponse['members'] = []): LeaveGroupResponse => ({ throttleTimeMs: 0, errorCode, members });
    if (req.groupId === '') return immediate(reply(ErrorCode.INVALID_GROUP_ID));
    const group = this.groups.get(req.groupId);
    if (group === undefined) return immediate(reply(ErrorCode.UNKNOWN_MEMBER_ID));
    if (group.isDead()) return immediate(reply(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    const results = identities.map((id) => ({ memberId: id.memberId, groupInstanceId: id.groupInstanceId, errorCode: this.leaveOne(group, id.memberId, id.groupInstanceId) }));
    let result: GroupResult<void> = immediate(undefined);
    if (results.some((r) => r.errorCode === NONE)) {
      if (group.state === 'Stable' || group.state === 'CompletingRebalance') result = this.prepareRebalance(group);
      else if (group.state === 'PreparingRebalance') result = this.tryCompleteJoin(group);
    }
    const response = info.apiVersion <= 2 ? reply(results[0]!.errorCode) : reply(NONE, results);
    return {
      records: result.records,
      replayRecords: result.replayRecords,
      response,
      onDurable: result.onDurable,
      onWriteFailed: (code, appendErrorCode) => {
        result.onWriteFailed?.(code, appendErrorCode);
        return reply(code);
      },
    };
  }

  /** One member leaves (no rebalance yet); its error code. */
  private leaveOne(group: ClassicGroup, memberId: string, groupInstanceId: string | null): number {
    if (memberId === '') {
      // Administrative removal by group.instance.id alone.
      const staticId = groupInstanceId === null ? undefined : group.staticMembers.get(groupInstanceId);
      if (staticId === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      this.removeCurrentMember(group, group.members.get(staticId)!);
      return NONE;
    }
    if (group.pendingMembers.has(memberId)) {
      group.removeMember(memberId);
      this.timer.cancel(heartbeatKey(group.groupId, memberId));
      return NONE;
    }
    const memberError = validateMember(group, memberId, groupInstanceId);
    if (memberError !== NONE) return memberError;
    this.removeCurrentMember(group, group.members.get(memberId)!);
    return NONE;
  }

  private newUuid(): string {
    const h = randomUuid(this.random).toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
}
