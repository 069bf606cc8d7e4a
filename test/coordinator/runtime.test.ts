/**
 * The generic coordinator runtime (src/coordinator/runtime) with a toy shard type, a key/value
 * register per partition whose records are `{ key, value }` strings: snapshots and timeline
 * maps, the per-shard queue, replay-then-write with revert, replayRecords=false, leadership
 * (load, unload, epochs, a failed load retried) and timers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/base/clock.js';
import { silentLogger } from '../../src/base/logger.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { decodeBatches } from '../../src/protocol/records.js';
import { CoordinatorError, coordinatorErrorFor, CoordinatorWriteError } from '../../src/coordinator/runtime/coordinator-errors.js';
import { CoordinatorRuntime } from '../../src/coordinator/runtime/coordinator-runtime.js';
import type { CoordinatorResult, CoordinatorShard, CoordinatorTimer, ShardContext } from '../../src/coordinator/runtime/coordinator-shard.js';
import { SnapshotRegistry } from '../../src/coordinator/runtime/snapshot-registry.js';
import { TimelineMap } from '../../src/coordinator/runtime/timeline-map.js';
import { settle } from './harness.js';

interface KvRecord {
  key: string;
  value: string | null;
}

type KvResult<T> = CoordinatorResult<T, KvRecord>;

class KvShard implements CoordinatorShard<KvRecord> {
  readonly values: TimelineMap<string, string>;
  readonly timer: CoordinatorTimer<KvRecord>;
  loaded = 0;
  unloaded = 0;
  /** Not part of the durable state: counts decisions. */
  decisions = 0;

  constructor(context: ShardContext<KvRecord>) {
    this.values = new TimelineMap(context.snapshotRegistry);
    this.timer = context.timer;
  }

  replay(record: KvRecord): void {
    if (record.value === null) this.values.delete(record.key);
    else this.values.set(record.key, record.value);
  }

  onLoaded(): KvResult<void> {
    this.loaded++;
    return { records: [], response: undefined };
  }

  onUnloaded(): void {
    this.unloaded++;
  }

  put(entries: Record<string, string | null>): KvResult<string> {
    this.decisions++;
    return { records: Object.entries(entries).map(([key, value]) => ({ key, value })), response: 'ok' };
  }

  /** put, as a timer's operation (no response). */
  tick(entries: Record<string, string | null>): KvResult<void> {
    return { ...this.put(entries), response: undefined };
  }

  dump(): [string, string][] {
    return [...this.values.entries()].sort((a, b) => a[0].localeCompare(b[0]));
  }
}

const serde = {
  serialize: (r: KvRecord) => ({ key: Buffer.from(r.key), value: r.value === null ? null : Buffer.from(r.value) }),
  deserialize: (key: Buffer, value: Buffer | null): KvRecord | null => (key.toString() === 'skip' ? null : { key: key.toString(), value: value?.toString() ?? null }),
};

class Log {
  readonly batches: { partition: number; batch: Buffer }[] = [];
  failNext = 0;
  loadFailures = 0;
  private held: (() => void)[] = [];
  hold = false;
  private loadGate: Promise<void> | null = null;
  private openLoad: () => void = () => undefined;

  async append(partition: number, batch: Buffer): Promise<number> {
    if (this.hold) await new Promise<void>((resolve) => this.held.push(resolve));
    if (this.failNext > 0) {
      this.failNext--;
      throw new CoordinatorWriteError(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'injected');
    }
    this.batches.push({ partition, batch });
    return this.batches.length - 1;
  }

  release(): void {
    this.hold = false;
    for (const r of this.held.splice(0)) r();
  }

  holdLoads(): void {
    this.loadGate = new Promise((resolve) => { this.openLoad = resolve; });
  }

  releaseLoads(): void {
    this.openLoad();
    this.loadGate = null;
  }

  async load(partition: number, onBatches: (batches: Buffer) => void): Promise<void> {
    if (this.loadGate !== null) await this.loadGate;
    if (this.loadFailures > 0) {
      this.loadFailures--;
      throw new Error('injected load failure');
    }
    for (const b of this.batches) if (b.partition === partition) onBatches(b.batch);
  }

  written(partition: number): string[] {
    return this.batches.filter((b) => b.partition === partition)
      .flatMap((b) => decodeBatches(b.batch).flatMap((batch) => batch.records.map((r) => `${r.key!.toString()}=${r.value?.toString() ?? 'null'}`)));
  }
}

function runtime(log = new Log(), clock = new ManualClock()) {
  const rt = new CoordinatorRuntime<KvShard, KvRecord>({
    topic: '__kv', clock, logger: silentLogger, writer: log, loader: log, serde, shardFactory: (c) => new KvShard(c), loadRetryBackoffMs: 500,
  });
  return { rt, log, clock };
}

