// Producer ids: unique under concurrency, blocks prefetched before they run out, and never
// reused across restarts (the block is in the metadata journal before an id of it is used).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryFileSystem } from '../../../src/base/file-system.js';
import { SeededRandom } from '../../../src/base/random.js';
import { silentLogger } from '../../../src/base/logger.js';
import { BrokerConfig } from '../../../src/server/config.js';
import { TopicManager } from '../../../src/cluster/topic-manager.js';
import { FileMetadataStore } from '../../../src/cluster/metadata/file-metadata-store.js';
import { BlockProducerIdManager, ProducerIdsUnavailableError } from '../../../src/cluster/producer-id-manager.js';

test('ids are unique under concurrency; the next block is fetched at 90% of the current one', async () => {
  const allocations: number[] = [];
  let next = 0;
  const source = {
    async allocateProducerIdBlock(_broker: number, size: number) {
      await new Promise((r) => setImmediate(r));
      allocations.push(next);
      const first = next;
      next += size;
      return { firstProducerId: first, size };
    },
  };
  const m = new BlockProducerIdManager(1, source, silentLogger, 10);
  const ids = await Promise.all(Array.from({ length: 35 }, () => m.generateProducerId()));
  assert.equal(new Set(ids).size, 35);
  assert.deepEqual([...ids].sort((a, b) => a - b), Array.from({ length: 35 }, (_, i) => i));
  assert.ok(allocations.length >= 4 && allocations.length <= 5, `blocks fetched: ${allocations}`);
  // Sequential use prefetches: the 10th id of a block never waits for a fetch.
  const m2 = new BlockProducerIdManager(1, source, silentLogger, 10);
  for (let i = 0; i < 9; i++) await m2.generateProducerId();
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  const before = allocations.length;
  await m2.generateProducerId();
  await m2.generateProducerId();
  assert.equal(allocations.length, before, 'the block after the 90% mark was already there');
});

test('a failing source answers ProducerIdsUnavailableError, and works again afterwards', async () => {
  let fail = true;
  const m = new BlockProducerIdManager(1, { async allocateProducerIdBlock(_b, size) { if (fail) throw new Error('store down'); return { firstProducerId: 5, size }; } }, silentLogger, 10);
  await assert.rejects(m.generateProducerId(), ProducerIdsUnavailableError);
  fail = false;
  assert.equal(await m.generateProducerId(), 5);
});

test('blocks come from the metadata journal: a restart never hands out an id twice', async () => {
  const fs = new MemoryFileSystem();
  await fs.mkdirp('/data');
  const open = async () => {
    const config = BrokerConfig.fromProperties({ 'log.dirs': '/data' });
    const store = new FileMetadataStore({ fs, logDir: '/data', logger: silentLogger, nodeId: 1 });
    const topics = await TopicManager.open({ store, config, random: new SeededRandom(1), logger: silentLogger, nodeId: 1, rack: null });
    return { topics, ids: new BlockProducerIdManager(1, topics, silentLogger, 100) };
  };
  const first = await open();
  const seen = new Set<number>();
  for (let i = 0; i < 150; i++) seen.add(await first.ids.generateProducerId());
  fs.crash();
  const second = await open();
  for (let i = 0; i < 150; i++) {
    const id = await second.ids.generateProducerId();
    assert.ok(!seen.has(id), `id ${id} handed out twice`);
    seen.add(id);
  }
  assert.ok(second.topics.image.nextProducerId() >= 400);
});

test('warmUp fetches a first block, so ids are served later while the source is down; a failed warm-up is retried on use', async () => {
  let up = true;
  let calls = 0;
  const source = {
    async allocateProducerIdBlock(_broker: number, size: number) {
      calls++;
      if (!up) throw new Error('etcd unreachable');
      return { firstProducerId: 5000, size };
    },
  };
  const m = new BlockProducerIdManager(1, source, silentLogger, 10);
  m.warmUp();
  m.warmUp(); // one fetch at a time
  await new Promise((r) => setImmediate(r));
  assert.equal(calls, 1);
  up = false;
  assert.equal(await m.generateProducerId(), 5000, 'served from the warmed-up block with the source down');
  // A broker whose warm-up failed asks again on first use.
  const cold = new BlockProducerIdManager(2, source, silentLogger, 10);
  cold.warmUp();
  await new Promise((r) => setImmediate(r));
  await assert.rejects(cold.generateProducerId(), ProducerIdsUnavailableError);
  up = true;
  assert.equal(await cold.generateProducerId(), 5000);
});
