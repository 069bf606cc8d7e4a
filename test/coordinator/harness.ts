/**
 * The group coordinator service on a ManualClock with an in-memory `__consumer_offsets` (which
 * is both its PartitionWriter and its CoordinatorLoader): feed requests, read back the records
 * written, and load a second coordinator from them to compare states.
 */
import { ManualClock } from '../../src/base/clock.js';
import { silentLogger } from '../../src/base/logger.js';
import { SeededRandom } from '../../src/base/random.js';
import { CoordinatorWriteError } from '../../src/coordinator/runtime/coordinator-errors.js';
import type { CoordinatorLoader, PartitionWriter } from '../../src/coordinator/runtime/coordinator-shard.js';
import type { ClassicGroup } from '../../src/coordinator/group/classic-group.js';
import { DEFAULT_GROUP_COORDINATOR_CONFIG, type GroupCoordinatorConfig, type RequestInfo } from '../../src/coordinator/group/group-config.js';
import { GroupCoordinatorService } from '../../src/coordinator/group/group-coordinator-service.js';
import type { GroupCoordinatorShard } from '../../src/coordinator/group/group-coordinator-shard.js';
import { decodeGroupRecord, type GroupRecord } from '../../src/coordinator/group/records.js';
import { decodeBatches } from '../../src/protocol/records.js';
import { isControlBatch } from '../../src/protocol/record-batch.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { JoinGroupRequest } from '../../src/protocol/messages/join-group.js';

interface Gate {
  promise: Promise<void>;
  open(): void;
}

function gate(): Gate {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => { open = resolve; });
  return { promise, open };
}

export class MemoryPartitions implements PartitionWriter, CoordinatorLoader {
  readonly batches: { partition: number; batch: Buffer }[] = [];
  /** Fail this many of the next appends, whatever their partition. */
  failNext = 0;
  /** Fail the next append to a partition (count per partition). */
  readonly failNextOn = new Map<number, number>();
  /** The error code injected failures carry. */
  failWith: number = ErrorCode.NOT_ENOUGH_REPLICAS;
  private appendGate: Gate | null = null;
  private loadGate: Gate | null = null;
  appendsStarted = 0;

  /** Holds every append until release(): lets a test act while a write is in flight. */
  hold(): void {
    this.appendGate = gate();
  }

  release(): void {
    this.appendGate?.open();
    this.appendGate = null;
  }

  /** Holds every load until releaseLoads(). */
  holdLoads(): void {
    this.loadGate = gate();
  }

  releaseLoads(): void {
    this.loadGate?.open();
    this.loadGate = null;
  }

  async append(partition: number, records: Buffer): Promise<number> {
    this.appendsStarted++;
    if (this.appendGate !== null) await this.appendGate.promise;
    const onPartition = this.failNextOn.get(partition) ?? 0;
    if (onPartition > 0) {
      this.failNextOn.set(partition, onPartition - 1);
      throw new CoordinatorWriteError(this.failWith, 'injected failure');
    }
    if (this.failNext > 0) {
      this.failNext--;
      throw new CoordinatorWriteError(this.failWith, 'injected failure');
    }
    this.batches.push({ partition, batch: Buffer.from(records) });
    return this.batches.length - 1;
  }

  async load(partition: number, onBatches: (batches: Buffer) => void): Promise<void> {
    if (this.loadGate !== null) await this.loadGate.promise;
    for (const b of this.batches) if (b.partition === partition) onBatches(b.batch);
  }

  /** The data records written (control batches, i.e. transaction markers, left out). */
  records(): { partition: number; key: Buffer; value: Buffer | null }[] {
    const out = [];
    for (const b of this.batches) {
      for (const batch of decodeBatches(b.batch)) {
        if (isControlBatch(batch.header.attributes)) continue;
        for (const r of batch.records) out.push({ partition: b.partition, key: r.key!, value: r.value });
      }
    }
    return out;
  }

  decoded(): GroupRecord[] {
    return this.records().map((r) => decodeGroupRecord(r.key, r.value)!);
  }

  /** A copy holding the same batches (a restart reads what was written). */
  copy(): MemoryPartitions {
    const c = new MemoryPartitions();
    c.batches.push(...this.batches);
    return c;
  }
}

export interface Harness {
  clock: ManualClock;
  log: MemoryPartitions;
  service: GroupCoordinatorService;
  config: GroupCoordinatorConfig;
  /** The group as its shard holds it now (white-box: bypasses the shard's queue). */
  group(groupId: string): ClassicGroup | undefined;
  /** The loaded shard of a group's partition (white-box). */
  shard(groupId: string): GroupCoordinatorShard;
  close(): void;
}

