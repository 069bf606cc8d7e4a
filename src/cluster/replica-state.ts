/**
 * A follower replica's fetch state as its leader tracks it (Kafka's `Replica`/`ReplicaState`):
 * where its log ends and starts, when it last fetched, and when it was last caught up — the
 * facts that decide whether it belongs in the ISR and whether the high watermark waits for it.
 *
 * "Caught up" follows Kafka: a fetch at or past the leader's log end makes the follower caught
 * up as of that fetch; a fetch at or past where the leader's log ended at the previous fetch
 * makes it caught up as of the previous fetch. A follower is in sync while it has been caught
 * up within replica.lag.time.max.ms.
 */
export class ReplicaState {
  /** -1 until the follower fetches under the current leader epoch. */
  logEndOffset = -1;
  logStartOffset = -1;
  lastFetchTimeMs = 0;
  /** 0: never caught up in this epoch. */
  lastCaughtUpTimeMs = 0;
  /** The leader's log end offset when the previous fetch was served. */
  lastFetchLeaderLogEndOffset = -1;

  constructor(readonly brokerId: number, caughtUpAtMs = 0) {
    this.lastCaughtUpTimeMs = caughtUpAtMs;
  }

  updateFetchState(fetchOffset: number, followerLogStartOffset: number, fetchTimeMs: number, leaderEndOffset: number): void {
    if (fetchOffset >= leaderEndOffset) this.lastCaughtUpTimeMs = Math.max(this.lastCaughtUpTimeMs, fetchTimeMs);
    else if (this.lastFetchLeaderLogEndOffset >= 0 && fetchOffset >= this.lastFetchLeaderLogEndOffset) {
      this.lastCaughtUpTimeMs = Math.max(this.lastCaughtUpTimeMs, this.lastFetchTimeMs);
    }
    this.logEndOffset = fetchOffset;
    this.logStartOffset = followerLogStartOffset;
    this.lastFetchTimeMs = fetchTimeMs;
    this.lastFetchLeaderLogEndOffset = leaderEndOffset;
  }

  /** Kafka's isCaughtUp: at the leader's end, or caught up within `maxLagMs`. */
  isCaughtUp(leaderEndOffset: number, nowMs: number, maxLagMs: number): boolean {
    return this.logEndOffset === leaderEndOffset || (this.lastCaughtUpTimeMs > 0 && nowMs - this.lastCaughtUpTimeMs <= maxLagMs);
  }

  snapshot(): ReplicaFetchState {
    return {
      brokerId: this.brokerId, logEndOffset: this.logEndOffset, logStartOffset: this.logStartOffset, lastFetchTimeMs: this.lastFetchTimeMs,
      lastCaughtUpTimeMs: this.lastCaughtUpTimeMs, lastFetchLeaderLogEndOffset: this.lastFetchLeaderLogEndOffset,
    };
  }
}

export interface ReplicaFetchState {
  readonly brokerId: number;
  readonly logEndOffset: number;
  readonly logStartOffset: number;
  readonly lastFetchTimeMs: number;
  readonly lastCaughtUpTimeMs: number;
  readonly lastFetchLeaderLogEndOffset: number;
}
