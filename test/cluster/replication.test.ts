/**
 * Replication between brokers, as a story: three brokers in one process share a metadata log
 * and talk over a MemoryTransport. Followers fetch from the leader with the Fetch API, the
 * high watermark waits for the ISR, laggards leave the ISR and come back, min.insync.replicas
 * holds, and a leader change makes the old leader truncate its divergent tail.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeBatch } from '../../src/protocol/records.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { Partition } from '../../src/cluster/partition.js';
import { eventually, startInProcessCluster, type InProcessCluster } from '../helpers/in-process-cluster.js';

const LAG_MS = 600;
let serial = 0;
const batch = (n: number): Buffer => encodeBatch({ records: Array.from({ length: n }, (_, i) => ({ key: `k${serial}-${i}`, value: `v${serial++}-${i}` })), timestamp: 1_700_000_000_000 });

async function logBytes(p: Partition): Promise<Buffer> {
  if (p.logEndOffset === p.logStartOffset) return Buffer.alloc(0);
  return (await p.log.read(p.logStartOffset, 1 << 30, p.logEndOffset, true)).records;
}

function produce(c: InProcessCluster, leader: number, topic: string, acks: number, n = 5, timeoutMs = 10_000) {
  return c.broker(leader).broker.replicaManager.appendRecords(topic, 0, batch(n), { acks, timeoutMs, origin: 'client' });
}

async function sameLogs(c: InProcessCluster, topic: string, ids: number[]): Promise<void> {
  const leader = c.registration(topic, 0).leader;
  await eventually(() => ids.every((id) => c.partition(id, topic, 0).logEndOffset === c.partition(leader, topic, 0).logEndOffset), `log ends equal on ${ids.join(',')}`);
  const expected = await logBytes(c.partition(leader, topic, 0));
  for (const id of ids) assert.ok((await logBytes(c.partition(id, topic, 0))).equals(expected), `broker ${id}'s log equals the leader's byte for byte`);
}

test('three brokers replicate an RF=3 partition; the ISR shrinks, expands and guards acks=all', async () => {
  const c = await startInProcessCluster({ brokers: 3, overrides: { 'replica.lag.time.max.ms': String(LAG_MS) } });
  try {
    // Every broker knows every other's endpoint, from the metadata.
    assert.deepEqual(c.broker(2).broker.endpoints().map((e) => e.nodeId), [1, 2, 3], 'every broker, by id');

    await c.createTopic('orders', 1, 3);
    const reg = c.registration('orders', 0);
    assert.equal(reg.replicas.length, 3);
    assert.deepEqual([...reg.isr].sort(), [1, 2, 3]);
    const leader = reg.leader;
    const [f1, f2] = reg.replicas.filter((r) => r !== leader) as [number, number];
    const lp = c.partition(leader, 'orders', 0);
    for (const f of [f1, f2]) await eventually(() => c.broker(f).broker.replicaManager.fetchers?.isFetching(c.partition(f, 'orders', 0)) === true, `broker ${f} fetching`);

    // acks=all answers once the whole ISR has the records: the high watermark covers them.
    const r = await produce(c, leader, 'orders', -1, 10);
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.equal(r.lastOffset, 9);
    assert.ok(lp.highWatermark >= 10);
    for (const f of [f1, f2]) assert.ok(c.partition(f, 'orders', 0).logEndOffset >= 10, `follower ${f} had the records before the ack`);
    await sameLogs(c, 'orders', [f1, f2]);
    await eventually(() => c.partition(f1, 'orders', 0).highWatermark === 10, 'the follower learns the high watermark');
    // Followers refuse clients' produce and fetch (NOT_LEADER_OR_FOLLOWER).
    assert.equal((await produce(c, f1, 'orders', 1)).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);

    // A follower stops: the high watermark waits for it while it is in the ISR...
    await c.stop(f2);
    const acked1 = await produce(c, leader, 'orders', 1, 5);
    assert.equal(acked1.errorCode, ErrorCode.NONE);
    await eventually(() => c.partition(f1, 'orders', 0).logEndOffset === 15, 'the live follower has the records');
    assert.equal(lp.highWatermark, 10, 'the high watermark waits for every ISR member');
    // ...until it has lagged replica.lag.time.max.ms and the leader drops it (AlterPartition).
    await eventually(() => !c.registration('orders', 0).isr.includes(f2), 'the stopped follower leaves the ISR');
    await eventually(() => lp.highWatermark === 15, 'the high watermark moves without it');
    assert.deepEqual([...lp.isr].sort(), [leader, f1].sort());

    // It comes back, catches up (byte for byte) and rejoins.
    await c.restart(f2);
    await eventually(() => c.registration('orders', 0).isr.includes(f2), 'the restarted follower rejoins the ISR', 20_000);
    await sameLogs(c, 'orders', [f1, f2]);

    // DeleteRecords on the leader: the followers' log starts follow.
    assert.deepEqual(await lp.deleteRecordsOnLeader(12), { errorCode: ErrorCode.NONE, lowWatermark: 12 });
    await eventually(() => [f1, f2].every((f) => c.partition(f, 'orders', 0).logStartOffset === 12), 'the followers\' log starts move to 12');
  } finally {
    await c.close();
  }
});

test('min.insync.replicas=2 with two followers down: NOT_ENOUGH_REPLICAS(_AFTER_APPEND); acks=1 works', async () => {
  const c = await startInProcessCluster({ brokers: 3, overrides: { 'replica.lag.time.max.ms': String(LAG_MS) } });
  try {
    await c.createTopic('guarded', 1, 3, { 'min.insync.replicas': '2' });
    const { leader, replicas } = c.registration('guarded', 0);
    const followers = replicas.filter((r) => r !== leader);
    assert.equal((await produce(c, leader, 'guarded', -1)).errorCode, ErrorCode.NONE);
    for (const f of followers) await c.stop(f);
    // Appended while the ISR still has three members, then the ISR shrinks under min.insync.replicas.
    const after = await produce(c, leader, 'guarded', -1, 5, 10 * LAG_MS);
    assert.equal(after.errorCode, ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND);
    await eventually(() => c.registration('guarded', 0).isr.length === 1, 'the ISR is the leader alone');
    const before = await produce(c, leader, 'guarded', -1);
    assert.equal(before.errorCode, ErrorCode.NOT_ENOUGH_REPLICAS, 'refused before the append');
    const endBefore = c.partition(leader, 'guarded', 0).logEndOffset;
    assert.equal((await produce(c, leader, 'guarded', 1)).errorCode, ErrorCode.NONE, 'acks=1 is still accepted');
    assert.equal(c.partition(leader, 'guarded', 0).logEndOffset, endBefore + 5);
    // They return: acks=all works again.
    for (const f of followers) await c.restart(f);
    await eventually(() => c.registration('guarded', 0).isr.length === 3, 'both followers rejoin', 20_000);
    assert.equal((await produce(c, leader, 'guarded', -1)).errorCode, ErrorCode.NONE);
    await sameLogs(c, 'guarded', followers);
  } finally {
    await c.close();
  }
});

test('a leader change makes the old leader a follower that truncates its divergent tail', async () => {
  const c = await startInProcessCluster({ brokers: 3 });
  try {
    await c.createTopic('moving', 1, 3);
    const { leader: old, replicas } = c.registration('moving', 0);
    const [next, other] = replicas.filter((r) => r !== old) as [number, number];
    assert.equal((await produce(c, old, 'moving', -1, 4)).errorCode, ErrorCode.NONE);
    await sameLogs(c, 'moving', [next, other]);

    // The followers stop fetching; the old leader takes writes nobody else gets (acks=1).
    for (const f of [next, other]) c.broker(f).broker.replicaManager.fetchers!.removePartition(c.partition(f, 'moving', 0));
    assert.equal((await produce(c, old, 'moving', 1, 3)).errorCode, ErrorCode.NONE);
    const oldPartition = c.partition(old, 'moving', 0);
    assert.equal(oldPartition.logEndOffset, 7);
    assert.equal(c.partition(next, 'moving', 0).logEndOffset, 4);

    // The controller elects `next` (leader epoch + 1). The old leader hears of the newer epoch,
    // stops leading at once and, as a follower, truncates to where its epoch ended on `next`.
    const epoch = c.registration('moving', 0).leaderEpoch;
    await c.electLeader('moving', 0, next);
    assert.equal(c.registration('moving', 0).leaderEpoch, epoch + 1);
    assert.equal(oldPartition.isLeader, false);
    assert.equal((await produce(c, old, 'moving', 1)).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const r = await produce(c, next, 'moving', -1, 2);
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.equal(r.baseOffset, 4, 'the new leader appends after what it had');
    await sameLogs(c, 'moving', [old, other]);
    assert.equal(oldPartition.logEndOffset, 6, 'the divergent tail (offsets 4-6 of the old epoch) is gone');
    assert.equal(oldPartition.log.endOffsetForEpoch(epoch).endOffset, 4);
  } finally {
    await c.close();
  }
});

test('a leader that was down comes back as a follower of the new leader and drops what only it had', async () => {
  const c = await startInProcessCluster({ brokers: 3 });
  try {
    await c.createTopic('failover', 1, 3);
    const { leader: old, replicas } = c.registration('failover', 0);
    const [next, other] = replicas.filter((r) => r !== old) as [number, number];
    assert.equal((await produce(c, old, 'failover', -1, 3)).errorCode, ErrorCode.NONE);
    await sameLogs(c, 'failover', [next, other]);
    // Writes only the old leader gets (acks=1, followers not fetching), then it dies.
    for (const f of [next, other]) c.broker(f).broker.replicaManager.fetchers!.removePartition(c.partition(f, 'failover', 0));
    assert.equal((await produce(c, old, 'failover', 1, 4)).errorCode, ErrorCode.NONE);
    await c.stop(old);
    // The controller elects `next` from the ISR without the dead broker.
    await c.electLeader('failover', 0, next, [next, other]);
    assert.equal((await produce(c, next, 'failover', -1, 2)).errorCode, ErrorCode.NONE);
    await sameLogs(c, 'failover', [other]);
    // The old leader restarts: the image names it a follower at the new epoch; it truncates
    // its unreplicated tail, catches up, and the new leader takes it back into the ISR.
    await c.restart(old);
    await eventually(() => c.registration('failover', 0).isr.includes(old), 'the old leader rejoins the ISR');
    await sameLogs(c, 'failover', [old, other]);
    assert.equal(c.partition(old, 'failover', 0).logEndOffset, 5);
  } finally {
    await c.close();
  }
});

test('with the metadata store unreachable leaders keep serving; ISR changes wait for it, without a storm of retries', async () => {
  const c = await startInProcessCluster({ brokers: 3, overrides: { 'replica.lag.time.max.ms': String(LAG_MS) } });
  try {
    await c.createTopic('outage', 1, 3);
    const { leader, replicas } = c.registration('outage', 0);
    const [f1, f2] = replicas.filter((r) => r !== leader) as [number, number];
    c.log.failAppends = Infinity;
    assert.equal((await produce(c, leader, 'outage', -1)).errorCode, ErrorCode.NONE, 'acks=all needs no metadata write');
    await c.stop(f2);
    assert.equal((await produce(c, leader, 'outage', 1)).errorCode, ErrorCode.NONE);
    const lp = c.partition(leader, 'outage', 0);
    // The shrink is proposed and fails; the leader retries once a second, not every check.
    const started = Date.now();
    await eventually(() => c.log.failedAppends >= 1, 'the leader proposed the shrink');
    await new Promise((resolve) => setTimeout(resolve, 2 * LAG_MS));
    const elapsedS = (Date.now() - started) / 1000;
    assert.ok(c.log.failedAppends <= Math.ceil(elapsedS) + 1, `${c.log.failedAppends} failed proposals in ${elapsedS.toFixed(1)} s`);
    assert.ok(lp.isr.includes(f2), 'the ISR changes only when the metadata has it');
    assert.equal(lp.highWatermark, 5, 'and the high watermark waits for the ISR it has');
    c.log.failAppends = 0;
    await eventually(() => !c.registration('outage', 0).isr.includes(f2), 'the shrink goes through once the store is back');
    await eventually(() => lp.highWatermark === 10, 'the high watermark moves');
    await sameLogs(c, 'outage', [f1]);
  } finally {
    await c.close();
  }
});

test('followers keep the producer state: after a leader change a retried idempotent batch is a duplicate', async () => {
  const c = await startInProcessCluster({ brokers: 3 });
  try {
    await c.createTopic('exactly-once', 1, 3);
    const { leader: old, replicas } = c.registration('exactly-once', 0);
    const next = replicas.find((r) => r !== old)!;
    const idempotent = (baseSequence: number): Buffer => encodeBatch({
      records: [{ key: 'k', value: `seq-${baseSequence}` }, { key: 'k', value: `seq-${baseSequence + 1}` }], timestamp: 1_700_000_000_000,
      producerId: 4000, producerEpoch: 0, baseSequence,
    });
    const append = (broker: number, records: Buffer) =>
      c.broker(broker).broker.replicaManager.appendRecords('exactly-once', 0, records, { acks: -1, timeoutMs: 10_000, origin: 'client' });
    const first = await append(old, idempotent(0));
    assert.equal(first.errorCode, ErrorCode.NONE);
    assert.equal((await append(old, idempotent(2))).baseOffset, 2);
    await c.electLeader('exactly-once', 0, next);
    // The producer did not see the second answer and retries it at the new leader.
    const retried = await append(next, idempotent(2));
    assert.equal(retried.errorCode, ErrorCode.NONE);
    assert.equal(retried.baseOffset, 2, 'answered with the original offset');
    assert.equal(c.partition(next, 'exactly-once', 0).logEndOffset, 4, 'nothing written twice');
    // A gap in the sequence is refused there too.
    assert.equal((await append(next, idempotent(6))).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert.equal((await append(next, idempotent(4))).baseOffset, 4);
  } finally {
    await c.close();
  }
});

test('followers fetch in incremental sessions: busy partitions replicate, idle ones stay in the ISR past replica.lag.time.max.ms', async () => {
  const c = await startInProcessCluster({ brokers: 2, overrides: { 'replica.lag.time.max.ms': String(LAG_MS) } });
  try {
    await c.createTopic('sessions', 4, 2);
    const leaders = [0, 1, 2, 3].map((p) => c.registration('sessions', p).leader);
    const busy = 0;
    const leader = leaders[busy]!;
    const follower = leader === 1 ? 2 : 1;
    // Each leader holds a session per follower once the first (full) fetch is answered.
    await eventually(() => [1, 2].every((id) => !leaders.includes(id) || c.broker(id).broker.fetchSessions.size > 0), 'fetch sessions on the leaders');
    // Writes to one partition for three lag windows; the others stay idle all along.
    const until = Date.now() + 3 * LAG_MS;
    while (Date.now() < until) {
      const r = await c.broker(leader).broker.replicaManager.appendRecords('sessions', busy, batch(3), { acks: -1, timeoutMs: 10_000, origin: 'client' });
      assert.equal(r.errorCode, ErrorCode.NONE);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (const p of [0, 1, 2, 3]) {
      assert.deepEqual([...c.registration('sessions', p).isr].sort(), [1, 2], `partition ${p} kept both replicas in its ISR`);
    }
    const lp = c.partition(leader, 'sessions', busy);
    await eventually(() => c.partition(follower, 'sessions', busy).logEndOffset === lp.logEndOffset, 'the follower caught up');
    assert.ok((await logBytes(c.partition(follower, 'sessions', busy))).equals(await logBytes(lp)), 'byte for byte');
  } finally {
    await c.close();
  }
});
