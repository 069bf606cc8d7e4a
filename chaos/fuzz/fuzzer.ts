/**
 * Protocol fuzzing against a live broker process: mutated valid frames (chaos/fuzz/corpus.ts,
 * mutators.ts) of every advertised API × version, over several connections. After each frame
 * a probe (ApiVersions v0) follows on the same connection, so we know the broker finished with
 * the frame (the probe is answered), closed the connection, or held it (no answer within
 * frameTimeoutMs: we close it; Fetch and JoinGroup may legitimately wait). Frame i is a pure
 * function of (seed, i), so a finding replays.
 *
 * Pass: the broker process never exits, its log has no unhandled rejection / uncaught
 * exception / assertion failure, a fresh connection is answered at every health check, its
 * RSS stays under maxRssMb, and at the end KafkaJS can create a topic, produce and consume.
 */
import net from 'node:net';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { SeededRandom } from '../../src/base/random.js';
import { ApiVersions } from '../../src/protocol/messages/api-versions.js';
import { Writer } from '../../src/protocol/primitives.js';
import { writeRequestHeader } from '../../src/protocol/headers.js';
import { BrokerNode, freePort } from '../broker-node.js';
import { buildCorpus, type AdvertisedRange, type SeedFrame } from './corpus.js';
import { MUTATORS } from './mutators.js';

export interface FuzzOptions {
  frames: number;
  seed: number;
  connections: number;
  frameTimeoutMs: number;
  maxRssMb: number;
  checkEvery: number;
  log: (line: string) => void;
}

export interface FuzzResult {
  ok: boolean;
  failures: string[];
  frames: number;
  outcomes: Record<string, number>;
  apiVersions: number;
  seeds: number;
  rss: { start: number; max: number; end: number };
  seconds: number;
  /** Topics and groups at the end: fuzzed CreateTopics, JoinGroup and OffsetCommit create them. */
  topics: number;
  groups: number;
  logPath?: string;
}

type Outcome = 'answered' | 'closed' | 'held';
const PROBE_BASE = 0x7f000000;

function sizePrefixed(frame: Buffer, size = frame.length): Buffer {
  const b = Buffer.allocUnsafe(4 + frame.length);
  b.writeInt32BE(size, 0);
  frame.copy(b, 4);
  return b;
}

function apiVersionsFrame(correlationId: number): Buffer {
  const w = new Writer(32);
  writeRequestHeader(w, { apiKey: 18, apiVersion: 0, correlationId, clientId: 'sherwood-fuzz' }, false);
  return sizePrefixed(w.toBuffer());
}

/** Frame i: which seed, which mutation(s), and sometimes a wrong size prefix. */
export function frameAt(corpus: SeedFrame[], seed: number, i: number): { bytes: Buffer; label: string } {
  const rnd = new SeededRandom((seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0);
  const base = corpus[i % corpus.length]!;
  const [name, mutate] = MUTATORS[rnd.int(MUTATORS.length)]!;
  let frame = mutate(base.frame, rnd);
  let label = `${base.label} / ${name}`;
  if (rnd.int(4) === 0) {
    const [name2, mutate2] = MUTATORS[rnd.int(MUTATORS.length)]!;
    frame = mutate2(frame, rnd);
    label += ` + ${name2}`;
  }
  if (rnd.int(50) === 0) {
    const size = [frame.length + 1 + rnd.int(8), Math.max(0, frame.length - 1 - rnd.int(8)), 0, -1, 0x7fffffff][rnd.int(5)]!;
    return { bytes: sizePrefixed(frame, size), label: `${label} + size ${size}` };
  }
  return { bytes: sizePrefixed(frame), label };
}

/** One connection sending one frame + probe at a time. */
class FuzzConnection {
  private socket: net.Socket | undefined;
  private buffered: Buffer = Buffer.alloc(0);
  private waiter: ((o: Outcome) => void) | undefined;
  private probeId = 0;
  private expect = -1;

  constructor(private readonly port: number, private readonly index: number) {}

  private connect(): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const s = net.connect(this.port, '127.0.0.1');
      s.setNoDelay(true);
      s.once('connect', () => resolve(s));
      s.once('error', reject);
      s.on('data', (d) => this.onData(d));
      s.on('close', () => {
        if (this.socket === s) this.socket = undefined;
        this.settle('closed');
      });
      s.on('error', () => undefined);
    });
  }

  private onData(d: Buffer): void {
    this.buffered = this.buffered.length === 0 ? d : Buffer.concat([this.buffered, d]);
    while (this.buffered.length >= 8) {
      const size = this.buffered.readInt32BE(0);
      if (this.buffered.length < 4 + size) break;
      const correlationId = this.buffered.readInt32BE(4);
      this.buffered = this.buffered.subarray(4 + size);
      if (correlationId === this.expect) this.settle('answered');
    }
  }

  private settle(o: Outcome): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.(o);
  }

  async send(bytes: Buffer, timeoutMs: number): Promise<Outcome> {
    if (this.socket === undefined) {
      this.buffered = Buffer.alloc(0);
      this.socket = await this.connect();
    }
    const s = this.socket;
    this.expect = PROBE_BASE + this.index * 0x100000 + (this.probeId++ % 0x100000);
    const outcome = new Promise<Outcome>((resolve) => { this.waiter = resolve; });
    s.write(Buffer.concat([bytes, apiVersionsFrame(this.expect)]));
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([outcome, new Promise<Outcome>((r) => { timer = setTimeout(() => r('held'), timeoutMs); })]);
    clearTimeout(timer);
    if (result !== 'answered') {
      this.waiter = undefined;
      s.destroy();
      if (this.socket === s) this.socket = undefined;
    }
    return result;
  }

  close(): void {
    this.socket?.destroy();
  }
}

