/**
 * A Map whose changes can be reverted to a snapshot of its SnapshotRegistry (the role of
 * apache/kafka `TimelineHashMap`). A shard's durable state is made of these, so reverting the
 * registry restores every one of them to the same moment.
 *
 * Reads are a plain Map's. `set` and `delete` record their undo while a snapshot is open.
 * Iteration order is not part of the state: a reverted delete puts the key back at the end, so
 * anything that must come out in a fixed order sorts (as with Kafka's hash maps).
 * Values are stored as given: a value that is itself mutable must be replaced, not mutated,
 * for a revert to see the change (or be a timeline collection on the same registry).
 */
import type { SnapshotRegistry } from './snapshot-registry.js';

export class TimelineMap<K, V> implements Iterable<[K, V]> {
  private readonly map = new Map<K, V>();

  constructor(private readonly registry: SnapshotRegistry) {}

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  set(key: K, value: V): this {
    if (this.registry.isRecording) {
      const map = this.map;
      if (map.has(key)) {
        const previous = map.get(key) as V;
        this.registry.recordUndo(() => { map.set(key, previous); });
      } else {
        this.registry.recordUndo(() => { map.delete(key); });
      }
    }
    this.map.set(key, value);
    return this;
  }

  delete(key: K): boolean {
    if (!this.map.has(key)) return false;
    if (this.registry.isRecording) {
      const map = this.map;
      const previous = map.get(key) as V;
      this.registry.recordUndo(() => { map.set(key, previous); });
    }
    this.map.delete(key);
    return true;
  }

  keys(): IterableIterator<K> {
    return this.map.keys();
  }

  values(): IterableIterator<V> {
    return this.map.values();
  }

  entries(): IterableIterator<[K, V]> {
    return this.map.entries();
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.map.entries();
  }
}
