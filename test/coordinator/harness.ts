/**
 * A coordinator on a ManualClock with an in-memory `__consumer_offsets`: feed requests, read
 * back the records written, and rebuild a second coordinator from them to compare states.
 */
import { ManualClock } from '../../src/base/clock.js';
import { SeededRandom } from '../../src/base/random.js';
import { GroupCoordinatorRuntime, CoordinatorWriteError } from '../../src/coordinator/group/coordinator-runtime.js';
import type { GroupCoordinator } from '../../src/coordinator/group/group-coordinator.js';
import { decodeGroupRecord, type DecodedGroupRecord } from '../../src/coordinator/group/records.js';
import { DEFAULT_GROUP_COORDINATOR_CONFIG, type GroupCoordinatorConfig, type RequestInfo } from '../../src/coordinator/group/result.js';
import { decodeBatches } from '../../src/protocol/records.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { JoinGroupRequest } from '../../src/protocol/messages/join-group.js';

export class MemoryPartitions {
  readonly batches: { partition: number; batch: Buffer }[] = [];
  failNext = 0;
  private gate: Promise<void> | null = null;
  private openGate: (() => void) | null = null;

  /** Holds every append until release(): lets a test act while a write is in flight. */
  hold(): void {
    this.gate = new Promise<void>((resolve) => { this.openGate = resolve; });
  }

  release(): void {
    this.openGate?.();
    this.gate = null;
    this.openGate = null;
  }

  async append(partition: number, records: Buffer): Promise<number> {
    if (this.gate !== null) await this.gate;
    if (this.failNext > 0) {
      this.failNext--;
      throw new CoordinatorWriteError(ErrorCode.NOT_ENOUGH_REPLICAS, 'injected failure');
    }
    this.batches.push({ partition, batch: Buffer.from(records) });
    return this.batches.length - 1;
  }

  records(): { partition: number; key: Buffer; value: Buffer | null }[] {
    const out = [];
    for (const b of this.batches) {
      for (const batch of decodeBatches(b.batch)) for (const r of batch.records) out.push({ partition: b.partition, key: r.key!, value: r.value });
    }
    return out;
  }

  decoded(): DecodedGroupRecord[] {
    return this.records().map((r) => decodeGroupRecord(r.key, r.value)!);
  }
}

export interface Harness {
  clock: ManualClock;
  log: MemoryPartitions;
  runtime: GroupCoordinatorRuntime;
  coordinator: GroupCoordinator;
  config: GroupCoordinatorConfig;
}

export function harness(overrides: Partial<GroupCoordinatorConfig> = {}): Harness {
  const config = { ...DEFAULT_GROUP_COORDINATOR_CONFIG, groupInitialRebalanceDelayMs: 0, offsetsTopicNumPartitions: 5, ...overrides };
  const clock = new ManualClock();
  const log = new MemoryPartitions();
  const runtime = new GroupCoordinatorRuntime({ config, clock, random: new SeededRandom(7), writer: log });
  runtime.start();
  return { clock, log, runtime, coordinator: runtime.coordinator, config };
}

/** A second coordinator rebuilt from everything the first one wrote. */
export function replayed(h: Harness): GroupCoordinator {
  const clock = new ManualClock(h.clock.now());
  const rt = new GroupCoordinatorRuntime({ config: h.config, clock, random: new SeededRandom(9), writer: new MemoryPartitions() });
  for (const r of h.log.records()) rt.coordinator.replay(r.key, r.value);
  rt.start();
  rt.close();
  return rt.coordinator;
}

/**
 * A live coordinator loaded from everything `h` wrote (as after a restart), with its own
 * settings, clock and log (which starts with h's batches).
 */
export function reloaded(h: Harness, overrides: Partial<GroupCoordinatorConfig> = {}): Harness {
  const config = { ...h.config, ...overrides };
  const clock = new ManualClock(h.clock.now());
  const log = new MemoryPartitions();
  log.batches.push(...h.log.batches);
  const runtime = new GroupCoordinatorRuntime({ config, clock, random: new SeededRandom(11), writer: log });
  for (const r of h.log.records()) runtime.coordinator.replay(r.key, r.value);
  runtime.start();
  return { clock, log, runtime, coordinator: runtime.coordinator, config };
}

/** The durable part of the state: what replay must reproduce. */
export function durableState(c: GroupCoordinator): unknown {
  const groups = [...c.groups.values()].sort((a, b) => a.groupId.localeCompare(b.groupId));
  return groups.map((g) => ({
    groupId: g.groupId,
    state: g.state === 'Stable' || g.state === 'Empty' ? g.state : 'in-rebalance',
    generationId: g.generationId,
    protocolType: g.protocolType,
    protocolName: g.protocolName,
    leaderId: g.leaderId,
    members: [...g.members.values()].sort((a, b) => a.memberId.localeCompare(b.memberId)).map((m) => ({
      memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost,
      sessionTimeoutMs: m.sessionTimeoutMs, rebalanceTimeoutMs: m.rebalanceTimeoutMs,
      metadata: m.metadataFor(g.protocolName ?? '').toString('hex'), assignment: m.assignment.toString('hex'),
    })),
    offsets: [...g.offsets.entries()].sort().map(([t, ps]) => [t, [...ps.entries()].sort((a, b) => a[0] - b[0])]),
  }));
}

export const info = (apiVersion: number, clientId = 'client'): RequestInfo => ({ apiVersion, clientId, clientHost: '/127.0.0.1' });

export function joinRequest(groupId: string, memberId: string, extra: Partial<JoinGroupRequest> = {}): JoinGroupRequest {
  return {
    groupId,
    sessionTimeoutMs: 10000,
    rebalanceTimeoutMs: 30000,
    memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription(['t']) }],
    reason: null,
    ...extra,
  };
}

/** A ConsumerProtocolSubscription v0 for these topics. */
export function subscription(topics: string[]): Buffer {
  const parts: Buffer[] = [Buffer.from([0, 0]), int32(topics.length)];
  for (const t of topics) parts.push(int16(Buffer.byteLength(t)), Buffer.from(t));
  parts.push(int32(-1));
  return Buffer.concat(parts);
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

function int16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
}

/** Lets promise callbacks (writes, onDurable) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}