async function advertisedRanges(port: number): Promise<AdvertisedRange[]> {
  const c = new FuzzConnection(port, 0);
  const s = await new Promise<net.Socket>((resolve, reject) => {
    const x = net.connect(port, '127.0.0.1', () => resolve(x));
    x.once('error', reject);
  });
  const chunks: Buffer[] = [];
  const body = await new Promise<Buffer>((resolve, reject) => {
    s.on('data', (d) => {
      chunks.push(d);
      const all = Buffer.concat(chunks);
      if (all.length >= 4 && all.length >= 4 + all.readInt32BE(0)) resolve(all.subarray(8, 4 + all.readInt32BE(0)));
    });
    s.once('error', reject);
    s.write(apiVersionsFrame(1));
  });
  s.destroy();
  c.close();
  return ApiVersions.response.decode(body, 0).apiKeys;
}

/** A fresh connection answered within timeoutMs. */
async function healthy(port: number, timeoutMs: number): Promise<boolean> {
  try {
    const c = new FuzzConnection(port, 15);
    const r = await c.send(apiVersionsFrame(2), timeoutMs);
    c.close();
    return r === 'answered';
  } catch {
    return false;
  }
}

function rssMb(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

async function normalClientWorks(bootstrap: string, counts: { topics: number; groups: number }): Promise<string | null> {
  const kafka = new kafkajs.Kafka({ clientId: 'fuzz-final', brokers: [bootstrap], logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 5 } });
  const admin = kafka.admin();
  const producer = kafka.producer();
  const consumer = kafka.consumer({ groupId: 'fuzz-final-group', maxWaitTimeInMs: 100 });
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'fuzz-final', numPartitions: 1 }], waitForLeaders: true });
    counts.topics = (await admin.listTopics()).length;
    counts.groups = (await admin.listGroups()).groups.length;
    await producer.connect();
    await producer.send({ topic: 'fuzz-final', messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}` })) });
    await consumer.connect();
    await consumer.subscribe({ topic: 'fuzz-final', fromBeginning: true });
    const got: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`consumed ${got.length} of 10 in 30 s`)), 30_000);
      void consumer.run({ eachMessage: async ({ message }) => {
        got.push(message.value!.toString());
        if (got.length === 10) { clearTimeout(timer); resolve(); }
      } });
    });
    return got.join(',') === Array.from({ length: 10 }, (_, i) => `m${i}`).join(',') ? null : `consumed ${got.join(',')}`;
  } catch (err) {
    return `normal client failed: ${String(err)}`;
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

export async function runFuzz(o: FuzzOptions): Promise<FuzzResult> {
  const work = mkdtempSync(join(tmpdir(), 'sherwood-fuzz-'));
  // auto.create.topics.enable=false: a mutated topic name in Metadata would otherwise create a
  // topic per frame, and memory growth would be legitimate. CreateTopics is still fuzzed.
  const broker = new BrokerNode(1, await freePort(), join(work, 'data'), join(work, 'broker.log'), { 'auto.create.topics.enable': 'false' });
  const failures: string[] = [];
  const outcomes: Record<string, number> = { answered: 0, closed: 0, held: 0 };
  const started = Date.now();
  let rss = { start: 0, max: 0, end: 0 };
  await broker.start();
  let keepLog = false;
  const counts = { topics: 0, groups: 0 };
  try {
    const admin = new kafkajs.Kafka({ brokers: [broker.bootstrap], logLevel: kafkajs.logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'fuzz', numPartitions: 1 }, { topic: 'golden-topic', numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const ranges = await advertisedRanges(broker.port);
    const corpus = buildCorpus(ranges);
    const apiVersions = new Set(corpus.map((c) => `${c.apiKey}/${c.apiVersion}`)).size;
    o.log(`seed ${o.seed}: ${ranges.length} APIs advertised, ${apiVersions} API × version pairs, ${corpus.length} seed frames; ${o.frames} frames over ${o.connections} connections`);
    rss = { start: rssMb(broker.pid), max: 0, end: 0 };
    const sampler = setInterval(() => { rss.max = Math.max(rss.max, rssMb(broker.pid)); }, 500);
    let next = 0;
    let sinceCheck = 0;
    let stop = false;
    let lastReport = Date.now();
    const conns = Array.from({ length: o.connections }, (_, k) => new FuzzConnection(broker.port, k + 1));
    const worker = async (c: FuzzConnection): Promise<void> => {
      while (!stop && next < o.frames) {
        const i = next++;
        const { bytes, label } = frameAt(corpus, o.seed, i);
        let r: Outcome;
        try {
          r = await c.send(bytes, o.frameTimeoutMs);
        } catch (err) {
          r = 'closed';
          if (!broker.running) { stop = true; failures.push(`broker exited after frame ${i} (${label})`); }
          else if (!(await healthy(broker.port, 5000))) { stop = true; failures.push(`connect failed after frame ${i} (${label}): ${String(err)}`); }
        }
        outcomes[r]!++;
        if (++sinceCheck >= o.checkEvery) {
          sinceCheck = 0;
          if (!broker.running) { stop = true; failures.push(`broker exited by frame ${i} (${label})`); }
          else if (!(await healthy(broker.port, 5000))) { stop = true; failures.push(`broker stopped answering new connections by frame ${i} (${label})`); }
          const now = rssMb(broker.pid);
          if (now > o.maxRssMb) { stop = true; failures.push(`broker RSS ${now} MB > ${o.maxRssMb} MB by frame ${i}`); }
          if (Date.now() - lastReport > 10_000) {
            lastReport = Date.now();
            o.log(`  ${i + 1} frames, ${((i + 1) / ((Date.now() - started) / 1000)).toFixed(0)}/s, RSS ${now} MB, ${JSON.stringify(outcomes)}`);
          }
        }
      }
    };
    await Promise.all(conns.map(worker));
    for (const c of conns) c.close();
    clearInterval(sampler);
    rss.end = rssMb(broker.pid);
    rss.max = Math.max(rss.max, rss.end);
    if (!broker.running) failures.push('broker process exited');
    else {
      if (rss.max > o.maxRssMb) failures.push(`broker RSS peaked at ${rss.max} MB > ${o.maxRssMb} MB`);
      const client = await normalClientWorks(broker.bootstrap, counts);
      if (client !== null) failures.push(client);
    }
    await broker.stop();
    await broker.closeLog();
    const log = readFileSync(broker.logPath, 'utf8');
    for (const pattern of [/unhandled ?rejection/i, /uncaught ?exception/i, /AssertionError/, /FATAL/]) {
      const m = pattern.exec(log);
      if (m) failures.push(`broker log has ${m[0]}: ${log.slice(Math.max(0, m.index - 200), m.index + 400).replace(/\n/g, ' | ')}`);
    }
    keepLog = failures.length > 0;
    const frames = outcomes.answered! + outcomes.closed! + outcomes.held!;
    return { ok: failures.length === 0, failures, frames, outcomes, apiVersions, seeds: corpus.length, rss, topics: counts.topics, groups: counts.groups, seconds: (Date.now() - started) / 1000, logPath: keepLog ? broker.logPath : undefined };
  } finally {
    await broker.stop().catch(() => undefined);
    await broker.closeLog();
    if (!keepLog) rmSync(work, { recursive: true, force: true });
  }
}
