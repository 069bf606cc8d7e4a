/**
 * A three-broker cluster on a real etcd, as real processes (test/helpers/cluster.ts): the
 * seed's `--create --partitions 3 --replication-factor 3`, Metadata from every broker (all
 * brokers, three replicas per partition, leaders spread, one controller), then the leader and
 * controller `kill -9`ed: once its session times out the new controller elects new leaders
 * from the ISR at leader epoch + 1, which confluent-kafka and kafka-python see. The broker
 * comes back and is listed again; a paused broker comes back as a follower and rejoins the ISR.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { KafkaClient, type ClusterMetadata } from '../../src/client/kafka-client.js';
import { ROOT } from '../helpers/broker.js';
import { lastJson, run, runPython } from '../helpers/clients.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { etcdAvailable } from '../helpers/etcd.js';
import { until } from '../helpers/wait.js';

const skip = etcdAvailable() ? false : 'etcd is not installed';
const SESSION_MS = 3000;
let cluster: TestCluster;

before(async () => {
  if (skip !== false) return;
  cluster = await startCluster({ brokers: 3, sessionTimeoutMs: SESSION_MS, racks: { 1: 'a', 2: 'b', 3: 'c' } });
  await cluster.waitForBrokers();
});
after(async () => { await cluster?.close(); });

async function metadataFrom(nodeId: number, topics: string[] | null): Promise<ClusterMetadata> {
  const client = await KafkaClient.connect(cluster.bootstrap(nodeId));
  try {
    return await client.metadata(topics);
  } finally {
    await client.close();
  }
}

/** confluent-kafka's view once no partition of `topic` is led by `gone` (or at once if gone is -1). */
const CONFLUENT_WAIT = `
import sys, json, time
from confluent_kafka.admin import AdminClient
bootstrap, topic, gone, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
admin = AdminClient({'bootstrap.servers': bootstrap})
deadline = time.time() + timeout
while True:
    md = admin.list_topics(topic=topic, timeout=10)
    parts = md.topics[topic].partitions
    if parts and all(p.leader not in (gone, -1) for p in parts.values()) or time.time() > deadline:
        break
    time.sleep(0.1)
print(json.dumps({'controller': md.controller_id, 'brokers': sorted(md.brokers.keys()),
    'partitions': {str(i): {'leader': p.leader, 'replicas': p.replicas, 'isrs': p.isrs} for i, p in parts.items()}}))
`;

const KAFKA_PYTHON_METADATA = `
import sys, json
from kafka import KafkaAdminClient
admin = KafkaAdminClient(bootstrap_servers=sys.argv[1])
md = admin.describe_topics([sys.argv[2]])[0]
cluster = admin.describe_cluster()
print(json.dumps({'controller': cluster['controller_id'], 'brokers': sorted(b['node_id'] for b in cluster['brokers']),
    'partitions': {str(p['partition']): {'leader': p['leader'], 'replicas': p['replicas'], 'isr': p['isr']} for p in md['partitions']}}))
`;

test('3 brokers: topics --create --partitions 3 --replication-factor 3; every broker answers with the whole cluster', { skip }, async () => {
  const created = await run(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'topics', '--bootstrap-server', cluster.bootstrap(2),
    '--create', '--topic', 'seed', '--partitions', '3', '--replication-factor', '3'], { timeoutMs: 60000 });
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, /Created topic seed\./);

  let controller = -1;
  for (const id of [1, 2, 3]) {
    const md = await metadataFrom(id, ['seed']);
    assert.deepEqual(md.brokers.map((b) => [b.nodeId, b.port, b.rack]), [1, 2, 3].map((n) => [n, cluster.brokers.get(n)!.port, 'abc'[n - 1]]));
    controller = controller === -1 ? md.controllerId : controller;
    assert.equal(md.controllerId, controller, 'every broker names the same controller');
    const parts = md.topics[0]!.partitions;
    assert.equal(parts.length, 3);
    for (const p of parts) {
      assert.deepEqual([...p.replicas].sort(), [1, 2, 3]);
      assert.deepEqual([...p.isr].sort(), [1, 2, 3]);
      assert.equal(p.leaderEpoch, 0);
    }
    assert.deepEqual(parts.map((p) => p.leaderId).sort(), [1, 2, 3], 'one leader per broker');
  }
  assert.ok([1, 2, 3].includes(controller));

  const described = await run(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'topics', '--bootstrap-server', cluster.bootstrap(3),
    '--describe', '--topic', 'seed'], { timeoutMs: 60000 });
  assert.equal(described.code, 0, described.stderr);
  assert.match(described.stdout, /ReplicationFactor: 3/);
  assert.equal((described.stdout.match(/Replicas: \d,\d,\d\s+Isr: \d,\d,\d/g) ?? []).length, 3, described.stdout);

  const kp = lastJson(await runPython(KAFKA_PYTHON_METADATA, [cluster.bootstrap(1), 'seed']));
  assert.deepEqual(kp.brokers, [1, 2, 3]);
  assert.equal(kp.controller, controller);
  assert.deepEqual(Object.values(kp.partitions).map((p: any) => p.leader).sort(), [1, 2, 3]);
});

