/**
 * An immutable string-keyed map with cheap updates: a hash array mapped trie (HAMT, Bagwell
 * 2001; the structure behind Clojure's and Scala's persistent maps). `set` and `delete` return
 * a new map that shares every untouched node with the old one, so one update copies at most
 * one 32-slot array per trie level — about log32(N) levels, 3 for 10,000 keys — instead of the
 * whole map. The metadata image keeps its topics in these so that changing one topic of
 * 10,000 costs the same as changing one topic of 10.
 *
 * Shape: a branch node holds a 32-bit bitmap of the occupied slots among 32 and a dense array
 * of its children (leaves or nodes), indexed by the popcount of the bitmap below the slot's
 * bit. Each level consumes 5 bits of the key's 32-bit hash; keys whose hashes are equal end
 * in a collision node (a small list). Maps are never mutated after construction.
 */

const BITS = 5;
const MASK = 31;
/** After this many levels every hash bit has been used. */
const MAX_SHIFT = 30;

class Leaf<V> {
  constructor(readonly key: string, readonly hash: number, readonly value: V) {}
}

class Collision<V> {
  constructor(readonly hash: number, readonly leaves: readonly Leaf<V>[]) {}
}

class Branch<V> {
  constructor(readonly bitmap: number, readonly slots: readonly Slot<V>[]) {}
}

type Slot<V> = Leaf<V> | Collision<V> | Branch<V>;

/** FNV-1a over UTF-16 code units: fast, and spreads topic names well enough for a trie. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // A final avalanche so that names differing in their last characters differ in low bits.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

function slotIndex(bitmap: number, bit: number): number {
  return popcount(bitmap & (bit - 1));
}

function fragment(hash: number, shift: number): number {
  return (hash >>> shift) & MASK;
}

function hashOf<V>(s: Leaf<V> | Collision<V>): number {
  return s.hash;
}

/** A node holding `a` (a leaf or collision) and the new leaf `b`, starting at `shift`. */
function join<V>(a: Leaf<V> | Collision<V>, b: Leaf<V>, shift: number): Slot<V> {
  const ha = hashOf(a);
  if (ha === b.hash) {
    const leaves = a instanceof Leaf ? [a, b] : [...a.leaves, b];
    return new Collision(ha, leaves);
  }
  const fa = fragment(ha, shift);
  const fb = fragment(b.hash, shift);
  if (fa === fb) return new Branch(1 << fa, [join(a, b, shift + BITS)]);
  const slots = fa < fb ? [a, b] : [b, a];
  return new Branch((1 << fa) | (1 << fb), slots);
}

function replaceAt<T>(arr: readonly T[], i: number, v: T): T[] {
  const out = arr.slice();
  out[i] = v;
  return out;
}

function insertAt<T>(arr: readonly T[], i: number, v: T): T[] {
  const out = new Array<T>(arr.length + 1);
  for (let j = 0; j < i; j++) out[j] = arr[j]!;
  out[i] = v;
  for (let j = i; j < arr.length; j++) out[j + 1] = arr[j]!;
  return out;
}

function removeAt<T>(arr: readonly T[], i: number): T[] {
  const out = new Array<T>(arr.length - 1);
  for (let j = 0; j < i; j++) out[j] = arr[j]!;
  for (let j = i + 1; j < arr.length; j++) out[j - 1] = arr[j]!;
  return out;
}

interface Change {
  added: boolean;
}

function setIn<V>(node: Slot<V>, shift: number, leaf: Leaf<V>, change: Change): Slot<V> {
  if (node instanceof Leaf) {
    if (node.key === leaf.key) return node.value === leaf.value ? node : leaf;
    change.added = true;
    return join(node, leaf, shift);
  }
  if (node instanceof Collision) {
    if (node.hash !== leaf.hash) {
      change.added = true;
      return join(node, leaf, shift);
    }
    const i = node.leaves.findIndex((l) => l.key === leaf.key);
    if (i >= 0) return node.leaves[i]!.value === leaf.value ? node : new Collision(node.hash, replaceAt(node.leaves, i, leaf));
    change.added = true;
    return new Collision(node.hash, [...node.leaves, leaf]);
  }
  const bit = 1 << fragment(leaf.hash, shift);
  const i = slotIndex(node.bitmap, bit);
  if ((node.bitmap & bit) === 0) {
    change.added = true;
    return new Branch(node.bitmap | bit, insertAt(node.slots, i, leaf));
  }
  const child = node.slots[i]!;
  const next = setIn(child, shift + BITS, leaf, change);
  return next === child ? node : new Branch(node.bitmap, replaceAt(node.slots, i, next));
}

