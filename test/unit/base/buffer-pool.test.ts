/**
 * BufferPool: released buffers are reused, foreign or repeated releases are ignored, the idle
 * memory is capped, and sizes outside the pooled range are plain allocations.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BufferPool } from '../../../src/base/buffer-pool.js';

test('acquire/release reuses the same memory for the same size class', () => {
  const pool = new BufferPool(8 << 20, 4 << 20);
  const a = pool.acquire(1 << 20);
  assert.equal(a.length, 1 << 20);
  a[0] = 0x5a;
  pool.release(a.subarray(100, 200)); // any view of it gives it back
  assert.equal(pool.idleBytes, 1 << 20);
  const b = pool.acquire((1 << 20) - 5);
  assert.ok(b.buffer === a.buffer, 'reused');
  assert.equal(b.length, (1 << 20) - 5);
  assert.equal(pool.idleBytes, 0);
  const c = pool.acquire(1 << 20);
  assert.ok(c.buffer !== a.buffer, 'a buffer in use is never handed out twice');
});

test('double, foreign and oversized releases do nothing; idle bytes are capped', () => {
  const pool = new BufferPool(3 << 20, 4 << 20);
  const a = pool.acquire(1 << 20);
  pool.release(a);
  pool.release(a);
  assert.equal(pool.idleBytes, 1 << 20, 'released once');
  pool.release(Buffer.alloc(1 << 20));
  assert.equal(pool.idleBytes, 1 << 20, 'not ours');
  const big = pool.acquire(8 << 20);
  assert.equal(big.length, 8 << 20);
  pool.release(big);
  assert.equal(pool.idleBytes, 1 << 20, 'larger than maxBufferBytes: not pooled');
  const xs = [pool.acquire(1 << 20), pool.acquire(1 << 20), pool.acquire(1 << 20), pool.acquire(1 << 20)];
  for (const x of xs) pool.release(x);
  assert.equal(pool.idleBytes, 3 << 20, 'capped at maxPooledBytes');
  // A buffer of another size class released at the cap displaces the least recently released.
  const two = pool.acquire(2 << 20);
  assert.equal(pool.idleBytes, 3 << 20, 'a new 2 MiB buffer; the idle 1 MiB ones stay');
  pool.release(two);
  assert.equal(pool.idleBytes, 3 << 20);
  assert.ok(pool.acquire(2 << 20).buffer === two.buffer, 'the newly released 2 MiB buffer was kept');
  assert.equal(pool.idleBytes, 1 << 20, 'the two oldest 1 MiB buffers were dropped to make room');
  assert.ok(pool.acquire(1 << 20).buffer === xs[3]!.buffer, 'the most recently released 1 MiB buffer survived');
  const idle = pool.idleBytes;
  const tiny = pool.acquire(100);
  pool.release(tiny);
  assert.equal(pool.idleBytes, idle, 'tiny buffers are plain allocations');
});

test('a size whose class has nothing idle takes an idle buffer of a larger class, up to 1.5 times its class', () => {
  const pool = new BufferPool(64 << 20, 32 << 20);
  const big = pool.acquire(1.6 * (1 << 20)); // class 1.75 MiB
  pool.release(big);
  const b = pool.acquire(1.1 * (1 << 20)); // class 1.25 MiB: the idle 1.75 MiB one serves it
  assert.ok(b.buffer === big.buffer);
  assert.equal(b.length, Math.floor(1.1 * (1 << 20)));
  assert.equal(pool.idleBytes, 0);
  pool.release(b);
  assert.equal(pool.idleBytes, 1.75 * (1 << 20), 'it goes back under its own class');
  const small = pool.acquire(1_000_000); // class 1 MiB: 1.75 MiB is more than 1.5 times that
  assert.ok(small.buffer !== big.buffer);
});
