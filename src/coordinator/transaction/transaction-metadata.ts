/**
 * A transactional id's state in the coordinator (apache/kafka `TransactionMetadata`) and its
 * transitions, as pure functions from the current metadata to the next (Kafka's
 * `prepare*` methods returning a `TxnTransitMetadata`).
 *
 * Contract: a TransactionMetadata is immutable. A transition builds the next value and checks
 * it as Kafka's `prepareTransitionTo` + `completeTransitionTo` do — the target state must
 * accept the current one (transaction-state.ts), producer id and epoch must be valid, and each
 * target keeps what it must (Ongoing keeps the epoch and only adds partitions, Prepare* keep
 * partitions and start time, Complete* keep the epoch, Empty bumps the epoch or starts a new
 * producer id with no partitions). A violation is a bug and fails an assert: the coordinator
 * decides which transition to take and answers Kafka's errors before calling these.
 *
 * Transaction V2 (KIP-890 part 2, `clientTransactionVersion` 2, EndTxn v5): every transaction
 * end bumps the epoch — Prepare* carries epoch + 1 (lastProducerEpoch = the epoch the client
 * used), the markers are written with it and the client continues with it. An epoch that is
 * exhausted (Short.MAX_VALUE - 1) is bumped to Short.MAX_VALUE with a new producer id waiting in
 * `nextProducerId`; Complete* then moves to that id at epoch 0 (Kafka's prepareComplete). An
 * abort may also start from Empty/CompleteCommit/CompleteAbort (nothing was added: an empty
 * PrepareAbort whose start time is now).
 *
 * The shard stores the result by replaying it as a record (records.ts); `lastProducerEpoch`
 * and `prevProducerId` live in memory only (v0 records do not carry them).
 * Kafka's pending state does not exist here: the shard's operations run one at a time and
 * decide only on durable state (runtime/coordinator-runtime.ts), so no transition is ever
 * prepared while another is being written. PrepareEpochFence is the one transient state: a
 * fence goes Ongoing → PrepareEpochFence → PrepareAbort within one decision.
 */
import { assert } from '../../base/assert.js';
import { sortedPartitions, type TopicPartition } from './records.js';
import { isValidTransition, type TransactionState } from './transaction-state.js';

export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;
/** Short.MAX_VALUE: the largest producer epoch. */
export const MAX_PRODUCER_EPOCH = 32767;

export interface TransactionMetadata {
  readonly transactionalId: string;
  readonly producerId: number;
  /** The producer id before the last transition (in memory; Kafka's prevProducerId). */
  readonly prevProducerId: number;
  /** Transaction V2: the producer id a Prepare* state moves to when its epoch overflowed; -1 otherwise. */
  readonly nextProducerId: number;
  /** -1 until the first InitProducerId completes. */
  readonly producerEpoch: number;
  /** The epoch before the last bump, for KIP-360 retries (in memory only). */
  readonly lastProducerEpoch: number;
  readonly txnTimeoutMs: number;
  readonly state: TransactionState;
  /** Sorted and unique (records.ts sortedPartitions). */
  readonly topicPartitions: readonly TopicPartition[];
  /** When the first partition was added; -1 outside a transaction. */
  readonly txnStartTimestamp: number;
  readonly txnLastUpdateTimestamp: number;
  /** Kafka's TransactionVersion of the client's last transition (2: Transaction V2; stored only in v1 values). */
  readonly clientTransactionVersion: number;
}

/** Kafka's isEpochExhausted: an epoch this high cannot be bumped by a client any more. */
export function isEpochExhausted(producerEpoch: number): boolean {
  return producerEpoch >= MAX_PRODUCER_EPOCH - 1;
}

