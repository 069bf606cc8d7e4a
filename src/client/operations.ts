/**
 * Higher-level client helpers for one partition at a time: produce, fetch, listOffsets,
 * findCoordinator, offset commit and fetch. They route to the leader or coordinator, retry
 * retriable Kafka errors a few times (refreshing metadata in between), and throw KafkaError
 * for the rest. Enough for our CLIs and tests; not a full producer/consumer.
 */
import { sleep, type Clock } from '../base/clock.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { ZERO_UUID } from '../protocol/primitives.js';
import { Compression } from '../protocol/record-batch.js';
import { decodeBatches, decodeControlRecord, ControlRecordType, encodeBatch, type Record, type RecordInput } from '../protocol/records.js';
import { ATTR_CONTROL, ATTR_TIMESTAMP_TYPE, ATTR_TRANSACTIONAL } from '../protocol/record-batch.js';
import { Produce } from '../protocol/messages/produce.js';
import { Fetch } from '../protocol/messages/fetch.js';
import { ListOffsets } from '../protocol/messages/list-offsets.js';
import { FindCoordinator } from '../protocol/messages/find-coordinator.js';
import { OffsetCommit } from '../protocol/messages/offset-commit.js';
import { OffsetFetch } from '../protocol/messages/offset-fetch.js';
import type { BrokerInfo, KafkaClient } from './kafka-client.js';
import { KafkaError, RETRIABLE } from './kafka-error.js';
import { TRANSACTION_V1_MAX_VERSION } from './transaction-manager.js';

export const EARLIEST_TIMESTAMP = -2;
export const LATEST_TIMESTAMP = -1;

/** Runs op, retrying retriable KafkaErrors with a short backoff; onRetry refreshes routing. */
async function withRetries<T>(client: KafkaClient, retries: number, op: () => Promise<T>, onRetry: () => void): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      if (!(err instanceof KafkaError) || !err.retriable || attempt >= retries) throw err;
      onRetry();
      await sleep(client.clock, Math.min(1000, 50 * 2 ** attempt));
    }
  }
}

// --- Produce ---------------------------------------------------------------------------------

export interface ProduceOptions {
  /** 0, 1 or -1 (all); default -1, as Kafka's producer since 3.0. */
  acks?: number;
  compression?: Compression;
  timeoutMs?: number;
  transactionalId?: string | null;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  retries?: number;
}

export interface ProduceResult {
  baseOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
}

export async function produce(client: KafkaClient, topic: string, partition: number, records: RecordInput[], options: ProduceOptions = {}): Promise<ProduceResult> {
  const acks = options.acks ?? -1;
  const batch = encodeBatch({
    records,
    timestamp: client.clock.now(),
    compression: options.compression ?? Compression.None,
    producerId: options.producerId,
    producerEpoch: options.producerEpoch,
    baseSequence: options.baseSequence,
    transactional: options.transactional,
  });
  return withRetries(client, options.retries ?? 5, async () => {
    await client.topicMetadata(topic, { allowAutoTopicCreation: true });
    const leader = await client.leaderFor(topic, partition);
    const res = await client.request(Produce, {
      transactionalId: options.transactionalId ?? null,
      acks,
      timeoutMs: options.timeoutMs ?? 30_000,
      topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }],
    }, {
      nodeId: leader, expectResponse: acks !== 0,
      // A transactional batch from this (Transaction V1) client never uses Produce v12, which would add its partition.
      ...(options.transactional === true ? { version: Math.min(TRANSACTION_V1_MAX_VERSION.Produce, await client.versionFor(Produce, leader)) } : {}),
    });
    if (acks === 0) return { baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 };
    const p = res.responses[0]?.partitionResponses.find((x) => x.index === partition);
    if (p === undefined) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `produce to ${topic}-${partition}: partition missing from response`);
    if (p.errorCode !== ErrorCode.NONE) throw new KafkaError(p.errorCode, `produce to ${topic}-${partition}`, p.errorMessage);
    return { baseOffset: p.baseOffset, logAppendTimeMs: p.logAppendTimeMs, logStartOffset: p.logStartOffset };
  }, () => client.invalidateTopic(topic));
}

