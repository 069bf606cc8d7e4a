/**
 * The admin side of the group coordinator: DescribeGroups, ListGroups and DeleteGroups, with
 * Kafka's state names and error codes (GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import type { DeleteGroupsResponse } from '../../protocol/messages/delete-groups.js';
import { ClassicGroup } from './classic-group.js';
import type { GroupCoordinator } from './group-coordinator.js';
import { removeOffsets } from './offsets.js';
import { groupMetadataRecord, offsetCommitRecord, type GroupRecord } from './records.js';
import type { CoordinatorResult } from './result.js';

export interface GroupDescription {
  errorCode: number;
  groupId: string;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    memberMetadata: Buffer;
    memberAssignment: Buffer;
  }[];
}

/** Kafka's ClassicGroup summary: metadata and assignments are shown only when Stable. */
export function describeGroup(coordinator: GroupCoordinator, groupId: string): GroupDescription {
  const group = coordinator.groups.get(groupId);
  if (group === undefined || group.state === 'Dead') {
    return { errorCode: ErrorCode.NONE, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] };
  }
  const stable = group.state === 'Stable';
  const protocol = group.protocolName ?? '';
  return {
    errorCode: ErrorCode.NONE,
    groupId,
    groupState: group.state,
    protocolType: group.protocolType ?? '',
    protocolData: stable ? protocol : '',
    members: [...group.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      memberMetadata: stable ? m.metadataFor(protocol) : Buffer.alloc(0),
      memberAssignment: stable ? m.assignment : Buffer.alloc(0),
    })),
  };
}

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  groupState: string;
  groupType: string;
}

/** Every live group; filters match case-insensitively as Kafka's do. Type is always "classic". */
export function listGroups(coordinator: GroupCoordinator, statesFilter: string[], typesFilter: string[]): ListedGroup[] {
  const states = new Set(statesFilter.map((s) => s.toLowerCase()));
  const types = new Set(typesFilter.map((s) => s.toLowerCase()));
  const out: ListedGroup[] = [];
  for (const g of coordinator.groups.values()) {
    if (g.state === 'Dead') continue;
    if (states.size > 0 && !states.has(g.state.toLowerCase())) continue;
    if (types.size > 0 && !types.has('classic')) continue;
    out.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state, groupType: 'classic' });
  }
  return out;
}

/**
 * DeleteGroups: tombstones for each Empty group's offsets and metadata. Applied once durable
 * (a failed write leaves groups and offsets as they were); meanwhile each group is locked
 * (`deletionInFlight`): joins and commits get Kafka's Dead-group answer, reads still see it.
 * On success exactly what the tombstones say is removed, as replay would: an offset committed
 * by a write that was already in flight outlives the group as a simple group's.
 */
export function deleteGroups(coordinator: GroupCoordinator, groupIds: string[]): CoordinatorResult<DeleteGroupsResponse> {
  const records: GroupRecord[] = [];
  const deletions: { group: ClassicGroup; offsets: { topic: string; partition: number }[] }[] = [];
  const results = groupIds.map((groupId) => {
    const group = coordinator.groups.get(groupId);
    if (group === undefined || group.isDeadOrDeleting()) return { groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND };
    if (group.state !== 'Empty') return { groupId, errorCode: ErrorCode.NON_EMPTY_GROUP };
    const offsets: { topic: string; partition: number }[] = [];
    for (const [topic, partitions] of group.offsets) {
      for (const partition of partitions.keys()) {
        offsets.push({ topic, partition });
        records.push(offsetCommitRecord(group.partition, { group: groupId, topic, partition }, null));
      }
    }
    records.push(groupMetadataRecord(group.partition, groupId, null));
    group.deletionInFlight = true;
    deletions.push({ group, offsets });
    return { groupId, errorCode: ErrorCode.NONE };
  });
  return {
    records,
    response: { throttleTimeMs: 0, results },
    onDurable: () => {
      for (const { group, offsets } of deletions) {
        group.deletionInFlight = false;
        if (coordinator.groups.get(group.groupId) !== group) continue;
        removeOffsets(group, offsets);
        group.transitionTo('Dead', coordinator.clock.now());
        coordinator.groups.delete(group.groupId);
        if (group.offsetCount() > 0) {
          const simple = new ClassicGroup(group.groupId, group.partition, group.currentStateTimestamp);
          for (const [topic, partitions] of group.offsets) simple.offsets.set(topic, partitions);
          coordinator.groups.set(group.groupId, simple);
        }
      }
    },
    onWriteFailed: (code) => {
      for (const { group } of deletions) group.deletionInFlight = false;
      return { throttleTimeMs: 0, results: results.map((r) => (r.errorCode === ErrorCode.NONE ? { groupId: r.groupId, errorCode: code } : r)) };
    },
  };
}
