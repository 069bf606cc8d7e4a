/**
 * The transaction coordinator service on a ManualClock with an in-memory `__transaction_state`
 * (MemoryPartitions: its writer and loader), counting producer ids, and a marker writer that
 * records every marker, can fail or hold partitions, and hands `__consumer_offsets` partitions
 * to a group coordinator (also in memory) as the broker's local writer does.
 */
import { ManualClock } from '../../src/base/clock.js';
import { silentLogger } from '../../src/base/logger.js';
import { SeededRandom } from '../../src/base/random.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { DEFAULT_GROUP_COORDINATOR_CONFIG } from '../../src/coordinator/group/group-config.js';
import { GroupCoordinatorService } from '../../src/coordinator/group/group-coordinator-service.js';
import { decodeTransactionRecord, type TopicPartition, type TransactionRecord } from '../../src/coordinator/transaction/records.js';
import { DEFAULT_TRANSACTION_COORDINATOR_CONFIG, type TransactionCoordinatorConfig } from '../../src/coordinator/transaction/transaction-config.js';
import { TransactionCoordinatorService } from '../../src/coordinator/transaction/transaction-coordinator-service.js';
import type { TransactionCoordinatorShard } from '../../src/coordinator/transaction/transaction-coordinator-shard.js';
import type { MarkerWriteResult, TransactionMarker, TransactionMarkerWriter } from '../../src/coordinator/transaction/transaction-markers.js';
import type { TransactionMetadata } from '../../src/coordinator/transaction/transaction-metadata.js';
import { electAll, MemoryPartitions, settle } from './harness.js';

export const OFFSETS_TOPIC = '__consumer_offsets';

export class CountingProducerIds {
  next = 1000;
  failNext = 0;
  generated: number[] = [];

  async generateProducerId(): Promise<number> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('injected: no producer id block');
    }
    const id = this.next++;
    this.generated.push(id);
    return id;
  }
}

export interface WrittenMarker {
  topic: string;
  partition: number;
  producerId: number;
  producerEpoch: number;
  coordinatorEpoch: number;
  result: 'COMMIT' | 'ABORT';
}

/** Records markers; `fail` answers an error for a partition a number of times; `hold` parks every write. */
export class RecordingMarkerWriter implements TransactionMarkerWriter {
  readonly written: WrittenMarker[] = [];
  readonly attempts: WrittenMarker[] = [];
  private readonly failures = new Map<string, { count: number; errorCode: number }>();
  private gate: { promise: Promise<void>; open: () => void } | null = null;
  /** Set to route `__consumer_offsets` partitions to a group coordinator. */
  groups: GroupCoordinatorService | null = null;

  fail(topic: string, partition: number, count: number, errorCode: number = ErrorCode.NOT_LEADER_OR_FOLLOWER): void {
    this.failures.set(`${topic}-${partition}`, { count, errorCode });
  }

  hold(): void {
    let open: () => void = () => undefined;
    const promise = new Promise<void>((resolve) => { open = resolve; });
    this.gate = { promise, open };
  }

  release(): void {
    this.gate?.open();
    this.gate = null;
  }

  async writeMarkers(marker: TransactionMarker): Promise<MarkerWriteResult[]> {
    if (this.gate !== null) await this.gate.promise;
    return Promise.all(marker.partitions.map(async (tp) => {
      const m: WrittenMarker = {
        topic: tp.topic, partition: tp.partition, producerId: marker.producerId, producerEpoch: marker.producerEpoch,
        coordinatorEpoch: marker.coordinatorEpoch, result: marker.result,
      };
      this.attempts.push(m);
      const f = this.failures.get(`${tp.topic}-${tp.partition}`);
      if (f !== undefined && f.count > 0) {
        f.count--;
        return { ...tp, errorCode: f.errorCode };
      }
      if (tp.topic === OFFSETS_TOPIC && this.groups !== null) {
        const errorCode = await this.groups.completeTransaction(tp.partition, marker.producerId, marker.producerEpoch, marker.coordinatorEpoch, marker.result);
        if (errorCode !== ErrorCode.NONE) return { ...tp, errorCode };
      }
      this.written.push(m);
      return { ...tp, errorCode: ErrorCode.NONE };
    }));
  }
}

export interface TxnHarness {
  clock: ManualClock;
  log: MemoryPartitions;
  producerIds: CountingProducerIds;
  markers: RecordingMarkerWriter;
  service: TransactionCoordinatorService;
  config: TransactionCoordinatorConfig;
  /** The metadata as the shard holds it (white-box). */
  txn(transactionalId: string): TransactionMetadata | undefined;
  shard(transactionalId: string): TransactionCoordinatorShard;
  /** The records written to `__transaction_state`, decoded. */
  written(): TransactionRecord[];
  close(): void;
}