/** undefined when the node became empty; the same node when the key was absent. */
function deleteIn<V>(node: Slot<V>, shift: number, key: string, hash: number): Slot<V> | undefined {
  if (node instanceof Leaf) return node.key === key ? undefined : node;
  if (node instanceof Collision) {
    if (node.hash !== hash) return node;
    const i = node.leaves.findIndex((l) => l.key === key);
    if (i < 0) return node;
    if (node.leaves.length === 2) return node.leaves[1 - i]!;
    return new Collision(node.hash, removeAt(node.leaves, i));
  }
  const bit = 1 << fragment(hash, shift);
  if ((node.bitmap & bit) === 0) return node;
  const i = slotIndex(node.bitmap, bit);
  const child = node.slots[i]!;
  const next = deleteIn(child, shift + BITS, key, hash);
  if (next === child) return node;
  if (next === undefined) {
    if (node.slots.length === 1) return undefined;
    const slots = removeAt(node.slots, i);
    // A branch left with one leaf (or collision) collapses into it, so a deleted subtree
    // does not leave a chain of single-child branches behind. The root stays a branch.
    if (slots.length === 1 && shift > 0 && !(slots[0] instanceof Branch)) return slots[0];
    return new Branch(node.bitmap & ~bit, slots);
  }
  if (node.slots.length === 1 && shift > 0 && !(next instanceof Branch)) return next;
  return new Branch(node.bitmap, replaceAt(node.slots, i, next));
}

const EMPTY_ROOT = new Branch<never>(0, []);

export class PersistentMap<V> implements Iterable<[string, V]> {
  private static readonly EMPTY = new PersistentMap<never>(EMPTY_ROOT, 0);

  private constructor(private readonly root: Branch<V>, readonly size: number) {}

  static empty<V>(): PersistentMap<V> {
    return PersistentMap.EMPTY as PersistentMap<V>;
  }

  static from<V>(entries: Iterable<readonly [string, V]>): PersistentMap<V> {
    let m = PersistentMap.empty<V>();
    for (const [k, v] of entries) m = m.set(k, v);
    return m;
  }

  get(key: string): V | undefined {
    const hash = hashString(key);
    let node: Slot<V> = this.root;
    let shift = 0;
    for (;;) {
      if (node instanceof Branch) {
        const bit = 1 << fragment(hash, shift);
        if ((node.bitmap & bit) === 0) return undefined;
        node = node.slots[slotIndex(node.bitmap, bit)]!;
        shift += BITS;
        if (shift > MAX_SHIFT + BITS) return undefined;
      } else if (node instanceof Leaf) {
        return node.key === key ? node.value : undefined;
      } else {
        if (node.hash !== hash) return undefined;
        for (const l of node.leaves) if (l.key === key) return l.value;
        return undefined;
      }
    }
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** A map with `key` set to `value` (this map itself when nothing changes). */
  set(key: string, value: V): PersistentMap<V> {
    const change: Change = { added: false };
    const root = setIn(this.root, 0, new Leaf(key, hashString(key), value), change) as Branch<V>;
    if (root === this.root) return this;
    return new PersistentMap(root, this.size + (change.added ? 1 : 0));
  }

  /** A map without `key` (this map itself when the key is absent). */
  delete(key: string): PersistentMap<V> {
    const next = deleteIn(this.root, 0, key, hashString(key));
    if (next === this.root) return this;
    return new PersistentMap((next ?? EMPTY_ROOT) as Branch<V>, this.size - 1);
  }

  *entries(): IterableIterator<[string, V]> {
    const stack: Slot<V>[] = [this.root];
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (node instanceof Leaf) yield [node.key, node.value];
      else if (node instanceof Collision) for (const l of node.leaves) yield [l.key, l.value];
      else for (let i = node.slots.length - 1; i >= 0; i--) stack.push(node.slots[i]!);
    }
  }

  *keys(): IterableIterator<string> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): IterableIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this.entries();
  }

  /** Trie depth (levels of branches) — for tests of the structure, not for callers. */
  depth(): number {
    const walk = (n: Slot<V>): number => (n instanceof Branch ? 1 + Math.max(0, ...n.slots.map(walk)) : 0);
    return walk(this.root);
  }
}
