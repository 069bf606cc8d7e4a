/**
 * `sherwood perf produce|consume` — load generators in the manner of Kafka's
 * kafka-producer-perf-test.sh and kafka-consumer-perf-test.sh, built on Sherwood's own client.
 *
 * produce: --topic T --num-records N --record-size S --throughput R (-1 = unthrottled)
 *          [--acks 1|all|0] [--producer-props k=v ...] [--bootstrap-server H:P] [--json]
 *   A small model of Kafka's producer: records are appended to one open batch at a time
 *   (sticky partitioning over the topic's partitions); a batch is sealed when it reaches
 *   batch.size, and sent once sealed or linger.ms after its first record. Up to
 *   max.in.flight.requests.per.connection Produce requests are pipelined per broker, each
 *   carrying at most one batch per partition and at most max.request.size bytes. At most
 *   buffer.memory bytes of records wait unsent. There are no retries: a failed batch counts
 *   as failed records and the exit code is 1.
 *   Latency of a record is measured from its *intended* send time — t0 + i/R when throttled,
 *   the moment it was handed to the producer when unthrottled — to the arrival of its
 *   response, so a stall in the producer or the broker shows up in the percentiles instead of
 *   silently delaying later sends (no coordinated omission).
 *
 * consume: --topic T --messages N [--consumer-props k=v ...] [--bootstrap-server H:P]
 *          [--from-latest] [--timeout MS] [--hide-header] [--json]
 *   Reads every partition from the earliest offset (no consumer group, so no rebalance time)
 *   with one Fetch in flight at a time; the next Fetch is sent before the previous response's
 *   records are walked, as Kafka's consumer prefetches.
 *
 * Both print a progress line every --reporting-interval ms (default 5000) and finish with a
 * line in the Kafka tool's format; --json adds one JSON summary line after it (used by bench/).
 */
import { pathToFileURL } from 'node:url';
import { KafkaClient, type TopicMetadata } from '../client/kafka-client.js';
import { Produce, type ProduceRequest, type ProduceResponse } from '../protocol/messages/produce.js';
import { Fetch, type FetchRequest } from '../protocol/messages/fetch.js';
import { ListOffsets } from '../protocol/messages/list-offsets.js';
import { ErrorCode, errorName } from '../protocol/error-codes.js';
import { encodeBatch, forEachRecord } from '../protocol/records.js';
import { compressionFromName, Compression } from '../protocol/compression.js';
import { BATCH_HEADER_SIZE, BATCH_LOG_OVERHEAD, ATTR_CONTROL } from '../protocol/record-batch.js';

export type Output = (line: string) => void;

const USAGE = `usage: sherwood perf produce --topic T --num-records N --record-size S --throughput R
                      [--acks 1|all|0] [--producer-props k=v ...] [--bootstrap-server H:P] [--json]
       sherwood perf consume --topic T --messages N [--consumer-props k=v ...]
                      [--bootstrap-server H:P] [--from-latest] [--timeout MS] [--hide-header] [--json]`;

const MIB = 1024 * 1024;

