/**
 * EtcdMetadataStore: the cluster's MetadataStore (metadata-store.ts), one metadata log shared
 * by every broker through etcd. Keys, under the `etcd.connect` prefix:
 *
 *   <prefix>/metadata/head            the log's offset (records in all batches), decimal
 *   <prefix>/metadata/log/<offset>    one batch: {"offset": <offset of its first record>,
 *                                     "writer": "<store id>", "records": [<record>, ...]},
 *                                     records in metadata-records.ts's JSON form; <offset> is
 *                                     20 decimal digits so key order is log order
 *
 * append(records, expectedOffset): one etcd txn — if head's value is `expectedOffset` (or
 * head is absent and it is 0), put the batch at log/<expectedOffset> and head = expectedOffset
 * + records; otherwise nothing is written and the append rejects MetadataConflictError with
 * the head etcd holds. Without `expectedOffset` the store's own image offset is used. The batch
 * replays against the image first, so records that do not fit are never written. If the
 * connection broke after the txn was sent (EtcdUnavailableError.outcomeUnknown) the store reads
 * log/<expectedOffset> back: its own batch there (same writer id and nonce) means success,
 * another writer's a conflict, none at all that the same txn is sent again (a few times).
 *
 * load(): every batch under log/, read at one revision (paged), replayed in order; a gap or a
 * batch that does not replay is a CorruptRecordError. Then a watch on log/ from the revision
 * after that read.
 *
 * Remote records: the watch delivers batches in revision order, which is log order (each
 * batch is CAS-appended at the head). A batch at the image's offset is applied and given to
 * the onRemoteRecords listener; one below it was already applied (this store's own append, or
 * a resumed watch) and is skipped; while an own append is in flight, events wait so the
 * store never mistakes its own batch for a remote one. If the watch's resume revision was
 * compacted, the store re-reads the log from its offset and watches again. A batch above the
 * image's offset means a log this store cannot follow: it is logged, and further remote
 * batches and own appends are refused until the broker restarts.
 *
 * Controller fencing (fenceNextAppend): a controller decision is appended with one more
 * compare in the same txn — the controller key's create revision (the controller epoch) must
 * still be the one the decision was planned under. A controller deposed while its write was in
 * flight (its session expired, another broker won the campaign) therefore writes nothing: the
 * append rejects ControllerFencedError (not a conflict, so it is not planned again).
 *
 * Not done: snapshots (the log grows by one key per change; load reads all of it) and
 * batches above etcd's request size limit (--max-request-bytes, 1.5 MiB by default) fail
 * with EtcdRequestError.
 */
import type { Logger } from '../../base/logger.js';
import type { Random } from '../../base/random.js';
import { CorruptRecordError, StorageError } from '../../base/errors.js';
import { EtcdCompactedError, EtcdUnavailableError } from '../etcd/etcd-errors.js';
import { sleep, type EtcdClient, type KeyValue } from '../etcd/etcd-client.js';
import type { EtcdWatch, WatchEvent } from '../etcd/etcd-watch.js';
import { EMPTY_METADATA_IMAGE, type MetadataImage } from './metadata-image.js';
import { MetadataDelta } from './metadata-delta.js';
import { decodeRecord, encodeRecord, type MetadataRecord } from './metadata-records.js';
import { ControllerFencedError, MetadataConflictError, type MetadataStore } from './metadata-store.js';

export interface EtcdMetadataStoreOptions {
  client: EtcdClient;
  /** The etcd.connect prefix ('' or '/a/b'). */
  prefix: string;
  logger: Logger;
  random: Random;
  /** Batches read per range request on load. */
  loadPageSize?: number;
}

/** The controller key and the epoch (its create revision) a fenced append requires. */
export interface ControllerFence {
  key: string;
  controllerEpoch: number;
}

interface Batch {
  offset: number;
  writer: string;
  records: MetadataRecord[];
}

/** Sends of one append after answers lost with the batch not found (etcd members failing in turn). */
const MAX_UNKNOWN_OUTCOME_RESENDS = 3;

const pad = (offset: number) => String(offset).padStart(20, '0');

export function metadataKeys(prefix: string): { head: string; log: string; batch(offset: number): string } {
  const log = `${prefix}/metadata/log/`;
  return { head: `${prefix}/metadata/head`, log, batch: (offset) => `${log}${pad(offset)}` };
}

function encodeBatch(b: Batch): string {
  return `{"offset":${b.offset},"writer":${JSON.stringify(b.writer)},"records":[${b.records.map((r) => JSON.stringify(encodeRecord(r))).join(',')}]}`;
}

function decodeBatch(kv: KeyValue): Batch {
  let o: { offset?: unknown; writer?: unknown; records?: unknown };
  try {
    o = JSON.parse(kv.value.toString('utf8')) as typeof o;
  } catch (err) {
    throw new CorruptRecordError(`etcd metadata batch ${kv.key} is not JSON`, { cause: err });
  }
  if (!Number.isSafeInteger(o.offset) || typeof o.writer !== 'string' || !Array.isArray(o.records)) {
    throw new CorruptRecordError(`etcd metadata batch ${kv.key} is not a batch`);
  }
  return { offset: o.offset as number, writer: o.writer, records: o.records.map(decodeRecord) };
}