// --- Fetch -----------------------------------------------------------------------------------

export interface FetchOptions {
  maxWaitMs?: number;
  minBytes?: number;
  maxBytes?: number;
  partitionMaxBytes?: number;
  /** 0 = READ_UNCOMMITTED, 1 = READ_COMMITTED (aborted transactions are filtered out). */
  isolationLevel?: number;
  /** Keep control records (transaction markers) in `records`; default false, as consumers do. */
  includeControl?: boolean;
  version?: number;
}

/** A fetched record; logAppendTime tells which kind of timestamp it carries. */
export interface FetchedRecord extends Record {
  logAppendTime: boolean;
}

export interface FetchResult {
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  /** Records at or after the fetch offset. */
  records: FetchedRecord[];
  /** Where the next fetch should start: after the last complete batch returned. */
  nextOffset: number;
}

export async function fetch(client: KafkaClient, topic: string, partition: number, offset: number, options: FetchOptions = {}): Promise<FetchResult> {
  return withRetries(client, 3, async () => {
    const leader = await client.leaderFor(topic, partition);
    const topicId = client.cachedTopic(topic)?.topicId ?? ZERO_UUID;
    let version = options.version ?? (await client.versionFor(Fetch, leader));
    if (options.version === undefined && version >= 13 && topicId.equals(ZERO_UUID)) version = 12;
    const isolationLevel = options.isolationLevel ?? 0;
    const res = await client.request(Fetch, {
      replicaId: -1,
      maxWaitMs: options.maxWaitMs ?? 500,
      minBytes: options.minBytes ?? 1,
      maxBytes: options.maxBytes ?? 50 * 1024 * 1024,
      isolationLevel,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{
        topic,
        topicId,
        partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: options.partitionMaxBytes ?? 1024 * 1024, replicaDirectoryId: ZERO_UUID }],
      }],
      forgottenTopicsData: [],
      rackId: '',
    }, { nodeId: leader, version, timeoutMs: (options.maxWaitMs ?? 500) + 30_000 });
    if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode, `fetch ${topic}-${partition}`);
    const p = res.responses[0]?.partitions.find((x) => x.partitionIndex === partition);
    if (p === undefined) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `fetch ${topic}-${partition}: partition missing from response`);
    if (p.errorCode !== ErrorCode.NONE) throw new KafkaError(p.errorCode, `fetch ${topic}-${partition} at offset ${offset}`);
    const aborted = isolationLevel === 1 ? p.abortedTransactions ?? [] : [];
    const { records, nextOffset } = collectRecords(p.records, offset, aborted, options.includeControl === true);
    return { highWatermark: p.highWatermark, lastStableOffset: p.lastStableOffset, logStartOffset: p.logStartOffset, records, nextOffset };
  }, () => client.invalidateTopic(topic));
}

/**
 * Decodes the batches of a fetch response, dropping records before `fetchOffset`, control
 * records, and (for READ_COMMITTED) records of aborted transactions, as Kafka's consumer does.
 */
