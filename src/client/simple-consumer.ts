/**
 * A group-less consumer of one topic: it tracks a position per partition, fetches all the
 * partitions a leader has in one Fetch request, and resets out-of-range positions per
 * `autoOffsetReset`. With a `groupId` it starts from the group's committed offsets and commits
 * with generation -1 (a "simple" commit, no group membership), which is what our
 * console consumer's --partition mode needs. Group membership is ./group-consumer.ts.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import type { KafkaClient } from './kafka-client.js';
import { KafkaError } from './kafka-error.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, type FetchedRecord } from './operations.js';
import { DEFAULT_FETCH_SETTINGS, REFRESH_METADATA_ERRORS, fetchFromLeader, type FetchSettings } from './fetcher.js';

export type OffsetSpec = 'earliest' | 'latest' | number;

export interface SimpleConsumerOptions {
  topic: string;
  /** Partitions to read; default: all partitions of the topic. */
  partitions?: number[];
  /** Start position when there is no committed offset (default: autoOffsetReset). */
  startOffset?: OffsetSpec;
  /** What to do when a position is out of range or nothing is committed; default 'latest'. */
  autoOffsetReset?: 'earliest' | 'latest' | 'none';
  groupId?: string;
  maxWaitMs?: number;
  minBytes?: number;
  maxBytes?: number;
  partitionMaxBytes?: number;
  isolationLevel?: number;
}

export interface ConsumedRecord extends FetchedRecord {
  topic: string;
  partition: number;
}

export class SimpleConsumer {
  readonly client: KafkaClient;
  readonly topic: string;
  readonly options: SimpleConsumerOptions;
  /** Next offset to fetch, per partition. */
  readonly positions = new Map<number, number>();

  private constructor(client: KafkaClient, options: SimpleConsumerOptions) {
    this.client = client;
    this.topic = options.topic;
    this.options = options;
  }

  static async create(client: KafkaClient, options: SimpleConsumerOptions): Promise<SimpleConsumer> {
    const c = new SimpleConsumer(client, options);
    const md = await client.topicMetadata(options.topic, { refresh: true });
    const all = md.partitions.map((p) => p.partition);
    const partitions = options.partitions ?? all;
    for (const p of partitions) {
      if (!all.includes(p)) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `partition ${options.topic}-${p}`);
    }
    const committed = options.groupId !== undefined ? await client.fetchCommittedOffsets(options.groupId, options.topic, partitions, { requireStable: options.isolationLevel === 1 }) : new Map<number, number>();
    for (const p of partitions) {
      const stored = committed.get(p) ?? -1;
      if (stored >= 0 && options.startOffset === undefined) c.positions.set(p, stored);
      else c.positions.set(p, await c.resolve(p, options.startOffset ?? c.resetSpec()));
    }
    return c;
  }

  private resetSpec(): OffsetSpec {
    const reset = this.options.autoOffsetReset ?? 'latest';
    if (reset === 'none') throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `no valid offset for ${this.topic} and auto.offset.reset=none`);
    return reset;
  }

  private async resolve(partition: number, spec: OffsetSpec): Promise<number> {
    if (typeof spec === 'number') {
      if (spec >= 0) return spec;
      // Negative: that many records before the end, as kcat's -o -N does.
      const end = (await this.client.listOffsets(this.topic, partition, LATEST_TIMESTAMP, { isolationLevel: this.options.isolationLevel })).offset;
      const start = (await this.client.listOffsets(this.topic, partition, EARLIEST_TIMESTAMP)).offset;
      return Math.max(start, end + spec);
    }
    const ts = spec === 'earliest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP;
    return (await this.client.listOffsets(this.topic, partition, ts, { isolationLevel: this.options.isolationLevel })).offset;
  }

  /** One fetch round over every partition; returns the records in partition order. */
  async poll(): Promise<ConsumedRecord[]> {
    const byLeader = new Map<number, number[]>();
    for (const p of this.positions.keys()) {
      const leader = await this.client.leaderFor(this.topic, p);
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), p]);
    }
    const rounds = [...byLeader].map(([leader, partitions]) => this.fetchFrom(leader, partitions));
    const out: ConsumedRecord[] = [];
    for (const r of await Promise.all(rounds)) out.push(...r);
    return out;
  }

  private async fetchFrom(leader: number, partitions: number[]): Promise<ConsumedRecord[]> {
    const settings: FetchSettings = {
      maxWaitMs: this.options.maxWaitMs ?? DEFAULT_FETCH_SETTINGS.maxWaitMs,
      minBytes: this.options.minBytes ?? DEFAULT_FETCH_SETTINGS.minBytes,
      maxBytes: this.options.maxBytes ?? DEFAULT_FETCH_SETTINGS.maxBytes,
      partitionMaxBytes: this.options.partitionMaxBytes ?? DEFAULT_FETCH_SETTINGS.partitionMaxBytes,
      isolationLevel: this.options.isolationLevel ?? 0,
    };
    const targets = partitions.slice().sort((a, b) => a - b).map((partition) => ({ topic: this.topic, partition, offset: this.positions.get(partition)! }));
    const out: ConsumedRecord[] = [];
    for (const pf of await fetchFromLeader(this.client, leader, targets, settings)) {
      const p = pf.partition;
      if (pf.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
        this.positions.set(p, await this.resolve(p, this.resetSpec()));
        continue;
      }
      if (REFRESH_METADATA_ERRORS.has(pf.errorCode)) {
        this.client.invalidateTopic(this.topic);
        continue;
      }
      if (pf.errorCode !== ErrorCode.NONE) throw new KafkaError(pf.errorCode, `fetch ${this.topic}-${p} at offset ${pf.offset}`);
      this.positions.set(p, pf.nextOffset);
      for (const r of pf.records) out.push({ ...r, topic: this.topic, partition: p });
    }
    return out;
  }

  /** Marks a record consumed: the next fetch of its partition starts after it. */
  seek(partition: number, offset: number): void {
    this.positions.set(partition, offset);
  }

  /** Commits the current positions (or the given ones) for the group, with generation -1. */
  async commit(positions: ReadonlyMap<number, number> = this.positions): Promise<void> {
    if (this.options.groupId === undefined) return;
    const offsets = [...positions].map(([partition, offset]) => ({ topic: this.topic, partition, offset }));
    await this.client.commitOffsets(this.options.groupId, offsets);
  }
}
