/**
 * Transactions in a three-broker cluster on a real etcd (test/helpers/cluster.ts): the
 * transaction coordinator (the leader of the transactional id's `__transaction_state`
 * partition) is one broker, the output partitions are led by all three, so the produce path's
 * verification reaches the coordinator with AddPartitionsToTxn and the markers reach every
 * leader with WriteTxnMarkers. confluent-kafka commits A, aborts B, commits C; read_committed
 * sees exactly A then C on every partition, read_uncommitted sees all of it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { CreateTopics } from '../../src/protocol/messages/create-topics.js';
import { lastJson, runPython } from '../helpers/clients.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { etcdAvailable } from '../helpers/etcd.js';

const skip = etcdAvailable() ? false : 'etcd is not installed';
let cluster: TestCluster;

before(async () => {
  if (skip !== false) return;
  cluster = await startCluster({ brokers: 3, overrides: { 'transaction.state.log.num.partitions': '6' } });
  await cluster.waitForBrokers();
  const admin = await KafkaClient.connect(cluster.bootstrap(1));
  try {
    const r = await admin.request(CreateTopics, { topics: [{ name: 'tx-out', numPartitions: 3, replicationFactor: 3, assignments: [], configs: [] }], timeoutMs: 30_000, validateOnly: false });
    assert.equal(r.topics[0]!.errorCode, 0);
  } finally {
    await admin.close();
  }
});
after(async () => { await cluster?.close(); });

const SCRIPT = `
import sys, json, time
from confluent_kafka import Producer, Consumer, TopicPartition
bootstrap = sys.argv[1]
p = Producer({'bootstrap.servers': bootstrap, 'transactional.id': 'cluster-tx', 'linger.ms': 1})
p.init_transactions(60)
for name, commit in (('A', True), ('B', False), ('C', True)):
    p.begin_transaction()
    for i in range(6):
        p.produce('tx-out', value=('%s%d' % (name, i)).encode(), partition=i % 3)
    p.flush(30)
    (p.commit_transaction if commit else p.abort_transaction)(60)
def read(level):
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'unused-' + level, 'isolation.level': level, 'enable.auto.commit': False})
    out = {}
    for part in range(3):
        c.assign([TopicPartition('tx-out', part, 0)])
        vals, deadline = [], time.time() + 20
        while time.time() < deadline:
            m = c.poll(0.5)
            if m is None:
                if vals and len(vals) >= (4 if level == 'read_committed' else 6):
                    break
                continue
            if not m.error():
                vals.append(m.value().decode())
        out[str(part)] = vals
    c.close()
    return out
print(json.dumps({'committed': read('read_committed'), 'uncommitted': read('read_uncommitted')}))
`;

test('confluent-kafka transactions across brokers: markers on every leader, verification at the coordinator', { skip, timeout: 180_000 }, async () => {
  const r = lastJson<{ committed: Record<string, string[]>; uncommitted: Record<string, string[]> }>(await runPython(SCRIPT, [cluster.bootstrap()], 170_000));
  for (const part of [0, 1, 2]) {
    assert.deepEqual(r.committed[String(part)], [`A${part}`, `A${part + 3}`, `C${part}`, `C${part + 3}`], `read_committed, partition ${part}`);
    assert.deepEqual(r.uncommitted[String(part)], [`A${part}`, `A${part + 3}`, `B${part}`, `B${part + 3}`, `C${part}`, `C${part + 3}`], `read_uncommitted, partition ${part}`);
  }
});
