/**
 * EtcdBrokerMembership against a real etcd: the BrokerMembership contract (shared with the
 * in-memory membership), plus what only sessions in etcd do — a crashed broker's registration
 * expires after the session timeout, a restarted broker with the same id waits it out, and a
 * broker whose lease vanished hears sessionLost and registers again.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../../../src/base/clock.js';
import { silentLogger } from '../../../src/base/logger.js';
import { EtcdClient } from '../../../src/cluster/etcd/etcd-client.js';
import { parseEtcdConnect } from '../../../src/cluster/etcd/etcd-connect.js';
import { httpEtcdTransport } from '../../../src/cluster/etcd/etcd-transport.js';
import { EtcdBrokerMembership, membershipKeys } from '../../../src/cluster/membership/etcd-broker-membership.js';
import type { BrokerMembership } from '../../../src/cluster/membership/broker-membership.js';
import { etcdAvailable, startEtcd, type TestEtcd } from '../../helpers/etcd.js';
import { brokerInfo, membershipContract, until } from '../../helpers/membership-contract.js';

const skip = etcdAvailable() ? false : 'etcd is not installed';
/** etcd's smallest useful lease; the tests wait for expiries of about this long. */
const SESSION_MS = 2000;
let prefixes = 0;

describe('EtcdBrokerMembership', { skip }, () => {
  let etcd: TestEtcd;
  before(async () => { etcd = await startEtcd(); });
  after(async () => { await etcd?.close(); });

  function env(prefix = `/m${prefixes++}`) {
    const clients = new Map<BrokerMembership, EtcdClient>();
    return {
      prefix,
      member(): BrokerMembership {
        const client = new EtcdClient({ endpoints: parseEtcdConnect(etcd.endpoint).endpoints, transport: httpEtcdTransport(), clock: systemClock });
        const m = new EtcdBrokerMembership({ client, prefix, logger: silentLogger, sessionTimeoutMs: SESSION_MS });
        clients.set(m, client);
        return m;
      },
      /** The process is gone: its client stops talking, its lease is left to expire. */
      async crash(m: BrokerMembership) {
        clients.get(m)!.close();
      },
      async close() {
        for (const [m, c] of clients) {
          await m.close().catch(() => {});
          c.close();
        }
      },
    };
  }

  membershipContract(async () => env());

  test('a broker restarted with the same id after a crash waits out the old registration', async () => {
    const e = env();
    try {
      const a = e.member();
      const b = e.member();
      await a.register(brokerInfo(1));
      await b.register(brokerInfo(2));
      await until(b, () => b.liveBrokers().size === 2, 'two brokers');
      await e.crash(a);
      const started = Date.now();
      const a2 = e.member();
      await a2.register(brokerInfo(1, 'r2'));
      assert.ok(Date.now() - started >= SESSION_MS / 2, 'it had to wait for the lease to expire');
      await until(b, () => b.liveBrokers().get(1)?.rack === 'r2', 'the new registration');
    } finally {
      await e.close();
    }
  });

  test('a broker whose lease is revoked behind its back hears sessionLost and registers again', async () => {
    const e = env();
    const admin = new EtcdClient({ endpoints: parseEtcdConnect(etcd.endpoint).endpoints, transport: httpEtcdTransport(), clock: systemClock });
    try {
      const a = e.member();
      await a.register(brokerInfo(1));
      await until(a, () => a.isController(), 'a controller');
      const epoch = a.controllerEpoch();
      const lost: string[] = [];
      a.addListener({ sessionLost: (r) => lost.push(r) });
      const kv = await admin.get(membershipKeys(e.prefix).broker(1));
      await admin.revokeLease(kv!.lease);
      await until(a, () => lost.length === 1, 'sessionLost');
      assert.equal(a.isController(), false, 'no longer controller the moment the session is lost');
      await until(a, () => a.isController() && a.liveBrokers().has(1), 'registered and controller again');
      assert.ok(a.controllerEpoch() > epoch);
      const again = await admin.get(membershipKeys(e.prefix).broker(1));
      assert.notEqual(again!.lease, kv!.lease, 'a new session');
    } finally {
      admin.close();
      await e.close();
    }
  });
});
