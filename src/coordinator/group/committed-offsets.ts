/**
 * The committed offsets of one `__consumer_offsets` shard: group → topic → partition →
 * CommittedOffset, in timeline maps (apache/kafka `OffsetMetadataManager.Offsets`), so a failed
 * write reverts them with the rest of the shard. Changed only by replaying OffsetCommit records
 * (replay.ts). Values are never mutated, only replaced. Empty inner maps are removed, so a
 * group with no offsets has no entry.
 */
import type { SnapshotRegistry } from '../runtime/snapshot-registry.js';
import { TimelineMap } from '../runtime/timeline-map.js';
import type { CommittedOffset } from './classic-group.js';

type TopicOffsets = TimelineMap<number, CommittedOffset>;
type GroupOffsets = TimelineMap<string, TopicOffsets>;

export class CommittedOffsets {
  private readonly byGroup: TimelineMap<string, GroupOffsets>;

  constructor(private readonly registry: SnapshotRegistry) {
    this.byGroup = new TimelineMap(registry);
  }

  get(groupId: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.byGroup.get(groupId)?.get(topic)?.get(partition);
  }

  set(groupId: string, topic: string, partition: number, value: CommittedOffset): void {
    let topics = this.byGroup.get(groupId);
    if (topics === undefined) this.byGroup.set(groupId, (topics = new TimelineMap(this.registry)));
    let partitions = topics.get(topic);
    if (partitions === undefined) topics.set(topic, (partitions = new TimelineMap(this.registry)));
    partitions.set(partition, value);
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
  list(groupId: string): { topic: string; partition: number; offset: CommittedOffset }[] {
    const topics = this.byGroup.get(groupId);
    if (topics === undefined) return [];
    const out: { topic: string; partition: number; offset: CommittedOffset }[] = [];
    for (const topic of [...topics.keys()].sort()) {
      const partitions = topics.get(topic)!;
      for (const partition of [...partitions.keys()].sort((a, b) => a - b)) out.push({ topic, partition, offset: partitions.get(partition)! });
    }
    return out;
  }

  /** Groups that have committed offsets. */
  groupIds(): string[] {
    return [...this.byGroup.keys()];
  }
}
