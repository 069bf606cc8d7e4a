/**
 * One Fetch to one leader for many partitions of many topics, as consumers send it: the highest
 * version both sides know (capped at 12 when a topic id is unknown, since v13+ names topics by
 * id), no fetch session, and the records of each partition decoded from its fetch offset on
 * (control records and, for read_committed, aborted transactions dropped). Per-partition error
 * codes are returned as data for the caller to act on (reset, refresh metadata, fail); a
 * top-level error is thrown as KafkaError.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { ZERO_UUID } from '../protocol/primitives.js';
import { Fetch, type FetchRequestFetchTopic } from '../protocol/messages/fetch.js';
import type { KafkaClient } from './kafka-client.js';
import { KafkaError } from './kafka-error.js';
import { collectRecords, type FetchedRecord } from './operations.js';

export interface FetchTarget {
  topic: string;
  partition: number;
  /** The offset to fetch from. */
  offset: number;
}

export interface FetchSettings {
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  partitionMaxBytes: number;
  /** 0 = read_uncommitted, 1 = read_committed. */
  isolationLevel: number;
}

export const DEFAULT_FETCH_SETTINGS: FetchSettings = {
  maxWaitMs: 500, minBytes: 1, maxBytes: 50 * 1024 * 1024, partitionMaxBytes: 1024 * 1024, isolationLevel: 0,
};

export interface PartitionFetch extends FetchTarget {
  errorCode: number;
  highWatermark: number;
  /** Records at or after `offset`, in offset order. */
  records: FetchedRecord[];
  /** Where the next fetch of this partition starts. */
  nextOffset: number;
}

/** Fetches `targets` (all led by `leader`); results come back in the order of `targets`. */
export async function fetchFromLeader(client: KafkaClient, leader: number, targets: readonly FetchTarget[], settings: FetchSettings): Promise<PartitionFetch[]> {
  const byTopic = new Map<string, FetchTarget[]>();
  for (const t of targets) byTopic.set(t.topic, [...(byTopic.get(t.topic) ?? []), t]);
  const topicIds = new Map<string, Buffer>();
  for (const topic of byTopic.keys()) topicIds.set(topic, client.cachedTopic(topic)?.topicId ?? ZERO_UUID);
  let version = await client.versionFor(Fetch, leader);
  if (version >= 13 && [...topicIds.values()].some((id) => id.equals(ZERO_UUID))) version = 12;
  const topics: FetchRequestFetchTopic[] = [...byTopic].map(([topic, list]) => ({
    topic,
    topicId: topicIds.get(topic)!,
    partitions: list.map((t) => ({
      partition: t.partition, currentLeaderEpoch: -1, fetchOffset: t.offset, lastFetchedEpoch: -1, logStartOffset: -1,
      partitionMaxBytes: settings.partitionMaxBytes, replicaDirectoryId: ZERO_UUID,
    })),
  }));
  const res = await client.request(Fetch, {
    replicaId: -1, maxWaitMs: settings.maxWaitMs, minBytes: settings.minBytes, maxBytes: settings.maxBytes,
    isolationLevel: settings.isolationLevel, sessionId: 0, sessionEpoch: -1, topics, forgottenTopicsData: [], rackId: '',
  }, { nodeId: leader, version, timeoutMs: settings.maxWaitMs + 30_000 });
  if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode, `fetch from broker ${leader}`);

  const answered = new Map<string, (typeof res.responses)[number]['partitions'][number]>();
  for (const t of res.responses) {
    const name = version >= 13 ? [...topicIds].find(([, id]) => id.equals(t.topicId))?.[0] : t.topic;
    if (name === undefined) continue;
    for (const p of t.partitions) answered.set(`${name}\0${p.partitionIndex}`, p);
  }
  return targets.map((t) => {
    const p = answered.get(`${t.topic}\0${t.partition}`);
    if (p === undefined) return { ...t, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, highWatermark: -1, records: [], nextOffset: t.offset };
    if (p.errorCode !== ErrorCode.NONE) return { ...t, errorCode: p.errorCode, highWatermark: p.highWatermark, records: [], nextOffset: t.offset };
    const aborted = settings.isolationLevel === 1 ? p.abortedTransactions ?? [] : [];
    const { records, nextOffset } = collectRecords(p.records, t.offset, aborted, false);
    return { ...t, errorCode: ErrorCode.NONE, highWatermark: p.highWatermark, records, nextOffset };
  });
}

/** Partition errors after which a consumer refreshes metadata and tries again. */
export const REFRESH_METADATA_ERRORS: ReadonlySet<number> = new Set([
  ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.FENCED_LEADER_EPOCH, ErrorCode.UNKNOWN_TOPIC_ID,
  ErrorCode.LEADER_NOT_AVAILABLE, ErrorCode.KAFKA_STORAGE_ERROR,
]);
