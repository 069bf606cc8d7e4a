import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/base/clock.js';
import { SeededRandom } from '../../../src/base/random.js';
import { ErrorCode } from '../../../src/protocol/error-codes.js';
import { Fetch, type FetchRequest } from '../../../src/protocol/messages/fetch.js';
import { FetchSession, FetchSessionCache, nextEpoch } from '../../../src/server/fetch-session.js';
import { FetchPurgatory } from '../../../src/server/delayed-fetch.js';
import type { Partition } from '../../../src/cluster/partition.js';

const ID = Buffer.alloc(16, 1);
const resolve = (topic: string) => (topic === 't' ? { name: 't', topicId: ID } : null);

function request(sessionId: number, sessionEpoch: number, partitions: number[], forgotten: number[] = []): FetchRequest {
  const req = Fetch.request.empty(12);
  req.sessionId = sessionId;
  req.sessionEpoch = sessionEpoch;
  req.topics = partitions.length === 0 ? [] : [{ topic: 't', topicId: ID, partitions: partitions.map((p) => ({ partition: p, currentLeaderEpoch: -1, fetchOffset: 10 * p, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1000, replicaDirectoryId: Buffer.alloc(16) })) }];
  req.forgottenTopicsData = forgotten.length === 0 ? [] : [{ topic: 't', topicId: ID, partitions: forgotten }];
  return req;
}

test('session lifecycle: full → incremental (add, forget) → epoch errors → close', () => {
  const clock = new ManualClock();
  const cache = new FetchSessionCache({ maxSlots: 2, clock, random: new SeededRandom(1) });
  assert.equal(cache.newContext(request(0, -1, [0]), false, resolve).kind, 'sessionless');
  const full = cache.newContext(request(0, 0, [0, 1]), false, resolve);
  assert.equal(full.kind, 'full');
  if (full.kind !== 'full') return;
  const session = cache.maybeCreateSession(false, full.partitions)!;
  assert.ok(session.id > 0);
  assert.equal(session.epoch, 1);

  const inc = cache.newContext(request(session.id, 1, [2], [0]), false, resolve);
  assert.equal(inc.kind, 'incremental');
  if (inc.kind === 'incremental') assert.deepEqual(inc.partitions.map((p) => p.partition), [1, 2]);
  assert.equal(session.epoch, 2);

  const stale = cache.newContext(request(session.id, 1, []), false, resolve);
  assert.deepEqual(stale, { kind: 'error', errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH });
  const unknown = cache.newContext(request(session.id + 1, 1, []), false, resolve);
  assert.deepEqual(unknown, { kind: 'error', errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND });

  assert.equal(cache.newContext(request(session.id, -1, [0]), false, resolve).kind, 'sessionless');
  assert.equal(cache.get(session.id), undefined);
});

test('mustRespond: records, errors and watermark changes only', () => {
  const cached = { topic: 't', topicId: ID, partition: 0, fetchOffset: 0, partitionMaxBytes: 1, currentLeaderEpoch: -1, lastFetchedEpoch: -1, fetcherLogStartOffset: -1, highWatermark: 5, lastStableOffset: 5, logStartOffset: 0 };
  const same = { errorCode: 0, highWatermark: 5, lastStableOffset: 5, logStartOffset: 0, recordsBytes: 0 };
  assert.equal(FetchSession.mustRespond(cached, same), false);
  assert.equal(FetchSession.mustRespond(cached, { ...same, recordsBytes: 10 }), true);
  assert.equal(FetchSession.mustRespond(cached, { ...same, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE }), true);
  assert.equal(FetchSession.mustRespond(cached, { ...same, highWatermark: 6, lastStableOffset: 6 }), true);
  assert.equal(cached.highWatermark, 6);
  assert.equal(FetchSession.mustRespond(cached, { ...same, highWatermark: 6, lastStableOffset: 6 }), false);
});

