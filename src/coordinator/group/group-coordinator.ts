/**
 * The group coordinator of Kafka's classic group protocol: a state machine over
 * `__consumer_offsets` (apache/kafka group-coordinator `GroupMetadataManager` for classic groups).
 *
 * Contract: every operation decides synchronously and returns a CoordinatorResult (see
 * result.ts); nothing here does I/O or reads the wall clock other than the injected Clock, and
 * timers go through the injected CoordinatorTimer. `replay(key, value)` rebuilds the durable
 * state (generation, protocol, leader, members with their subscriptions and assignments,
 * committed offsets) from the topic; `onLoaded()` then re-arms session timers.
 *
 * This file holds the membership protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup, the
 * rebalance and session timers). Offsets live in offsets.ts, admin APIs in group-admin.ts.
 */
import type { Clock } from '../../base/clock.js';
import { randomUuid, type Random } from '../../base/random.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { JoinGroupRequest, JoinGroupResponse } from '../../protocol/messages/join-group.js';
import type { SyncGroupRequest, SyncGroupResponse } from '../../protocol/messages/sync-group.js';
import type { HeartbeatRequest, HeartbeatResponse } from '../../protocol/messages/heartbeat.js';
import type { LeaveGroupRequest, LeaveGroupResponse } from '../../protocol/messages/leave-group.js';
import { ClassicGroup, ClassicGroupMember } from './classic-group.js';
import { decodeGroupRecord, groupMetadataRecord, partitionForGroup, type GroupRecord } from './records.js';
import { immediate, type CoordinatorResult, type CoordinatorTimer, type GroupCoordinatorConfig, type RequestInfo } from './result.js';
import { replayRecord, groupMetadataValue } from './replay.js';

const NONE = ErrorCode.NONE;

export class GroupCoordinator {
  readonly groups = new Map<string, ClassicGroup>();

  constructor(
    readonly config: GroupCoordinatorConfig,
    readonly clock: Clock,
    readonly timer: CoordinatorTimer,
    readonly random: Random,
  ) {}

  partitionFor(groupId: string): number {
    return partitionForGroup(groupId, this.config.offsetsTopicNumPartitions);
  }

  getOrCreateGroup(groupId: string): ClassicGroup {
    let group = this.groups.get(groupId);
    if (group === undefined) {
      group = new ClassicGroup(groupId, this.partitionFor(groupId), this.clock.now());
      this.groups.set(groupId, group);
    }
    return group;
  }

  /** Drops a group that was created for a request that then failed and left nothing behind. */
  private dropIfUnused(group: ClassicGroup): void {
    if (group.state === 'Empty' && group.isEmpty() && group.pendingMembers.size === 0 && group.generationId === 0 &&
      group.offsetCount() === 0 && this.groups.get(group.groupId) === group) {
      this.groups.delete(group.groupId);
    }
  }

  // ---- loading ---------------------------------------------------------------------------

  replay(key: Buffer, value: Buffer | null): void {
    const record = decodeGroupRecord(key, value);
    if (record !== null) replayRecord(this, record);
  }

  /** After the topic is replayed: members must heartbeat again within their session timeout. */
  onLoaded(): void {
    for (const group of this.groups.values()) {
      for (const member of group.members.values()) this.scheduleHeartbeat(group, member);
    }
  }

  // ---- JoinGroup -------------------------------------------------------------------------

