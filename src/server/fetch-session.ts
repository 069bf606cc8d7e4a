/**
 * Incremental fetch sessions (KIP-227), after Kafka's FetchSession.scala.
 *
 * A Fetch request's (sessionId, sessionEpoch) selects one of:
 *   (0, -1)  sessionless full fetch: the request lists every partition; response sessionId 0.
 *   (0, 0)   full fetch that opens a session: we answer every partition and, when a cache slot
 *            is free, a new sessionId (else 0 — the client then keeps sending full fetches).
 *   (X, 0)   full fetch that replaces session X with a new one.
 *   (X, -1)  close session X, then a sessionless full fetch.
 *   (X, n>0) incremental fetch in session X: the request carries only partitions that changed
 *            (added or with a new fetchOffset/maxBytes/...) and `forgottenTopicsData` removes
 *            partitions. The broker fetches every partition of the session and answers only
 *            those with something new: records, an error, or a changed high watermark, last
 *            stable offset or log start offset. Unknown X ⇒ FETCH_SESSION_ID_NOT_FOUND; an
 *            epoch other than the session's next one ⇒ INVALID_FETCH_SESSION_EPOCH (both are
 *            top-level errors with sessionId 0 and no partitions).
 * After each successful request the session's epoch is incremented (wrapping to 1).
 *
 * The cache holds at most `max.incremental.fetch.session.cache.slots` sessions. When full, a
 * session idle for at least `min.incremental.fetch.session.eviction.ms` (Kafka: 120 s) may be
 * evicted, least recently used first; otherwise no session is created.
 */
import type { Clock } from '../base/clock.js';
import type { Random } from '../base/random.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { FetchRequest } from '../protocol/messages/fetch.js';

export const INVALID_SESSION_ID = 0;
export const INITIAL_EPOCH = 0;
export const FINAL_EPOCH = -1;

export interface CachedPartition {
  topic: string;
  topicId: Buffer;
  partition: number;
  fetchOffset: number;
  partitionMaxBytes: number;
  currentLeaderEpoch: number;
  /** Follower fetches (v12+): the epoch of the fetcher's last batch, -1 when unknown. */
  lastFetchedEpoch: number;
  /** Follower fetches: the fetcher's own log start offset (-1 for consumers). */
  fetcherLogStartOffset: number;
  /** What the last response told the client; -1 when nothing was sent yet. */
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
}

/** What a partition read produced, as far as the session cares. */
export interface PartitionOutcome {
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  recordsBytes: number;
}

export class FetchSession {
  readonly id: number;
  /** The epoch the next request must carry. */
  epoch: number;
  readonly usesTopicIds: boolean;
  readonly partitions = new Map<string, CachedPartition>();
  lastUsedMs: number;

  constructor(id: number, usesTopicIds: boolean, nowMs: number) {
    this.id = id;
    this.epoch = nextEpoch(INITIAL_EPOCH);
    this.usesTopicIds = usesTopicIds;
    this.lastUsedMs = nowMs;
  }

  /**
   * Whether an incremental response must carry this partition, and remembers what it tells
   * the client (Kafka's CachedPartition.maybeUpdateResponseData).
   */
  static mustRespond(cached: CachedPartition, outcome: PartitionOutcome): boolean {
    let respond = outcome.recordsBytes > 0 || outcome.errorCode !== ErrorCode.NONE;
    if (cached.highWatermark !== outcome.highWatermark) {
      cached.highWatermark = outcome.highWatermark;
      respond = true;
    }
    if (cached.lastStableOffset !== outcome.lastStableOffset) {
      cached.lastStableOffset = outcome.lastStableOffset;
      respond = true;
    }
    if (cached.logStartOffset !== outcome.logStartOffset) {
      cached.logStartOffset = outcome.logStartOffset;
      respond = true;
    }
    return respond;
  }
}

export function nextEpoch(epoch: number): number {
  return epoch >= 0x7fffffff ? 1 : epoch + 1;
}

export function partitionKey(topicOrId: string, partition: number): string {
  return `${topicOrId}\u0000${partition}`;
}

/** Resolves a request's topic (name before v13, id from v13) to its name and id, or null. */
export type TopicResolver = (topic: string, topicId: Buffer) => { name: string; topicId: Buffer } | null;

export type FetchContext =
  | { kind: 'sessionless'; partitions: CachedPartition[] }
  | { kind: 'full'; partitions: CachedPartition[] }
  | { kind: 'incremental'; session: FetchSession; partitions: CachedPartition[] }
  | { kind: 'error'; errorCode: number };

export interface FetchSessionCacheOptions {
  maxSlots: number;
  clock: Clock;
  random: Random;
  evictionIdleMs?: number;
}