/** Entry point: argv is what follows `sherwood perf`. Resolves to the process exit code. */
export async function main(argv: string[], out: Output = (l) => process.stdout.write(l + '\n'), err: Output = (l) => process.stderr.write(l + '\n')): Promise<number> {
  const [command, ...rest] = argv;
  let args: ParsedArgs;
  try {
    args = parseArgs(rest);
  } catch (e) {
    err(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  try {
    if (command === 'produce') return await runProduce(producerSettings(args), out);
    if (command === 'consume') return await runConsume(consumerSettings(args), out, err);
    err(USAGE);
    return 2;
  } catch (e) {
    if (e instanceof UsageError) {
      err(`${e.message}\n${USAGE}`);
      return 2;
    }
    err(`perf ${command}: ${(e as Error).message}`);
    return 1;
  }
}

class UsageError extends Error {}

// ---------------------------------------------------------------------------------------------
// Arguments

interface ParsedArgs {
  values: Map<string, string>;
  props: Map<string, Map<string, string>>;
  flags: Set<string>;
}

const LIST_OPTIONS = new Set(['producer-props', 'consumer-props']);
const FLAG_OPTIONS = new Set(['json', 'from-latest', 'hide-header', 'print-metrics', 'show-detailed-stats']);

function parseArgs(argv: string[]): ParsedArgs {
  const parsed: ParsedArgs = { values: new Map(), props: new Map(), flags: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}"`);
    let name = arg.slice(2);
    let inline: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0 && !LIST_OPTIONS.has(name.slice(0, eq))) {
      inline = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    if (FLAG_OPTIONS.has(name)) {
      parsed.flags.add(name);
    } else if (LIST_OPTIONS.has(name)) {
      const map = parsed.props.get(name) ?? new Map<string, string>();
      while (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) {
        const kv = argv[++i]!;
        const at = kv.indexOf('=');
        if (at <= 0) throw new UsageError(`--${name}: expected key=value, got "${kv}"`);
        map.set(kv.slice(0, at), kv.slice(at + 1));
      }
      parsed.props.set(name, map);
    } else {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      parsed.values.set(name, value);
    }
  }
  return parsed;
}

function intOption(args: ParsedArgs, name: string, dflt?: number): number {
  const raw = args.values.get(name);
  if (raw === undefined) {
    if (dflt === undefined) throw new UsageError(`--${name} is required`);
    return dflt;
  }
  const v = Number(raw);
  if (!Number.isFinite(v)) throw new UsageError(`--${name}: not a number: "${raw}"`);
  return v;
}

function intProp(props: Map<string, string>, name: string, dflt: number): number {
  const raw = props.get(name);
  if (raw === undefined) return dflt;
  const v = Number(raw);
  if (!Number.isFinite(v)) throw new UsageError(`${name}: not a number: "${raw}"`);
  return v;
}

function bootstrapOf(args: ParsedArgs, props: Map<string, string>): string {
  const b = args.values.get('bootstrap-server') ?? props.get('bootstrap.servers');
  if (b === undefined) throw new UsageError('--bootstrap-server (or bootstrap.servers in the props) is required');
  return b;
}

function requiredTopic(args: ParsedArgs): string {
  const t = args.values.get('topic');
  if (t === undefined || t === '') throw new UsageError('--topic is required');
  return t;
}

// ---------------------------------------------------------------------------------------------
// Latency histogram: log-linear buckets over microseconds, ~0.2% relative precision

const SUB_BITS = 9;
const SUB_COUNT = 1 << SUB_BITS;
const LINEAR_LIMIT = SUB_COUNT * 2;
const MAX_MICROS = 2 ** 31 - 1;

export class LatencyHistogram {
  private readonly counts = new Float64Array(LINEAR_LIMIT + 22 * SUB_COUNT + SUB_COUNT);
  count = 0;
  sumMicros = 0;
  maxMicros = 0;

  record(micros: number, n = 1): void {
    const v = Math.min(MAX_MICROS, Math.max(0, Math.round(micros)));
    this.counts[bucketOf(v)]! += n;
    this.count += n;
    this.sumMicros += v * n;
    if (v > this.maxMicros) this.maxMicros = v;
  }

  /** The value (µs) at or below which `p` percent of recorded values lie. */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(bucketHigh(i), this.maxMicros);
    }
    return this.maxMicros;
  }

  meanMicros(): number {
    return this.count === 0 ? 0 : this.sumMicros / this.count;
  }
}

function bucketOf(v: number): number {
  if (v < LINEAR_LIMIT) return v;
  const shift = 31 - Math.clz32(v) - SUB_BITS; // v >> shift lies in [SUB_COUNT, 2*SUB_COUNT)
  return LINEAR_LIMIT + (shift - 1) * SUB_COUNT + ((v >> shift) - SUB_COUNT);
}

function bucketHigh(i: number): number {
  if (i < LINEAR_LIMIT) return i;
  const shift = Math.floor((i - LINEAR_LIMIT) / SUB_COUNT) + 1;
  const sub = (i - LINEAR_LIMIT) % SUB_COUNT + SUB_COUNT;
  return ((sub + 1) << shift) - 1;
}

// ---------------------------------------------------------------------------------------------
// produce