test('kill -9 of the controller, which leads a partition: after the session timeout the new controller elects a leader from the ISR at epoch + 1', { skip }, async () => {
  const before = await metadataFrom(1, ['seed']);
  const victim = before.controllerId;
  const led = before.topics[0]!.partitions.find((p) => p.leaderId === victim)!;
  const survivor = [1, 2, 3].find((id) => id !== victim)!;

  const killedAt = Date.now();
  await cluster.kill9(victim);
  const seen = lastJson(await runPython(CONFLUENT_WAIT, [cluster.bootstrap(survivor), 'seed', String(victim), '30'], 60000));
  const failoverMs = Date.now() - killedAt;
  console.log(`# failover: kill -9 of broker ${victim} to a new leader seen by confluent-kafka: ${failoverMs} ms (etcd.session.timeout.ms=${SESSION_MS})`);

  assert.notEqual(seen.controller, victim);
  assert.deepEqual(seen.brokers, [1, 2, 3].filter((id) => id !== victim));
  const p = seen.partitions[String(led.partition)];
  assert.notEqual(p.leader, victim);
  assert.ok(led.isr.includes(p.leader), 'the new leader comes from the ISR');
  assert.ok(!p.isrs.includes(victim), 'the dead broker left the ISR');
  assert.ok(failoverMs >= SESSION_MS / 2, `no election before the session could expire (${failoverMs} ms)`);

  for (const id of [1, 2, 3].filter((x) => x !== victim)) {
    const md = await metadataFrom(id, ['seed']);
    const after = md.topics[0]!.partitions[led.partition]!;
    assert.equal(after.leaderEpoch, led.leaderEpoch + 1, 'leader epoch + 1');
    assert.equal(after.leaderId, p.leader);
    for (const other of md.topics[0]!.partitions.filter((x) => x.partition !== led.partition)) {
      assert.equal(other.leaderEpoch, 0, 'partitions with a live leader keep their epoch');
      assert.ok(!other.isr.includes(victim));
    }
  }

  await cluster.start(victim);
  await cluster.waitForBrokers();
  const back = await metadataFrom(victim, ['seed']);
  assert.deepEqual(back.brokers.map((b) => b.nodeId), [1, 2, 3]);
  assert.equal(back.topics[0]!.partitions[led.partition]!.leaderId, p.leader, 'no preferred-leader rebalancing yet');
});

test('a broker paused (SIGSTOP) past the session timeout loses its leadership; resumed, it registers again and follows the new metadata', { skip }, async () => {
  const md = await metadataFrom(1, ['seed']);
  const controller = md.controllerId;
  // A broker that leads a partition and is not the controller.
  const paused = md.topics[0]!.partitions.map((p) => p.leaderId).find((id) => id !== controller && id !== -1)!;
  const led = md.topics[0]!.partitions.find((p) => p.leaderId === paused)!;
  const proc = cluster.brokers.get(paused)!;
  proc.child.kill('SIGSTOP');
  try {
    const seen = lastJson(await runPython(CONFLUENT_WAIT, [cluster.bootstrap(controller), 'seed', String(paused), '30'], 60000));
    assert.notEqual(seen.partitions[String(led.partition)].leader, paused);
    assert.deepEqual(seen.brokers, [1, 2, 3].filter((id) => id !== paused));
  } finally {
    proc.child.kill('SIGCONT');
  }
  // Back: its keep-alive finds the lease gone, it registers with a new session, and its own
  // Metadata shows the election it slept through.
  await cluster.waitForBrokers();
  const own = await metadataFrom(paused, ['seed']);
  const p = own.topics[0]!.partitions[led.partition]!;
  assert.notEqual(p.leaderId, paused);
  assert.equal(p.leaderEpoch, led.leaderEpoch + 1);
  assert.match(proc.output(), /etcd session lost/);
  // As a follower of the new leader it catches up, and the leader takes it back into the ISR.
  await until('the resumed broker back in the ISR', async () => {
    const again = (await metadataFrom(controller, ['seed'])).topics[0]!.partitions[led.partition]!;
    return again.isr.includes(paused) && again.leaderId !== paused;
  }, 30_000);
});
