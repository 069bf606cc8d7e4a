import { it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryFileSystem } from '../../../src/base/file-system.js';
import { OffsetIndex } from '../../../src/storage/offset-index.js';
import { TimeIndex } from '../../../src/storage/time-index.js';

it('offset index: lookup returns the last entry at or below the target and persists entries', async () => {
  const fs = new MemoryFileSystem();
  await fs.mkdirp('/d');
  const idx = new OffsetIndex('/d/00000000000000000100.index', 100, 8 * 4);
  assert.equal(idx.lookup(150), 0);
  idx.append(110, 1000);
  idx.append(120, 2000);
  idx.append(115, 2500); // not increasing: ignored
  idx.append(130, 3000);
  assert.equal(idx.lookup(109), 0);
  assert.equal(idx.lookup(110), 1000);
  assert.equal(idx.lookup(125), 2000);
  assert.equal(idx.lookup(1_000_000), 3000);
  idx.append(140, 4000);
  assert.ok(idx.isFull);
  idx.append(150, 5000);
  assert.equal(idx.entries, 4);
  await idx.persist(fs, true);
  const raw = await fs.readFile('/d/00000000000000000100.index');
  assert.equal(raw.length, 32);
  assert.equal(raw.readInt32BE(0), 10);
  assert.equal(raw.readInt32BE(4), 1000);
  const loaded = new OffsetIndex(idx.path, 100, 8 * 4);
  assert.equal(await loaded.load(fs, 5000), true);
  assert.equal(loaded.lookup(135), 3000);
  assert.equal(await loaded.load(fs, 3500), false, 'positions beyond the log are rejected');
  idx.truncate(120, Number.MAX_SAFE_INTEGER);
  assert.equal(idx.entries, 1);
  await idx.persist(fs, true);
  assert.equal((await fs.readFile(idx.path)).length, 8);
});

it('time index: lookup and monotonic appends', () => {
  const t = new TimeIndex('/x.timeindex', 0, 12 * 10);
  t.maybeAppend(100, 5);
  t.maybeAppend(90, 6); // timestamp not increasing
  t.maybeAppend(200, 9);
  t.maybeAppend(250, 9); // same offset: replaced
  assert.equal(t.entries, 2);
  assert.equal(t.lookup(50), undefined);
  assert.deepEqual(t.lookup(150), { timestamp: 100, offset: 5 });
  assert.deepEqual(t.lastEntry(), { timestamp: 250, offset: 9 });
  t.truncate(9);
  assert.deepEqual(t.lastEntry(), { timestamp: 100, offset: 5 });
});