interface ProducerSettings {
  bootstrap: string;
  topic: string;
  numRecords: number;
  recordSize: number;
  throughput: number;
  acks: number;
  lingerMs: number;
  batchSize: number;
  maxInFlight: number;
  maxRequestSize: number;
  bufferMemory: number;
  requestTimeoutMs: number;
  compression: Compression;
  clientId: string;
  reportingIntervalMs: number;
  json: boolean;
}

function parseAcks(raw: string): number {
  if (raw === 'all' || raw === '-1') return -1;
  if (raw === '0' || raw === '1') return Number(raw);
  throw new UsageError(`acks must be 0, 1, all or -1, got "${raw}"`);
}

function producerSettings(args: ParsedArgs): ProducerSettings {
  const props = args.props.get('producer-props') ?? new Map<string, string>();
  const compressionName = props.get('compression.type') ?? 'none';
  const compression = compressionFromName(compressionName);
  if (compression === undefined) throw new UsageError(`unknown compression.type "${compressionName}"`);
  const s: ProducerSettings = {
    bootstrap: bootstrapOf(args, props),
    topic: requiredTopic(args),
    numRecords: intOption(args, 'num-records'),
    recordSize: intOption(args, 'record-size'),
    throughput: intOption(args, 'throughput'),
    acks: parseAcks(args.values.get('acks') ?? props.get('acks') ?? '1'),
    lingerMs: intProp(props, 'linger.ms', 5),
    batchSize: intProp(props, 'batch.size', 16384),
    maxInFlight: intProp(props, 'max.in.flight.requests.per.connection', 5),
    maxRequestSize: intProp(props, 'max.request.size', MIB),
    bufferMemory: intProp(props, 'buffer.memory', 32 * MIB),
    requestTimeoutMs: intProp(props, 'request.timeout.ms', 30000),
    compression,
    clientId: props.get('client.id') ?? 'perf-producer-client',
    reportingIntervalMs: intOption(args, 'reporting-interval', 5000),
    json: args.flags.has('json'),
  };
  if (!(s.numRecords > 0) || !(s.recordSize >= 0)) throw new UsageError('--num-records must be > 0 and --record-size >= 0');
  if (s.maxInFlight < 1) throw new UsageError('max.in.flight.requests.per.connection must be >= 1');
  return s;
}

/** Kafka's perf tool sends random uppercase letters; so do we (fixed per run). */
function payloadOf(size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = 65 + Math.floor(Math.random() * 26);
  return b;
}

/** Records [from, from + count) of one partition, appended in order. */
interface PendingBatch {
  partition: number;
  leaderId: number;
  from: number;
  count: number;
  /** When the first record was handed over (unthrottled mode's intended time). */
  createdAt: number;
}

/** Approximate bytes a record adds to a batch besides its value (varints, attributes). */
const RECORD_OVERHEAD = 10;

class ProduceRun {
  private readonly s: ProducerSettings;
  private readonly client: KafkaClient;
  private readonly partitions: { partition: number; leaderId: number }[];
  private readonly payload: Buffer;
  private readonly recordsPerBatch: number;
  private readonly bufferRecords: number;
  private readonly intervalMs: number;
  readonly histogram = new LatencyHistogram();
  private window = new LatencyHistogram();
  private t0 = 0;
  private tEnd = 0;
  private windowStart = 0;
  private generated = 0;
  acked = 0;
  failed = 0;
  firstError: string | null = null;
  private nextPartition = 0;
  private open: PendingBatch | null = null;
  private readonly sealed: PendingBatch[] = [];
  private readonly inFlight = new Map<number, number>();
  private wakeUp: (() => void) | null = null;

  constructor(s: ProducerSettings, client: KafkaClient, topic: TopicMetadata) {
    this.s = s;
    this.client = client;
    this.partitions = topic.partitions.map((p) => ({ partition: p.partition, leaderId: p.leaderId }));
    this.payload = payloadOf(s.recordSize);
    this.recordsPerBatch = Math.max(1, Math.floor((s.batchSize - BATCH_HEADER_SIZE) / (s.recordSize + RECORD_OVERHEAD)));
    this.bufferRecords = Math.max(this.recordsPerBatch, Math.floor(s.bufferMemory / (s.recordSize + RECORD_OVERHEAD)));
    this.intervalMs = s.throughput > 0 ? 1000 / s.throughput : 0;
  }

