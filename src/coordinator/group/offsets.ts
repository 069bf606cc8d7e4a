/**
 * Committed offsets of classic and simple groups (apache/kafka `OffsetMetadataManager`):
 * OffsetCommit, TxnOffsetCommit, OffsetFetch, OffsetDelete, retention
 * (`offsets.retention.minutes`) and the offsets of deleted topics, on one shard.
 *
 * Every change here is a list of OffsetCommit records (values or tombstones) that the runtime
 * replays into the shard's CommittedOffsets (replay.ts) before writing them, and reverts if the
 * write fails: nothing in this file applies a change itself. Because the shard's operations
 * run one at a time, an OffsetFetch (queued like a write) sees a commit only once it is
 * durable, and retention decides on state that includes every earlier commit.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import type { OffsetCommitRequest, OffsetCommitResponse } from '../../protocol/messages/offset-commit.js';
import type { OffsetDeleteRequest, OffsetDeleteResponse } from '../../protocol/messages/offset-delete.js';
import type { TxnOffsetCommitRequest, TxnOffsetCommitResponse } from '../../protocol/messages/txn-offset-commit.js';
import { immediate } from '../runtime/coordinator-shard.js';
import { CONSUMER_PROTOCOL_TYPE, type ClassicGroup, type CommittedOffset } from './classic-group.js';
import type { RequestInfo } from './group-config.js';
import type { GroupCoordinatorShard, GroupResult } from './group-coordinator-shard.js';
import { validateMember } from './member-responses.js';
import { groupMetadataRecord, offsetCommitRecord, type GroupRecord } from './records.js';

const NONE = ErrorCode.NONE;

/**
 * Kafka's ClassicGroup.validateOffsetCommit. A transactional commit (TxnOffsetCommit) skips
 * two checks: v0-2 carry no member, so a commit without one is accepted whatever the state,
 * and a group completing its rebalance is not refused.
 */
function validateOffsetCommit(group: ClassicGroup, generationId: number, memberId: string, groupInstanceId: string | null, isTransactional: boolean): number {
  if (group.isDead()) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  // Admin clients and consumers without group management commit with generation -1 to an empty group.
  if (generationId < 0 && group.state === 'Empty') return NONE;
  if (generationId >= 0 || memberId !== '' || groupInstanceId !== null) {
    const memberError = validateMember(group, memberId, groupInstanceId);
    if (memberError !== NONE) return memberError;
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
  } else if (!isTransactional && group.state !== 'Empty') {
    return ErrorCode.UNKNOWN_MEMBER_ID;
  }
  if (!isTransactional && group.state === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
  return NONE;
}

export function commitOffsets(shard: GroupCoordinatorShard, req: OffsetCommitRequest, info: RequestInfo): GroupResult<OffsetCommitResponse> {
  const respond = (code: (p: { partitionIndex: number; committedMetadata: string | null }) => number): OffsetCommitResponse => ({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code(p) })) })),
  });
  // A commit to an unknown group with generation -1 creates a simple group (replay does, so a
  // failed write leaves no group behind).
  const group = shard.groups.get(req.groupId);
  let errorCode: number = NONE;
  if (group === undefined || group.isDead()) {
    if (req.generationIdOrMemberEpoch >= 0) errorCode = info.apiVersion >= 9 ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION;
  } else {
    errorCode = validateOffsetCommit(group, req.generationIdOrMemberEpoch, req.memberId, req.groupInstanceId, false);
  }
  if (errorCode !== NONE) return immediate(respond(() => errorCode));
  const member = group?.members.get(req.memberId);
  if (group !== undefined && member !== undefined) shard.scheduleHeartbeat(group, member);

  const now = shard.clock.now();
  const expireTimestamp = req.retentionTimeMs >= 0 ? now + req.retentionTimeMs : -1;
  const maxBytes = shard.config.offsetMetadataMaxBytes;
  const records: GroupRecord[] = [];
  const tooLarge = (metadata: string | null) => metadata !== null && Buffer.byteLength(metadata) > maxBytes;
  for (const t of req.topics) {
    for (const p of t.partitions) {
      if (tooLarge(p.committedMetadata)) continue;
      records.push(offsetCommitRecord({ group: req.groupId, topic: t.name, partition: p.partitionIndex }, {
        offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata ?? '', commitTimestamp: now, expireTimestamp,
      }));
    }
  }
  return {
    records,
    response: respond((p) => (tooLarge(p.committedMetadata) ? ErrorCode.OFFSET_METADATA_TOO_LARGE : NONE)),
    onWriteFailed: (code, appendErrorCode) => {
      // Kafka answers a commit too large for one batch with INVALID_COMMIT_OFFSET_SIZE.
      const tooBig = appendErrorCode === ErrorCode.MESSAGE_TOO_LARGE || appendErrorCode === ErrorCode.RECORD_LIST_TOO_LARGE || appendErrorCode === ErrorCode.INVALID_FETCH_SIZE;
      const failure = tooBig ? ErrorCode.INVALID_COMMIT_OFFSET_SIZE : code;
      return respond((p) => (tooLarge(p.committedMetadata) ? ErrorCode.OFFSET_METADATA_TOO_LARGE : failure));
    },
  };
}

