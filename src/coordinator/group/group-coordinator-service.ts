/**
 * The group coordinator's API (apache/kafka `GroupCoordinatorService`): one
 * GroupCoordinatorShard per `__consumer_offsets` partition, run by the generic
 * CoordinatorRuntime. Each request goes to the shard of its group's partition
 * (Java `String.hashCode` of the group id, as Kafka), as a write or read operation queued on
 * that shard; a request that spans groups is split per shard and the answers are merged
 * (DescribeGroups, DeleteGroups, the groups of OffsetFetch v8+), and a request about every
 * group fans out to every shard (ListGroups, onTopicsDeleted). Every write is one batch to one
 * partition, so a multi-group DeleteGroups is all-or-nothing per shard, in memory and on disk
 * alike.
 *
 * Failures become the response's error code, as Kafka's service does: NOT_COORDINATOR for a
 * partition not loaded here, COORDINATOR_LOAD_IN_PROGRESS while it loads, a failed write by
 * coordinatorErrorFor (unless the operation answers it itself). Anything else is a bug and
 * propagates.
 *
 * Leadership: `onElection`/`onResignation` load and unload a partition's shard; the broker
 * calls them (today for every partition at start-up, src/server/group-runtime.ts).
 */
import type { Clock } from '../../base/clock.js';
import type { Logger } from '../../base/logger.js';
import type { Random } from '../../base/random.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { DeleteGroupsResponse } from '../../protocol/messages/delete-groups.js';
import type { HeartbeatRequest, HeartbeatResponse } from '../../protocol/messages/heartbeat.js';
import type { JoinGroupRequest, JoinGroupResponse } from '../../protocol/messages/join-group.js';
import type { LeaveGroupRequest, LeaveGroupResponse } from '../../protocol/messages/leave-group.js';
import type { OffsetCommitRequest, OffsetCommitResponse } from '../../protocol/messages/offset-commit.js';
import type { OffsetDeleteRequest, OffsetDeleteResponse } from '../../protocol/messages/offset-delete.js';
import type { SyncGroupRequest, SyncGroupResponse } from '../../protocol/messages/sync-group.js';
import type { TxnOffsetCommitRequest, TxnOffsetCommitResponse } from '../../protocol/messages/txn-offset-commit.js';
import { coordinatorErrorFor, isCoordinatorFailure } from '../runtime/coordinator-errors.js';
import { CoordinatorRuntime } from '../runtime/coordinator-runtime.js';
import type { CoordinatorLoader, PartitionWriter, TransactionResult } from '../runtime/coordinator-shard.js';
import { deleteGroups, describeGroup, listGroups, type GroupDescription, type ListedGroup } from './group-admin.js';
import type { GroupCoordinatorConfig, RequestInfo } from './group-config.js';
import { GroupCoordinatorShard, type GroupResult } from './group-coordinator-shard.js';
import { joinError, syncError } from './member-responses.js';
import { commitOffsets, commitTransactionalOffsets, deleteOffsets, deleteOffsetsOfTopics, fetchOffsets, type FetchedPartition } from './offsets.js';
import { GROUP_METADATA_TOPIC, groupRecordSerde, partitionForGroup, type GroupRecord } from './records.js';

export interface GroupCoordinatorServiceOptions {
  /** Its offsetsTopicNumPartitions is the partition count of the existing topic. */
  config: GroupCoordinatorConfig;
  clock: Clock;
  random: Random;
  logger: Logger;
  writer: PartitionWriter;
  loader: CoordinatorLoader;
  loadRetryBackoffMs?: number;
}

export interface FetchedGroupOffsets {
  errorCode: number;
  topics: { name: string; partitions: FetchedPartition[] }[];
}

export interface ListedGroups {
  errorCode: number;
  groups: ListedGroup[];
}

export class GroupCoordinatorService {
  readonly runtime: CoordinatorRuntime<GroupCoordinatorShard, GroupRecord>;
  readonly config: GroupCoordinatorConfig;
  private readonly logger: Logger;

  constructor(options: GroupCoordinatorServiceOptions) {
    const { config, clock, random } = options;
    this.config = config;
    this.logger = options.logger;
    this.runtime = new CoordinatorRuntime<GroupCoordinatorShard, GroupRecord>({
      topic: GROUP_METADATA_TOPIC,
      clock,
      logger: options.logger,
      writer: options.writer,
      loader: options.loader,
      serde: groupRecordSerde,
      shardFactory: (context) => new GroupCoordinatorShard(context, config, clock, random),
      ...(options.loadRetryBackoffMs === undefined ? {} : { loadRetryBackoffMs: options.loadRetryBackoffMs }),
    });
  }

  partitionFor(groupId: string): number {
    return partitionForGroup(groupId, this.config.offsetsTopicNumPartitions);
  }

  // ---- leadership --------------------------------------------------------------------------

