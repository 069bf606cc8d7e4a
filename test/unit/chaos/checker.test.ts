/**
 * The checker can fail: a clean recorded history passes every property, and each planted
 * anomaly is flagged by exactly the property that names it (and no other).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkHistory, formatResults, PROPERTY_NAMES } from '../../../chaos/checker/checker.js';
import { formatHistory, parseHistory, type HistoryEvent } from '../../../chaos/checker/history.js';

const T = 'chaos';

/** A small clean history: 2 producers × 2 partitions, one committed and one aborted txn,
 * consumers at both isolation levels, group commits, hwm observations, one kill healed, and a
 * final read_committed read. Returned as a mutable list so tests can plant anomalies. */
function cleanHistory(): HistoryEvent[] {
  const h: HistoryEvent[] = [];
  let t = 1000;
  const ev = (process: string, type: HistoryEvent['type'], f: HistoryEvent['f'], value: any, id?: number): void => {
    h.push({ time: (t += 10), process, type, f, value, ...(id !== undefined ? { id } : {}) });
  };
  // Log: partition 0: a0 a1 b0 [t1x] [commit] ; partition 1: a2 b1 [t1y] [t2x] [commit/abort markers]
  const log: Record<number, string[]> = { 0: [], 1: [] };
  const send = (p: string, value: string, partition: number): void => {
    ev(p, 'invoke', 'send', { topic: T, partition, value });
    log[partition]!.push(value);
    ev(p, 'ok', 'send', { topic: T, partition, value, offset: log[partition]!.length - 1 });
  };
  ev('runner', 'info', 'meta', { seed: 1 });
  send('a', 'a0', 0);
  send('b', 'b0', 0);
  send('a', 'a1', 0);
  ev('nemesis', 'info', 'nemesis', { kind: 'kill', phase: 'start' });
  ev('nemesis', 'info', 'nemesis', { kind: 'kill', phase: 'stop' });
  send('a', 'a2', 1);
  send('b', 'b1', 1);
  ev('tx', 'invoke', 'txn', { txn: 'tx-1', writes: [{ topic: T, partition: 0, value: 't1x' }, { topic: T, partition: 1, value: 't1y' }] });
  log[0]!.push('t1x'); log[1]!.push('t1y');
  const end1 = (t += 10);
  log[0]!.push('<commit>'); log[1]!.push('<commit>');
  ev('tx', 'ok', 'txn', { txn: 'tx-1', outcome: 'commit', endTime: end1 });
  ev('tx', 'invoke', 'txn', { txn: 'tx-2', writes: [{ topic: T, partition: 1, value: 't2x' }] });
  log[1]!.push('t2x');
  const end2 = (t += 10);
  log[1]!.push('<abort>');
  ev('tx', 'ok', 'txn', { txn: 'tx-2', outcome: 'abort', endTime: end2 });
  const records = (p: number, skip: (v: string) => boolean) => log[p]!.map((value, offset) => ({ topic: T, partition: p, offset, value })).filter((r) => !r.value.startsWith('<') && !skip(r.value));
  ev('hwm', 'invoke', 'hwm', { topic: T, partition: 0 }, 1);
  ev('hwm', 'ok', 'hwm', { topic: T, partition: 0, highWatermark: log[0]!.length }, 1);
  ev('ru', 'ok', 'assign', { partitions: [{ topic: T, partition: 0 }, { topic: T, partition: 1 }] });
  ev('ru', 'ok', 'poll', { isolation: 'read_uncommitted', records: [...records(0, () => false), ...records(1, () => false)] });
  ev('rc', 'ok', 'assign', { partitions: [{ topic: T, partition: 0 }, { topic: T, partition: 1 }] });
  ev('rc', 'ok', 'poll', { isolation: 'read_committed', records: [...records(0, (v) => v === 't2x'), ...records(1, (v) => v === 't2x')] });
  ev('hwm', 'invoke', 'hwm', { topic: T, partition: 1 }, 2);
  ev('hwm', 'ok', 'hwm', { topic: T, partition: 1, highWatermark: log[1]!.length }, 2);
  ev('g', 'invoke', 'commit', { group: 'g', offsets: [{ topic: T, partition: 0, offset: 3 }] }, 1);
  ev('g', 'ok', 'commit', { group: 'g', offsets: [{ topic: T, partition: 0, offset: 3 }] }, 1);
  ev('obs', 'invoke', 'committed', { group: 'g' }, 1);
  ev('obs', 'ok', 'committed', { group: 'g', offsets: [{ topic: T, partition: 0, offset: 3 }] }, 1);
  ev('g', 'invoke', 'commit', { group: 'g', offsets: [{ topic: T, partition: 0, offset: 5 }] }, 2);
  ev('g', 'ok', 'commit', { group: 'g', offsets: [{ topic: T, partition: 0, offset: 5 }] }, 2);
  ev('obs', 'invoke', 'committed', { group: 'g' }, 2);
  ev('obs', 'ok', 'committed', { group: 'g', offsets: [{ topic: T, partition: 0, offset: 5 }] }, 2);
  ev('final', 'ok', 'poll', { isolation: 'read_committed', final: true, records: [...records(0, (v) => v === 't2x'), ...records(1, (v) => v === 't2x')] });
  return h;
}

