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
  /** Transaction V2 only; always -1 here. */
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
  /** Kafka's TransactionVersion of the client (0 or 1 here; stored only in v1 values). */
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
    case 'PrepareAbort':
      assert(sameProducer && same(next.topicPartitions, from.topicPartitions) && next.txnTimeoutMs === from.txnTimeoutMs &&
        next.txnStartTimestamp === from.txnStartTimestamp, () => `bad EndTxn transition ${what()}`);
      break;
    case 'CompleteCommit':
    case 'CompleteAbort':
      assert(sameProducer && next.txnTimeoutMs === from.txnTimeoutMs && next.txnStartTimestamp !== -1, () => `bad completion ${what()}`);
      break;
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

/** AddPartitionsToTxn / AddOffsetsToTxn: Ongoing with these partitions added; a new transaction starts now. */
export function prepareAddPartitions(m: TransactionMetadata, partitions: readonly TopicPartition[], nowMs: number): TransactionMetadata {
  const starting = m.state === 'Empty' || m.state === 'CompleteAbort' || m.state === 'CompleteCommit';
  const topicPartitions = sortedPartitions([...m.topicPartitions, ...partitions]);
  return transition(m, {
    ...m, prevProducerId: m.producerId, state: 'Ongoing', topicPartitions,
    txnStartTimestamp: starting ? nowMs : m.txnStartTimestamp, txnLastUpdateTimestamp: nowMs,
  });
}

/** EndTxn (or a fence, or a timeout): PrepareCommit / PrepareAbort, epoch unchanged (Transaction V1). */
export function prepareAbortOrCommit(m: TransactionMetadata, state: 'PrepareCommit' | 'PrepareAbort', nowMs: number): TransactionMetadata {
  return transition(m, { ...m, prevProducerId: m.producerId, state, nextProducerId: NO_PRODUCER_ID, txnLastUpdateTimestamp: nowMs });
}

/** Every marker is written: CompleteCommit / CompleteAbort, no partitions. */
export function prepareComplete(m: TransactionMetadata, nowMs: number): TransactionMetadata {
  assert(m.state === 'PrepareCommit' || m.state === 'PrepareAbort', () => `completing ${m.transactionalId} in state ${m.state}`);
  return transition(m, {
    ...m, prevProducerId: m.producerId, state: m.state === 'PrepareCommit' ? 'CompleteCommit' : 'CompleteAbort',
    nextProducerId: NO_PRODUCER_ID, topicPartitions: [], txnLastUpdateTimestamp: nowMs,
  });
}

/** The transactional id expired (transactional.id.expiration.ms): it is removed with a tombstone. */
export function prepareDead(m: TransactionMetadata): TransactionMetadata {
  return transition(m, { ...m, state: 'Dead', topicPartitions: [] });
}
