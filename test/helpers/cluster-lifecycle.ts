/**
 * For test/e2e/cluster-lifecycle*.test.ts (real etcd, real `sherwood server` processes):
 * topic creation and metadata polling through any broker, an etcd event recorder (to order what
 * the brokers wrote), and the confluent-kafka producer/reader scripts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { CreateTopics } from '../../src/protocol/messages/create-topics.js';
import { systemClock } from '../../src/base/clock.js';
import { EtcdClient, type KeyValue } from '../../src/cluster/etcd/etcd-client.js';
import { parseEtcdConnect } from '../../src/cluster/etcd/etcd-connect.js';
import { httpEtcdTransport } from '../../src/cluster/etcd/etcd-transport.js';
import type { TestCluster } from './cluster.js';
import { PYTHON } from './clients.js';
import { until } from './wait.js';

export interface PartitionView { partition: number; leaderId: number; leaderEpoch: number; isr: number[]; replicas: number[] }

export async function createTopic(cluster: TestCluster, name: string, partitions: number, replicationFactor: number, configs: Record<string, string> = {}): Promise<void> {
  const admin = await KafkaClient.connect(cluster.bootstrap());
  try {
    const r = await admin.request(CreateTopics, { topics: [{ name, numPartitions: partitions, replicationFactor, assignments: [],
      configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })) }], timeoutMs: 30_000, validateOnly: false });
    if (r.topics[0]!.errorCode !== 0) throw new Error(`create ${name}: ${r.topics[0]!.errorMessage ?? r.topics[0]!.errorCode}`);
  } finally {
    await admin.close();
  }
  await until(`${name}: every partition led, full ISR`, async () => (await partitionsOf(cluster, name)).every((p) => p.leaderId > 0 && p.isr.length === replicationFactor), { timeoutMs: 30_000 });
}

/** The partitions of `topic` as broker `nodeId` (default: any running one) lists them. */
export async function partitionsOf(cluster: TestCluster, topic: string, nodeId?: number): Promise<PartitionView[]> {
  const md = await metadata(cluster, [topic], nodeId);
  return md.topics[0]!.partitions.map((p) => ({ partition: p.partition, leaderId: p.leaderId, leaderEpoch: p.leaderEpoch, isr: [...p.isr], replicas: [...p.replicas] }));
}

export async function metadata(cluster: TestCluster, topics: string[], nodeId?: number) {
  const id = nodeId ?? [...cluster.brokers.keys()][0]!;
  const client = await KafkaClient.connect(cluster.bootstrap(id));
  try {
    return await client.metadata(topics);
  } finally {
    await client.close();
  }
}

export interface RecordedEvent { revision: number; type: 'PUT' | 'DELETE'; key: string; value: string }

/** Every etcd change under the cluster's prefix from now on, with its revision. */
export function recordEtcd(cluster: TestCluster): { events: RecordedEvent[]; close(): void } {
  const { endpoints } = parseEtcdConnect(cluster.etcd.endpoint);
  const client = new EtcdClient({ endpoints, transport: httpEtcdTransport(), clock: systemClock });
  const events: RecordedEvent[] = [];
  const w = client.watch({
    key: '/sherwood/', prefix: true, startRevision: 0,
    onEvents: (es) => { for (const e of es) events.push(toEvent(e.type, e.kv)); },
    onError: () => undefined,
  });
  return { events, close: () => { w.close(); client.close(); } };
}

function toEvent(type: 'PUT' | 'DELETE', kv: KeyValue): RecordedEvent {
  return { revision: kv.modRevision, type, key: kv.key, value: kv.value.toString('utf8') };
}

/** PartitionChangeRecords with a leader, from recorded metadata-log batches, with their revision. */
export function leaderChanges(events: readonly RecordedEvent[]): { revision: number; partitionId: number; leader: number; isr?: number[] }[] {
  const out: { revision: number; partitionId: number; leader: number; isr?: number[] }[] = [];
  for (const e of events) {
    if (e.type !== 'PUT' || !e.key.startsWith('/sherwood/metadata/log/')) continue;
    const batch = JSON.parse(e.value) as { records: { type: string; partitionId?: number; leader?: number; isr?: number[] }[] };
    for (const r of batch.records) {
      if (r.type === 'PartitionChangeRecord' && r.leader !== undefined) out.push({ revision: e.revision, partitionId: r.partitionId!, leader: r.leader, ...(r.isr === undefined ? {} : { isr: r.isr }) });
    }
  }
  return out;
}

