/**
 * Committed offsets of classic and simple groups (apache/kafka `OffsetMetadataManager`):
 * OffsetCommit, OffsetFetch, OffsetDelete and retention (`offsets.retention.minutes`).
 *
 * A commit is validated against the group's generation and member, written as OffsetCommit
 * records, and becomes visible to OffsetFetch only once durable (applied in onDurable, in log
 * order, because the runtime appends each partition's writes in call order).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import type { OffsetCommitRequest, OffsetCommitResponse } from '../../protocol/messages/offset-commit.js';
import type { OffsetDeleteRequest, OffsetDeleteResponse } from '../../protocol/messages/offset-delete.js';
import { CONSUMER_PROTOCOL_TYPE, type ClassicGroup, type CommittedOffset } from './classic-group.js';
import type { GroupCoordinator } from './group-coordinator.js';
import { validateMember } from './group-coordinator.js';
import { groupMetadataRecord, offsetCommitRecord, type GroupRecord } from './records.js';
import { immediate, type CoordinatorResult, type RequestInfo } from './result.js';

const NONE = ErrorCode.NONE;

/** Kafka's ClassicGroup.validateOffsetCommit. */
function validateOffsetCommit(group: ClassicGroup, req: OffsetCommitRequest): number {
  if (group.isDeadOrDeleting()) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  const generationId = req.generationIdOrMemberEpoch;
  // Admin clients and consumers without group management commit with generation -1 to an empty group.
  if (generationId < 0 && group.state === 'Empty') return NONE;
  if (generationId >= 0 || req.memberId !== '' || req.groupInstanceId !== null) {
    const memberError = validateMember(group, req.memberId, req.groupInstanceId);
    if (memberError !== NONE) return memberError;
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
  } else if (group.state !== 'Empty') {
    return ErrorCode.UNKNOWN_MEMBER_ID;
  }
  if (group.state === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
  return NONE;
}

export function commitOffsets(coordinator: GroupCoordinator, req: OffsetCommitRequest, info: RequestInfo): CoordinatorResult<OffsetCommitResponse> {
  const respond = (code: (p: { partitionIndex: number; committedMetadata: string | null }) => number): OffsetCommitResponse => ({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code(p) })) })),
  });
  // A commit to an unknown group with generation -1 creates a simple group, but only once its
  // records are durable (onDurable): a failed write leaves no group behind.
  const group = coordinator.groups.get(req.groupId);
  let errorCode: number = NONE;
  if (group === undefined || group.state === 'Dead') {
    if (req.generationIdOrMemberEpoch >= 0) errorCode = info.apiVersion >= 9 ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION;
  } else {
    errorCode = validateOffsetCommit(group, req);
  }
  if (errorCode !== NONE) return immediate(respond(() => errorCode));
  const member = group?.members.get(req.memberId);
  if (group !== undefined && member !== undefined) coordinator.scheduleHeartbeat(group, member);
  const partition = group?.partition ?? coordinator.partitionFor(req.groupId);

  const now = coordinator.clock.now();
  const expireTimestamp = req.retentionTimeMs >= 0 ? now + req.retentionTimeMs : -1;
  const maxBytes = coordinator.config.offsetMetadataMaxBytes;
  const records: GroupRecord[] = [];
  const commits: { topic: string; partition: number; value: CommittedOffset }[] = [];
  const tooLarge = (metadata: string | null) => metadata !== null && Buffer.byteLength(metadata) > maxBytes;
  for (const t of req.topics) {
    for (const p of t.partitions) {
      if (tooLarge(p.committedMetadata)) continue;
      const value: CommittedOffset = {
        offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata ?? '',
        commitTimestamp: now, expireTimestamp,
      };
      commits.push({ topic: t.name, partition: p.partitionIndex, value });
      records.push(offsetCommitRecord(partition, { group: req.groupId, topic: t.name, partition: p.partitionIndex }, value));
    }
  }
  const groupId = req.groupId;
  return {
    records,
    response: respond((p) => (tooLarge(p.committedMetadata) ? ErrorCode.OFFSET_METADATA_TOO_LARGE : NONE)),
    onDurable: () => {
      const target = coordinator.getOrCreateGroup(groupId);
      for (const c of commits) {
        let partitions = target.offsets.get(c.topic);
        if (partitions === undefined) target.offsets.set(c.topic, (partitions = new Map()));
        partitions.set(c.partition, c.value);
      }
    },
    onWriteFailed: (code, appendErrorCode) => {
      // Kafka answers a commit too large for one batch with INVALID_COMMIT_OFFSET_SIZE.
      const tooBig = appendErrorCode === ErrorCode.MESSAGE_TOO_LARGE || appendErrorCode === ErrorCode.RECORD_LIST_TOO_LARGE || appendErrorCode === ErrorCode.INVALID_FETCH_SIZE;
      const failure = tooBig ? ErrorCode.INVALID_COMMIT_OFFSET_SIZE : code;
      return respond((p) => (tooLarge(p.committedMetadata) ? ErrorCode.OFFSET_METADATA_TOO_LARGE : failure));
    },
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
 * every committed partition when `topics` is null. There are no pending transactional
 * offsets yet, so requireStable never yields UNSTABLE_OFFSET_COMMIT.
 */
export function fetchOffsets(coordinator: GroupCoordinator, groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null): { name: string; partitions: FetchedPartition[] }[] {
  const group = coordinator.groups.get(groupId);
  const committed = (topic: string, partition: number): FetchedPartition => {
    const o = group?.offsets.get(topic)?.get(partition);
    return o === undefined
      ? { partitionIndex: partition, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: NONE }
      : { partitionIndex: partition, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: NONE };
  };
  if (topics !== null) return topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => committed(t.name, p)) }));
  if (group === undefined) return [];
  return [...group.offsets.entries()].map(([name, partitions]) => ({
    name,
    partitions: [...partitions.keys()].sort((a, b) => a - b).map((p) => committed(name, p)),
  }));
}

