/**
 * One pass over a sorted history building what the properties need: operations paired
 * (invoke + completion), every write's fate, every read, the final log, the transactions.
 * Pure: no I/O.
 */
import { partitionKey, positionKey, type HistoryEvent, type Isolation, type ReadRecord, type Write } from './history.js';

/** Whether a write is known to be in the log, known not to be, or unknown. */
export type WriteFate = 'acknowledged' | 'failed' | 'indeterminate' | 'aborted' | 'pending';

export interface WriteInfo extends Write {
  process: string;
  /** Order of the invoke within its process (sends and transaction writes together). */
  seq: number;
  invokeTime: number;
  fate: WriteFate;
  /** The offset the producer was told (sends acknowledged with an offset). */
  ackOffset?: number;
  /** The transaction the write belongs to, if any. */
  txn?: string;
}

export interface TxnInfo {
  txn: string;
  process: string;
  writes: Write[];
  invokeTime: number;
  outcome: 'commit' | 'abort' | 'failed' | 'indeterminate' | 'pending';
  endTime?: number;
}

export interface ReadInfo extends ReadRecord {
  process: string;
  isolation: Isolation;
  time: number;
  final: boolean;
  /** The consumer session (assign count) of the process when it read this. */
  session: number;
}

export interface TimedOp {
  process: string;
  invokeTime: number;
  completeTime: number;
  type: 'ok' | 'fail' | 'info';
  value: any;
}

export interface HistoryIndex {
  writes: Map<string, WriteInfo>;
  txns: Map<string, TxnInfo>;
  reads: ReadInfo[];
  /** Final reads only, per partition key: offset → value. */
  finalLog: Map<string, Map<number, string>>;
  hasFinalRead: boolean;
  commits: TimedOp[];
  committed: TimedOp[];
  hwms: TimedOp[];
  /** Per partition key: when the harness saw etcd decide each new leader epoch (cluster runs). */
  leaderEpochs: Map<string, { time: number; epoch: number }[]>;
  nemesis: HistoryEvent[];
  okSends: number[];
  /** Malformed pairings (a completion without an invoke), reported, not fatal. */
  orphans: number;
}

export function indexHistory(events: HistoryEvent[]): HistoryIndex {
  const ix: HistoryIndex = {
    writes: new Map(), txns: new Map(), reads: [], finalLog: new Map(), hasFinalRead: false,
    commits: [], committed: [], hwms: [], leaderEpochs: new Map(), nemesis: [], okSends: [], orphans: 0,
  };
  const open = new Map<string, HistoryEvent>();
  const seqs = new Map<string, number>();
  const sessions = new Map<string, number>();
  const nextSeq = (p: string): number => {
    const n = seqs.get(p) ?? 0;
    seqs.set(p, n + 1);
    return n;
  };
  const opKey = (e: HistoryEvent): string => `${e.process}\u0000${e.f}\u0000${String(e.id ?? e.value?.value ?? e.value?.txn ?? '')}`;

  for (const e of events) {
    const v = e.value ?? {};
    switch (e.f) {
      case 'send': {
        if (e.type === 'invoke') {
          ix.writes.set(v.value, { topic: v.topic, partition: v.partition, value: v.value, process: e.process,
            seq: nextSeq(e.process), invokeTime: e.time, fate: 'pending' });
          break;
        }
        const w = ix.writes.get(v.value);
        if (w === undefined) { ix.orphans++; break; }
        if (e.type === 'ok') {
          w.fate = 'acknowledged';
          if (typeof v.offset === 'number' && v.offset >= 0) w.ackOffset = v.offset;
          if (typeof v.partition === 'number') w.partition = v.partition;
          ix.okSends.push(e.time);
        } else {
          w.fate = e.type === 'fail' ? 'failed' : 'indeterminate';
        }
        break;
      }
      case 'txn': {
        if (e.type === 'invoke') {
          const writes: Write[] = v.writes ?? [];
          ix.txns.set(v.txn, { txn: v.txn, process: e.process, writes, invokeTime: e.time, outcome: 'pending' });
          for (const w of writes) {
            ix.writes.set(w.value, { ...w, process: e.process, seq: nextSeq(e.process), invokeTime: e.time, fate: 'pending', txn: v.txn });
          }
          break;
        }
        const t = ix.txns.get(v.txn);
        if (t === undefined) { ix.orphans++; break; }
        t.endTime = typeof v.endTime === 'number' ? v.endTime : undefined;
        let fate: WriteFate;
        if (e.type === 'ok' && v.outcome === 'commit') { t.outcome = 'commit'; fate = 'acknowledged'; ix.okSends.push(e.time); }
        else if (e.type === 'ok' || e.type === 'fail') { t.outcome = e.type === 'ok' ? 'abort' : 'failed'; fate = 'aborted'; }
        else { t.outcome = 'indeterminate'; fate = 'indeterminate'; }
        for (const w of t.writes) {
          const info = ix.writes.get(w.value);
          if (info !== undefined) info.fate = fate;
        }
        break;
      }
      case 'assign':
        sessions.set(e.process, (sessions.get(e.process) ?? 0) + 1);
        break;
      case 'poll': {
        if (e.type !== 'ok') break;
        const final = v.final === true;
        if (final) ix.hasFinalRead = true;
        for (const r of (v.records ?? []) as ReadRecord[]) {
          ix.reads.push({ ...r, process: e.process, isolation: v.isolation, time: e.time, final, session: sessions.get(e.process) ?? 0 });
          if (final) {
            const k = partitionKey(r);
            let log = ix.finalLog.get(k);
            if (log === undefined) ix.finalLog.set(k, log = new Map());
            log.set(r.offset, r.value);
          }
        }
        break;
      }
      case 'commit': case 'committed': case 'hwm': {
        const list = e.f === 'commit' ? ix.commits : e.f === 'committed' ? ix.committed : ix.hwms;
        if (e.type === 'invoke') { open.set(opKey(e), e); break; }
        const inv = open.get(opKey(e));
        open.delete(opKey(e));
        list.push({ process: e.process, invokeTime: inv?.time ?? e.time, completeTime: e.time, type: e.type, value: v });
        break;
      }
      case 'nemesis':
        ix.nemesis.push(e);
        break;
      case 'meta':
        if (e.process === 'etcd' && typeof v?.leaderEpoch === 'number' && typeof v?.partition === 'number') {
          const k = partitionKey(v);
          let l = ix.leaderEpochs.get(k);
          if (l === undefined) ix.leaderEpochs.set(k, l = []);
          l.push({ time: e.time, epoch: v.leaderEpoch });
        }
        break;
    }
  }
  return ix;
}

export { positionKey, partitionKey };