function failing(h: HistoryEvent[]): string[] {
  return checkHistory(h).filter((r) => r.verdict === 'FAIL').map((r) => r.name);
}

/** Finds the final poll's records. */
function finalRecords(h: HistoryEvent[]): any[] {
  return h.find((e) => e.f === 'poll' && e.value.final)!.value.records;
}

test('a clean history passes every property, and survives a JSON-lines round trip', () => {
  const h = cleanHistory();
  const results = checkHistory(parseHistory(formatHistory(h)));
  assert.deepEqual(results.map((r) => r.name), [...PROPERTY_NAMES]);
  for (const r of results) assert.equal(r.verdict, 'ok', formatResults(results));
  assert.match(formatResults(results), /verdict: no anomalies/);
  assert.match(formatResults(results), /lost-write\s+0 of 7 acknowledged writes lost/);
});

const plants: [string, string, (h: HistoryEvent[]) => void][] = [
  ['a lost acknowledged write', 'lost-write', (h) => {
    const recs = finalRecords(h);
    recs.splice(recs.findIndex((r) => r.value === 'b0'), 1);
  }],
  ['a whole committed transaction lost', 'lost-write', (h) => {
    const recs = finalRecords(h);
    for (const v of ['t1x', 't1y']) recs.splice(recs.findIndex((r) => r.value === v), 1);
  }],
  ['a duplicate (one value at two offsets)', 'duplicate', (h) => {
    finalRecords(h).push({ topic: T, partition: 0, offset: 99, value: 'a0' });
  }],
  ['a reordering (a1 before a0 in the log)', 'order', (h) => {
    // Swap a0 and a1 everywhere (acks and reads), so positions stay consistent.
    for (const e of h) {
      if (e.f === 'send' && e.type === 'ok' && (e.value.value === 'a0' || e.value.value === 'a1')) e.value.offset = e.value.value === 'a0' ? 2 : 0;
      if (e.f === 'poll') for (const r of e.value.records) if (r.partition === 0 && (r.value === 'a0' || r.value === 'a1')) r.value = r.value === 'a0' ? 'a1' : 'a0';
    }
  }],
  ['two values at one offset', 'offsets', (h) => {
    const ru = h.find((e) => e.f === 'poll' && e.process === 'ru')!;
    const r = ru.value.records.find((x: any) => x.value === 'b1');
    // b1 read where a2 was acknowledged is also a duplicate position; use an unknown value instead.
    r.value = 'zzz';
  }],
  ['a consumer reading backwards within one session', 'offsets', (h) => {
    const rc = h.find((e) => e.f === 'poll' && e.process === 'rc')!;
    const i = rc.value.records.findIndex((x: any) => x.partition === 0 && x.offset === 1);
    const [r] = rc.value.records.splice(i, 1);
    rc.value.records.push(r);
  }],
  ['an aborted read', 'aborted-read', (h) => {
    const rc = h.find((e) => e.f === 'poll' && e.process === 'rc')!;
    rc.value.records.push({ topic: T, partition: 1, offset: 4, value: 't2x' });
  }],
  ['a read of a transaction before its commit', 'uncommitted-read', (h) => {
    const inv = h.findIndex((e) => e.f === 'txn' && e.type === 'invoke' && e.value.txn === 'tx-1');
    h.splice(inv + 1, 0, { time: h[inv]!.time, process: 'rc2', type: 'ok', f: 'poll', value: { isolation: 'read_committed', records: [{ topic: T, partition: 0, offset: 3, value: 't1x' }] } });
  }],
  ['a torn transaction', 'torn-transaction', (h) => {
    const recs = finalRecords(h);
    recs.splice(recs.findIndex((r) => r.value === 't1y'), 1);
  }],
  ['a committed offset going backwards', 'committed-offsets', (h) => {
    const last = h.filter((e) => e.f === 'committed' && e.type === 'ok').pop()!;
    last.value.offsets[0].offset = 4;
  }],
  ['a read beyond the high watermark', 'beyond-hwm', (h) => {
    const i = h.findIndex((e) => e.f === 'hwm' && e.type === 'ok' && e.value.partition === 1);
    h[i]!.value.highWatermark = 2; // observed after the consumers read offset 2 and 3 of partition 1
  }],
  ['no write served after the faults stopped', 'liveness', (h) => {
    const stop = h.find((e) => e.f === 'nemesis' && e.value.phase === 'stop')!;
    stop.time = 10_000_000;
  }],
  ['a fault never healed', 'liveness', (h) => {
    h.splice(h.findIndex((e) => e.f === 'nemesis' && e.value.phase === 'stop'), 1);
  }],
];