/** A transactional id seen for the first time: a new producer id, no epoch yet, Empty. */
export function newTransactionMetadata(transactionalId: string, producerId: number, txnTimeoutMs: number, nowMs: number): TransactionMetadata {
  return {
    transactionalId, producerId, prevProducerId: NO_PRODUCER_ID, nextProducerId: NO_PRODUCER_ID,
    producerEpoch: NO_PRODUCER_EPOCH, lastProducerEpoch: NO_PRODUCER_EPOCH, txnTimeoutMs, state: 'Empty',
    topicPartitions: [], txnStartTimestamp: -1, txnLastUpdateTimestamp: nowMs, clientTransactionVersion: 0,
  };
}

const same = (a: readonly TopicPartition[], b: readonly TopicPartition[]) =>
  a.length === b.length && a.every((tp, i) => tp.topic === b[i]!.topic && tp.partition === b[i]!.partition);

const contains = (outer: readonly TopicPartition[], inner: readonly TopicPartition[]) =>
  inner.every((tp) => outer.some((o) => o.topic === tp.topic && o.partition === tp.partition));

/** Kafka's prepareTransitionTo + completeTransitionTo checks; returns `next`. */
function transition(from: TransactionMetadata, next: TransactionMetadata): TransactionMetadata {
  const what = () => `transactional id ${from.transactionalId}: ${from.state} → ${next.state} (${JSON.stringify(next)})`;
  assert(isValidTransition(from.state, next.state), () => `invalid transition ${what()}`);
  assert(next.producerId >= 0, () => `illegal producer id in ${what()}`);
  assert(next.state === 'Dead' || next.producerEpoch >= 0, () => `illegal producer epoch in ${what()}`);
  const sameProducer = next.producerId === from.producerId && next.producerEpoch === from.producerEpoch;
  switch (next.state) {
    case 'Empty': {
      const validBump = next.producerEpoch === from.producerEpoch + 1 || (next.producerEpoch === 0 && next.producerId !== from.producerId);
      assert((next.producerEpoch === from.producerEpoch || validBump) && next.topicPartitions.length === 0 && next.txnStartTimestamp === -1,
        () => `bad InitProducerId transition ${what()}`);
      break;
    }
    case 'Ongoing':
      assert(sameProducer && contains(next.topicPartitions, from.topicPartitions) && next.txnTimeoutMs === from.txnTimeoutMs,
        () => `bad AddPartitions transition ${what()}`);
      break;
    case 'PrepareCommit':
    case 'PrepareAbort': {
      const v2 = next.clientTransactionVersion >= 2;
      // Kafka's validProducerEpoch: V2 bumps the epoch (or keeps Short.MAX_VALUE on an abort).
      const validEpoch = v2
        ? next.producerId === from.producerId && next.lastProducerEpoch === from.producerEpoch &&
          (next.producerEpoch === from.producerEpoch + 1 || (next.producerEpoch === MAX_PRODUCER_EPOCH && from.producerEpoch === MAX_PRODUCER_EPOCH && next.state === 'PrepareAbort'))
        : sameProducer;
      const emptyAbort = v2 && next.state === 'PrepareAbort' && (from.state === 'Empty' || from.state === 'CompleteCommit' || from.state === 'CompleteAbort');
      assert(from.state === 'Ongoing' || from.state === 'PrepareEpochFence' || emptyAbort, () => `bad EndTxn source state ${what()}`);
      assert(validEpoch && same(next.topicPartitions, from.topicPartitions) && next.txnTimeoutMs === from.txnTimeoutMs &&
        (next.txnStartTimestamp === from.txnStartTimestamp || emptyAbort), () => `bad EndTxn transition ${what()}`);
      assert(next.nextProducerId === NO_PRODUCER_ID || (v2 && isEpochExhausted(from.producerEpoch)), () => `next producer id without an exhausted epoch ${what()}`);
      break;
    }
    case 'CompleteCommit':
    case 'CompleteAbort': {
      const rotated = next.clientTransactionVersion >= 2 && next.producerEpoch === 0 && next.producerId === from.nextProducerId &&
        next.prevProducerId === from.producerId && next.lastProducerEpoch === from.lastProducerEpoch;
      assert((sameProducer || rotated) && next.txnTimeoutMs === from.txnTimeoutMs && next.txnStartTimestamp !== -1 && next.nextProducerId === NO_PRODUCER_ID,
        () => `bad completion ${what()}`);
      break;
    }
    case 'PrepareEpochFence':
      assert(next.producerId === from.producerId && next.producerEpoch >= from.producerEpoch, () => `bad fence ${what()}`);
      break;
    case 'Dead':
      break;
  }
  return next;
}

