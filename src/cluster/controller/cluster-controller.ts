/**
 * ClusterController: what the elected controller does (membership/ decides who that is). For
 * now, one duty: when the live set changes, move leaderships away from dead brokers and back
 * to returning ones (leader-election.ts), written to the shared metadata log through the
 * TopicManager, which appends with compare-and-set and plans again after a conflict.
 *
 * It runs on every broker but acts only while `membership.isController()`; a broker that
 * becomes controller checks at once, since its predecessor may have died before acting.
 * Runs are serialized; a change arriving during a run causes one more run after it. A failed
 * run (etcd unreachable) is retried after `retryMs`.
 *
 * Not done yet: fencing a deposed controller's writes by controller epoch (a controller whose
 * session was lost stops at once, but a write already sent may still land), controlled
 * shutdown, preferred-leader rebalancing.
 */
import type { Clock } from '../../base/clock.js';
import type { Logger } from '../../base/logger.js';
import type { MetadataImage } from '../metadata/metadata-image.js';
import type { MetadataRecord } from '../metadata/metadata-records.js';
import type { BrokerMembership } from '../membership/broker-membership.js';
import { planLeaderElections } from './leader-election.js';

export interface ControllerTarget {
  applyChange<R>(plan: (image: MetadataImage) => { results: R[]; records: MetadataRecord[] }): Promise<R[]>;
}

export interface ClusterControllerOptions {
  membership: BrokerMembership;
  topics: ControllerTarget;
  clock: Clock;
  logger: Logger;
  retryMs?: number;
}

export class ClusterController {
  private running = false;
  private dirty = false;
  private closed = false;
  /** Runs that wrote records (for tests and logs). */
  elections = 0;

  constructor(private readonly opts: ClusterControllerOptions) {}

  start(): void {
    this.opts.membership.addListener({
      brokersChanged: () => this.poke(),
      controllerChanged: () => this.poke(),
    });
    this.poke();
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
            const records = planLeaderElections(image, (b) => live.has(b));
            return { results: [records.length], records };
          });
          if (written[0]! > 0) {
            this.elections++;
            logger.info('controller moved partition leaderships after a membership change', { changes: written[0], liveBrokers: [...membership.liveBrokers().keys()] });
          }
        } catch (err) {
          logger.warn('controller could not write partition changes; retrying', { error: String(err) });
          clock.schedule(this.opts.retryMs ?? 1000, () => this.poke());
        }
      }
    } finally {
      this.running = false;
    }
  }
}
