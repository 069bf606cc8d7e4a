/**
 * A small etcd v3 client over the JSON gateway (etcd-transport.ts): KV range / put /
 * deleteRange / txn, lease grant / keep-alive / revoke, and watch (etcd-watch.ts).
 *
 * Contract:
 * - Keys are strings (UTF-8) and values Buffers or strings; on the wire both are base64, as
 *   the gateway wants. int64 fields come back as decimal strings: revisions become numbers
 *   (they stay far below 2^53), lease ids stay strings (they use all 64 bits).
 * - Every unary call has a deadline (`requestTimeoutMs`). Until then, a request that surely
 *   never reached etcd (connection refused) or that etcd refused as UNAVAILABLE (no leader)
 *   is sent again to the next endpoint after a short backoff. A read is also retried when
 *   the connection broke after sending; a write is not (it may have been applied), and
 *   rejects with EtcdUnavailableError with `outcomeUnknown` set: the caller must read back
 *   to learn what happened (a compare-and-set makes that safe). A txn marked `resend` (its
 *   compares make applying it twice harmless) and a lease grant are retried like reads.
 * - etcd's own errors become EtcdRequestError (gRPC code), EtcdCompactedError,
 *   EtcdLeaseNotFoundError (etcd-errors.ts).
 * - The client keeps no state but the endpoint that answered last; `close()` drops pooled
 *   connections and closes every watch.
 */
import type { Clock } from '../../base/clock.js';
import { EtcdCompactedError, EtcdLeaseNotFoundError, EtcdRequestError, EtcdUnavailableError, GrpcCode } from './etcd-errors.js';
import { EtcdTransportError, type EtcdEndpoint, type EtcdTransport } from './etcd-transport.js';
import { EtcdWatch, prefixRangeEnd, type EtcdWatchOptions } from './etcd-watch.js';
import { formatEndpoint } from './etcd-connect.js';

export interface EtcdClientOptions {
  endpoints: readonly EtcdEndpoint[];
  transport: EtcdTransport;
  clock: Clock;
  /** Deadline of one unary call, retries included. */
  requestTimeoutMs?: number;
}

export const DEFAULT_ETCD_REQUEST_TIMEOUT_MS = 5000;
const RETRY_BACKOFF_MS = 100;

export interface KeyValue {
  readonly key: string;
  readonly value: Buffer;
  readonly createRevision: number;
  readonly modRevision: number;
  readonly version: number;
  /** '0' when not bound to a lease. */
  readonly lease: string;
}

export interface RangeOptions {
  /** Every key starting with `key`. */
  prefix?: boolean;
  /** Keys in [key, rangeEnd). */
  rangeEnd?: string;
  limit?: number;
  /** Read at this revision (0: the latest). */
  revision?: number;
  countOnly?: boolean;
}

export interface RangeResult {
  kvs: KeyValue[];
  count: number;
  more: boolean;
  /** The store's revision when the read was served. */
  revision: number;
}

export type Compare =
  | { key: string; target: 'VALUE'; result: CompareResult; value: Buffer | string }
  | { key: string; target: 'VERSION' | 'CREATE' | 'MOD'; result: CompareResult; value: number }
  | { key: string; target: 'LEASE'; result: CompareResult; value: string };
export type CompareResult = 'EQUAL' | 'NOT_EQUAL' | 'GREATER' | 'LESS';

export type TxnOp =
  | { put: { key: string; value: Buffer | string; lease?: string } }
  | { range: { key: string } & RangeOptions }
  | { deleteRange: { key: string; prefix?: boolean; rangeEnd?: string } };

export type TxnOpResult = { range: RangeResult } | { put: Record<string, never> } | { deleteRange: { deleted: number } };

export interface TxnResult {
  succeeded: boolean;
  revision: number;
  responses: TxnOpResult[];
}

export interface Lease {
  readonly id: string;
  readonly ttlSeconds: number;
}

type Json = Record<string, unknown>;

const b64 = (s: string | Buffer) => (typeof s === 'string' ? Buffer.from(s, 'utf8') : s).toString('base64');
const num = (v: unknown) => (v === undefined ? 0 : Number(v));

/** The range end on the wire (base64): an explicit end, or the end of the prefix `key`. */
function rangeEndBytes(key: string, o: { prefix?: boolean; rangeEnd?: string }): string | undefined {
  if (o.rangeEnd !== undefined) return b64(o.rangeEnd);
  return o.prefix === true ? prefixRangeEnd(key) : undefined;
}

export function decodeKv(o: Json): KeyValue {
  return {
    key: Buffer.from(String(o['key'] ?? ''), 'base64').toString('utf8'),
    value: Buffer.from(String(o['value'] ?? ''), 'base64'),
    createRevision: num(o['create_revision']),
    modRevision: num(o['mod_revision']),
    version: num(o['version']),
    lease: String(o['lease'] ?? '0'),
  };
}

