import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryMembershipGroup, type MemoryBrokerMembership } from '../../../../src/cluster/membership/memory-broker-membership.js';
import { brokerInfo, membershipContract } from '../../../helpers/membership-contract.js';

describe('MemoryBrokerMembership', () => {
  membershipContract(async () => {
    const group = new MemoryMembershipGroup();
    return {
      member: () => group.member(),
      crash: async (m) => group.expire((m as MemoryBrokerMembership).self!.brokerId, { rejoin: false }),
      close: async () => {},
    };
  });

  test('an expired session is told, and the broker registers again', async () => {
    const group = new MemoryMembershipGroup();
    const a = group.member();
    const b = group.member();
    await a.register(brokerInfo(1));
    await b.register(brokerInfo(2));
    const lost: string[] = [];
    a.addListener({ sessionLost: (r) => lost.push(r) });
    assert.equal(a.isController(), true);
    group.expire(1);
    assert.equal(lost.length, 1);
    assert.equal(a.isController(), false);
    assert.equal(group.controllerId, 2);
    assert.equal(group.controllerEpoch, 2);
    assert.deepEqual([...a.liveBrokers().keys()].sort(), [1, 2]);
  });
});
