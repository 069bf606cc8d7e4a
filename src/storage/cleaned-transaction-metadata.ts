/**
 * Transaction bookkeeping while the cleaner walks a log in offset order (Kafka's
 * CleanedTransactionMetadata). It is told every batch, in order, and answers:
 *
 * - for a data batch, whether it belongs to an aborted transaction (then its records go, and
 *   it never shadows an earlier value of its keys in the offset map);
 * - for a COMMIT/ABORT marker, whether it may be discarded: a marker stays while any batch of
 *   its transaction was seen in this pass (its data is still there, or goes in this very
 *   pass), so a marker outlives its transaction's data; an empty control batch may go.
 *
 * The aborted transactions come from the transaction indexes (collectAbortedTransactions over
 * the cleaned range, later segments included: an abort's marker may lie beyond the range). An
 * aborted transaction becomes "ongoing" once the walk reaches its first offset, and ends at its
 * producer's ABORT marker; a transactional batch of a producer with no ongoing abort belongs to
 * a committed (or still undecided, which the cleaner never reaches: it stops at the last stable
 * offset) transaction. A retained ABORT marker whose transaction had batches in this pass is
 * added to `cleanedIndex`, the transaction index of the segment being written, so the index
 * keeps describing the aborted data that is still there.
 */
import type { AbortedTxn } from './transaction-index.js';

/** What a control batch holds: its first record's type, or nothing (cleaned away already). */
export type ControlBatchKind = 'abort' | 'commit' | 'other' | 'empty';

export class CleanedTransactionMetadata {
  /** Producers whose committed transaction's batches were seen since their last marker. */
  private readonly ongoingCommittedTxns = new Set<number>();
  /** Producer → its aborted transaction being walked, and the last offset of its batches seen. */
  private readonly ongoingAbortedTxns = new Map<number, { txn: AbortedTxn; lastObservedBatchOffset: number }>();
  /** Aborted transactions not reached yet, by first offset. */
  private pending: AbortedTxn[] = [];
  /** Where retained aborts go (the cleaned segment's entries); none while building the offset map. */
  cleanedIndex: AbortedTxn[] | undefined;

  addAbortedTransactions(txns: readonly AbortedTxn[]): void {
    if (txns.length === 0) return;
    this.pending = [...this.pending, ...txns].sort((a, b) => a.firstOffset - b.firstOffset);
  }

  private consumeAbortedTxnsUpTo(offset: number): void {
    let n = 0;
    while (n < this.pending.length && this.pending[n]!.firstOffset <= offset) {
      const txn = this.pending[n]!;
      if (!this.ongoingAbortedTxns.has(txn.producerId)) this.ongoingAbortedTxns.set(txn.producerId, { txn, lastObservedBatchOffset: -1 });
      n++;
    }
    if (n > 0) this.pending = this.pending.slice(n);
  }

  /** A control batch of `producerId` ending at `lastOffset`; returns true when it may be discarded. */
  onControlBatchRead(producerId: number, lastOffset: number, kind: ControlBatchKind): boolean {
    this.consumeAbortedTxnsUpTo(lastOffset);
    if (kind === 'empty') return true;
    if (kind === 'other') return false;
    if (kind === 'abort') {
      const aborted = this.ongoingAbortedTxns.get(producerId);
      this.ongoingAbortedTxns.delete(producerId);
      // Kept until every batch of the transaction is gone (none was seen in this pass).
      if (aborted !== undefined && aborted.lastObservedBatchOffset >= 0) {
        this.cleanedIndex?.push(aborted.txn);
        return false;
      }
      return true;
    }
    return !this.ongoingCommittedTxns.delete(producerId);
  }

  /** A data batch; returns true when it belongs to an aborted transaction (discard its records). */
  onBatchRead(producerId: number, lastOffset: number, isTransactional: boolean): boolean {
    this.consumeAbortedTxnsUpTo(lastOffset);
    if (!isTransactional) return false;
    const aborted = this.ongoingAbortedTxns.get(producerId);
    if (aborted !== undefined) {
      aborted.lastObservedBatchOffset = lastOffset;
      return true;
    }
    this.ongoingCommittedTxns.add(producerId);
    return false;
  }
}