function rangeBody(key: string, o: RangeOptions): Json {
  const body: Json = { key: b64(key) };
  const end = rangeEndBytes(key, o);
  if (end !== undefined) body['range_end'] = end;
  if (o.limit !== undefined) body['limit'] = String(o.limit);
  if (o.revision !== undefined && o.revision > 0) body['revision'] = String(o.revision);
  if (o.countOnly === true) body['count_only'] = true;
  return body;
}

function decodeRange(o: Json): RangeResult {
  const header = (o['header'] ?? {}) as Json;
  return {
    kvs: ((o['kvs'] ?? []) as Json[]).map(decodeKv),
    count: num(o['count']),
    more: o['more'] === true,
    revision: num(header['revision']),
  };
}

function compareBody(c: Compare): Json {
  const o: Json = { key: b64(c.key), target: c.target, result: c.result };
  switch (c.target) {
    case 'VALUE': o['value'] = b64(c.value); break;
    case 'VERSION': o['version'] = String(c.value); break;
    case 'CREATE': o['create_revision'] = String(c.value); break;
    case 'MOD': o['mod_revision'] = String(c.value); break;
    case 'LEASE': o['lease'] = c.value; break;
  }
  return o;
}

function putBody(p: { key: string; value: Buffer | string; lease?: string }): Json {
  const o: Json = { key: b64(p.key), value: b64(p.value) };
  if (p.lease !== undefined && p.lease !== '0') o['lease'] = p.lease;
  return o;
}

function opBody(op: TxnOp): Json {
  if ('put' in op) return { request_put: putBody(op.put) };
  if ('range' in op) return { request_range: rangeBody(op.range.key, op.range) };
  const d: Json = { key: b64(op.deleteRange.key) };
  const end = rangeEndBytes(op.deleteRange.key, op.deleteRange);
  if (end !== undefined) d['range_end'] = end;
  return { request_delete_range: d };
}

function decodeOpResult(o: Json): TxnOpResult {
  if (o['response_range'] !== undefined) return { range: decodeRange(o['response_range'] as Json) };
  if (o['response_delete_range'] !== undefined) return { deleteRange: { deleted: num((o['response_delete_range'] as Json)['deleted']) } };
  return { put: {} };
}

export class EtcdClient {
  private current = 0;
  private readonly timeoutMs: number;
  private readonly watches = new Set<EtcdWatch>();
  private closed = false;

  constructor(private readonly opts: EtcdClientOptions) {
    if (opts.endpoints.length === 0) throw new TypeError('etcd client needs at least one endpoint');
    this.timeoutMs = opts.requestTimeoutMs ?? DEFAULT_ETCD_REQUEST_TIMEOUT_MS;
  }

  get clock(): Clock {
    return this.opts.clock;
  }

  get endpoints(): readonly EtcdEndpoint[] {
    return this.opts.endpoints;
  }

  // ---- KV --------------------------------------------------------------------------------

  async range(key: string, options: RangeOptions = {}): Promise<RangeResult> {
    return decodeRange(await this.call('/v3/kv/range', rangeBody(key, options), true));
  }

  /** The value at `key`, or undefined. */
  async get(key: string): Promise<KeyValue | undefined> {
    return (await this.range(key)).kvs[0];
  }

  async put(key: string, value: Buffer | string, options: { lease?: string } = {}): Promise<{ revision: number }> {
    const r = await this.call('/v3/kv/put', putBody({ key, value, ...options }), false);
    return { revision: num((r['header'] as Json | undefined)?.['revision']) };
  }

  async deleteRange(key: string, options: { prefix?: boolean; rangeEnd?: string } = {}): Promise<{ deleted: number; revision: number }> {
    const body: Json = { key: b64(key) };
    const end = rangeEndBytes(key, options);
    if (end !== undefined) body['range_end'] = end;
    const r = await this.call('/v3/kv/deleterange', body, false);
    return { deleted: num(r['deleted']), revision: num((r['header'] as Json | undefined)?.['revision']) };
  }

  /**
   * One atomic transaction: if every compare holds, `success` runs, else `failure`.
   * `resend`: the txn is sent again (to the next member) when a connection broke after
   * sending it, like a read — only for a txn whose compares make a second application a no-op
   * and whose caller learns from the answer (or the state it reads) what happened, e.g. a
   * create-if-absent. Otherwise such a break rejects with `outcomeUnknown`.
   */
  async txn(t: { compare: readonly Compare[]; success: readonly TxnOp[]; failure?: readonly TxnOp[] }, options: { resend?: boolean } = {}): Promise<TxnResult> {
    const body = { compare: t.compare.map(compareBody), success: t.success.map(opBody), failure: (t.failure ?? []).map(opBody) };
    const r = await this.call('/v3/kv/txn', body, options.resend === true);
    return {
      succeeded: r['succeeded'] === true,
      revision: num((r['header'] as Json | undefined)?.['revision']),
      responses: ((r['responses'] ?? []) as Json[]).map(decodeOpResult),
    };
  }

