/**
 * Fetch (API key 1), versions 4-17, for consumers.
 *
 * Behavior:
 * - Sessions (v7+, KIP-227) as in ../fetch-session.ts: sessionless, full, incremental; session
 *   errors FETCH_SESSION_ID_NOT_FOUND / INVALID_FETCH_SESSION_EPOCH are top-level.
 * - Partitions are read in order (the session's order for incremental fetches) from the log
 *   up to the high watermark (isolationLevel 0) or last stable offset (1). Each read is capped
 *   by partitionMaxBytes and by what is left of min(maxBytes, broker fetch.max.bytes); the
 *   first non-empty partition always returns at least one whole batch even if larger (KIP-74).
 *   A fetch from the middle of a batch returns the whole batch; records are the stored bytes.
 * - Long polling: when fewer than minBytes were found, no partition had an error and
 *   maxWaitMs > 0, the request waits in the purgatory (../delayed-fetch.ts) for a high
 *   watermark change and reads again; at the deadline it answers with what there is.
 *   A client that disconnects while waiting releases its waiter at once.
 * - Per-partition errors: UNKNOWN_TOPIC_OR_PARTITION (v4-12), UNKNOWN_TOPIC_ID (v13+, topic
 *   ids), OFFSET_OUT_OF_RANGE, FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH (v9+ currentLeaderEpoch).
 * - Before v10 (KIP-110) a client cannot know zstd: a partition whose topic has
 *   compression.type=zstd (Kafka's check) or whose read returned a zstd batch (batch header
 *   attributes only, nothing decompressed) answers UNSUPPORTED_COMPRESSION_TYPE with no records.
 * - abortedTransactions: null for read_uncommitted; for read_committed the aborted transactions
 *   (producerId, firstOffset) overlapping the records returned, from the partition's
 *   transaction indexes (Partition.fetchRecords). Consumers drop those producers' records from
 *   firstOffset up to the ABORT marker and skip control records themselves, as Kafka's do.
 *   preferredReadReplica -1 (v11+).
 * - Follower fetches (replicaId >= 0, `replicaState.replicaId` from v15) take their own branch
 *   in the partition (Partition.fetchRecords): read up to the log end, `divergingEpoch` (v12+)
 *   when the follower's last fetched epoch ended earlier on our log, and the follower's fetch
 *   state updated (which moves the high watermark). A broker that is not a replica of the
 *   partition gets NOT_LEADER_OR_FOLLOWER. Their long polls wait for the log end.
 * - KIP-951: a partition answered NOT_LEADER_OR_FOLLOWER / FENCED_LEADER_EPOCH carries
 *   `currentLeader` (v12+) as the metadata names it, and `nodeEndpoints` (v16+) those leaders.
 * Version notes: topic names up to v12, topic ids from v13.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { ATTRIBUTES_OFFSET, BATCH_HEADER_SIZE, BATCH_LOG_OVERHEAD, Compression, batchSizeAt, compressionOf } from '../../protocol/record-batch.js';
import {
  Fetch,
  type FetchRequest,
  type FetchResponse,
  type FetchResponseFetchableTopicResponse,
  type FetchResponsePartitionData,
} from '../../protocol/messages/fetch.js';
import type { Partition } from '../../cluster/partition.js';
import type { WatchedPartition } from '../delayed-fetch.js';
import { FetchSession, INVALID_SESSION_ID, partitionsFromRequest, type CachedPartition, type FetchContext } from '../fetch-session.js';
import type { Broker } from '../broker.js';
import { defineHandler } from '../handler.js';
import { connectionClosedSignal } from '../connection.js';
import { currentLeader, leaderEndpoints, needsLeaderInfo } from './_leader-helpers.js';

const EMPTY = Buffer.alloc(0);
const NO_EPOCH_END = { epoch: -1, endOffset: -1 };
const NO_LEADER = { leaderId: -1, leaderEpoch: -1 };
const NO_SNAPSHOT = { endOffset: -1, epoch: -1 };

interface PartitionRead {
  cached: CachedPartition;
  partition: Partition | undefined;
  /** The fetchable offset just before the read: data past it is new. */
  limitAtRead: number;
  data: FetchResponsePartitionData;
}

function emptyPartition(partition: number, errorCode: number): FetchResponsePartitionData {
  return {
    partitionIndex: partition,
    errorCode,
    highWatermark: -1,
    lastStableOffset: -1,
    logStartOffset: -1,
    divergingEpoch: NO_EPOCH_END,
    currentLeader: NO_LEADER,
    snapshotId: NO_SNAPSHOT,
    abortedTransactions: null,
    preferredReadReplica: -1,
    records: EMPTY,
  };
}