  onElection(partition: number, leaderEpoch: number): void {
    this.runtime.onElection(partition, leaderEpoch);
  }

  onResignation(partition: number, leaderEpoch: number): void {
    this.runtime.onResignation(partition, leaderEpoch);
  }

  /** The loaded shard of a group's partition, for tests and diagnostics (bypasses the queue). */
  shardFor(groupId: string): GroupCoordinatorShard | undefined {
    return this.runtime.activeShard(this.partitionFor(groupId));
  }

  close(): void {
    this.runtime.close();
  }

  // ---- membership --------------------------------------------------------------------------

  // An empty group id is INVALID_GROUP_ID whichever partition it would hash to (Kafka's
  // service checks it before routing).

  joinGroup(req: JoinGroupRequest, info: RequestInfo): Promise<JoinGroupResponse> {
    const onError = (code: number) => joinError(req.memberId, code);
    if (req.groupId === '') return Promise.resolve(onError(ErrorCode.INVALID_GROUP_ID));
    return this.write('classic-group-join', req.groupId, (s) => s.joinGroup(req, info), onError);
  }

  syncGroup(req: SyncGroupRequest, info: RequestInfo): Promise<SyncGroupResponse> {
    if (req.groupId === '') return Promise.resolve(syncError(ErrorCode.INVALID_GROUP_ID));
    return this.write('classic-group-sync', req.groupId, (s) => s.syncGroup(req, info), syncError);
  }

  heartbeat(req: HeartbeatRequest, info: RequestInfo): Promise<HeartbeatResponse> {
    const onError = (errorCode: number): HeartbeatResponse => ({ throttleTimeMs: 0, errorCode });
    if (req.groupId === '') return Promise.resolve(onError(ErrorCode.INVALID_GROUP_ID));
    return this.write('classic-group-heartbeat', req.groupId, (s) => s.heartbeat(req, info), onError);
  }

  leaveGroup(req: LeaveGroupRequest, info: RequestInfo): Promise<LeaveGroupResponse> {
    const onError = (errorCode: number): LeaveGroupResponse => ({ throttleTimeMs: 0, errorCode, members: [] });
    if (req.groupId === '') return Promise.resolve(onError(ErrorCode.INVALID_GROUP_ID));
    return this.write('classic-group-leave', req.groupId, (s) => s.leaveGroup(req, info), onError);
  }

  // ---- offsets -----------------------------------------------------------------------------

  commitOffsets(req: OffsetCommitRequest, info: RequestInfo): Promise<OffsetCommitResponse> {
    return this.write('commit-offset', req.groupId, (s) => commitOffsets(s, req, info), (errorCode) => ({
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
    }));
  }

  /**
   * One group's committed offsets (`topics` null: every partition it committed); with
   * requireStable a partition with a pending transactional offset is UNSTABLE_OFFSET_COMMIT.
   */
  fetchOffsets(groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null, requireStable = false): Promise<FetchedGroupOffsets> {
    return this.read('fetch-offsets', groupId, (s): FetchedGroupOffsets => ({ errorCode: ErrorCode.NONE, topics: fetchOffsets(s, groupId, topics, requireStable) }),
      (errorCode) => ({ errorCode, topics: [] }));
  }

  // ---- transactions ------------------------------------------------------------------------

  /**
   * TxnOffsetCommit: the offsets go to the group's partition as one transactional batch of the
   * request's producer and stay pending until its transaction's marker arrives
   * (`completeTransaction`). An empty group id is INVALID_GROUP_ID.
   */
  commitTransactionalOffsets(req: TxnOffsetCommitRequest): Promise<TxnOffsetCommitResponse> {
    const onError = (errorCode: number): TxnOffsetCommitResponse => ({
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
    });
    if (req.groupId === '') return Promise.resolve(onError(ErrorCode.INVALID_GROUP_ID));
    const producer = { producerId: req.producerId, producerEpoch: req.producerEpoch };
    return this.runtime.scheduleTransactionalWriteOperation('txn-commit-offset', this.partitionFor(req.groupId), producer, (s) => commitTransactionalOffsets(s, req))
      .catch((err: unknown) => this.failure(err, onError));
  }

  /**
   * A transaction marker for `__consumer_offsets-<partition>` (WriteTxnMarkers, or the local
   * transaction coordinator): the producer's pending offsets on that shard are committed or
   * dropped and the marker is written to the partition. Resolves with a Kafka error code: a
   * partition not loaded here answers NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS, a failed
   * write the coordinator mapping of its error.
   */
  completeTransaction(partition: number, producerId: number, producerEpoch: number, coordinatorEpoch: number, result: TransactionResult): Promise<number> {
    return this.runtime.scheduleTransactionCompletion('write-txn-marker', partition, { producerId, producerEpoch, coordinatorEpoch, result })
      .then(() => ErrorCode.NONE, (err: unknown) => this.failure(err, (code) => code));
  }

