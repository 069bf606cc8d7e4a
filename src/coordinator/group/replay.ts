/**
 * Between the in-memory groups and their records: `groupMetadataValue` snapshots a group as a
 * GroupMetadataValue, `replayRecord` applies one record of `__consumer_offsets` to the groups.
 *
 * A loaded group with members is Stable (its generation's assignment was durable, or it would
 * not have been written), one without members is Empty. An offset for a group that has no
 * group metadata belongs to a "simple" group (standalone commits, no protocol type).
 */
import { ClassicGroup, ClassicGroupMember } from './classic-group.js';
import type { GroupCoordinator } from './group-coordinator.js';
import type { DecodedGroupRecord, GroupMetadataValue } from './records.js';

/**
 * The group as a GroupMetadataValue. `assignments` overrides the members' assignments (the
 * leader's SyncGroup); `replace` shows one member replaced by another (a static member's new
 * id), so a caller can write a state before applying it.
 */
export function groupMetadataValue(
  group: ClassicGroup,
  assignments?: Map<string, Buffer>,
  replace?: { oldMemberId: string; member: ClassicGroupMember },
): GroupMetadataValue {
  const protocol = group.protocolName;
  const members = [...group.members.values()].map((m) => (replace !== undefined && m.memberId === replace.oldMemberId ? replace.member : m));
  const leader = replace !== undefined && group.leaderId === replace.oldMemberId ? replace.member.memberId : group.leaderId;
  return {
    protocolType: group.protocolType ?? '',
    generation: group.generationId,
    protocol,
    leader,
    currentStateTimestamp: group.currentStateTimestamp,
    members: members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      rebalanceTimeout: m.rebalanceTimeoutMs,
      sessionTimeout: m.sessionTimeoutMs,
      subscription: protocol === null ? Buffer.alloc(0) : m.metadataFor(protocol),
      assignment: assignments === undefined ? m.assignment : assignments.get(m.memberId) ?? Buffer.alloc(0),
    })),
  };
}

/** The GroupMetadataValue of the group's next, empty generation (no members, no protocol). */
export function emptyGenerationValue(group: ClassicGroup, nowMs: number): GroupMetadataValue {
  return { protocolType: group.protocolType ?? '', generation: group.generationId + 1, protocol: null, leader: null, currentStateTimestamp: nowMs, members: [] };
}

export function replayRecord(coordinator: GroupCoordinator, record: DecodedGroupRecord): void {
  if (record.type === 'offset') {
    const { group: groupId, topic, partition } = record.key;
    if (record.value === null) {
      const group = coordinator.groups.get(groupId);
      const partitions = group?.offsets.get(topic);
      partitions?.delete(partition);
      if (partitions?.size === 0) group!.offsets.delete(topic);
      if (group !== undefined && group.protocolType === null && group.isEmpty() && group.offsetCount() === 0) coordinator.groups.delete(groupId);
      return;
    }
    const group = coordinator.getOrCreateGroup(groupId);
    let partitions = group.offsets.get(topic);
    if (partitions === undefined) group.offsets.set(topic, (partitions = new Map()));
    const v = record.value;
    partitions.set(partition, {
      offset: v.offset, leaderEpoch: v.leaderEpoch, metadata: v.metadata, commitTimestamp: v.commitTimestamp, expireTimestamp: v.expireTimestamp,
    });
    return;
  }

  const groupId = record.key.group;
  const existing = coordinator.groups.get(groupId);
  if (record.value === null) {
    if (existing === undefined) return;
    if (existing.offsetCount() === 0) {
      coordinator.groups.delete(groupId);
    } else {
      // Offsets written after the group's deletion outlive it, as a simple group.
      const simple = new ClassicGroup(groupId, existing.partition, existing.currentStateTimestamp);
      for (const [t, p] of existing.offsets) simple.offsets.set(t, p);
      coordinator.groups.set(groupId, simple);
    }
    return;
  }
  const v = record.value;
  const group = new ClassicGroup(groupId, coordinator.partitionFor(groupId), v.currentStateTimestamp);
  if (existing !== undefined) for (const [t, p] of existing.offsets) group.offsets.set(t, p);
  group.generationId = v.generation;
  group.protocolType = v.protocolType === '' ? null : v.protocolType;
  group.protocolName = v.protocol;
  group.leaderId = v.leader;
  for (const m of v.members) {
    const member = new ClassicGroupMember({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      rebalanceTimeoutMs: m.rebalanceTimeout,
      sessionTimeoutMs: m.sessionTimeout,
      protocolType: v.protocolType,
      // Copies: the decoded bytes are views into a large read buffer that must not stay pinned.
      protocols: v.protocol === null ? [] : [{ name: v.protocol, metadata: Buffer.from(m.subscription) }],
    });
    member.assignment = Buffer.from(m.assignment);
    group.members.set(member.memberId, member);
    if (member.groupInstanceId !== null) group.staticMembers.set(member.groupInstanceId, member.memberId);
  }
  group.state = group.isEmpty() ? 'Empty' : 'Stable';
  if (v.currentStateTimestamp < 0) group.currentStateTimestamp = coordinator.clock.now();
  coordinator.groups.set(groupId, group);
}
