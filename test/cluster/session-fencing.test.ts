/**
 * A leader whose session is lost stops acting as leader at once (issue 13: "a broker that
 * loses its etcd session ... stops acting as leader at once and truncates as a follower"), as
 * a story over three in-process brokers. The membership's `sessionLost` is what calls
 * `fenceLeaderships()` in a real broker (start.ts; the wiring is tested with etcd in
 * test/e2e/cluster-lifecycle-session.test.ts); here the test calls it, so the moment is exact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeBatch } from '../../src/protocol/records.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { Partition } from '../../src/cluster/partition.js';
import { eventually, startInProcessCluster, type InProcessCluster } from '../helpers/in-process-cluster.js';

let serial = 0;
const batch = (n: number): Buffer => encodeBatch({ records: Array.from({ length: n }, (_, i) => ({ key: `k${serial}-${i}`, value: `v${serial++}-${i}` })), timestamp: 1_700_000_000_000 });

function produce(c: InProcessCluster, id: number, acks: number, n = 5, timeoutMs = 10_000) {
  return c.broker(id).broker.replicaManager.appendRecords('t', 0, batch(n), { acks, timeoutMs, origin: 'client' });
}

async function logBytes(p: Partition): Promise<Buffer> {
  if (p.logEndOffset === p.logStartOffset) return Buffer.alloc(0);
  return (await p.log.read(p.logStartOffset, 1 << 30, p.logEndOffset, true)).records;
}

test('a fenced leader refuses produce and fetch, answers acks=all waiters NOT_LEADER_OR_FOLLOWER, and leads again once the metadata confirms it', async () => {
  const c = await startInProcessCluster({ brokers: 3 });
  try {
    await c.createTopic('t', 1, 3);
    const reg = c.registration('t', 0);
    const leader = reg.leader;
    const followers = reg.replicas.filter((r) => r !== leader);
    assert.equal((await produce(c, leader, -1)).errorCode, ErrorCode.NONE);
    // The followers stop: an acks=all write waits for them (they are still in the ISR).
    for (const f of followers) await c.stop(f);
    const waiting = produce(c, leader, -1, 3, 20_000);
    const lp = c.partition(leader, 't', 0);
    await eventually(() => lp.logEndOffset === 8, 'the acks=all write appended, waiting for the ISR');
    const hw = lp.highWatermark;

    assert.equal(c.broker(leader).broker.replicaManager.fenceLeaderships(), 1);
    assert.equal((await waiting).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER, 'never acknowledged by a fenced leader');
    assert.equal((await produce(c, leader, 1)).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    assert.equal((await produce(c, leader, -1)).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const read = await c.broker(leader).broker.replicaManager.fetchPartition('t', 0, { replicaId: -1, fetchOffset: 0, currentLeaderEpoch: -1, lastFetchedEpoch: -1, followerLogStartOffset: -1, maxBytes: 1 << 20, isolationLevel: 0, minOneMessage: true });
    assert.equal(read.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    assert.equal(lp.highWatermark, hw);
    assert.equal(lp.logEndOffset, 8, 'nothing appended while fenced');

    // Registered again: the metadata still names it leader at the same epoch, confirmed by a
    // compare-and-set write (partition epoch + 1), and it leads again.
    for (const f of followers) await c.restart(f);
    const before = c.registration('t', 0);
    assert.equal(await c.broker(leader).broker.replicaManager.confirmLeaderships(), 1);
    assert.equal(c.registration('t', 0).leaderEpoch, before.leaderEpoch);
    assert.equal(c.registration('t', 0).partitionEpoch, before.partitionEpoch + 1);
    const again = await produce(c, leader, -1);
    assert.equal(again.errorCode, ErrorCode.NONE);
    assert.equal(again.baseOffset, 8);
  } finally {
    await c.close();
  }
});

test('a fenced leader whose partition moved meanwhile stays out, follows the new leader and truncates its unacknowledged tail', async () => {
  const c = await startInProcessCluster({ brokers: 3 });
  try {
    await c.createTopic('t', 1, 3);
    const reg = c.registration('t', 0);
    const leader = reg.leader;
    const [f1, f2] = reg.replicas.filter((r) => r !== leader) as [number, number];
    assert.equal((await produce(c, leader, -1)).errorCode, ErrorCode.NONE);
    await eventually(() => c.partition(f1, 't', 0).highWatermark === 5 && c.partition(f2, 't', 0).highWatermark === 5, 'followers caught up');
    // The followers stop fetching; an acks=1 write lands only on the leader (a divergent tail).
    await c.stop(f1);
    await c.stop(f2);
    assert.equal((await produce(c, leader, 1, 4)).errorCode, ErrorCode.NONE);
    assert.equal(c.partition(leader, 't', 0).logEndOffset, 9);
    c.broker(leader).broker.replicaManager.fenceLeaderships();
    await c.restart(f1);
    await c.restart(f2);
    // The controller (here: the test) elected f1 while the old leader was cut off.
    await c.electLeader('t', 0, f1, [f1, f2]);
    assert.equal(await c.broker(leader).broker.replicaManager.confirmLeaderships(), 0, 'the compare-and-set finds another leader');
    const old = c.partition(leader, 't', 0);
    assert.equal(old.isLeader, false);
    assert.equal(old.leaderId, f1);
    assert.equal((await produce(c, f1, -1, 2)).errorCode, ErrorCode.NONE);
    await eventually(() => old.logEndOffset === c.partition(f1, 't', 0).logEndOffset, 'the old leader truncated and caught up');
    assert.ok((await logBytes(old)).equals(await logBytes(c.partition(f1, 't', 0))), 'its log equals the new leader\'s byte for byte');
  } finally {
    await c.close();
  }
});
