import { it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryFileSystem } from '../../../src/base/file-system.js';

it('memory fs: crash keeps synced data and at most a prefix of later writes', async () => {
  for (let seed = 1; seed <= 30; seed++) {
    const fs = new MemoryFileSystem({ seed });
    await fs.mkdirp('/a/b');
    const fh = await fs.open('/a/b/f', 'create');
    await fh.write(Buffer.from('hello '));
    await fh.sync();
    await fh.write(Buffer.from('world'));
    await fh.write(Buffer.from('!!!'));
    fs.crash();
    const after = (await fs.readFile('/a/b/f')).toString();
    assert.ok(after.startsWith('hello '), after);
    assert.ok('hello world!!!'.startsWith(after), `seed ${seed}: ${after}`);
    await assert.rejects(fh.write(Buffer.from('x')), /crash/);
  }
});

it('memory fs: injected fsync failure, torn write, directory operations', async () => {
  const fs = new MemoryFileSystem();
  await fs.mkdirp('/d');
  const fh = await fs.open('/d/x', 'create');
  fs.failNextSync('/d/x');
  await fh.write(Buffer.from('abc'));
  await assert.rejects(fh.sync(), /fsync/);
  await fh.sync();
  fs.tearNextWrite('/d/x', 2);
  await assert.rejects(fh.write(Buffer.from('defg')), /write/);
  assert.equal((await fs.readFile('/d/x')).toString(), 'abcde');
  await assert.rejects(fs.open('/d/missing', 'read'), (e: { code?: string }) => e.code === 'ENOENT');
  await fs.writeFileAtomic('/d/y', Buffer.from('1'));
  await fs.rename('/d/y', '/d/z');
  assert.deepEqual(await fs.readdir('/d'), ['x', 'z']);
  await fs.rmrf('/d');
  assert.equal(await fs.exists('/d/x'), false);
});

it('memory fs: old unsynced writes become durable past the writeback limit; tracking can be off', async () => {
  const fs = new MemoryFileSystem({ seed: 3, writebackBytes: 10 });
  await fs.mkdirp('/w');
  const fh = await fs.open('/w/f', 'create');
  await fh.write(Buffer.from('0123456789'));
  await fh.write(Buffer.from('abcdefghij'));
  await fh.write(Buffer.from('KLMNO'));
  fs.crash();
  const after = (await fs.readFile('/w/f')).toString();
  assert.ok(after.startsWith('0123456789abcdefghij'.slice(0, 10)), after);
  assert.ok('0123456789abcdefghijKLMNO'.startsWith(after));

  const plain = new MemoryFileSystem({ trackDurability: false });
  await plain.mkdirp('/p');
  const h = await plain.open('/p/f', 'create');
  await h.write(Buffer.from('kept'));
  plain.crash();
  assert.equal((await plain.readFile('/p/f')).toString(), 'kept');
});
