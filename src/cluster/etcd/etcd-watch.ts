/**
 * An etcd watch that survives disconnects: `POST /v3/watch` with a create request, then one
 * JSON object per line (etcd-transport.ts `stream`).
 *
 * Contract:
 * - `onEvents(events)` gets every change to the watched key or range with mod revision >=
 *   `startRevision`, in revision order, each exactly once: when the stream breaks (etcd
 *   restarted, connection reset, endpoint down) the watch reopens on the next endpoint after a
 *   backoff, from the revision after the last one delivered, and drops anything it already
 *   delivered. All events of one revision (one txn) arrive in the same call.
 * - `onError(err)` is called at most once and ends the watch: EtcdCompactedError when the
 *   revision to resume from was compacted away (the caller reloads and watches again).
 * - `onConnected` (optional) fires each time etcd confirms the watch (created), and
 *   `onDisconnected(err)` each time the stream breaks; both are for logging and tests.
 * - `close()` stops it for good; no callback fires afterwards.
 */
import type { TimerHandle } from '../../base/clock.js';
import { EtcdCompactedError } from './etcd-errors.js';
import type { EtcdEndpoint, EtcdStream } from './etcd-transport.js';
import type { EtcdClient, KeyValue } from './etcd-client.js';
import { decodeKv } from './etcd-client.js';

export interface WatchEvent {
  readonly type: 'PUT' | 'DELETE';
  readonly kv: KeyValue;
}

export interface EtcdWatchOptions {
  key: string;
  /** Watch every key starting with `key`. */
  prefix?: boolean;
  /** The first revision to deliver (etcd's start_revision); 0 means "from now". */
  startRevision: number;
  onEvents(events: readonly WatchEvent[]): void;
  onError(err: Error): void;
  onConnected?(): void;
  onDisconnected?(err: Error | null): void;
}

const BACKOFF_MIN_MS = 50;
const BACKOFF_MAX_MS = 1000;

export class EtcdWatch {
  /** The next revision to deliver; 0 until the first event when started "from now". */
  private nextRevision: number;
  private stream: EtcdStream | null = null;
  private endpoint: EtcdEndpoint | null = null;
  private retry: TimerHandle | null = null;
  private backoffMs = BACKOFF_MIN_MS;
  private done = false;

  constructor(private readonly client: EtcdClient, private readonly opts: EtcdWatchOptions, private readonly onClose: () => void) {
    this.nextRevision = opts.startRevision;
  }

  /** The revision the watch resumes from (the one after the last delivered). */
  get resumeRevision(): number {
    return this.nextRevision;
  }

  start(): void {
    if (this.done) return;
    this.retry = null;
    const endpoint = this.client.endpointAfter(null);
    this.endpoint = endpoint;
    const create: Record<string, unknown> = { key: Buffer.from(this.opts.key, 'utf8').toString('base64') };
    if (this.opts.prefix === true) create['range_end'] = prefixRangeEnd(this.opts.key);
    if (this.nextRevision > 0) create['start_revision'] = String(this.nextRevision);
    let ok = false;
    const s = this.client.transport.stream(endpoint, '/v3/watch', JSON.stringify({ create_request: create }), {
      onResponse: (status) => { ok = status === 200; },
      onMessage: (line) => {
        if (this.done || s !== this.stream) return;
        if (!ok) return;
        this.message(line);
      },
      onEnd: (err) => {
        if (this.done || s !== this.stream) return;
        this.stream = null;
        this.opts.onDisconnected?.(err);
        this.client.endpointAfter(endpoint);
        this.retry = this.client.clock.schedule(this.backoffMs, () => this.start());
        this.backoffMs = Math.min(this.backoffMs * 2, BACKOFF_MAX_MS);
      },
    });
    this.stream = s;
  }

  close(): void {
    if (this.done) return;
    this.done = true;
    this.retry?.cancel();
    const s = this.stream;
    this.stream = null;
    s?.close();
    this.onClose();
  }

  private message(line: string): void {
    let o: { result?: Record<string, unknown>; error?: unknown };
    try {
      o = JSON.parse(line) as typeof o;
    } catch {
      return;
    }
    const r = o.result;
    if (r === undefined) return;
    if (r['canceled'] === true) {
      const compact = Number(r['compact_revision'] ?? 0);
      if (compact > 0) {
        this.fail(new EtcdCompactedError(compact, `etcd watch on ${this.opts.key}: revision ${this.nextRevision} was compacted (now ${compact})`));
      } else {
        // Canceled for another reason (etcd shutting down a member): reopen like a disconnect.
        this.stream?.close();
      }
      return;
    }
    if (r['created'] === true) {
      this.backoffMs = BACKOFF_MIN_MS;
      this.opts.onConnected?.();
    }
    const raw = (r['events'] ?? []) as Record<string, unknown>[];
    if (raw.length === 0) return;
    const events: WatchEvent[] = [];
    for (const e of raw) {
      const kv = decodeKv((e['kv'] ?? {}) as Record<string, unknown>);
      if (kv.modRevision < this.nextRevision) continue;
      events.push({ type: e['type'] === 'DELETE' ? 'DELETE' : 'PUT', kv });
    }
    if (events.length === 0) return;
    this.nextRevision = events[events.length - 1]!.kv.modRevision + 1;
    this.opts.onEvents(events);
  }

  private fail(err: Error): void {
    if (this.done) return;
    this.close();
    this.opts.onError(err);
  }
}

/** etcd's range end for "every key starting with `prefix`", base64. */
export function prefixRangeEnd(prefix: string): string {
  const b = Buffer.from(prefix, 'utf8');
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i]! < 0xff) {
      const end = Buffer.from(b.subarray(0, i + 1));
      end[i]!++;
      return end.toString('base64');
    }
  }
  return Buffer.from([0]).toString('base64');
}
