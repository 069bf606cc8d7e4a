import { test } from 'node:test';
import assert from 'node:assert/strict';
import { placeReplicas, type UsableBroker } from '../../../../src/cluster/controller/replica-placer.js';
import { SeededRandom } from '../../../../src/base/random.js';

const brokers = (spec: [number, string | null, boolean?][]): UsableBroker[] => spec.map(([id, rack, fenced]) => ({ id, rack, fenced: fenced ?? false }));

function place(numPartitions: number, numReplicas: number, bs: UsableBroker[], seed = 1): number[][] {
  const r = placeReplicas({ numPartitions, numReplicas }, bs, new SeededRandom(seed));
  if ('error' in r) throw new Error(r.error);
  return r.replicas;
}

test('a single broker gets every replica', () => {
  assert.deepEqual(place(3, 1, brokers([[1, null]])), [[1], [1], [1]]);
});

test('no broker twice in a partition, and every broker leads about as many partitions', () => {
  const bs = brokers([[1, null], [2, null], [3, null], [4, null], [5, null]]);
  for (let seed = 1; seed <= 20; seed++) {
    const placed = place(50, 3, bs, seed);
    const leaders = new Map<number, number>();
    const replicas = new Map<number, number>();
    for (const r of placed) {
      assert.equal(r.length, 3);
      assert.equal(new Set(r).size, 3, `seed ${seed}: ${r}`);
      leaders.set(r[0]!, (leaders.get(r[0]!) ?? 0) + 1);
      for (const b of r) replicas.set(b, (replicas.get(b) ?? 0) + 1);
    }
    assert.deepEqual([...leaders.values()], [10, 10, 10, 10, 10], `seed ${seed}: leaders ${[...leaders]}`);
    for (const n of replicas.values()) assert.ok(n >= 25 && n <= 35, `seed ${seed}: replicas ${[...replicas]}`);
  }
});

test('with racks, each partition spans as many racks as it can', () => {
  const bs = brokers([[1, 'a'], [2, 'a'], [3, 'a'], [4, 'b'], [5, 'b'], [6, 'b'], [7, 'c'], [8, 'c'], [9, 'c']]);
  const rackOf = new Map(bs.map((b) => [b.id, b.rack]));
  for (let seed = 1; seed <= 20; seed++) {
    for (const r of place(30, 3, bs, seed)) assert.equal(new Set(r.map((b) => rackOf.get(b))).size, 3, `seed ${seed}: ${r}`);
    // Replication factor above the rack count: every rack is still used.
    for (const r of place(30, 5, bs, seed)) {
      assert.equal(new Set(r).size, 5);
      assert.equal(new Set(r.map((b) => rackOf.get(b))).size, 3);
    }
  }
});

test('the striped pattern: consecutive partitions start on consecutive racks', () => {
  const bs = brokers([[1, 'a'], [2, 'b'], [3, 'c']]);
  const placed = place(3, 3, bs, 7);
  const rack = (b: number) => bs.find((x) => x.id === b)!.rack;
  const firstRacks = placed.map((r) => rack(r[0]!));
  assert.equal(new Set(firstRacks).size, 3, `${JSON.stringify(placed)}`);
  const order = ['a', 'b', 'c'];
  for (let i = 1; i < 3; i++) assert.equal(order.indexOf(firstRacks[i]!), (order.indexOf(firstRacks[i - 1]!) + 1) % 3);
});

test('fenced brokers never lead and are used only when needed', () => {
  const bs = brokers([[1, null], [2, null, true], [3, null]]);
  for (let seed = 1; seed <= 10; seed++) {
    for (const r of place(20, 2, bs, seed)) assert.notEqual(r[0], 2);
    for (const r of place(20, 3, bs, seed)) {
      assert.notEqual(r[0], 2);
      assert.ok(r.includes(2));
    }
  }
});

test('Kafka\'s errors', () => {
  const one = brokers([[1, null]]);
  assert.deepEqual(placeReplicas({ numPartitions: 1, numReplicas: 0 }, one, new SeededRandom(1)),
    { error: 'Invalid replication factor 0: the replication factor must be positive.' });
  assert.deepEqual(placeReplicas({ numPartitions: 1, numReplicas: 2 }, one, new SeededRandom(1)),
    { error: 'The target replication factor of 2 cannot be reached because only 1 broker(s) are registered.' });
  assert.deepEqual(placeReplicas({ numPartitions: 1, numReplicas: 1 }, brokers([[1, null, true]]), new SeededRandom(1)),
    { error: 'All brokers are currently fenced.' });
});
