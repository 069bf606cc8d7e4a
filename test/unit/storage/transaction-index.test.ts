// The aborted-transaction index (src/storage/transaction-index.ts): Kafka's AbortedTxn bytes,
// append order, truncation, the collect search and what `load` refuses to trust.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryFileSystem } from '../../../src/base/file-system.js';
import { AssertionError } from '../../../src/base/assert.js';
import { TransactionIndex, TXN_INDEX_ENTRY_SIZE, decodeAbortedTxn, encodeAbortedTxn, type AbortedTxn } from '../../../src/storage/transaction-index.js';

const txn = (producerId: number, firstOffset: number, lastOffset: number, lastStableOffset: number): AbortedTxn => ({ producerId, firstOffset, lastOffset, lastStableOffset });

it('an entry is Kafka\'s AbortedTxn v0: 34 bytes, version int16, then producerId, firstOffset, lastOffset, lastStableOffset as int64', () => {
  assert.equal(TXN_INDEX_ENTRY_SIZE, 34);
  const bytes = encodeAbortedTxn(txn(0x0102030405, 0x1112131415, 0x2122232425, 0x3132333435));
  assert.equal(bytes.toString('hex'), [
    '0000',
    '0000000102030405',
    '0000001112131415',
    '0000002122232425',
    '0000003132333435',
  ].join(''));
  assert.deepEqual(decodeAbortedTxn(bytes), { version: 0, producerId: 0x0102030405, firstOffset: 0x1112131415, lastOffset: 0x2122232425, lastStableOffset: 0x3132333435 });
  // Offsets beyond 2^32 and up to 2^53 survive.
  const big = txn(2 ** 53 - 1, 2 ** 40, 2 ** 40 + 7, 2 ** 40 + 8);
  const { version: _, ...back } = decodeAbortedTxn(encodeAbortedTxn(big));
  assert.deepEqual(back, big);
});

it('persists incrementally, rewrites after a truncation, loads back what it wrote', async () => {
  const fs = new MemoryFileSystem();
  await fs.mkdirp('/d');
  const idx = new TransactionIndex('/d/00000000000000000100.txnindex', 100);
  await idx.persist(fs, true);
  assert.equal((await fs.readFile(idx.path)).length, 0, 'an empty index is still written, so that a restart trusts it');
  idx.append(txn(7, 95, 101, 102));
  idx.append(txn(8, 100, 105, 90));
  await idx.persist(fs, true);
  idx.append(txn(7, 106, 110, 111));
  await idx.persist(fs, true);
  const raw = await fs.readFile(idx.path);
  assert.equal(raw.length, 3 * 34);
  assert.deepEqual(decodeAbortedTxn(raw, 68), { version: 0, producerId: 7, firstOffset: 106, lastOffset: 110, lastStableOffset: 111 });

  const loaded = new TransactionIndex(idx.path, 100);
  assert.equal(await loaded.load(fs, 111), true);
  assert.deepEqual(loaded.allAbortedTxns(), idx.allAbortedTxns());

  idx.truncateTo(105);
  assert.deepEqual(idx.allAbortedTxns().map((t) => t.lastOffset), [101], 'entries whose marker is at or after the offset go');
  await idx.persist(fs, true);
  assert.equal((await fs.readFile(idx.path)).length, 34, 'rewritten from scratch');
  idx.truncateTo(200);
  assert.equal(idx.entries, 1, 'truncating beyond the last marker changes nothing');
});

it('appends must come in marker order (a broken invariant, not a Kafka error)', () => {
  const idx = new TransactionIndex('/d/x.txnindex', 0);
  idx.append(txn(1, 0, 10, 11));
  assert.throws(() => idx.append(txn(2, 3, 10, 11)), AssertionError);
  assert.throws(() => idx.append(txn(2, 12, 11, 12)), AssertionError, 'a transaction cannot end before it starts');
});

it('collectAbortedTxns: overlaps of [fetchOffset, upperBound), complete once an entry\'s LSO reaches upperBound', () => {
  const idx = new TransactionIndex('/d/x.txnindex', 0);
  idx.append(txn(1, 0, 10, 5)); // another transaction open at 5 when this one aborted
  idx.append(txn(2, 5, 20, 21));
  idx.append(txn(3, 30, 40, 41));
  assert.deepEqual(idx.collectAbortedTxns(11, 15), { abortedTransactions: [txn(2, 5, 20, 21)], isComplete: true },
    'the first entry ends before the fetch; the second overlaps and its LSO shows nothing later can');
  assert.deepEqual(idx.collectAbortedTxns(0, 6).abortedTransactions, [txn(1, 0, 10, 5), txn(2, 5, 20, 21)]);
  assert.deepEqual(idx.collectAbortedTxns(21, 30), { abortedTransactions: [], isComplete: true });
  assert.deepEqual(idx.collectAbortedTxns(35, 50), { abortedTransactions: [txn(3, 30, 40, 41)], isComplete: false },
    'no entry reached the upper bound: a later segment may hold more');
});

it('load refuses a missing, torn or insane file (the caller rebuilds the index)', async () => {
  const fs = new MemoryFileSystem();
  await fs.mkdirp('/d');
  const path = '/d/00000000000000000100.txnindex';
  const check = async (bytes: Buffer | null, nextOffset = 1000): Promise<boolean> => {
    if (bytes === null) await fs.unlink(path).catch(() => undefined);
    else await fs.writeFileAtomic(path, bytes);
    const idx = new TransactionIndex(path, 100);
    const ok = await idx.load(fs, nextOffset);
    if (!ok) assert.equal(idx.entries, 0, 'a rejected index is left empty');
    return ok;
  };
  const good = Buffer.concat([encodeAbortedTxn(txn(1, 90, 120, 121)), encodeAbortedTxn(txn(2, 121, 130, 131))]);
  assert.equal(await check(good), true);
  assert.equal(await check(null), false, 'missing');
  assert.equal(await check(good.subarray(0, 50)), false, 'not whole entries');
  assert.equal(await check(good, 130), false, 'a marker at or beyond the segment end');
  const badVersion = Buffer.from(good);
  badVersion.writeInt16BE(1, 0);
  assert.equal(await check(badVersion), false, 'unknown version');
  assert.equal(await check(Buffer.concat([encodeAbortedTxn(txn(2, 121, 130, 131)), encodeAbortedTxn(txn(1, 90, 120, 121))])), false, 'out of order');
  assert.equal(await check(encodeAbortedTxn(txn(1, 90, 99, 100))), false, 'a marker below the segment base');
  assert.equal(await check(encodeAbortedTxn(txn(1, 125, 120, 121))), false, 'firstOffset after lastOffset');
  assert.equal(await check(encodeAbortedTxn(txn(1, 90, 120, 500))), false, 'a last stable offset beyond the marker');
  assert.equal(await check(Buffer.alloc(34, 0xff)), false, 'garbage');
});