async function elected(partitions: number[] = [0, 1], log?: Log, clock?: ManualClock) {
  const r = runtime(log, clock);
  for (const p of partitions) r.rt.onElection(p, 0);
  for (const p of partitions) assert.equal(await r.rt.awaitLoaded(p), true);
  return r;
}

const put = (rt: CoordinatorRuntime<KvShard, KvRecord>, p: number, entries: Record<string, string | null>) =>
  rt.scheduleWriteOperation('put', p, (s) => s.put(entries));

const errorOf = async (p: Promise<unknown>): Promise<number> => {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof CoordinatorError || err instanceof CoordinatorWriteError, String(err));
    return coordinatorErrorFor(err);
  }
  return ErrorCode.NONE;
};

test('SnapshotRegistry and TimelineMap: revert restores exactly, delete keeps, nothing is recorded outside a snapshot', () => {
  const registry = new SnapshotRegistry();
  const map = new TimelineMap<string, number>(registry);
  map.set('a', 1).set('b', 2);
  assert.equal(registry.isRecording, false);
  const s = registry.createSnapshot();
  map.set('a', 10);
  map.delete('b');
  map.set('c', 3);
  map.set('c', 4);
  map.delete('missing');
  assert.deepEqual([...map].sort(), [['a', 10], ['c', 4]]);
  registry.revertToSnapshot(s);
  assert.deepEqual([...map].sort(), [['a', 1], ['b', 2]]);
  const kept = registry.createSnapshot();
  map.set('d', 5);
  registry.deleteSnapshot(kept);
  assert.deepEqual([...map].sort(), [['a', 1], ['b', 2], ['d', 5]]);
  // Nested: the inner snapshot reverts only its own changes.
  const outer = registry.createSnapshot();
  map.set('e', 6);
  const inner = registry.createSnapshot();
  map.delete('a');
  registry.revertToSnapshot(inner);
  assert.equal(map.get('a'), 1);
  assert.throws(() => registry.deleteSnapshot(inner), /newest open snapshot/);
  registry.revertToSnapshot(outer);
  assert.equal(map.has('e'), false);
});

test('a write replays its records before writing; a failed write reverts them and answers Kafka\'s error', async () => {
  const { rt, log } = await elected();
  assert.equal(await put(rt, 0, { a: '1', b: '2' }), 'ok');
  assert.deepEqual(rt.activeShard(0)!.dump(), [['a', '1'], ['b', '2']]);
  log.hold = true;
  const pending = put(rt, 0, { a: '9', b: null, c: '3' });
  await settle();
  assert.deepEqual(rt.activeShard(0)!.dump(), [['a', '9'], ['c', '3']], 'replayed before the write completes');
  // A read queued meanwhile waits for the write: it never sees state that is not durable.
  let read: [string, string][] | null = null;
  const reading = rt.scheduleReadOperation('dump', 0, (s) => s.dump()).then((d) => { read = d; });
  await settle();
  assert.equal(read, null);
  log.failNext = 1;
  log.release();
  assert.equal(await errorOf(pending), ErrorCode.NOT_COORDINATOR, 'NOT_LEADER_OR_FOLLOWER maps to NOT_COORDINATOR');
  await reading;
  assert.deepEqual(read, [['a', '1'], ['b', '2']], 'reverted to exactly the state before the operation');
  assert.deepEqual(log.written(0), ['a=1', 'b=2']);
  assert.deepEqual(log.written(1), [], 'each write goes to its own shard\'s partition');
  rt.close();
});

test('replayRecords=false writes without replaying; onDurable and onWriteFailed run after the write', async () => {
  const { rt, log } = await elected([0]);
  const events: string[] = [];
  const op = (value: string): KvResult<string> => ({
    records: [{ key: 'x', value }], replayRecords: false, response: 'written',
    onDurable: () => events.push(`durable ${value}`),
    onWriteFailed: (code, raw) => { events.push(`failed ${value} ${code} ${raw}`); return 'compensated'; },
  });
  assert.equal(await rt.scheduleWriteOperation('raw', 0, () => op('1')), 'written');
  assert.equal(rt.activeShard(0)!.values.has('x'), false, 'not replayed');
  log.failNext = 1;
  assert.equal(await rt.scheduleWriteOperation('raw', 0, () => op('2')), 'compensated');
  assert.deepEqual(events, ['durable 1', `failed 2 ${ErrorCode.NOT_COORDINATOR} ${ErrorCode.NOT_LEADER_OR_FOLLOWER}`]);
  assert.deepEqual(log.written(0), ['x=1']);
  rt.close();
});

