/**
 * Small pieces of the classic membership protocol shared by group-coordinator-shard.ts and
 * static-membership.ts: Kafka's member validation, the error/assignment responses of
 * JoinGroup and SyncGroup, and timer keys.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import type { JoinGroupRequest, JoinGroupResponse } from '../../protocol/messages/join-group.js';
import type { SyncGroupResponse } from '../../protocol/messages/sync-group.js';
import type { ClassicGroup, ClassicGroupMember, Protocol } from './classic-group.js';

const NONE = ErrorCode.NONE;

export function copyProtocols(req: JoinGroupRequest): Protocol[] {
  return req.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) }));
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

export function resetAssignmentsWithError(group: ClassicGroup, errorCode: number): void {
  for (const m of group.members.values()) {
    m.assignment = Buffer.alloc(0);
    if (m.awaitingSync !== null) {
      const respond = m.awaitingSync;
      m.awaitingSync = null;
      respond(syncError(errorCode));
    }
  }
}

export function parkJoin(member: ClassicGroupMember): Promise<JoinGroupResponse> {
  return new Promise<JoinGroupResponse>((resolve) => { member.awaitingJoin = resolve; });
}

export function rebalanceTimeoutOf(req: JoinGroupRequest): number {
  // JoinGroup v0 has no rebalance timeout; Kafka uses the session timeout.
  return req.rebalanceTimeoutMs < 0 ? req.sessionTimeoutMs : req.rebalanceTimeoutMs;
}

export function joinError(memberId: string, errorCode: number): JoinGroupResponse {
  return { throttleTimeMs: 0, errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] };
}

export function syncError(errorCode: number): SyncGroupResponse {
  return { throttleTimeMs: 0, errorCode, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
}

export function syncResponse(group: ClassicGroup, assignment: Buffer): SyncGroupResponse {
  return { throttleTimeMs: 0, errorCode: NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment };
}

export const heartbeatKey = (groupId: string, memberId: string) => `heartbeat/${groupId}/${memberId}`;
export const joinKey = (groupId: string) => `join/${groupId}`;
export const syncKey = (groupId: string) => `sync/${groupId}`;