/**
 * TxnOffsetCommit (Kafka's OffsetMetadataManager.commitTransactionalOffset): validated as an
 * OffsetCommit marked transactional (an unknown group is a new simple group when the
 * generation is -1, else ILLEGAL_GENERATION); the records go out as one transactional batch
 * of the producer (the service schedules it so), stay pending in the shard and become
 * committed offsets only when the producer's COMMIT marker reaches this partition.
 */
export function commitTransactionalOffsets(shard: GroupCoordinatorShard, req: TxnOffsetCommitRequest): GroupResult<TxnOffsetCommitResponse> {
  const respond = (code: (p: { partitionIndex: number; committedMetadata: string | null }) => number): TxnOffsetCommitResponse => ({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code(p) })) })),
  });
  const group = shard.groups.get(req.groupId);
  let errorCode: number = NONE;
  if (group === undefined) {
    if (req.generationId >= 0) errorCode = ErrorCode.ILLEGAL_GENERATION;
  } else {
    errorCode = validateOffsetCommit(group, req.generationId, req.memberId, req.groupInstanceId, true);
  }
  if (errorCode !== NONE) return immediate(respond(() => errorCode));

  const now = shard.clock.now();
  const maxBytes = shard.config.offsetMetadataMaxBytes;
  const tooLarge = (metadata: string | null) => metadata !== null && Buffer.byteLength(metadata) > maxBytes;
  const records: GroupRecord[] = [];
  for (const t of req.topics) {
    for (const p of t.partitions) {
      if (tooLarge(p.committedMetadata)) continue;
      records.push(offsetCommitRecord({ group: req.groupId, topic: t.name, partition: p.partitionIndex }, {
        offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata ?? '', commitTimestamp: now, expireTimestamp: -1,
      }));
    }
  }
  return {
    records,
    response: respond((p) => (tooLarge(p.committedMetadata) ? ErrorCode.OFFSET_METADATA_TOO_LARGE : NONE)),
    onWriteFailed: (code) => respond((p) => (tooLarge(p.committedMetadata) ? ErrorCode.OFFSET_METADATA_TOO_LARGE : code)),
  };
}

export interface FetchedPartition {
  partitionIndex: number;
  committedOffset: number;
  committedLeaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}

/**
 * OffsetFetch for one group: the requested partitions (-1 where nothing is committed), or
 * every committed partition when `topics` is null. Offsets pending in an open transaction are
 * never shown; with requireStable (v7+) a partition that has one answers
 * UNSTABLE_OFFSET_COMMIT (offset -1), as Kafka does, so the consumer retries until the
 * transaction ends.
 */
export function fetchOffsets(
  shard: GroupCoordinatorShard, groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null, requireStable = false,
): { name: string; partitions: FetchedPartition[] }[] {
  const committed = (topic: string, partition: number): FetchedPartition => {
    if (requireStable && shard.pendingOffsets.isOpen(groupId, topic, partition)) {
      return { partitionIndex: partition, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT };
    }
    const o = shard.offsets.get(groupId, topic, partition);
    return o === undefined
      ? { partitionIndex: partition, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: NONE }
      : { partitionIndex: partition, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: NONE };
  };
  if (topics !== null) return topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => committed(t.name, p)) }));
  const out: { name: string; partitions: FetchedPartition[] }[] = [];
  for (const { topic, partition } of shard.offsets.list(groupId)) {
    if (out.at(-1)?.name !== topic) out.push({ name: topic, partitions: [] });
    out.at(-1)!.partitions.push(committed(topic, partition));
  }
  return out;
}

