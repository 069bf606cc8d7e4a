/**
 * Static membership (KIP-345) in the classic group protocol: a member with a
 * group.instance.id that comes back without its member id gets a new id that replaces the old
 * one, which is fenced (FENCED_INSTANCE_ID). Kafka's updateStaticMemberThenRebalanceOrCompleteJoin
 * and ClassicGroup.replaceStaticMember.
 *
 * In a Stable group whose selected protocol would not change, the replacement is persisted
 * without a rebalance: written first, applied once durable (a failed write leaves the old id
 * in place, as Kafka's revert does). Otherwise the new id joins a rebalance.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import type { JoinGroupRequest, JoinGroupResponse } from '../../protocol/messages/join-group.js';
import { ClassicGroupMember, type ClassicGroup } from './classic-group.js';
import type { GroupCoordinator } from './group-coordinator.js';
import { copyProtocols, heartbeatKey, joinError, rebalanceTimeoutOf, syncError } from './member-responses.js';
import { groupMetadataRecord } from './records.js';
import { groupMetadataValue } from './replay.js';
import type { CoordinatorResult, RequestInfo } from './result.js';

/**
 * KIP-345: a static member came back without its member id; a new id replaces the old one,
 * which is fenced (FENCED_INSTANCE_ID). Like Kafka's updateStaticMemberThenRebalanceOrCompleteJoin.
 */
export function replaceStaticMember(coordinator: GroupCoordinator, group: ClassicGroup, oldMemberId: string, newMemberId: string, req: JoinGroupRequest, info: RequestInfo): CoordinatorResult<JoinGroupResponse> {
  const old = group.members.get(oldMemberId)!;
  // Kafka keeps the old member's client id and host, and takes the request's protocols and timeouts.
  const member = new ClassicGroupMember({
    memberId: newMemberId, groupInstanceId: req.groupInstanceId, clientId: old.clientId, clientHost: old.clientHost,
    rebalanceTimeoutMs: rebalanceTimeoutOf(req), sessionTimeoutMs: req.sessionTimeoutMs, protocolType: old.protocolType,
    protocols: copyProtocols(req),
  });
  member.assignment = old.assignment;
  if (group.state === 'Stable' && group.staticReplacementInFlight) return afterInFlightReplacement(coordinator, group, req, info);
  if (group.state === 'Stable') {
    const selected = group.selectProtocol((m) => (m.memberId === oldMemberId ? member.protocols : m.protocols));
    // The selected protocol stays: persist the new id, no rebalance (the member keeps its assignment).
    if (selected === group.protocolName) return replaceStableStaticMember(coordinator, group, old, member, info);
  }
  // Otherwise (a protocol change, or mid-rebalance, where the leader may be assigning to the
  // old id) the new id joins a rebalance; nothing is written until that generation's sync.
  applyStaticReplacement(coordinator, group, old, member);
  return coordinator.updateMemberAndRebalance(group, member, req);
}

/**
 * The replacement in a Stable group is written first and applied once durable (so a failed
 * write leaves the old id in place, as Kafka's revert does). Answers before v9 name the
 * leader as it was, so a replaced leader does not reassign; from v9 the leader gets the
 * members and skipAssignment (KIP-814).
 */
function replaceStableStaticMember(coordinator: GroupCoordinator, group: ClassicGroup, old: ClassicGroupMember, member: ClassicGroupMember, info: RequestInfo): CoordinatorResult<JoinGroupResponse> {
  const instanceId = member.groupInstanceId!;
  const generationId = group.generationId;
  const previousLeader = group.leaderId ?? '';
  const stillCurrent = () => coordinator.groups.get(group.groupId) === group && group.state === 'Stable' &&
    group.generationId === generationId && group.staticMembers.get(instanceId) === old.memberId && group.members.get(old.memberId) === old;
  let answer: (r: JoinGroupResponse) => void = () => undefined;
  const response = new Promise<JoinGroupResponse>((resolve) => { answer = resolve; });
  group.staticReplacementInFlight = true;
  const settled = () => {
    group.staticReplacementInFlight = false;
    for (const retry of group.afterMetadataWrite.splice(0)) retry();
  };
  return {
    records: [groupMetadataRecord(group.partition, group.groupId, groupMetadataValue(group, undefined, { oldMemberId: old.memberId, member }))],
    response,
    onDurable: () => {
      if (!stillCurrent()) {
        // The group moved on (a rebalance began) while the write was in flight; the next
        // generation's record supersedes this one. The client rejoins without an id.
        answer(joinError('', ErrorCode.UNKNOWN_MEMBER_ID));
      } else {
        applyStaticReplacement(coordinator, group, old, member);
        const isLeader = group.leaderId === member.memberId;
        answer(info.apiVersion >= 9
          ? { ...coordinator.joinResponse(group, member.memberId, isLeader), skipAssignment: isLeader }
          : { ...coordinator.joinResponse(group, member.memberId, false), leader: previousLeader });
      }
      settled();
    },
    onWriteFailed: (code) => {
      const failed: JoinGroupResponse = {
        ...joinError('', code), generationId: group.generationId, protocolType: group.protocolType, protocolName: group.protocolName, leader: previousLeader,
      };
      answer(failed);
      settled();
      return failed;
    },
  };
}

/**
 * Another replacement's snapshot of this group is being written: decide this JoinGroup again
 * once that write settles (so every durable snapshot includes every applied replacement).
 */
function afterInFlightReplacement(coordinator: GroupCoordinator, group: ClassicGroup, req: JoinGroupRequest, info: RequestInfo): CoordinatorResult<JoinGroupResponse> {
  const response = new Promise<JoinGroupResponse>((resolve) => {
    group.afterMetadataWrite.push(() => coordinator.timer.execute(() => {
      const retry = coordinator.joinGroup(req, info);
      return {
        records: retry.records,
        response: Promise.resolve(retry.response).then(resolve),
        onDurable: retry.onDurable,
        onWriteFailed: (code, appendErrorCode) => { resolve(retry.onWriteFailed?.(code, appendErrorCode) ?? joinError('', code)); },
      };
    }));
  });
  return { records: [], response };
}

/** Swaps a static member's old id for the new one: the old id's parked requests are fenced. */
export function applyStaticReplacement(coordinator: GroupCoordinator, group: ClassicGroup, old: ClassicGroupMember, member: ClassicGroupMember): void {
  if (old.awaitingJoin !== null) old.awaitingJoin(joinError(old.memberId, ErrorCode.FENCED_INSTANCE_ID));
  if (old.awaitingSync !== null) old.awaitingSync(syncError(ErrorCode.FENCED_INSTANCE_ID));
  old.awaitingJoin = null;
  old.awaitingSync = null;
  coordinator.timer.cancel(heartbeatKey(group.groupId, old.memberId));
  const wasLeader = group.leaderId === old.memberId;
  const wasPendingSync = group.pendingSyncMembers.has(old.memberId);
  group.removeMember(old.memberId);
  group.addMember(member);
  if (wasLeader) group.leaderId = member.memberId;
  if (wasPendingSync) group.pendingSyncMembers.add(member.memberId);
  coordinator.scheduleHeartbeat(group, member);
}