  deleteOffsets(req: OffsetDeleteRequest): Promise<OffsetDeleteResponse> {
    return this.write('delete-offsets', req.groupId, (s) => deleteOffsets(s, req), (errorCode) => ({ errorCode, throttleTimeMs: 0, topics: [] }));
  }

  /**
   * Topics were deleted: every shard writes tombstones for every group's offsets of them
   * (Kafka's onPartitionsDeleted). A shard still loading is handled once it is loaded. Failures
   * are logged, not answered: the topics are gone either way, and the offsets then expire.
   */
  async onTopicsDeleted(topicNames: readonly string[]): Promise<void> {
    if (topicNames.length === 0) return;
    const names = new Set(topicNames);
    await Promise.all(this.runtime.partitions().map(async (partition) => {
      if (!(await this.runtime.awaitLoaded(partition))) return;
      try {
        await this.runtime.scheduleWriteOperation('on-topics-deleted', partition, (s) => deleteOffsetsOfTopics(s, names));
      } catch (err) {
        this.logger.error('could not delete the committed offsets of deleted topics', { partition, topics: topicNames, error: String(err) });
      }
    }));
  }

  // ---- admin -------------------------------------------------------------------------------

  async describeGroups(groupIds: string[]): Promise<GroupDescription[]> {
    const failed = (groupId: string, errorCode: number): GroupDescription =>
      ({ errorCode, groupId, groupState: '', protocolType: '', protocolData: '', members: [] });
    return this.perShard(groupIds, (partition, ids) => this.runtime
      .scheduleReadOperation('describe-groups', partition, (s) => ids.map((id) => describeGroup(s, id)))
      .catch((err: unknown) => this.failure(err, (code) => ids.map((id) => failed(id, code)))));
  }

  /** Every shard's groups; a shard that is not ours is skipped, any other failure is the answer. */
  async listGroups(statesFilter: string[], typesFilter: string[]): Promise<ListedGroups> {
    const answers = await Promise.all(this.runtime.partitions().map((partition) => this.runtime
      .scheduleReadOperation('list-groups', partition, (s): ListedGroups => ({ errorCode: ErrorCode.NONE, groups: listGroups(s, statesFilter, typesFilter) }))
      .catch((err: unknown) => this.failure(err, (code): ListedGroups => ({ errorCode: code === ErrorCode.NOT_COORDINATOR ? ErrorCode.NONE : code, groups: [] })))));
    const failure = answers.find((a) => a.errorCode !== ErrorCode.NONE);
    return failure ?? { errorCode: ErrorCode.NONE, groups: answers.flatMap((a) => a.groups) };
  }

  /** One write per shard: each shard's groups are deleted, or not, together with their offsets. */
  async deleteGroups(groupIds: string[]): Promise<DeleteGroupsResponse> {
    const results = await this.perShard(groupIds, (partition, ids) => this.runtime
      .scheduleWriteOperation('delete-groups', partition, (s) => deleteGroups(s, ids))
      .then((r) => r.results, (err: unknown) => this.failure(err, (errorCode) => ids.map((groupId) => ({ groupId, errorCode })))));
    return { throttleTimeMs: 0, results };
  }

  // ---- plumbing ----------------------------------------------------------------------------

  private write<T>(name: string, groupId: string, op: (shard: GroupCoordinatorShard) => GroupResult<T>, onError: (errorCode: number) => T): Promise<T> {
    return this.runtime.scheduleWriteOperation(name, this.partitionFor(groupId), op).catch((err: unknown) => this.failure(err, onError));
  }

  private read<T>(name: string, groupId: string, op: (shard: GroupCoordinatorShard) => T, onError: (errorCode: number) => T): Promise<T> {
    return this.runtime.scheduleReadOperation(name, this.partitionFor(groupId), op).catch((err: unknown) => this.failure(err, onError));
  }

  /** A coordinator failure answered as its error code; anything else is a bug and rethrown. */
  private failure<T>(err: unknown, onError: (errorCode: number) => T): T {
    if (!isCoordinatorFailure(err)) throw err;
    return onError(coordinatorErrorFor(err));
  }

  /** Splits ids by shard, runs one call per shard, and puts the answers back in request order. */
  private async perShard<A>(ids: string[], call: (partition: number, ids: string[]) => Promise<A[]>): Promise<A[]> {
    const byPartition = new Map<number, number[]>();
    ids.forEach((id, index) => {
      const partition = this.partitionFor(id);
      let indexes = byPartition.get(partition);
      if (indexes === undefined) byPartition.set(partition, (indexes = []));
      indexes.push(index);
    });
    const out = new Array<A>(ids.length);
    await Promise.all([...byPartition].map(async ([partition, indexes]) => {
      const answers = await call(partition, indexes.map((i) => ids[i]!));
      indexes.forEach((i, k) => { out[i] = answers[k]!; });
    }));
    return out;
  }
}