for (const [what, property, plant] of plants) {
  test(`planted: ${what} → exactly ${property}`, () => {
    const h = cleanHistory();
    plant(h);
    // Re-sort after planting, as a loaded file would be.
    assert.deepEqual(failing(parseHistory(formatHistory(h))), [property], formatResults(checkHistory(h)));
  });
}

test('liveness fails when the first write after the heal is later than the bound', () => {
  const h = cleanHistory();
  const stop = h.find((e) => e.f === 'nemesis' && e.value.phase === 'stop')!;
  const firstOk = h.find((e) => e.f === 'send' && e.type === 'ok' && e.time > stop.time)!;
  const r = checkHistory(h, { livenessMs: firstOk.time - stop.time - 1 }).find((x) => x.name === 'liveness')!;
  assert.equal(r.verdict, 'FAIL');
  assert.equal(checkHistory(h, { livenessMs: firstOk.time - stop.time }).find((x) => x.name === 'liveness')!.verdict, 'ok');
});

test('lost writes and torn transactions are unknown without a final read; indeterminate writes may be absent', () => {
  const h = cleanHistory().filter((e) => !(e.f === 'poll' && e.value.final));
  const results = checkHistory(h);
  assert.equal(results.find((r) => r.name === 'lost-write')!.verdict, 'unknown');
  assert.equal(results.find((r) => r.name === 'torn-transaction')!.verdict, 'unknown');
  const h2 = cleanHistory();
  h2.push({ time: 1, process: 'c', type: 'invoke', f: 'send', value: { topic: T, partition: 0, value: 'c0' } });
  h2.push({ time: 2, process: 'c', type: 'info', f: 'send', value: { value: 'c0', error: 'timed out' } });
  assert.deepEqual(failing(h2), []);
});

test('a malformed history line is an error naming the line', () => {
  assert.throws(() => parseHistory('{"time":1,"process":"a","type":"ok","f":"send","value":{}}\nnope\n'), /history line 2: not JSON/);
  assert.throws(() => parseHistory('{"time":1}\n'), /history line 1: expected/);
});

test('events closer than the clock slack count as concurrent (a 1 ms clock must not invent an anomaly)', () => {
  const h = cleanHistory();
  const rcPoll = h.find((e) => e.f === 'poll' && e.process === 'ru')!;
  // A read of chaos-1@3 and, 0.2 ms later, an observation that the high watermark is 3.
  const at = rcPoll.time;
  const obs = (dt: number): HistoryEvent[] => [
    { time: at + dt, process: 'hwm2', type: 'invoke', f: 'hwm', id: 9, value: { topic: T, partition: 1 } },
    { time: at + dt + 0.1, process: 'hwm2', type: 'ok', f: 'hwm', id: 9, value: { topic: T, partition: 1, highWatermark: 3 } },
  ];
  assert.deepEqual(failing([...h, ...obs(0.2)]), []);
  assert.deepEqual(failing(parseHistory(formatHistory([...h, ...obs(0.2)]))), []);
  // Later than the slack it is an anomaly (and the hwm observed later went backwards from 3).
  const late = checkHistory(parseHistory(formatHistory([...h, ...obs(10)])), { clockSlackMs: 2 });
  assert.equal(late.find((r) => r.name === 'beyond-hwm')!.verdict, 'FAIL');
});

