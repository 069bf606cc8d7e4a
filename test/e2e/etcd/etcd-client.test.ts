/**
 * The etcd client against a real etcd (test/helpers/etcd.ts): KV, compare-and-set txns,
 * leases, watches (including one that lives through an etcd restart and one that hits a
 * compacted revision).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../../../src/base/clock.js';
import { EtcdClient } from '../../../src/cluster/etcd/etcd-client.js';
import { parseEtcdConnect } from '../../../src/cluster/etcd/etcd-connect.js';
import { EtcdCompactedError, EtcdLeaseNotFoundError, EtcdUnavailableError } from '../../../src/cluster/etcd/etcd-errors.js';
import { httpEtcdTransport } from '../../../src/cluster/etcd/etcd-transport.js';
import type { WatchEvent } from '../../../src/cluster/etcd/etcd-watch.js';
import { etcdAvailable, startEtcd, type TestEtcd } from '../../helpers/etcd.js';
import { freePort } from '../../helpers/broker.js';

const skip = etcdAvailable() ? false : 'etcd is not installed';

function clientFor(endpoint: string, requestTimeoutMs = 5000): EtcdClient {
  return new EtcdClient({ endpoints: parseEtcdConnect(endpoint).endpoints, transport: httpEtcdTransport(), clock: systemClock, requestTimeoutMs });
}

/** Resolves once `pred` holds for the events seen so far. */
function collector() {
  const seen: WatchEvent[] = [];
  let waiters: { pred: (e: WatchEvent[]) => boolean; resolve: () => void }[] = [];
  return {
    seen,
    push(events: readonly WatchEvent[]) {
      seen.push(...events);
      waiters = waiters.filter((w) => (w.pred(seen) ? (w.resolve(), false) : true));
    },
    until(pred: (e: WatchEvent[]) => boolean): Promise<void> {
      if (pred(seen)) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ pred, resolve }));
    },
  };
}

