/**
 * EtcdSession: one etcd lease kept alive, what ZooKeeper calls a session. Keys written with
 * `session.leaseId` vanish when the session ends, which is how other brokers learn that this
 * one is gone (registration, controller key).
 *
 * Contract:
 * - `start()` grants a lease of ceil(sessionTimeoutMs / 1000) seconds (etcd leases are whole
 *   seconds) and sends a keep-alive every third of that.
 * - The session is lost when etcd says the lease is gone (expired while this process was
 *   paused or cut off, or revoked), or when no keep-alive has succeeded for the whole TTL
 *   (etcd may already have expired it; this broker cannot tell, so it assumes the worst).
 *   `onLost` then fires once and the keeper stops; the owner decides whether to start a new
 *   session (a new lease id: its old keys are gone).
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
      const silentMs = client.clock.monotonicMs() - this.lastKeptAliveMs;
      logger.warn('etcd session keep-alive failed', { lease: this.lease, silentMs, error: String(err) });
      if (silentMs >= this.ttlSeconds * 1000) return this.lose(`no keep-alive for ${Math.round(silentMs)} ms`);
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
