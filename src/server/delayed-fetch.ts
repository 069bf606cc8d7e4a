/**
 * Long polling for Fetch (Kafka's DelayedFetch + fetch purgatory). A Fetch that found fewer
 * than minBytes waits until one of its partitions has data past the offset it fetches from
 * (the high watermark or last stable offset for consumers, the log end for followers), one of
 * its partitions stops (topic deleted, leadership lost: Kafka completes delayed fetches when it
 * stops a replica — also when it had stopped before the wait began), its connection closes, or
 * maxWaitMs passes. Waking is driven by Partition.onStateChange; the only timer is one per
 * waiting request (the injected clock), never a polling loop.
 *
 * The purgatory has a limit on waiting requests; beyond it a Fetch answers at once with what
 * it has (the client simply fetches again), rather than buffering without bound.
 */
import type { Clock } from '../base/clock.js';
import type { Partition } from '../cluster/partition.js';

export interface WatchedPartition {
  partition: Partition;
  fetchOffset: number;
  /** Returns the offset this fetch may read up to (high watermark or last stable offset). */
  limit: () => number;
}

export const DEFAULT_MAX_WAITING_FETCHES = 10_000;

type Outcome = 'woken' | 'timeout' | 'full' | 'closed';

export class FetchPurgatory {
  private waiting = 0;
  private closed = false;
  /** Finishers of the waiting fetches, so close() can release them. */
  private readonly finishers = new Set<(outcome: Outcome) => void>();
  private readonly maxWaiting: number;
  private readonly clock: Clock;

  constructor(clock: Clock, maxWaiting = DEFAULT_MAX_WAITING_FETCHES) {
    this.clock = clock;
    this.maxWaiting = maxWaiting;
  }

  get size(): number {
    return this.waiting;
  }

  /**
   * Resolves 'woken' as soon as a watched partition has data past its fetch offset (checked
   * first synchronously: an append may have landed while the caller was reading), 'timeout'
   * after timeoutMs, 'full' at once when the purgatory is at its limit, or 'closed' when the
   * broker shuts down or `closedSignal` (the requesting connection's) aborts (the caller
   * answers with what it has, without reading again).
   */
  wait(partitions: WatchedPartition[], timeoutMs: number, closedSignal?: AbortSignal): Promise<Outcome> {
    if (this.closed || closedSignal?.aborted === true) return Promise.resolve('closed');
    if (partitions.some((p) => p.partition.isStopped || p.limit() > p.fetchOffset)) return Promise.resolve('woken');
    if (timeoutMs <= 0) return Promise.resolve('timeout');
    if (this.waiting >= this.maxWaiting) return Promise.resolve('full');
    this.waiting++;
    return new Promise((resolve) => {
      let done = false;
      const unsubscribes: (() => void)[] = [];
      const finish = (outcome: Outcome): void => {
        if (done) return;
        done = true;
        this.waiting--;
        this.finishers.delete(finish);
        timer.cancel();
        for (const u of unsubscribes) u();
        closedSignal?.removeEventListener('abort', onClosed);
        resolve(outcome);
      };
      const onClosed = (): void => finish('closed');
      const seen = new Set<Partition>();
      for (const p of partitions) {
        if (seen.has(p.partition)) continue;
        seen.add(p.partition);
        unsubscribes.push(p.partition.onStateChange(() => {
          // A stopped partition (topic deleted, leadership lost) wakes the fetch too: its re-read reports the error.
          if (p.partition.isStopped || partitions.some((q) => q.partition === p.partition && q.limit() > q.fetchOffset)) finish('woken');
        }));
      }
      const timer = this.clock.schedule(timeoutMs, () => finish('timeout'));
      this.finishers.add(finish);
      closedSignal?.addEventListener('abort', onClosed, { once: true });
    });
  }

  /** Called by Broker.closeServices(): releases every waiting fetch. */
  close(): void {
    this.closed = true;
    for (const finish of [...this.finishers]) finish('closed');
  }
}
