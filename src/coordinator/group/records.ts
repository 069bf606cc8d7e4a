/**
 * The records the group coordinator keeps in `__consumer_offsets`, in Kafka's own formats so
 * the topic reads like Kafka's (kafka-console-consumer's offsets formatter, other tools).
 *
 * Every key and value starts with an int16 version, followed by the struct at that version:
 *
 *   key version 0/1  OffsetCommitKey    group string, topic string, partition int32
 *   key version 2    GroupMetadataKey   group string
 *
 *   OffsetCommitValue v0-4 (flexible 4+): offset int64, leaderEpoch int32 (3+), metadata string,
 *     commitTimestamp int64, expireTimestamp int64 (v1 only). We write v1 when the commit carried
 *     an explicit retention (OffsetCommit v2-4 retentionTimeMs), else v3 — as Kafka does.
 *   GroupMetadataValue v0-4 (flexible 4+): protocolType, generation, protocol?, leader?,
 *     currentStateTimestamp (2+), members [memberId, groupInstanceId? (3+), clientId, clientHost,
 *     rebalanceTimeout (1+), sessionTimeout, subscription bytes, assignment bytes]. We write v3.
 *
 * A null value is a tombstone: the offset or the group was deleted (the topic is compacted).
 */
import { Reader, Writer } from '../../protocol/primitives.js';
import { f, message, MessageCodec } from '../../protocol/schema.js';
import { javaStringHashCode, partitionForKey } from '../runtime/coordinator-partitioning.js';

/** The topic these records live in (Kafka's Topic.GROUP_METADATA_TOPIC_NAME). */
export const GROUP_METADATA_TOPIC = '__consumer_offsets';

const offsetCommitKey = new MessageCodec<OffsetCommitKey>(message(-1, 'OffsetCommitKey', 'request', '0-1', 'none', [
  f('group', 'string', '0+'),
  f('topic', 'string', '0+'),
  f('partition', 'int32', '0+'),
]));

const groupMetadataKey = new MessageCodec<GroupMetadataKey>(message(-1, 'GroupMetadataKey', 'request', '2', 'none', [
  f('group', 'string', '2'),
]));

const offsetCommitValue = new MessageCodec<OffsetCommitValue>(message(-1, 'OffsetCommitValue', 'request', '0-4', '4+', [
  f('offset', 'int64', '0+'),
  f('leaderEpoch', 'int32', '3+', { default: -1 }),
  f('metadata', 'string', '0+'),
  f('commitTimestamp', 'int64', '0+'),
  f('expireTimestamp', 'int64', '1', { default: -1 }),
]));

const groupMetadataValue = new MessageCodec<GroupMetadataValue>(message(-1, 'GroupMetadataValue', 'request', '0-4', '4+', [
  f('protocolType', 'string', '0+'),
  f('generation', 'int32', '0+'),
  f('protocol', 'string', '0+', { nullable: '0+' }),
  f('leader', 'string', '0+', { nullable: '0+' }),
  f('currentStateTimestamp', 'int64', '2+', { default: -1 }),
  f('members', '[]MemberMetadata', '0+', {}, [
    f('memberId', 'string', '0+'),
    f('groupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
    f('clientId', 'string', '0+'),
    f('clientHost', 'string', '0+'),
    f('rebalanceTimeout', 'int32', '1+'),
    f('sessionTimeout', 'int32', '0+'),
    f('subscription', 'bytes', '0+'),
    f('assignment', 'bytes', '0+'),
  ]),
]));

export interface OffsetCommitKey {
  group: string;
  topic: string;
  partition: number;
}

export interface GroupMetadataKey {
  group: string;
}

export interface OffsetCommitValue {
  offset: number;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  expireTimestamp: number;
}

export interface GroupMetadataValue {
  protocolType: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  currentStateTimestamp: number;
  members: GroupMemberMetadata[];
}

export interface GroupMemberMetadata {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeout: number;
  sessionTimeout: number;
  subscription: Buffer;
  assignment: Buffer;
}

/**
 * A record of `__consumer_offsets` as the group coordinator shard produces and replays it.
 * It goes to the shard's own partition: the partition of its group (partitionForGroup).
 */
export type GroupRecord =
  | { type: 'offset'; key: OffsetCommitKey; value: OffsetCommitValue | null }
  | { type: 'group'; key: GroupMetadataKey; value: GroupMetadataValue | null };

function versioned<T>(codec: MessageCodec<T>, version: number, value: T): Buffer {
  const w = new Writer(64);
  w.int16(version);
  codec.write(w, value, version);
  return Buffer.from(w.toBuffer());
}

export function offsetCommitRecord(key: OffsetCommitKey, value: OffsetCommitValue | null): GroupRecord {
  return { type: 'offset', key, value };
}

export function groupMetadataRecord(group: string, value: GroupMetadataValue | null): GroupRecord {
  return { type: 'group', key: { group }, value };
}

/**
 * The record's bytes: key v1 for offsets, v2 for groups; an offset value is v1 when the commit
 * carried an explicit retention (expireTimestamp), else v3 — as Kafka writes them; a group
 * value is v3.
 */
export function encodeGroupRecord(record: GroupRecord): { key: Buffer; value: Buffer | null } {
  if (record.type === 'offset') {
    const v = record.value;
    return {
      key: versioned(offsetCommitKey, 1, record.key),
      value: v === null ? null : versioned(offsetCommitValue, v.expireTimestamp >= 0 ? 1 : 3, v),
    };
  }
  return {
    key: versioned(groupMetadataKey, 2, record.key),
    value: record.value === null ? null : versioned(groupMetadataValue, 3, record.value),
  };
}

function readVersioned<T>(codec: MessageCodec<T>, buf: Buffer, what: string): T {
  const r = new Reader(buf);
  const version = r.int16();
  if (r.error === null && !(version >= codec.versions.min && version <= codec.versions.max)) {
    throw new Error(`${what}: unknown version ${version}`);
  }
  const v = codec.read(r, version);
  if (r.error !== null) throw new Error(`${what} v${version}: ${r.error}`);
  return v;
}

/**
 * Decodes one record of `__consumer_offsets`. Returns null for key types this coordinator does
 * not manage (consumer-protocol groups, share groups, transactions). Throws on corrupt data.
 */
export function decodeGroupRecord(key: Buffer, value: Buffer | null): GroupRecord | null {
  if (key.length < 2) throw new Error('__consumer_offsets key shorter than its version');
  const keyVersion = key.readInt16BE(0);
  if (keyVersion === 0 || keyVersion === 1) {
    return {
      type: 'offset',
      key: readVersioned(offsetCommitKey, key, 'OffsetCommitKey'),
      value: value === null ? null : readVersioned(offsetCommitValue, value, 'OffsetCommitValue'),
    };
  }
  if (keyVersion === 2) {
    return {
      type: 'group',
      key: readVersioned(groupMetadataKey, key, 'GroupMetadataKey'),
      value: value === null ? null : readVersioned(groupMetadataValue, value, 'GroupMetadataValue'),
    };
  }
  return null;
}

export { javaStringHashCode };

/** Kafka's `Utils.abs(groupId.hashCode()) % offsets.topic.num.partitions`. */
export function partitionForGroup(groupId: string, numPartitions: number): number {
  return partitionForKey(groupId, numPartitions);
}

/** The runtime's serde for `__consumer_offsets`. */
export const groupRecordSerde = {
  serialize: encodeGroupRecord,
  deserialize: decodeGroupRecord,
};
