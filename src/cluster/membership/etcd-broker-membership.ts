/**
 * BrokerMembership through etcd (broker-membership.ts has the contract). Keys, under the
 * `etcd.connect` prefix, both bound to the broker's session lease (etcd-session.ts):
 *
 *   <prefix>/brokers/ids/<id>   {"brokerId", "host", "port", "rack"}: a live broker, with
 *                               "controlledShutdown": true once it asked to shut down
 *   <prefix>/controller         {"brokerId"}: the controller; the key's create revision is
 *                               the controller epoch (it only grows)
 *
 * register: a lease of etcd.session.timeout.ms, then a txn that creates brokers/ids/<id> only
 * if absent. If another session holds it, the broker watches for its deletion for up to one
 * session timeout (a crashed process's key expires by then) and tries again, else fails with
 * DuplicateBrokerIdError. Then one read of brokers/ids/ and controller at one revision, and
 * watches from the revision after it, so no change is missed or seen twice.
 *
 * Controller election (etcd's concurrency/election, simplified to one key): every broker
 * campaigns with a txn that creates the controller key only if absent; the winner's key goes
 * with its session, the deletion reaches every broker through the watch, and they campaign
 * again. A broker whose session is lost stops being controller at once (`isController()` is
 * false from then on), tells its listeners, and registers again with a new session.
 *
 * Controlled shutdown: the broker stops acting as controller, deletes the controller key if it
 * holds it (only if bound to its lease) and campaigns no more, then rewrites its own key (same
 * lease, only if the key is still bound to that lease) with "controlledShutdown": true, so
 * another broker becomes controller and moves this one's leaderships (the shutting-down
 * broker never moves them itself, as in Kafka).
 */
import type { Logger } from '../../base/logger.js';
import type { EtcdClient, KeyValue } from '../etcd/etcd-client.js';
import { sleep } from '../etcd/etcd-client.js';
import { DuplicateBrokerIdError } from '../etcd/etcd-errors.js';
import { EtcdSession } from '../etcd/etcd-session.js';
import type { EtcdWatch, WatchEvent } from '../etcd/etcd-watch.js';
import type { BrokerMembership, LiveBroker, MembershipListener } from './broker-membership.js';

export interface EtcdBrokerMembershipOptions {
  client: EtcdClient;
  prefix: string;
  logger: Logger;
  /** etcd.session.timeout.ms: the lease TTL. */
  sessionTimeoutMs: number;
}

const REREGISTER_BACKOFF_MS = 500;

export function membershipKeys(prefix: string): { brokers: string; broker(id: number): string; controller: string } {
  const brokers = `${prefix}/brokers/ids/`;
  return { brokers, broker: (id) => `${brokers}${id}`, controller: `${prefix}/controller` };
}

function decodeBroker(kv: KeyValue): LiveBroker | null {
  try {
    const o = JSON.parse(kv.value.toString('utf8')) as Partial<LiveBroker>;
    if (!Number.isInteger(o.brokerId) || typeof o.host !== 'string' || !Number.isInteger(o.port)) return null;
    const b = { brokerId: o.brokerId!, host: o.host, port: o.port!, rack: typeof o.rack === 'string' ? o.rack : null };
    return o.controlledShutdown === true ? { ...b, controlledShutdown: true } : b;
  } catch {
    return null;
  }
}

export class EtcdBrokerMembership implements BrokerMembership {
  private readonly keys: ReturnType<typeof membershipKeys>;
  private readonly listeners: MembershipListener[] = [];
  private brokers = new Map<number, LiveBroker>();
  private controller = -1;
  private epoch = -1;
  private controllerLease = '0';
  private session: EtcdSession | null = null;
  private self: LiveBroker | null = null;
  private watches: EtcdWatch[] = [];
  private closed = false;
  private shuttingDown = false;

  constructor(private readonly opts: EtcdBrokerMembershipOptions) {
    this.keys = membershipKeys(opts.prefix);
  }

  liveBrokers(): ReadonlyMap<number, LiveBroker> {
    return this.brokers;
  }

  controllerId(): number {
    return this.controller;
  }

  controllerEpoch(): number {
    return this.epoch;
  }

  isController(): boolean {
    const s = this.session;
    return this.self !== null && s !== null && s.alive && !this.shuttingDown && this.controller === this.self.brokerId && this.controllerLease === s.leaseId;
  }