/**
 * Fences the current producer of an Ongoing transaction: the epoch is bumped (unless it is
 * already Short.MAX_VALUE), and the transaction must then be aborted with that epoch
 * (prepareAbortOrCommit from PrepareEpochFence).
 */
export function prepareFenceProducerEpoch(m: TransactionMetadata): TransactionMetadata {
  const producerEpoch = m.producerEpoch === MAX_PRODUCER_EPOCH ? m.producerEpoch : m.producerEpoch + 1;
  return transition(m, { ...m, producerEpoch, lastProducerEpoch: NO_PRODUCER_EPOCH, prevProducerId: m.producerId, state: 'PrepareEpochFence' });
}

/**
 * InitProducerId on a transactional id with no transaction in progress: bump the epoch
 * (KIP-360: when the producer names its current epoch, or the previous one for a retry of a
 * bump it never heard about, which keeps the epoch). 'PRODUCER_FENCED' when the expected epoch
 * is neither. A bump of an exhausted epoch is a bug: the caller rotates the producer id instead
 * (Kafka throws there; a retry of the bump that exhausted it keeps the epoch here).
 */
export function prepareIncrementProducerEpoch(m: TransactionMetadata, txnTimeoutMs: number, expectedProducerEpoch: number | null, nowMs: number): TransactionMetadata | 'PRODUCER_FENCED' {
  let producerEpoch: number;
  let lastProducerEpoch: number;
  if (expectedProducerEpoch === null) {
    producerEpoch = m.producerEpoch + 1;
    lastProducerEpoch = NO_PRODUCER_EPOCH;
  } else if (m.producerEpoch === NO_PRODUCER_EPOCH || expectedProducerEpoch === m.producerEpoch) {
    producerEpoch = m.producerEpoch + 1;
    lastProducerEpoch = m.producerEpoch;
  } else if (expectedProducerEpoch === m.lastProducerEpoch) {
    producerEpoch = m.producerEpoch;
    lastProducerEpoch = m.lastProducerEpoch;
  } else {
    return 'PRODUCER_FENCED';
  }
  assert(producerEpoch === m.producerEpoch || !isEpochExhausted(m.producerEpoch), () => `cannot bump exhausted epoch ${m.producerEpoch} of producer ${m.producerId}`);
  return transition(m, {
    ...m, producerEpoch, lastProducerEpoch, prevProducerId: m.producerId, txnTimeoutMs, state: 'Empty',
    topicPartitions: [], txnStartTimestamp: -1, txnLastUpdateTimestamp: nowMs,
  });
}

/** The epoch is exhausted: a new producer id at epoch 0 (Kafka's prepareProducerIdRotation). */
export function prepareProducerIdRotation(m: TransactionMetadata, newProducerId: number, txnTimeoutMs: number, nowMs: number, recordLastEpoch: boolean): TransactionMetadata {
  assert(m.state !== 'Ongoing' && m.state !== 'PrepareAbort' && m.state !== 'PrepareCommit', () => `rotating producer ids of ${m.transactionalId} while a transaction is pending`);
  return transition(m, {
    ...m, producerId: newProducerId, prevProducerId: m.producerId, producerEpoch: 0,
    lastProducerEpoch: recordLastEpoch ? m.producerEpoch : NO_PRODUCER_EPOCH, txnTimeoutMs, state: 'Empty',
    topicPartitions: [], txnStartTimestamp: -1, txnLastUpdateTimestamp: nowMs,
  });
}

/**
 * AddPartitionsToTxn / AddOffsetsToTxn (or, Transaction V2, a Produce v12 / TxnOffsetCommit v5
 * adding its partition): Ongoing with these partitions added; a new transaction starts now.
 * `clientTransactionVersion` is the adding request's (Kafka: 2 for AddPartitionsToTxn v5).
 */