/** The first Fetch version whose clients understand zstd batches (KIP-110). */
const ZSTD_MIN_FETCH_VERSION = 10;

/** Whether any batch in `records` is zstd-compressed; reads only the batch headers. */
function hasZstdBatch(records: Buffer): boolean {
  let pos = 0;
  while (pos + BATCH_HEADER_SIZE <= records.length) {
    if (compressionOf(records.readInt16BE(pos + ATTRIBUTES_OFFSET)) === Compression.Zstd) return true;
    const size = batchSizeAt(records, pos);
    if (size <= BATCH_LOG_OVERHEAD) return false; // not a batch; stored data is validated on append
    pos += size;
  }
  return false;
}

/** Kafka's check for pre-v10 fetches: the topic is configured zstd, or the read holds a zstd batch. */
function zstdUnsupported(broker: Broker, version: number, topic: string, records: Buffer): boolean {
  if (version >= ZSTD_MIN_FETCH_VERSION) return false;
  return broker.topics.configValue(topic, 'compression.type') === 'zstd' || hasZstdBatch(records);
}

/** The fetcher: -1 for consumers, a follower's broker id (from replicaState in v15+). */
function replicaIdOf(req: FetchRequest, version: number): number {
  return version >= 15 ? req.replicaState.replicaId : req.replicaId;
}

/** Reads every partition once, in order, sharing the response's maxBytes budget. */
async function readAll(broker: Broker, req: FetchRequest, parts: CachedPartition[], usesTopicIds: boolean, version: number): Promise<{ reads: PartitionRead[]; bytes: number; errors: boolean }> {
  const reads: PartitionRead[] = [];
  // Kafka caps the response at the broker's fetch.max.bytes whatever the client asks.
  const maxBytes = Math.min(req.maxBytes, broker.config.getInt('fetch.max.bytes'));
  const replicaId = replicaIdOf(req, version);
  let bytes = 0;
  let errors = false;
  let minOneMessage = true;
  for (const cached of parts) {
    // By id (v13+) the topic must still be the one the id named: a topic deleted and re-created
    // under the same name has a new id, and the old id is unknown (never the new topic's data).
    const info = cached.topic === '' ? undefined : broker.topics.get(cached.topic);
    const known = info !== undefined && (!usesTopicIds || info.topicId.equals(cached.topicId));
    if (!known) {
      reads.push({ cached, partition: undefined, limitAtRead: -1, data: emptyPartition(cached.partition, usesTopicIds ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) });
      errors = true;
      continue;
    }
    const partition = broker.replicaManager.getPartitionOrError(cached.topic, cached.partition);
    if (typeof partition === 'number') {
      reads.push({ cached, partition: undefined, limitAtRead: -1, data: emptyPartition(cached.partition, partition) });
      errors = true;
      continue;
    }
    const limitAtRead = replicaId >= 0 ? partition.logEndOffset : partition.fetchableOffset(req.isolationLevel);
    const r = await partition.fetchRecords({
      fetchOffset: cached.fetchOffset,
      maxBytes: Math.min(cached.partitionMaxBytes, maxBytes - bytes),
      currentLeaderEpoch: cached.currentLeaderEpoch,
      isolationLevel: req.isolationLevel,
      minOneMessage,
      replicaId,
      lastFetchedEpoch: cached.lastFetchedEpoch,
      followerLogStartOffset: cached.fetcherLogStartOffset,
    });
    if (r.errorCode === ErrorCode.NONE && zstdUnsupported(broker, version, cached.topic, r.records)) {
      reads.push({ cached, partition, limitAtRead, data: emptyPartition(cached.partition, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE) });
      errors = true;
      continue;
    }
    if (r.records.length > 0) minOneMessage = false;
    bytes += r.records.length;
    // A diverging epoch is an answer the follower must act on at once, like an error.
    if (r.errorCode !== ErrorCode.NONE || r.divergingEpoch !== null) errors = true;
    reads.push({
      cached,
      partition,
      limitAtRead,
      data: {
        ...emptyPartition(cached.partition, r.errorCode),
        highWatermark: r.highWatermark,
        lastStableOffset: r.lastStableOffset,
        logStartOffset: r.logStartOffset,
        divergingEpoch: r.divergingEpoch ?? NO_EPOCH_END,
        abortedTransactions: req.isolationLevel === 1 ? r.abortedTransactions ?? [] : null,
        records: r.records,
      },
    });
  }
  return { reads, bytes, errors };
}

