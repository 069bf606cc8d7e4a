import { it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryFileSystem } from '../../../src/base/file-system.js';
import { LeaderEpochCache } from '../../../src/storage/leader-epoch-cache.js';
import { readCheckpoint } from '../../../src/storage/checkpoint-file.js';

it('leader epoch cache: assign, endOffsetFor, truncation, persistence', async () => {
  const fs = new MemoryFileSystem();
  await fs.mkdirp('/p');
  const c = new LeaderEpochCache(fs, '/p/leader-epoch-checkpoint');
  assert.deepEqual(c.endOffsetFor(0, 10), { leaderEpoch: -1, endOffset: -1 });
  assert.ok(c.assign(2, 0));
  assert.ok(!c.assign(2, 5), 'same epoch again is a no-op');
  assert.ok(c.assign(5, 10));
  assert.ok(c.assign(7, 20));
  assert.deepEqual(c.endOffsetFor(7, 30), { leaderEpoch: 7, endOffset: 30 });
  assert.deepEqual(c.endOffsetFor(6, 30), { leaderEpoch: 5, endOffset: 20 });
  assert.deepEqual(c.endOffsetFor(1, 30), { leaderEpoch: 1, endOffset: 0 });
  assert.deepEqual(c.endOffsetFor(8, 30), { leaderEpoch: -1, endOffset: -1 });
  c.truncateFromStart(15);
  assert.deepEqual(c.all(), [{ epoch: 5, startOffset: 15 }, { epoch: 7, startOffset: 20 }]);
  c.truncateFromEnd(20);
  assert.equal(c.latestEpoch, 5);
  await c.persist();
  assert.deepEqual(await readCheckpoint(fs, c.path, 2), [['5', '15']]);
  const loaded = await LeaderEpochCache.load(fs, c.path);
  assert.equal(loaded.latestEpoch, 5);
  // A new epoch starting below existing entries replaces them.
  loaded.assign(9, 3);
  assert.deepEqual(loaded.all(), [{ epoch: 9, startOffset: 3 }]);
  await fs.writeFileAtomic('/p/bad', Buffer.from('0\n2\n1 0\n'));
  await assert.rejects(readCheckpoint(fs, '/p/bad', 2), /malformed/);
});
