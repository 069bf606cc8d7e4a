/**
 * The aborted-transaction index of one segment: `<20-digit baseOffset>.txnindex` (Kafka's
 * TransactionIndex). It lists the transactions whose ABORT marker lies in this segment, so a
 * read_committed Fetch can tell the consumer which producers' records to drop
 * (`abortedTransactions`). A transaction's data may start in an earlier segment; its entry sits
 * with its marker.
 *
 * On-disk format (Kafka's AbortedTxn, version 0): a flat array of 34-byte entries, no header,
 * in marker order (lastOffset strictly increasing).
 *
 *   offset  size  field
 *        0     2  version (int16 BE) = 0
 *        2     8  producerId (int64 BE)
 *       10     8  firstOffset (int64 BE): the transaction's first data offset
 *       18     8  lastOffset (int64 BE): the offset of its ABORT marker
 *       26     8  lastStableOffset (int64 BE): the partition's LSO right after the marker was
 *                 appended (the first offset of the oldest other open transaction, else
 *                 lastOffset + 1). A search for [fetchOffset, upperBound) can stop at the first
 *                 entry whose lastStableOffset >= upperBound: every later abort began after it.
 *
 * Like the other indexes (index-file.ts) the entries live in memory and reach the file on flush,
 * roll or close, incrementally (rewritten after a truncation). Unlike them it cannot be rebuilt
 * from its own segment: an entry needs the transaction's first offset, which only the producer
 * state knows. So `load` rejects a missing or insane file (the caller rebuilds it by replaying
 * the producer state over the segment, log-loader.ts / producer-state-loader.ts), and every
 * producer-state snapshot at offset S is written only after the entries below S are durable,
 * which is what lets a replay from S keep the entries below S (truncateTo(S)) and re-derive
 * the rest.
 */
import type { FileSystem } from '../base/file-system.js';
import { assert } from '../base/assert.js';
import { readInt64, writeInt64 } from '../protocol/record-batch.js';
import { IndexFile } from './index-file.js';

export const TXN_INDEX_ENTRY_SIZE = 34;
export const ABORTED_TXN_VERSION = 0;

/** One entry: a transaction ended by an ABORT marker at `lastOffset`. */
export interface AbortedTxn {
  readonly producerId: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly lastStableOffset: number;
}

/** What a segment's index answers for [fetchOffset, upperBound): the overlaps, and whether later segments can hold more. */
export interface TxnIndexSearchResult {
  abortedTransactions: AbortedTxn[];
  /** True when an entry showed that no later abort can overlap the range. */
  isComplete: boolean;
}

/** Kafka's AbortedTxn bytes for one entry. */
export function encodeAbortedTxn(txn: AbortedTxn, out: Buffer = Buffer.alloc(TXN_INDEX_ENTRY_SIZE), at = 0): Buffer {
  out.writeInt16BE(ABORTED_TXN_VERSION, at);
  writeInt64(out, at + 2, txn.producerId);
  writeInt64(out, at + 10, txn.firstOffset);
  writeInt64(out, at + 18, txn.lastOffset);
  writeInt64(out, at + 26, txn.lastStableOffset);
  return out;
}

export function decodeAbortedTxn(buf: Buffer, at = 0): AbortedTxn & { version: number } {
  return {
    version: buf.readInt16BE(at),
    producerId: readInt64(buf, at + 2),
    firstOffset: readInt64(buf, at + 10),
    lastOffset: readInt64(buf, at + 18),
    lastStableOffset: readInt64(buf, at + 26),
  };
}

export class TransactionIndex extends IndexFile {
  private txns: AbortedTxn[] = [];

  constructor(path: string, baseOffset: number) {
    // No size bound: a segment holds as many aborts as its markers (Kafka does not bound it either).
    super(path, baseOffset, Number.MAX_SAFE_INTEGER, TXN_INDEX_ENTRY_SIZE);
  }

  get entries(): number {
    return this.txns.length;
  }

  /** Every entry, in marker order (tests, compaction). */
  allAbortedTxns(): readonly AbortedTxn[] {
    return this.txns;
  }

  get lastOffset(): number | undefined {
    return this.txns[this.txns.length - 1]?.lastOffset;
  }

  /** Adds the abort whose marker was just appended to this segment (Kafka's updateTxnIndex). */
  append(txn: AbortedTxn): void {
    const last = this.lastOffset;
    assert(last === undefined || txn.lastOffset > last, () => `aborted transactions must be appended in marker order: ${txn.lastOffset} after ${last} in ${this.path}`);
    assert(txn.firstOffset <= txn.lastOffset, () => `aborted transaction ends before it starts: ${JSON.stringify(txn)}`);
    this.txns.push(txn);
  }

  /** Drops the entries whose marker is at or after `offset`. */
  truncateTo(offset: number): void {
    let n = this.txns.length;
    while (n > 0 && this.txns[n - 1]!.lastOffset >= offset) n--;
    if (n === this.txns.length) return;
    this.txns.length = n;
    if (this.persisted > n) this.persisted = -1;
  }

  /** Replaces every entry (a compacted segment's, computed by the cleaner). */
  replaceAll(txns: readonly AbortedTxn[]): void {
    this.reset();
    for (const t of txns) this.append(t);
  }

  /**
   * Kafka's collectAbortedTxns: the entries with lastOffset >= fetchOffset and firstOffset <
   * upperBoundOffset; complete once an entry's lastStableOffset reaches upperBoundOffset.
   */
  collectAbortedTxns(fetchOffset: number, upperBoundOffset: number): TxnIndexSearchResult {
    const out: AbortedTxn[] = [];
    for (const txn of this.txns) {
      if (txn.lastOffset >= fetchOffset && txn.firstOffset < upperBoundOffset) out.push(txn);
      if (txn.lastStableOffset >= upperBoundOffset) return { abortedTransactions: out, isComplete: true };
    }
    return { abortedTransactions: out, isComplete: false };
  }

  protected clear(): void {
    this.txns = [];
  }

  protected encode(from: number): Buffer {
    const buf = Buffer.alloc((this.txns.length - from) * TXN_INDEX_ENTRY_SIZE);
    for (let i = from; i < this.txns.length; i++) encodeAbortedTxn(this.txns[i]!, buf, (i - from) * TXN_INDEX_ENTRY_SIZE);
    return buf;
  }

  /**
   * Loads the file; false (index left empty, to be rebuilt) when it is missing, not whole
   * entries, or fails the sanity check: version 0, producer id >= 0, firstOffset <= lastOffset,
   * markers within [baseOffset, nextOffset) in increasing order, lastStableOffset in
   * [0, lastOffset + 1].
   */
  async load(fs: FileSystem, nextOffset: number): Promise<boolean> {
    const file = await this.readForLoad(fs, 0);
    if (file === null) return false;
    const { data, count } = file;
    let prev = this.baseOffset - 1;
    for (let i = 0; i < count; i++) {
      const t = decodeAbortedTxn(data, i * TXN_INDEX_ENTRY_SIZE);
      const sane = t.version === ABORTED_TXN_VERSION && t.producerId >= 0 && t.firstOffset >= 0 && t.firstOffset <= t.lastOffset &&
        t.lastOffset > prev && t.lastOffset < nextOffset && t.lastStableOffset >= 0 && t.lastStableOffset <= t.lastOffset + 1;
      if (!sane) return this.rejectLoad();
      this.txns.push({ producerId: t.producerId, firstOffset: t.firstOffset, lastOffset: t.lastOffset, lastStableOffset: t.lastStableOffset });
      prev = t.lastOffset;
    }
    this.persisted = count;
    return true;
  }
}
