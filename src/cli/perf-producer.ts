/**
 * The producer half of `sherwood perf` (see ./perf.ts for the command line): a small model of
 * Kafka's producer that keeps up to max.in.flight.requests.per.connection Produce requests
 * pipelined per broker and measures each record's latency from its intended send time.
 */
import { KafkaClient, type TopicMetadata } from '../client/kafka-client.js';
import { Produce, type ProduceRequest, type ProduceResponse, ErrorCode, errorName, encodeBatch, type Compression, BATCH_HEADER_SIZE } from '../client/index.js';
import { LatencyHistogram } from './latency-histogram.js';

export type Output = (line: string) => void;

const MIB = 1024 * 1024;

export interface ProducerSettings {
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
    void this.exchange(leaderId, request, batches);
  }

  /** One Produce round trip; never rejects (failures are counted against the batches). */
  private async exchange(leaderId: number, request: Partial<ProduceRequest>, batches: PendingBatch[]): Promise<void> {
    const expectResponse = this.s.acks !== 0;
    try {
      const res = await this.client.request(Produce, request, { nodeId: leaderId, expectResponse, timeoutMs: this.s.requestTimeoutMs + 5000 });
      this.complete(batches, expectResponse ? res : null);
    } catch (e) {
      this.fail(batches, (e as Error).message);
    } finally {
      this.inFlight.set(leaderId, this.inFlight.get(leaderId)! - 1);
      this.wake();
    }
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

export async function runProduce(s: ProducerSettings, out: Output): Promise<number> {
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
