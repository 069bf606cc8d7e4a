/**
 * Controlled shutdown, the controller's side (KRaft's ReplicationControlManager
 * handleBrokerInControlledShutdown; the ZooKeeper controller's ControlledShutdownLeaderSelector).
 * Pure: the image, who is live and who is shutting down in; PartitionChangeRecords out.
 *
 * For every partition with a replica on a broker in controlled shutdown:
 * - that broker leads it: the new leader is the first replica, in replica order, that is live,
 *   not shutting down and in the ISR; the ISR loses the shutting-down brokers; the leader epoch
 *   goes up by one (mergePartitionChange bumps it on every leader change). Clients and
 *   followers see the move before the broker stops serving.
 * - it follows: it leaves the ISR, so acks=all stops waiting for a replica about to go.
 * - no other live ISR member: nothing changes — the broker keeps leading (and stays in the
 *   ISR) until it goes; it then waits a bounded time and stops anyway (docs/cluster.md), and
 *   the partition is offline until it returns, as in Kafka (no unclean election).
 * Partitions whose leader is dead are the election's (leader-election.ts); the caller plans
 * those first and leaves them to the next run here (`skip`).
 */
import type { MetadataImage, PartitionRegistration } from '../metadata/metadata-image.js';
import { NO_LEADER, type PartitionChangeRecord } from '../metadata/metadata-records.js';

/** The change one partition needs because of brokers in controlled shutdown, or null. */
export function controlledShutdownChange(
  p: PartitionRegistration, isLive: (brokerId: number) => boolean, isShuttingDown: (brokerId: number) => boolean,
): { leader?: number; isr?: number[] } | null {
  if (!p.replicas.some(isShuttingDown)) return null;
  const remaining = p.isr.filter((b) => isLive(b) && !isShuttingDown(b));
  if (remaining.length === 0) return null;
  const isr = p.isr.filter((b) => !isShuttingDown(b));
  if (p.leader !== NO_LEADER && isShuttingDown(p.leader)) {
    const leader = p.replicas.find((b) => remaining.includes(b))!;
    return { leader, isr };
  }
  return isr.length === p.isr.length ? null : { isr };
}

/** Every partition's controlled-shutdown change, except those in `skip` ("topicId:partition"). */
export function planControlledShutdown(
  image: MetadataImage, isLive: (brokerId: number) => boolean, isShuttingDown: (brokerId: number) => boolean, skip: ReadonlySet<string> = new Set(),
): PartitionChangeRecord[] {
  const records: PartitionChangeRecord[] = [];
  for (const t of image.topics()) {
    const id = t.topicId.toString('hex');
    t.partitions.forEach((p, partitionId) => {
      if (skip.has(`${id}:${partitionId}`)) return;
      const c = controlledShutdownChange(p, isLive, isShuttingDown);
      if (c !== null) records.push({ type: 'PartitionChangeRecord', topicId: t.topicId, partitionId, ...c });
    });
  }
  return records;
}

/** The key planControlledShutdown's `skip` takes for a record. */
export function partitionKey(r: PartitionChangeRecord): string {
  return `${r.topicId.toString('hex')}:${r.partitionId}`;
}

/**
 * The partitions a broker in controlled shutdown still leads that the controller can move (a
 * live ISR member not shutting down exists): the broker waits until there are none.
 */
export function movableLeaderships(image: MetadataImage, brokerId: number, isLive: (brokerId: number) => boolean, isShuttingDown: (brokerId: number) => boolean): number {
  let n = 0;
  for (const t of image.topics()) {
    for (const p of t.partitions) {
      if (p.leader === brokerId && p.isr.some((b) => b !== brokerId && isLive(b) && !isShuttingDown(b))) n++;
    }
  }
  return n;
}
