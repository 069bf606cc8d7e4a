/**
 * Regression (chaos campaign, seed 20261205): a broker restarted while one etcd member was
 * down exited at start-up — its lease grant went to the dead member, the connection reset after
 * the request was sent, and the client treated the grant as a write of unknown outcome instead
 * of trying the next member. A lease granted twice just expires unused, so the grant is retried
 * like a read; a put whose answer is lost is still reported as outcome-unknown.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../../src/base/clock.js';
import { EtcdClient } from '../../src/cluster/etcd/etcd-client.js';
import { parseEtcdConnect } from '../../src/cluster/etcd/etcd-connect.js';
import { EtcdUnavailableError } from '../../src/cluster/etcd/etcd-errors.js';
import { EtcdTransportError, type EtcdTransport } from '../../src/cluster/etcd/etcd-transport.js';

/** A transport whose first member resets every connection after the request went out. */
function transport(calls: string[]): EtcdTransport {
  return {
    async request(endpoint, path) {
      calls.push(`${endpoint.port}${path}`);
      if (endpoint.port === 1) throw new EtcdTransportError('ECONNRESET', true);
      if (path === '/v3/lease/grant') return { status: 200, body: JSON.stringify({ ID: '7587', TTL: '4' }) };
      return { status: 200, body: JSON.stringify({ header: { revision: '9' } }) };
    },
    stream() { throw new Error('no streams here'); },
    close() {},
  };
}

test('issue: a lease grant whose connection reset is retried on the next etcd member; a put is not', async () => {
  const keepAlive = setInterval(() => {}, 1000); // the client's backoff timers are unref'd
  try {
    const calls: string[] = [];
    const endpoints = parseEtcdConnect('127.0.0.1:1,127.0.0.1:2').endpoints;
    const client = new EtcdClient({ endpoints, transport: transport(calls), clock: systemClock, requestTimeoutMs: 2000 });
    const lease = await client.grantLease(4);
    assert.deepEqual([lease.id, calls], ['7587', ['1/v3/lease/grant', '2/v3/lease/grant']]);
    const fresh = new EtcdClient({ endpoints, transport: transport([]), clock: systemClock, requestTimeoutMs: 2000 });
    await assert.rejects(fresh.put('k', 'v'), (e: unknown) => e instanceof EtcdUnavailableError && e.outcomeUnknown);
  } finally {
    clearInterval(keepAlive);
  }
});