export function collectRecords(
  buf: Buffer | null,
  fetchOffset: number,
  abortedTransactions: { producerId: number; firstOffset: number }[],
  includeControl: boolean,
): { records: FetchedRecord[]; nextOffset: number } {
  const pendingAborts = [...abortedTransactions].sort((a, b) => a.firstOffset - b.firstOffset);
  const aborting = new Set<number>();
  const records: FetchedRecord[] = [];
  let nextOffset = fetchOffset;
  for (const { header, records: batchRecords } of decodeBatches(buf, { verifyCrc: true })) {
    while (pendingAborts.length > 0 && pendingAborts[0]!.firstOffset <= header.baseOffset + header.lastOffsetDelta) {
      aborting.add(pendingAborts.shift()!.producerId);
    }
    const lastOffset = header.baseOffset + header.lastOffsetDelta;
    if (lastOffset + 1 > nextOffset) nextOffset = lastOffset + 1;
    const isControl = (header.attributes & ATTR_CONTROL) !== 0;
    if (isControl) {
      const first = batchRecords[0];
      if (first !== undefined && decodeControlRecord(first).type === ControlRecordType.Abort) aborting.delete(header.producerId);
      if (!includeControl) continue;
    } else if ((header.attributes & ATTR_TRANSACTIONAL) !== 0 && aborting.has(header.producerId)) {
      continue;
    }
    const logAppendTime = (header.attributes & ATTR_TIMESTAMP_TYPE) !== 0;
    for (const r of batchRecords) if (r.offset >= fetchOffset) records.push({ ...r, logAppendTime });
  }
  return { records, nextOffset };
}

// --- ListOffsets -----------------------------------------------------------------------------

export interface ListOffsetsResult {
  offset: number;
  timestamp: number;
  leaderEpoch: number;
}

/** timestamp: -2 earliest, -1 latest, -3 max timestamp, else the first offset at or after it. */
export async function listOffsets(client: KafkaClient, topic: string, partition: number, timestamp: number, options: { isolationLevel?: number } = {}): Promise<ListOffsetsResult> {
  return withRetries(client, 5, async () => {
    const leader = await client.leaderFor(topic, partition);
    const res = await client.request(ListOffsets, {
      replicaId: -1,
      isolationLevel: options.isolationLevel ?? 0,
      topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }],
      timeoutMs: 30_000,
    }, { nodeId: leader });
    const p = res.topics[0]?.partitions.find((x) => x.partitionIndex === partition);
    if (p === undefined) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `list offsets ${topic}-${partition}: partition missing from response`);
    if (p.errorCode !== ErrorCode.NONE) throw new KafkaError(p.errorCode, `list offsets ${topic}-${partition}`);
    return { offset: p.offset, timestamp: p.timestamp, leaderEpoch: p.leaderEpoch };
  }, () => client.invalidateTopic(topic));
}

// --- Coordinators and committed offsets ------------------------------------------------------

/** keyType 0 = group, 1 = transaction. Registers the coordinator so requests can target it. */
export async function findCoordinator(client: KafkaClient, key: string, keyType = 0): Promise<BrokerInfo> {
  return withRetries(client, 20, async () => {
    const version = await client.versionFor(FindCoordinator);
    const res = await client.request(FindCoordinator, { key, keyType, coordinatorKeys: [key] }, { version });
    let errorCode: number, errorMessage: string | null, nodeId: number, host: string, port: number;
    if (version >= 4) {
      const c = res.coordinators.find((x) => x.key === key) ?? res.coordinators[0];
      if (c === undefined) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `find coordinator for ${key}`);
      ({ errorCode, errorMessage, nodeId, host, port } = c);
    } else {
      ({ errorCode, errorMessage, nodeId, host, port } = res);
    }
    if (errorCode !== ErrorCode.NONE) throw new KafkaError(errorCode, `find coordinator for ${key}`, errorMessage);
    const info = { nodeId, host, port, rack: null };
    client.addBroker(info);
    return info;
  }, () => undefined);
}

export interface CommitOffset {
  topic: string;
  partition: number;
  offset: number;
  metadata?: string | null;
  leaderEpoch?: number;
}

/**
 * Commits offsets for a group. With the defaults (generation -1, empty member id) this is a
 * "simple" commit outside any group membership, which Kafka accepts for an empty group.
 */
export interface CommitOptions {
  generationId?: number;
  memberId?: string;
  groupInstanceId?: string | null;
  /** Send to this node (a group member's own coordinator connection) instead of looking it up. */
  nodeId?: number;
  retries?: number;
}