export class EtcdMetadataStore implements MetadataStore {
  private image: MetadataImage = EMPTY_METADATA_IMAGE;
  private readonly keys: ReturnType<typeof metadataKeys>;
  private listener: ((records: readonly MetadataRecord[], image: MetadataImage) => void) | null = null;
  private watch: EtcdWatch | null = null;
  private appending = false;
  /** Watch events that arrived during an own append, applied after it. */
  private held: WatchEvent[] = [];
  private broken: Error | null = null;
  private closed = false;
  private writes = 0;
  private fence: ControllerFence | null = null;
  /** This store's writer id: which batches are its own when reading back. */
  readonly writerId: string;
  readonly stats = { remoteBatches: 0, ownBatches: 0, conflicts: 0, reloads: 0 };

  constructor(private readonly opts: EtcdMetadataStoreOptions) {
    this.keys = metadataKeys(opts.prefix);
    this.writerId = opts.random.bytes(8).toString('hex');
  }

  get offset(): number {
    return this.image.offset;
  }

  async load(): Promise<MetadataImage> {
    const { image, revision } = await this.readFrom(EMPTY_METADATA_IMAGE);
    this.image = image;
    this.startWatch(revision + 1);
    return image;
  }

  /**
   * The next append (only that one) also requires `fence.key`'s create revision to be
   * `fence.controllerEpoch`; null clears a fence no append consumed.
   */
  fenceNextAppend(fence: ControllerFence | null): void {
    this.fence = fence;
  }

  onRemoteRecords(fn: (records: readonly MetadataRecord[], image: MetadataImage) => void): void {
    this.listener = fn;
  }

