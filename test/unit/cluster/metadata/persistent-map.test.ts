import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PersistentMap, hashString } from '../../../../src/cluster/metadata/persistent-map.js';
import { SeededRandom } from '../../../../src/base/random.js';

test('set, get, delete and size, with the old versions unchanged', () => {
  const empty = PersistentMap.empty<number>();
  const a = empty.set('a', 1);
  const ab = a.set('b', 2);
  const ab2 = ab.set('b', 3);
  assert.equal(empty.size, 0);
  assert.equal(a.size, 1);
  assert.equal(ab.size, 2);
  assert.equal(ab2.size, 2);
  assert.equal(ab.get('b'), 2, 'the older version keeps its value');
  assert.equal(ab2.get('b'), 3);
  assert.equal(a.get('b'), undefined);
  const b = ab2.delete('a');
  assert.equal(b.size, 1);
  assert.equal(b.get('a'), undefined);
  assert.equal(ab2.get('a'), 1);
  assert.equal(b.delete('zzz'), b, 'deleting an absent key returns the same map');
  assert.equal(ab2.set('b', 3), ab2, 'setting the same value returns the same map');
  assert.equal(b.delete('b').size, 0);
});

test('agrees with a Map over a random sequence of operations, keeping every version intact', () => {
  const random = new SeededRandom(42);
  let m = PersistentMap.empty<number>();
  const ref = new Map<string, number>();
  const versions: { map: PersistentMap<number>; copy: Map<string, number> }[] = [];
  for (let i = 0; i < 20_000; i++) {
    const key = `topic-${random.int(3000)}`;
    if (random.int(3) === 0) {
      m = m.delete(key);
      ref.delete(key);
    } else {
      m = m.set(key, i);
      ref.set(key, i);
    }
    if (i % 2000 === 0) versions.push({ map: m, copy: new Map(ref) });
  }
  assert.equal(m.size, ref.size);
  for (const [k, v] of ref) assert.equal(m.get(k), v);
  assert.deepEqual(new Map(m.entries()), ref);
  for (const { map, copy } of versions) {
    assert.equal(map.size, copy.size);
    assert.deepEqual(new Map(map), copy);
  }
  // Delete everything: the trie collapses back to an empty root.
  for (const k of ref.keys()) m = m.delete(k);
  assert.equal(m.size, 0);
  assert.deepEqual([...m], []);
});

test('keys with equal hashes live side by side in a collision node', () => {
  // Find two distinct keys with the same 32-bit hash by brute force on short strings.
  const seen = new Map<number, string>();
  let pair: [string, string] | null = null;
  for (let i = 0; pair === null && i < 3_000_000; i++) {
    const k = `k${i.toString(36)}`;
    const h = hashString(k);
    const other = seen.get(h);
    if (other !== undefined) pair = [other, k];
    else seen.set(h, k);
  }
  assert.ok(pair !== null, 'a colliding pair exists among 3M keys');
  const [x, y] = pair;
  let m = PersistentMap.empty<string>().set(x, 'x').set(y, 'y').set('other', 'o');
  assert.equal(m.size, 3);
  assert.equal(m.get(x), 'x');
  assert.equal(m.get(y), 'y');
  m = m.set(y, 'y2');
  assert.equal(m.get(y), 'y2');
  m = m.delete(x);
  assert.equal(m.get(x), undefined);
  assert.equal(m.get(y), 'y2');
  assert.equal(m.size, 2);
});

test('one update costs about the same at 100 and at 100,000 keys (no copy of the whole map)', () => {
  const build = (n: number) => PersistentMap.from(Array.from({ length: n }, (_, i) => [`t-${i}`, i] as const));
  const small = build(100);
  const large = build(100_000);
  // 7 levels use all 32 hash bits; below that only keys with equal hashes share a collision node.
  assert.ok(large.depth() <= 7, `depth ${large.depth()}`);
  const time = (m: PersistentMap<number>) => {
    const t0 = performance.now();
    let x = m;
    for (let i = 0; i < 20_000; i++) x = m.set(`t-${i % 100}`, -i).delete(`t-${(i + 1) % 100}`);
    return performance.now() - t0 + (x.size === -1 ? 1 : 0);
  };
  time(small);
  time(large);
  const s = Math.min(time(small), time(small));
  const l = Math.min(time(large), time(large));
  // A copy-the-map implementation would be ~1000x slower at 100,000 keys; a trie is a few levels deeper.
  assert.ok(l < s * 6 + 20, `100 keys: ${s.toFixed(1)} ms, 100,000 keys: ${l.toFixed(1)} ms for 20,000 updates`);
});
