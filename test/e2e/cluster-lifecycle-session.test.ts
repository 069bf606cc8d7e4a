/**
 * A leader that learns its etcd session is gone stops acting as leader at once, and leads
 * again only once the metadata confirms it (start.ts wires the membership's sessionLost /
 * sessionRestored to the ReplicaManager; the partition-level story is
 * test/cluster/session-fencing.test.ts). One broker on a real etcd, in this process, leading a
 * partition: its lease is revoked behind its back, and its registration key is held by the test
 * for a few seconds so that it cannot register again at once. Meanwhile no controller exists
 * and the metadata still names it leader, yet KafkaJS's produce gets NOT_LEADER_OR_FOLLOWER;
 * once the key is released it registers again, confirms its leadership by a compare-and-set
 * write (same leader epoch) and serves again.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { systemClock } from '../../src/base/clock.js';
import { EtcdClient } from '../../src/cluster/etcd/etcd-client.js';
import { parseEtcdConnect } from '../../src/cluster/etcd/etcd-connect.js';
import { httpEtcdTransport } from '../../src/cluster/etcd/etcd-transport.js';
import type { RunningBroker } from '../../src/index.js';
import { startTestBroker } from '../helpers/broker.js';
import { etcdAvailable, startEtcd, type TestEtcd } from '../helpers/etcd.js';
import { until } from '../helpers/wait.js';

const skip = etcdAvailable() ? false : 'etcd is not installed';
let etcd: TestEtcd;
let broker: RunningBroker;

before(async () => {
  if (skip !== false) return;
  etcd = await startEtcd();
  broker = await startTestBroker({ nodeId: 7, logLevel: 'error', overrides: { 'etcd.connect': `${etcd.endpoint}/fence`, 'etcd.session.timeout.ms': '3000' } });
});
after(async () => {
  await broker?.close();
  await etcd?.close();
});

test('session revoked: produce refused (NOT_LEADER_OR_FOLLOWER) while the metadata still names it leader; registered again, it confirms and serves', { skip, timeout: 60_000 }, async () => {
  const b = broker.broker;
  assert.equal((await b.topics.create({ name: 't', numPartitions: 1, replicationFactor: 1 })).errorCode, 0);
  await until('leader of t-0', () => b.replicaManager.getPartition('t', 0)?.isLeader === true);
  const kafka = new Kafka({ clientId: 'fence', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const producer = kafka.producer();
  await producer.connect();
  const client = new EtcdClient({ endpoints: parseEtcdConnect(etcd.endpoint).endpoints, transport: httpEtcdTransport(), clock: systemClock });
  try {
    const [first] = await producer.send({ topic: 't', acks: -1, messages: [{ value: 'before' }] });
    assert.equal(first!.errorCode, 0);
    const epoch = b.topics.image.topic('t')!.partitions[0]!.leaderEpoch;

    // Behind its back: its lease revoked, its key taken by another lease for a while.
    const key = '/fence/brokers/ids/7';
    const held = (await client.range(key)).kvs[0]!;
    const squatter = await client.grantLease(30);
    await client.revokeLease(held.lease);
    await client.txn({ compare: [{ key, target: 'CREATE', result: 'EQUAL', value: 0 }], success: [{ put: { key, value: '{"brokerId":7,"host":"127.0.0.1","port":1,"rack":null}', lease: squatter.id } }] });
    const p = b.replicaManager.getPartition('t', 0)!;
    await until('the broker fenced its leadership', () => p.isLeadershipFenced, { timeoutMs: 10_000 });
    assert.equal(b.topics.image.topic('t')!.partitions[0]!.leader, 7, 'the metadata still names it leader');
    assert.equal(b.topics.image.topic('t')!.partitions[0]!.leaderEpoch, epoch);
    await assert.rejects(producer.send({ topic: 't', acks: -1, messages: [{ value: 'fenced' }] }),
      (err: Error & { type?: string }) => err.type === 'NOT_LEADER_FOR_PARTITION' || /leader/i.test(err.message));
    assert.equal(p.logEndOffset, 1, 'nothing appended while fenced');

    // The key released: it registers again, confirms, and leads at the same epoch.
    await client.revokeLease(squatter.id);
    await until('leading again', () => p.isLeader, { timeoutMs: 15_000 });
    assert.equal(p.leaderEpoch, epoch);
    const [again] = await producer.send({ topic: 't', acks: -1, messages: [{ value: 'after' }] });
    assert.equal(again!.errorCode, 0);
    assert.equal(Number(again!.baseOffset), 1);
  } finally {
    client.close();
    await producer.disconnect();
  }
});
