/**
 * ElectLeaders (Kafka's ReplicationControlManager.electLeaders with PartitionChangeBuilder's
 * election types). Pure: the image, the partitions asked for (null: all of them) and a
 * liveness test in; one result per partition and the PartitionChangeRecords out, which the
 * caller appends with compare-and-set (TopicManager.applyChange) — the leader epoch goes up
 * by one with every leader change.
 *
 * PREFERRED (0): the first replica becomes leader if it is live and in the ISR;
 *   ELECTION_NOT_NEEDED when it already leads, PREFERRED_LEADER_NOT_AVAILABLE otherwise.
 * UNCLEAN (1): only for a partition without a live leader; the first live ISR member in
 *   replica order, else (data loss accepted) the first live replica, with an ISR of itself;
 *   ELECTION_NOT_NEEDED when the leader is live, ELIGIBLE_LEADERS_NOT_AVAILABLE when no
 *   replica is.
 * An unknown topic or partition is UNKNOWN_TOPIC_OR_PARTITION. With null (every partition),
 * partitions that need no election are left out of the answer, as Kafka does.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import type { MetadataImage, PartitionRegistration } from '../metadata/metadata-image.js';
import { NO_LEADER, type PartitionChangeRecord } from '../metadata/metadata-records.js';

export const ELECTION_PREFERRED = 0;
export const ELECTION_UNCLEAN = 1;

export interface ElectionResult {
  topic: string;
  partition: number;
  errorCode: number;
  errorMessage: string | null;
}

/** Kafka's default messages for the errors an election answers. */
const MESSAGES: Record<number, string> = {
  [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]: 'This server does not host this topic-partition.',
  [ErrorCode.ELECTION_NOT_NEEDED]: 'Leader election not needed for topic partition.',
  [ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE]: 'The preferred leader was not available.',
  [ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE]: 'Eligible topic partition leaders are not available.',
};

function result(topic: string, partition: number, errorCode: number): ElectionResult {
  return { topic, partition, errorCode, errorMessage: errorCode === ErrorCode.NONE ? null : MESSAGES[errorCode] ?? null };
}

/** The change an election of `type` makes to `p`, or the error code saying why none. */
export function electLeaderChange(p: PartitionRegistration, type: number, isLive: (brokerId: number) => boolean): { leader: number; isr?: number[] } | number {
  if (type === ELECTION_PREFERRED) {
    const preferred = p.replicas[0];
    if (preferred === undefined) return ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE;
    if (p.leader === preferred) return ErrorCode.ELECTION_NOT_NEEDED;
    if (!p.isr.includes(preferred) || !isLive(preferred)) return ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE;
    return { leader: preferred };
  }
  if (p.leader !== NO_LEADER && isLive(p.leader)) return ErrorCode.ELECTION_NOT_NEEDED;
  const liveIsr = p.isr.filter(isLive);
  const clean = p.replicas.find((b) => liveIsr.includes(b));
  if (clean !== undefined) return { leader: clean, isr: liveIsr };
  const anyLive = p.replicas.find(isLive);
  if (anyLive !== undefined) return { leader: anyLive, isr: [anyLive] };
  return ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE;
}

export function planElectLeaders(
  image: MetadataImage, type: number, asked: readonly { topic: string; partitions: readonly number[] }[] | null, isLive: (brokerId: number) => boolean,
): { results: ElectionResult[]; records: PartitionChangeRecord[] } {
  const results: ElectionResult[] = [];
  const records: PartitionChangeRecord[] = [];
  const all = asked === null;
  const targets = all
    ? [...image.topics()].map((t) => ({ topic: t.name, partitions: t.partitions.map((_, i) => i) }))
    : asked;
  for (const { topic, partitions } of targets) {
    const t = image.topic(topic);
    for (const partition of partitions) {
      const p = t?.partitions[partition];
      if (t === undefined || p === undefined) {
        results.push(result(topic, partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
        continue;
      }
      const change = electLeaderChange(p, type, isLive);
      if (typeof change === 'number') {
        if (!(all && change === ErrorCode.ELECTION_NOT_NEEDED)) results.push(result(topic, partition, change));
        continue;
      }
      records.push({ type: 'PartitionChangeRecord', topicId: t.topicId, partitionId: partition, ...change });
      results.push(result(topic, partition, ErrorCode.NONE));
    }
  }
  return { results, records };
}
