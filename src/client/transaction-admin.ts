/**
 * The transaction parts of Kafka's Admin client, as kafka-transactions.sh uses them (KIP-664):
 *
 * - `describeProducers`: DescribeProducers to each partition's leader (or to `brokerId`), the
 *   producers its producer state knows. NOT_LEADER_OR_FOLLOWER is retried after a metadata
 *   refresh when asking the leader; any other partition error is thrown.
 * - `listTransactions`: ListTransactions to every broker (each is the coordinator of some
 *   transactional ids), by broker id; v1 for a duration filter (KIP-994).
 * - `describeTransactions`: FindCoordinator (key type 1) then DescribeTransactions for each id;
 *   coordinator moves and loads are retried, TRANSACTIONAL_ID_NOT_FOUND is thrown.
 * - `abortTransaction`: WriteTxnMarkers (an ABORT marker) to the partition's leader, with the
 *   producer id, epoch and coordinator epoch of the open transaction — what the admin client
 *   does to end a hanging transaction its coordinator no longer knows.
 *
 * Errors are thrown as KafkaError (the codes) after a few retries of the retriable ones.
 */
import { sleep } from '../base/clock.js';
import { BrokerError } from '../base/errors.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { DescribeProducers } from '../protocol/messages/describe-producers.js';
import { ListTransactions } from '../protocol/messages/list-transactions.js';
import { DescribeTransactions } from '../protocol/messages/describe-transactions.js';
import { WriteTxnMarkers } from '../protocol/messages/write-txn-markers.js';
import type { KafkaClient } from './kafka-client.js';
import { KafkaError } from './kafka-error.js';

export interface ProducerState {
  producerId: number;
  producerEpoch: number;
  lastSequence: number;
  lastTimestamp: number;
  /** -1 when no marker has been written for this producer. */
  coordinatorEpoch: number;
  /** -1 when the producer has no open transaction. */
  currentTransactionStartOffset: number;
}

export interface TransactionListing {
  transactionalId: string;
  producerId: number;
  state: string;
}

export interface TransactionDescription {
  coordinatorId: number;
  transactionalId: string;
  state: string;
  producerId: number;
  producerEpoch: number;
  transactionTimeoutMs: number;
  /** -1 when no transaction is in progress. */
  transactionStartTimeMs: number;
  topicPartitions: { topic: string; partition: number }[];
}

export interface AbortTransactionSpec {
  topic: string;
  partition: number;
  producerId: number;
  producerEpoch: number;
  coordinatorEpoch: number;
}

const ATTEMPTS = 10;
const BACKOFF_MS = 100;

/** The producers of one partition, from its leader or from `brokerId`. */
export async function describeProducers(client: KafkaClient, topic: string, partition: number, options: { brokerId?: number } = {}): Promise<ProducerState[]> {
  for (let attempt = 1; ; attempt++) {
    const nodeId = options.brokerId ?? (await client.leaderFor(topic, partition, attempt > 1));
    const res = await client.request(DescribeProducers, { topics: [{ name: topic, partitionIndexes: [partition] }] }, { nodeId, version: 0 });
    const p = res.topics.find((t) => t.name === topic)?.partitions.find((x) => x.partitionIndex === partition);
    if (p === undefined) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `describe producers of ${topic}-${partition}: partition missing from response`);
    if (p.errorCode === ErrorCode.NONE) {
      return p.activeProducers.map((s) => ({
        producerId: s.producerId, producerEpoch: s.producerEpoch, lastSequence: s.lastSequence, lastTimestamp: s.lastTimestamp,
        coordinatorEpoch: s.coordinatorEpoch, currentTransactionStartOffset: s.currentTxnStartOffset,
      }));
    }
    const leaderMoved = p.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER || p.errorCode === ErrorCode.LEADER_NOT_AVAILABLE;
    if (options.brokerId !== undefined || !leaderMoved || attempt >= ATTEMPTS) throw new KafkaError(p.errorCode, `describe producers of ${topic}-${partition}`, p.errorMessage);
    client.invalidateTopic(topic);
    await sleep(client.clock, BACKOFF_MS);
  }
}

