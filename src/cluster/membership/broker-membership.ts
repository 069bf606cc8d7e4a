/**
 * BrokerMembership: which brokers are alive and which one is the controller — the part of
 * cluster metadata that follows sessions rather than the metadata log (ZooKeeper's
 * /brokers/ids and /controller; KRaft's broker heartbeats and fencing).
 *
 * Contract:
 * - `register(self)` joins the cluster: from then on `liveBrokers()` includes this broker
 *   until its session ends (close(), or the session expires: the process died, hung, or lost
 *   etcd for longer than the session timeout). A live broker already holding the same id is
 *   a DuplicateBrokerIdError; the registration left by a crashed process of the same id is
 *   waited out (at most one session timeout).
 * - Every registered broker campaigns for the controller; exactly one live broker holds it at
 *   a time (-1 while none does). `controllerEpoch` grows with every new controller, so a
 *   deposed controller's view can be told from the current one.
 * - Listeners hear, in order, every change of the live set or of the controller, with the
 *   state after it. `sessionLost` tells this broker its own session ended without close(): it
 *   must stop acting as controller (and as leader) at once; the membership then registers
 *   again with a new session and campaigns again.
 * - `sessionRestored` follows a `sessionLost` once the broker is registered again (a new
 *   session): leaderships it fenced may be confirmed then (replica-manager.ts).
 * - `requestControlledShutdown()` (Kafka's ControlledShutdown request; KRaft's
 *   BrokerHeartbeat with wantShutDown): marks this broker's registration as shutting down —
 *   every member then lists it with `controlledShutdown: true`, the controller moves its
 *   leaderships away and takes it out of ISRs (controller/controlled-shutdown.ts) — and, if it
 *   is the controller, resigns so that another broker moves them. A broker shutting down
 *   campaigns no more. It stays live (and serving) until close().
 * - `close()` ends the session (registration and controller key go at once).
 */
export interface LiveBroker {
  readonly brokerId: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
  /** In controlled shutdown: not to be elected leader or kept in (or added to) an ISR. */
  readonly controlledShutdown?: boolean;
}

export interface MembershipListener {
  brokersChanged?(brokers: ReadonlyMap<number, LiveBroker>): void;
  controllerChanged?(controllerId: number, controllerEpoch: number): void;
  sessionLost?(reason: string): void;
  sessionRestored?(): void;
}

export interface BrokerMembership {
  register(self: LiveBroker): Promise<void>;
  liveBrokers(): ReadonlyMap<number, LiveBroker>;
  /** -1: no controller right now. */
  controllerId(): number;
  controllerEpoch(): number;
  isController(): boolean;
  /**
   * etcd confirmed this broker's session less than one session timeout ago, so no other broker
   * can have been given its leaderships yet (the lease cannot have expired). False while it is
   * cut off from etcd for longer, even if its session turns out to have survived.
   */
  sessionConfirmed(): boolean;
  addListener(listener: MembershipListener): void;
  requestControlledShutdown(): Promise<void>;
  close(): Promise<void>;
}

/** Live brokers sorted by id (what Metadata lists). */
export function sortedBrokers(brokers: ReadonlyMap<number, LiveBroker>): LiveBroker[] {
  return [...brokers.values()].sort((a, b) => a.brokerId - b.brokerId);
}
