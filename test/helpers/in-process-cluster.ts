/**
 * Several brokers in one process sharing one in-memory metadata log (SharedMetadataLog): the
 * replication protocol between them runs over the given transport (a MemoryTransport by
 * default, or tcpTransport on 127.0.0.1 for real clients). Each broker keeps its own
 * MemoryFileSystem, so `stop(id)` then `restart(id)` is a broker coming back with its data.
 *
 *   const c = await startInProcessCluster({ brokers: 3 });
 *   await c.createTopic('t', 1, 3);
 *   ...
 *   await c.close();
 */
import { MemoryFileSystem } from '../../src/base/memory-file-system.js';
import { MemoryTransport, type Transport } from '../../src/base/transport.js';
import { SharedMetadataLog } from '../../src/cluster/metadata/shared-memory-metadata-store.js';
import type { MetadataRecord } from '../../src/cluster/metadata/metadata-records.js';
import type { PartitionRegistration } from '../../src/cluster/metadata/metadata-image.js';
import type { Partition } from '../../src/cluster/partition.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { until } from './wait.js';

export interface InProcessClusterOptions {
  brokers?: number;
  transport?: Transport;
  /** Broker properties for every broker. */
  overrides?: Record<string, string>;
}

export interface InProcessCluster {
  readonly log: SharedMetadataLog;
  readonly transport: Transport;
  /** Running brokers by node id (a stopped one is absent). */
  readonly brokers: Map<number, RunningBroker>;
  broker(id: number): RunningBroker;
  bootstrap(): string;
  createTopic(name: string, partitions: number, replicationFactor: number, configs?: Record<string, string>): Promise<void>;
  /** The registration of a partition in the shared log's image. */
  registration(topic: string, partition: number): PartitionRegistration;
  /** The hosted partition on a broker. */
  partition(brokerId: number, topic: string, partition: number): Partition;
  /** Writes records to the shared log as a controller would (compare-and-set at its end). */
  writeMetadata(records: MetadataRecord[]): Promise<void>;
  /** Moves leadership (leader epoch + 1), as the controller's election does. */
  electLeader(topic: string, partition: number, leader: number, isr?: number[]): Promise<void>;
  stop(id: number): Promise<void>;
  restart(id: number): Promise<RunningBroker>;
  close(): Promise<void>;
}

/** `until` (helpers/wait.ts) with the condition first, as the cluster stories read. */
export function eventually(cond: () => boolean, what: string, timeoutMs?: number): Promise<void> {
  return until(what, cond, timeoutMs === undefined ? {} : { timeoutMs });
}

export async function startInProcessCluster(options: InProcessClusterOptions = {}): Promise<InProcessCluster> {
  const n = options.brokers ?? 3;
  const log = new SharedMetadataLog();
  const transport = options.transport ?? new MemoryTransport();
  const fss = new Map<number, MemoryFileSystem>();
  const brokers = new Map<number, RunningBroker>();
  const start = async (id: number): Promise<RunningBroker> => {
    let fs = fss.get(id);
    if (fs === undefined) fss.set(id, (fs = new MemoryFileSystem({ trackDurability: false })));
    const b = await startBroker({
      nodeId: id, host: '127.0.0.1', port: 0, fs, transport, metadataStore: log.attach(), logLevel: 'error',
      overrides: { 'log.dirs': '/data', 'replica.fetch.wait.max.ms': '100', 'replica.fetch.backoff.ms': '50', ...options.overrides },
    });
    brokers.set(id, b);
    return b;
  };
  for (let id = 1; id <= n; id++) await start(id);
  // The brokers' timers are unref'd and in-memory sockets hold nothing open: keep the process
  // alive while the cluster runs (a test awaiting an acks=all answer would otherwise just end).
  const keepAlive = setInterval(() => undefined, 1000);
  const c: InProcessCluster = {
    log, transport, brokers,
    broker(id) {
      const b = brokers.get(id);
      if (b === undefined) throw new Error(`broker ${id} is not running`);
      return b;
    },
    bootstrap: () => [...brokers.values()].map((b) => b.bootstrap).join(','),
    async createTopic(name, partitions, replicationFactor, configs = {}) {
      const first = [...brokers.values()][0]!;
      const r = await first.broker.topics.create({ name, numPartitions: partitions, replicationFactor, configs });
      if (r.errorCode !== ErrorCode.NONE) throw new Error(`create ${name}: ${r.errorMessage ?? r.errorCode}`);
      await eventually(() => [...brokers.values()].every((b) => {
        const t = b.broker.topics.get(name);
        return t !== undefined && t.partitions.every((p, i) => !p.replicas.includes(b.broker.nodeId) || b.broker.replicaManager.getPartition(name, i) !== undefined);
      }), `topic ${name} on every broker`);
    },
    registration(topic, partition) {
      const p = log.image.topic(topic)?.partitions[partition];
      if (p === undefined) throw new Error(`no partition ${topic}-${partition}`);
      return p;
    },
    partition(brokerId, topic, partition) {
      const p = c.broker(brokerId).broker.replicaManager.getPartition(topic, partition);
      if (p === undefined) throw new Error(`broker ${brokerId} does not host ${topic}-${partition}`);
      return p;
    },
    async writeMetadata(records) {
      const store = log.attach();
      await store.load();
      await store.append(records, log.offset);
      await store.close();
    },
    async electLeader(topic, partition, leader, isr) {
      const t = log.image.topic(topic)!;
      await c.writeMetadata([{ type: 'PartitionChangeRecord', topicId: t.topicId, partitionId: partition, leader, ...(isr === undefined ? {} : { isr }) }]);
      const epoch = c.registration(topic, partition).leaderEpoch;
      await eventually(() => [...brokers.values()].every((b) => {
        const p = b.broker.replicaManager.getPartition(topic, partition);
        return p === undefined || p.leaderEpoch === epoch;
      }), `leader epoch ${epoch} of ${topic}-${partition} everywhere`);
    },
    async stop(id) {
      const b = c.broker(id);
      brokers.delete(id);
      await b.close();
    },
    restart: (id) => start(id),
    async close() {
      for (const b of [...brokers.values()]) await b.close();
      brokers.clear();
      clearInterval(keepAlive);
    },
  };
  return c;
}
