/**
 * Regression: a group loaded from `__consumer_offsets` with more members than a lowered
 * group.max.size stayed Stable over capacity. Kafka (GroupMetadataManager.onLoaded) rebalances
 * such a group; members rejoining beyond the limit get GROUP_MAX_SIZE_REACHED and are removed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBroker, tempDir } from '../helpers/broker.js';
import { until } from '../helpers/wait.js';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { JoinGroup } from '../../src/protocol/messages/join-group.js';
import { SyncGroup } from '../../src/protocol/messages/sync-group.js';
import { DescribeGroups } from '../../src/protocol/messages/describe-groups.js';

const protocols = [{ name: 'range', metadata: Buffer.from([0, 0, 0, 0, 0, 1, 0, 1, 0x74, 0xff, 0xff, 0xff, 0xff]) }];
const join = { groupId: 'capped', sessionTimeoutMs: 10000, rebalanceTimeoutMs: 3000, protocolType: 'consumer', protocols };

test('issue: a group over a lowered group.max.size rebalances after a restart and sheds its last rejoiner', { timeout: 60_000 }, async () => {
  const dir = tempDir('sherwood-group-max-size-');
  const overrides = { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '2' };
  try {
    let b = await startTestBroker({ dataDir: dir.path, overrides });
    const ids: string[] = [];
    try {
      // One connection per member: a parked JoinGroup holds its connection, as in Kafka.
      const cs = await Promise.all([0, 1, 2].map(() => KafkaClient.connect(b.bootstrap, { clientId: 'capped' })));
      try {
        // JoinGroup v3 adds members at once; three concurrent joins make one generation of three.
        const js = await Promise.all(cs.map((c) => c.request(JoinGroup, { ...join, memberId: '' }, { version: 3 })));
        for (const j of js) assert.equal(j.errorCode, ErrorCode.NONE);
        const leader = js.find((j) => j.members.length > 0)!;
        assert.equal(leader.members.length, 3);
        ids.push(...js.map((j) => j.memberId));
        const syncs = await Promise.all(js.map((j, i) => cs[i]!.request(SyncGroup, {
          groupId: 'capped', generationId: j.generationId, memberId: j.memberId,
          assignments: j === leader ? ids.map((memberId) => ({ memberId, assignment: Buffer.from(memberId) })) : [],
        }, { version: 3 })));
        for (const s of syncs) assert.equal(s.errorCode, ErrorCode.NONE);
      } finally {
        await Promise.all(cs.map((c) => c.close()));
      }
    } finally {
      await b.close();
    }

    b = await startTestBroker({ dataDir: dir.path, overrides: { ...overrides, 'group.max.size': '2' } });
    try {
      const cs = await Promise.all([0, 1, 2].map(() => KafkaClient.connect(b.bootstrap, { clientId: 'capped' })));
      const c = cs[2]!;
      try {
        const d = (await c.request(DescribeGroups, { groups: ['capped'] }, { version: 4 })).groups[0]!;
        assert.equal(d.groupState, 'PreparingRebalance', 'over capacity on load: the group rebalances');
        assert.equal(d.members.length, 3);
        const first = cs[0]!.request(JoinGroup, { ...join, memberId: ids[0]! }, { version: 3 });
        const second = cs[1]!.request(JoinGroup, { ...join, memberId: ids[1]! }, { version: 3 });
        // The third rejoins only after the first two are parked in the coordinator (not after a fixed sleep).
        const group = () => b.broker.groups.service.shardFor('capped')!.groups.get('capped')!;
        await until('the first two rejoins to be parked in the coordinator', () => group().awaitingJoinCount() >= 2, 10_000);
        const third = await c.request(JoinGroup, { ...join, memberId: ids[2]! }, { version: 3 });
        assert.equal(third.errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED);
        const [j0, j1] = await Promise.all([first, second]);
        assert.equal(j0.errorCode, ErrorCode.NONE);
        assert.equal(j1.generationId, j0.generationId);
        assert.equal(j0.generationId, 2);
        const after = (await c.request(DescribeGroups, { groups: ['capped'] }, { version: 4 })).groups[0]!;
        assert.deepEqual(after.members.map((m) => m.memberId).sort(), [ids[0]!, ids[1]!].sort());
      } finally {
        await Promise.all(cs.map((x) => x.close()));
      }
    } finally {
      await b.close();
    }
  } finally {
    dir.remove();
  }
});