export const TXN_TEST_CONFIG: TransactionCoordinatorConfig = { ...DEFAULT_TRANSACTION_COORDINATOR_CONFIG, transactionStateLogNumPartitions: 5 };

export function buildTxn(config: TransactionCoordinatorConfig, clock: ManualClock, log: MemoryPartitions, markers = new RecordingMarkerWriter(),
  producerIds = new CountingProducerIds(), leadershipConfirmed?: () => boolean): TxnHarness {
  const service = new TransactionCoordinatorService({
    config, clock, logger: silentLogger, writer: log, loader: log, producerIds, markerWriter: markers, ...(leadershipConfirmed === undefined ? {} : { leadershipConfirmed }),
  });
  const shard = (id: string) => {
    const s = service.shardFor(id);
    if (s === undefined) throw new Error(`the shard of ${id} is not loaded`);
    return s;
  };
  return {
    clock, log, producerIds, markers, service, config,
    txn: (id) => shard(id).transactions.get(id),
    shard,
    written: () => log.records().map((r) => decodeTransactionRecord(r.key, r.value)!),
    close: () => service.close(),
  };
}

/** Elects every partition (leader epoch `epoch`) and waits for the loads. */
export async function electAllTxn(service: TransactionCoordinatorService, epoch = 0): Promise<void> {
  const partitions = Array.from({ length: service.config.transactionStateLogNumPartitions }, (_, p) => p);
  for (const p of partitions) service.onElection(p, epoch);
  await Promise.all(partitions.map((p) => service.runtime.awaitLoaded(p)));
}

export async function txnHarness(overrides: Partial<TransactionCoordinatorConfig> = {}): Promise<TxnHarness> {
  const h = buildTxn({ ...TXN_TEST_CONFIG, ...overrides }, new ManualClock(), new MemoryPartitions());
  await electAllTxn(h.service);
  return h;
}

/** A coordinator loaded from everything `h` wrote (a restart), at leader epoch `epoch`, with its own clock and marker writer. */
export async function reloadedTxn(h: TxnHarness, epoch = 1, overrides: Partial<TransactionCoordinatorConfig> = {}): Promise<TxnHarness> {
  const r = buildTxn({ ...h.config, ...overrides }, new ManualClock(h.clock.now()), h.log.copy(), new RecordingMarkerWriter(), h.producerIds);
  await electAllTxn(r.service, epoch);
  return r;
}

/**
 * Lets marker writes and completions finish, advancing the clock through their retry
 * backoffs (at most `maxMs`).
 */
export async function drainMarkers(h: TxnHarness, maxMs = 10_000): Promise<void> {
  for (let waited = 0; ; waited += 100) {
    await settle();
    if (h.service.pendingCompletions === 0) return;
    if (waited >= maxMs) throw new Error(`markers still pending after ${maxMs} ms`);
    h.clock.advance(100);
  }
}

/** A group coordinator with its own in-memory `__consumer_offsets`, for transactional offsets. */
export async function groupCoordinator(clock: ManualClock, log = new MemoryPartitions(), partitions = 3): Promise<GroupCoordinatorService> {
  const config = { ...DEFAULT_GROUP_COORDINATOR_CONFIG, groupInitialRebalanceDelayMs: 0, offsetsTopicNumPartitions: partitions };
  const service = new GroupCoordinatorService({ config, clock, random: new SeededRandom(3), logger: silentLogger, writer: log, loader: log });
  await electAll(service);
  return service;
}

export const tp = (topic: string, partition: number): TopicPartition => ({ topic, partition });

/** InitProducerId that must succeed: its producer id and epoch. */
export async function init(h: TxnHarness, transactionalId: string, timeoutMs = 60_000): Promise<{ producerId: number; producerEpoch: number }> {
  const r = await h.service.initProducerId(transactionalId, timeoutMs, null);
  if (r.errorCode !== ErrorCode.NONE) throw new Error(`InitProducerId(${transactionalId}) failed with ${r.errorCode}`);
  return { producerId: r.producerId, producerEpoch: r.producerEpoch };
}

/** The durable part of the coordinator's state: what a reload must reproduce. */
export function durableTxnState(service: TransactionCoordinatorService): unknown[] {
  const out: unknown[] = [];
  for (const p of service.runtime.partitions()) {
    const shard = service.runtime.activeShard(p);
    if (shard === undefined) continue;
    for (const m of shard.transactions.values()) {
      out.push({
        transactionalId: m.transactionalId, producerId: m.producerId, producerEpoch: m.producerEpoch, txnTimeoutMs: m.txnTimeoutMs, state: m.state,
        topicPartitions: m.topicPartitions, txnStartTimestamp: m.txnStartTimestamp, txnLastUpdateTimestamp: m.txnLastUpdateTimestamp,
      });
    }
  }
  return out.sort((a, b) => ((a as { transactionalId: string }).transactionalId < (b as { transactionalId: string }).transactionalId ? -1 : 1));
}