/** Every broker's transactions (each broker lists those it coordinates), by broker id. */
export async function listTransactions(
  client: KafkaClient, options: { durationFilterMs?: number; stateFilters?: string[]; producerIdFilters?: number[] } = {},
): Promise<Map<number, TransactionListing[]>> {
  const md = await client.metadata([]);
  const out = new Map<number, TransactionListing[]>();
  const duration = options.durationFilterMs ?? -1;
  await Promise.all(md.brokers.map(async (b) => {
    const max = await client.versionFor(ListTransactions, b.nodeId);
    if (duration >= 0 && max < 1) throw new BrokerError('SHERWOOD_CLIENT', `broker ${b.nodeId} does not support a duration filter (ListTransactions v1)`);
    const res = await client.request(ListTransactions, {
      stateFilters: options.stateFilters ?? [], producerIdFilters: options.producerIdFilters ?? [], durationFilter: duration,
    }, { nodeId: b.nodeId, version: Math.min(max, 1) });
    if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode, `list transactions on broker ${b.nodeId}`);
    out.set(b.nodeId, res.transactionStates.map((t) => ({ transactionalId: t.transactionalId, producerId: t.producerId, state: t.transactionState })));
  }));
  return new Map([...out].sort((a, b) => a[0] - b[0]));
}

/** One transactional id's state, from its coordinator. */
export async function describeTransaction(client: KafkaClient, transactionalId: string): Promise<TransactionDescription> {
  for (let attempt = 1; ; attempt++) {
    const coordinator = await client.findCoordinator(transactionalId, 1);
    const res = await client.request(DescribeTransactions, { transactionalIds: [transactionalId] }, { nodeId: coordinator.nodeId, version: 0 });
    const s = res.transactionStates.find((x) => x.transactionalId === transactionalId);
    if (s === undefined) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `describe transaction ${transactionalId}: missing from response`);
    if (s.errorCode === ErrorCode.NONE) {
      return {
        coordinatorId: coordinator.nodeId, transactionalId, state: s.transactionState, producerId: s.producerId, producerEpoch: s.producerEpoch,
        transactionTimeoutMs: s.transactionTimeoutMs, transactionStartTimeMs: s.transactionStartTimeMs,
        topicPartitions: s.topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition }))),
      };
    }
    const retriable = s.errorCode === ErrorCode.NOT_COORDINATOR || s.errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE || s.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    if (!retriable || attempt >= ATTEMPTS) throw new KafkaError(s.errorCode, `describe transaction ${transactionalId}`);
    await sleep(client.clock, BACKOFF_MS);
  }
}

/** Writes an ABORT marker for an open transaction on one partition (its leader answers). */
export async function abortTransaction(client: KafkaClient, spec: AbortTransactionSpec): Promise<void> {
  const { topic, partition } = spec;
  for (let attempt = 1; ; attempt++) {
    const leader = await client.leaderFor(topic, partition, attempt > 1);
    const res = await client.request(WriteTxnMarkers, {
      markers: [{
        producerId: spec.producerId, producerEpoch: spec.producerEpoch, transactionResult: false,
        topics: [{ name: topic, partitionIndexes: [partition] }], coordinatorEpoch: spec.coordinatorEpoch,
      }],
    }, { nodeId: leader, version: 1 });
    const code = res.markers[0]?.topics.find((t) => t.name === topic)?.partitions.find((p) => p.partitionIndex === partition)?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
    if (code === ErrorCode.NONE) return;
    const leaderMoved = code === ErrorCode.NOT_LEADER_OR_FOLLOWER || code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    if (!leaderMoved || attempt >= ATTEMPTS) throw new KafkaError(code, `abort transaction of producer ${spec.producerId} on ${topic}-${partition}`);
    client.invalidateTopic(topic);
    await sleep(client.clock, BACKOFF_MS);
  }
}