test('operations of one shard run one at a time in order; another shard is not held up', async () => {
  const { rt, log } = await elected();
  log.hold = true;
  const first = put(rt, 0, { a: '1' });
  const second = put(rt, 0, { a: '2' });
  await settle();
  assert.equal(rt.activeShard(0)!.decisions, 1, 'the second decides only after the first write settles');
  const otherShard = rt.scheduleReadOperation('read', 1, (s) => s.dump());
  assert.deepEqual(await otherShard, []);
  log.release();
  await Promise.all([first, second]);
  assert.deepEqual(log.written(0), ['a=1', 'a=2']);
  // An operation that throws (a bug) rejects, and leaves nothing behind.
  await assert.rejects(rt.scheduleWriteOperation('bug', 0, (s) => { s.values.set('junk', 'x'); throw new Error('boom'); }), /boom/);
  assert.equal(rt.activeShard(0)!.values.has('junk'), false);
  rt.close();
});

test('leadership: NOT_COORDINATOR unless elected, COORDINATOR_LOAD_IN_PROGRESS while loading, stale epochs ignored', async () => {
  const log = new Log();
  await log.append(0, (await import('../../src/protocol/records.js')).encodeBatch({ records: [serde.serialize({ key: 'a', value: '1' }), { key: Buffer.from('skip'), value: null }] }));
  const { rt } = runtime(log);
  assert.equal(await errorOf(put(rt, 0, { b: '2' })), ErrorCode.NOT_COORDINATOR);
  log.holdLoads();
  rt.onElection(0, 3);
  assert.equal(await errorOf(put(rt, 0, { b: '2' })), ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  assert.equal(await errorOf(rt.scheduleReadOperation('read', 0, (s) => s.dump())), ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  log.releaseLoads();
  assert.equal(await rt.awaitLoaded(0), true);
  const shard = rt.activeShard(0)!;
  assert.deepEqual(shard.dump(), [['a', '1']], 'loaded by replay (records the serde skips are skipped)');
  assert.equal(shard.loaded, 1, 'onLoaded ran first');
  rt.onElection(0, 4);
  assert.equal(rt.activeShard(0), shard, 'a newer election while loaded keeps the shard');
  rt.onResignation(0, 2);
  assert.equal(rt.isActive(0), true, 'a resignation with an older epoch is ignored');
  rt.onResignation(0, 5);
  assert.equal(rt.isActive(0), false);
  assert.equal(shard.unloaded, 1);
  rt.onElection(0, 4);
  assert.equal(await errorOf(put(rt, 0, {})), ErrorCode.NOT_COORDINATOR, 'an election older than the resignation is ignored');
  rt.onElection(0, 6);
  assert.equal(await rt.awaitLoaded(0), true);
  assert.deepEqual(rt.activeShard(0)!.dump(), [['a', '1']], 'reloaded from the log');
  rt.close();
});

test('unload: queued operations and a write in flight answer NOT_COORDINATOR; timers stop', async () => {
  const { rt, log, clock } = await elected([0]);
  let fired = 0;
  const shard = rt.activeShard(0)!;
  shard.timer.schedule('tick', 1000, () => { fired++; return shard.tick({ t: String(fired) }); });
  log.hold = true;
  const inFlight = put(rt, 0, { a: '1' });
  const queued = put(rt, 0, { b: '2' });
  await settle();
  rt.onResignation(0, 1);
  assert.equal(await errorOf(queued), ErrorCode.NOT_COORDINATOR);
  log.release();
  assert.equal(await errorOf(inFlight), ErrorCode.NOT_COORDINATOR, 'the shard is gone even if its write lands');
  clock.advance(5000);
  await settle();
  assert.equal(fired, 0, 'timers were cancelled');
  assert.deepEqual(log.written(0), ['a=1']);
  rt.close();
});

test('timers run through the queue; a timer cancelled or replaced after it fired does not run', async () => {
  const { rt, log, clock } = await elected([0]);
  const shard = rt.activeShard(0)!;
  const ran: string[] = [];
  shard.timer.schedule('k', 100, () => { ran.push('first'); return shard.tick({ k: 'first' }); });
  log.hold = true;
  const blocking = put(rt, 0, { a: '1' });
  clock.advance(100);
  await settle();
  assert.equal(ran.length, 0, 'fired, but waits behind the write in flight');
  shard.timer.schedule('k', 100, () => { ran.push('second'); return shard.tick({ k: 'second' }); });
  log.release();
  await blocking;
  await settle();
  assert.equal(ran.length, 0, 'the fired timer was replaced before its turn');
  clock.advance(100);
  await settle();
  assert.deepEqual(ran, ['second']);
  assert.deepEqual(log.written(0), ['a=1', 'k=second']);
  rt.close();
});

test('a failed load answers NOT_COORDINATOR and is tried again while the partition stays elected', async () => {
  const log = new Log();
  log.loadFailures = 1;
  const clock = new ManualClock();
  const { rt } = runtime(log, clock);
  rt.onElection(0, 0);
  assert.equal(await rt.awaitLoaded(0), false);
  assert.equal(await errorOf(put(rt, 0, {})), ErrorCode.NOT_COORDINATOR);
  clock.advance(500);
  assert.equal(await rt.awaitLoaded(0), true);
  assert.equal(await put(rt, 0, { a: '1' }), 'ok');
  rt.close();
});
