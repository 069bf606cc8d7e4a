/**
 * The committed offsets of one `__consumer_offsets` shard: group → topic → partition →
 * CommittedOffset, in timeline maps (apache/kafka `OffsetMetadataManager.Offsets`), so a failed
 * write reverts them with the rest of the shard. Changed only by replaying OffsetCommit records
 * (replay.ts) and COMMIT markers (transactional-offsets.ts). Values are never mutated, only
 * replaced. Empty inner maps are removed, so a group with no offsets has no entry.
 *
 * Each offset also carries the replay order of the record that wrote it (Kafka keeps the
 * record's log offset): when a transaction commits, its offset replaces a committed one only
 * if it was written later, so a plain OffsetCommit made while the transaction was open wins
 * (OffsetMetadataManager.replayEndTransactionMarker). The order is a counter of the shard's
 * replays: at load it follows the log, at run time the writes, which happen in the same order.
 * It is not part of what OffsetFetch or `list()` show.
 */
import type { SnapshotRegistry } from '../runtime/snapshot-registry.js';
import { TimelineMap } from '../runtime/timeline-map.js';
import type { CommittedOffset } from './classic-group.js';

interface StoredOffset {
  readonly value: CommittedOffset;
  readonly order: number;
}

type TopicOffsets = TimelineMap<number, StoredOffset>;
type GroupOffsets = TimelineMap<string, TopicOffsets>;

export interface ListedOffset {
  topic: string;
  partition: number;
  offset: CommittedOffset;
}

export class CommittedOffsets {
  private readonly byGroup: TimelineMap<string, GroupOffsets>;

  constructor(private readonly registry: SnapshotRegistry) {
    this.byGroup = new TimelineMap(registry);
  }

  get(groupId: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.byGroup.get(groupId)?.get(topic)?.get(partition)?.value;
  }

  /** The replay order of the record that wrote the offset (-1 if none). */
  orderOf(groupId: string, topic: string, partition: number): number {
    return this.byGroup.get(groupId)?.get(topic)?.get(partition)?.order ?? -1;
  }

  set(groupId: string, topic: string, partition: number, value: CommittedOffset, order = 0): void {
    let topics = this.byGroup.get(groupId);
    if (topics === undefined) this.byGroup.set(groupId, (topics = new TimelineMap(this.registry)));
    let partitions = topics.get(topic);
    if (partitions === undefined) topics.set(topic, (partitions = new TimelineMap(this.registry)));
    partitions.set(partition, { value, order });
  }

  delete(groupId: string, topic: string, partition: number): boolean {
    const topics = this.byGroup.get(groupId);
    const partitions = topics?.get(topic);
    if (partitions === undefined || !partitions.delete(partition)) return false;
    if (partitions.size === 0) topics!.delete(topic);
    if (topics!.size === 0) this.byGroup.delete(groupId);
    return true;
  }

  count(groupId: string): number {
    let n = 0;
    for (const partitions of this.byGroup.get(groupId)?.values() ?? []) n += partitions.size;
    return n;
  }

  /** The group's committed offsets, topics and partitions in ascending order. */
  list(groupId: string): ListedOffset[] {
    return this.listWithOrder(groupId).map(({ topic, partition, offset }) => ({ topic, partition, offset }));
  }

  /** list() with each offset's replay order. */
  listWithOrder(groupId: string): (ListedOffset & { order: number })[] {
    const topics = this.byGroup.get(groupId);
    if (topics === undefined) return [];
    const out: (ListedOffset & { order: number })[] = [];
    for (const topic of [...topics.keys()].sort()) {
      const partitions = topics.get(topic)!;
      for (const partition of [...partitions.keys()].sort((a, b) => a - b)) {
        const stored = partitions.get(partition)!;
        out.push({ topic, partition, offset: stored.value, order: stored.order });
      }
    }
    return out;
  }

  /** Groups that have committed offsets. */
  groupIds(): string[] {
    return [...this.byGroup.keys()];
  }

  get isEmpty(): boolean {
    return this.byGroup.size === 0;
  }
}
