/**
 * Sherwood's producer: plain, idempotent or transactional, after the Java KafkaProducer.
 * The caller picks the partition; `send(topic, partition, records)` makes one batch of them
 * and resolves when the broker acknowledged it (or rejects when it failed for good).
 *
 * - Per partition, batches go out in `send` order, at most `maxInFlight` at a time
 *   (pipelined on one connection, which the broker answers in order). An idempotent
 *   producer stamps each batch with its producer id, epoch and base sequence when the batch is
 *   first sent; a retry resends the same bytes with the same sequence, so a broker that had
 *   written it answers with the original offset instead of writing it twice.
 * - After any error on a partition nothing new is sent there until every in-flight batch has
 *   answered; then, as the Java client does:
 *     retriable errors (leader moved, timeouts, disconnects) — retried in order, keeping
 *       their sequences, until `retries` or `deliveryTimeoutMs` runs out;
 *     OUT_OF_ORDER_SEQUENCE_NUMBER for a batch that is not the next expected one — retried
 *       (an earlier batch failed first);
 *     OUT_OF_ORDER_SEQUENCE_NUMBER for the next expected batch, or UNKNOWN_PRODUCER_ID —
 *       idempotent: the epoch is bumped (KIP-360, see ./transaction-manager.ts) and the
 *       partition's unacknowledged batches are restamped from sequence 0 and retried;
 *       transactional: the transaction becomes abortable (the abort bumps the epoch);
 *     any other error — that batch fails; an idempotent partition restamps the batches after
 *       it so the sequence has no gap; a transaction becomes abortable;
 *     PRODUCER_FENCED / INVALID_PRODUCER_EPOCH / authorization / INVALID_TXN_STATE — fatal:
 *       every pending and later call fails.
 *   A batch that runs out of retries with its outcome unknown bumps the epoch too, so later
 *   batches never collide with it.
 * - A transactional producer adds each partition to the transaction (AddPartitionsToTxn)
 *   before its first batch; `commitTransaction` waits for every batch, then EndTxn;
 *   `abortTransaction` drops batches not yet sent, waits for the in-flight ones, then EndTxn.
 *
 * Idempotence follows ProducerConfig: on by default when acks is all (-1), retries > 0 and
 * maxInFlight <= 5; asking for it explicitly with other settings is an error, as is a
 * transactional.id without it.
 */
import { BrokerError } from '../base/errors.js';
import { sleep } from '../base/clock.js';
import { ErrorCode, errorName } from '../protocol/error-codes.js';
import { Compression, updateBatchCrc, writeInt64 } from '../protocol/record-batch.js';
import { encodeBatch, type RecordInput } from '../protocol/records.js';
import { Produce } from '../protocol/messages/produce.js';
import type { KafkaClient } from './kafka-client.js';
import { AbortableTransactionError, FatalProducerError, KafkaError, RETRIABLE } from './kafka-error.js';
import type { ProduceResult } from './operations.js';
import {
  FATAL_ERRORS, TRANSACTION_V1_MAX_VERSION, TransactionManager, type ConsumerGroupMetadata, type ProducerIdAndEpoch, type TransactionOffset, type TransactionState,
} from './transaction-manager.js';

export interface ProducerOptions {
  /** 0, 1 or -1 (all); default -1. */
  acks?: number;
  compression?: Compression;
  /** enable.idempotence; default: on when the other settings allow it (see the header). */
  idempotent?: boolean;
  /** transactional.id: a transactional producer (call initTransactions() first). */
  transactionalId?: string | null;
  /** transaction.timeout.ms, default 60000. */
  transactionTimeoutMs?: number;
  /** request.timeout.ms: the Produce timeout and how long an answer is awaited; default 30000. */
  requestTimeoutMs?: number;
  /** delivery.timeout.ms: how long a batch may take, retries included; default 120000. */
  deliveryTimeoutMs?: number;
  /** retries, default 2147483647 (delivery.timeout.ms is the real bound). */
  retries?: number;
  /** retry.backoff.ms, default 100. */
  retryBackoffMs?: number;
  /** max.in.flight.requests.per.connection (here: per partition), default 5. */
  maxInFlight?: number;
  /** max.block.ms for InitProducerId and the transaction coordinator, default 60000. */
  maxBlockMs?: number;
}