export async function commitOffsets(client: KafkaClient, groupId: string, offsets: CommitOffset[], options: CommitOptions = {}): Promise<void> {
  const byTopic = new Map<string, CommitOffset[]>();
  for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), o]);
  await withRetries(client, options.retries ?? 10, async () => {
    const nodeId = options.nodeId ?? (await findCoordinator(client, groupId)).nodeId;
    const res = await client.request(OffsetCommit, {
      groupId,
      generationIdOrMemberEpoch: options.generationId ?? -1,
      memberId: options.memberId ?? '',
      groupInstanceId: options.groupInstanceId ?? null,
      retentionTimeMs: -1,
      topics: [...byTopic].map(([name, list]) => ({
        name,
        partitions: list.map((o) => ({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch ?? -1, commitTimestamp: -1, committedMetadata: o.metadata ?? '' })),
      })),
    }, { nodeId });
    for (const t of res.topics) {
      for (const p of t.partitions) {
        if (p.errorCode !== ErrorCode.NONE) throw new KafkaError(p.errorCode, `commit offset for ${groupId} ${t.name}-${p.partitionIndex}`);
      }
    }
  }, () => undefined);
}

/**
 * Committed offsets of a group for some partitions of a topic; -1 where nothing is committed.
 * `requireStable` (what a read_committed consumer asks, KIP-447): a partition with offsets of
 * a transaction still in progress answers UNSTABLE_OFFSET_COMMIT, retried here until the
 * transaction ends (up to `stableTimeoutMs`, default 60000).
 */
export async function fetchCommittedOffsets(
  client: KafkaClient, groupId: string, topic: string, partitions: number[], options: { requireStable?: boolean; stableTimeoutMs?: number } = {},
): Promise<Map<number, number>> {
  const deadline = client.clock.monotonicMs() + (options.stableTimeoutMs ?? 60_000);
  for (;;) {
    try {
      return await fetchCommittedOffsetsOnce(client, groupId, topic, partitions, options.requireStable === true);
    } catch (err) {
      if (!(err instanceof KafkaError) || err.errorCode !== ErrorCode.UNSTABLE_OFFSET_COMMIT || client.clock.monotonicMs() >= deadline) throw err;
      await sleep(client.clock, 100);
    }
  }
}

async function fetchCommittedOffsetsOnce(client: KafkaClient, groupId: string, topic: string, partitions: number[], requireStable: boolean): Promise<Map<number, number>> {
  return withRetries(client, 10, async () => {
    const coordinator = await findCoordinator(client, groupId);
    const version = await client.versionFor(OffsetFetch, coordinator.nodeId);
    const res = await client.request(OffsetFetch, {
      groupId,
      topics: [{ name: topic, partitionIndexes: partitions }],
      groups: [{ groupId, memberId: null, memberEpoch: -1, topics: [{ name: topic, partitionIndexes: partitions }] }],
      requireStable,
    }, { nodeId: coordinator.nodeId, version });
    const out = new Map<number, number>();
    let topLevelError: number;
    let results: { name: string; partitions: { partitionIndex: number; committedOffset: number; errorCode: number }[] }[];
    if (version >= 8) {
      const g = res.groups.find((x) => x.groupId === groupId);
      topLevelError = g?.errorCode ?? ErrorCode.NONE;
      results = g?.topics ?? [];
    } else {
      topLevelError = res.errorCode;
      results = res.topics;
    }
    if (topLevelError !== ErrorCode.NONE) throw new KafkaError(topLevelError, `offset fetch for ${groupId}`);
    for (const t of results) {
      if (t.name !== topic) continue;
      for (const p of t.partitions) {
        if (p.errorCode !== ErrorCode.NONE) throw new KafkaError(p.errorCode, `offset fetch for ${groupId} ${topic}-${p.partitionIndex}`);
        out.set(p.partitionIndex, p.committedOffset);
      }
    }
    for (const p of partitions) if (!out.has(p)) out.set(p, -1);
    return out;
  }, () => undefined);
}