export function prepareAddPartitions(m: TransactionMetadata, partitions: readonly TopicPartition[], nowMs: number, clientTransactionVersion = 0): TransactionMetadata {
  const starting = m.state === 'Empty' || m.state === 'CompleteAbort' || m.state === 'CompleteCommit';
  const topicPartitions = sortedPartitions([...m.topicPartitions, ...partitions]);
  return transition(m, {
    ...m, prevProducerId: m.producerId, state: 'Ongoing', topicPartitions, clientTransactionVersion,
    txnStartTimestamp: starting ? nowMs : m.txnStartTimestamp, txnLastUpdateTimestamp: nowMs,
  });
}

export interface EndTransition {
  /** The EndTxn's transaction version: 2 (EndTxn v5, or a fence/timeout on a cluster at level 2) bumps the epoch. */
  clientTransactionVersion: number;
  /** Transaction V2 with an exhausted epoch: the producer id Complete* moves to; else -1. */
  nextProducerId: number;
  /** Transaction V2 abort from Empty/Complete*: the transaction starts (and ends) now. */
  noPartitionAdded: boolean;
}

const V1_END: EndTransition = { clientTransactionVersion: 0, nextProducerId: NO_PRODUCER_ID, noPartitionAdded: false };

/**
 * EndTxn (or a fence, or a timeout): PrepareCommit / PrepareAbort (Kafka's prepareAbortOrCommit).
 * Transaction V1 keeps the epoch; V2 bumps it (an abort at Short.MAX_VALUE, a state only a
 * fence can reach, keeps it) and remembers the epoch the client used in lastProducerEpoch.
 */
export function prepareAbortOrCommit(m: TransactionMetadata, state: 'PrepareCommit' | 'PrepareAbort', nowMs: number, end: EndTransition = V1_END): TransactionMetadata {
  let producerEpoch = m.producerEpoch;
  let lastProducerEpoch = m.lastProducerEpoch;
  if (end.clientTransactionVersion >= 2) {
    if (!(m.producerEpoch === MAX_PRODUCER_EPOCH && state === 'PrepareAbort')) producerEpoch = m.producerEpoch + 1;
    lastProducerEpoch = m.producerEpoch;
  }
  return transition(m, {
    ...m, prevProducerId: m.producerId, state, producerEpoch, lastProducerEpoch, nextProducerId: end.nextProducerId,
    clientTransactionVersion: end.clientTransactionVersion, txnStartTimestamp: end.noPartitionAdded ? nowMs : m.txnStartTimestamp,
    txnLastUpdateTimestamp: nowMs,
  });
}

/**
 * Every marker is written: CompleteCommit / CompleteAbort, no partitions. Transaction V2 with a
 * next producer id (the epoch overflowed) moves to it at epoch 0; lastProducerEpoch stays the
 * last epoch the client saw.
 */
export function prepareComplete(m: TransactionMetadata, nowMs: number): TransactionMetadata {
  assert(m.state === 'PrepareCommit' || m.state === 'PrepareAbort', () => `completing ${m.transactionalId} in state ${m.state}`);
  const rotate = m.clientTransactionVersion >= 2 && m.nextProducerId !== NO_PRODUCER_ID;
  return transition(m, {
    ...m, prevProducerId: m.producerId, state: m.state === 'PrepareCommit' ? 'CompleteCommit' : 'CompleteAbort',
    producerId: rotate ? m.nextProducerId : m.producerId, producerEpoch: rotate ? 0 : m.producerEpoch,
    nextProducerId: NO_PRODUCER_ID, topicPartitions: [], txnLastUpdateTimestamp: nowMs,
  });
}

/** The transactional id expired (transactional.id.expiration.ms): it is removed with a tombstone. */
export function prepareDead(m: TransactionMetadata): TransactionMetadata {
  return transition(m, { ...m, state: 'Dead', topicPartitions: [] });
}
