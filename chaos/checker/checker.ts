/**
 * The checker: named properties over a history, each a verdict with counts and a few
 * examples. Pure (history in, verdicts out); chaos/checker/main.ts is the command.
 *
 * What each property means, and why it is sound for the workload in chaos/workload:
 *   lost-write          an acknowledged send, or a whole committed transaction, absent from the
 *                       final read. Needs a final read (else 'unknown').
 *   duplicate           one value at two positions (values are unique per run; producers are
 *                       idempotent, so a retry must not append twice).
 *   order               one producer's writes to one partition sit in the log in the order they
 *                       were invoked (idempotent producers keep order within a partition).
 *   offsets             a position holds one value in every read and acknowledgement; each
 *                       consumer session reads every partition at strictly increasing offsets.
 *   aborted-read        read_committed returned a write of an aborted or failed transaction.
 *   uncommitted-read    read_committed returned a transactional write before its commit was
 *                       even called.
 *   torn-transaction    the final read holds part of a transaction but not all of it.
 *   committed-offsets   an OffsetFetch of the group's committed offset, started after another
 *                       observation or a successful commit finished, returned a lower offset
 *                       (the workload's group only ever commits forward).
 *   beyond-hwm          a read of offset o finished before a high-watermark observation that
 *                       returned hwm ≤ o started (hwm is monotonic, so the record was read
 *                       before it was committed); also hwm observations going backwards.
 *                       When observations carry the answering leader's epoch, one from an
 *                       epoch older than an earlier observation's, or than one etcd had
 *                       already decided (the harness records the metadata log's leader
 *                       epochs), is a deposed leader's and set aside, and a read carrying its epoch is only held against observations
 *                       from that epoch or later.
 *   liveness            after the last fault was healed, a write was acknowledged within the
 *                       bound.
 */
import { partitionKey, positionKey, type HistoryEvent } from './history.js';
import { indexHistory, type HistoryIndex, type ReadInfo, type WriteInfo } from './history-index.js';

export type Verdict = 'ok' | 'FAIL' | 'unknown';

export interface PropertyResult {
  name: string;
  verdict: Verdict;
  /** Anomalies found. */
  count: number;
  /** One line: what was checked and what was found. */
  summary: string;
  /** Up to MAX_EXAMPLES anomalies, each one line. */
  examples: string[];
}

export interface CheckOptions {
  /** The liveness bound after the last fault is healed. */
  livenessMs: number;
  /**
   * How far apart two events must be to count as ordered ("b started after a finished"). Times
   * come from several processes (Date.now() has 1 ms granularity), so events within this slack
   * are treated as concurrent, which only ever hides an anomaly, never invents one.
   */
  clockSlackMs: number;
}

export const DEFAULT_CHECK_OPTIONS: CheckOptions = { livenessMs: 30_000, clockSlackMs: 2 };
export const PROPERTY_NAMES = ['lost-write', 'duplicate', 'order', 'offsets', 'aborted-read', 'uncommitted-read',
  'torn-transaction', 'committed-offsets', 'beyond-hwm', 'liveness'] as const;
const MAX_EXAMPLES = 5;

class Findings {
  readonly examples: string[] = [];
  count = 0;
  add(line: string): void {
    this.count++;
    if (this.examples.length < MAX_EXAMPLES) this.examples.push(line);
  }
  result(name: string, summary: string, verdict?: Verdict): PropertyResult {
    return { name, verdict: verdict ?? (this.count === 0 ? 'ok' : 'FAIL'), count: this.count, summary, examples: this.examples };
  }
}

export function checkHistory(events: HistoryEvent[], options: Partial<CheckOptions> = {}): PropertyResult[] {
  const opts = { ...DEFAULT_CHECK_OPTIONS, ...options };
  const ix = indexHistory(events);
  const positions = readPositions(ix);
  return [
    lostWrites(ix),
    duplicates(ix, positions),
    order(ix, positions),
    offsets(ix),
    abortedReads(ix),
    uncommittedReads(ix, opts),
    tornTransactions(ix),
    committedOffsets(ix, opts),
    beyondHighWatermark(ix, opts),
    liveness(ix, opts),
  ];
}

