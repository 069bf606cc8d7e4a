/**
 * The records the transaction coordinator keeps in `__transaction_state`, in Kafka's formats
 * (transaction-coordinator `TransactionLogKey.json` / `TransactionLogValue.json`), so the topic
 * reads like Kafka's and a Kafka log replays here.
 *
 *   key   int16 version 0, then TransactionLogKey v0:  transactionalId string
 *   value int16 version, then TransactionLogValue v0 or v1 (flexible, compact strings/arrays):
 *           producerId int64, producerEpoch int16, transactionTimeoutMs int32,
 *           transactionStatus int8 (transaction-state.ts ids),
 *           transactionPartitions nullable [topic string, partitionIds []int32] (null when Empty),
 *           transactionLastUpdateTimestampMs int64, transactionStartTimestampMs int64,
 *           v1 tagged: 0 previousProducerId int64 (-1), 1 nextProducerId int64 (-1),
 *                      2 clientTransactionVersion int16 (0)
 *   A null value is a tombstone: the transactional id expired (the topic is compacted).
 *
 * Kafka 4 writes value v1 once the cluster's transaction.version is at least 1 (Kafka's
 * transactionLogValueVersion), v0 below; we do the same and read both. What v0 does not carry —
 * lastProducerEpoch, and prevProducerId — is known only in memory: records replayed at run
 * time carry it (TransactionMetadata), records read at load come back with -1, as in Kafka.
 */
import { Reader, Writer } from '../../protocol/primitives.js';
import { f, message, MessageCodec } from '../../protocol/schema.js';
import { partitionForKey } from '../runtime/coordinator-partitioning.js';
import type { RecordSerde } from '../runtime/coordinator-shard.js';
import type { TransactionMetadata } from './transaction-metadata.js';
import { TRANSACTION_STATE_IDS, transactionStateFromId } from './transaction-state.js';

/** Kafka's Topic.TRANSACTION_STATE_TOPIC_NAME. */
export const TRANSACTION_STATE_TOPIC = '__transaction_state';

/** The key's version prefix: Kafka's CoordinatorRecordType.TRANSACTION_LOG. */
const TRANSACTION_LOG_KEY_VERSION = 0;
/** The value version written at this transaction.version level (Kafka's TransactionVersion.transactionLogValueVersion). */
export function transactionLogValueVersion(transactionVersionLevel: number): number {
  return transactionVersionLevel >= 1 ? 1 : 0;
}
/** The value version of transaction.version 0. */
export const TRANSACTION_LOG_VALUE_VERSION = 0;

interface TransactionLogKey {
  transactionalId: string;
}

export interface TransactionLogValue {
  producerId: number;
  previousProducerId: number;
  nextProducerId: number;
  producerEpoch: number;
  transactionTimeoutMs: number;
  transactionStatus: number;
  transactionPartitions: { topic: string; partitionIds: number[] }[] | null;
  transactionLastUpdateTimestampMs: number;
  transactionStartTimestampMs: number;
  clientTransactionVersion: number;
}

const transactionLogKey = new MessageCodec<TransactionLogKey>(message(-1, 'TransactionLogKey', 'request', '0', 'none', [
  f('transactionalId', 'string', '0'),
]));

const transactionLogValue = new MessageCodec<TransactionLogValue>(message(-1, 'TransactionLogValue', 'request', '0-1', '1+', [
  f('producerId', 'int64', '0+'),
  f('previousProducerId', 'int64', '1+', { tagged: '1+', tag: 0, default: -1 }),
  f('nextProducerId', 'int64', '1+', { tagged: '1+', tag: 1, default: -1 }),
  f('producerEpoch', 'int16', '0+'),
  f('transactionTimeoutMs', 'int32', '0+'),
  f('transactionStatus', 'int8', '0+'),
  f('transactionPartitions', '[]PartitionsSchema', '0+', { nullable: '0+' }, [
    f('topic', 'string', '0+'),
    f('partitionIds', '[]int32', '0+'),
  ]),
  f('transactionLastUpdateTimestampMs', 'int64', '0+'),
  f('transactionStartTimestampMs', 'int64', '0+'),
  f('clientTransactionVersion', 'int16', '1+', { tagged: '1+', tag: 2, default: 0 }),
]));

/**
 * A record of `__transaction_state` as the shard produces and replays it: the transactional
 * id's metadata after a transition, or null (a tombstone) when it expired. It goes to the
 * shard's own partition (partitionForTransactionalId).
 */
export interface TransactionRecord {
  transactionalId: string;
  metadata: TransactionMetadata | null;
}

function versioned<T>(codec: MessageCodec<T>, version: number, value: T): Buffer {
  const w = new Writer(64);
  w.int16(version);
  codec.write(w, value, version);
  return Buffer.from(w.toBuffer());
}

