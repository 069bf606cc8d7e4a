/**
 * Which API versions real clients send: a recorder that wraps an in-process broker's handlers,
 * the client workloads the compatibility matrix runs (scripts/compat-matrix.mjs, and a fast
 * subset in test/e2e/compat-matrix.test.ts), and the Markdown rendering of the matrix.
 *
 * The recorder sees a request only once the router has accepted its version: a request at a
 * version outside our range closes the connection (ApiVersions excepted) and is not recorded —
 * the workload then fails, which is how such a gap shows up.
 *
 * Workloads throw when the client does not get its job done, so a version in the matrix is one
 * that worked end to end, not merely one that was sent.
 */
import { createRequire } from 'node:module';
import { spawn, spawnSync } from 'node:child_process';
import type { RunningBroker } from '../../src/index.js';
import type { Handler } from '../../src/server/handler.js';
import type { CountingTransport } from './broker-events.js';
import { PYTHON, kcat, lastJson, type RunResult } from './clients.js';
import { until } from './wait.js';
import { javaMissing, javaShell, kafkaClientsVersion } from './java.js';

/** API name → versions seen. */
export type Observed = Map<string, Set<number>>;

/** KIP-227 usage in Fetch: sessionEpoch -1 (sessionless), 0 (opens a session), > 0 (incremental). */
export type FetchSessionUse = 'sessionless' | 'new session' | 'incremental';

export interface AdvertisedApi {
  name: string;
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

/** Records versions by wrapping the entries of one broker's handler map (the router reads it). */
export class VersionRecorder {
  private observed: Observed = new Map();
  private sessions = new Set<FetchSessionUse>();
  private running = 0;

  private constructor() {}

  static attach(b: RunningBroker): VersionRecorder {
    const rec = new VersionRecorder();
    const handlers = b.broker.handlers as Map<number, Handler>;
    for (const [key, h] of handlers) {
      handlers.set(key, {
        ...h,
        handle: (ctx, req) => {
          rec.note(h.api.name, ctx.header.apiVersion);
          if (h.api.name === 'Fetch') {
            const epoch = (req as { sessionEpoch: number }).sessionEpoch;
            rec.sessions.add(epoch < 0 ? 'sessionless' : epoch === 0 ? 'new session' : 'incremental');
          }
          rec.running++;
          let result: unknown;
          try {
            result = h.handle(ctx, req);
          } catch (err) {
            rec.running--;
            throw err;
          }
          if (result instanceof Promise) return result.finally(() => { rec.running--; });
          rec.running--;
          return result as never;
        },
      });
    }
    return rec;
  }

  private note(api: string, version: number): void {
    let s = this.observed.get(api);
    if (s === undefined) this.observed.set(api, (s = new Set()));
    s.add(version);
  }

  /** Whether `api` was seen since the last take(). */
  saw(api: string): boolean {
    return this.observed.has(api);
  }

  /** Requests whose handler has started and not finished. */
  get inFlight(): number {
    return this.running;
  }