/** value → every distinct position it was read or acknowledged at. */
function readPositions(ix: HistoryIndex): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (value: string, key: string): void => {
    let s = out.get(value);
    if (s === undefined) out.set(value, s = new Set());
    s.add(key);
  };
  for (const r of ix.reads) add(r.value, positionKey(r));
  for (const w of ix.writes.values()) if (w.ackOffset !== undefined) add(w.value, positionKey({ ...w, offset: w.ackOffset }));
  return out;
}

function inFinalLog(ix: HistoryIndex, w: WriteInfo): boolean {
  const log = ix.finalLog.get(partitionKey(w));
  if (log === undefined) return false;
  if (w.ackOffset !== undefined && log.get(w.ackOffset) === w.value) return true;
  for (const v of log.values()) if (v === w.value) return true;
  return false;
}

function lostWrites(ix: HistoryIndex): PropertyResult {
  const f = new Findings();
  let acknowledged = 0;
  if (!ix.hasFinalRead) return f.result('lost-write', 'no final read in the history: cannot judge', 'unknown');
  for (const w of ix.writes.values()) {
    if (w.fate !== 'acknowledged') continue;
    acknowledged++;
    // A committed transaction partly present is a torn transaction, reported there.
    if (w.txn !== undefined && ix.txns.get(w.txn)!.writes.some((x) => inFinalLog(ix, ix.writes.get(x.value)!))) continue;
    if (!inFinalLog(ix, w)) f.add(`${w.value} (${w.txn ? `txn ${w.txn}` : 'send'} by ${w.process}, ${partitionKey(w)}${w.ackOffset !== undefined ? `@${w.ackOffset}` : ''}) is not in the final read`);
  }
  return f.result('lost-write', `${f.count} of ${acknowledged} acknowledged writes lost`);
}

function duplicates(ix: HistoryIndex, positions: Map<string, Set<string>>): PropertyResult {
  const f = new Findings();
  for (const [value, at] of positions) {
    if (at.size > 1) f.add(`${value} at ${[...at].sort().join(', ')}`);
  }
  return f.result('duplicate', `${f.count} of ${positions.size} values seen at more than one position`);
}

function order(ix: HistoryIndex, positions: Map<string, Set<string>>): PropertyResult {
  const f = new Findings();
  // producer + partition → its writes with a known single offset, in invoke order.
  const byProducer = new Map<string, { seq: number; offset: number; value: string }[]>();
  for (const w of ix.writes.values()) {
    const at = positions.get(w.value);
    if (at === undefined || at.size !== 1) continue; // unseen, or a duplicate (reported there)
    const offset = Number([...at][0]!.split('@').pop());
    const k = `${w.process} ${partitionKey(w)}`;
    let list = byProducer.get(k);
    if (list === undefined) byProducer.set(k, list = []);
    list.push({ seq: w.seq, offset, value: w.value });
  }
  let pairs = 0;
  for (const [k, list] of byProducer) {
    list.sort((a, b) => a.seq - b.seq);
    for (let i = 1; i < list.length; i++) {
      pairs++;
      const a = list[i - 1]!;
      const b = list[i]!;
      if (b.offset <= a.offset) f.add(`${k}: ${b.value} (invoked after ${a.value}) is at offset ${b.offset} ≤ ${a.offset}`);
    }
  }
  return f.result('order', `${f.count} of ${pairs} consecutive same-producer same-partition writes out of order`);
}