/** Java ProducerConfig's idempotence rules; throws the Java client's message on a conflict. */
export function resolveIdempotence(o: ProducerOptions): boolean {
  const acks = o.acks ?? -1;
  const retries = o.retries ?? 2147483647;
  const maxInFlight = o.maxInFlight ?? 5;
  const transactional = o.transactionalId !== undefined && o.transactionalId !== null;
  if (transactional && o.idempotent === false) throw new BrokerError('SHERWOOD_CLIENT', 'Cannot set a transactional.id without also enabling idempotence.');
  if (o.idempotent === true || transactional) {
    if (acks !== -1) throw new BrokerError('SHERWOOD_CLIENT', 'Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee idempotence.');
    if (retries === 0) throw new BrokerError('SHERWOOD_CLIENT', 'Must set retries to non-zero when using the idempotent producer.');
    if (maxInFlight > 5) throw new BrokerError('SHERWOOD_CLIENT', 'Must set max.in.flight.requests.per.connection to at most 5 when using the idempotent producer.');
    return true;
  }
  if (o.idempotent === false) return false;
  return acks === -1 && retries > 0 && maxInFlight <= 5;
}

const INT32_MAX = 2147483647;

/** Kafka's DefaultRecordBatch.incrementSequence: sequences wrap from Int32.MAX to 0. */
export function incrementSequence(sequence: number, increment: number): number {
  return sequence > INT32_MAX - increment ? increment - (INT32_MAX - sequence) - 1 : sequence + increment;
}

/** Writes producer id, epoch and base sequence into an encoded batch and fixes its CRC. */
export function stampBatch(buf: Buffer, producerId: number, producerEpoch: number, baseSequence: number): void {
  writeInt64(buf, 43, producerId);
  buf.writeInt16BE(producerEpoch, 51);
  buf.writeInt32BE(baseSequence, 53);
  updateBatchCrc(buf, 0, buf.length);
}

interface Stamp extends ProducerIdAndEpoch {
  generation: number;
  baseSequence: number;
}

interface Batch {
  /** Enqueue order within the producer. */
  id: number;
  buffer: Buffer;
  count: number;
  stamp: Stamp | null;
  attempts: number;
  deadline: number;
  inFlight: boolean;
  resolve: (r: ProduceResult) => void;
  reject: (e: Error) => void;
}

type Answer =
  | { ok: true; result: ProduceResult }
  | { ok: false; code: number; message: string; retriable: boolean };

let nextBatchId = 0;

export class Producer {
  readonly client: KafkaClient;
  readonly transactions: TransactionManager;
  readonly idempotent: boolean;
  readonly acks: number;
  readonly compression: Compression;
  readonly requestTimeoutMs: number;
  readonly deliveryTimeoutMs: number;
  readonly retries: number;
  readonly retryBackoffMs: number;
  readonly maxInFlight: number;
  private readonly partitions = new Map<string, PartitionQueue>();
  private closed = false;

  private constructor(client: KafkaClient, o: ProducerOptions) {
    this.client = client;
    this.idempotent = resolveIdempotence(o);
    this.acks = o.acks ?? -1;
    this.compression = o.compression ?? Compression.None;
    this.requestTimeoutMs = o.requestTimeoutMs ?? 30_000;
    this.deliveryTimeoutMs = o.deliveryTimeoutMs ?? 120_000;
    this.retries = o.retries ?? INT32_MAX;
    this.retryBackoffMs = o.retryBackoffMs ?? 100;
    this.maxInFlight = Math.max(1, o.maxInFlight ?? 5);
    this.transactions = new TransactionManager(client, {
      transactionalId: o.transactionalId ?? null, transactionTimeoutMs: o.transactionTimeoutMs, retryBackoffMs: o.retryBackoffMs, maxBlockMs: o.maxBlockMs,
    });
  }

  /** A producer; an idempotent one has its producer id when this resolves. */
  static async create(client: KafkaClient, options: ProducerOptions = {}): Promise<Producer> {
    const p = new Producer(client, options);
    if (p.idempotent && !p.transactions.isTransactional) await p.transactions.initialize();
    return p;
  }

  get producerIdAndEpoch(): ProducerIdAndEpoch {
    return this.transactions.producerIdAndEpoch;
  }

  get state(): TransactionState {
    return this.transactions.state;
  }

  /** One batch of `records` to a partition; resolves with its offsets once acknowledged. */
  send(topic: string, partition: number, records: RecordInput[]): Promise<ProduceResult> {
    if (this.closed) return Promise.reject(new BrokerError('SHERWOOD_CLIENT', 'the producer is closed'));
    if (this.idempotent) {
      try {
        this.transactions.checkCanSend();
      } catch (err) {
        return Promise.reject(err);
      }
    }
    const buffer = encodeBatch({ records, timestamp: this.client.clock.now(), compression: this.compression, transactional: this.transactions.isTransactional });
    const k = `${topic}\0${partition}`;
    let q = this.partitions.get(k);
    if (q === undefined) {
      q = new PartitionQueue(this, topic, partition);
      this.partitions.set(k, q);
    }
    const queue = q;
    return new Promise<ProduceResult>((resolve, reject) => {
      queue.enqueue({
        id: nextBatchId++, buffer, count: records.length, stamp: null, attempts: 0,
        deadline: this.client.clock.monotonicMs() + this.deliveryTimeoutMs, inFlight: false, resolve, reject,
      });
    });
  }

