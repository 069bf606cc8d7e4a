/**
 * EtcdMetadataStore against a real etcd: the MetadataStore contract shared with the file
 * store, then what only a shared store does — several stores on one etcd, compare-and-set
 * conflicts, remote batches in log order exactly once, concurrent writers, and a watch that
 * keeps following the log across an etcd restart.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../../../src/base/clock.js';
import { silentLogger } from '../../../src/base/logger.js';
import { systemRandom } from '../../../src/base/random.js';
import { EtcdClient } from '../../../src/cluster/etcd/etcd-client.js';
import { parseEtcdConnect } from '../../../src/cluster/etcd/etcd-connect.js';
import { httpEtcdTransport, type EtcdStream, type EtcdTransport } from '../../../src/cluster/etcd/etcd-transport.js';
import { EtcdMetadataStore } from '../../../src/cluster/metadata/etcd-metadata-store.js';
import { ControllerFencedError, MetadataConflictError } from '../../../src/cluster/metadata/metadata-store.js';
import type { MetadataImage } from '../../../src/cluster/metadata/metadata-image.js';
import type { MetadataRecord } from '../../../src/cluster/metadata/metadata-records.js';
import { etcdAvailable, startEtcd, type TestEtcd } from '../../helpers/etcd.js';
import { createTopic, metadataStoreContract, topicNames } from '../../helpers/metadata-store-contract.js';

const skip = etcdAvailable() ? false : 'etcd is not installed';
let prefixes = 0;

describe('EtcdMetadataStore', { skip }, () => {
  let etcd: TestEtcd;
  const clients: EtcdClient[] = [];
  before(async () => { etcd = await startEtcd(); });
  after(async () => {
    for (const c of clients) c.close();
    await etcd?.close();
  });

  function newStore(prefix: string, transport: EtcdTransport = httpEtcdTransport()): EtcdMetadataStore {
    const client = new EtcdClient({ endpoints: parseEtcdConnect(etcd.endpoint).endpoints, transport, clock: systemClock, requestTimeoutMs: 20000 });
    clients.push(client);
    return new EtcdMetadataStore({ client, prefix, logger: silentLogger, random: systemRandom, loadPageSize: 2 });
  }

  /** A store plus every remote batch it reported, and a way to wait for its image. */
  function watched(prefix: string, transport?: EtcdTransport) {
    const store = newStore(prefix, transport);
    const remote: { records: readonly MetadataRecord[]; offset: number }[] = [];
    let waiters: { offset: number; resolve: () => void }[] = [];
    let image: MetadataImage | null = null;
    store.onRemoteRecords((records, img) => {
      remote.push({ records, offset: img.offset });
      image = img;
      waiters = waiters.filter((w) => (img.offset >= w.offset ? (w.resolve(), false) : true));
    });
    return {
      store, remote,
      get image() { return image; },
      reach(offset: number): Promise<void> {
        if (store.offset >= offset) return Promise.resolve();
        return new Promise((resolve) => waiters.push({ offset, resolve }));
      },
    };
  }

  metadataStoreContract(async () => {
    const prefix = `/contract${prefixes++}`;
    return { open: () => newStore(prefix) };
  });

  test('a second store sees the first one\'s batches, in order, once each; never its own', async () => {
    const a = watched('/two');
    const b = watched('/two');
    await a.store.load();
    await b.store.load();
    await a.store.append(createTopic(1));
    await a.store.append(createTopic(2, 2));
    await b.reach(5);
    assert.deepEqual(b.remote.map((r) => r.offset), [2, 5]);
    assert.deepEqual(topicNames(b.image!), ['t1', 't2']);
    await b.store.append(createTopic(3), 5);
    await a.reach(7);
    assert.deepEqual(a.remote.map((r) => r.offset), [7], 'a hears only b\'s batch');
    assert.deepEqual(b.remote.map((r) => r.offset), [2, 5], 'b never hears its own');
    // A store loaded later starts from the whole log (paged: loadPageSize is 2).
    const c = newStore('/two');
    assert.deepEqual(topicNames(await c.load()), ['t1', 't2', 't3']);
    for (const s of [a.store, b.store, c]) await s.close();
  });

  test('compare-and-set: an append planned at an old offset is refused and writes nothing', async () => {
    const a = watched('/cas');
    const b = watched('/cas');
    await a.store.load();
    await b.store.load();
    await a.store.append(createTopic(1), 0);
    // b planned at 0 too; whether or not it has seen a's batch yet, its append must fail.
    await assert.rejects(b.store.append(createTopic(2), 0), (e: unknown) => e instanceof MetadataConflictError && e.expectedOffset === 0 && e.actualOffset === 2);
    await b.reach(2);
    await b.store.append(createTopic(2), 2);
    const fresh = newStore('/cas');
    assert.deepEqual(topicNames(await fresh.load()), ['t1', 't2']);
    for (const s of [a.store, b.store, fresh]) await s.close();
  });

  test('controller fencing: an append fenced on a controller epoch that is no longer current writes nothing', async () => {
    const a = watched('/fence');
    await a.store.load();
    const client = new EtcdClient({ endpoints: parseEtcdConnect(etcd.endpoint).endpoints, transport: httpEtcdTransport(), clock: systemClock });
    clients.push(client);
    const key = '/fence/controller';
    await client.put(key, '{"brokerId":1}');
    const epoch1 = (await client.get(key))!.createRevision;
    a.store.fenceNextAppend({ key, controllerEpoch: epoch1 });
    await a.store.append(createTopic(1), 0);
    // Deposed: the key went with the old controller's session and another broker created it.
    await client.deleteRange(key);
    await client.put(key, '{"brokerId":2}');
    const epoch2 = (await client.get(key))!.createRevision;
    a.store.fenceNextAppend({ key, controllerEpoch: epoch1 });
    await assert.rejects(a.store.append(createTopic(2), 2), (e: unknown) => e instanceof ControllerFencedError && e.plannedEpoch === epoch1 && e.currentEpoch === epoch2);
    // The key absent altogether (no controller) fences too.
    await client.deleteRange(key);
    a.store.fenceNextAppend({ key, controllerEpoch: epoch2 });
    await assert.rejects(a.store.append(createTopic(2), 2), (e: unknown) => e instanceof ControllerFencedError && e.currentEpoch === -1);
    // The fence applies to one append only; an unfenced append goes through.
    await a.store.append(createTopic(2), 2);
    const fresh = newStore('/fence');
    assert.deepEqual(topicNames(await fresh.load()), ['t1', 't2']);
    for (const s of [a.store, fresh]) await s.close();
  });

  test('concurrent writers: every batch lands once, every store ends with the same log', async () => {
    const stores = [watched('/many'), watched('/many'), watched('/many')];
    for (const s of stores) await s.store.load();
    const perWriter = 8;
    let conflicts = 0;
    await Promise.all(stores.map(async (s, w) => {
      for (let i = 0; i < perWriter; i++) {
        for (;;) {
          const at = s.store.offset;
          try {
            await s.store.append(createTopic(w * 100 + i), at);
            break;
          } catch (err) {
            if (!(err instanceof MetadataConflictError)) throw err;
            conflicts++;
            await s.reach(err.actualOffset);
          }
        }
      }
    }));
    const total = stores.length * perWriter * 2;
    for (const s of stores) await s.reach(total);
    const names = topicNames((await newStore('/many').load()));
    assert.equal(names.length, stores.length * perWriter);
    for (const s of stores) {
      assert.equal(s.store.offset, total);
      assert.equal(s.store.stats.ownBatches + s.store.stats.remoteBatches, stores.length * perWriter);
      const offsets = s.remote.map((r) => r.offset);
      assert.deepEqual(offsets, [...offsets].sort((x, y) => x - y), 'remote batches in log order');
    }
    assert.ok(conflicts >= 0);
  });

  test('the watch follows the log across an etcd restart', async () => {
    const a = watched('/restart');
    const b = watched('/restart');
    await a.store.load();
    await b.store.load();
    await a.store.append(createTopic(1));
    await b.reach(2);
    await etcd.stop();
    await etcd.restart();
    await a.store.append(createTopic(2));
    await a.store.append(createTopic(3));
    await b.reach(6);
    assert.deepEqual(b.remote.map((r) => r.offset), [2, 4, 6]);
    assert.deepEqual(topicNames(b.image!), ['t1', 't2', 't3']);
    await a.store.close();
    await b.store.close();
  });

  test('a watch that resumes at a compacted revision re-reads the log and delivers what it missed, once, in order', async () => {
    // B's watch streams go through a switch: while cut, they end at once (as if etcd were unreachable).
    const real = httpEtcdTransport();
    let cut = false;
    const open = new Set<EtcdStream>();
    const switched: EtcdTransport = {
      request: (e, path, body, o) => real.request(e, path, body, o),
      stream(e, path, body, handlers, o) {
        if (cut) {
          setImmediate(() => handlers.onEnd(new Error('cut')));
          return { close() {}, pause() {}, resume() {} };
        }
        const st = real.stream(e, path, body, { ...handlers, onEnd: (err) => { open.delete(st); handlers.onEnd(err); } }, o);
        open.add(st);
        return st;
      },
      close: () => real.close(),
    };
    const a = watched('/compact');
    const b = watched('/compact', switched);
    await a.store.load();
    await b.store.load();
    await a.store.append(createTopic(1));
    await b.reach(2);
    cut = true;
    for (const st of [...open]) st.close();
    await a.store.append(createTopic(2));
    await a.store.append(createTopic(3));
    const head = await clients[0]!.get('/compact/metadata/head');
    const res = await fetch(`http://${etcd.endpoint}/v3/kv/compaction`, { method: 'POST', body: JSON.stringify({ revision: String(head!.modRevision), physical: true }) });
    assert.equal(res.status, 200);
    cut = false;
    await b.reach(6);
    assert.equal(b.store.stats.reloads, 1, 'the compacted watch made it re-read the log');
    assert.deepEqual(b.remote.map((r) => r.offset), [2, 6], 'what it missed arrives as one change');
    assert.deepEqual(b.remote[1]!.records.filter((r) => r.type === 'TopicRecord').map((r) => (r as { name: string }).name), ['t2', 't3']);
    assert.deepEqual(topicNames(b.image!), ['t1', 't2', 't3']);
    // And it follows the log afterwards.
    await a.store.append(createTopic(4));
    await b.reach(8);
    assert.deepEqual(b.remote.map((r) => r.offset), [2, 6, 8]);
    await a.store.close();
    await b.store.close();
  });
});