test('cache limit: no slot ⇒ no session, until an idle session can be evicted', () => {
  const clock = new ManualClock();
  const cache = new FetchSessionCache({ maxSlots: 1, clock, random: new SeededRandom(2), evictionIdleMs: 1000 });
  assert.ok(cache.maybeCreateSession(false, []));
  assert.equal(cache.maybeCreateSession(false, []), null);
  clock.advance(1000);
  assert.ok(cache.maybeCreateSession(false, []));
  assert.equal(cache.size, 1);
  assert.equal(new FetchSessionCache({ maxSlots: 0, clock, random: new SeededRandom(3) }).maybeCreateSession(false, []), null);
  assert.equal(nextEpoch(0x7fffffff), 1);
});

/** Just enough of a Partition for the purgatory. */
function fakePartition(): { partition: Partition; setHw(v: number): void; stop(): void; listeners: () => number } {
  let hw = 0;
  let stopped = false;
  const fns = new Set<() => void>();
  const partition = {
    get highWatermark() { return hw; },
    get isStopped() { return stopped; },
    onStateChange(fn: () => void) { fns.add(fn); return () => { fns.delete(fn); }; },
  } as unknown as Partition;
  const fire = (): void => { for (const f of [...fns]) f(); };
  return { partition, setHw: (v) => { hw = v; fire(); }, stop: () => { stopped = true; fire(); }, listeners: () => fns.size };
}

test('purgatory: woken by a high-watermark change past the fetch offset, else times out', async () => {
  const clock = new ManualClock();
  const purgatory = new FetchPurgatory(clock, 1);
  const a = fakePartition();
  const waiting = purgatory.wait([{ partition: a.partition, fetchOffset: 3, limit: () => a.partition.highWatermark }], 5000);
  assert.equal(purgatory.size, 1);
  assert.equal(await purgatory.wait([{ partition: a.partition, fetchOffset: 0, limit: () => 0 }], 5000), 'full');
  a.setHw(2); // not past offset 3 yet
  a.setHw(4);
  assert.equal(await waiting, 'woken');
  assert.equal(a.listeners(), 0);
  assert.equal(purgatory.size, 0);

  const timingOut = purgatory.wait([{ partition: a.partition, fetchOffset: 10, limit: () => a.partition.highWatermark }], 500);
  clock.advance(499);
  assert.equal(purgatory.size, 1);
  clock.advance(1);
  assert.equal(await timingOut, 'timeout');
  assert.equal(a.listeners(), 0);
  assert.equal(await purgatory.wait([{ partition: a.partition, fetchOffset: 1, limit: () => a.partition.highWatermark }], 500), 'woken', 'data already there');
});

test('purgatory close releases waiting fetches and refuses new waits', async () => {
  const clock = new ManualClock();
  const purgatory = new FetchPurgatory(clock);
  const a = fakePartition();
  const waiting = purgatory.wait([{ partition: a.partition, fetchOffset: 3, limit: () => a.partition.highWatermark }], 60_000);
  purgatory.close();
  assert.equal(await waiting, 'closed');
  assert.equal(a.listeners(), 0);
  assert.equal(await purgatory.wait([{ partition: a.partition, fetchOffset: 3, limit: () => a.partition.highWatermark }], 60_000), 'closed');
});

test('purgatory: a partition that stopped before the wait began (topic deleted) wakes the fetch at once', async () => {
  const clock = new ManualClock();
  const purgatory = new FetchPurgatory(clock);
  const a = fakePartition();
  a.stop();
  assert.equal(await purgatory.wait([{ partition: a.partition, fetchOffset: 3, limit: () => 0 }], 60_000), 'woken');
  const b = fakePartition();
  const waiting = purgatory.wait([{ partition: b.partition, fetchOffset: 3, limit: () => 0 }], 60_000);
  b.stop();
  assert.equal(await waiting, 'woken');
  assert.equal(purgatory.size, 0);
});
