/**
 * The BrokerMembership contract (src/cluster/membership/broker-membership.ts) as tests, run
 * against the etcd membership (test/e2e/etcd/) and the in-memory one (test/unit/cluster/
 * membership/). A `MembershipEnv` makes members of one cluster and can end a member's session
 * the way a crash does (no clean close; for etcd: the lease is left to expire).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BrokerMembership, LiveBroker } from '../../src/cluster/membership/broker-membership.js';
import { DuplicateBrokerIdError } from '../../src/cluster/etcd/etcd-errors.js';

export interface MembershipEnv {
  member(): BrokerMembership;
  /** Ends `m`'s session as a crash would; `m` does not come back. */
  crash(m: BrokerMembership): Promise<void>;
  close(): Promise<void>;
}

export const brokerInfo = (id: number, rack: string | null = null): LiveBroker => ({ brokerId: id, host: '127.0.0.1', port: 9000 + id, rack });

/** Resolves once `pred()` holds, re-checking whenever `m` reports a change. */
export function until(m: BrokerMembership, pred: () => boolean, what = 'condition', timeoutMs = 30000): Promise<void> {
  if (pred()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => { done = true; reject(new Error(`timed out waiting for ${what}`)); }, timeoutMs);
    const check = () => {
      if (done || !pred()) return;
      done = true;
      clearTimeout(timer);
      resolve();
    };
    m.addListener({ brokersChanged: check, controllerChanged: check, sessionLost: check });
  });
}

const ids = (m: BrokerMembership) => [...m.liveBrokers().keys()].sort((a, b) => a - b);

export function membershipContract(newEnv: () => Promise<MembershipEnv>): void {
  test('contract: every member sees every live broker and the same single controller', async () => {
    const env = await newEnv();
    try {
      const ms = [1, 2, 3].map(() => env.member());
      await Promise.all(ms.map((m, i) => m.register(brokerInfo(i + 1, `rack${i}`))));
      for (const m of ms) await until(m, () => ids(m).length === 3 && m.controllerId() !== -1, 'three brokers and a controller');
      const controller = ms[0]!.controllerId();
      assert.ok([1, 2, 3].includes(controller));
      for (const m of ms) {
        assert.deepEqual(ids(m), [1, 2, 3]);
        assert.equal(m.controllerId(), controller);
        assert.equal(m.controllerEpoch(), ms[0]!.controllerEpoch());
        assert.deepEqual(m.liveBrokers().get(2), brokerInfo(2, 'rack1'));
      }
      assert.equal(ms.filter((m) => m.isController()).length, 1);
      for (const m of ms) await m.close();
    } finally {
      await env.close();
    }
  });

  test('contract: the controller crashes; its session ends and another broker takes over with a higher epoch', async () => {
    const env = await newEnv();
    try {
      const ms = [1, 2, 3].map(() => env.member());
      for (const [i, m] of ms.entries()) await m.register(brokerInfo(i + 1));
      for (const m of ms) await until(m, () => ids(m).length === 3 && m.controllerId() !== -1, 'three brokers and a controller');
      const old = ms.find((m) => m.isController())!;
      const oldId = old.controllerId();
      const oldEpoch = old.controllerEpoch();
      await env.crash(old);
      const rest = ms.filter((m) => m !== old);
      for (const m of rest) {
        await until(m, () => !m.liveBrokers().has(oldId) && m.controllerId() !== -1 && m.controllerId() !== oldId, 'a new controller');
        assert.ok(m.controllerEpoch() > oldEpoch, `epoch ${m.controllerEpoch()} > ${oldEpoch}`);
      }
      assert.equal(rest[0]!.controllerId(), rest[1]!.controllerId());
      assert.equal(rest.filter((m) => m.isController()).length, 1);
      for (const m of ms) await m.close();
    } finally {
      await env.close();
    }
  });

  test('contract: a clean close leaves at once; a live duplicate node id is refused', async () => {
    const env = await newEnv();
    try {
      const a = env.member();
      const b = env.member();
      await a.register(brokerInfo(1));
      await b.register(brokerInfo(2));
      await until(b, () => ids(b).length === 2, 'two brokers');
      const dup = env.member();
      await assert.rejects(dup.register(brokerInfo(1)), DuplicateBrokerIdError);
      await dup.close();
      await a.close();
      await until(b, () => ids(b).length === 1 && b.controllerId() === 2, 'b alone and controller');
      assert.equal(b.isController(), true);
      await b.close();
    } finally {
      await env.close();
    }
  });
}
