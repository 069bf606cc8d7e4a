/**
 * FetchSessionHandler: a follower's side of an incremental fetch session (KIP-227), after
 * Kafka's clients/FetchSessionHandler, for one ReplicaFetcher (one leader). The leader's side
 * is server/fetch-session.ts.
 *
 * Each round the fetcher says which partitions it wants and where each stands (`build`):
 * - Without a session (at first, after an error, or when the leader had no cache slot) the
 *   request is full: every partition, epoch 0 (INITIAL), which asks the leader for a session
 *   (and replaces an old one of ours, when we had an id).
 * - In a session, the request is incremental (the session's id and next epoch): only the
 *   partitions that are new or whose fetch position changed (fetch offset, log start offset,
 *   max bytes, leader epoch, last fetched epoch), and `forgotten` those no longer wanted (a
 *   partition backing off, removed or led elsewhere). The leader still reads every partition
 *   of the session, so idle partitions keep their followers' fetch state fresh (ISR), and
 *   answers only those with news.
 * `handleResponse` moves the session on: a full answer's sessionId opens it (0: none, the next
 * request is full again), an incremental answer advances the epoch (wrapping to 1), and the
 * session errors (FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH: the leader
 * restarted, evicted the session, or saw a request whose answer we lost) or any other
 * top-level error reset it, as does `reset()` after a failed request (the leader may have
 * moved the epoch on without our knowing).
 */
import { ErrorCode } from '../../protocol/error-codes.js';

const INVALID_SESSION_ID = 0;
const INITIAL_EPOCH = 0;

/** Where the follower stands on one partition (what a Fetch request carries for it). */
export interface SessionPartition {
  topic: string;
  topicId: Buffer;
  partition: number;
  fetchOffset: number;
  logStartOffset: number;
  maxBytes: number;
  currentLeaderEpoch: number;
  lastFetchedEpoch: number;
}

export interface SessionRequest {
  sessionId: number;
  sessionEpoch: number;
  /** The partitions to put in the request. */
  send: SessionPartition[];
  /** The partitions to name in forgottenTopicsData. */
  forget: { topic: string; topicId: Buffer; partition: number }[];
}

const keyOf = (p: { topic: string; partition: number }): string => `${p.topic}\u0000${p.partition}`;

function samePosition(a: SessionPartition, b: SessionPartition): boolean {
  return a.fetchOffset === b.fetchOffset && a.logStartOffset === b.logStartOffset && a.maxBytes === b.maxBytes
    && a.currentLeaderEpoch === b.currentLeaderEpoch && a.lastFetchedEpoch === b.lastFetchedEpoch;
}

export class FetchSessionHandler {
  private sessionId = INVALID_SESSION_ID;
  /** The epoch the next request carries; INITIAL_EPOCH: the next request is full. */
  private nextEpoch = INITIAL_EPOCH;
  /** What the leader's session holds for us (empty without a session). */
  private partitions = new Map<string, SessionPartition>();
  /** The request in flight: what the session will hold once it is answered. */
  private pending: { full: boolean; wanted: Map<string, SessionPartition> } | null = null;

  /** The current session id (0: none). */
  get id(): number {
    return this.sessionId;
  }

  build(wanted: readonly SessionPartition[]): SessionRequest {
    const wantedMap = new Map(wanted.map((p) => [keyOf(p), p]));
    const full = this.nextEpoch === INITIAL_EPOCH;
    this.pending = { full, wanted: wantedMap };
    if (full) return { sessionId: this.sessionId, sessionEpoch: INITIAL_EPOCH, send: [...wanted], forget: [] };
    const send: SessionPartition[] = [];
    for (const [k, p] of wantedMap) {
      const held = this.partitions.get(k);
      if (held === undefined || !samePosition(held, p)) send.push(p);
    }
    const forget = [...this.partitions].filter(([k]) => !wantedMap.has(k)).map(([, p]) => ({ topic: p.topic, topicId: p.topicId, partition: p.partition }));
    return { sessionId: this.sessionId, sessionEpoch: this.nextEpoch, send, forget };
  }

  /** The answer to the last build()'s request: its top-level error code and sessionId. */
  handleResponse(errorCode: number, responseSessionId: number): void {
    const pending = this.pending;
    this.pending = null;
    if (pending === null) return;
    if (errorCode !== ErrorCode.NONE) {
      this.reset();
      return;
    }
    if (pending.full) {
      this.sessionId = responseSessionId;
      this.nextEpoch = responseSessionId === INVALID_SESSION_ID ? INITIAL_EPOCH : 1;
      this.partitions = responseSessionId === INVALID_SESSION_ID ? new Map() : pending.wanted;
      return;
    }
    this.partitions = pending.wanted;
    this.nextEpoch = this.nextEpoch >= 0x7fffffff ? 1 : this.nextEpoch + 1;
  }

  /** The next request is full (the request failed, or its answer was lost). */
  reset(): void {
    this.pending = null;
    this.nextEpoch = INITIAL_EPOCH;
    this.partitions = new Map();
  }
}
