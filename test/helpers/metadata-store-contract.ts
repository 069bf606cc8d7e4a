/**
 * The MetadataStore contract (src/cluster/metadata/metadata-store.ts) as tests, run against
 * every store: the single broker's FileMetadataStore (test/unit/cluster/metadata/) and the
 * cluster's EtcdMetadataStore (test/e2e/etcd/). `open()` returns a fresh store over the same
 * durable state each time it is called within one test; `fresh()` starts a new, empty state.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MetadataStore } from '../../src/cluster/metadata/metadata-store.js';
import type { MetadataRecord } from '../../src/cluster/metadata/metadata-records.js';
import type { MetadataImage } from '../../src/cluster/metadata/metadata-image.js';

export interface StoreEnv {
  open(): MetadataStore;
}

export const topicId = (n: number): Buffer => {
  const b = Buffer.alloc(16);
  b.writeUInt32BE(n + 1, 12);
  return b;
};

/** A CreateTopics-like batch: topic `t<n>` with `partitions` partitions on broker 1. */
export function createTopic(n: number, partitions = 1, replicas: number[] = [1]): MetadataRecord[] {
  const out: MetadataRecord[] = [{ type: 'TopicRecord', name: `t${n}`, topicId: topicId(n) }];
  for (let p = 0; p < partitions; p++) {
    out.push({ type: 'PartitionRecord', topicId: topicId(n), partitionId: p, replicas, isr: replicas, leader: replicas[0]!, leaderEpoch: 0, partitionEpoch: 0 });
  }
  return out;
}

export function topicNames(image: MetadataImage): string[] {
  return [...image.topics()].map((t) => t.name).sort();
}

export function metadataStoreContract(fresh: () => Promise<StoreEnv>): void {
  test('contract: an empty store loads at offset 0; appends survive a reopen', async () => {
    const env = await fresh();
    const s = env.open();
    assert.equal((await s.load()).offset, 0);
    await s.append(createTopic(1, 3));
    const image = await s.append([...createTopic(2), { type: 'ConfigRecord', resourceType: 'topic', resourceName: 't2', name: 'retention.ms', value: '5' }]);
    assert.equal(image.offset, 4 + 3);
    await s.close();
    const again = env.open();
    const loaded = await again.load();
    assert.equal(loaded.offset, 7);
    assert.deepEqual(topicNames(loaded), ['t1', 't2']);
    assert.deepEqual(loaded.topic('t2')!.configs, { 'retention.ms': '5' });
    assert.equal(loaded.topic('t1')!.partitions.length, 3);
    await again.close();
  });

  test('contract: an empty change writes nothing and returns the same image', async () => {
    const env = await fresh();
    const s = env.open();
    await s.load();
    const image = await s.append(createTopic(1));
    assert.equal(await s.append([]), image);
    await s.close();
  });

  test('contract: records that do not replay are refused and nothing is written', async () => {
    const env = await fresh();
    const s = env.open();
    await s.load();
    await s.append(createTopic(1));
    await assert.rejects(s.append([{ type: 'PartitionChangeRecord', topicId: topicId(9), partitionId: 0, leader: 2 }]));
    const image = await s.append(createTopic(2));
    assert.equal(image.offset, 4);
    await s.close();
    const again = env.open();
    assert.deepEqual(topicNames(await again.load()), ['t1', 't2']);
    await again.close();
  });
}