/**
 * confluent-kafka, idempotent, acks=all: sends N numbered records round-robin over `parts`
 * partitions, pausing argv[5] seconds (default 0.02) every 20 records; prints
 * "acked K" now and then and finally every report as JSON.
 */
export const CONFLUENT_PRODUCER = `
import sys, json, time
from confluent_kafka import Producer
bootstrap, topic, n, parts = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
pause = float(sys.argv[5]) if len(sys.argv) > 5 else 0.02
p = Producer({'bootstrap.servers': bootstrap, 'enable.idempotence': True, 'acks': 'all', 'linger.ms': 5, 'batch.size': 2048,
              'message.timeout.ms': 120000, 'reconnect.backoff.max.ms': 500, 'topic.metadata.refresh.interval.ms': 1000})
acked, failed = [], []
def report(err, msg):
    if err is not None:
        failed.append([int(msg.value()), str(err)])
    else:
        acked.append([msg.partition(), msg.offset(), int(msg.value())])
        if len(acked) % 100 == 0:
            print('acked %d' % len(acked), flush=True)
for i in range(n):
    while True:
        try:
            p.produce(topic, value=str(i).encode(), partition=i % parts, on_delivery=report)
            break
        except BufferError:
            p.poll(0.05)
    p.poll(0)
    if i % 20 == 0:
        time.sleep(pause)
left = p.flush(150)
print(json.dumps({'acked': acked, 'failed': failed, 'unflushed': left}))
`;

/** Every record of partitions 0..parts-1 up to its end, as [partition, offset, value]. */
export const CONFLUENT_READ_ALL = `
import sys, json
from confluent_kafka import Consumer, TopicPartition
bootstrap, topic, parts = sys.argv[1], sys.argv[2], int(sys.argv[3])
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'unused', 'enable.auto.commit': False, 'fetch.wait.max.ms': 100})
out = []
for part in range(parts):
    lo, hi = c.get_watermark_offsets(TopicPartition(topic, part), timeout=20)
    c.assign([TopicPartition(topic, part, 0)])
    pos = 0
    while pos < hi:
        m = c.poll(5)
        if m is None:
            break
        if m.error():
            continue
        out.append([part, m.offset(), m.value().decode()])
        pos = m.offset() + 1
print(json.dumps(out))
`;

/** The record batches in a partition's segment files, in offset order (each one whole: header and records). */
export function segmentBatches(dataDir: string, topic: string, partition: number): Buffer[] {
  const dir = join(dataDir, `${topic}-${partition}`);
  const out: Buffer[] = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.log')).sort()) {
    const buf = readFileSync(join(dir, name));
    for (let pos = 0; pos + 12 <= buf.length;) {
      const size = 12 + buf.readInt32BE(pos + 8);
      if (pos + size > buf.length) break;
      out.push(buf.subarray(pos, pos + size));
      pos += size;
    }
  }
  return out;
}

/** CONFLUENT_PRODUCER in the background: `records` values over `parts` partitions, a pause every 20. */
export function startConfluentProducer(cluster: TestCluster, topic: string, records: number, parts: number, pause: string) {
  const child = spawn(PYTHON, ['-c', CONFLUENT_PRODUCER, cluster.bootstrap(), topic, String(records), String(parts), pause], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return {
    child, exited,
    acked: () => Number(/acked (\d+)\n(?![\s\S]*acked)/.exec(stdout)?.[1] ?? 0),
    result: async () => {
      assert.equal(await exited, 0, stderr);
      return JSON.parse(stdout.trim().split('\n').pop()!) as { acked: [number, number, number][]; failed: unknown[]; unflushed: number };
    },
  };
}
