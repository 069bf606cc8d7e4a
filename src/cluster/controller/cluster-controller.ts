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
 * Controlled shutdown (controlled-shutdown.ts): brokers the membership lists with
 * `controlledShutdown` lose their leaderships and ISR places in the same run, after the
 * elections; a partition that also needed an election is left to one more run.
 *
 * Preferred-leader rebalancing (auto.leader.rebalance.enable): every
 * leader.imbalance.check.interval.seconds the controller also moves the leadership of every
 * partition not led by its first replica back to it, when that replica is live, in the ISR and
 * not shutting down (KRaft's maybeBalancePartitionLeaders; like KRaft it balances every such
 * partition, leader.imbalance.per.broker.percentage is not consulted).
 */
import type { Clock } from '../../base/clock.js';
import type { Logger } from '../../base/logger.js';
import type { MetadataImage, TopicImage } from '../metadata/metadata-image.js';
import type { MetadataRecord } from '../metadata/metadata-records.js';
import type { BrokerMembership } from '../membership/broker-membership.js';
import { planLeaderElections } from './leader-election.js';
import { ELECTION_PREFERRED, planElectLeaders } from './elect-leaders.js';
import { partitionKey, planControlledShutdown } from './controlled-shutdown.js';
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
  /** unclean.leader.election.enable for a topic (its own config, else the broker's). */
  uncleanLeaderElection?(topic: TopicImage): boolean;
  /** auto.leader.rebalance.enable (read on every check) and leader.imbalance.check.interval.seconds in ms. */
  preferredLeaderRebalance?: { enabled(): boolean; intervalMs: number };
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
  /** A rebalance check is due (the next run also moves leaderships back to preferred replicas). */
  private rebalanceDue = false;

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
    const rebalance = this.opts.preferredLeaderRebalance;
    if (rebalance !== undefined) {
      const tick = (): void => {
        if (this.closed) return;
        if (rebalance.enabled() && membership.isController()) {
          this.rebalanceDue = true;
          this.poke();
        }
        clock.schedule(rebalance.intervalMs, tick);
      };
      clock.schedule(rebalance.intervalMs, tick);
    }
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
        const rebalance = this.rebalanceDue;
        this.rebalanceDue = false;
        if (!membership.isController()) continue;
        try {
          const written = await topics.applyChange((image) => {
            // Planned again after a conflict: still the controller? The live set as it is now.
            if (!membership.isController()) return { results: [0], records: [] };
            const live = membership.liveBrokers();
            const records = planLeaderElections(image, (b) => this.isLive(live, b), (t) => this.opts.uncleanLeaderElection?.(t) ?? false);
            const shuttingDown = (b: number) => live.get(b)?.controlledShutdown === true;
            const elected = new Set(records.map(partitionKey));
            const moves = planControlledShutdown(image, (b) => this.isLive(live, b), shuttingDown, elected);
            if (elected.size > 0 && [...live.values()].some((b) => b.controlledShutdown === true)) this.dirty = true;
            records.push(...moves);
            if (rebalance) {
              const changed = new Set(records.map(partitionKey));
              const eligible = (b: number) => live.has(b) && !shuttingDown(b);
              records.push(...planElectLeaders(image, ELECTION_PREFERRED, null, eligible).records.filter((r) => !changed.has(partitionKey(r))));
            }
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
