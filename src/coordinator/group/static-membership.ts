/**
 * Static membership (KIP-345) in the classic group protocol: a member with a
 * group.instance.id that comes back without its member id gets a new id that replaces the old
 * one, which is fenced (FENCED_INSTANCE_ID). Kafka's updateStaticMemberThenRebalanceOrCompleteJoin
 * and ClassicGroup.replaceStaticMember.
 *
 * In a Stable group whose selected protocol would not change, the replacement is persisted
 * without a rebalance: written first (replayRecords=false), applied once durable (a failed write
 * leaves the old id in place, as Kafka's revert does). Otherwise the new id joins a rebalance.
 * The shard runs one operation at a time, so a second replacement decides only after the
 * first one's snapshot of the group is durable and applied, and its own snapshot includes it.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import type { JoinGroupRequest, JoinGroupResponse } from '../../protocol/messages/join-group.js';
import { ClassicGroupMember, type ClassicGroup } from './classic-group.js';
import type { RequestInfo } from './group-config.js';
import type { GroupCoordinatorShard, GroupResult } from './group-coordinator-shard.js';
import { copyProtocols, heartbeatKey, joinError, rebalanceTimeoutOf, syncError } from './member-responses.js';
import { groupMetadataRecord } from './records.js';
import { groupMetadataValue } from './replay.js';

/**
 * KIP-345: a static member came back without its member id; a new id replaces the old one,
 * which is fenced (FENCED_INSTANCE_ID). Like Kafka's updateStaticMemberThenRebalanceOrCompleteJoin.
 */
export function replaceStaticMember(coordinator: GroupCoordinatorShard, group: ClassicGroup, oldMemberId: string, newMemberId: string, req: JoinGroupRequest, info: RequestInfo): GroupResult<JoinGroupResponse> {
  const old = group.members.get(oldMemberId)!;
  // Kafka keeps the old member's client id and host, and takes the request's protocols and timeouts.
  const member = new ClassicGroupMember({
    memberId: newMemberId, groupInstanceId: req.groupInstanceId, clientId: old.clientId, clientHost: old.clientHost,
    rebalanceTimeoutMs: rebalanceTimeoutOf(req), sessionTimeoutMs: req.sessionTimeoutMs, protocolType: old.protocolType,
    protocols: copyProtocols(req),
  });
  member.assignment = old.assignment;
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
function replaceStableStaticMember(coordinator: GroupCoordinatorShard, group: ClassicGroup, old: ClassicGroupMember, member: ClassicGroupMember, info: RequestInfo): GroupResult<JoinGroupResponse> {
  const instanceId = member.groupInstanceId!;
  const generationId = group.generationId;
  const previousLeader = group.leaderId ?? '';
  const stillCurrent = () => coordinator.groups.get(group.groupId) === group && group.state === 'Stable' &&
    group.generationId === generationId && group.staticMembers.get(instanceId) === old.memberId && group.members.get(old.memberId) === old;
  let answer: (r: JoinGroupResponse) => void = () => undefined;
  const response = new Promise<JoinGroupResponse>((resolve) => { answer = resolve; });
  return {
    records: [groupMetadataRecord(group.groupId, groupMetadataValue(group, undefined, { oldMemberId: old.memberId, member }))],
    replayRecords: false,
    response,
    onDurable: () => {
      if (!stillCurrent()) {
        // Defensive (the shard runs one operation at a time, so nothing moves the group while
        // the write is in flight): the next generation's record would supersede this one, and
        // the client rejoins without an id.
        answer(joinError('', ErrorCode.UNKNOWN_MEMBER_ID));
      } else {
        applyStaticReplacement(coordinator, group, old, member);
        const isLeader = group.leaderId === member.memberId;
        answer(info.apiVersion >= 9
          ? { ...coordinator.joinResponse(group, member.memberId, isLeader), skipAssignment: isLeader }
          : { ...coordinator.joinResponse(group, member.memberId, false), leader: previousLeader });
      }
    },
    onWriteFailed: (code) => {
      const failed: JoinGroupResponse = {
        ...joinError('', code), generationId: group.generationId, protocolType: group.protocolType, protocolName: group.protocolName, leader: previousLeader,
      };
      answer(failed);
      return failed;
    },
  };
}

/** Swaps a static member's old id for the new one: the old id's parked requests are fenced. */
export function applyStaticReplacement(coordinator: GroupCoordinatorShard, group: ClassicGroup, old: ClassicGroupMember, member: ClassicGroupMember): void {
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
