/**
 * Regression (chaos campaign, seed 20261205, finding 8): a broker restarted while an etcd
 * member was dying exited at start-up — a registration txn went to that member, the
 * connection reset after the request was sent, and the "write may have been applied" error
 * ended the start. Start-up writes are compare-and-set txns whose second application is
 * harmless, so they are sent again and their outcome read from the answer: the node.id key
 * bound to the broker's own lease means the lost send was applied. A metadata append whose
 * answer is lost and whose batch is not in etcd is sent again too.
 *
 * Real etcd; a transport in front of it loses the answer of chosen txns, either after
 * passing the request on (applied) or instead of it (not applied).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../../src/base/clock.js';
import { silentLogger } from '../../src/base/logger.js';
import { SeededRandom } from '../../src/base/random.js';
import { EtcdClient } from '../../src/cluster/etcd/etcd-client.js';
import { parseEtcdConnect } from '../../src/cluster/etcd/etcd-connect.js';
import { EtcdTransportError, httpEtcdTransport, type EtcdTransport } from '../../src/cluster/etcd/etcd-transport.js';
import { EtcdBrokerMembership, membershipKeys } from '../../src/cluster/membership/etcd-broker-membership.js';
import { EtcdMetadataStore, metadataKeys } from '../../src/cluster/metadata/etcd-metadata-store.js';
import { etcdAvailable, startEtcd, type TestEtcd } from '../helpers/etcd.js';
import { until } from '../helpers/wait.js';

const skip = etcdAvailable() ? false : 'etcd is not installed';

type Loss = 'applied' | 'not-applied';

/** Real etcd behind a transport that loses the answers of the txns queued in `losses`. */
function lossyTransport(): { transport: EtcdTransport; losses: Loss[]; txns: number } {
  const real = httpEtcdTransport();
  const state = {
    losses: [] as Loss[],
    txns: 0,
    transport: {
      async request(endpoint, path, body, options) {
        if (path !== '/v3/kv/txn') return real.request(endpoint, path, body, options);
        state.txns++;
        const loss = state.losses.shift();
        if (loss === 'not-applied') throw new EtcdTransportError('ECONNRESET', true);
        const response = await real.request(endpoint, path, body, options);
        if (loss === 'applied') throw new EtcdTransportError('ECONNRESET', true);
        return response;
      },
      stream: (endpoint, path, body, handlers, options) => real.stream(endpoint, path, body, handlers, options),
      close: () => real.close(),
    } satisfies EtcdTransport,
  };
  return state;
}

describe('issue: an etcd write whose answer is lost', { skip }, () => {
  let etcd: TestEtcd;
  const hold = setInterval(() => {}, 1000); // the etcd client's timers are unref'd
  before(async () => { etcd = await startEtcd(); });
  after(async () => {
    clearInterval(hold);
    await etcd?.close();
  });

  function client(t: EtcdTransport): EtcdClient {
    return new EtcdClient({ endpoints: parseEtcdConnect(etcd.endpoint).endpoints, transport: t, clock: systemClock, requestTimeoutMs: 3000 });
  }

  test('registration: the node.id claim applied but unanswered is recognised as ours', async () => {
    const lossy = lossyTransport();
    const c = client(lossy.transport);
    const membership = new EtcdBrokerMembership({ client: c, prefix: '/reg', logger: silentLogger, sessionTimeoutMs: 4000 });
    try {
      // The claim (applied, answer lost), then the controller campaign (not applied).
      lossy.losses.push('applied', 'not-applied');
      const started = Date.now();
      await membership.register({ brokerId: 1, host: 'h', port: 1, rack: null });
      assert.ok(Date.now() - started < 3000, 'no wait for "another broker" to let go of node.id 1');
      assert.ok(lossy.txns >= 4, `both txns were sent twice (${lossy.txns} txns)`);
      const key = await c.get(membershipKeys('/reg').broker(1));
      assert.ok(key !== undefined, 'brokers/ids/1 is registered');
      await until('broker 1 to win the controller campaign', () => membership.controllerId() === 1);
      assert.equal(membership.isController(), true);
      assert.deepEqual([...membership.liveBrokers().keys()], [1]);
    } finally {
      await membership.close();
      c.close();
    }
    // close() revoked the one lease: nothing of the attempt stays behind.
    const check = client(httpEtcdTransport());
    assert.equal((await check.range('/reg/', { prefix: true })).kvs.length, 0);
    check.close();
  });

  test('metadata append: the batch not there after a lost answer is sent again, once in the log', async () => {
    const lossy = lossyTransport();
    const c = client(lossy.transport);
    const store = new EtcdMetadataStore({ client: c, prefix: '/md', logger: silentLogger, random: new SeededRandom(1) });
    try {
      await store.load();
      lossy.losses.push('not-applied');
      const image = await store.append([{ type: 'RegisterBrokerRecord', brokerId: 1, rack: null, endpoints: [{ name: 'PLAINTEXT', host: 'h', port: 1 }] }]);
      assert.equal(image.offset, 1);
      lossy.losses.push('applied');
      const image2 = await store.append([{ type: 'RegisterBrokerRecord', brokerId: 2, rack: null, endpoints: [{ name: 'PLAINTEXT', host: 'h', port: 2 }] }]);
      assert.equal(image2.offset, 2);
      assert.equal(lossy.txns, 3, 'the first append was sent twice, the second once (its batch was read back)');
      const log = await c.range(metadataKeys('/md').log, { prefix: true });
      assert.deepEqual(log.kvs.map((kv) => (JSON.parse(kv.value.toString()) as { offset: number }).offset), [0, 1]);
      assert.equal((await c.get(metadataKeys('/md').head))?.value.toString(), '2');
    } finally {
      await store.close();
      c.close();
    }
  });
});
