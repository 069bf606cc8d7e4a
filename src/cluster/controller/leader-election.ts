/**
 * Leader election after the live set changed, after KRaft's ReplicationControlManager
 * (handleBrokerFenced / handleBrokerUnfenced with PartitionChangeBuilder). Pure: the image and
 * a liveness test in, PartitionChangeRecords out; the cluster controller appends them with
 * compare-and-set (cluster-controller.ts).
 *
 * For every partition:
 * - its leader is alive: dead brokers leave the ISR (the leader stays);
 * - its leader is dead (or there is none): the new leader is the first replica, in replica
 *   order, that is alive and in the ISR, and the ISR becomes its live members; the leader
 *   epoch then goes up by one (mergePartitionChange bumps it on every leader change);
 * - no live ISR member: with unclean.leader.election.enable (the topic's, else the broker's)
 *   the first live replica becomes leader with an ISR of itself — what it lacks is lost;
 *   otherwise the leader becomes NO_LEADER (-1) and the ISR keeps its members, so the last
 *   leader is elected again when it comes back.
 * Partitions that need no change produce no record.
 */
import type { MetadataImage, PartitionRegistration, TopicImage } from '../metadata/metadata-image.js';
import { NO_LEADER, type PartitionChangeRecord } from '../metadata/metadata-records.js';

export function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The change one partition needs, or null. */
export function electionChange(p: PartitionRegistration, isLive: (brokerId: number) => boolean, unclean = false): { leader?: number; isr?: number[] } | null {
  const liveIsr = p.isr.filter(isLive);
  if (p.leader !== NO_LEADER && isLive(p.leader)) {
    return sameList(liveIsr, p.isr) ? null : { isr: liveIsr };
  }
  const leader = p.replicas.find((b) => liveIsr.includes(b));
  if (leader !== undefined) return sameList(liveIsr, p.isr) ? { leader } : { leader, isr: liveIsr };
  const lastResort = unclean ? p.replicas.find(isLive) : undefined;
  if (lastResort !== undefined) return { leader: lastResort, isr: [lastResort] };
  return p.leader === NO_LEADER ? null : { leader: NO_LEADER };
}

export function planLeaderElections(image: MetadataImage, isLive: (brokerId: number) => boolean, unclean: (topic: TopicImage) => boolean = () => false): PartitionChangeRecord[] {
  const records: PartitionChangeRecord[] = [];
  for (const t of image.topics()) {
    const uncleanAllowed = unclean(t);
    t.partitions.forEach((p, partitionId) => {
      const c = electionChange(p, isLive, uncleanAllowed);
      if (c !== null) records.push({ type: 'PartitionChangeRecord', topicId: t.topicId, partitionId, ...c });
    });
  }
  return records;
}