  async run(out: Output): Promise<void> {
    this.t0 = performance.now();
    this.windowStart = this.t0;
    const reporter = setInterval(() => this.report(out), this.s.reportingIntervalMs);
    try {
      while (this.acked + this.failed < this.s.numRecords) {
        const now = performance.now();
        this.generate(now);
        this.sendReady(now);
        if (this.acked + this.failed >= this.s.numRecords) break;
        await this.waitForEvent(now);
      }
    } finally {
      clearInterval(reporter);
    }
    this.tEnd = performance.now();
  }

  /** Hands records that are due (and fit in buffer.memory) to the open batch. */
  private generate(now: number): void {
    const n = this.s.numRecords;
    const due = this.intervalMs > 0 ? Math.min(n, Math.floor((now - this.t0) / this.intervalMs) + 1) : n;
    const target = Math.min(due, this.acked + this.failed + this.bufferRecords);
    while (this.generated < target) {
      if (this.open === null) {
        const p = this.partitions[this.nextPartition]!;
        this.nextPartition = (this.nextPartition + 1) % this.partitions.length;
        this.open = { partition: p.partition, leaderId: p.leaderId, from: this.generated, count: 0, createdAt: now };
      }
      const take = Math.min(target - this.generated, this.recordsPerBatch - this.open.count);
      this.open.count += take;
      this.generated += take;
      if (this.open.count >= this.recordsPerBatch) {
        this.sealed.push(this.open);
        this.open = null;
      }
    }
  }

  private firstRecordTime(b: PendingBatch): number {
    return this.intervalMs > 0 ? this.t0 + b.from * this.intervalMs : b.createdAt;
  }

  /** Sends requests while a broker has a free in-flight slot and something is ready. */
  private sendReady(now: number): void {
    for (;;) {
      const batches = this.collectRequest(now);
      if (batches.length === 0) return;
      this.send(batches);
    }
  }

  private collectRequest(now: number): PendingBatch[] {
    const taken: PendingBatch[] = [];
    const partitions = new Set<number>();
    let leaderId = -2;
    let bytes = 0;
    const batchBytes = (b: PendingBatch): number => BATCH_HEADER_SIZE + b.count * (this.s.recordSize + RECORD_OVERHEAD);
    const fits = (b: PendingBatch): boolean =>
      !partitions.has(b.partition) &&
      (leaderId === -2 ? (this.inFlight.get(b.leaderId) ?? 0) < this.s.maxInFlight : b.leaderId === leaderId) &&
      (taken.length === 0 || bytes + batchBytes(b) <= this.s.maxRequestSize);
    for (let i = 0; i < this.sealed.length; i++) {
      const b = this.sealed[i]!;
      if (!fits(b)) continue;
      taken.push(b);
      partitions.add(b.partition);
      leaderId = b.leaderId;
      bytes += batchBytes(b);
      this.sealed.splice(i--, 1);
    }
    const open = this.open;
    const allHandedOver = this.generated >= this.s.numRecords;
    if (open !== null && open.count > 0 && (allHandedOver || now - this.firstRecordTime(open) >= this.s.lingerMs) && fits(open)) {
      taken.push(open);
      this.open = null;
    }
    return taken;
  }

  private send(batches: PendingBatch[]): void {
    const leaderId = batches[0]!.leaderId;
    this.inFlight.set(leaderId, (this.inFlight.get(leaderId) ?? 0) + 1);
    const timestamp = Date.now();
    const request: Partial<ProduceRequest> = {
      transactionalId: null,
      acks: this.s.acks,
      timeoutMs: this.s.requestTimeoutMs,
      topicData: [{
        name: this.s.topic,
        partitionData: batches.map((b) => ({ index: b.partition, records: this.encode(b, timestamp) })),
      }],
    };
    const expectResponse = this.s.acks !== 0;
    this.client.request(Produce, request, { nodeId: leaderId, expectResponse, timeoutMs: this.s.requestTimeoutMs + 5000 }).then(
      (res) => this.complete(batches, expectResponse ? res : null),
      (e: unknown) => this.fail(batches, (e as Error).message),
    ).finally(() => {
      this.inFlight.set(leaderId, this.inFlight.get(leaderId)! - 1);
      this.wake();
    });
  }

