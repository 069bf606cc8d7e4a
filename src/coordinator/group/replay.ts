/**
 * Between the in-memory groups and their records: `groupMetadataValue` snapshots a group as a
 * GroupMetadataValue, `replayRecord` applies one record of `__consumer_offsets` to a shard.
 *
 * An offset record of a transactional batch (producer id >= 0) is pending: it is kept per
 * producer (transactional-offsets.ts) until that producer's COMMIT or ABORT marker is replayed
 * (`replayEndTransactionMarker`), which moves it into the committed offsets or drops it.
 *
 * replayRecord is the only code that changes a shard's committed offsets, and (with the
 * membership operations' onDurable, see group-coordinator-shard.ts) the only code that
 * creates or deletes groups from records. It changes only timeline collections (the shard's
 * `groups` and `offsets`) and never mutates a ClassicGroup that is already in the map, so the
 * runtime can revert it.
 *
 * A loaded group with members is Stable (its generation's assignment was durable, or it would
 * not have been written), one without members is Empty. An offset for a group that has no
 * group metadata belongs to a "simple" group (standalone commits, no protocol type), which
 * exists while it has offsets.
 */
import { NO_PRODUCER_ID, type TransactionResult } from '../runtime/coordinator-shard.js';
import { ClassicGroup, ClassicGroupMember } from './classic-group.js';
import type { GroupCoordinatorShard } from './group-coordinator-shard.js';
import type { GroupMetadataValue, GroupRecord } from './records.js';

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

export function replayRecord(shard: GroupCoordinatorShard, record: GroupRecord, producerId = NO_PRODUCER_ID): void {
  if (record.type === 'offset') {
    const { group: groupId, topic, partition } = record.key;
    if (record.value === null) {
      // A tombstone removes the committed offset and every transaction's pending one.
      shard.offsets.delete(groupId, topic, partition);
      shard.pendingOffsets.removePartition(groupId, topic, partition);
      const group = shard.groups.get(groupId);
      if (group !== undefined && group.protocolType === null && group.isEmpty() && shard.offsets.count(groupId) === 0 && !shard.pendingOffsets.hasGroup(groupId)) {
        shard.groups.delete(groupId);
      }
      return;
    }
    if (!shard.groups.has(groupId)) shard.groups.set(groupId, new ClassicGroup(groupId, shard.clock.now()));
    const v = record.value;
    const offset = {
      offset: v.offset, leaderEpoch: v.leaderEpoch, metadata: v.metadata, commitTimestamp: v.commitTimestamp, expireTimestamp: v.expireTimestamp,
    };
    // Inside a transaction the offset stays pending until the producer's marker arrives.
    if (producerId === NO_PRODUCER_ID) shard.offsets.set(groupId, topic, partition, offset, shard.nextReplayOrder());
    else shard.pendingOffsets.add(producerId, groupId, topic, partition, offset, shard.nextReplayOrder());
    return;
  }

  const groupId = record.key.group;
  const existing = shard.groups.get(groupId);
  if (record.value === null) {
    if (existing === undefined) return;
    if (shard.offsets.count(groupId) === 0 && !shard.pendingOffsets.hasGroup(groupId)) {
      shard.groups.delete(groupId);
    } else {
      // Offsets written after the group's deletion (or pending in a transaction) outlive it, as a simple group.
      shard.groups.set(groupId, new ClassicGroup(groupId, existing.currentStateTimestamp));
    }
    return;
  }
  const v = record.value;
  const group = new ClassicGroup(groupId, v.currentStateTimestamp < 0 ? shard.clock.now() : v.currentStateTimestamp);
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
  shard.groups.set(groupId, group);
}

/**
 * A COMMIT/ABORT marker of `producerId` reached the shard's partition (Kafka's
 * OffsetMetadataManager.replayEndTransactionMarker): its pending offsets are dropped, and on
 * COMMIT each becomes the committed offset unless a later plain commit already replaced it.
 */
export function replayEndTransactionMarker(shard: GroupCoordinatorShard, producerId: number, result: TransactionResult): void {
  const ended = shard.pendingOffsets.end(producerId);
  if (result !== 'COMMIT') return;
  for (const { groupId, offsets } of ended) {
    for (const { topic, partition, offset, order } of offsets) {
      if (order > shard.offsets.orderOf(groupId, topic, partition)) shard.offsets.set(groupId, topic, partition, offset, order);
    }
  }
}