export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>();
  private readonly maxSlots: number;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly evictionIdleMs: number;

  constructor(options: FetchSessionCacheOptions) {
    this.maxSlots = Math.max(0, options.maxSlots);
    this.clock = options.clock;
    this.random = options.random;
    this.evictionIdleMs = options.evictionIdleMs ?? 120_000;
  }

  get size(): number {
    return this.sessions.size;
  }

  get(id: number): FetchSession | undefined {
    return this.sessions.get(id);
  }

  remove(id: number): void {
    this.sessions.delete(id);
  }

  /** Called by Broker.closeServices(). */
  close(): void {
    this.sessions.clear();
  }

  /**
   * Turns a request's session fields into a context (see the file header). `resolve` maps
   * request topics; partitions of unresolvable topics are still listed (their topic name is
   * '' and the caller answers UNKNOWN_TOPIC_ID / UNKNOWN_TOPIC_OR_PARTITION).
   */
  newContext(req: FetchRequest, usesTopicIds: boolean, resolve: TopicResolver): FetchContext {
    const fromRequest = (): CachedPartition[] => partitionsFromRequest(req, usesTopicIds, resolve);
    if (req.sessionEpoch === FINAL_EPOCH || req.sessionEpoch === INITIAL_EPOCH) {
      if (req.sessionId !== INVALID_SESSION_ID) this.sessions.delete(req.sessionId);
      if (req.sessionEpoch === FINAL_EPOCH) return { kind: 'sessionless', partitions: fromRequest() };
      return { kind: 'full', partitions: fromRequest() };
    }
    const session = this.sessions.get(req.sessionId);
    if (session === undefined) return { kind: 'error', errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND };
    if (session.epoch !== req.sessionEpoch || session.usesTopicIds !== usesTopicIds) {
      return { kind: 'error', errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH };
    }
    const keyOf = (name: string, id: Buffer): string => (usesTopicIds ? id.toString('hex') : name);
    for (const t of req.topics) {
      const resolved = resolve(t.topic, t.topicId);
      for (const p of t.partitions) {
        const key = partitionKey(keyOf(t.topic, t.topicId), p.partition);
        const existing = session.partitions.get(key);
        if (existing !== undefined) {
          existing.fetchOffset = p.fetchOffset;
          existing.partitionMaxBytes = p.partitionMaxBytes;
          existing.currentLeaderEpoch = p.currentLeaderEpoch;
          existing.lastFetchedEpoch = p.lastFetchedEpoch;
          existing.fetcherLogStartOffset = p.logStartOffset;
        } else {
          session.partitions.set(key, cachedPartition(t.topic, t.topicId, resolved, usesTopicIds, p));
        }
      }
    }
    for (const f of req.forgottenTopicsData) {
      for (const partition of f.partitions) session.partitions.delete(partitionKey(keyOf(f.topic, f.topicId), partition));
    }
    session.epoch = nextEpoch(session.epoch);
    session.lastUsedMs = this.clock.monotonicMs();
    return { kind: 'incremental', session, partitions: [...session.partitions.values()] };
  }

  /**
   * Creates a session holding `partitions` (with what the full response told the client), or
   * returns null when no slot is free.
   */
  maybeCreateSession(usesTopicIds: boolean, partitions: CachedPartition[]): FetchSession | null {
    const now = this.clock.monotonicMs();
    if (this.sessions.size >= this.maxSlots && !this.evictOne(now)) return null;
    let id = INVALID_SESSION_ID;
    while (id === INVALID_SESSION_ID || this.sessions.has(id)) id = 1 + this.random.int(0x7ffffffe);
    const session = new FetchSession(id, usesTopicIds, now);
    for (const p of partitions) {
      session.partitions.set(partitionKey(usesTopicIds ? p.topicId.toString('hex') : p.topic, p.partition), p);
    }
    this.sessions.set(id, session);
    return session;
  }

  private evictOne(now: number): boolean {
    let oldest: FetchSession | undefined;
    for (const s of this.sessions.values()) {
      if (oldest === undefined || s.lastUsedMs < oldest.lastUsedMs) oldest = s;
    }
    if (oldest === undefined || now - oldest.lastUsedMs < this.evictionIdleMs) return false;
    this.sessions.delete(oldest.id);
    return true;
  }
}

/** A partition of a Fetch request as the session cache keeps it (no fetch outcome yet). */
function cachedPartition(
  topic: string,
  topicId: Buffer,
  resolved: { name: string; topicId: Buffer } | null,
  usesTopicIds: boolean,
  p: { partition: number; fetchOffset: number; partitionMaxBytes: number; currentLeaderEpoch: number; lastFetchedEpoch: number; logStartOffset: number },
): CachedPartition {
  return {
    topic: resolved?.name ?? (usesTopicIds ? '' : topic),
    topicId: resolved?.topicId ?? topicId,
    partition: p.partition,
    fetchOffset: p.fetchOffset,
    partitionMaxBytes: p.partitionMaxBytes,
    currentLeaderEpoch: p.currentLeaderEpoch,
    lastFetchedEpoch: p.lastFetchedEpoch,
    fetcherLogStartOffset: p.logStartOffset,
    highWatermark: -1,
    lastStableOffset: -1,
    logStartOffset: -1,
  };
}

/** Every partition a Fetch request lists, in request order (full and sessionless fetches). */
export function partitionsFromRequest(req: FetchRequest, usesTopicIds: boolean, resolve: TopicResolver): CachedPartition[] {
  const out: CachedPartition[] = [];
  for (const t of req.topics) {
    const resolved = resolve(t.topic, t.topicId);
    for (const p of t.partitions) out.push(cachedPartition(t.topic, t.topicId, resolved, usesTopicIds, p));
  }
  return out;
}
