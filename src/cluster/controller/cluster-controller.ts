/**
 * ClusterController: what the elected controller does (membership/ decides who that is). For
 * now, one duty: when the live set changes, move leaderships away from dead brokers and back
 * to returning ones (leader-election.ts), written to the shared metadata log through the
 * TopicManager, which appends with compare-and-set and plans again after a conflict.
 *
 * It runs on every broker but acts only while `membership.isController()`; a broker that
 * becomes controller checks at once, since its predecessor may have died before acting.
 *
 * Start-up grace (KRaft's BrokerHeartbeatManager gives every broker a fresh session when a
 * controller activates): a broker this process has never seen alive counts as alive until one
 * session timeout after the controller started. Otherwise, when a whole cluster restarts, the
 * first broker back would move every leadership to itself and shrink every ISR before the
 * others had time to register. A broker seen alive and then gone is dead at once.
 * Runs are serialized; a change arriving during a run causes one more run after it. A failed
 * run (etcd unreachable) is retried after `retryMs`.
 *
 * Fencing: every decision is appended with `fenceNextAppend(controllerEpoch)` (the epoch this
 * broker held when it planned), so a write from a controller deposed meanwhile is refused by
 * etcd in the same txn (ControllerFencedError) instead of landing after its successor's.
 *
 * Not done yet: controlled shutdown, preferred-leader rebalancing.
 */
import type { Clock } from '../../base/clock.js';
import type { Logger } from '../../base/logger.js';
import type { MetadataImage } from '../metadata/metadata-image.js';
import type { MetadataRecord } from '../metadata/metadata-records.js';
import type { BrokerMembership } from '../membership/broker-membership.js';
import { planLeaderElections } from './leader-election.js';
import { ControllerFencedError } from '../metadata/metadata-store.js';

export interface ControllerTarget {
  applyChange<R>(plan: (image: MetadataImage) => { results: R[]; records: MetadataRecord[] }): Promise<R[]>;
}

export interface ClusterControllerOptions {
  membership: BrokerMembership;
  topics: ControllerTarget;
  clock: Clock;
  logger: Logger;
  retryMs?: number;
  /** etcd.session.timeout.ms: the start-up grace for brokers never seen alive. */
  sessionTimeoutMs: number;
  /**
   * Shared stores: the next metadata append must find this controller epoch still current
   * (EtcdMetadataStore.fenceNextAppend); null clears it. Called right before the append.
   */
  fenceNextAppend?(controllerEpoch: number | null): void;
}

export class ClusterController {
  private running = false;
  private dirty = false;
  private closed = false;
  /** Brokers this process has seen in the live set. */
  private readonly seen = new Set<number>();
  private graceEndMs = 0;
  /** Runs that wrote records (for tests and logs). */
  elections = 0;

  constructor(private readonly opts: ClusterControllerOptions) {}

  start(): void {
    const { membership, clock, sessionTimeoutMs } = this.opts;
    this.graceEndMs = clock.monotonicMs() + sessionTimeoutMs;
    for (const id of membership.liveBrokers().keys()) this.seen.add(id);
    membership.addListener({
      brokersChanged: (brokers) => {
        for (const id of brokers.keys()) this.seen.add(id);
        this.poke();
      },
      controllerChanged: () => this.poke(),
    });
    clock.schedule(sessionTimeoutMs, () => this.poke());
    this.poke();
  }

  /** Alive for elections: in the live set, or never seen and still within the start-up grace. */
  private isLive(live: ReadonlyMap<number, unknown>, brokerId: number): boolean {
    return live.has(brokerId) || (!this.seen.has(brokerId) && this.opts.clock.monotonicMs() < this.graceEndMs);
  }

  close(): void {
    this.closed = true;
  }

  /** Asks for a run (now, or after the current one). */
  poke(): void {
    if (this.closed) return;
    this.dirty = true;
    if (!this.running) void this.run();
  }

  private async run(): Promise<void> {
    const { membership, topics, logger, clock } = this.opts;
    this.running = true;
    try {
      while (this.dirty && !this.closed) {
        this.dirty = false;
        if (!membership.isController()) continue;
        try {
          const written = await topics.applyChange((image) => {
            // Planned again after a conflict: still the controller? The live set as it is now.
            if (!membership.isController()) return { results: [0], records: [] };
            const live = membership.liveBrokers();
            const records = planLeaderElections(image, (b) => this.isLive(live, b));
            if (records.length > 0) this.opts.fenceNextAppend?.(membership.controllerEpoch());
            return { results: [records.length], records };
          });
          if (written[0]! > 0) {
            this.elections++;
            logger.info('controller moved partition leaderships after a membership change', { changes: written[0], liveBrokers: [...membership.liveBrokers().keys()] });
          }
        } catch (err) {
          this.opts.fenceNextAppend?.(null);
          if (err instanceof ControllerFencedError) {
            logger.warn('controller decision refused: this broker is no longer the controller', { error: err.message });
            continue;
          }
          logger.warn('controller could not write partition changes; retrying', { error: String(err) });
          clock.schedule(this.opts.retryMs ?? 1000, () => this.poke());
        }
      }
    } finally {
      this.running = false;
    }
  }
}