function build(config: GroupCoordinatorConfig, clock: ManualClock, log: MemoryPartitions, seed: number): Harness {
  const service = new GroupCoordinatorService({ config, clock, random: new SeededRandom(seed), logger: silentLogger, writer: log, loader: log });
  const shard = (groupId: string) => {
    const s = service.shardFor(groupId);
    if (s === undefined) throw new Error(`the shard of ${groupId} is not loaded`);
    return s;
  };
  return { clock, log, service, config, group: (groupId) => shard(groupId).groups.get(groupId), shard, close: () => service.close() };
}

/** Elects every partition of the service (leader epoch 0) and waits for the loads. */
export async function electAll(service: GroupCoordinatorService, leaderEpoch = 0): Promise<void> {
  const partitions = Array.from({ length: service.config.offsetsTopicNumPartitions }, (_, p) => p);
  for (const p of partitions) service.onElection(p, leaderEpoch);
  await Promise.all(partitions.map((p) => service.runtime.awaitLoaded(p)));
}

export async function harness(overrides: Partial<GroupCoordinatorConfig> = {}): Promise<Harness> {
  const config = { ...DEFAULT_GROUP_COORDINATOR_CONFIG, groupInitialRebalanceDelayMs: 0, offsetsTopicNumPartitions: 5, ...overrides };
  const h = build(config, new ManualClock(), new MemoryPartitions(), 7);
  await electAll(h.service);
  return h;
}

/** A second coordinator loaded from everything the first one wrote (its timers never run). */
export async function replayed(h: Harness): Promise<GroupCoordinatorService> {
  const r = build(h.config, new ManualClock(h.clock.now()), h.log.copy(), 9);
  await electAll(r.service);
  return r.service;
}

/**
 * A live coordinator loaded from everything `h` wrote (as after a restart), with its own
 * settings, clock and log (which starts with h's batches).
 */
export async function reloaded(h: Harness, overrides: Partial<GroupCoordinatorConfig> = {}): Promise<Harness> {
  const r = build({ ...h.config, ...overrides }, new ManualClock(h.clock.now()), h.log.copy(), 11);
  await electAll(r.service);
  return r;
}

/** Every loaded shard of a service. */
export function shards(service: GroupCoordinatorService): GroupCoordinatorShard[] {
  return service.runtime.partitions().map((p) => service.runtime.activeShard(p)).filter((s): s is GroupCoordinatorShard => s !== undefined);
}

/** The durable part of the state: what replay must reproduce. */
export function durableState(service: GroupCoordinatorService): unknown {
  const out = [];
  for (const shard of shards(service)) {
    const ids = new Set([...shard.groups.keys(), ...shard.offsets.groupIds()]);
    for (const groupId of ids) {
      const g = shard.groups.get(groupId);
      out.push({
        groupId,
        exists: g !== undefined,
        state: g === undefined ? null : g.state === 'Stable' || g.state === 'Empty' ? g.state : 'in-rebalance',
        generationId: g?.generationId,
        protocolType: g?.protocolType,
        protocolName: g?.protocolName,
        leaderId: g?.leaderId,
        members: g === undefined ? [] : [...g.members.values()].sort((a, b) => a.memberId.localeCompare(b.memberId)).map((m) => ({
          memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost,
          sessionTimeoutMs: m.sessionTimeoutMs, rebalanceTimeoutMs: m.rebalanceTimeoutMs,
          metadata: m.metadataFor(g.protocolName ?? '').toString('hex'), assignment: m.assignment.toString('hex'),
        })),
        offsets: shard.offsets.list(groupId),
      });
    }
  }
  return out.sort((a, b) => a.groupId.localeCompare(b.groupId));
}

/** One group's committed offset (-1 if none), read through the group's queue. */
export async function committedOffset(h: Harness, groupId: string, topic: string, partition: number): Promise<number> {
  const fetched = await h.service.fetchOffsets(groupId, [{ name: topic, partitionIndexes: [partition] }]);
  return fetched.topics[0]!.partitions[0]!.committedOffset;
}

/** Two group ids whose `__consumer_offsets` partitions differ. */
export function groupsOnDifferentPartitions(h: Harness, prefix = 'g'): [string, string] {
  const first = `${prefix}-0`;
  for (let i = 1; ; i++) {
    const other = `${prefix}-${i}`;
    if (h.service.partitionFor(other) !== h.service.partitionFor(first)) return [first, other];
  }
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
