/**
 * A real client against three in-process brokers that replicate over TCP on 127.0.0.1:
 * confluent-kafka (librdkafka) sees every broker and the partitions' replicas and ISR, produces
 * idempotently with acks=all to leaders spread over the brokers, bootstrapping from one broker
 * only, and reads everything back; every follower's log equals its leader's byte for byte.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tcpTransport } from '../../src/base/transport.js';
import { lastJson, runPython } from '../helpers/clients.js';
import { eventually, startInProcessCluster } from '../helpers/in-process-cluster.js';
import type { Partition } from '../../src/cluster/partition.js';
import { KafkaClient } from '../../src/client/index.js';
import { Produce } from '../../src/protocol/messages/produce.js';
import { Fetch } from '../../src/protocol/messages/fetch.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { encodeBatch } from '../../src/protocol/records.js';

async function logBytes(p: Partition): Promise<Buffer> {
  return (await p.log.read(p.logStartOffset, 1 << 30, p.logEndOffset, true)).records;
}

const SCRIPT = `
import sys, json, time
from confluent_kafka import Producer, Consumer, TopicPartition
from confluent_kafka.admin import AdminClient
bootstrap = sys.argv[1]
md = AdminClient({'bootstrap.servers': bootstrap}).list_topics('replicated', timeout=20)
parts = md.topics['replicated'].partitions
meta = {'brokers': sorted(md.brokers.keys()),
        'partitions': {str(i): {'leader': p.leader, 'replicas': sorted(p.replicas), 'isr': sorted(p.isrs)} for i, p in parts.items()}}
p = Producer({'bootstrap.servers': bootstrap, 'acks': 'all', 'enable.idempotence': True, 'linger.ms': 5, 'log_level': 0})
errors = []
def cb(err, msg):
    if err is not None:
        errors.append(str(err))
for i in range(300):
    p.produce('replicated', key=b'k%d' % i, value=b'v%d' % i, partition=i % 3, on_delivery=cb)
    p.poll(0)
left = p.flush(30)
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'unused', 'enable.auto.commit': False, 'log_level': 0})
c.assign([TopicPartition('replicated', i, 0) for i in range(3)])
got = []
deadline = time.time() + 30
while len(got) < 300 and time.time() < deadline:
    m = c.poll(0.5)
    if m is None:
        continue
    if m.error():
        raise Exception(str(m.error()))
    got.append((m.partition(), m.offset(), m.key().decode(), m.value().decode()))
c.close()
ok = all(k == 'k%s' % v[1:] for (_, _, k, v) in got) and sorted(int(k[1:]) for (_, _, k, _) in got) == list(range(300))
print(json.dumps({'meta': meta, 'left': left, 'errors': errors[:3], 'count': len(got), 'ok': ok}))
`;

test('confluent-kafka against a 3-broker cluster over TCP: metadata, acks=all, identical replicas', { timeout: 120_000 }, async () => {
  const c = await startInProcessCluster({ brokers: 3, transport: tcpTransport });
  try {
    await c.createTopic('replicated', 3, 3);
    const leaders = [0, 1, 2].map((i) => c.registration('replicated', i).leader);
    assert.equal(new Set(leaders).size, 3, `leaders spread over the brokers: ${leaders.join(',')}`);
    // Bootstrap from one broker only: the client must learn the others from Metadata.
    const result = lastJson(await runPython(SCRIPT, [c.broker(1).bootstrap], 100_000));
    assert.deepEqual(result.meta.brokers, [1, 2, 3]);
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(result.meta.partitions[String(i)], { leader: leaders[i], replicas: [1, 2, 3], isr: [1, 2, 3] });
    }
    assert.deepEqual({ left: result.left, errors: result.errors, count: result.count, ok: result.ok }, { left: 0, errors: [], count: 300, ok: true });
    for (let i = 0; i < 3; i++) {
      const leader = c.partition(leaders[i]!, 'replicated', i);
      assert.equal(leader.highWatermark, 100);
      const followers = [1, 2, 3].filter((b) => b !== leaders[i]).map((b) => c.partition(b, 'replicated', i));
      await eventually(() => followers.every((f) => f.logEndOffset === leader.logEndOffset), `followers of partition ${i} caught up`);
      const expected = await logBytes(leader);
      for (const f of followers) assert.ok((await logBytes(f)).equals(expected), `partition ${i}: follower's log equals the leader's`);
    }
  } finally {
    await c.close();
  }
});

test('a follower answers clients NOT_LEADER_OR_FOLLOWER with the current leader and its endpoint (KIP-951)', { timeout: 60_000 }, async () => {
  const c = await startInProcessCluster({ brokers: 3, transport: tcpTransport });
  try {
    await c.createTopic('routed', 1, 3);
    const { leader, leaderEpoch, replicas } = c.registration('routed', 0);
    const follower = replicas.find((r) => r !== leader)!;
    const client = await KafkaClient.connect(c.broker(follower).bootstrap);
    try {
      const leaderAddress = { nodeId: leader, host: '127.0.0.1', port: c.broker(leader).port, rack: null };
      const produced = await client.request(Produce, {
        transactionalId: null, acks: -1, timeoutMs: 5000,
        topicData: [{ name: 'routed', partitionData: [{ index: 0, records: encodeBatch({ records: [{ key: null, value: 'x' }], timestamp: Date.now() }) }] }],
      }, { version: 11 });
      const pr = produced.responses[0]!.partitionResponses[0]!;
      assert.equal(pr.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
      assert.deepEqual(pr.currentLeader, { leaderId: leader, leaderEpoch });
      assert.deepEqual(produced.nodeEndpoints, [leaderAddress]);

      const topicId = c.broker(follower).broker.topics.get('routed')!.topicId;
      const fetched = await client.request(Fetch, {
        maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, sessionEpoch: -1,
        topics: [{ topic: 'routed', topicId, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20, currentLeaderEpoch: leaderEpoch, lastFetchedEpoch: -1, logStartOffset: -1, replicaDirectoryId: Buffer.alloc(16) }] }],
      }, { version: 16 });
      const fp = fetched.responses[0]!.partitions[0]!;
      assert.equal(fp.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
      assert.deepEqual(fp.currentLeader, { leaderId: leader, leaderEpoch });
      assert.deepEqual(fetched.nodeEndpoints, [leaderAddress]);
    } finally {
      await client.close();
    }
  } finally {
    await c.close();
  }
});