function readVersioned<T>(codec: MessageCodec<T>, buf: Buffer, what: string): { version: number; value: T } {
  const r = new Reader(buf);
  const version = r.int16();
  if (r.error === null && !(version >= codec.versions.min && version <= codec.versions.max)) throw new Error(`${what}: unknown version ${version}`);
  const value = codec.read(r, version);
  if (r.error !== null) throw new Error(`${what} v${version}: ${r.error}`);
  return { version, value };
}

/** The value as Kafka writes it: partitions grouped by topic (sorted here), null when Empty. */
export function toTransactionLogValue(m: TransactionMetadata): TransactionLogValue {
  const byTopic = new Map<string, number[]>();
  for (const tp of m.topicPartitions) {
    let list = byTopic.get(tp.topic);
    if (list === undefined) byTopic.set(tp.topic, (list = []));
    list.push(tp.partition);
  }
  return {
    producerId: m.producerId,
    previousProducerId: m.prevProducerId,
    nextProducerId: m.nextProducerId,
    producerEpoch: m.producerEpoch,
    transactionTimeoutMs: m.txnTimeoutMs,
    transactionStatus: TRANSACTION_STATE_IDS[m.state],
    transactionPartitions: m.state === 'Empty' ? null : [...byTopic].map(([topic, partitionIds]) => ({ topic, partitionIds })),
    transactionLastUpdateTimestampMs: m.txnLastUpdateTimestamp,
    transactionStartTimestampMs: m.txnStartTimestamp,
    clientTransactionVersion: m.clientTransactionVersion,
  };
}

export function encodeTransactionRecord(record: TransactionRecord, valueVersion = TRANSACTION_LOG_VALUE_VERSION): { key: Buffer; value: Buffer | null } {
  const key = versioned(transactionLogKey, TRANSACTION_LOG_KEY_VERSION, { transactionalId: record.transactionalId });
  const m = record.metadata;
  if (m === null) return { key, value: null };
  if (m.state === 'Empty' && m.topicPartitions.length > 0) throw new Error(`transaction ${record.transactionalId} is Empty but has partitions`);
  return { key, value: versioned(transactionLogValue, valueVersion, toTransactionLogValue(m)) };
}

/**
 * Decodes one record of `__transaction_state`. Returns null for a key version that is not a
 * transaction log key; throws on corrupt data or an unknown state id.
 */
export function decodeTransactionRecord(key: Buffer, value: Buffer | null): TransactionRecord | null {
  if (key.length < 2) throw new Error('__transaction_state key shorter than its version');
  if (key.readInt16BE(0) !== TRANSACTION_LOG_KEY_VERSION) return null;
  const { transactionalId } = readVersioned(transactionLogKey, key, 'TransactionLogKey').value;
  if (value === null) return { transactionalId, metadata: null };
  const v = readVersioned(transactionLogValue, value, 'TransactionLogValue').value;
  const state = transactionStateFromId(v.transactionStatus);
  if (state === undefined) throw new Error(`TransactionLogValue: unknown transaction state id ${v.transactionStatus}`);
  const topicPartitions = state === 'Empty' ? [] : sortedPartitions((v.transactionPartitions ?? []).flatMap((t) => t.partitionIds.map((partition) => ({ topic: t.topic, partition }))));
  return {
    transactionalId,
    metadata: {
      transactionalId,
      producerId: v.producerId,
      prevProducerId: v.previousProducerId,
      nextProducerId: v.nextProducerId,
      producerEpoch: v.producerEpoch,
      lastProducerEpoch: -1,
      txnTimeoutMs: v.transactionTimeoutMs,
      state,
      topicPartitions,
      txnStartTimestamp: v.transactionStartTimestampMs,
      txnLastUpdateTimestamp: v.transactionLastUpdateTimestampMs,
      clientTransactionVersion: v.clientTransactionVersion,
    },
  };
}

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** Unique partitions, by topic then partition. */
export function sortedPartitions(partitions: readonly TopicPartition[]): TopicPartition[] {
  const seen = new Set<string>();
  const out: TopicPartition[] = [];
  for (const tp of partitions) {
    const k = `${tp.topic}\u0000${tp.partition}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push({ topic: tp.topic, partition: tp.partition });
  }
  return out.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
}

/** Kafka's `Utils.abs(transactionalId.hashCode()) % transaction.state.log.num.partitions`. */
export function partitionForTransactionalId(transactionalId: string, numPartitions: number): number {
  return partitionForKey(transactionalId, numPartitions);
}

/** The runtime's serde for `__transaction_state` at transaction.version 0 (value v0). */
export const transactionRecordSerde: RecordSerde<TransactionRecord> = {
  serialize: (r) => encodeTransactionRecord(r),
  deserialize: decodeTransactionRecord,
};

/** The serde writing the value version of the cluster's transaction.version level. */
export function transactionRecordSerdeFor(transactionVersionLevel: number): RecordSerde<TransactionRecord> {
  const version = transactionLogValueVersion(transactionVersionLevel);
  return { serialize: (r) => encodeTransactionRecord(r, version), deserialize: decodeTransactionRecord };
}