  /** What was seen since the last take(), then starts afresh. */
  take(): { versions: Observed; fetchSessions: Set<FetchSessionUse> } {
    const out = { versions: this.observed, fetchSessions: this.sessions };
    this.observed = new Map();
    this.sessions = new Set();
    return out;
  }
}

/** The ranges the broker advertises in ApiVersions (exactly its handlers), by API key. */
export function advertisedApis(b: RunningBroker): AdvertisedApi[] {
  return [...b.broker.handlers.values()]
    .map((h) => ({ name: h.api.name, apiKey: h.api.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }))
    .sort((x, y) => x.apiKey - y.apiKey);
}

/** "v0–3, 7" style: ranges of consecutive versions collapsed. */
export function formatVersionSet(vs: Iterable<number> | undefined): string {
  const sorted = [...(vs ?? [])].sort((a, b) => a - b);
  if (sorted.length === 0) return '';
  const parts: string[] = [];
  let start = sorted[0]!;
  let prev = start;
  for (const v of [...sorted.slice(1), Number.NaN]) {
    if (v === prev + 1) {
      prev = v;
      continue;
    }
    parts.push(start === prev ? `${start}` : `${start}–${prev}`);
    start = v;
    prev = v;
  }
  return 'v' + parts.join(', ');
}

export interface MatrixColumn {
  client: string;
  versions: Observed;
}

/** Rows = advertised APIs, columns = advertised range then one per client; "—" = not sent. */
export function renderMatrix(advertised: AdvertisedApi[], columns: MatrixColumn[]): string {
  const head = ['API', 'key', 'advertised', ...columns.map((c) => c.client)];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const a of advertised) {
    const cells = columns.map((c) => formatVersionSet(c.versions.get(a.name)) || '—');
    const none = cells.every((c) => c === '—');
    lines.push(`| ${none ? `${a.name} ¹` : a.name} | ${a.apiKey} | ${a.minVersion}–${a.maxVersion} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Advertised versions no client column used, per API ("Fetch: v5–10, 12–16"). */
export function unexercisedVersions(advertised: AdvertisedApi[], columns: MatrixColumn[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const a of advertised) {
    const used = new Set(columns.flatMap((c) => [...(c.versions.get(a.name) ?? [])]));
    const missing: number[] = [];
    for (let v = a.minVersion; v <= a.maxVersion; v++) if (!used.has(v)) missing.push(v);
    if (missing.length > 0) out.set(a.name, missing);
  }
  return out;
}

// --- Whole-process recording (which versions a test file exercises)

/**
 * Wraps, in place, the handler objects every in-process broker of this process shares (start.ts
 * imports the handler modules once per process), and at exit appends one JSON line
 * `{ file, versions: { api: number[] } }` to `logFile`. Loaded with `--import` before a test
 * file by `scripts/compat-matrix.mjs --tests`; brokers spawned as child processes are not seen.
 */
export async function recordProcessVersions(logFile: string): Promise<void> {
  const { loadHandlers } = await import('../../src/server/start.js');
  const { silentLogger } = await import('../../src/base/logger.js');
  const { appendFileSync } = await import('node:fs');
  const seen: Observed = new Map();
  for (const h of (await loadHandlers(silentLogger)).values()) {
    const original = h.handle;
    h.handle = function (this: Handler, ctx, req) {
      let s = seen.get(h.api.name);
      if (s === undefined) seen.set(h.api.name, (s = new Set()));
      s.add(ctx.header.apiVersion);
      return original.call(this, ctx, req);
    };
  }
  process.once('exit', () => {
    if (seen.size === 0) return;
    const versions = Object.fromEntries([...seen].map(([api, vs]) => [api, [...vs].sort((a, b) => a - b)]));
    appendFileSync(logFile, JSON.stringify({ file: process.argv[1] ?? '?', versions }) + '\n');
  });
}

// --- Client workloads

/** Broker overrides that make group joins quick; the workloads assume them. */
export const WORKLOAD_OVERRIDES: Record<string, string> = {
  'group.initial.rebalance.delay.ms': '0',
  'group.min.session.timeout.ms': '1000',
  'offsets.topic.num.partitions': '1',
};

export interface WorkloadResult {
  /** Client-side facts worth asserting (e.g. the broker version kafka-python inferred). */
  facts: Record<string, unknown>;
}

export interface ClientWorkload {
  /** Column name in the matrix. */
  client: string;
  /** What the workload does, for the docs. */
  does: string;
  /** The installed version, or null when the client is missing (the workload is skipped). */
  version(): string | null;
  /** Runs the client against `b`; `rec` is the recorder on b (a workload may wait for a request to be seen). */
  run(b: RunningBroker, rec: VersionRecorder): Promise<WorkloadResult>;
}

const require = createRequire(import.meta.url);

function npmVersion(pkg: string): string | null {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    try {
      // Packages whose exports hide package.json: resolve the entry point and walk up.
      const { readFileSync } = require('node:fs') as typeof import('node:fs');
      const main = require.resolve(pkg);
      const root = main.slice(0, main.lastIndexOf(`/node_modules/${pkg}/`) + `/node_modules/${pkg}/`.length);
      return (JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string }).version;
    } catch {
      return null;
    }
  }
}

function pythonModuleVersion(expr: string): string | null {
  const r = spawnSync(PYTHON, ['-c', `import kafka, confluent_kafka; print(${expr})`], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 ? r.stdout.trim() : null;
}

async function within<T>(what: string, ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}

/** The consumers stay in their group until the broker has seen a Heartbeat (heartbeat.interval.ms is 500). */
function heartbeatSeen(rec: VersionRecorder, client: string): Promise<void> {
  return until(`a Heartbeat from ${client}`, () => rec.saw('Heartbeat'), 15_000);
}

/** Printed by a Python workload that then waits for a line on stdin (runPythonCued). */
const CUE = 'sherwood-cue';

/**
 * Runs a Python workload that prints CUE and then reads a line from stdin: onCue runs in between
 * (e.g. until the broker has seen a Heartbeat), then the script goes on. Throws with the output
 * unless it exits 0; JSON still comes on the last stdout line.
 */
async function runPythonCued(script: string, args: string[], timeoutMs: number, onCue: () => Promise<void>): Promise<RunResult> {
  const child = spawn(PYTHON, ['-c', script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let cued = false;
  let cueError: unknown;
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  child.stdin.on('error', () => {});
  child.stdout.on('data', (d) => {
    stdout += d;
    if (!cued && stdout.includes(`${CUE}\n`)) {
      cued = true;
      onCue().then(() => child.stdin.end('\n'), (err: unknown) => { cueError = err; child.kill('SIGKILL'); });
    }
  });
  child.stderr.on('data', (d) => { stderr += d; });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  clearTimeout(timer);
  if (cueError !== undefined) throw cueError;
  if (code !== 0) throw new Error(`python exited ${code}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
  return { code, stdout, stderr };
}

async function createTopic(b: RunningBroker, name: string, numPartitions: number): Promise<void> {
  const r = await b.broker.topics.create({ name, numPartitions, replicationFactor: 1, configs: {} });
  if (r.errorCode !== 0) throw new Error(`create ${name}: error ${r.errorCode}`);
}

const KAFKA_PYTHON = `
import sys, json
from kafka import KafkaProducer, KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic, NewPartitions, ConfigResource, ConfigResourceType
b = sys.argv[1]
out = {}
admin = KafkaAdminClient(bootstrap_servers=[b], client_id='cm-kafka-python', request_timeout_ms=10000)
admin.create_topics([NewTopic('cm-kp', 2, 1), NewTopic('cm-kp-del', 1, 1)])
out['topics'] = sorted(t for t in admin.list_topics() if t.startswith('cm-kp'))
admin.describe_topics(['cm-kp'])
admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, 'cm-kp')])
admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, 'cm-kp', configs={'retention.ms': '3600000'})])
admin.create_partitions({'cm-kp': NewPartitions(3)})
p = KafkaProducer(bootstrap_servers=[b], client_id='cm-kafka-python', acks='all')
out['api_version'] = list(p.config['api_version'])
for i in range(10):
    p.send('cm-kp', key=b'k%d' % i, value=b'v%d' % i, partition=i % 3)
p.flush()
p.close()
c = KafkaConsumer('cm-kp', bootstrap_servers=[b], client_id='cm-kafka-python', group_id='cm-kp-g', auto_offset_reset='earliest',
                  enable_auto_commit=False, session_timeout_ms=6000, heartbeat_interval_ms=500, consumer_timeout_ms=5000, fetch_max_wait_ms=200)
n = 0
for m in c:
    n += 1
    if n >= 10:
        break
out['consumed'] = n
print('${CUE}', flush=True)
sys.stdin.readline()  # still in the group, until the broker has seen a Heartbeat from it
c.commit()
out['committed'] = sum(c.committed(TopicPartition('cm-kp', i)) or 0 for i in range(3))
c.close()
out['groups'] = sorted(g[0] for g in admin.list_consumer_groups())
out['described'] = [d.state for d in admin.describe_consumer_groups(['cm-kp-g'])]
out['offsets'] = sum(v.offset for v in admin.list_consumer_group_offsets('cm-kp-g').values())
out['delete_groups'] = [e[1].__name__ for e in admin.delete_consumer_groups(['cm-kp-g'])]
admin.delete_topics(['cm-kp-del'])
admin.close()
print(json.dumps(out))
`;

export const kafkaPython: ClientWorkload = {
  client: 'kafka-python',
  does: 'KafkaAdminClient (create/list/describe topics, describe_configs, alter_configs, create_partitions, list/describe/delete groups, group offsets, delete_topics); KafkaProducer acks=all; KafkaConsumer in a group with commit()',
  version: () => pythonModuleVersion('kafka.__version__'),
  async run(b, rec) {
    const r = lastJson(await runPythonCued(KAFKA_PYTHON, [b.bootstrap], 90_000, () => heartbeatSeen(rec, 'kafka-python')));
    if (r.consumed !== 10 || r.committed !== 10) throw new Error(`kafka-python: ${JSON.stringify(r)}`);
    return { facts: r };
  },
};

async function kcatOk(args: string[], input?: string): Promise<string> {
  const r = await kcat(args, input, 30_000);
  if (r.code !== 0) throw new Error(`kcat ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

export const kcatWorkload: ClientWorkload = {
  client: 'kcat',
  does: '-L; -P with -z lz4 and -z gzip; -C -e; -G group consume (auto commit on close)',
  version() {
    const r = spawnSync('kcat', ['-V'], { encoding: 'utf8', timeout: 5000 });
    if (r.status !== 0 || r.error) return null;
    return `${/^Version ([\w.-]+)/m.exec(r.stdout)?.[1] ?? '?'} (librdkafka ${/librdkafka ([\w.-]+)/.exec(r.stdout)?.[1] ?? '?'})`;
  },
  async run(b) {
    await createTopic(b, 'cm-kcat', 1);
    const base = ['-b', b.bootstrap, '-X', 'client.id=cm-kcat'];
    await kcatOk([...base, '-L', '-t', 'cm-kcat']);
    // Compressible values: librdkafka sends a batch uncompressed when compression does not shrink it.
    const lines = (prefix: string) => [0, 1].map((i) => `${prefix}${i}:${'x'.repeat(500)}`).join('\n') + '\n';
    await kcatOk([...base, '-P', '-t', 'cm-kcat', '-z', 'lz4', '-K:'], lines('a'));
    await kcatOk([...base, '-P', '-t', 'cm-kcat', '-z', 'gzip', '-K:'], lines('b'));
    const codecs = await storedCodecs(b, 'cm-kcat');
    const plain = await kcatOk([...base, '-C', '-t', 'cm-kcat', '-o', 'beginning', '-e', '-q', '-f', '%k=%s\n']);
    const grouped = await kcatOk([...base, '-G', 'cm-kcat-g', '-X', 'auto.offset.reset=earliest', '-c', '4', '-q', '-f', '%k=%s\n', 'cm-kcat']);
    if (plain.trim().split('\n').length !== 4 || grouped.trim().split('\n').length !== 4) throw new Error(`kcat consumed ${JSON.stringify([plain, grouped])}`);
    return { facts: { codecs } };
  },
};

/** The compression codec (attributes & 7) of every batch stored in partition 0. */
async function storedCodecs(b: RunningBroker, topic: string): Promise<number[]> {
  const log = b.broker.partitionLog(topic, 0)!;
  const { records } = await log.read(0, 1 << 20, log.highWatermark);
  const out: number[] = [];
  for (let pos = 0; pos + 61 <= records.length; pos += 12 + records.readInt32BE(pos + 8)) out.push(records.readInt16BE(pos + 21) & 7);
  return out;
}

const CONFLUENT = `
import sys, json
from confluent_kafka import Producer, Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic, NewPartitions, ConfigResource
import time
b = sys.argv[1]
out = {}
a = AdminClient({'bootstrap.servers': b, 'client.id': 'cm-confluent'})
for f in a.create_topics([NewTopic('cm-cf', 2, 1), NewTopic('cm-cf-del', 1, 1), NewTopic('cm-cf-tx', 1, 1)]).values():
    f.result(15)
out['topics'] = sorted(t for t in a.list_topics(timeout=10).topics if t.startswith('cm-cf'))
for f in a.describe_configs([ConfigResource('topic', 'cm-cf')]).values():
    f.result(15)
for f in a.alter_configs([ConfigResource('topic', 'cm-cf', set_config={'retention.ms': '3600000'})]).values():
    f.result(15)
for f in a.create_partitions([NewPartitions('cm-cf', 3)]).values():
    f.result(15)
p = Producer({'bootstrap.servers': b, 'client.id': 'cm-confluent', 'compression.codec': 'lz4', 'linger.ms': 5})
for i in range(10):
    p.produce('cm-cf', key=b'k%d' % i, value=b'v%d' % i + b'x' * 500, partition=i % 3)
p.flush(15)
tp = Producer({'bootstrap.servers': b, 'client.id': 'cm-confluent', 'transactional.id': 'cm-cf-tx', 'linger.ms': 5})
tp.init_transactions(15)
for commit in (False, True):
    tp.begin_transaction()
    for i in range(3):
        tp.produce('cm-cf-tx', value=b'%s%d' % (b'c' if commit else b'a', i))
    tp.flush(15)  # abort_transaction purges what was not sent yet
    (tp.commit_transaction if commit else tp.abort_transaction)(15)
rc = Consumer({'bootstrap.servers': b, 'client.id': 'cm-confluent', 'group.id': 'cm-cf-rc', 'isolation.level': 'read_committed',
               'enable.auto.commit': False, 'fetch.wait.max.ms': 200})
rc.assign([TopicPartition('cm-cf-tx', 0, 0)])
seen = []
deadline = time.time() + 30
while len(seen) < 3 and time.time() < deadline:
    m = rc.poll(0.5)
    if m is not None and not m.error():
        seen.append(m.value().decode())
rc.close()
out['read_committed'] = seen
c = Consumer({'bootstrap.servers': b, 'client.id': 'cm-confluent', 'group.id': 'cm-cf-g', 'auto.offset.reset': 'earliest',
              'enable.auto.commit': False, 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500, 'fetch.wait.max.ms': 200})
c.subscribe(['cm-cf'])
n = 0
deadline = time.time() + 30
while n < 10 and time.time() < deadline:
    m = c.poll(0.5)
    if m is None or m.error():
        continue
    n += 1
out['consumed'] = n
print('${CUE}', flush=True)
sys.stdin.readline()  # still in the group, until the broker has seen a Heartbeat from it
c.commit(asynchronous=False)
out['committed'] = sum(tp.offset for tp in c.committed([TopicPartition('cm-cf', i) for i in range(3)], timeout=10))
lo, hi = c.get_watermark_offsets(TopicPartition('cm-cf', 0), timeout=10)
out['watermarks'] = [lo, hi]
c.close()
out['groups'] = sorted(g.id for g in a.list_groups(timeout=10) if g.id.startswith('cm-cf'))
for f in a.delete_topics(['cm-cf-del'], operation_timeout=10).values():
    f.result(15)
print(json.dumps(out))
`;

export const confluentKafka: ClientWorkload = {
  client: 'confluent-kafka',
  does: 'AdminClient (create_topics, list_topics, describe_configs, alter_configs, create_partitions, list_groups, delete_topics); Producer lz4; a transactional Producer (one transaction aborted, one committed) read back by a read_committed Consumer; Consumer in a group with synchronous commit, committed(), get_watermark_offsets()',
  version: () => pythonModuleVersion(`'%s (librdkafka %s)' % (confluent_kafka.version()[0], confluent_kafka.libversion()[0])`),
  async run(b, rec) {
    const r = lastJson(await runPythonCued(CONFLUENT, [b.bootstrap], 90_000, () => heartbeatSeen(rec, 'confluent-kafka')));
    if (r.consumed !== 10 || r.committed !== 10 || JSON.stringify(r.read_committed) !== '["c0","c1","c2"]') throw new Error(`confluent-kafka: ${JSON.stringify(r)}`);
    return { facts: { ...r, codecs: await storedCodecs(b, 'cm-cf') } };
  },
};

export const kafkajsWorkload: ClientWorkload = {
  client: 'KafkaJS',
  does: 'admin (createTopics, fetchTopicMetadata, describeConfigs, createPartitions, fetchTopicOffsets, deleteTopicRecords, listGroups, describeGroups, fetchOffsets, deleteGroups, deleteTopics, describeCluster); producer gzip acks=-1; transactional producer (aborted and committed transactions with sendOffsets); consumer group (eachMessage, auto commit, disconnect)',
  version: () => npmVersion('kafkajs'),
  async run(b, rec) {
    const { Kafka, logLevel, CompressionTypes } = require('kafkajs') as typeof import('kafkajs');
    const kafka = new Kafka({ clientId: 'cm-kafkajs', brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3 } });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'cm-kjs', numPartitions: 2 }, { topic: 'cm-kjs-del', numPartitions: 1 }, { topic: 'cm-kjs-tx', numPartitions: 1 }], waitForLeaders: true });
      await admin.fetchTopicMetadata({ topics: ['cm-kjs'] });
      await admin.describeConfigs({ resources: [{ type: 2, name: 'cm-kjs' }], includeSynonyms: false });
      await admin.createPartitions({ topicPartitions: [{ topic: 'cm-kjs', count: 3 }] });
      await admin.describeCluster();
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: 'cm-kjs', acks: -1, compression: CompressionTypes.GZIP, messages: Array.from({ length: 12 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition: i % 3 })) });
      await producer.send({ topic: 'cm-kjs-del', acks: 1, messages: [{ value: 'x' }, { value: 'y' }] });
      await producer.disconnect();
      const txProducer = kafka.producer({ transactionalId: 'cm-kjs-tx', idempotent: true, maxInFlightRequests: 1 });
      await txProducer.connect();
      for (const commit of [false, true]) {
        const txn = await txProducer.transaction();
        await txn.send({ topic: 'cm-kjs-tx', acks: -1, messages: [0, 1, 2].map((i) => ({ value: `${commit ? 'c' : 'a'}${i}` })) });
        await txn.sendOffsets({ consumerGroupId: 'cm-kjs-txg', topics: [{ topic: 'cm-kjs-tx', partitions: [{ partition: 0, offset: commit ? '2' : '1' }] }] });
        await (commit ? txn.commit() : txn.abort());
      }
      await txProducer.disconnect();
      await admin.deleteTopicRecords({ topic: 'cm-kjs-del', partitions: [{ partition: 0, offset: '1' }] });
      const consumer = kafka.consumer({ groupId: 'cm-kjs-g', sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
      await consumer.connect();
      let consumed = 0;
      try {
        await consumer.subscribe({ topic: 'cm-kjs', fromBeginning: true });
        await within('KafkaJS consumer', 40_000, new Promise<void>((resolve, reject) => {
          consumer.run({ autoCommitThreshold: 1, eachMessage: async () => { if (++consumed >= 12) resolve(); } }).catch(reject);
        }));
        await heartbeatSeen(rec, 'KafkaJS');
      } finally {
        await consumer.disconnect();
      }
      const offsets = await admin.fetchTopicOffsets('cm-kjs');
      const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith('cm-kjs'));
      await admin.describeGroups(['cm-kjs-g']);
      const committed = await admin.fetchOffsets({ groupId: 'cm-kjs-g', topics: ['cm-kjs'] });
      const txOffset = (await admin.fetchOffsets({ groupId: 'cm-kjs-txg', topics: ['cm-kjs-tx'] }))[0]!.partitions[0]!.offset;
      await admin.deleteGroups(['cm-kjs-g']);
      await admin.deleteTopics({ topics: ['cm-kjs-del'] });
      const committedTotal = committed[0]!.partitions.reduce((s, p) => s + Number(p.offset), 0);
      if (consumed < 12 || committedTotal !== 12 || txOffset !== '2') throw new Error(`KafkaJS consumed ${consumed}, committed ${committedTotal}, transactional offset ${txOffset}`);
      return { facts: { consumed, committedTotal, groups, highWatermarks: offsets.map((o) => o.high) } };
    } finally {
      await admin.disconnect();
    }
  },
};

export const platformaticWorkload: ClientWorkload = {
  client: '@platformatic/kafka',
  does: 'Admin (createTopics, metadata, describeConfigs, incrementalAlterConfigs, createPartitions, listGroups, describeGroups, listConsumerGroupOffsets, deleteConsumerGroupOffsets, deleteGroups, deleteTopics); idempotent Producer acks=all; Consumer group stream with commit(), listOffsets, close',
  version: () => npmVersion('@platformatic/kafka'),
  async run(b, rec) {
    const kafka = await import('@platformatic/kafka');
    const common = { clientId: 'cm-platformatic', bootstrapBrokers: [b.bootstrap], retries: 2 };
    const admin = new kafka.Admin(common);
    try {
      await admin.createTopics({ topics: ['cm-plt', 'cm-plt-del'], partitions: 2, replicas: 1 });
      await admin.metadata({ topics: ['cm-plt'] });
      await admin.describeConfigs({ resources: [{ resourceType: kafka.ConfigResourceTypes.TOPIC, resourceName: 'cm-plt' }] });
      await admin.incrementalAlterConfigs({ resources: [{ resourceType: kafka.ConfigResourceTypes.TOPIC, resourceName: 'cm-plt', configs: [
        { name: 'retention.ms', configOperation: kafka.IncrementalAlterConfigOperationTypes.SET, value: '3600000' }] }] });
      await admin.createPartitions({ topics: [{ name: 'cm-plt', count: 3 } as never] });
      const producer = new kafka.Producer({ ...common, serializers: kafka.stringSerializers, autocreateTopics: false, idempotent: true });
      try {
        await producer.send({ acks: kafka.ProduceAcks.ALL, messages: Array.from({ length: 12 }, (_, i) => ({ topic: 'cm-plt', partition: i % 3, key: `k${i}`, value: `v${i}` })) });
      } finally {
        await producer.close();
      }
      const consumer = new kafka.Consumer({ ...common, groupId: 'cm-plt-g', deserializers: kafka.stringDeserializers, maxWaitTime: 200 });
      let consumed = 0;
      try {
        const stream = await consumer.consume({ topics: ['cm-plt'], mode: 'earliest', autocommit: false, sessionTimeout: 6000, heartbeatInterval: 500 });
        await within('@platformatic/kafka consumer', 40_000, (async () => {
          for await (const message of stream) {
            await message.commit();
            if (++consumed >= 12) break;
          }
        })());
        await heartbeatSeen(rec, '@platformatic/kafka');
        await stream.close();
        await consumer.listOffsets({ topics: ['cm-plt'] });
      } finally {
        await consumer.close(true);
      }
      await admin.listGroups();
      await admin.describeGroups({ groups: ['cm-plt-g'] });
      const offsets = await admin.listConsumerGroupOffsets({ groups: ['cm-plt-g'] });
      await admin.deleteConsumerGroupOffsets({ groupId: 'cm-plt-g', topics: [{ name: 'cm-plt', partitionIndexes: [0] }] });
      await admin.deleteGroups({ groups: ['cm-plt-g'] });
      await admin.deleteTopics({ topics: ['cm-plt-del'] });
      if (consumed < 12) throw new Error(`@platformatic/kafka consumed ${consumed}`);
      return { facts: { consumed, groups: offsets.length } };
    } finally {
      await admin.close();
    }
  },
};

export const javaWorkload: ClientWorkload = {
  client: 'Java kafka-clients',
  does: 'AdminClient (createTopics, describeTopics, describeCluster, describeConfigs, incrementalAlterConfigs, createPartitions, listOffsets latest/max-timestamp, deleteRecords, listGroups, describeConsumerGroups, listConsumerGroupOffsets, deleteConsumerGroups, deleteTopics); KafkaProducer lz4 with the client defaults (acks=all, idempotent); a transactional KafkaProducer (Transaction V2: one transaction committed with sendOffsetsToTransaction, one aborted) read back by a read_committed consumer; KafkaConsumer in a group (classic protocol) with commitSync, then the group again from its committed offsets',
  version: () => (javaMissing() === null ? kafkaClientsVersion() : null),
  async run(b) {
    const java = await javaShell(b.bootstrap);
    try {
      await java.admin('create-topics', { topic: ['cm-java', 'cm-java-del'], partitions: 2 });
      await java.admin('describe-topics', { topic: 'cm-java' });
      const cluster = await java.admin('describe-cluster');
      await java.admin('describe-configs', { topic: 'cm-java' });
      await java.admin('alter-configs', { topic: 'cm-java', set: { 'retention.ms': '3600000' } });
      await java.admin('create-partitions', { topic: 'cm-java', count: 3 });
      const props = { 'compression.type': 'lz4', 'linger.ms': 5 };
      const produced = await java.produce({ topic: 'cm-java', count: 12, key: 'k{i}', value: 'v{i}', valueSize: 500, props });
      await java.produce({ topic: 'cm-java-del', count: 2, partition: 0, props });
      const txn = await java.produce({ topic: 'cm-java-del', count: 3, partition: 1, transaction: ['commit', 'abort'], offsets: ['cm-java:0:1'], offsetsGroup: 'cm-java-tx-g',
        props: { 'transactional.id': 'cm-java-tx' } });
      const committedOnly = await java.consume({ assign: 'cm-java-del:1', fromBeginning: true, idleMs: 1000, timeoutMs: 40_000, props: { 'isolation.level': 'read_committed' } });
      const consumed = await java.consume({ topic: 'cm-java', max: 12, fromBeginning: true, commit: 'sync', timeoutMs: 40_000,
        props: { 'group.id': 'cm-java-g', 'enable.auto.commit': false, 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500 } });
      // The same group again: it starts at the committed offsets, which carry a leader epoch, so the
      // consumer validates them (OffsetForLeaderEpoch) and idles long enough to heartbeat.
      const rejoined = await java.consume({ topic: 'cm-java', idleMs: 1200, timeoutMs: 40_000,
        props: { 'group.id': 'cm-java-g', 'enable.auto.commit': false, 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500 } });
      await java.admin('list-offsets', { topic: 'cm-java' });
      await java.admin('list-offsets', { topic: 'cm-java', spec: 'max-timestamp' });
      await java.admin('delete-records', { topic: 'cm-java-del', before: { 0: 1 } });
      await java.admin('list-groups');
      await java.admin('describe-groups', { group: 'cm-java-g' });
      const offsets = await java.admin('list-group-offsets', { group: 'cm-java-g' });
      await java.admin('delete-groups', { group: 'cm-java-g' });
      await java.admin('delete-topics', { topic: 'cm-java-del' });
      const committedTotal = Object.values(offsets as Record<string, number>).reduce((sum, o) => sum + o, 0);
      if (txn.transactions.some((t) => t.error !== undefined) || committedOnly.records.length !== 3) {
        throw new Error(`Java transactions: ${JSON.stringify(txn.transactions)}, read_committed got ${committedOnly.records.length} of 3`);
      }
      if (produced.summary.acked !== 12 || consumed.records.length !== 12 || committedTotal !== 12 || rejoined.records.length !== 0) {
        throw new Error(`Java: produced ${JSON.stringify(produced.summary)}, consumed ${consumed.records.length}, committed ${committedTotal}`);
      }
      return { facts: { consumed: consumed.records.length, committedTotal, clusterId: cluster.clusterId } };
    } finally {
      await java.close();
    }
  },
};

export const CLIENT_WORKLOADS: ClientWorkload[] = [kafkaPython, kcatWorkload, confluentKafka, kafkajsWorkload, platformaticWorkload, javaWorkload];

/** Runs one workload with the recorder reset before and read after. */
export async function measure(b: RunningBroker, rec: VersionRecorder, w: ClientWorkload, connections: CountingTransport): Promise<{ versions: Observed; fetchSessions: Set<FetchSessionUse>; facts: Record<string, unknown> }> {
  rec.take();
  const { facts } = await w.run(b, rec);
  // Requests the client sent before it closed (heartbeats, a closing consumer's LeaveGroup) land
  // in this column, not the next: once the broker has closed its side of every connection and
  // finished every request, there is nothing left of this client.
  await until(`${w.client}'s connections to close and its requests to finish`, () => connections.open === 0 && rec.inFlight === 0,
    { timeoutMs: 15_000, detail: () => `${connections.open} connections open, ${rec.inFlight} requests running` });
  return { ...rec.take(), facts };
}