  /** Waits until every batch sent so far has succeeded or failed. */
  async flush(): Promise<void> {
    await Promise.all([...this.partitions.values()].map((q) => q.whenIdle()));
  }

  // --- transactions (Java's KafkaProducer methods) ------------------------------------------

  /** InitProducerId for transactional.id: fences older producers with the same id. */
  async initTransactions(): Promise<void> {
    await this.transactions.initialize();
  }

  beginTransaction(): void {
    this.transactions.beginTransaction();
  }

  /** Adds a consumer group's offsets to the transaction (consume-transform-produce). */
  async sendOffsetsToTransaction(offsets: readonly TransactionOffset[], group: ConsumerGroupMetadata): Promise<void> {
    await this.transactions.sendOffsetsToTransaction(offsets, group);
  }

  /** Waits for every batch of the transaction, then commits it (EndTxn). */
  async commitTransaction(): Promise<void> {
    if (this.transactions.state === 'IN_TRANSACTION') await this.flush();
    await this.transactions.endTransaction(true);
  }

  /** Drops batches not yet sent, waits for those in flight, then aborts (EndTxn). */
  async abortTransaction(): Promise<void> {
    const st = this.transactions.state;
    if (st !== 'IN_TRANSACTION' && st !== 'ABORTABLE_ERROR') {
      await this.transactions.endTransaction(false); // throws the state error
      return;
    }
    const aborted = new AbortableTransactionError(ErrorCode.NONE, 'the transaction was aborted before this batch was sent');
    for (const q of this.partitions.values()) q.dropUnsent(aborted);
    await this.flush();
    // A failed or dropped batch that had a sequence number leaves a gap: start afresh at a new epoch.
    let dirty = false;
    for (const q of this.partitions.values()) if (q.takeDirty()) dirty = true;
    if (dirty) this.transactions.requireEpochBump();
    await this.transactions.endTransaction(false);
  }

  /** Flushes, then refuses further sends. The client stays open: its owner closes it. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush().catch(() => undefined);
    this.closed = true;
  }
}

/** The batches of one partition, in order, and its sequence numbers. */
class PartitionQueue {
  private readonly batches: Batch[] = [];
  private inFlight = 0;
  private recovering = false;
  private bumpRequested = false;
  /** The first batch (by id) of those that failed for good, with the sequence to restamp from. */
  private resequence: { afterId: number; fromSequence: number } | null = null;
  private needsBackoff = false;
  private adding = false;
  private nextSequence = 0;
  private lastAckedSequence = -1;
  private sequenceGeneration = -1;
  private idleWaiters: (() => void)[] = [];
  private dirty = false;

  constructor(private readonly p: Producer, readonly topic: string, readonly partition: number) {}

  enqueue(b: Batch): void {
    this.batches.push(b);
    this.pump();
  }