  private encode(b: PendingBatch, timestamp: number): Buffer {
    const records = new Array(b.count);
    const record = { key: null, value: this.payload };
    records.fill(record);
    return encodeBatch({ records, timestamp, compression: this.s.compression });
  }

  private complete(batches: PendingBatch[], res: ProduceResponse | null): void {
    const now = performance.now();
    for (const b of batches) {
      const code = res === null ? ErrorCode.NONE : partitionError(res, this.s.topic, b.partition);
      if (code !== ErrorCode.NONE) {
        this.fail([b], `${this.s.topic}-${b.partition}: ${errorName(code)}`);
        continue;
      }
      if (this.intervalMs > 0) {
        for (let i = 0; i < b.count; i++) {
          const micros = (now - this.t0 - (b.from + i) * this.intervalMs) * 1000;
          this.histogram.record(micros);
          this.window.record(micros);
        }
      } else {
        const micros = (now - b.createdAt) * 1000;
        this.histogram.record(micros, b.count);
        this.window.record(micros, b.count);
      }
      this.acked += b.count;
    }
  }

  private fail(batches: PendingBatch[], message: string): void {
    for (const b of batches) this.failed += b.count;
    if (this.firstError === null) this.firstError = message;
  }

  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = null;
    if (w !== null) w();
  }

  /** Sleeps until a response arrives, the next record is due or the open batch's linger ends. */
  private waitForEvent(now: number): Promise<void> {
    let deadline = Infinity;
    if (this.intervalMs > 0 && this.generated < this.s.numRecords) deadline = this.t0 + this.generated * this.intervalMs;
    const open = this.open;
    if (open !== null && open.count > 0 && (this.inFlight.get(open.leaderId) ?? 0) < this.s.maxInFlight) {
      deadline = Math.min(deadline, this.firstRecordTime(open) + this.s.lingerMs);
    }
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
      const done = (): void => {
        if (timer !== undefined) {
          clearTimeout(timer as NodeJS.Timeout);
          clearImmediate(timer as NodeJS.Immediate);
        }
        this.wakeUp = null;
        resolve();
      };
      this.wakeUp = done;
      if (deadline !== Infinity) {
        const delay = deadline - now;
        // Timers have 1 ms granularity; below that, yield to I/O and look again.
        timer = delay < 1 ? setImmediate(done) : setTimeout(done, Math.floor(delay));
      }
    });
  }

  private report(out: Output): void {
    const now = performance.now();
    const w = this.window;
    const seconds = (now - this.windowStart) / 1000;
    out(`${w.count} records sent, ${(w.count / seconds).toFixed(1)} records/sec (${(w.count * this.s.recordSize / MIB / seconds).toFixed(2)} MB/sec), ` +
      `${(w.meanMicros() / 1000).toFixed(1)} ms avg latency, ${(w.maxMicros / 1000).toFixed(1)} ms max latency.`);
    this.window = new LatencyHistogram();
    this.windowStart = now;
  }

  summary(): Record<string, unknown> {
    const seconds = (this.tEnd - this.t0) / 1000;
    const h = this.histogram;
    const ms = (micros: number): number => Math.round(micros) / 1000;
    return {
      tool: 'sherwood perf produce',
      topic: this.s.topic,
      partitions: this.partitions.length,
      acks: this.s.acks === -1 ? 'all' : String(this.s.acks),
      record_size: this.s.recordSize,
      throughput: this.s.throughput,
      linger_ms: this.s.lingerMs,
      batch_size: this.s.batchSize,
      max_in_flight: this.s.maxInFlight,
      records: this.acked,
      errors: this.failed,
      first_error: this.firstError,
      seconds,
      records_per_s: Math.round(this.acked / seconds),
      MB_per_s: Math.round(this.acked * this.s.recordSize / seconds / 1e5) / 10,
      lat_ms_avg: ms(h.meanMicros()),
      lat_ms_p50: ms(h.percentile(50)),
      lat_ms_p95: ms(h.percentile(95)),
      lat_ms_p99: ms(h.percentile(99)),
      lat_ms_p999: ms(h.percentile(99.9)),
      lat_ms_max: ms(h.maxMicros),
    };
  }

  /** Kafka's final line: "N records sent, R records/sec (M MB/sec), A ms avg latency, ...". */
  finalLine(): string {
    const seconds = (this.tEnd - this.t0) / 1000;
    const h = this.histogram;
    const msInt = (p: number): number => Math.floor(h.percentile(p) / 1000);
    return `${this.acked} records sent, ${(this.acked / seconds).toFixed(6)} records/sec (${(this.acked * this.s.recordSize / MIB / seconds).toFixed(2)} MB/sec), ` +
      `${(h.meanMicros() / 1000).toFixed(2)} ms avg latency, ${(h.maxMicros / 1000).toFixed(2)} ms max latency, ` +
      `${msInt(50)} ms 50th, ${msInt(95)} ms 95th, ${msInt(99)} ms 99th, ${msInt(99.9)} ms 99.9th.`;
  }
}

