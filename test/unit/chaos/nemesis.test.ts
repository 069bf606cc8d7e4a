/** The nemesis schedule is fixed by the seed and stays inside its window; cluster-only kinds are refused. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeSchedule, KINDS } from '../../../chaos/nemesis/nemesis.js';
import { validate } from '../../../chaos/campaign.js';

test('the same seed gives the same schedule; another seed another one', () => {
  const o = { seed: 42, kinds: ['kill', 'pause'], brokers: 1, faultWindowMs: 120_000 };
  const a = makeSchedule(o);
  assert.deepEqual(makeSchedule(o), a);
  assert.notDeepEqual(makeSchedule({ ...o, seed: 43 }), a);
  assert.ok(a.length >= 10, `a 2-minute window holds many faults, got ${a.length}`);
  assert.ok(a.some((f) => f.kind === 'kill') && a.some((f) => f.kind === 'pause'));
});

test('faults start after a quiet period, do not overlap, and end inside the window', () => {
  for (let seed = 1; seed <= 50; seed++) {
    const s = makeSchedule({ seed, kinds: ['kill', 'pause'], brokers: 3, faultWindowMs: 60_000 });
    let end = 0;
    for (const f of s) {
      assert.ok(f.atMs > end, `seed ${seed}: fault at ${f.atMs} overlaps the previous one ending at ${end}`);
      end = f.atMs + f.durationMs;
      assert.ok(end < 60_000);
      assert.ok(f.brokerIndex >= 0 && f.brokerIndex < 3);
    }
  }
  assert.deepEqual(makeSchedule({ seed: 1, kinds: ['kill'], brokers: 1, faultWindowMs: 1000 }), []);
});

test('cluster kinds need --brokers 3, other broker counts are refused', () => {
  assert.equal(validate({ brokers: 1, faults: ['kill', 'pause'] }), null);
  assert.match(validate({ brokers: 2, faults: ['kill'] })!, /1 \(one standalone broker\) or 3/);
  for (const k of ['partition', 'etcd', 'disk']) {
    assert.equal(KINDS[k]!.needsCluster, true);
    assert.match(validate({ brokers: 1, faults: ['kill', k] })!, new RegExp(`'${k}' needs a multi-broker cluster`));
  }
  assert.match(validate({ brokers: 1, faults: ['meteor'] })!, /unknown fault kind 'meteor'/);
});
