/**
 * Pending transactional offsets of one `__consumer_offsets` shard (apache/kafka
 * OffsetMetadataManager `pendingTransactionalOffsets` + `openTransactions`): what a
 * TxnOffsetCommit wrote inside a transaction that has not ended yet, per producer id, and for
 * each group/topic/partition the producers with an open transaction on it.
 *
 * Contract: changed only by replay (timeline maps on the shard's registry, so a failed write
 * reverts them): an OffsetCommit record of a transactional batch adds a pending offset
 * (`add`), a tombstone drops every pending offset of that partition (`removePartition`), and
 * the producer's COMMIT/ABORT marker ends its transaction (`end`: the pending offsets are
 * handed back for a commit to materialize, and forgotten). OffsetFetch never shows pending
 * offsets; with requireStable it answers UNSTABLE_OFFSET_COMMIT for a partition that has one
 * (`isOpen`). Values are never mutated, only replaced.
 */
import type { SnapshotRegistry } from '../runtime/snapshot-registry.js';
import { TimelineMap } from '../runtime/timeline-map.js';
import type { CommittedOffset } from './classic-group.js';
import { CommittedOffsets, type ListedOffset } from './committed-offsets.js';

const partitionKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

function splitKey(key: string): { topic: string; partition: number } {
  const at = key.lastIndexOf('\u0000');
  return { topic: key.slice(0, at), partition: Number(key.slice(at + 1)) };
}

export class PendingTransactionalOffsets {
  /** producer id → the offsets its open transaction committed. */
  private readonly byProducer: TimelineMap<number, CommittedOffsets>;
  /** group → topic\0partition → producer ids with a pending offset there. */
  private readonly open: TimelineMap<string, TimelineMap<string, readonly number[]>>;

  constructor(private readonly registry: SnapshotRegistry) {
    this.byProducer = new TimelineMap(registry);
    this.open = new TimelineMap(registry);
  }

  add(producerId: number, groupId: string, topic: string, partition: number, value: CommittedOffset, order: number): void {
    let offsets = this.byProducer.get(producerId);
    if (offsets === undefined) this.byProducer.set(producerId, (offsets = new CommittedOffsets(this.registry)));
    offsets.set(groupId, topic, partition, value, order);
    let partitions = this.open.get(groupId);
    if (partitions === undefined) this.open.set(groupId, (partitions = new TimelineMap(this.registry)));
    const key = partitionKey(topic, partition);
    const producers = partitions.get(key) ?? [];
    if (!producers.includes(producerId)) partitions.set(key, [...producers, producerId]);
  }

  /** A tombstone for the partition: every producer's pending offset of it is dropped. */
  removePartition(groupId: string, topic: string, partition: number): void {
    const partitions = this.open.get(groupId);
    const key = partitionKey(topic, partition);
    const producers = partitions?.get(key);
    if (producers === undefined) return;
    for (const producerId of producers) this.deleteOffset(producerId, groupId, topic, partition);
    this.deleteOpen(groupId, key);
  }

  /**
   * The producer's transaction ended: its pending offsets (with their replay order) are
   * forgotten and returned, for a COMMIT to materialize. Empty if it had none.
   */
  end(producerId: number): { groupId: string; offsets: (ListedOffset & { order: number })[] }[] {
    const offsets = this.byProducer.get(producerId);
    if (offsets === undefined) return [];
    this.byProducer.delete(producerId);
    const out = offsets.groupIds().sort().map((groupId) => ({ groupId, offsets: offsets.listWithOrder(groupId) }));
    for (const { groupId, offsets: list } of out) {
      for (const { topic, partition } of list) {
        const key = partitionKey(topic, partition);
        const producers = this.open.get(groupId)?.get(key);
        if (producers === undefined) continue;
        const rest = producers.filter((p) => p !== producerId);
        if (rest.length === 0) this.deleteOpen(groupId, key);
        else this.open.get(groupId)!.set(key, rest);
      }
    }
    return out;
  }

  /** Whether some open transaction has a pending offset for the partition. */
  isOpen(groupId: string, topic: string, partition: number): boolean {
    return this.open.get(groupId)?.has(partitionKey(topic, partition)) ?? false;
  }

  /** Whether the group has any pending offset. */
  hasGroup(groupId: string): boolean {
    return this.open.has(groupId);
  }

  /** The partitions of the group that have pending offsets, sorted. */
  partitions(groupId: string): { topic: string; partition: number }[] {
    const partitions = this.open.get(groupId);
    if (partitions === undefined) return [];
    return [...partitions.keys()].map(splitKey).sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
  }

  /** Groups with pending offsets. */
  groupIds(): string[] {
    return [...this.open.keys()];
  }

  /** The pending offset of one producer (tests and diagnostics). */
  get(producerId: number, groupId: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.byProducer.get(producerId)?.get(groupId, topic, partition);
  }

  /** Producer ids with an open transaction on this shard. */
  producerIds(): number[] {
    return [...this.byProducer.keys()].sort((a, b) => a - b);
  }

  private deleteOffset(producerId: number, groupId: string, topic: string, partition: number): void {
    const offsets = this.byProducer.get(producerId);
    if (offsets === undefined) return;
    offsets.delete(groupId, topic, partition);
    if (offsets.isEmpty) this.byProducer.delete(producerId);
  }

  private deleteOpen(groupId: string, key: string): void {
    const partitions = this.open.get(groupId);
    if (partitions === undefined) return;
    partitions.delete(key);
    if (partitions.size === 0) this.open.delete(groupId);
  }
}