/** OffsetDelete (KIP-496): removes committed offsets of topics the group no longer consumes. */
export function deleteOffsets(coordinator: GroupCoordinator, req: OffsetDeleteRequest): CoordinatorResult<OffsetDeleteResponse> {
  const reply = (errorCode: number, topics: OffsetDeleteResponse['topics'] = []) => immediate<OffsetDeleteResponse>({ errorCode, throttleTimeMs: 0, topics });
  const group = coordinator.groups.get(req.groupId);
  if (group === undefined || group.isDeadOrDeleting()) return reply(ErrorCode.GROUP_ID_NOT_FOUND);
  if (group.state !== 'Empty' && group.protocolType !== CONSUMER_PROTOCOL_TYPE) return reply(ErrorCode.NON_EMPTY_GROUP);
  const subscribed = group.state === 'Empty' ? new Set<string>() : group.subscribedTopics() ?? new Set<string>();
  const records: GroupRecord[] = [];
  const deletions: { topic: string; partition: number }[] = [];
  const topics = req.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => {
      if (subscribed.has(t.name)) return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
      if (group.offsets.get(t.name)?.has(p.partitionIndex)) {
        deletions.push({ topic: t.name, partition: p.partitionIndex });
        records.push(offsetCommitRecord(group.partition, { group: group.groupId, topic: t.name, partition: p.partitionIndex }, null));
      }
      return { partitionIndex: p.partitionIndex, errorCode: NONE };
    }),
  }));
  return {
    records,
    response: { errorCode: NONE, throttleTimeMs: 0, topics },
    onDurable: () => removeOffsets(group, deletions),
    // Nothing was removed: the offsets stay as they were.
    onWriteFailed: (code) => ({ errorCode: code, throttleTimeMs: 0, topics: [] }),
  };
}

export function removeOffsets(group: ClassicGroup, deletions: { topic: string; partition: number }[]): void {
  for (const d of deletions) {
    const partitions = group.offsets.get(d.topic);
    partitions?.delete(d.partition);
    if (partitions?.size === 0) group.offsets.delete(d.topic);
  }
}

/**
 * Kafka's offset expiration: an Empty group's offsets expire `offsets.retention.minutes` after
 * the group became empty; a simple group's, and a Stable consumer group's offsets of topics it
 * no longer subscribes to, that long after their commit; an explicit expireTimestamp (commit
 * v2-4 retention) wins. A group left Empty with no offsets is deleted.
 */
export function expireOffsets(coordinator: GroupCoordinator): CoordinatorResult<void> {
  const now = coordinator.clock.now();
  const retentionMs = coordinator.config.offsetsRetentionMs;
  const records: GroupRecord[] = [];
  const effects: (() => void)[] = [];
  for (const group of coordinator.groups.values()) {
    if (group.deletionInFlight) continue;
    let base: ((o: CommittedOffset) => number) | null = null;
    let subscribed: Set<string> | null = null;
    if (group.protocolType === null) base = (o) => o.commitTimestamp;
    else if (group.state === 'Empty') base = () => group.currentStateTimestamp;
    else if (group.protocolType === CONSUMER_PROTOCOL_TYPE && group.state === 'Stable' && (subscribed = group.subscribedTopics()) !== null) base = (o) => o.commitTimestamp;
    if (base === null) continue;
    const expired: { topic: string; partition: number }[] = [];
    for (const [topic, partitions] of group.offsets) {
      if (subscribed?.has(topic)) continue;
      for (const [partition, o] of partitions) {
        const isExpired = o.expireTimestamp >= 0 ? now >= o.expireTimestamp : now - base(o) >= retentionMs;
        if (isExpired) expired.push({ topic, partition });
      }
    }
    for (const e of expired) records.push(offsetCommitRecord(group.partition, { group: group.groupId, topic: e.topic, partition: e.partition }, null));
    const deleteGroup = group.state === 'Empty' && expired.length === group.offsetCount();
    if (deleteGroup) records.push(groupMetadataRecord(group.partition, group.groupId, null));
    if (expired.length === 0 && !deleteGroup) continue;
    effects.push(() => {
      removeOffsets(group, expired);
      if (deleteGroup && group.state === 'Empty' && group.offsetCount() === 0 && coordinator.groups.get(group.groupId) === group) {
        group.transitionTo('Dead', coordinator.clock.now());
        coordinator.groups.delete(group.groupId);
      }
    });
  }
  return { records, response: undefined, onDurable: () => { for (const fn of effects) fn(); } };
}