function groupByTopic(reads: PartitionRead[]): FetchResponseFetchableTopicResponse[] {
  const out: FetchResponseFetchableTopicResponse[] = [];
  let current: FetchResponseFetchableTopicResponse | undefined;
  let currentKey = '';
  for (const r of reads) {
    const key = `${r.cached.topic}\u0000${r.cached.topicId.toString('hex')}`;
    if (current === undefined || key !== currentKey) {
      current = { topic: r.cached.topic, topicId: r.cached.topicId, partitions: [] };
      currentKey = key;
      out.push(current);
    }
    current.partitions.push(r.data);
  }
  return out;
}

async function readWithLongPoll(broker: Broker, req: FetchRequest, parts: CachedPartition[], usesTopicIds: boolean, version: number, closedSignal: AbortSignal): Promise<PartitionRead[]> {
  const deadline = broker.clock.monotonicMs() + Math.max(0, req.maxWaitMs);
  let result = await readAll(broker, req, parts, usesTopicIds, version);
  while (result.bytes < req.minBytes && !result.errors && parts.length > 0 && req.maxWaitMs > 0) {
    const watched: WatchedPartition[] = [];
    const replicaId = replicaIdOf(req, version);
    for (const r of result.reads) {
      const partition = r.partition;
      if (partition === undefined) continue;
      // Wait for data past what the read could see (the log end for a follower).
      const limit = replicaId >= 0 ? () => partition.logEndOffset : () => partition.fetchableOffset(req.isolationLevel);
      watched.push({ partition, fetchOffset: Math.max(r.cached.fetchOffset, r.limitAtRead), limit });
    }
    const outcome = await broker.fetchPurgatory.wait(watched, deadline - broker.clock.monotonicMs(), closedSignal);
    if (outcome === 'full' || outcome === 'closed') break;
    result = await readAll(broker, req, parts, usesTopicIds, version);
    if (outcome === 'timeout') break;
  }
  return result.reads;
}

function errorResponse(errorCode: number): FetchResponse {
  return { throttleTimeMs: 0, errorCode, sessionId: INVALID_SESSION_ID, responses: [], nodeEndpoints: [] };
}

export default defineHandler({
  api: Fetch,
  minVersion: 4,
  maxVersion: 17,
  async handle(ctx, req): Promise<FetchResponse> {
    const broker = ctx.broker;
    const usesTopicIds = ctx.header.apiVersion >= 13;
    const resolve = (topic: string, topicId: Buffer): { name: string; topicId: Buffer } | null => {
      const info = usesTopicIds ? broker.topics.getById(topicId) : broker.topics.get(topic);
      return info === undefined ? null : { name: info.name, topicId: info.topicId };
    };
    const cache = broker.fetchSessions;
    const context: FetchContext = ctx.header.apiVersion >= 7
      ? cache.newContext(req, usesTopicIds, resolve)
      : { kind: 'sessionless', partitions: partitionsFromRequest(req, false, resolve) };
    if (context.kind === 'error') return errorResponse(context.errorCode);
    const parts = context.partitions;
    // A client that disconnects releases its long poll at once (its answer is discarded).
    const reads = await readWithLongPoll(broker, req, parts, usesTopicIds, ctx.header.apiVersion, connectionClosedSignal(ctx.connection));
    let sessionId = INVALID_SESSION_ID;
    let answered = reads;
    if (context.kind === 'incremental') {
      sessionId = context.session.id;
      answered = reads.filter((r) => FetchSession.mustRespond(r.cached, outcomeOf(r.data)));
    } else if (context.kind === 'full') {
      for (const r of reads) FetchSession.mustRespond(r.cached, outcomeOf(r.data));
      sessionId = cache.maybeCreateSession(usesTopicIds, parts)?.id ?? INVALID_SESSION_ID;
    }
    // KIP-951: a partition that hit a non-leader or an old epoch learns the current leader.
    const leaders = new Set<number>();
    for (const r of answered) {
      if (!needsLeaderInfo(r.data.errorCode)) continue;
      r.data.currentLeader = currentLeader(broker, r.cached.topic, r.cached.partition);
      if (r.data.currentLeader.leaderId >= 0) leaders.add(r.data.currentLeader.leaderId);
    }
    const nodeEndpoints = leaders.size === 0 ? [] : leaderEndpoints(broker, ctx.connection.listenerName, leaders);
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId, responses: groupByTopic(answered), nodeEndpoints };
  },
});

function outcomeOf(d: FetchResponsePartitionData): { errorCode: number; highWatermark: number; lastStableOffset: number; logStartOffset: number; recordsBytes: number } {
  return { errorCode: d.errorCode, highWatermark: d.highWatermark, lastStableOffset: d.lastStableOffset, logStartOffset: d.logStartOffset, recordsBytes: d.records?.length ?? 0 };
}

