/**
 * ReplicaFetcherManager: which leader each followed partition is fetched from (Kafka's
 * ReplicaFetcherManager / AbstractFetcherManager), one ReplicaFetcher — and one BrokerChannel —
 * per leader broker. The ReplicaManager calls `addPartition` when it makes a partition a
 * follower of a (new) leader or epoch, and `removePartition` when it becomes leader, loses its
 * leader, or stops. A fetcher without partitions sleeps; all close on shutdown.
 */
import type { Clock } from '../../base/clock.js';
import type { Logger } from '../../base/logger.js';
import type { Transport } from '../../base/transport.js';
import type { Partition } from '../partition.js';
import { BrokerChannel } from './broker-channel.js';
import { ReplicaFetcher, type ReplicaFetchConfig } from './replica-fetcher.js';

export interface ReplicaFetcherManagerOptions {
  localBrokerId: number;
  transport: Transport;
  clock: Clock;
  logger: Logger;
  /** A broker's inter-broker endpoint from the current metadata, or null. */
  endpoint(brokerId: number): { host: string; port: number } | null;
  /** replica.fetch.* (read at every round: they may change). */
  config(): ReplicaFetchConfig;
  /** replica.socket.timeout.ms: connecting and OffsetForLeaderEpoch; a Fetch gets replica.fetch.wait.max.ms more. */
  requestTimeoutMs: number;
}

export class ReplicaFetcherManager {
  private readonly fetchers = new Map<number, ReplicaFetcher>();
  private closed = false;

  constructor(private readonly opts: ReplicaFetcherManagerOptions) {}

  /** Fetches `p` from its current leader (truncation first), and from no other fetcher. */
  addPartition(p: Partition): void {
    if (this.closed || p.leaderId < 0 || p.leaderId === this.opts.localBrokerId) return;
    for (const [id, f] of this.fetchers) if (id !== p.leaderId) f.remove(p);
    this.fetcherFor(p.leaderId).add(p);
  }

  removePartition(p: Partition): void {
    for (const f of this.fetchers.values()) f.remove(p);
  }

  /** Whether `p` is being fetched from `leaderId` (tests and diagnostics). */
  isFetching(p: Partition, leaderId = p.leaderId): boolean {
    return this.fetchers.get(leaderId)?.has(p) ?? false;
  }

  fetcher(leaderId: number): ReplicaFetcher | undefined {
    return this.fetchers.get(leaderId);
  }

  async shutdown(): Promise<void> {
    this.closed = true;
    const all = [...this.fetchers.values()];
    this.fetchers.clear();
    await Promise.all(all.map((f) => f.close()));
  }

  private fetcherFor(leaderId: number): ReplicaFetcher {
    let f = this.fetchers.get(leaderId);
    if (f === undefined) {
      const { opts } = this;
      const channel = new BrokerChannel(leaderId, {
        transport: opts.transport, clock: opts.clock, endpoint: () => opts.endpoint(leaderId),
        clientId: `broker-${opts.localBrokerId}-fetcher-${leaderId}`, requestTimeoutMs: opts.requestTimeoutMs,
        maxResponseBytes: Math.max(opts.config().responseMaxBytes, opts.config().maxBytes) + 1024 * 1024 * 10,
      });
      f = new ReplicaFetcher(leaderId, opts.localBrokerId, channel, opts.config, opts.clock, opts.logger);
      this.fetchers.set(leaderId, f);
    }
    return f;
  }
}
