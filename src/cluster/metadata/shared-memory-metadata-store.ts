/**
 * SharedMemoryMetadataStore: the shared-store contract of metadata-store.ts over one in-memory
 * log (SharedMetadataLog) that several brokers of one process attach to — what etcd is to a
 * real cluster, for tests and simulations of several brokers in one process.
 *
 * - The log is a list of batches, each with the store that wrote it and the image after it.
 * - append(records, expectedOffset) is a compare-and-set: when the log's offset is not
 *   `expectedOffset` it rejects with MetadataConflictError and writes nothing. Without an
 *   expected offset it appends at the end (a single writer).
 * - Remote batches are delivered asynchronously (a microtask after the append, as a watch
 *   event arrives after the write), in log order and exactly once, starting after the offset
 *   load() returned; a store never hears its own batches.
 * - `failAppends` (tests): the next appends reject with StorageError, as a lost etcd would.
 * Nothing is durable: the log lives as long as the object.
 */
import { StorageError } from '../../base/errors.js';
import { EMPTY_METADATA_IMAGE, type MetadataImage } from './metadata-image.js';
import { MetadataDelta } from './metadata-delta.js';
import type { MetadataRecord } from './metadata-records.js';
import { MetadataConflictError, type MetadataStore } from './metadata-store.js';

interface Batch {
  readonly writer: SharedMemoryMetadataStore;
  readonly records: readonly MetadataRecord[];
  /** The image after this batch. */
  readonly image: MetadataImage;
}

/** The shared log; create one per simulated cluster and a store per broker with `attach()`. */
export class SharedMetadataLog {
  private readonly batches: Batch[] = [];
  private current: MetadataImage = EMPTY_METADATA_IMAGE;
  private readonly stores = new Set<SharedMemoryMetadataStore>();
  /** Tests: appends reject while this is > 0 (decremented per rejected append unless Infinity). */
  failAppends = 0;
  /** Appends rejected by `failAppends` so far. */
  failedAppends = 0;

  get image(): MetadataImage {
    return this.current;
  }

  get offset(): number {
    return this.current.offset;
  }

  attach(): SharedMemoryMetadataStore {
    return new SharedMemoryMetadataStore(this);
  }

  /** @internal */
  register(store: SharedMemoryMetadataStore): void {
    this.stores.add(store);
  }

  /** @internal */
  unregister(store: SharedMemoryMetadataStore): void {
    this.stores.delete(store);
  }

  /** @internal The batches from `index` on (the delivery cursor of a store). */
  batchesFrom(index: number): readonly Batch[] {
    return this.batches.slice(index);
  }

  get batchCount(): number {
    return this.batches.length;
  }

  /** @internal */
  append(writer: SharedMemoryMetadataStore, records: readonly MetadataRecord[], expectedOffset: number | undefined): MetadataImage {
    if (this.failAppends > 0) {
      if (this.failAppends !== Infinity) this.failAppends--;
      this.failedAppends++;
      throw new StorageError('the shared metadata log is unavailable');
    }
    if (expectedOffset !== undefined && expectedOffset !== this.current.offset) throw new MetadataConflictError(expectedOffset, this.current.offset);
    // Replay before writing: a batch that does not fit the image is a bug and is never written.
    const image = new MetadataDelta(this.current).replayAll(records).apply().image;
    this.batches.push({ writer, records, image });
    this.current = image;
    for (const s of this.stores) if (s !== writer) s.scheduleDelivery();
    return image;
  }
}

export class SharedMemoryMetadataStore implements MetadataStore {
  /** Index of the next batch to deliver (or skip, when it is ours). */
  private cursor = -1;
  private readonly remoteListeners: ((records: readonly MetadataRecord[], image: MetadataImage) => void)[] = [];
  private deliveryScheduled = false;
  private closed = false;

  constructor(private readonly log: SharedMetadataLog) {}

  async load(): Promise<MetadataImage> {
    this.cursor = this.log.batchCount;
    this.log.register(this);
    return this.log.image;
  }

  async append(records: readonly MetadataRecord[], expectedOffset?: number): Promise<MetadataImage> {
    if (this.closed) throw new StorageError('the metadata store is closed');
    if (records.length === 0) return this.log.image;
    // Remote batches before ours are delivered before ours is skipped: the cursor only moves
    // in delivery order.
    return this.log.append(this, records, expectedOffset);
  }

  onRemoteRecords(fn: (records: readonly MetadataRecord[], image: MetadataImage) => void): void {
    this.remoteListeners.push(fn);
  }

  /** @internal Called by the log when another store appended. */
  scheduleDelivery(): void {
    if (this.deliveryScheduled || this.closed) return;
    this.deliveryScheduled = true;
    queueMicrotask(() => {
      this.deliveryScheduled = false;
      this.deliver();
    });
  }

  private deliver(): void {
    if (this.closed || this.cursor < 0) return;
    for (const b of this.log.batchesFrom(this.cursor)) {
      this.cursor++;
      if (b.writer === this) continue;
      for (const fn of this.remoteListeners) fn(b.records, b.image);
      if (this.closed) return;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.log.unregister(this);
  }
}