  whenIdle(): Promise<void> {
    if (this.batches.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Rejects the batches not in flight. */
  dropUnsent(err: Error): void {
    for (const b of this.batches.filter((x) => !x.inFlight)) this.settle(b, err);
  }

  private get tm(): TransactionManager {
    return this.p.transactions;
  }

  private pump(): void {
    if (this.recovering) return;
    const st = this.tm.state;
    if (this.p.idempotent && (st === 'ABORTABLE_ERROR' || st === 'FATAL_ERROR')) {
      // Java aborts what is not yet sent once the transaction (or the producer) is doomed.
      for (const b of this.batches.filter((x) => !x.inFlight)) this.settle(b, this.tm.error!);
      return;
    }
    for (const b of this.batches) {
      if (this.inFlight >= this.p.maxInFlight) return;
      if (b.inFlight) continue;
      if (!this.tm.isPartitionAdded(this.topic, this.partition)) {
        this.addToTransaction();
        return;
      }
      if (this.p.idempotent && b.stamp === null) {
        if (this.sequenceGeneration !== this.tm.generation) {
          // A new id/epoch: sequences restart at 0, once no batch stamped under the old one is pending.
          if (this.batches.some((x) => x.stamp !== null)) return;
          this.sequenceGeneration = this.tm.generation;
          this.nextSequence = 0;
          this.lastAckedSequence = -1;
        }
        const { producerId, producerEpoch } = this.tm.producerIdAndEpoch;
        b.stamp = { producerId, producerEpoch, generation: this.sequenceGeneration, baseSequence: this.nextSequence };
        this.nextSequence = incrementSequence(this.nextSequence, b.count);
        stampBatch(b.buffer, producerId, producerEpoch, b.stamp.baseSequence);
      }
      void this.sendOne(b);
    }
  }

  private addToTransaction(): void {
    if (this.adding) return;
    this.adding = true;
    this.tm.addPartition(this.topic, this.partition).then(
      () => { this.adding = false; this.pump(); },
      (err: Error) => {
        this.adding = false;
        for (const b of this.batches.filter((x) => !x.inFlight)) this.settle(b, err);
      },
    );
  }

  private async sendOne(b: Batch): Promise<void> {
    b.inFlight = true;
    b.attempts++;
    this.inFlight++;
    const answer = await this.exchange(b);
    b.inFlight = false;
    this.inFlight--;
    if (answer.ok) {
      // Answers come in sequence order (one connection, answered in order).
      if (b.stamp !== null && b.stamp.generation === this.sequenceGeneration) this.lastAckedSequence = incrementSequence(b.stamp.baseSequence, b.count - 1);
      this.settle(b, null, answer.result);
    } else {
      this.onError(b, answer);
    }
    if (this.recovering) {
      if (this.inFlight === 0) void this.recover();
    } else {
      this.pump();
    }
  }

  /** One Produce round trip for a batch; never throws. */
  private async exchange(b: Batch): Promise<Answer> {
    const { client } = this.p;
    const context = `produce to ${this.topic}-${this.partition}`;
    try {
      const leader = await client.leaderFor(this.topic, this.partition);
      const res = await client.request(Produce, {
        transactionalId: this.tm.transactionalId, acks: this.p.acks, timeoutMs: this.p.requestTimeoutMs,
        topicData: [{ name: this.topic, partitionData: [{ index: this.partition, records: b.buffer }] }],
      }, {
        nodeId: leader, expectResponse: this.p.acks !== 0, timeoutMs: this.p.requestTimeoutMs + 1_000,
        ...(this.tm.transactionalId === null ? {} : { version: Math.min(TRANSACTION_V1_MAX_VERSION.Produce, await client.versionFor(Produce, leader)) }),
      });
      if (this.p.acks === 0) return { ok: true, result: { baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 } };
      const r = res.responses[0]?.partitionResponses.find((x) => x.index === this.partition);
      if (r === undefined) return { ok: false, code: ErrorCode.UNKNOWN_SERVER_ERROR, message: `${context}: partition missing from response`, retriable: false };
      // An old broker's answer to a duplicate: the batch is written (Java treats it as success).
      if (r.errorCode === ErrorCode.NONE || r.errorCode === ErrorCode.DUPLICATE_SEQUENCE_NUMBER) {
        return { ok: true, result: { baseOffset: r.baseOffset, logAppendTimeMs: r.logAppendTimeMs, logStartOffset: r.logStartOffset } };
      }
      return { ok: false, code: r.errorCode, message: new KafkaError(r.errorCode, context, r.errorMessage).message, retriable: RETRIABLE.has(r.errorCode) };
    } catch (err) {
      const e = err as Error;
      if (err instanceof KafkaError) return { ok: false, code: err.errorCode, message: e.message, retriable: err.retriable };
      const network = err instanceof BrokerError && (err.code === 'SHERWOOD_NETWORK' || err.code === 'SHERWOOD_TIMEOUT');
      return { ok: false, code: network ? ErrorCode.NETWORK_EXCEPTION : ErrorCode.UNKNOWN_SERVER_ERROR, message: `${context}: ${e.message}`, retriable: network };
    }
  }

  private isNextSequence(b: Batch): boolean {
    return b.stamp !== null && b.stamp.generation === this.sequenceGeneration && b.stamp.baseSequence === incrementSequence(this.lastAckedSequence, 1);
  }

  /** Decides what an error means for the batch; acted upon once nothing is in flight. */
  private onError(b: Batch, a: Extract<Answer, { ok: false }>): void {
    this.recovering = true;
    const tm = this.tm;
    const idempotent = this.p.idempotent;
    if (FATAL_ERRORS.has(a.code) && idempotent) {
      this.settle(b, tm.fatal(a.code, `produce to ${this.topic}-${this.partition}`));
      return;
    }
    const sequenceError = a.code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER || a.code === ErrorCode.UNKNOWN_PRODUCER_ID;
    if (idempotent && sequenceError) {
      if (a.code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER && !this.isNextSequence(b)) {
        this.retryOrExpire(b, a); // an earlier batch failed first: this one just follows it
        return;
      }
      if (tm.isTransactional) {
        this.settle(b, tm.abortable(a.code, a.message, true));
        return;
      }
      this.bumpRequested = true;
      this.retryOrExpire(b, a);
      return;
    }
    if (a.retriable) {
      if (a.code === ErrorCode.NOT_LEADER_OR_FOLLOWER || a.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION || a.code === ErrorCode.LEADER_NOT_AVAILABLE
        || a.code === ErrorCode.FENCED_LEADER_EPOCH || a.code === ErrorCode.NETWORK_EXCEPTION || a.code === ErrorCode.KAFKA_STORAGE_ERROR) {
        this.p.client.invalidateTopic(this.topic);
      }
      this.retryOrExpire(b, a);
      return;
    }
    // Failed for good (RECORD_TOO_LARGE, INVALID_RECORD, TOPIC_AUTHORIZATION_FAILED, ...).
    if (tm.isTransactional) {
      this.settle(b, tm.abortable(a.code, a.message));
      return;
    }
    if (b.stamp !== null && b.stamp.generation === this.sequenceGeneration && (this.resequence === null || b.id < this.resequence.afterId)) {
      this.resequence = { afterId: b.id, fromSequence: b.stamp.baseSequence };
    }
    this.settle(b, new KafkaError(a.code, `produce to ${this.topic}-${this.partition}`));
  }

  private retryOrExpire(b: Batch, a: Extract<Answer, { ok: false }>): void {
    const expired = b.attempts > this.p.retries || this.p.client.clock.monotonicMs() >= b.deadline;
    if (!expired) {
      this.needsBackoff = true;
      return;
    }
    const err = a.retriable || a.code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER || a.code === ErrorCode.UNKNOWN_PRODUCER_ID
      ? new KafkaError(a.code, `produce to ${this.topic}-${this.partition}: gave up after ${b.attempts} attempt(s)`)
      : new KafkaError(a.code, `produce to ${this.topic}-${this.partition}`);
    if (this.tm.isTransactional) {
      this.settle(b, this.tm.abortable(a.code, err.message, true));
      return;
    }
    // Its outcome may be unknown: a fresh epoch keeps later batches clear of its sequence.
    if (this.p.idempotent) this.bumpRequested = true;
    this.settle(b, err);
  }

  /** Once nothing is in flight after an error: fail, restamp or bump as decided, then resend in order. */
  private async recover(): Promise<void> {
    const tm = this.tm;
    try {
      if (tm.state === 'FATAL_ERROR' || tm.state === 'ABORTABLE_ERROR') {
        for (const b of [...this.batches]) this.settle(b, tm.error!);
      } else if (this.bumpRequested) {
        await tm.bumpIdempotentEpoch(this.sequenceGeneration);
        for (const b of this.batches) b.stamp = null;
        this.restampAll();
      } else if (this.resequence !== null) {
        const { afterId, fromSequence } = this.resequence;
        this.nextSequence = fromSequence;
        for (const b of this.batches) {
          if (b.id > afterId && b.stamp !== null) b.stamp = null;
        }
        this.restampAll();
      }
    } catch (err) {
      for (const b of [...this.batches]) this.settle(b, err as Error);
    }
    this.bumpRequested = false;
    this.resequence = null;
    if (this.needsBackoff && this.batches.length > 0) await sleep(this.p.client.clock, this.p.retryBackoffMs);
    this.needsBackoff = false;
    this.recovering = false;
    this.pump();
  }

  /** Restamped batches get fresh (copied) buffers: the old bytes may still be referenced by a write. */
  private restampAll(): void {
    for (const b of this.batches) if (b.stamp === null) b.buffer = Buffer.from(b.buffer);
  }

  /** True once a batch that used a sequence number failed: an abort must then bump the epoch. */
  takeDirty(): boolean {
    const d = this.dirty;
    this.dirty = false;
    return d;
  }

  private settle(b: Batch, err: Error | null, result?: ProduceResult): void {
    const i = this.batches.indexOf(b);
    if (i < 0) return;
    this.batches.splice(i, 1);
    if (err !== null && b.stamp !== null) this.dirty = true;
    if (err === null) b.resolve(result!);
    else b.reject(err);
    if (this.batches.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}

export { AbortableTransactionError, FatalProducerError };
