import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RequestMemoryPool, type PoolMember } from '../../../src/server/request-memory-pool.js';

const KiB = 1024;

/** A member that keeps its own count, as Connection does, and records wake-ups. */
class Member implements PoolMember {
  heldBytes = 0;
  wakes = 0;
  constructor(private readonly pool: RequestMemoryPool) {}
  onPoolAvailable(): void {
    this.wakes++;
  }
  charge(n: number): void {
    this.heldBytes += n;
    this.pool.chargeRequest(n);
  }
  release(n: number): void {
    this.heldBytes -= n;
    this.pool.releaseRequest(this, n);
  }
  respond(delta: number): void {
    this.heldBytes += delta;
    this.pool.adjustResponse(this, delta);
  }
}

test('below the capacity everyone reads; at it only the oldest receiver and idle members (emergency slots)', () => {
  const pool = new RequestMemoryPool(1024 * KiB); // 1 emergency slot (1 MiB / 16 / 64 KiB)
  assert.equal(pool.emergencySlots, 1);
  const [a, b, c, d] = [new Member(pool), new Member(pool), new Member(pool), new Member(pool)];
  assert.equal(pool.mayRead(a, true), true);
  a.charge(600 * KiB);
  pool.frameStarted(a);
  b.charge(500 * KiB);
  pool.frameStarted(b);
  assert.equal(pool.usedBytes, 1100 * KiB);
  assert.equal(pool.mayRead(a, true), true, 'rule 2: the oldest frame keeps arriving');
  assert.equal(pool.mayRead(b, true), false, 'b holds bytes and is not the oldest');
  assert.equal(pool.mayRead(c, false), true, 'rule 3: c holds nothing (asking only)');
  assert.equal(pool.emergencyCount, 0, 'asking does not take the slot');
  assert.equal(pool.mayRead(c, true), true);
  assert.equal(pool.emergencyCount, 1);
  assert.equal(pool.mayRead(c, true), false, 'one chunk per admission');
  c.charge(10 * KiB);
  assert.equal(pool.mayRead(d, true), false, 'the only emergency slot is taken');
  c.release(10 * KiB);
  assert.equal(pool.emergencyCount, 0, 'c holds nothing again: slot free');
  assert.equal(pool.mayRead(d, true), true);
  // a's frame completes: b becomes the oldest receiver and is woken if it waits.
  pool.waitForRoom(b);
  pool.frameEnded(a);
  assert.equal(b.wakes, 1);
  assert.equal(pool.mayRead(b, true), true);
  assert.equal(pool.peakBytes, 1110 * KiB);
});

test('releases wake waiters: all of them below the capacity, idle ones while emergency slots are free', () => {
  const pool = new RequestMemoryPool(1024 * KiB);
  const big = new Member(pool);
  const holding = new Member(pool);
  const idle = new Member(pool);
  big.charge(1000 * KiB);
  holding.charge(100 * KiB);
  pool.waitForRoom(holding);
  pool.waitForRoom(idle);
  const emergency = new Member(pool);
  assert.equal(pool.mayRead(emergency, true), true);
  emergency.charge(1 * KiB);
  big.release(10 * KiB); // still full, no emergency slot free: nobody wakes
  assert.deepEqual([holding.wakes, idle.wakes], [0, 0]);
  emergency.release(1 * KiB); // a slot frees: the idle waiter may try
  assert.deepEqual([holding.wakes, idle.wakes], [0, 1]);
  pool.waitForRoom(idle);
  big.release(500 * KiB); // below the capacity: everyone
  assert.deepEqual([holding.wakes, idle.wakes], [1, 2]);
  assert.equal(pool.waitingCount, 0);
});

test('Fetch admission ignores its own frame; responses count until flushed; remove forgets a member', () => {
  const pool = new RequestMemoryPool(1000);
  const reader = new Member(pool);
  const slow = new Member(pool);
  slow.respond(900);
  assert.equal(pool.responseBytes, 900);
  reader.charge(150);
  assert.equal(pool.mayStartFetch(150), true, 'without its own frame the pool holds 900 < 1000');
  slow.respond(100);
  assert.equal(pool.mayStartFetch(150), false, 'the others hold 1000');
  pool.waitForFetchRoom(reader, 150);
  slow.respond(-10); // still above the capacity, but the others now hold 990: the Fetch may start
  assert.equal(pool.usedBytes >= pool.capacity, true);
  assert.equal(reader.wakes, 1);
  assert.equal(pool.mayStartFetch(150), true);
  slow.respond(-990);
  pool.frameStarted(slow);
  pool.waitForRoom(slow);
  pool.remove(slow);
  assert.equal(pool.waitingCount, 0);
});

test('-1 is unbounded: everyone reads, every Fetch starts, bytes are still counted', () => {
  const pool = new RequestMemoryPool(-1);
  const m = new Member(pool);
  m.charge(10 * 1024 * 1024 * 1024);
  assert.equal(pool.mayRead(m, true), true);
  assert.equal(pool.mayStartFetch(0), true);
  assert.equal(pool.usedBytes, 10 * 1024 * 1024 * 1024);
});