describe('EtcdClient', { skip }, () => {
  let etcd: TestEtcd;
  let client: EtcdClient;
  before(async () => {
    etcd = await startEtcd();
    client = clientFor(etcd.endpoint);
  });
  after(async () => {
    client?.close();
    await etcd?.close();
  });

  test('put, get, range by prefix, delete', async () => {
    await client.put('/t1/a', 'one');
    await client.put('/t1/b', Buffer.from([0, 1, 2]));
    await client.put('/t1x', 'outside');
    assert.equal((await client.get('/t1/a'))!.value.toString(), 'one');
    assert.equal(await client.get('/t1/none'), undefined);
    const r = await client.range('/t1/', { prefix: true });
    assert.deepEqual(r.kvs.map((kv) => kv.key), ['/t1/a', '/t1/b']);
    assert.deepEqual(r.kvs[1]!.value, Buffer.from([0, 1, 2]));
    assert.equal(r.count, 2);
    assert.ok(r.revision >= r.kvs[1]!.modRevision);
    assert.equal((await client.range('/t1/', { prefix: true, countOnly: true })).count, 2);
    const limited = await client.range('/t1/', { prefix: true, limit: 1 });
    assert.equal(limited.kvs.length, 1);
    assert.equal(limited.more, true);
    assert.equal((await client.deleteRange('/t1/', { prefix: true })).deleted, 2);
    assert.equal((await client.range('/t1/', { prefix: true })).count, 0);
  });

  test('txn: compare-and-set on value, version and mod revision', async () => {
    const created = await client.txn({
      compare: [{ key: '/t2/head', target: 'VERSION', result: 'EQUAL', value: 0 }],
      success: [{ put: { key: '/t2/head', value: '1' } }],
    });
    assert.equal(created.succeeded, true);
    const again = await client.txn({
      compare: [{ key: '/t2/head', target: 'VERSION', result: 'EQUAL', value: 0 }],
      success: [{ put: { key: '/t2/head', value: 'x' } }],
      failure: [{ range: { key: '/t2/head' } }],
    });
    assert.equal(again.succeeded, false);
    const seen = again.responses[0]!;
    assert.ok('range' in seen);
    assert.equal(seen.range.kvs[0]!.value.toString(), '1');
    const cas = await client.txn({
      compare: [{ key: '/t2/head', target: 'VALUE', result: 'EQUAL', value: '1' }, { key: '/t2/head', target: 'MOD', result: 'EQUAL', value: created.revision }],
      success: [{ put: { key: '/t2/head', value: '2' } }, { put: { key: '/t2/log/1', value: 'batch' } }],
    });
    assert.equal(cas.succeeded, true);
    assert.equal((await client.get('/t2/head'))!.value.toString(), '2');
    assert.equal((await client.get('/t2/log/1'))!.modRevision, cas.revision);
  });

  test('leases: keys bound to a lease vanish when it is revoked or expires', async () => {
    const lease = await client.grantLease(60);
    assert.equal(lease.ttlSeconds, 60);
    await client.put('/t3/k', 'v', { lease: lease.id });
    assert.equal((await client.get('/t3/k'))!.lease, lease.id);
    assert.ok((await client.keepAliveOnce(lease.id)) > 0);
    await client.revokeLease(lease.id);
    assert.equal(await client.get('/t3/k'), undefined);
    await assert.rejects(client.keepAliveOnce(lease.id), EtcdLeaseNotFoundError);
    await client.revokeLease(lease.id); // already gone: fine
    await assert.rejects(client.put('/t3/k', 'v', { lease: lease.id }), EtcdLeaseNotFoundError);

    const short = await client.grantLease(1);
    await client.put('/t3/short', 'v', { lease: short.id });
    const c = collector();
    const w = client.watch({ key: '/t3/short', startRevision: 0, onEvents: (e) => c.push(e), onError: assert.fail });
    await c.until((e) => e.some((x) => x.type === 'DELETE'));
    w.close();
  });

  test('watch: history from a revision, then live events, each once and in order', async () => {
    const first = await client.put('/t4/a', '1');
    await client.put('/t4/b', '2');
    const c = collector();
    const w = client.watch({ key: '/t4/', prefix: true, startRevision: first.revision, onEvents: (e) => c.push(e), onError: assert.fail });
    await client.put('/t4/a', '3');
    await client.deleteRange('/t4/b');
    await c.until((e) => e.length === 4);
    assert.deepEqual(c.seen.map((e) => `${e.type} ${e.kv.key} ${e.kv.value.toString()}`), ['PUT /t4/a 1', 'PUT /t4/b 2', 'PUT /t4/a 3', 'DELETE /t4/b ']);
    const revisions = c.seen.map((e) => e.kv.modRevision);
    assert.deepEqual(revisions, [...revisions].sort((a, b) => a - b));
    w.close();
  });

  test('watch: a compacted start revision ends the watch with EtcdCompactedError', async () => {
    const r1 = await client.put('/t5/a', '1');
    const r2 = await client.put('/t5/a', '2');
    await client.put('/t5/a', '3');
    // Compaction through the gateway directly: the client has no use for it.
    const res = await fetch(`http://${etcd.endpoint}/v3/kv/compaction`, { method: 'POST', body: JSON.stringify({ revision: String(r2.revision + 1), physical: true }) });
    assert.equal(res.status, 200);
    const err = await new Promise<Error>((resolve) => {
      client.watch({ key: '/t5/a', startRevision: r1.revision, onEvents: () => assert.fail('no events expected'), onError: resolve });
    });
    assert.ok(err instanceof EtcdCompactedError);
    assert.equal(err.compactRevision, r2.revision + 1);
  });
});

describe('EtcdClient across an etcd restart', { skip }, () => {
  test('a watch reconnects and delivers what changed while etcd was down, exactly once', async () => {
    const etcd = await startEtcd();
    const client = clientFor(etcd.endpoint, 20000);
    try {
      const start = await client.put('/r/a', '0');
      const c = collector();
      let connects = 0;
      let disconnects = 0;
      const w = client.watch({
        key: '/r/', prefix: true, startRevision: start.revision, onEvents: (e) => c.push(e), onError: assert.fail,
        onConnected: () => { connects++; }, onDisconnected: () => { disconnects++; },
      });
      await c.until((e) => e.length === 1);
      await etcd.stop();
      await etcd.restart();
      // The put retries until etcd answers; the watch reopens from the revision after '0'.
      await client.put('/r/a', '1');
      await client.put('/r/b', '2');
      await c.until((e) => e.length === 3);
      assert.deepEqual(c.seen.map((e) => e.kv.value.toString()), ['0', '1', '2']);
      assert.ok(disconnects >= 1, 'the stream broke');
      assert.ok(connects >= 2, 'and was opened again');
      w.close();
    } finally {
      client.close();
      await etcd.close();
    }
  });

  test('no etcd: a request fails with EtcdUnavailableError at its deadline', async () => {
    const client = clientFor(`127.0.0.1:${await freePort()}`, 300);
    // systemClock's timers do not hold the process open; nothing else does here.
    const hold = setInterval(() => {}, 1000);
    try {
      await assert.rejects(client.get('/x'), EtcdUnavailableError);
      await assert.rejects(client.put('/x', 'v'), (e: unknown) => e instanceof EtcdUnavailableError && !e.outcomeUnknown);
    } finally {
      clearInterval(hold);
      client.close();
    }
  });
});