function partitionError(res: ProduceResponse, topic: string, partition: number): number {
  for (const t of res.responses) {
    if (t.name !== topic) continue;
    for (const p of t.partitionResponses) if (p.index === partition) return p.errorCode;
  }
  return ErrorCode.UNKNOWN_SERVER_ERROR;
}

async function runProduce(s: ProducerSettings, out: Output): Promise<number> {
  const client = await KafkaClient.connect(s.bootstrap, { clientId: s.clientId, requestTimeoutMs: s.requestTimeoutMs });
  try {
    const topic = await client.topicMetadata(s.topic, { allowAutoTopicCreation: true, retries: 50 });
    const run = new ProduceRun(s, client, topic);
    await run.run(out);
    out(run.finalLine());
    if (s.json) out(JSON.stringify(run.summary()));
    if (run.failed > 0) {
      out(`${run.failed} records failed; first error: ${run.firstError}`);
      return 1;
    }
    return 0;
  } finally {
    await client.close();
  }
}

// ---------------------------------------------------------------------------------------------
// consume

interface ConsumerSettings {
  bootstrap: string;
  topic: string;
  messages: number;
  fetchMaxBytes: number;
  partitionMaxBytes: number;
  fetchMinBytes: number;
  fetchMaxWaitMs: number;
  fromLatest: boolean;
  timeoutMs: number;
  clientId: string;
  reportingIntervalMs: number;
  hideHeader: boolean;
  json: boolean;
}

function consumerSettings(args: ParsedArgs): ConsumerSettings {
  const props = args.props.get('consumer-props') ?? new Map<string, string>();
  const s: ConsumerSettings = {
    bootstrap: bootstrapOf(args, props),
    topic: requiredTopic(args),
    messages: intOption(args, 'messages'),
    fetchMaxBytes: intProp(props, 'fetch.max.bytes', 50 * MIB),
    partitionMaxBytes: intOption(args, 'fetch-size', intProp(props, 'max.partition.fetch.bytes', MIB)),
    fetchMinBytes: intProp(props, 'fetch.min.bytes', 1),
    fetchMaxWaitMs: intProp(props, 'fetch.max.wait.ms', 500),
    fromLatest: args.flags.has('from-latest'),
    timeoutMs: intOption(args, 'timeout', 10000),
    clientId: props.get('client.id') ?? 'perf-consumer-client',
    reportingIntervalMs: intOption(args, 'reporting-interval', 5000),
    hideHeader: args.flags.has('hide-header'),
    json: args.flags.has('json'),
  };
  if (!(s.messages > 0)) throw new UsageError('--messages must be > 0');
  return s;
}

/** Whole batches of one partition from one Fetch response, and the offset that was asked for. */
interface FetchedRecords {
  records: Buffer;
  fetchOffset: number;
}

interface FetchPosition {
  partition: number;
  leaderId: number;
  offset: number;
}

