/**
 * A group of the classic (JoinGroup/SyncGroup) protocol and its members: the in-memory model
 * the coordinator mutates. Pure data plus small queries; the transitions live in
 * group-coordinator-shard.ts. Mirrors apache/kafka `ClassicGroup` / `ClassicGroupMember`.
 * Committed offsets are not here: they are the shard's CommittedOffsets (as Kafka keeps them
 * in OffsetMetadataManager), so that they can be replayed and reverted on their own.
 *
 * A ClassicGroup object is not a timeline structure: it is mutated in place by membership
 * operations (which write with replayRecords=false and apply in onDurable, see
 * runtime/coordinator-shard.ts); the shard's map of groups is one, so creating or deleting a
 * group reverts with a failed write.
 *
 * States (Kafka's names, as DescribeGroups/ListGroups report them):
 *   Empty → PreparingRebalance → CompletingRebalance → Stable → PreparingRebalance ...
 *   Dead: reported for a group that does not exist (deleted, or all its offsets expired while
 *   Empty); a group in the shard's map is never Dead.
 */
import type { JoinGroupResponse } from '../../protocol/messages/join-group.js';
import type { SyncGroupResponse } from '../../protocol/messages/sync-group.js';
import { subscribedTopics } from './consumer-protocol.js';

export type ClassicGroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export const CONSUMER_PROTOCOL_TYPE = 'consumer';

export interface Protocol {
  name: string;
  metadata: Buffer;
}

export interface CommittedOffset {
  offset: number;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  /** -1 unless the commit carried an explicit retention (OffsetCommit v2-4). */
  expireTimestamp: number;
}

export class ClassicGroupMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  protocolType: string;
  protocols: Protocol[];
  assignment: Buffer = Buffer.alloc(0);
  /** A JoinGroup parked until the rebalance completes. */
  awaitingJoin: ((r: JoinGroupResponse) => void) | null = null;
  /** A SyncGroup parked until the leader's assignment is durable. */
  awaitingSync: ((r: SyncGroupResponse) => void) | null = null;
  /**
   * Added by a JoinGroup and not yet through a completed join phase: its parked JoinGroup does
   * not count as a heartbeat, so it expires after the new-member join timeout (KIP-394).
   */
  isNew = false;

  constructor(init: {
    memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string;
    rebalanceTimeoutMs: number; sessionTimeoutMs: number; protocolType: string; protocols: Protocol[];
  }) {
    this.memberId = init.memberId;
    this.groupInstanceId = init.groupInstanceId;
    this.clientId = init.clientId;
    this.clientHost = init.clientHost;
    this.rebalanceTimeoutMs = init.rebalanceTimeoutMs;
    this.sessionTimeoutMs = init.sessionTimeoutMs;
    this.protocolType = init.protocolType;
    this.protocols = init.protocols;
  }

  metadataFor(protocol: string): Buffer {
    const p = this.protocols.find((x) => x.name === protocol);
    return p === undefined ? Buffer.alloc(0) : p.metadata;
  }

  /** Same protocol names, in the same order, with the same metadata bytes. */
  matches(protocols: Protocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false;
    return protocols.every((p, i) => p.name === this.protocols[i]!.name && p.metadata.equals(this.protocols[i]!.metadata));
  }
}

export class ClassicGroup {
  readonly groupId: string;
  state: ClassicGroupState = 'Empty';
  currentStateTimestamp: number;
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, ClassicGroupMember>();
  /** groupInstanceId → memberId for static members. */
  readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED, not yet joined. */
  readonly pendingMembers = new Set<string>();
  /** Members of this generation that have not sent SyncGroup yet. */
  readonly pendingSyncMembers = new Set<string>();
  /** True while an initial (new group) rebalance delay is running. */
  initialDelayActive = false;
  newMemberAdded = false;

  constructor(groupId: string, nowMs: number) {
    this.groupId = groupId;
    this.currentStateTimestamp = nowMs;
  }

  /** State-changing requests to a Dead group get Kafka's answer for it (COORDINATOR_NOT_AVAILABLE). */
  isDead(): boolean {
    return this.state === 'Dead';
  }

