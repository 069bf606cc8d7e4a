/**
 * Client-side partition assignors for the classic consumer protocol: the group leader runs one
 * over every member's subscription and sends the result in SyncGroup. Two of Kafka's, with the
 * same results as the Java client (without rack awareness):
 *
 * - `range` (RangeAssignor, the Java default's first choice): per topic, the subscribed members
 *   in order each get a contiguous range; the first `partitions % members` get one extra.
 * - `roundrobin` (RoundRobinAssignor): every subscribed partition, sorted by topic then
 *   partition, is dealt to the members in order, skipping members not subscribed to its topic.
 *
 * Members are ordered as Kafka's MemberInfo: those with a group.instance.id first (by it), then
 * the rest by member id. Partitions of unknown topics (count missing) are not assigned.
 */
import type { TopicPartitions } from '../protocol/consumer-protocol.js';

export type AssignorName = 'range' | 'roundrobin';
export const ASSIGNOR_NAMES: readonly AssignorName[] = ['range', 'roundrobin'];

export interface AssignorMember {
  memberId: string;
  groupInstanceId: string | null;
  topics: string[];
}

/** memberId → its partitions, grouped by topic in the order first assigned. */
export type GroupAssignment = Map<string, TopicPartitions[]>;

function compareMembers(a: AssignorMember, b: AssignorMember): number {
  if (a.groupInstanceId !== null && b.groupInstanceId !== null) return cmp(a.groupInstanceId, b.groupInstanceId);
  if (a.groupInstanceId !== null) return -1;
  if (b.groupInstanceId !== null) return 1;
  return cmp(a.memberId, b.memberId);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function add(out: GroupAssignment, memberId: string, topic: string, partition: number): void {
  const list = out.get(memberId)!;
  let entry = list.find((e) => e.topic === topic);
  if (entry === undefined) {
    entry = { topic, partitions: [] };
    list.push(entry);
  }
  entry.partitions.push(partition);
}

function emptyAssignment(members: readonly AssignorMember[]): GroupAssignment {
  return new Map(members.map((m) => [m.memberId, []]));
}

export function rangeAssign(members: readonly AssignorMember[], partitionsPerTopic: ReadonlyMap<string, number>): GroupAssignment {
  const out = emptyAssignment(members);
  const topics = [...new Set(members.flatMap((m) => m.topics))].sort(cmp);
  for (const topic of topics) {
    const count = partitionsPerTopic.get(topic);
    if (count === undefined) continue;
    const subscribed = members.filter((m) => m.topics.includes(topic)).sort(compareMembers);
    const per = Math.floor(count / subscribed.length);
    const extra = count % subscribed.length;
    subscribed.forEach((m, i) => {
      const start = per * i + Math.min(i, extra);
      const length = per + (i < extra ? 1 : 0);
      for (let p = start; p < start + length; p++) add(out, m.memberId, topic, p);
    });
  }
  return out;
}

export function roundRobinAssign(members: readonly AssignorMember[], partitionsPerTopic: ReadonlyMap<string, number>): GroupAssignment {
  const out = emptyAssignment(members);
  const sorted = [...members].sort(compareMembers);
  if (sorted.length === 0) return out;
  const topics = [...new Set(members.flatMap((m) => m.topics))].sort(cmp);
  let next = 0;
  for (const topic of topics) {
    const count = partitionsPerTopic.get(topic) ?? 0;
    for (let p = 0; p < count; p++) {
      // Deal to the next member subscribed to this topic (one exists: the topic came from a subscription).
      while (!sorted[next % sorted.length]!.topics.includes(topic)) next++;
      add(out, sorted[next % sorted.length]!.memberId, topic, p);
      next++;
    }
  }
  return out;
}

export function assign(name: AssignorName, members: readonly AssignorMember[], partitionsPerTopic: ReadonlyMap<string, number>): GroupAssignment {
  return name === 'range' ? rangeAssign(members, partitionsPerTopic) : roundRobinAssign(members, partitionsPerTopic);
}