/** Kafka's consumer perf tool prints times as yyyy-MM-dd HH:mm:ss:SSS (local time). */
function kafkaTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}:${p(d.getMilliseconds(), 3)}`;
}

async function listStartOffsets(client: KafkaClient, s: ConsumerSettings, topic: TopicMetadata): Promise<FetchPosition[]> {
  const res = await client.request(ListOffsets, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: s.topic, partitions: topic.partitions.map((p) => ({ partitionIndex: p.partition, currentLeaderEpoch: -1, timestamp: s.fromLatest ? -1 : -2, maxNumOffsets: 1 })) }],
    timeoutMs: 30000,
  }, { nodeId: topic.partitions[0]?.leaderId });
  const positions: FetchPosition[] = [];
  for (const p of topic.partitions) {
    const r = res.topics.find((t) => t.name === s.topic)?.partitions.find((x) => x.partitionIndex === p.partition);
    if (r === undefined || r.errorCode !== ErrorCode.NONE) {
      throw new Error(`ListOffsets ${s.topic}-${p.partition}: ${r === undefined ? 'no answer' : errorName(r.errorCode)}`);
    }
    positions.push({ partition: p.partition, leaderId: p.leaderId, offset: r.offset });
  }
  return positions;
}

class ConsumeRun {
  records = 0;
  bytes = 0;
  tFirstRecord = 0;
  tLastRecord = 0;
  private windowRecords = 0;
  private windowBytes = 0;
  private windowStart = 0;

  constructor(private readonly s: ConsumerSettings, private readonly client: KafkaClient, private readonly topic: TopicMetadata, private readonly positions: FetchPosition[]) {}

  private fetch(): Promise<FetchedRecords[]> {
    const s = this.s;
    const request: Partial<FetchRequest> = {
      replicaId: -1,
      maxWaitMs: s.fetchMaxWaitMs,
      minBytes: s.fetchMinBytes,
      maxBytes: s.fetchMaxBytes,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{
        topic: s.topic,
        topicId: this.topic.topicId,
        partitions: this.positions.map((p) => ({
          partition: p.partition, currentLeaderEpoch: -1, fetchOffset: p.offset, lastFetchedEpoch: -1, logStartOffset: -1,
          partitionMaxBytes: s.partitionMaxBytes, replicaDirectoryId: Buffer.alloc(16),
        })),
      }],
      forgottenTopicsData: [],
      rackId: '',
    };
    return this.client.request(Fetch, request, { nodeId: this.positions[0]!.leaderId, timeoutMs: s.fetchMaxWaitMs + 30000 }).then((res) => {
      if (res.errorCode !== ErrorCode.NONE) throw new Error(`Fetch: ${errorName(res.errorCode)}`);
      const out: FetchedRecords[] = [];
      for (const t of res.responses) {
        for (const p of t.partitions) {
          const pos = this.positions.find((x) => x.partition === p.partitionIndex);
          if (pos === undefined) continue;
          if (p.errorCode !== ErrorCode.NONE) throw new Error(`Fetch ${s.topic}-${p.partitionIndex}: ${errorName(p.errorCode)}`);
          if (p.records === null || p.records.length === 0) continue;
          // Advance the position past the last complete batch now, so the next Fetch can go
          // out before these records are walked.
          const from = pos.offset;
          const end = completeBatchesEnd(p.records);
          if (end.bytes === 0) continue;
          pos.offset = end.nextOffset;
          out.push({ records: p.records.subarray(0, end.bytes), fetchOffset: from });
        }
      }
      return out;
    });
  }

  async run(out: Output): Promise<boolean> {
    const start = performance.now();
    this.windowStart = start;
    let lastProgress = start;
    let pending = this.fetch();
    while (this.records < this.s.messages) {
      const chunks = await pending;
      const now = performance.now();
      if (chunks.length > 0) lastProgress = now;
      else if (now - lastProgress > this.s.timeoutMs) return false;
      pending = this.fetch();
      for (const c of chunks) this.count(c);
      if (now - this.windowStart >= this.s.reportingIntervalMs) this.report(out, now);
    }
    // The prefetched request may still be in flight; let it finish before the client closes.
    await pending.catch(() => undefined);
    return true;
  }

  /** Walks the records of whole batches, skipping those before the fetch offset. */
  private count({ records, fetchOffset }: FetchedRecords): void {
    let pos = 0;
    while (pos + BATCH_LOG_OVERHEAD <= records.length) {
      const size = records.readInt32BE(pos + 8) + BATCH_LOG_OVERHEAD;
      const baseOffset = records.readInt32BE(pos) * 4294967296 + records.readUInt32BE(pos + 4);
      const attributes = records.readInt16BE(pos + 21);
      if ((attributes & ATTR_CONTROL) === 0) {
        forEachRecord(records, pos, (offsetDelta, _ts, key, value) => {
          if (baseOffset + offsetDelta < fetchOffset || this.records >= this.s.messages) return;
          this.records++;
          this.bytes += (key?.length ?? 0) + (value?.length ?? 0);
          this.windowRecords++;
          this.windowBytes += (key?.length ?? 0) + (value?.length ?? 0);
        });
      }
      pos += size;
    }
    const now = performance.now();
    if (this.tFirstRecord === 0 && this.records > 0) this.tFirstRecord = now;
    this.tLastRecord = now;
  }

  private report(out: Output, now: number): void {
    const seconds = (now - this.windowStart) / 1000;
    out(`${this.records} records consumed, ${(this.windowRecords / seconds).toFixed(1)} records/sec (${(this.windowBytes / MIB / seconds).toFixed(2)} MB/sec).`);
    this.windowRecords = 0;
    this.windowBytes = 0;
    this.windowStart = now;
  }
}

/** Byte length of the complete batches at the front of `records` and the offset after them. */
function completeBatchesEnd(records: Buffer): { bytes: number; nextOffset: number } {
  let pos = 0;
  let nextOffset = -1;
  while (pos + BATCH_LOG_OVERHEAD <= records.length) {
    const size = records.readInt32BE(pos + 8) + BATCH_LOG_OVERHEAD;
    if (size < BATCH_HEADER_SIZE || pos + size > records.length) break;
    const baseOffset = records.readInt32BE(pos) * 4294967296 + records.readUInt32BE(pos + 4);
    nextOffset = baseOffset + records.readInt32BE(pos + 23) + 1;
    pos += size;
  }
  return { bytes: pos, nextOffset };
}

async function runConsume(s: ConsumerSettings, out: Output, err: Output): Promise<number> {
  const client = await KafkaClient.connect(s.bootstrap, { clientId: s.clientId });
  try {
    const startMs = Date.now();
    const tStart = performance.now();
    const topic = await client.topicMetadata(s.topic, { retries: 50 });
    const positions = await listStartOffsets(client, s, topic);
    const run = new ConsumeRun(s, client, topic, positions);
    const complete = await run.run(out);
    const tEnd = performance.now();
    const endMs = startMs + (tEnd - tStart);
    if (!complete) err(`WARNING: Exiting before consuming the expected number of messages: timeout (${s.timeoutMs} ms) exceeded.`);
    const seconds = (tEnd - tStart) / 1000;
    const mb = run.bytes / MIB;
    if (!s.hideHeader) out('start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec');
    out(`${kafkaTime(startMs)}, ${kafkaTime(endMs)}, ${mb.toFixed(4)}, ${(mb / seconds).toFixed(4)}, ${run.records}, ${(run.records / seconds).toFixed(4)}, ` +
      `0, ${Math.round(tEnd - tStart)}, ${(mb / seconds).toFixed(4)}, ${(run.records / seconds).toFixed(4)}`);
    if (s.json) {
      const active = run.tFirstRecord > 0 ? (run.tLastRecord - run.tFirstRecord) / 1000 : 0;
      out(JSON.stringify({
        tool: 'sherwood perf consume', topic: s.topic, partitions: positions.length, records: run.records, bytes: run.bytes,
        seconds, first_record_s: run.tFirstRecord > 0 ? (run.tFirstRecord - tStart) / 1000 : null, active_seconds: active,
        records_per_s: active > 0 ? Math.round(run.records / active) : 0,
        MB_per_s: active > 0 ? Math.round(run.bytes / active / 1e5) / 10 : 0,
      }));
    }
    return complete ? 0 : 1;
  } finally {
    await client.close();
  }
}

// `node dist/src/cli/perf.js produce ...` works without the main CLI.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: unknown) => { console.error(e); process.exitCode = 1; });
}
