/**
 * EtcdSession: one etcd lease kept alive, what ZooKeeper calls a session. Keys written with
 * `session.leaseId` vanish when the session ends, which is how other brokers learn that this
 * one is gone (registration, controller key).
 *
 * Contract:
 * - `start()` grants a lease of ceil(sessionTimeoutMs / 1000) seconds (etcd leases are whole
 *   seconds) and sends a keep-alive every third of that.
 * - The session is lost only when etcd says the lease is gone (expired while this process was
 *   paused or cut off, or revoked): `onLost` then fires once and the keeper stops; the owner
 *   decides whether to start a new session (a new lease id: its old keys are gone).
 * - While etcd does not answer, the session is merely unconfirmed (`silentMs` grows past the
 *   TTL): the keeper keeps trying the same lease. An etcd that was down for longer than the TTL
 *   renews every lease when it comes back (its lessor promotes them with a fresh TTL), so a
 *   broker that gave its lease up would needlessly lose its registration, its leaderships and
 *   the controller role; one whose lease did expire meanwhile hears so on its first answered
 *   keep-alive. Leaders keep serving meanwhile (docs/cluster.md, "etcd down").
 * - `close()` stops the keep-alives and revokes the lease, so its keys go at once rather than
 *   after the TTL (a clean shutdown); a revoke that fails is logged, the TTL then does it.
 */
import type { TimerHandle } from '../../base/clock.js';
import type { Logger } from '../../base/logger.js';
import type { EtcdClient } from './etcd-client.js';
import { EtcdLeaseNotFoundError } from './etcd-errors.js';

export interface EtcdSessionOptions {
  client: EtcdClient;
  logger: Logger;
  sessionTimeoutMs: number;
  onLost(reason: string): void;
}

export class EtcdSession {
  private lease: string | null = null;
  private timer: TimerHandle | null = null;
  private lastKeptAliveMs = 0;
  private ended = false;
  readonly ttlSeconds: number;

  constructor(private readonly opts: EtcdSessionOptions) {
    this.ttlSeconds = Math.max(1, Math.ceil(opts.sessionTimeoutMs / 1000));
  }

  get leaseId(): string {
    if (this.lease === null) throw new Error('the etcd session has not started');
    return this.lease;
  }

  get alive(): boolean {
    return this.lease !== null && !this.ended;
  }

  /** How long since a keep-alive last succeeded (past the TTL: etcd may have expired the lease). */
  get silentMs(): number {
    return this.opts.client.clock.monotonicMs() - this.lastKeptAliveMs;
  }

  async start(): Promise<string> {
    const { client } = this.opts;
    const lease = await client.grantLease(this.ttlSeconds);
    this.lease = lease.id;
    this.lastKeptAliveMs = client.clock.monotonicMs();
    this.schedule();
    return lease.id;
  }

  async close(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.timer?.cancel();
    if (this.lease === null) return;
    try {
      await this.opts.client.revokeLease(this.lease);
    } catch (err) {
      this.opts.logger.warn('revoking the etcd session lease failed; its keys go when it expires', { lease: this.lease, error: String(err) });
    }
  }

  private schedule(): void {
    if (this.ended) return;
    const intervalMs = Math.max(200, (this.ttlSeconds * 1000) / 3);
    this.timer = this.opts.client.clock.schedule(intervalMs, () => { void this.keepAlive(); });
  }

  private async keepAlive(): Promise<void> {
    if (this.ended || this.lease === null) return;
    const { client, logger } = this.opts;
    try {
      await client.keepAliveOnce(this.lease);
      this.lastKeptAliveMs = client.clock.monotonicMs();
    } catch (err) {
      if (err instanceof EtcdLeaseNotFoundError) return this.lose(`etcd lease ${this.lease} expired`);
      logger.warn('etcd session keep-alive failed; the lease state is unknown until etcd answers', { lease: this.lease, silentMs: Math.round(this.silentMs), error: String(err) });
    }
    this.schedule();
  }

  private lose(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.timer?.cancel();
    this.opts.logger.warn('etcd session lost', { lease: this.lease, reason });
    this.opts.onLost(reason);
  }
}