  async append(records: readonly MetadataRecord[], expectedOffset?: number): Promise<MetadataImage> {
    const fence = this.fence;
    this.fence = null;
    if (this.closed) throw new StorageError('the metadata store is closed');
    if (this.broken !== null) throw new StorageError('this broker cannot follow the etcd metadata log (see the earlier error); restart it', { cause: this.broken });
    if (records.length === 0) return this.image;
    const expected = expectedOffset ?? this.image.offset;
    if (expected !== this.image.offset) {
      this.stats.conflicts++;
      throw new MetadataConflictError(expected, this.image.offset);
    }
    const next = new MetadataDelta(this.image).replayAll(records).apply().image;
    const writer = `${this.writerId}.${this.writes++}`;
    const value = encodeBatch({ offset: expected, writer, records: [...records] });
    this.appending = true;
    try {
      const committed = await this.casAppend(expected, next.offset, value, writer, fence);
      if (!committed.ok && committed.fenced !== undefined) {
        throw new ControllerFencedError(fence!.controllerEpoch, committed.fenced);
      }
      if (!committed.ok) {
        this.stats.conflicts++;
        throw new MetadataConflictError(expected, committed.head);
      }
      this.image = next;
      this.stats.ownBatches++;
      return next;
    } finally {
      this.appending = false;
      this.drainHeld();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.watch?.close();
    this.watch = null;
  }

  // ---- internals ----------------------------------------------------------------------------

  private async casAppend(expected: number, nextOffset: number, value: string, writer: string, fence: ControllerFence | null, resends = 0): Promise<{ ok: true } | { ok: false; head: number; fenced?: number }> {
    const { client } = this.opts;
    const head = this.keys.head;
    try {
      const r = await client.txn({
        compare: [
          expected === 0
            ? { key: head, target: 'VERSION', result: 'EQUAL', value: 0 }
            : { key: head, target: 'VALUE', result: 'EQUAL', value: String(expected) },
          ...(fence === null ? [] : [{ key: fence.key, target: 'CREATE' as const, result: 'EQUAL' as const, value: fence.controllerEpoch }]),
        ],
        success: [{ put: { key: this.keys.batch(expected), value } }, { put: { key: head, value: String(nextOffset) } }],
        failure: [{ range: { key: head } }, ...(fence === null ? [] : [{ range: { key: fence.key } }])],
      });
      if (r.succeeded) return { ok: true };
      const res = r.responses[0];
      const kv = res !== undefined && 'range' in res ? res.range.kvs[0] : undefined;
      const headNow = kv === undefined ? 0 : Number(kv.value.toString());
      if (fence !== null) {
        const c = r.responses[1];
        const ckv = c !== undefined && 'range' in c ? c.range.kvs[0] : undefined;
        const epochNow = ckv === undefined ? -1 : ckv.createRevision;
        if (epochNow !== fence.controllerEpoch) return { ok: false, head: headNow, fenced: epochNow };
      }
      return { ok: false, head: headNow };
    } catch (err) {
      if (!(err instanceof EtcdUnavailableError) || !err.outcomeUnknown) throw err;
      // Did the txn land? Our batch at `expected` says yes, another writer's says no. No
      // batch there (a linearizable read): not applied yet, so the same compare-and-set is
      // sent again — it lands at most once, and a send that lands late only makes this one
      // fail its compare.
      const kv = await client.get(this.keys.batch(expected));
      if (kv !== undefined && decodeBatch(kv).writer === writer) return { ok: true };
      if (kv !== undefined) return { ok: false, head: expected + decodeBatch(kv).records.length };
      if (resends >= MAX_UNKNOWN_OUTCOME_RESENDS) throw err;
      this.opts.logger.warn('etcd metadata append: the answer was lost and the batch is not there; sending it again', { offset: expected, error: String(err) });
      return this.casAppend(expected, nextOffset, value, writer, fence, resends + 1);
    }
  }

  /** Reads the batches from `base.offset` on (paged, at one revision) and replays them. */
  private async readFrom(base: MetadataImage): Promise<{ image: MetadataImage; revision: number; records: MetadataRecord[] }> {
    const { client } = this.opts;
    const pageSize = this.opts.loadPageSize ?? 1000;
    const end = `${this.keys.log.slice(0, -1)}0`; // '/' + 1
    let from = this.keys.batch(base.offset);
    let revision = 0;
    const delta = new MetadataDelta(base);
    const records: MetadataRecord[] = [];
    for (;;) {
      const page = await client.range(from, { rangeEnd: end, limit: pageSize, revision });
      if (revision === 0) revision = page.revision;
      for (const kv of page.kvs) {
        const batch = decodeBatch(kv);
        const at = base.offset + delta.recordCount;
        if (batch.offset !== at) throw new CorruptRecordError(`etcd metadata log: batch ${kv.key} has offset ${batch.offset}, expected ${at}`);
        try {
          delta.replayAll(batch.records);
          records.push(...batch.records);
        } catch (err) {
          throw new CorruptRecordError(`etcd metadata log: batch ${kv.key}: ${(err as Error).message}`, { cause: err });
        }
      }
      if (!page.more || page.kvs.length === 0) break;
      from = `${page.kvs[page.kvs.length - 1]!.key}\0`;
    }
    return { image: delta.apply().image, revision, records };
  }

  private startWatch(fromRevision: number): void {
    if (this.closed) return;
    this.watch = this.opts.client.watch({
      key: this.keys.log, prefix: true, startRevision: fromRevision,
      onEvents: (events) => {
        if (this.appending) this.held.push(...events);
        else this.applyEvents(events);
      },
      onError: (err) => { void this.recover(err); },
      onDisconnected: (err) => this.opts.logger.warn('etcd metadata watch disconnected; reconnecting', { error: String(err) }),
    });
  }

  private drainHeld(): void {
    const events = this.held;
    this.held = [];
    if (events.length > 0) this.applyEvents(events);
  }

  private applyEvents(events: readonly WatchEvent[]): void {
    for (const e of events) {
      if (e.type !== 'PUT' || this.broken !== null || this.closed) continue;
      let batch: Batch;
      try {
        batch = decodeBatch(e.kv);
      } catch (err) {
        this.fail(err as Error);
        continue;
      }
      if (batch.offset < this.image.offset) continue;
      if (batch.offset > this.image.offset) {
        this.fail(new CorruptRecordError(`etcd metadata log: batch at offset ${batch.offset} while this broker is at ${this.image.offset}`));
        continue;
      }
      this.applyRemote(batch.records);
    }
  }

  private applyRemote(records: readonly MetadataRecord[]): void {
    try {
      this.image = new MetadataDelta(this.image).replayAll(records).apply().image;
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    this.stats.remoteBatches++;
    this.listener?.(records, this.image);
  }

  /** The watch's resume revision was compacted: read what was missed, then watch again. */
  private async recover(err: Error): Promise<void> {
    if (this.closed) return;
    if (!(err instanceof EtcdCompactedError)) {
      this.fail(err);
      return;
    }
    this.stats.reloads++;
    this.opts.logger.warn('etcd metadata watch fell behind a compaction; re-reading the log', { offset: this.image.offset });
    const clock = this.opts.client.clock;
    while (!this.closed) {
      try {
        while (this.appending) await sleep(clock, 10);
        const before = this.image;
        const read = await this.readFrom(before);
        if (this.image !== before) continue; // an own append landed meanwhile: read again
        if (read.records.length > 0) {
          this.image = read.image;
          this.stats.remoteBatches++;
          // Everything missed, as one change, in log order.
          this.listener?.(read.records, read.image);
        }
        this.startWatch(read.revision + 1);
        return;
      } catch (e) {
        this.opts.logger.warn('re-reading the etcd metadata log failed; retrying', { error: String(e) });
        await sleep(clock, 500);
      }
    }
  }

  private fail(err: Error): void {
    if (this.broken !== null) return;
    this.broken = err;
    this.opts.logger.error('the etcd metadata log cannot be followed; metadata from other brokers is no longer applied until restart', { error: String(err) });
  }
}
