/** The range and roundrobin assignors give the Java client's results. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rangeAssign, roundRobinAssign, type AssignorMember } from '../../../src/client/assignors.js';

const m = (memberId: string, topics: string[], groupInstanceId: string | null = null): AssignorMember => ({ memberId, groupInstanceId, topics });
const plain = (a: Map<string, { topic: string; partitions: number[] }[]>) => Object.fromEntries([...a].map(([k, v]) => [k, v.map((t) => `${t.topic}:${t.partitions.join(',')}`)]));

test('range: contiguous ranges per topic, extra partitions to the first members', () => {
  const a = rangeAssign([m('c2', ['t', 'u']), m('c1', ['t', 'u'])], new Map([['t', 3], ['u', 4]]));
  assert.deepEqual(plain(a), { c2: ['t:2', 'u:2,3'], c1: ['t:0,1', 'u:0,1'] });
});

test('range: members only get topics they subscribe to; unknown topics are skipped', () => {
  const a = rangeAssign([m('a', ['t']), m('b', ['t', 'u']), m('c', ['gone'])], new Map([['t', 2], ['u', 3]]));
  assert.deepEqual(plain(a), { a: ['t:0'], b: ['t:1', 'u:0,1,2'], c: [] });
});

test('range: static members sort first, by group.instance.id', () => {
  const a = rangeAssign([m('a', ['t']), m('z', ['t'], 'i1')], new Map([['t', 3]]));
  assert.deepEqual(plain(a), { a: ['t:2'], z: ['t:0,1'] });
});

test('roundrobin: partitions dealt in topic/partition order, skipping unsubscribed members', () => {
  const a = roundRobinAssign([m('c0', ['t0']), m('c1', ['t0', 't1']), m('c2', ['t0', 't1', 't2'])], new Map([['t0', 1], ['t1', 2], ['t2', 3]]));
  // Kafka's RoundRobinAssignor javadoc example: C0 [t0p0], C1 [t1p0], C2 [t1p1, t2p0, t2p1, t2p2].
  assert.deepEqual(plain(a), { c0: ['t0:0'], c1: ['t1:0'], c2: ['t1:1', 't2:0,1,2'] });
});

test('roundrobin: more members than partitions leaves some empty', () => {
  const a = roundRobinAssign([m('a', ['t']), m('b', ['t']), m('c', ['t'])], new Map([['t', 2]]));
  assert.deepEqual(plain(a), { a: ['t:0'], b: ['t:1'], c: [] });
});
