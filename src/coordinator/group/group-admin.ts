/**
 * The admin side of the group coordinator, on one shard: DescribeGroups, ListGroups and
 * DeleteGroups, with Kafka's state names and error codes (GROUP_ID_NOT_FOUND,
 * NON_EMPTY_GROUP). Requests that span shards are split and merged by
 * group-coordinator-service.ts.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import type { DeleteGroupsResponse } from '../../protocol/messages/delete-groups.js';
import type { GroupCoordinatorShard, GroupResult } from './group-coordinator-shard.js';
import { groupMetadataRecord, offsetCommitRecord, type GroupRecord } from './records.js';

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
export function describeGroup(shard: GroupCoordinatorShard, groupId: string): GroupDescription {
  const group = shard.groups.get(groupId);
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
export function listGroups(shard: GroupCoordinatorShard, statesFilter: string[], typesFilter: string[]): ListedGroup[] {
  const states = new Set(statesFilter.map((s) => s.toLowerCase()));
  const types = new Set(typesFilter.map((s) => s.toLowerCase()));
  const out: ListedGroup[] = [];
  for (const g of shard.groups.values()) {
    if (g.state === 'Dead') continue;
    if (states.size > 0 && !states.has(g.state.toLowerCase())) continue;
    if (types.size > 0 && !types.has('classic')) continue;
    out.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state, groupType: 'classic' });
  }
  return out;
}

/**
 * DeleteGroups for the groups of one shard: tombstones for each Empty group's offsets and then
 * its metadata, in one batch. The runtime replays them (the groups and offsets are gone) and
 * reverts that if the write fails, so a group is deleted in memory exactly when it is on disk.
 * A group id named twice is GROUP_ID_NOT_FOUND the second time.
 */
export function deleteGroups(shard: GroupCoordinatorShard, groupIds: string[]): GroupResult<DeleteGroupsResponse> {
  const records: GroupRecord[] = [];
  const deleting = new Set<string>();
  const results = groupIds.map((groupId) => {
    const group = shard.groups.get(groupId);
    if (group === undefined || group.isDead() || deleting.has(groupId)) return { groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND };
    if (group.state !== 'Empty') return { groupId, errorCode: ErrorCode.NON_EMPTY_GROUP };
    for (const { topic, partition } of shard.offsets.list(groupId)) records.push(offsetCommitRecord({ group: groupId, topic, partition }, null));
    // Pending transactional offsets are tombstoned too (one tombstone per partition).
    for (const { topic, partition } of shard.pendingOffsets.partitions(groupId)) {
      if (shard.offsets.get(groupId, topic, partition) === undefined) records.push(offsetCommitRecord({ group: groupId, topic, partition }, null));
    }
    records.push(groupMetadataRecord(groupId, null));
    deleting.add(groupId);
    return { groupId, errorCode: ErrorCode.NONE };
  });
  return {
    records,
    response: { throttleTimeMs: 0, results },
    onWriteFailed: (code) => ({ throttleTimeMs: 0, results: results.map((r) => (r.errorCode === ErrorCode.NONE ? { groupId: r.groupId, errorCode: code } : r)) }),
  };
}
