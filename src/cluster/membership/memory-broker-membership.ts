/**
 * BrokerMembership inside one process, for in-process clusters in tests and the simulator:
 * a MemoryMembershipGroup plays etcd (the live set, the controller key), and `member()` hands
 * each broker its BrokerMembership. Same contract as the etcd one (broker-membership.ts),
 * with sessions that end only when the test says so: `expire(brokerId)` is a session timeout
 * (the broker hears sessionLost and registers again unless `rejoin: false`). The controller
 * is the first registered broker; when its session ends the lowest live id takes over, with
 * the epoch + 1. Listeners are called synchronously, in order.
 */
import { DuplicateBrokerIdError } from '../etcd/etcd-errors.js';
import type { BrokerMembership, LiveBroker, MembershipListener } from './broker-membership.js';

export class MemoryMembershipGroup {
  private brokers = new Map<number, LiveBroker>();
  private controller = -1;
  private epoch = 0;
  private readonly members = new Set<MemoryBrokerMembership>();

  member(): MemoryBrokerMembership {
    const m = new MemoryBrokerMembership(this);
    this.members.add(m);
    return m;
  }

  get liveBrokers(): ReadonlyMap<number, LiveBroker> {
    return this.brokers;
  }

  get controllerId(): number {
    return this.controller;
  }

  get controllerEpoch(): number {
    return this.epoch;
  }

  /** A session timeout for `brokerId`: it leaves; it registers again unless `rejoin` is false. */
  expire(brokerId: number, options: { rejoin?: boolean } = {}): void {
    const m = [...this.members].find((x) => x.self?.brokerId === brokerId && this.brokers.has(brokerId));
    if (m === undefined) return;
    this.leave(brokerId);
    m.lost('session expired (test)');
    if (options.rejoin !== false) {
      this.join(m.self!);
      m.notify((l) => l.sessionRestored?.());
    }
  }

  /** Internal. */
  join(self: LiveBroker): void {
    if (this.brokers.has(self.brokerId)) throw new DuplicateBrokerIdError(self.brokerId, `node.id ${self.brokerId} is already registered`);
    this.brokers = new Map(this.brokers).set(self.brokerId, self);
    this.notifyBrokers();
    if (this.controller === -1) this.elect(self.brokerId);
  }

  /** Internal: marks a broker as shutting down; a controller resigns to the lowest other broker not shutting down. */
  controlledShutdown(brokerId: number): void {
    const b = this.brokers.get(brokerId);
    if (b === undefined) return;
    this.brokers = new Map(this.brokers).set(brokerId, { ...b, controlledShutdown: true });
    this.notifyBrokers();
    if (this.controller === brokerId) {
      const ids = [...this.brokers.values()].filter((x) => x.controlledShutdown !== true).map((x) => x.brokerId).sort((a, c) => a - c);
      this.elect(ids[0] ?? -1);
    }
  }

  /** Internal. */
  leave(brokerId: number): void {
    if (!this.brokers.has(brokerId)) return;
    const next = new Map(this.brokers);
    next.delete(brokerId);
    this.brokers = next;
    this.notifyBrokers();
    if (this.controller === brokerId) {
      const ids = [...this.brokers.keys()].sort((a, b) => a - b);
      this.elect(ids[0] ?? -1);
    }
  }

  /** Internal. */
  remove(m: MemoryBrokerMembership): void {
    this.members.delete(m);
  }

  private elect(id: number): void {
    this.controller = id;
    if (id !== -1) this.epoch++;
    for (const m of this.members) m.notify((l) => l.controllerChanged?.(id, this.epoch));
  }

  private notifyBrokers(): void {
    for (const m of this.members) m.notify((l) => l.brokersChanged?.(this.brokers));
  }
}

export class MemoryBrokerMembership implements BrokerMembership {
  self: LiveBroker | null = null;
  private readonly listeners: MembershipListener[] = [];
  private closed = false;

  constructor(private readonly group: MemoryMembershipGroup) {}

  async register(self: LiveBroker): Promise<void> {
    this.group.join(self);
    this.self = self;
  }

  liveBrokers(): ReadonlyMap<number, LiveBroker> {
    return this.group.liveBrokers;
  }

  controllerId(): number {
    return this.group.controllerId;
  }

  controllerEpoch(): number {
    return this.group.controllerEpoch;
  }

  sessionConfirmed(): boolean {
    return this.self !== null && !this.closed;
  }

  isController(): boolean {
    return this.self !== null && !this.closed && this.group.controllerId === this.self.brokerId && this.group.liveBrokers.get(this.self.brokerId)?.controlledShutdown !== true;
  }

  addListener(listener: MembershipListener): void {
    this.listeners.push(listener);
  }

  async requestControlledShutdown(): Promise<void> {
    if (this.self !== null && !this.closed) this.group.controlledShutdown(this.self.brokerId);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.self !== null) this.group.leave(this.self.brokerId);
    this.group.remove(this);
  }

  /** Internal. */
  notify(fn: (l: MembershipListener) => void): void {
    if (this.closed) return;
    for (const l of this.listeners) fn(l);
  }

  /** Internal. */
  lost(reason: string): void {
    this.notify((l) => l.sessionLost?.(reason));
  }
}