function offsets(ix: HistoryIndex): PropertyResult {
  const f = new Findings();
  const valueAt = new Map<string, string>();
  const claim = (key: string, value: string, who: string): void => {
    const prev = valueAt.get(key);
    if (prev === undefined) valueAt.set(key, value);
    else if (prev !== value) f.add(`${key} holds ${prev} and ${value} (${who})`);
  };
  for (const w of ix.writes.values()) if (w.ackOffset !== undefined) claim(positionKey({ ...w, offset: w.ackOffset }), w.value, `acknowledged to ${w.process}`);
  for (const r of ix.reads) claim(positionKey(r), r.value, `read by ${r.process}`);
  // Per process, session and partition: strictly increasing offsets. One exception: a group
  // member may start again at an offset its group committed (acknowledged before the read).
  // KafkaJS refetches from the committed offset when a rebalance begins, before it reports the
  // new assignment that starts a session here. The re-read values are checked above like any
  // other; a coordinator handing out a stale committed offset is the committed-offsets check.
  const committedAt = new Map<string, number[]>();
  for (const c of ix.commits) {
    if (c.type !== 'ok') continue;
    for (const o of (c.value?.offsets ?? []) as { topic: string; partition: number; offset: number }[]) {
      const k = `${c.process} ${partitionKey(o)} ${o.offset}`;
      const times = committedAt.get(k) ?? [];
      times.push(c.completeTime);
      committedAt.set(k, times);
    }
  }
  const rewindToCommitted = (r: ReadInfo): boolean => (committedAt.get(`${r.process} ${partitionKey(r)} ${r.offset}`) ?? []).some((t) => t <= r.time);
  const last = new Map<string, ReadInfo>();
  let reads = 0;
  let rewinds = 0;
  for (const r of ix.reads) {
    reads++;
    const k = `${r.process}#${r.session}${r.final ? 'F' : ''} ${partitionKey(r)}`;
    const prev = last.get(k);
    if (prev !== undefined && r.offset <= prev.offset) {
      if (rewindToCommitted(r)) rewinds++;
      else f.add(`${r.process} read ${partitionKey(r)}@${r.offset} after @${prev.offset} in one session`);
    }
    last.set(k, r);
  }
  return f.result('offsets', `${f.count} conflicting or non-monotonic offsets in ${valueAt.size} positions and ${reads} reads (${rewinds} group restarts at a committed offset)`);
}

function abortedReads(ix: HistoryIndex): PropertyResult {
  const f = new Findings();
  let committedReads = 0;
  for (const r of ix.reads) {
    if (r.isolation !== 'read_committed') continue;
    committedReads++;
    const w = ix.writes.get(r.value);
    if (w?.fate === 'aborted') f.add(`${r.process} read ${r.value} at ${positionKey(r)}, from aborted txn ${w.txn}`);
  }
  return f.result('aborted-read', `${f.count} of ${committedReads} read_committed reads returned aborted writes`);
}

function uncommittedReads(ix: HistoryIndex, opts: CheckOptions): PropertyResult {
  const f = new Findings();
  let txnReads = 0;
  for (const r of ix.reads) {
    if (r.isolation !== 'read_committed') continue;
    const w = ix.writes.get(r.value);
    if (w?.txn === undefined) continue;
    txnReads++;
    const t = ix.txns.get(w.txn)!;
    if (t.endTime !== undefined && r.time + opts.clockSlackMs < t.endTime) {
      f.add(`${r.process} read ${r.value} of txn ${t.txn} at ${r.time}, before its ${t.outcome === 'commit' ? 'commit' : 'end'} was called at ${t.endTime}`);
    } else if (t.outcome === 'pending' && r.time + opts.clockSlackMs < t.invokeTime) {
      f.add(`${r.process} read ${r.value} of txn ${t.txn} before the transaction began`);
    }
  }
  return f.result('uncommitted-read', `${f.count} of ${txnReads} read_committed reads of transactional writes came before the commit`);
}

function tornTransactions(ix: HistoryIndex): PropertyResult {
  const f = new Findings();
  if (!ix.hasFinalRead) return f.result('torn-transaction', 'no final read in the history: cannot judge', 'unknown');
  let judged = 0;
  for (const t of ix.txns.values()) {
    if (t.outcome !== 'commit' && t.outcome !== 'indeterminate') continue;
    judged++;
    const present = t.writes.filter((w) => inFinalLog(ix, ix.writes.get(w.value)!));
    if (present.length > 0 && present.length < t.writes.length) {
      f.add(`txn ${t.txn} (${t.outcome}): ${present.length} of ${t.writes.length} writes in the final read, missing ${t.writes.filter((w) => !present.includes(w)).map((w) => w.value).join(', ')}`);
    }
  }
  return f.result('torn-transaction', `${f.count} of ${judged} committed or indeterminate transactions partly visible`);
}