test('offsets: a group member may start again at an offset its group committed, not anywhere else', () => {
  // Partition 0 holds a0, a1, b0, t1x; 'g' committed offset 3 (acknowledged) before it re-reads.
  const withRewind = (from: number): HistoryEvent[] => {
    const h = cleanHistory();
    const at = h.findIndex((e) => e.process === 'g' && e.type === 'ok' && e.f === 'commit');
    const t = h[at]!.time;
    const read = (offset: number, value: string) => ({ topic: T, partition: 0, offset, value });
    const firstRead = [read(0, 'a0'), read(1, 'b0'), read(2, 'a1'), read(3, 't1x')];
    const values = new Map(h.filter((e) => e.f === 'send' && e.type === 'ok' && e.value.partition === 0).map((e) => [e.value.offset as number, e.value.value as string]));
    values.set(3, 't1x');
    const records = firstRead.map((r) => read(r.offset, values.get(r.offset)!));
    h.splice(at + 1, 0,
      { time: t + 1, process: 'g', type: 'ok', f: 'assign', value: { partitions: [{ topic: T, partition: 0 }] } },
      { time: t + 2, process: 'g', type: 'ok', f: 'poll', value: { isolation: 'read_committed', records } },
      { time: t + 3, process: 'g', type: 'ok', f: 'poll', value: { isolation: 'read_committed', records: records.filter((r) => r.offset >= from) } });
    return h;
  };
  assert.deepEqual(failing(withRewind(3)), [], 'a restart at the committed offset 3');
  const r = checkHistory(withRewind(3)).find((x) => x.name === 'offsets')!;
  assert.match(r.summary, /1 group restarts at a committed offset/);
  assert.deepEqual(failing(withRewind(1)), ['offsets'], 'offset 1 was never committed');
});

test('beyond-hwm: a deposed leader\'s answer is set aside once a later epoch is known; a current one is not', () => {
  // The partition-1 observation (after the consumers read it all) made low (2), from epoch 1.
  const planted = (etcdEpoch2Before: boolean, observerSawEpoch2: boolean): HistoryEvent[] => {
    const h = cleanHistory();
    const i = h.findIndex((e) => e.f === 'hwm' && e.type === 'ok' && e.value.partition === 1);
    const real = h[i]!.value.highWatermark as number;
    h[i]!.value.highWatermark = 2;
    h[i]!.value.leaderEpoch = 1;
    const invoke = h.findIndex((e) => e.f === 'hwm' && e.type === 'invoke' && e.value.partition === 1);
    if (etcdEpoch2Before) {
      h.splice(invoke, 0, { time: h[invoke]!.time - 5, process: 'etcd', type: 'info', f: 'meta', value: { topic: T, partition: 1, leader: 2, leaderEpoch: 2 } });
    }
    if (observerSawEpoch2) {
      h.splice(invoke, 0,
        { time: h[invoke]!.time - 4, process: 'hwm', type: 'invoke', f: 'hwm', value: { topic: T, partition: 1 }, id: 90 },
        { time: h[invoke]!.time - 3, process: 'hwm', type: 'ok', f: 'hwm', value: { topic: T, partition: 1, highWatermark: real, leaderEpoch: 2 }, id: 90 });
    }
    return h;
  };
  assert.deepEqual(failing(planted(false, false)), ['beyond-hwm'], 'no later epoch known: the low answer counts');
  assert.deepEqual(failing(planted(true, false)), [], 'etcd had decided epoch 2 before it was asked');
  assert.deepEqual(failing(planted(false, true)), [], 'the observer had heard epoch 2 already');
  assert.match(checkHistory(planted(true, false)).find((r) => r.name === 'beyond-hwm')!.summary, /1 from a deposed leader, set aside/);
});
