/** The file plumbing shared by the offset and time indexes (src/storage/index-file.ts). */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryFileSystem } from '../../../src/base/file-system.js';
import { floorEntry } from '../../../src/storage/index-file.js';
import { TimeIndex, TIME_INDEX_ENTRY_SIZE } from '../../../src/storage/time-index.js';
import { OffsetIndex } from '../../../src/storage/offset-index.js';

it('floorEntry finds the last key <= target', () => {
  const keys = Int32Array.from([10, 20, 30, 0, 0]);
  assert.equal(floorEntry(keys, 3, 9), -1);
  assert.equal(floorEntry(keys, 3, 10), 0);
  assert.equal(floorEntry(keys, 3, 29), 1);
  assert.equal(floorEntry(keys, 3, 1000), 2, 'entries beyond count are ignored');
  assert.equal(floorEntry([], 0, 5), -1);
});

it('time index: persists incrementally, rewrites after truncation, loads back', async () => {
  const fs = new MemoryFileSystem();
  await fs.mkdirp('/d');
  const t = new TimeIndex('/d/0.timeindex', 100, TIME_INDEX_ENTRY_SIZE * 2);
  t.maybeAppend(1000, 101);
  t.maybeAppend(2000, 105);
  await t.persist(fs, true);
  t.maybeAppend(3000, 109, true); // forced: one beyond maxEntries
  await t.persist(fs, false);
  const raw = await fs.readFile('/d/0.timeindex');
  assert.equal(raw.length, 3 * TIME_INDEX_ENTRY_SIZE);
  assert.equal(Number(raw.readBigInt64BE(24)), 3000);
  assert.equal(raw.readInt32BE(32), 9);

  const loaded = new TimeIndex(t.path, 100, TIME_INDEX_ENTRY_SIZE * 2);
  assert.equal(await loaded.load(fs, 9), true, 'maxEntries + 1 entries are accepted');
  assert.deepEqual(loaded.lastEntry(), { timestamp: 3000, offset: 109 });
  assert.equal(await loaded.load(fs, 8), false, 'an offset beyond the log is rejected');
  assert.equal(loaded.entries, 0);

  t.truncate(105);
  await t.persist(fs, true);
  assert.equal((await fs.readFile(t.path)).length, TIME_INDEX_ENTRY_SIZE, 'rewritten from scratch');
  assert.equal(await new TimeIndex(t.path, 100, 24).load(fs, 100), true);
  assert.equal(await new TimeIndex('/d/missing.timeindex', 100, 24).load(fs, 100), false);
});

it('a torn index file (not whole entries) is rejected and rewritten on the next persist', async () => {
  const fs = new MemoryFileSystem();
  await fs.mkdirp('/d');
  await fs.writeFileAtomic('/d/0.index', Buffer.alloc(12));
  const idx = new OffsetIndex('/d/0.index', 0, 80);
  assert.equal(await idx.load(fs, 1 << 20), false);
  assert.equal(idx.entries, 0);
  idx.append(3, 100);
  await idx.persist(fs, true);
  assert.equal((await fs.readFile('/d/0.index')).length, 8);
});