  transitionTo(state: ClassicGroupState, nowMs: number): void {
    this.state = state;
    this.currentStateTimestamp = nowMs;
  }

  isEmpty(): boolean {
    return this.members.size === 0;
  }

  /** The largest rebalance timeout of all members: how long a rebalance may take. */
  rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  awaitingJoinCount(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.awaitingJoin !== null) n++;
    return n;
  }

  hasAllMembersJoined(): boolean {
    return this.members.size === this.awaitingJoinCount() && this.pendingMembers.size === 0;
  }

  addMember(member: ClassicGroupMember): void {
    if (this.members.size === 0) this.protocolType = member.protocolType;
    if (this.leaderId === null) this.leaderId = member.memberId;
    this.members.set(member.memberId, member);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
  }

  removeMember(memberId: string): ClassicGroupMember | undefined {
    this.pendingMembers.delete(memberId);
    const member = this.members.get(memberId);
    if (member === undefined) return undefined;
    this.members.delete(memberId);
    this.pendingSyncMembers.delete(memberId);
    if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === memberId) {
      this.staticMembers.delete(member.groupInstanceId);
    }
    if (this.leaderId === memberId) {
      const next = [...this.members.values()].find((m) => m.awaitingJoin !== null) ?? this.members.values().next().value;
      this.leaderId = next === undefined ? null : next.memberId;
    }
    return member;
  }

  /**
   * Kafka's maybeElectNewJoinedLeader: keep the leader if it rejoined, else hand leadership to
   * any member that did. False when no member rejoined.
   */
  maybeElectNewJoinedLeader(): boolean {
    const leader = this.leaderId === null ? undefined : this.members.get(this.leaderId);
    if (leader !== undefined && leader.awaitingJoin !== null) return true;
    for (const m of this.members.values()) {
      if (m.awaitingJoin !== null) {
        this.leaderId = m.memberId;
        return true;
      }
    }
    return false;
  }

  /**
   * Kafka's supportsProtocols: an Empty group takes any non-empty protocol type and list;
   * otherwise the type must match and one protocol must be supported by every member —
   * including the joining member's own current protocols, so a member cannot switch to an
   * entirely new set of protocols without a generation that still shares one.
   */
  supportsProtocols(protocolType: string, protocols: Protocol[]): boolean {
    if (this.state === 'Empty') return protocolType.length > 0 && protocols.length > 0;
    if (this.protocolType !== protocolType) return false;
    const members = [...this.members.values()];
    return protocols.some((p) => members.every((m) => m.protocols.some((q) => q.name === p.name)));
  }

  /**
   * Kafka's selectProtocol: among the protocols every member supports, each member votes for
   * the first one in its own preference order; the most votes win (ties go to the leader's order).
   * `protocolsOf` lets a caller ask what would be selected if a member's protocols changed.
   */
  selectProtocol(protocolsOf: (m: ClassicGroupMember) => Protocol[] = (m) => m.protocols): string {
    const members = [...this.members.values()];
    const leader = (this.leaderId !== null ? this.members.get(this.leaderId) : undefined) ?? members[0]!;
    const supports = (m: ClassicGroupMember, name: string) => protocolsOf(m).some((q) => q.name === name);
    const candidates = protocolsOf(leader).map((p) => p.name).filter((name) => members.every((m) => supports(m, name)));
    const votes = new Map<string, number>();
    for (const m of members) {
      const choice = protocolsOf(m).find((p) => candidates.includes(p.name));
      if (choice !== undefined) votes.set(choice.name, (votes.get(choice.name) ?? 0) + 1);
    }
    let best = candidates[0]!;
    for (const c of candidates) if ((votes.get(c) ?? 0) > (votes.get(best) ?? 0)) best = c;
    return best;
  }

  /** Topics subscribed by the members, or null when unknown (not the consumer protocol). */
  subscribedTopics(): Set<string> | null {
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE || this.protocolName === null) return null;
    const topics = new Set<string>();
    for (const m of this.members.values()) {
      const parsed = subscribedTopics(m.metadataFor(this.protocolName));
      if (parsed === null) return null;
      for (const t of parsed) topics.add(t);
    }
    return topics;
  }
}