  joinGroup(req: JoinGroupRequest, info: RequestInfo): CoordinatorResult<JoinGroupResponse> {
    if (req.groupId === '') return immediate(joinError(req.memberId, ErrorCode.INVALID_GROUP_ID));
    if (req.sessionTimeoutMs < this.config.groupMinSessionTimeoutMs || req.sessionTimeoutMs > this.config.groupMaxSessionTimeoutMs) {
      return immediate(joinError(req.memberId, ErrorCode.INVALID_SESSION_TIMEOUT));
    }
    const isUnknownMember = req.memberId === '';
    let group = this.groups.get(req.groupId);
    if (group === undefined || group.state === 'Dead') {
      if (!isUnknownMember) return immediate(joinError(req.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
      group = this.getOrCreateGroup(req.groupId);
    }
    const isExisting = !isUnknownMember && (group.members.has(req.memberId) || group.pendingMembers.has(req.memberId));
    const isStaticRejoin = req.groupInstanceId !== null && group.staticMembers.has(req.groupInstanceId);
    if (!isExisting && !isStaticRejoin && group.members.size >= this.config.groupMaxSize) {
      this.dropIfUnused(group);
      return immediate(joinError(req.memberId, ErrorCode.GROUP_MAX_SIZE_REACHED));
    }
    const result = isUnknownMember ? this.joinNewMember(group, req, info) : this.joinExistingMember(group, req, info);
    this.dropIfUnused(group);
    return result;
  }

  private joinNewMember(group: ClassicGroup, req: JoinGroupRequest, info: RequestInfo): CoordinatorResult<JoinGroupResponse> {
    if (!group.supportsProtocols(req.protocolType, req.protocols)) return immediate(joinError('', ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    const newMemberId = `${req.groupInstanceId ?? info.clientId}-${this.newUuid()}`;
    if (req.groupInstanceId !== null) {
      const oldMemberId = group.staticMembers.get(req.groupInstanceId);
      if (oldMemberId !== undefined) return this.replaceStaticMember(group, oldMemberId, newMemberId, req, info);
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

  private joinExistingMember(group: ClassicGroup, req: JoinGroupRequest, info: RequestInfo): CoordinatorResult<JoinGroupResponse> {
    if (!group.supportsProtocols(req.protocolType, req.protocols, req.memberId)) {
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

  private addMemberAndRebalance(group: ClassicGroup, memberId: string, req: JoinGroupRequest, info: RequestInfo): CoordinatorResult<JoinGroupResponse> {
    const member = new ClassicGroupMember({
      memberId,
      groupInstanceId: req.groupInstanceId,
      clientId: info.clientId,
      clientHost: info.clientHost,
      rebalanceTimeoutMs: rebalanceTimeoutOf(req),
      sessionTimeoutMs: req.sessionTimeoutMs,
      protocolType: req.protocolType,
      protocols: req.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
    });
    if (group.initialDelayActive) group.newMemberAdded = true;
    group.addMember(member);
    const response = parkJoin(member);
    // The member cannot heartbeat until it has its id; its parked join keeps it alive.
    this.scheduleHeartbeat(group, member);
    const result = this.maybePrepareRebalance(group);
    return { records: result.records, response, onDurable: result.onDurable };
  }

  private updateMemberAndRebalance(group: ClassicGroup, member: ClassicGroupMember, req: JoinGroupRequest): CoordinatorResult<JoinGroupResponse> {
    member.protocols = req.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) }));
    member.rebalanceTimeoutMs = rebalanceTimeoutOf(req);
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    if (member.awaitingJoin !== null) member.awaitingJoin(joinError(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
    const response = parkJoin(member);
    const result = this.maybePrepareRebalance(group);
    return { records: result.records, response, onDurable: result.onDurable };
  }

  /** KIP-345: a static member came back with a new member id; the old id is fenced. */
  private replaceStaticMember(group: ClassicGroup, oldMemberId: string, newMemberId: string, req: JoinGroupRequest, info: RequestInfo): CoordinatorResult<JoinGroupResponse> {
    const old = group.members.get(oldMemberId)!;
    const protocolsUnchanged = old.matches(req.protocols);
    const member = new ClassicGroupMember({
      memberId: newMemberId, groupInstanceId: req.groupInstanceId, clientId: info.clientId, clientHost: info.clientHost,
      rebalanceTimeoutMs: rebalanceTimeoutOf(req), sessionTimeoutMs: req.sessionTimeoutMs, protocolType: req.protocolType,
      protocols: old.protocols,
    });
    member.assignment = old.assignment;
    if (old.awaitingJoin !== null) old.awaitingJoin(joinError(oldMemberId, ErrorCode.FENCED_INSTANCE_ID));
    if (old.awaitingSync !== null) old.awaitingSync(syncError(ErrorCode.FENCED_INSTANCE_ID));
    old.awaitingJoin = null;
    old.awaitingSync = null;
    this.timer.cancel(heartbeatKey(group.groupId, oldMemberId));
    const wasLeader = group.leaderId === oldMemberId;
    const wasPendingSync = group.pendingSyncMembers.has(oldMemberId);
    group.removeMember(oldMemberId);
    group.addMember(member);
    if (wasLeader) group.leaderId = newMemberId;
    if (wasPendingSync) group.pendingSyncMembers.add(newMemberId);
    this.scheduleHeartbeat(group, member);
    if (group.state === 'Stable' && protocolsUnchanged) {
      const supportsSkip = info.apiVersion >= 9;
      const isLeader = group.leaderId === newMemberId;
      return {
        records: [groupMetadataRecord(group.partition, group.groupId, groupMetadataValue(group))],
        response: { ...this.joinResponse(group, newMemberId, supportsSkip && isLeader), skipAssignment: supportsSkip && isLeader },
        onWriteFailed: (code) => joinError(newMemberId, code),
      };
    }
    return this.updateMemberAndRebalance(group, member, req);
  }

  private joinResponse(group: ClassicGroup, memberId: string, includeMembers = true): JoinGroupResponse {
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

  private maybePrepareRebalance(group: ClassicGroup): CoordinatorResult<void> {
    if (group.state === 'Stable' || group.state === 'CompletingRebalance' || group.state === 'Empty') return this.prepareRebalance(group);
    return this.tryCompleteJoin(group);
  }

  prepareRebalance(group: ClassicGroup): CoordinatorResult<void> {
    if (group.state === 'CompletingRebalance') resetAssignmentsWithError(group, ErrorCode.REBALANCE_IN_PROGRESS);
    this.timer.cancel(syncKey(group.groupId));
    const isInitialRebalance = group.state === 'Empty';
    group.transitionTo('PreparingRebalance', this.clock.now());
    const rebalanceTimeoutMs = group.rebalanceTimeoutMs();
    if (isInitialRebalance) {
      // group.initial.rebalance.delay.ms: wait for more members before the first generation,
      // extending by the delay while members keep arriving, up to the rebalance timeout.
      const delayMs = Math.min(this.config.groupInitialRebalanceDelayMs, rebalanceTimeoutMs);
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

  private tryCompleteJoin(group: ClassicGroup): CoordinatorResult<void> {
    if (group.state === 'PreparingRebalance' && !group.initialDelayActive && group.hasAllMembersJoined()) return this.completeJoin(group);
    return immediate(undefined);
  }

  /** The join phase ends: members that did not rejoin are dropped and a generation begins. */
  private completeJoin(group: ClassicGroup): CoordinatorResult<void> {
    if (group.state !== 'PreparingRebalance' || this.groups.get(group.groupId) !== group) return immediate(undefined);
    this.timer.cancel(joinKey(group.groupId));
    group.initialDelayActive = false;
    for (const member of [...group.members.values()]) {
      if (member.awaitingJoin === null) {
        group.removeMember(member.memberId);
        this.timer.cancel(heartbeatKey(group.groupId, member.memberId));
      }
    }
    group.generationId++;
    const now = this.clock.now();
    if (group.isEmpty()) {
      group.protocolName = null;
      group.leaderId = null;
      group.transitionTo('Empty', now);
      return immediate(undefined, [groupMetadataRecord(group.partition, group.groupId, groupMetadataValue(group))]);
    }
    if (group.leaderId === null || !group.members.has(group.leaderId)) group.leaderId = group.members.keys().next().value!;
    group.protocolName = group.selectProtocol();
    group.transitionTo('CompletingRebalance', now);
    group.pendingSyncMembers.clear();
    for (const member of group.members.values()) {
      group.pendingSyncMembers.add(member.memberId);
      const respond = member.awaitingJoin!;
      member.awaitingJoin = null;
      respond(this.joinResponse(group, member.memberId));
      this.scheduleHeartbeat(group, member);
    }
    const generationId = group.generationId;
    this.timer.schedule(syncKey(group.groupId), group.rebalanceTimeoutMs(), () => this.expirePendingSync(group, generationId));
    return immediate(undefined);
  }

  /** Members that never sent SyncGroup for this generation are removed and the group rebalances. */
  private expirePendingSync(group: ClassicGroup, generationId: number): CoordinatorResult<void> {
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

  syncGroup(req: SyncGroupRequest, _info: RequestInfo): CoordinatorResult<SyncGroupResponse> {
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

  private syncCompleting(group: ClassicGroup, member: ClassicGroupMember, req: SyncGroupRequest): CoordinatorResult<SyncGroupResponse> {
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
      records: [groupMetadataRecord(group.partition, group.groupId, value)],
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

  heartbeat(req: HeartbeatRequest, _info: RequestInfo): CoordinatorResult<HeartbeatResponse> {
    const reply = (errorCode: number) => immediate<HeartbeatResponse>({ throttleTimeMs: 0, errorCode });
    if (req.groupId === '') return reply(ErrorCode.INVALID_GROUP_ID);
    const group = this.groups.get(req.groupId);
    if (group === undefined) return reply(ErrorCode.UNKNOWN_MEMBER_ID);
    if (group.state === 'Dead') return reply(ErrorCode.COORDINATOR_NOT_AVAILABLE);
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

  private expireHeartbeat(groupId: string, memberId: string): CoordinatorResult<void> {
    const group = this.groups.get(groupId);
    if (group === undefined) return immediate(undefined);
    if (group.pendingMembers.delete(memberId)) {
      const result = this.tryCompleteJoin(group);
      this.dropIfUnused(group);
      return result;
    }
    const member = group.members.get(memberId);
    if (member === undefined) return immediate(undefined);
    if (member.awaitingJoin !== null || member.awaitingSync !== null) {
      // A parked request proves the member is alive; the rebalance/sync timeouts bound the wait.
      this.scheduleHeartbeat(group, member);
      return immediate(undefined);
    }
    return this.removeMemberAndUpdateGroup(group, member);
  }

  removeMemberAndUpdateGroup(group: ClassicGroup, member: ClassicGroupMember): CoordinatorResult<void> {
    if (member.awaitingJoin !== null) member.awaitingJoin(joinError(member.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    if (member.awaitingSync !== null) member.awaitingSync(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    member.awaitingJoin = null;
    member.awaitingSync = null;
    group.removeMember(member.memberId);
    this.timer.cancel(heartbeatKey(group.groupId, member.memberId));
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

  // ---- LeaveGroup ------------------------------------------------------------------------

  leaveGroup(req: LeaveGroupRequest, info: RequestInfo): CoordinatorResult<LeaveGroupResponse> {
    const identities = info.apiVersion <= 2 ? [{ memberId: req.memberId, groupInstanceId: null, reason: null }] : req.members;
    const reply = (errorCode: number, members: LeaveGroupResponse['members'] = []): LeaveGroupResponse => ({ throttleTimeMs: 0, errorCode, members });
    if (req.groupId === '') return immediate(reply(ErrorCode.INVALID_GROUP_ID));
    const group = this.groups.get(req.groupId);
    if (group === undefined) return immediate(reply(ErrorCode.UNKNOWN_MEMBER_ID));
    if (group.state === 'Dead') return immediate(reply(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    const records: GroupRecord[] = [];
    const onDurable: (() => void)[] = [];
    const results = identities.map((id) => {
      const errorCode = this.leaveOne(group, id.memberId, id.groupInstanceId, records, onDurable);
      return { memberId: id.memberId, groupInstanceId: id.groupInstanceId, errorCode };
    });
    const response = info.apiVersion <= 2 ? reply(results[0]!.errorCode) : reply(NONE, results);
    return { records, response, onDurable: () => { for (const fn of onDurable) fn(); } };
  }

  private leaveOne(group: ClassicGroup, memberId: string, groupInstanceId: string | null, records: GroupRecord[], onDurable: (() => void)[]): number {
    let targetId = memberId;
    if (memberId === '' && groupInstanceId !== null) {
      const staticId = group.staticMembers.get(groupInstanceId);
      if (staticId === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      targetId = staticId;
    } else if (group.pendingMembers.has(memberId)) {
      group.pendingMembers.delete(memberId);
      this.timer.cancel(heartbeatKey(group.groupId, memberId));
      collect(this.tryCompleteJoin(group), records, onDurable);
      return NONE;
    } else {
      const memberError = validateMember(group, memberId, groupInstanceId);
      if (memberError !== NONE) return memberError;
    }
    const member = group.members.get(targetId);
    if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    collect(this.removeMemberAndUpdateGroup(group, member), records, onDurable);
    return NONE;
  }

  private newUuid(): string {
    const h = randomUuid(this.random).toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
}

function collect(result: CoordinatorResult<void>, records: GroupRecord[], onDurable: (() => void)[]): void {
  records.push(...result.records);
  if (result.onDurable) onDurable.push(result.onDurable);
}

/** Kafka's ClassicGroup.validateMember: static identity first, then the member id. */
export function validateMember(group: ClassicGroup, memberId: string, groupInstanceId: string | null): number {
  if (groupInstanceId !== null) {
    const staticId = group.staticMembers.get(groupInstanceId);
    if (staticId === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (staticId !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
  }
  return group.members.has(memberId) ? NONE : ErrorCode.UNKNOWN_MEMBER_ID;
}

function resetAssignmentsWithError(group: ClassicGroup, errorCode: number): void {
  for (const m of group.members.values()) {
    m.assignment = Buffer.alloc(0);
    if (m.awaitingSync !== null) {
      const respond = m.awaitingSync;
      m.awaitingSync = null;
      respond(syncError(errorCode));
    }
  }
}

function parkJoin(member: ClassicGroupMember): Promise<JoinGroupResponse> {
  return new Promise<JoinGroupResponse>((resolve) => { member.awaitingJoin = resolve; });
}

function rebalanceTimeoutOf(req: JoinGroupRequest): number {
  // JoinGroup v0 has no rebalance timeout; Kafka uses the session timeout.
  return req.rebalanceTimeoutMs < 0 ? req.sessionTimeoutMs : req.rebalanceTimeoutMs;
}

export function joinError(memberId: string, errorCode: number): JoinGroupResponse {
  return { throttleTimeMs: 0, errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] };
}

export function syncError(errorCode: number): SyncGroupResponse {
  return { throttleTimeMs: 0, errorCode, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
}

function syncResponse(group: ClassicGroup, assignment: Buffer): SyncGroupResponse {
  return { throttleTimeMs: 0, errorCode: NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment };
}

export const heartbeatKey = (groupId: string, memberId: string) => `heartbeat/${groupId}/${memberId}`;
const joinKey = (groupId: string) => `join/${groupId}`;
const syncKey = (groupId: string) => `sync/${groupId}`;
