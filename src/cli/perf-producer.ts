/**
 * The producer half of `sherwood perf` (see ./perf.ts for the command line): a small model of
 * Kafka's producer that keeps up to max.in.flight.requests.per.connection Produce requests
 * pipelined per broker and measures each record's latency from its intended send time.
 *
 * Idempotent (enable.idempotence): the producer id comes from InitProducerId and each batch
 * carries it with the partition's next sequence, stamped when the request is built (requests to
 * a broker go out and are answered in order, so sequences arrive in order). Transactional
 * (transactional.id): InitProducerId for the id, AddPartitionsToTxn before a partition's first
 * batch of each transaction, and a commit (EndTxn, after every batch of the transaction is
 * acknowledged) once the transaction has lasted --transaction-duration-ms — Kafka's
 * ProducerPerformance checks the same after each record — or holds --records-per-transaction
 * records; records wait while a transaction commits, as Kafka's send loop does. The requests of a
 * transaction start in order (a chain), so one waiting for AddPartitionsToTxn holds the later ones.
 */
import { KafkaClient, type TopicMetadata } from '../client/kafka-client.js';
import {
  Produce, type ProduceRequest, type ProduceResponse, ErrorCode, errorName, encodeBatch, type Compression, BATCH_HEADER_SIZE, TransactionManager,
} from '../client/index.js';
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
  /** enable.idempotence (resolved with the Java producer's rules). */
  idempotent: boolean;
  /** transactional.id, or null: no transactions. */
  transactionalId: string | null;
  /** --transaction-duration-ms: commit once a transaction is this old (Kafka's ProducerPerformance). */
  transactionDurationMs: number;
  /** --records-per-transaction (Sherwood extension): commit after this many records; 0 = no limit. */
  recordsPerTransaction: number;
  transactionTimeoutMs: number;
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
  /** Idempotence and transactions; null for a plain producer. */
  private readonly tm: TransactionManager | null;
  /** Next sequence per partition, for the producer id/epoch generation it was counted in. */
  private readonly sequences = new Map<number, { generation: number; next: number }>();
  /** Records handed to batches in the current transaction, and when it began. */
  private txnRecords = 0;
  private txnStartedAt = 0;
  private sendChain: Promise<void> = Promise.resolve();
  transactions = 0;

  constructor(s: ProducerSettings, client: KafkaClient, topic: TopicMetadata, tm: TransactionManager | null) {
    this.s = s;
    this.client = client;
    this.tm = tm;
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
    const transactional = this.tm?.isTransactional === true;
    if (transactional) this.beginTransaction(this.t0);
    try {
      while (this.acked + this.failed < this.s.numRecords) {
        const now = performance.now();
        if (transactional && this.transactionDone(now) && this.idle()) {
          await this.endTransaction();
          if (this.generated < this.s.numRecords) this.beginTransaction(performance.now());
          continue;
        }
        if (!transactional || !this.transactionDone(now)) this.generate(now);
        // A transaction that just filled up is flushed at once (its open batch does not linger),
        // as Java's commitTransaction flushes.
        if (transactional) this.transactionDone(now);
        this.sendReady(now);
        if (this.acked + this.failed >= this.s.numRecords) break;
        await this.waitForEvent(now);
      }
      if (transactional && this.txnRecords > 0) await this.endTransaction();
    } finally {
      clearInterval(reporter);
    }
    this.tEnd = performance.now();
  }

  private beginTransaction(now: number): void {
    this.tm!.beginTransaction();
    this.txnRecords = 0;
    this.txnStartedAt = now;
  }

  /** The open transaction takes no more records: old enough, full, or all records handed over. */
  private transactionDone(now: number): boolean {
    if (this.txnRecords === 0) return false;
    const full = this.s.recordsPerTransaction > 0 && this.txnRecords >= this.s.recordsPerTransaction;
    const done = full || now - this.txnStartedAt >= this.s.transactionDurationMs || this.generated >= this.s.numRecords;
    if (done && this.open !== null && this.open.count > 0) {
      this.sealed.push(this.open);
      this.open = null;
    }
    return done;
  }

  private idle(): boolean {
    return this.open === null && this.sealed.length === 0 && [...this.inFlight.values()].every((n) => n === 0);
  }

  /** Commits (or, after a failed batch, aborts) the transaction once all its batches are answered. */
  private async endTransaction(): Promise<void> {
    const tm = this.tm!;
    try {
      await this.sendChain;
      if (tm.state === 'ABORTABLE_ERROR') await tm.endTransaction(false);
      else await tm.endTransaction(true);
      this.transactions++;
    } catch (e) {
      if (this.firstError === null) this.firstError = `ending transaction: ${(e as Error).message}`;
      throw e;
    }
  }

  /** Hands records that are due (and fit in buffer.memory) to the open batch. */
  private generate(now: number): void {
    const n = this.s.numRecords;
    const due = this.intervalMs > 0 ? Math.min(n, Math.floor((now - this.t0) / this.intervalMs) + 1) : n;
    let target = Math.min(due, this.acked + this.failed + this.bufferRecords);
    if (this.tm?.isTransactional === true && this.s.recordsPerTransaction > 0) {
      target = Math.min(target, this.generated + this.s.recordsPerTransaction - this.txnRecords);
    }
    const before = this.generated;
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
    this.txnRecords += this.generated - before;
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
    const tm = this.tm;
    if (tm === null || !tm.isTransactional) {
      void this.exchange(leaderId, this.request(batches), batches);
      return;
    }
    // Requests of a transaction start in order: one waiting for AddPartitionsToTxn holds the rest.
    const missing = batches.filter((b) => !tm.isPartitionAdded(this.s.topic, b.partition));
    this.sendChain = this.sendChain
      .then(() => Promise.all(missing.map((b) => tm.addPartition(this.s.topic, b.partition))))
      .then(
        () => { void this.exchange(leaderId, this.request(batches), batches); },
        (e: Error) => {
          this.fail(batches, e.message);
          this.inFlight.set(leaderId, this.inFlight.get(leaderId)! - 1);
          this.wake();
        },
      );
  }

  private request(batches: PendingBatch[]): Partial<ProduceRequest> {
    const timestamp = Date.now();
    return {
      transactionalId: this.tm?.transactionalId ?? null,
      acks: this.s.acks,
      timeoutMs: this.s.requestTimeoutMs,
      topicData: [{
        name: this.s.topic,
        partitionData: batches.map((b) => ({ index: b.partition, records: this.encode(b, timestamp) })),
      }],
    };
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
    const tm = this.tm;
    if (tm === null) return encodeBatch({ records, timestamp, compression: this.s.compression });
    const { producerId, producerEpoch } = tm.producerIdAndEpoch;
    let seq = this.sequences.get(b.partition);
    if (seq === undefined || seq.generation !== tm.generation) {
      seq = { generation: tm.generation, next: 0 };
      this.sequences.set(b.partition, seq);
    }
    const baseSequence = seq.next;
    seq.next = (seq.next + b.count) % 2147483648;
    return encodeBatch({ records, timestamp, compression: this.s.compression, producerId, producerEpoch, baseSequence, transactional: tm.isTransactional });
  }

  private complete(batches: PendingBatch[], res: ProduceResponse | null): void {
    const now = performance.now();
    for (const b of batches) {
      const code = res === null ? ErrorCode.NONE : partitionError(res, this.s.topic, b.partition);
      if (code !== ErrorCode.NONE) {
        this.fail([b], `${this.s.topic}-${b.partition}: ${errorName(code)}`);
        // No retries here: a transaction with a failed batch can only be aborted.
        if (this.tm?.isTransactional === true) this.tm.abortable(code, `${this.s.topic}-${b.partition}: ${errorName(code)}`);
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
    if (this.tm?.isTransactional === true && this.txnRecords > 0) deadline = Math.min(deadline, this.txnStartedAt + this.s.transactionDurationMs);
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
      idempotent: this.s.idempotent,
      transactional_id: this.s.transactionalId,
      transactions: this.transactions,
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
    let tm: TransactionManager | null = null;
    if (s.idempotent) {
      tm = new TransactionManager(client, { transactionalId: s.transactionalId, transactionTimeoutMs: s.transactionTimeoutMs });
      await tm.initialize();
    }
    const run = new ProduceRun(s, client, topic, tm);
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