/** OffsetDelete (KIP-496): removes committed offsets of topics the group no longer consumes. */
export function deleteOffsets(shard: GroupCoordinatorShard, req: OffsetDeleteRequest): GroupResult<OffsetDeleteResponse> {
  const reply = (errorCode: number, topics: OffsetDeleteResponse['topics'] = []): OffsetDeleteResponse => ({ errorCode, throttleTimeMs: 0, topics });
  const group = shard.groups.get(req.groupId);
  if (group === undefined || group.isDead()) return immediate(reply(ErrorCode.GROUP_ID_NOT_FOUND));
  if (group.state !== 'Empty' && group.protocolType !== CONSUMER_PROTOCOL_TYPE) return immediate(reply(ErrorCode.NON_EMPTY_GROUP));
  const subscribed = group.state === 'Empty' ? new Set<string>() : group.subscribedTopics() ?? new Set<string>();
  const records: GroupRecord[] = [];
  const topics = req.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => {
      if (subscribed.has(t.name)) return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
      // A tombstone also drops a pending transactional offset of the partition (as Kafka).
      if (shard.offsets.get(group.groupId, t.name, p.partitionIndex) !== undefined || shard.pendingOffsets.isOpen(group.groupId, t.name, p.partitionIndex)) {
        records.push(offsetCommitRecord({ group: group.groupId, topic: t.name, partition: p.partitionIndex }, null));
      }
      return { partitionIndex: p.partitionIndex, errorCode: NONE };
    }),
  }));
  return {
    records,
    response: reply(NONE, topics),
    // Nothing was removed: the offsets stay as they were.
    onWriteFailed: (code) => reply(code),
  };
}

/**
 * Kafka's offset expiration: an Empty group's offsets expire `offsets.retention.minutes` after
 * the group became empty; a simple group's, and a Stable consumer group's offsets of topics it
 * no longer subscribes to, that long after their commit; an explicit expireTimestamp (commit
 * v2-4 retention) wins. A group left Empty with no offsets is deleted (a GroupMetadata tombstone).
 * Offsets with a pending transactional commit, and groups with any, are left alone.
 */
export function expireOffsets(shard: GroupCoordinatorShard): GroupResult<void> {
  const now = shard.clock.now();
  const retentionMs = shard.config.offsetsRetentionMs;
  const records: GroupRecord[] = [];
  for (const group of shard.groups.values()) {
    let base: ((o: CommittedOffset) => number) | null = null;
    let subscribed: Set<string> | null = null;
    if (group.protocolType === null) base = (o) => o.commitTimestamp;
    else if (group.state === 'Empty') base = () => group.currentStateTimestamp;
    else if (group.protocolType === CONSUMER_PROTOCOL_TYPE && group.state === 'Stable' && (subscribed = group.subscribedTopics()) !== null) base = (o) => o.commitTimestamp;
    if (base === null) continue;
    const committed = shard.offsets.list(group.groupId);
    let expired = 0;
    for (const { topic, partition, offset } of committed) {
      if (subscribed?.has(topic)) continue;
      // An offset with a pending transactional commit does not expire yet (Kafka's rule).
      if (shard.pendingOffsets.isOpen(group.groupId, topic, partition)) continue;
      const isExpired = offset.expireTimestamp >= 0 ? now >= offset.expireTimestamp : now - base(offset) >= retentionMs;
      if (!isExpired) continue;
      records.push(offsetCommitRecord({ group: group.groupId, topic, partition }, null));
      expired++;
    }
    // A group with open transactions is kept until they end.
    if (group.state === 'Empty' && expired === committed.length && !shard.pendingOffsets.hasGroup(group.groupId)) records.push(groupMetadataRecord(group.groupId, null));
  }
  return { records, response: undefined };
}

/**
 * A topic was deleted: tombstones for every group's committed offsets of it (Kafka's
 * GroupCoordinator.onPartitionsDeleted), so they neither show in OffsetFetch nor come back if
 * a topic of the same name is created.
 */
export function deleteOffsetsOfTopics(shard: GroupCoordinatorShard, topicNames: ReadonlySet<string>): GroupResult<void> {
  const records: GroupRecord[] = [];
  const seen = new Set<string>();
  const tombstone = (groupId: string, topic: string, partition: number) => {
    const key = `${groupId}\u0000${topic}\u0000${partition}`;
    if (!topicNames.has(topic) || seen.has(key)) return;
    seen.add(key);
    records.push(offsetCommitRecord({ group: groupId, topic, partition }, null));
  };
  for (const groupId of shard.offsets.groupIds()) {
    for (const { topic, partition } of shard.offsets.list(groupId)) tombstone(groupId, topic, partition);
  }
  // Pending transactional offsets of the deleted topics go too (Kafka's onTopicsDeleted).
  for (const groupId of shard.pendingOffsets.groupIds()) {
    for (const { topic, partition } of shard.pendingOffsets.partitions(groupId)) tombstone(groupId, topic, partition);
  }
  return { records, response: undefined };
}