function committedOffsets(ix: HistoryIndex, opts: CheckOptions): PropertyResult {
  const f = new Findings();
  // group + partition → every (offset, completeTime, what) known to be committed by then.
  type Fact = { offset: number; completeTime: number; what: string };
  const facts = new Map<string, Fact[]>();
  const observations: { key: string; offset: number; invokeTime: number; process: string }[] = [];
  const push = (key: string, fact: Fact): void => {
    let l = facts.get(key);
    if (l === undefined) facts.set(key, l = []);
    l.push(fact);
  };
  for (const c of ix.commits) {
    if (c.type !== 'ok') continue;
    for (const o of c.value.offsets ?? []) push(`${c.value.group} ${partitionKey(o)}`, { offset: o.offset, completeTime: c.completeTime, what: `commit by ${c.process}` });
  }
  for (const c of ix.committed) {
    if (c.type !== 'ok') continue;
    for (const o of c.value.offsets ?? []) {
      if (o.offset < 0) continue;
      const key = `${c.value.group} ${partitionKey(o)}`;
      observations.push({ key, offset: o.offset, invokeTime: c.invokeTime, process: c.process });
      push(key, { offset: o.offset, completeTime: c.completeTime, what: `observation by ${c.process}` });
    }
  }
  for (const obs of observations) {
    let best: Fact | undefined;
    for (const fact of facts.get(obs.key) ?? []) {
      if (fact.completeTime + opts.clockSlackMs < obs.invokeTime && (best === undefined || fact.offset > best.offset)) best = fact;
    }
    if (best !== undefined && obs.offset < best.offset) {
      f.add(`${obs.key}: ${obs.process} fetched committed offset ${obs.offset} after ${best.offset} was established (${best.what} at ${best.completeTime})`);
    }
  }
  return f.result('committed-offsets', `${f.count} of ${observations.length} committed-offset observations went backwards`);
}