  // ---- leases ----------------------------------------------------------------------------

  async grantLease(ttlSeconds: number): Promise<Lease> {
    // Safe to retry after a lost answer: a lease granted twice just expires unused (no keys).
    const r = await this.call('/v3/lease/grant', { TTL: String(ttlSeconds) }, true);
    return { id: String(r['ID']), ttlSeconds: num(r['TTL']) };
  }

  /** One keep-alive; resolves with the lease's new TTL, rejects EtcdLeaseNotFoundError once it is gone. */
  async keepAliveOnce(id: string): Promise<number> {
    const r = await this.call('/v3/lease/keepalive', { ID: id }, true);
    const result = (r['result'] ?? r) as Json;
    const ttl = num(result['TTL']);
    if (ttl <= 0) throw new EtcdLeaseNotFoundError(id);
    return ttl;
  }

  /** Revokes the lease (and deletes its keys); a lease already gone is not an error. */
  async revokeLease(id: string): Promise<void> {
    try {
      await this.call('/v3/lease/revoke', { ID: id }, true);
    } catch (err) {
      if (!(err instanceof EtcdLeaseNotFoundError)) throw err;
    }
  }

  // ---- watch -----------------------------------------------------------------------------

  /** Watches `key` (or a prefix) from `startRevision` on; see etcd-watch.ts. */
  watch(options: EtcdWatchOptions): EtcdWatch {
    if (this.closed) throw new EtcdUnavailableError('the etcd client is closed');
    const w = new EtcdWatch(this, options, () => this.watches.delete(w));
    this.watches.add(w);
    w.start();
    return w;
  }

  /** Internal (etcd-watch.ts): the endpoint to try next, after `failed` if given. */
  endpointAfter(failed: EtcdEndpoint | null): EtcdEndpoint {
    const eps = this.opts.endpoints;
    if (failed !== null && eps[this.current] === failed) this.current = (this.current + 1) % eps.length;
    return eps[this.current]!;
  }

  get transport(): EtcdTransport {
    return this.opts.transport;
  }

  close(): void {
    this.closed = true;
    for (const w of [...this.watches]) w.close();
    this.opts.transport.close();
  }

  // ---- the request loop ------------------------------------------------------------------

  private async call(path: string, body: Json, idempotent: boolean): Promise<Json> {
    const { clock, transport } = this.opts;
    const text = JSON.stringify(body);
    const deadline = clock.monotonicMs() + this.timeoutMs;
    let lastError: unknown = null;
    for (let attempt = 0; ; attempt++) {
      if (this.closed) throw new EtcdUnavailableError('the etcd client is closed');
      const remaining = deadline - clock.monotonicMs();
      if (remaining <= 0) {
        throw new EtcdUnavailableError(`etcd ${path}: no endpoint answered within ${this.timeoutMs} ms (${this.opts.endpoints.map(formatEndpoint).join(',')})`, { cause: lastError });
      }
      if (attempt > 0) await sleep(clock, Math.min(RETRY_BACKOFF_MS * attempt, remaining));
      const endpoint = this.opts.endpoints[this.current]!;
      const abort = new AbortController();
      const timer = clock.schedule(remaining, () => abort.abort());
      let response;
      try {
        response = await transport.request(endpoint, path, text, { signal: abort.signal });
      } catch (err) {
        lastError = err;
        this.endpointAfter(endpoint);
        if (err instanceof EtcdTransportError && (!err.sent || idempotent)) continue;
        throw new EtcdUnavailableError(`etcd ${path}: ${(err as Error).message} (the write may have been applied)`, { cause: err, outcomeUnknown: true });
      } finally {
        timer.cancel();
      }
      const parsed = parseJson(response.body);
      if (response.status === 200 && parsed['error'] === undefined) return parsed;
      const code = num(parsed['code']);
      const message = String(parsed['message'] ?? parsed['error'] ?? response.body);
      if (code === GrpcCode.UNAVAILABLE || response.status === 503) {
        lastError = new EtcdRequestError(code, message);
        this.endpointAfter(endpoint);
        continue;
      }
      throw requestError(code, message, body);
    }
  }
}

function requestError(code: number, message: string, body: Json): Error {
  if (code === GrpcCode.OUT_OF_RANGE && /compacted/.test(message)) return new EtcdCompactedError(0, message);
  if (code === GrpcCode.NOT_FOUND && /lease not found/.test(message)) return new EtcdLeaseNotFoundError(String(body['ID'] ?? body['lease'] ?? '?'), message);
  return new EtcdRequestError(code, `etcd: ${message}`);
}

function parseJson(text: string): Json {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null ? (v as Json) : {};
  } catch {
    return { error: text, code: GrpcCode.UNAVAILABLE };
  }
}

export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.schedule(ms, resolve));
}
