/**
 * The leader-epoch cache of one partition, persisted as `<partition dir>/leader-epoch-checkpoint`
 * in Kafka's checkpoint format (see checkpoint-file.ts), one `epoch startOffset` line per
 * epoch, ascending. Each entry says "epoch E starts at offset O": the first offset written by
 * a leader of that epoch. Followers use it (OffsetForLeaderEpoch) to find where their log
 * diverges from the leader's; Kafka's semantics for endOffsetFor are kept exactly.
 */
import type { FileSystem } from '../base/file-system.js';
import { readCheckpoint, writeCheckpoint } from './checkpoint-file.js';

export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1;

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

export class LeaderEpochCache {
  private entries: EpochEntry[] = [];

  constructor(private readonly fs: FileSystem, readonly path: string) {}

  static async load(fs: FileSystem, path: string): Promise<LeaderEpochCache> {
    const cache = new LeaderEpochCache(fs, path);
    for (const [epoch, startOffset] of await readCheckpoint(fs, path, 2)) {
      cache.entries.push({ epoch: Number(epoch), startOffset: Number(startOffset) });
    }
    return cache;
  }

  get latestEpoch(): number {
    return this.entries.length === 0 ? UNDEFINED_EPOCH : this.entries[this.entries.length - 1]!.epoch;
  }

  all(): EpochEntry[] {
    return this.entries.map((e) => ({ ...e }));
  }

  /** Records that `epoch` starts at `startOffset`; returns true when the cache changed. */
  assign(epoch: number, startOffset: number): boolean {
    if (epoch < 0) return false;
    if (epoch <= this.latestEpoch) return false;
    // Entries at or after startOffset belong to a history this epoch replaces.
    while (this.entries.length > 0 && this.entries[this.entries.length - 1]!.startOffset >= startOffset) this.entries.pop();
    this.entries.push({ epoch, startOffset });
    return true;
  }

  /**
   * Kafka's LeaderEpochFileCache.endOffsetFor: the latest epoch <= requested and the start
   * offset of the next epoch after it (logEndOffset when it is the latest epoch).
   */
  endOffsetFor(requestedEpoch: number, logEndOffset: number): { leaderEpoch: number; endOffset: number } {
    if (requestedEpoch === UNDEFINED_EPOCH || this.entries.length === 0) {
      return { leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    }
    if (requestedEpoch === this.latestEpoch) return { leaderEpoch: requestedEpoch, endOffset: logEndOffset };
    const higher = this.entries.find((e) => e.epoch > requestedEpoch);
    if (higher === undefined) return { leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    let floor: EpochEntry | undefined;
    for (const e of this.entries) if (e.epoch <= requestedEpoch) floor = e;
    if (floor === undefined) return { leaderEpoch: requestedEpoch, endOffset: higher.startOffset };
    return { leaderEpoch: floor.epoch, endOffset: higher.startOffset };
  }

  /** Drops entries starting at or after endOffset (log truncated to endOffset). */
  truncateFromEnd(endOffset: number): boolean {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => e.startOffset < endOffset);
    return this.entries.length !== before;
  }

  /** The log now starts at startOffset: the epoch covering it starts there. */
  truncateFromStart(startOffset: number): boolean {
    let changed = false;
    while (this.entries.length > 1 && this.entries[1]!.startOffset <= startOffset) {
      this.entries.shift();
      changed = true;
    }
    const first = this.entries[0];
    if (first !== undefined && first.startOffset < startOffset) {
      first.startOffset = startOffset;
      changed = true;
    }
    return changed;
  }

  clear(): void {
    this.entries = [];
  }

  async persist(): Promise<void> {
    await writeCheckpoint(this.fs, this.path, this.entries.map((e) => [e.epoch, e.startOffset]));
  }
}
