/**
 * The embedded "consumer" protocol: the bytes a consumer puts in JoinGroup's protocol metadata
 * (ConsumerProtocolSubscription) and the group leader puts in SyncGroup's assignments
 * (ConsumerProtocolAssignment), for protocolType "consumer". Kafka's data structs of the same
 * names, versions 0-3, never flexible. On the wire each is preceded by its version:
 *
 *   version int16, then the struct at that version
 *
 * A version above 3 is read as 3: later versions only append fields (Kafka's ConsumerProtocol
 * does the same), so an old reader keeps working against a newer writer.
 */
import { f, message, MessageCodec } from './schema.js';
import { Reader, Writer } from './primitives.js';

/** apiKey -1: data structs, not requests (the definitions test compares them with Kafka's JSON). */
const subscriptionDef = message(-1, 'ConsumerProtocolSubscription', 'request', '0-3', 'none', [
  f('topics', '[]string', '0+'),
  f('userData', 'bytes', '0+', { nullable: '0+', default: null }),
  f('ownedPartitions', '[]TopicPartition', '1+', { ignorable: true }, [
    f('topic', 'string', '1+', { mapKey: true }),
    f('partitions', '[]int32', '1+'),
  ]),
  f('generationId', 'int32', '2+', { default: -1, ignorable: true }),
  f('rackId', 'string', '3+', { nullable: '3+', default: null, ignorable: true }),
]);

const assignmentDef = message(-1, 'ConsumerProtocolAssignment', 'request', '0-3', 'none', [
  f('assignedPartitions', '[]TopicPartition', '0+', {}, [
    f('topic', 'string', '0+', { mapKey: true }),
    f('partitions', '[]int32', '0+'),
  ]),
  f('userData', 'bytes', '0+', { nullable: '0+', default: null }),
]);

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

export interface ConsumerProtocolSubscription {
  topics: string[];
  userData: Buffer | null;
  ownedPartitions: TopicPartitions[];
  generationId: number;
  rackId: string | null;
}

export interface ConsumerProtocolAssignment {
  assignedPartitions: TopicPartitions[];
  userData: Buffer | null;
}

export const ConsumerProtocolSubscriptionCodec = new MessageCodec<ConsumerProtocolSubscription>(subscriptionDef);
export const ConsumerProtocolAssignmentCodec = new MessageCodec<ConsumerProtocolAssignment>(assignmentDef);

/** The protocolType consumers use in JoinGroup. */
export const CONSUMER_PROTOCOL_TYPE = 'consumer';

const HIGHEST_VERSION = 3;

function encodeVersioned<T>(codec: MessageCodec<T>, value: Partial<T>, version: number): Buffer {
  const full = { ...codec.empty(version), ...value } as T;
  const w = new Writer(64);
  w.int16(version);
  codec.write(w, full, version);
  return w.toBuffer();
}

/** Reads `version int16` + struct; null when the bytes do not parse. */
function decodeVersioned<T>(codec: MessageCodec<T>, bytes: Buffer): { version: number; value: T } | null {
  if (bytes.length < 2) return null;
  const r = new Reader(bytes);
  const version = r.int16();
  if (version < 0) return null;
  const value = codec.read(r, Math.min(version, HIGHEST_VERSION));
  return r.error === null ? { version, value } : null;
}

export function encodeSubscription(value: Partial<ConsumerProtocolSubscription> & { topics: string[] }, version = HIGHEST_VERSION): Buffer {
  return encodeVersioned(ConsumerProtocolSubscriptionCodec, value, version);
}

export function decodeSubscription(bytes: Buffer): ConsumerProtocolSubscription | null {
  return decodeVersioned(ConsumerProtocolSubscriptionCodec, bytes)?.value ?? null;
}

export function encodeAssignment(value: Partial<ConsumerProtocolAssignment> & { assignedPartitions: TopicPartitions[] }, version = 0): Buffer {
  return encodeVersioned(ConsumerProtocolAssignmentCodec, value, version);
}

/** The assignment, or null when the bytes do not parse. An empty buffer is an empty assignment. */
export function decodeAssignment(bytes: Buffer): ConsumerProtocolAssignment | null {
  if (bytes.length === 0) return { assignedPartitions: [], userData: null };
  return decodeVersioned(ConsumerProtocolAssignmentCodec, bytes)?.value ?? null;
}