function beyondHighWatermark(ix: HistoryIndex, opts: CheckOptions): PropertyResult {
  const f = new Findings();
  // partition → observations sorted by invoke time. `epoch`: the answering leader's epoch, when
  // the observer could record it (ListOffsets through the admin API).
  type Observation = { invokeTime: number; completeTime: number; hwm: number; epoch?: number };
  const hwms = new Map<string, Observation[]>();
  for (const h of ix.hwms) {
    if (h.type !== 'ok' || typeof h.value.highWatermark !== 'number' || h.value.highWatermark < 0) continue;
    const k = partitionKey(h.value);
    let l = hwms.get(k);
    if (l === undefined) hwms.set(k, l = []);
    const epoch = typeof h.value.leaderEpoch === 'number' && h.value.leaderEpoch >= 0 ? h.value.leaderEpoch : undefined;
    l.push({ invokeTime: h.invokeTime, completeTime: h.completeTime, hwm: h.value.highWatermark, ...(epoch === undefined ? {} : { epoch }) });
  }
  let observations = 0;
  let stale = 0;
  for (const [k, l] of hwms) {
    l.sort((a, b) => a.invokeTime - b.invokeTime);
    observations += l.length;
    // An answer from a leader older than one already heard from (a deposed leader that has not
    // noticed yet) is stale, not the partition's high watermark: Kafka's ListOffsets is only
    // linearizable with the current leader epoch (KIP-320). Dropped from both checks.
    let maxEpoch = -1;
    let j = 0;
    const byCompleteForEpoch = [...l].sort((a, b) => a.completeTime - b.completeTime);
    const current: Observation[] = [];
    const decided = ix.leaderEpochs.get(k) ?? [];
    for (const h of l) {
      while (j < byCompleteForEpoch.length && byCompleteForEpoch[j]!.completeTime + opts.clockSlackMs < h.invokeTime) {
        maxEpoch = Math.max(maxEpoch, byCompleteForEpoch[j]!.epoch ?? -1);
        j++;
      }
      // Also stale: asked after etcd had already made a later epoch (the cluster's own record).
      const deposed = h.epoch !== undefined && decided.some((d) => d.epoch > h.epoch! && d.time + opts.clockSlackMs < h.invokeTime);
      if (h.epoch !== undefined && (h.epoch < maxEpoch || deposed)) stale++;
      else current.push(h);
    }
    hwms.set(k, current);
    let maxDone: Observation | undefined;
    let i = 0;
    const byComplete = [...current].sort((a, b) => a.completeTime - b.completeTime);
    for (const h of current) {
      while (i < byComplete.length && byComplete[i]!.completeTime + opts.clockSlackMs < h.invokeTime) {
        if (maxDone === undefined || byComplete[i]!.hwm > maxDone.hwm) maxDone = byComplete[i]!;
        i++;
      }
      if (maxDone !== undefined && h.hwm < maxDone.hwm) f.add(`${k}: high watermark ${h.hwm} observed after ${maxDone.hwm} (went backwards)`);
    }
  }
  let reads = 0;
  for (const r of ix.reads) {
    const l = hwms.get(partitionKey(r));
    if (l === undefined) continue;
    reads++;
    // The first observation started after the read finished, from the read's leader epoch or a
    // later one when both are known.
    const h = l.find((x) => x.invokeTime > r.time + opts.clockSlackMs && (x.epoch === undefined || r.leaderEpoch === undefined || x.epoch >= r.leaderEpoch));
    if (h !== undefined && h.hwm <= r.offset) f.add(`${r.process} read ${positionKey(r)} at ${r.time}; the high watermark observed after it was ${h.hwm}`);
  }
  return f.result('beyond-hwm', `${f.count} anomalies in ${reads} reads against ${observations} high-watermark observations (${stale} from a deposed leader, set aside)`);
}

function liveness(ix: HistoryIndex, opts: CheckOptions): PropertyResult {
  const f = new Findings();
  const stops = ix.nemesis.filter((e) => e.value?.phase === 'stop').map((e) => e.time);
  const starts = ix.nemesis.filter((e) => e.value?.phase === 'start').map((e) => e.time);
  const healedAt = Math.max(0, ...stops, ...starts);
  if (starts.length > stops.length) f.add(`${starts.length - stops.length} fault(s) were never healed`);
  const first = ix.okSends.filter((t) => t >= healedAt).sort((a, b) => a - b)[0];
  if (first === undefined) {
    f.add(`no write was acknowledged after the last fault was healed`);
    return f.result('liveness', `no write acknowledged after the faults stopped (bound ${opts.livenessMs} ms)`);
  }
  const took = Math.round(first - healedAt);
  if (healedAt > 0 && took > opts.livenessMs) f.add(`first acknowledged write ${took} ms after the last heal (bound ${opts.livenessMs} ms)`);
  const faults = starts.length;
  return f.result('liveness', healedAt === 0
    ? `no faults; writes acknowledged`
    : `served again ${took} ms after the last of ${faults} faults was healed (bound ${opts.livenessMs} ms)`);
}

/** One line per property, e.g. `ok    lost-write         0 of 1234 acknowledged writes lost`. */
export function formatResults(results: PropertyResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    lines.push(`${r.verdict.padEnd(7)} ${r.name.padEnd(18)} ${r.summary}`);
    for (const e of r.examples) lines.push(`          - ${e}`);
  }
  const failed = results.filter((r) => r.verdict === 'FAIL');
  lines.push(failed.length === 0 ? 'verdict: no anomalies' : `verdict: ${failed.length} properties violated (${failed.map((r) => r.name).join(', ')})`);
  return lines.join('\n');
}
