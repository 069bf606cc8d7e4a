/**
 * The states of a transactional id in the transaction coordinator (apache/kafka
 * transaction-coordinator `TransactionState`), with the ids `__transaction_state` stores, the
 * names DescribeTransactions/ListTransactions report, and Kafka's state graph:
 *
 *   Empty             ← Empty, CompleteCommit, CompleteAbort        (InitProducerId)
 *   Ongoing           ← Ongoing, Empty, CompleteCommit, CompleteAbort (AddPartitions/AddOffsets)
 *   PrepareCommit     ← Ongoing                                      (EndTxn commit)
 *   PrepareAbort      ← Ongoing, PrepareEpochFence                   (EndTxn abort, fencing, timeout)
 *                     ← Empty, CompleteCommit, CompleteAbort         (Transaction V2 only: EndTxn v5 abort
 *                                                                    with nothing added; asserted in
 *                                                                    transaction-metadata.ts)
 *   CompleteCommit    ← PrepareCommit                                (markers written)
 *   CompleteAbort     ← PrepareAbort                                 (markers written)
 *   Dead              ← Empty, CompleteCommit, CompleteAbort         (transactional id expired)
 *   PrepareEpochFence ← Ongoing                                      (a new producer fences the old one)
 *
 * PrepareEpochFence and Dead are never written:
 * the first becomes PrepareAbort with the bumped epoch in the same decision, the second a
 * tombstone.
 */
export type TransactionState =
  | 'Empty' | 'Ongoing' | 'PrepareCommit' | 'PrepareAbort' | 'CompleteCommit' | 'CompleteAbort' | 'Dead' | 'PrepareEpochFence';

/** Kafka's state ids (TransactionLogValue.TransactionStatus). */
export const TRANSACTION_STATE_IDS: Readonly<Record<TransactionState, number>> = {
  Empty: 0,
  Ongoing: 1,
  PrepareCommit: 2,
  PrepareAbort: 3,
  CompleteCommit: 4,
  CompleteAbort: 5,
  Dead: 6,
  PrepareEpochFence: 7,
};

export const ALL_TRANSACTION_STATES = Object.keys(TRANSACTION_STATE_IDS) as TransactionState[];

const VALID_PREVIOUS_STATES: Readonly<Record<TransactionState, readonly TransactionState[]>> = {
  Empty: ['Empty', 'CompleteCommit', 'CompleteAbort'],
  Ongoing: ['Ongoing', 'Empty', 'CompleteCommit', 'CompleteAbort'],
  PrepareCommit: ['Ongoing'],
  PrepareAbort: ['Ongoing', 'PrepareEpochFence', 'Empty', 'CompleteCommit', 'CompleteAbort'],
  CompleteCommit: ['PrepareCommit'],
  CompleteAbort: ['PrepareAbort'],
  Dead: ['Empty', 'CompleteAbort', 'CompleteCommit'],
  PrepareEpochFence: ['Ongoing'],
};

export function isValidTransition(from: TransactionState, to: TransactionState): boolean {
  return VALID_PREVIOUS_STATES[to].includes(from);
}

/** States a transactional id may expire in (transactional.id.expiration.ms). */
export function isExpirationAllowed(state: TransactionState): boolean {
  return state === 'Empty' || state === 'CompleteCommit' || state === 'CompleteAbort';
}

/** The state with this id, or undefined for an id Kafka does not define. */
export function transactionStateFromId(id: number): TransactionState | undefined {
  return ALL_TRANSACTION_STATES.find((s) => TRANSACTION_STATE_IDS[s] === id);
}

export function isTransactionState(name: string): name is TransactionState {
  return Object.hasOwn(TRANSACTION_STATE_IDS, name);
}