  sessionConfirmed(): boolean {
    const s = this.session;
    return s !== null && s.alive && s.silentMs < s.ttlSeconds * 1000;
  }

  addListener(listener: MembershipListener): void {
    this.listeners.push(listener);
  }

  async register(self: LiveBroker): Promise<void> {
    this.self = self;
    await this.join();
  }

  async requestControlledShutdown(): Promise<void> {
    // From now on this broker acts as controller no more (isController() is false), even
    // before the deletion of its key comes back through the watch.
    this.shuttingDown = true;
    const session = this.session;
    const self = this.self;
    if (this.closed || session === null || !session.alive || self === null) return;
    const lease = session.leaseId;
    const controller = this.keys.controller;
    const resigned = await this.opts.client.txn({
      compare: [{ key: controller, target: 'LEASE', result: 'EQUAL', value: lease }],
      success: [{ deleteRange: { key: controller } }],
    }, { resend: true });
    const key = this.keys.broker(self.brokerId);
    await this.opts.client.txn({
      compare: [{ key, target: 'LEASE', result: 'EQUAL', value: lease }],
      success: [{ put: { key, value: this.registration(self), lease } }],
    }, { resend: true });
    this.opts.logger.info('controlled shutdown requested in etcd', { brokerId: self.brokerId, resignedController: resigned.succeeded });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.watches) w.close();
    this.watches = [];
    await this.session?.close();
  }

  // ---- internals ----------------------------------------------------------------------------

  private async join(): Promise<void> {
    const { client, logger, sessionTimeoutMs } = this.opts;
    const self = this.self!;
    const session = new EtcdSession({ client, logger, sessionTimeoutMs, onLost: (reason) => this.onSessionLost(session, reason) });
    const lease = await session.start();
    try {
      await this.claim(self, lease);
      this.session = session;
      await this.follow();
      await this.campaign();
    } catch (err) {
      // Past the claim, nothing of this attempt may outlive it: a registration left bound to
      // a live lease would make the next attempt wait for "another broker" holding this node.id.
      if (this.session === session) {
        for (const w of this.watches) w.close();
        this.watches = [];
        this.session = null;
      }
      await session.close();
      throw err;
    }
    logger.info('registered in etcd', { brokerId: self.brokerId, lease, controllerId: this.controller });
  }

  /** Creates brokers/ids/<id> bound to `lease`, waiting out a dead predecessor's key. */
  private async claim(self: LiveBroker, lease: string): Promise<void> {
    const { client, sessionTimeoutMs } = this.opts;
    const key = this.keys.broker(self.brokerId);
    const value = this.registration(self);
    const deadline = client.clock.monotonicMs() + sessionTimeoutMs + 2000;
    for (;;) {
      const r = await client.txn({
        compare: [{ key, target: 'CREATE', result: 'EQUAL', value: 0 }],
        success: [{ put: { key, value, lease } }],
        failure: [{ range: { key } }],
      }, { resend: true });
      if (r.succeeded) return;
      const res = r.responses[0];
      const held = res !== undefined && 'range' in res ? res.range.kvs[0] : undefined;
      // Bound to our own lease: an earlier send of this txn was applied, its answer lost.
      if (held !== undefined && held.lease === lease) return;
      const remaining = deadline - client.clock.monotonicMs();
      if (held !== undefined && remaining <= 0) {
        throw new DuplicateBrokerIdError(self.brokerId, `node.id ${self.brokerId} is registered in etcd by another live broker (lease ${held.lease}); stop it or choose another node.id`);
      }
      if (held !== undefined) {
        this.opts.logger.warn('node.id is still registered by another session (a crashed predecessor?); waiting for it to expire', { brokerId: self.brokerId, lease: held.lease });
        await this.awaitDeletion(key, held.modRevision + 1, remaining);
      }
    }
  }

  private registration(self: LiveBroker): string {
    const b = { brokerId: self.brokerId, host: self.host, port: self.port, rack: self.rack };
    return JSON.stringify(this.shuttingDown ? { ...b, controlledShutdown: true } : b);
  }

  private awaitDeletion(key: string, fromRevision: number, timeoutMs: number): Promise<void> {
    const { client } = this.opts;
    return new Promise((resolve) => {
      const timer = client.clock.schedule(timeoutMs, () => done());
      const w = client.watch({
        key, startRevision: fromRevision,
        onEvents: (events) => { if (events.some((e) => e.type === 'DELETE')) done(); },
        onError: () => done(),
      });
      function done() {
        timer.cancel();
        w.close();
        resolve();
      }
    });
  }

  /** One consistent read of brokers and controller, then watches from the revision after it. */
  private async follow(): Promise<void> {
    const { client } = this.opts;
    for (const w of this.watches) w.close();
    const brokers = await client.range(this.keys.brokers, { prefix: true });
    const controller = await client.range(this.keys.controller, { revision: brokers.revision });
    this.brokers = new Map();
    for (const kv of brokers.kvs) {
      const b = decodeBroker(kv);
      if (b !== null) this.brokers.set(b.brokerId, b);
    }
    this.setController(controller.kvs[0]);
    this.emitBrokers();
    const from = brokers.revision + 1;
    const onError = (err: Error) => { void this.refollow(err); };
    this.watches = [
      client.watch({ key: this.keys.brokers, prefix: true, startRevision: from, onEvents: (e) => this.onBrokerEvents(e), onError }),
      client.watch({ key: this.keys.controller, startRevision: from, onEvents: (e) => this.onControllerEvents(e), onError }),
    ];
  }

  private async refollow(err: Error): Promise<void> {
    if (this.closed) return;
    this.opts.logger.warn('etcd membership watch ended; reading the membership again', { error: String(err) });
    for (;;) {
      try {
        await this.follow();
        await this.campaign();
        return;
      } catch (e) {
        if (this.closed) return;
        await sleep(this.opts.client.clock, REREGISTER_BACKOFF_MS);
      }
    }
  }

  private onBrokerEvents(events: readonly WatchEvent[]): void {
    for (const e of events) {
      const id = Number(e.kv.key.slice(this.keys.brokers.length));
      if (!Number.isInteger(id)) continue;
      if (e.type === 'DELETE') this.brokers.delete(id);
      else {
        const b = decodeBroker(e.kv);
        if (b !== null) this.brokers.set(id, b);
      }
    }
    this.brokers = new Map(this.brokers);
    this.emitBrokers();
  }

  private onControllerEvents(events: readonly WatchEvent[]): void {
    for (const e of events) this.setController(e.type === 'DELETE' ? undefined : e.kv);
    if (this.controller === -1) void this.campaign().catch((err) => this.opts.logger.warn('controller campaign failed', { error: String(err) }));
  }

  private setController(kv: KeyValue | undefined): void {
    let id = -1;
    let epoch = this.epoch;
    let lease = '0';
    if (kv !== undefined) {
      try {
        id = (JSON.parse(kv.value.toString('utf8')) as { brokerId: number }).brokerId;
      } catch {
        id = -1;
      }
      epoch = kv.createRevision;
      lease = kv.lease;
    }
    if (id === this.controller && epoch === this.epoch) return;
    this.controller = id;
    this.epoch = epoch;
    this.controllerLease = lease;
    for (const l of this.listeners) l.controllerChanged?.(id, epoch);
  }

  /** Creates the controller key if nobody holds it; the watch reports who won. */
  private async campaign(): Promise<void> {
    const session = this.session;
    if (this.closed || this.shuttingDown || session === null || !session.alive || this.controller !== -1) return;
    const key = this.keys.controller;
    await this.opts.client.txn({
      compare: [{ key, target: 'CREATE', result: 'EQUAL', value: 0 }],
      success: [{ put: { key, value: JSON.stringify({ brokerId: this.self!.brokerId }), lease: session.leaseId } }],
    }, { resend: true }); // who won is learnt from the watch either way
  }

  private emitBrokers(): void {
    for (const l of this.listeners) l.brokersChanged?.(this.brokers);
  }

  private onSessionLost(session: EtcdSession, reason: string): void {
    if (this.closed || session !== this.session) return;
    for (const l of this.listeners) l.sessionLost?.(reason);
    void this.rejoin();
  }

  private async rejoin(): Promise<void> {
    while (!this.closed) {
      try {
        await this.join();
        for (const l of this.listeners) l.sessionRestored?.();
        return;
      } catch (err) {
        this.opts.logger.warn('registering again in etcd failed; retrying', { error: String(err) });
        await sleep(this.opts.client.clock, REREGISTER_BACKOFF_MS);
      }
    }
  }
}
