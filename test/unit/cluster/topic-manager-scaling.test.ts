/**
 * One topic change must cost the same with 2,000 topics as with 10: the old TopicManager
 * rewrote the whole metadata file on every change, so creating topics one request at a time
 * slowed from 8 ms to 38 ms per topic by the 10,000th, and deleting 10,000 took 458 s. Now a
 * change is one journal append plus an O(log N) image update. (bench/metadata-topics.mjs
 * measures the same at 10,000 topics against a real broker.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryFileSystem } from '../../../src/base/file-system.js';
import { SeededRandom } from '../../../src/base/random.js';
import { silentLogger } from '../../../src/base/logger.js';
import { BrokerConfig } from '../../../src/server/config.js';
import { TopicManager } from '../../../src/cluster/topic-manager.js';
import { FileMetadataStore, type FileMetadataStoreOptions } from '../../../src/cluster/metadata/file-metadata-store.js';

const N = 2000;
const QUARTER = N / 4;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Per-topic times (ms) of creating then deleting N topics, one change each. */
export async function churn(storeOptions: Partial<FileMetadataStoreOptions> = {}): Promise<{ create: number[]; delete: number[] }> {
  const fs = new MemoryFileSystem();
  await fs.mkdirp('/data');
  const store = new FileMetadataStore({ fs, logDir: '/data', logger: silentLogger, nodeId: 1, ...storeOptions });
  const topics = await TopicManager.open({
    store, config: BrokerConfig.fromProperties({ 'log.dirs': '/data' }), random: new SeededRandom(1), logger: silentLogger, nodeId: 1,
  });
  const create: number[] = [];
  const del: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    const r = await topics.create({ name: `topic-${i}`, numPartitions: 1, replicationFactor: 1, configs: { 'retention.ms': '60000' } });
    create.push(performance.now() - t0);
    assert.equal(r.errorCode, 0);
  }
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    const r = await topics.delete(`topic-${i}`);
    del.push(performance.now() - t0);
    assert.equal(r.errorCode, 0);
  }
  await topics.close();
  return { create, delete: del };
}

function ratio(times: number[]): { first: number; last: number; ratio: number } {
  const first = median(times.slice(0, QUARTER));
  const last = median(times.slice(-QUARTER));
  return { first, last, ratio: last / first };
}

test(`the cost of one topic change does not grow with the number of topics (${N} created, then deleted)`, { timeout: 120_000 }, async () => {
  await churn(); // warm up the JIT
  const run = await churn();
  // Medians per quarter, so a GC pause does not decide. A cost linear in the topic count shows
  // as a ratio of several: snapshotting the whole image on every change (snapshotIntervalRecords
  // 1) measured 9x for creates. Deletes start with every topic present, so an O(N) delete is
  // slow in its first quarter and fast in its last: compare it with the creates' first quarter
  // (taken with few topics) as well.
  const c = ratio(run.create);
  const d = ratio(run.delete);
  const show = (r: typeof c) => `first quarter ${r.first.toFixed(3)} ms/topic, last quarter ${r.last.toFixed(3)} ms/topic (${r.ratio.toFixed(2)}x)`;
  assert.ok(c.ratio < 2.5 || c.last - c.first < 0.05, `create: ${show(c)}`);
  assert.ok(d.ratio < 2.5 || d.last - d.first < 0.05, `delete: ${show(d)}`);
  assert.ok(d.first < 2.5 * c.first || d.first - c.first < 0.05, `delete with ${N} topics ${d.first.toFixed(3)} ms/topic vs create with few ${c.first.toFixed(3)} ms/topic`);
});
