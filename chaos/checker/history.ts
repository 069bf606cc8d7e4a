/**
 * The history a chaos run records and the checker reads: JSON lines, one event each, in any
 * order (the checker sorts by time). Times are wall-clock milliseconds (Date.now() in Node,
 * time.time() * 1000 in Python) from processes on one machine, so they compare.
 *
 * Every event: { time, process, type, f, id?, value }
 *   type  'invoke' (an operation starts), 'ok' (it happened), 'fail' (it certainly did not
 *         happen), 'info' (unknown: a timeout, a crash, a lost connection). An invoke and its
 *         completion share process + id; observations may be recorded as a lone 'ok'.
 *   f     what the operation is; value's shape per f:
 *   send      invoke {topic, partition, value}; ok {topic, partition, offset, value};
 *             fail/info {value, error?}. Values are unique across the whole run.
 *   txn       invoke {txn, writes: [{topic, partition, value}]};
 *             ok {txn, outcome: 'commit' | 'abort', endTime} (endTime: when commit or abort
 *             was called); fail {txn, error?} (certainly aborted); info {txn, error?} (unknown).
 *   poll      ok {isolation: 'read_committed' | 'read_uncommitted', records: [{topic,
 *             partition, offset, value}], final?: true}. `final` marks the reads of the whole
 *             log taken after the faults stopped and the workload ended: lost writes and torn
 *             transactions are judged against them.
 *   assign    ok {partitions: [{topic, partition}]}: the process (re)starts reading these
 *             partitions (a new consumer session, e.g. after a rebalance or a reconnect).
 *   commit    invoke/ok/fail/info {group, offsets: [{topic, partition, offset}]}: a group
 *             offset commit.
 *   committed invoke/ok {group, offsets: [{topic, partition, offset}]}: an OffsetFetch
 *             observation of the group's committed offsets (offset -1: none).
 *   hwm       invoke/ok {topic, partition, highWatermark}: a ListOffsets(latest,
 *             read_uncommitted) observation.
 *   nemesis   info {kind, phase: 'start' | 'stop', target?}: a fault begins or is healed.
 *   meta      info {...}: run parameters (seed, faults, brokers); ignored by the properties.
 */

export type EventType = 'invoke' | 'ok' | 'fail' | 'info';
export type OpName = 'send' | 'txn' | 'poll' | 'assign' | 'commit' | 'committed' | 'hwm' | 'nemesis' | 'meta';
export type Isolation = 'read_committed' | 'read_uncommitted';

export interface HistoryEvent {
  time: number;
  process: string;
  type: EventType;
  f: OpName;
  id?: string | number;
  value: any;
}

export interface Position {
  topic: string;
  partition: number;
  offset: number;
}

export interface Write {
  topic: string;
  partition: number;
  value: string;
}

export interface ReadRecord extends Position {
  value: string;
  /** The leader epoch of the batch the record came in, when the client exposes it. */
  leaderEpoch?: number;
}

const TYPES = new Set<EventType>(['invoke', 'ok', 'fail', 'info']);
const OPS = new Set<OpName>(['send', 'txn', 'poll', 'assign', 'commit', 'committed', 'hwm', 'nemesis', 'meta']);

/** Parses JSON lines; a bad line is an error naming its line number (a history is evidence). */
export function parseHistory(text: string): HistoryEvent[] {
  const out: HistoryEvent[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let e: any;
    try {
      e = JSON.parse(line);
    } catch (err) {
      throw new Error(`history line ${i + 1}: not JSON (${(err as Error).message})`);
    }
    if (typeof e !== 'object' || e === null || typeof e.time !== 'number' || typeof e.process !== 'string' ||
      !TYPES.has(e.type) || !OPS.has(e.f)) {
      throw new Error(`history line ${i + 1}: expected {time, process, type, f, value}: ${line.slice(0, 200)}`);
    }
    out.push(e as HistoryEvent);
  }
  return sortHistory(out);
}

/** Stable sort by time (events of one process keep their recorded order on equal times). */
export function sortHistory(events: HistoryEvent[]): HistoryEvent[] {
  return events.map((e, i) => ({ e, i })).sort((a, b) => a.e.time - b.e.time || a.i - b.i).map((x) => x.e);
}

export function formatHistory(events: HistoryEvent[]): string {
  return events.map((e) => JSON.stringify(e)).join('\n') + (events.length > 0 ? '\n' : '');
}

export const positionKey = (p: { topic: string; partition: number; offset?: number }): string =>
  p.offset === undefined ? `${p.topic}-${p.partition}` : `${p.topic}-${p.partition}@${p.offset}`;
export const partitionKey = (p: { topic: string; partition: number }): string => `${p.topic}-${p.partition}`;
