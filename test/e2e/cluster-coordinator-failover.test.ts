/**
 * The group coordinator's broker `kill -9`ed under a confluent-kafka consumer group, as real
 * processes on a real etcd (test/helpers/cluster.ts): three brokers, an RF=3 topic of 3
 * partitions filled beforehand. A consumer (manual synchronous commits every 100 records) is
 * consuming when the leader of its group's `__consumer_offsets` partition is killed; it keeps
 * consuming and committing (through the new coordinator, found again with FindCoordinator), then
 * stops after a final commit. A second consumer of the same group starts exactly at the
 * committed offsets, and together they read every record (no gap).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { CreateTopics } from '../../src/protocol/messages/create-topics.js';
import { FindCoordinator } from '../../src/protocol/messages/find-coordinator.js';
import { PYTHON, lastJson, runPython } from '../helpers/clients.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { etcdAvailable } from '../helpers/etcd.js';
import { until } from '../helpers/wait.js';

const skip = etcdAvailable() ? false : 'etcd is not installed';
const SESSION_MS = 3000;
const RECORDS = 3000;
const GROUP = 'failover-readers';
let cluster: TestCluster;

before(async () => {
  if (skip !== false) return;
  cluster = await startCluster({ brokers: 3, sessionTimeoutMs: SESSION_MS, overrides: { 'offsets.topic.num.partitions': '6', 'group.initial.rebalance.delay.ms': '0' } });
  await cluster.waitForBrokers();
});
after(async () => { await cluster?.close(); });

const FILL = `
import sys
from confluent_kafka import Producer
bootstrap, topic, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
p = Producer({'bootstrap.servers': bootstrap, 'enable.idempotence': True, 'acks': 'all', 'linger.ms': 5})
for i in range(n):
    p.produce(topic, str(i).encode(), partition=i % 3)
    p.poll(0)
left = p.flush(60)
print('{"left": %d}' % left)
`;

/** Consumes until \`stop\` distinct records, committing synchronously every 100; prints progress, then JSON. */
const CONSUME = `
import sys, json, time
from confluent_kafka import Consumer, TopicPartition, KafkaException, KafkaError
bootstrap, topic, group, stop = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'enable.auto.commit': False, 'auto.offset.reset': 'earliest',
              'fetch.wait.max.ms': 100, 'session.timeout.ms': 30000, 'reconnect.backoff.max.ms': 500, 'topic.metadata.refresh.interval.ms': 1000})
c.subscribe([topic])
seen, records, errors, first = set(), [], [], {}
since = 0
deadline = time.time() + 150
def commit():
    try:
        c.commit(asynchronous=False)
        return True
    except KafkaException as e:
        if e.args[0].code() == KafkaError._NO_OFFSET:
            return True  # nothing consumed since the last commit
        errors.append(str(e))
        return False
while len(seen) < stop and time.time() < deadline:
    m = c.poll(0.5)
    if m is None or m.error():
        continue
    first.setdefault(m.partition(), m.offset())
    seen.add((m.partition(), m.offset()))
    records.append([m.partition(), m.offset()])
    time.sleep(0.003)  # a paced consumer: the coordinator dies while it is busy
    since += 1
    if since >= 100:
        since = 0
        commit()
    print('got %d' % len(seen), flush=True)
final = False
for _ in range(40):
    if commit():
        final = True
        break
    time.sleep(0.5)
committed = [[tp.partition, tp.offset] for tp in c.committed([TopicPartition(topic, p) for p in range(3)], timeout=20)]
c.close()
print(json.dumps({'records': records, 'first': first, 'committed': committed, 'final': final, 'errors': errors[:5], 'errorCount': len(errors)}))
`;

async function groupCoordinator(nodeId: number): Promise<number> {
  const client = await KafkaClient.connect(cluster.bootstrap(nodeId));
  try {
    const r = await client.request(FindCoordinator, { key: GROUP, keyType: 0, coordinatorKeys: [GROUP] }, { version: 4 });
    return r.coordinators[0]!.errorCode === 0 ? r.coordinators[0]!.nodeId : -1;
  } finally {
    await client.close();
  }
}

interface Consumed { records: [number, number][]; first: Record<string, number>; committed: [number, number][]; final: boolean; errors: string[]; errorCount: number }

test('confluent-kafka group: the group coordinator\'s broker kill -9ed mid-consumption; commits continue and a new consumer resumes at the committed offsets', { skip, timeout: 300_000 }, async () => {
  const admin = await KafkaClient.connect(cluster.bootstrap(1));
  try {
    const r = await admin.request(CreateTopics, { topics: [{ name: 'events', numPartitions: 3, replicationFactor: 3, assignments: [], configs: [] }], timeoutMs: 30_000, validateOnly: false });
    assert.equal(r.topics[0]!.errorCode, 0, r.topics[0]!.errorMessage ?? '');
  } finally {
    await admin.close();
  }
  const fill = await runPython(FILL, [cluster.bootstrap(), 'events', String(RECORDS)], 120_000);
  assert.deepEqual(lastJson(fill), { left: 0 }, fill.stderr);

  const child = spawn(PYTHON, ['-c', CONSUME, cluster.bootstrap(), 'events', GROUP, String(2 * RECORDS / 3)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const gotSoFar = () => Number(/got (\d+)\n(?![\s\S]*got)/.exec(stdout)?.[1] ?? 0);
  let victim = -1;
  let gotAtKill = 0;
  try {
    await until('the first consumer is under way', () => gotSoFar() >= 500 || child.exitCode !== null, { timeoutMs: 90_000 });
    gotAtKill = gotSoFar();
    assert.ok(gotAtKill < 1500, `still consuming when the coordinator dies (${gotAtKill})`);
    victim = await groupCoordinator(1);
    assert.ok(victim > 0, 'the group has a coordinator');
    await cluster.kill9(victim);
    const witness = [...cluster.brokers.keys()].find((id) => id !== victim)!;
    await until('a new group coordinator', async () => { const n = await groupCoordinator(witness); return n > 0 && n !== victim; }, { timeoutMs: 60_000 });
    assert.equal(await exited, 0, stderr);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  const one = lastJson<Consumed>({ stdout, stderr, code: 0 } as never);
  assert.equal(one.final, true, `the final commit succeeded: ${one.errors.join('; ')}`);
  console.log(`# killed broker ${victim} (group coordinator) after ${gotAtKill} records; first consumer: ${one.records.length} records, ${one.errorCount} failed commits, committed ${JSON.stringify(one.committed)}`);

  const two = await runPython(CONSUME, [cluster.bootstrap(), 'events', GROUP, String(RECORDS - one.committed.reduce((s, [, o]) => s + Math.max(o, 0), 0))], 200_000);
  const second = lastJson<Consumed>(two);
  // The second consumer starts exactly where the first committed.
  for (const [p, offset] of one.committed) {
    if (offset < RECORDS / 3) assert.equal(second.first[String(p)], Math.max(offset, 0), `partition ${p} resumes at the committed offset (${offset})`);
  }
  const all = new Set([...one.records, ...second.records].map(([p, o]) => `${p}:${o}`));
  assert.equal(all.size, RECORDS, 'no gap: every record was consumed');
  assert.equal(second.records.length, new Set(second.records.map(([p, o]) => `${p}:${o}`)).size);
  await cluster.start(victim);
  await cluster.waitForBrokers();
});

/** A transaction: produce to the given partitions, print "ready", wait for a line on stdin, commit; prints the outcome. */
const TRANSACT = `
import sys, json
from confluent_kafka import Producer, KafkaException
bootstrap, topic, parts = sys.argv[1], sys.argv[2], [int(x) for x in sys.argv[3].split(',')]
p = Producer({'bootstrap.servers': bootstrap, 'transactional.id': 'failover-tx', 'transaction.timeout.ms': 120000,
              'reconnect.backoff.max.ms': 500, 'topic.metadata.refresh.interval.ms': 1000})
p.init_transactions(60)
p.begin_transaction()
for part in parts:
    for i in range(30):
        p.produce(topic, ('%d-%d' % (part, i)).encode(), partition=part)
p.flush(60)
print('ready', flush=True)
sys.stdin.readline()
outcome = 'committed'
try:
    p.commit_transaction(90)
except KafkaException as e:
    outcome = 'failed: ' + str(e)
    try:
        p.abort_transaction(60)
        outcome += '; aborted'
    except KafkaException as e2:
        outcome += '; abort failed: ' + str(e2)
print(json.dumps({'outcome': outcome}), flush=True)
`;

const READ_COMMITTED = `
import sys, json
from confluent_kafka import Consumer, TopicPartition
bootstrap, topic = sys.argv[1], sys.argv[2]
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'unused', 'enable.auto.commit': False, 'isolation.level': 'read_committed', 'fetch.wait.max.ms': 100})
out = []
for part in range(3):
    lo, hi = c.get_watermark_offsets(TopicPartition(topic, part), timeout=20)
    c.assign([TopicPartition(topic, part, 0)])
    while True:
        m = c.poll(3)
        if m is None:
            break
        if m.error():
            continue
        out.append(m.value().decode())
print(json.dumps(out))
`;

async function findCoordinator(nodeId: number, key: string, keyType: number): Promise<number> {
  const client = await KafkaClient.connect(cluster.bootstrap(nodeId));
  try {
    const r = await client.request(FindCoordinator, { key, keyType, coordinatorKeys: [key] }, { version: 4 });
    return r.coordinators[0]!.errorCode === 0 ? r.coordinators[0]!.nodeId : -1;
  } finally {
    await client.close();
  }
}

test('confluent-kafka transaction: its coordinator\'s broker kill -9ed before the commit; the new coordinator completes it as a whole', { skip, timeout: 300_000 }, async () => {
  const admin = await KafkaClient.connect(cluster.bootstrap(1));
  let leaders: number[];
  try {
    const r = await admin.request(CreateTopics, { topics: [{ name: 'tx-out', numPartitions: 3, replicationFactor: 3, assignments: [], configs: [] }], timeoutMs: 30_000, validateOnly: false });
    assert.equal(r.topics[0]!.errorCode, 0, r.topics[0]!.errorMessage ?? '');
    await until('tx-out led', async () => (await admin.metadata(['tx-out'])).topics[0]!.partitions.every((p) => p.leaderId > 0));
    leaders = (await admin.metadata(['tx-out'])).topics[0]!.partitions.sort((a, b) => a.partition - b.partition).map((p) => p.leaderId);
  } finally {
    await admin.close();
  }
  let victim = -1;
  await until('a transaction coordinator', async () => (victim = await findCoordinator(1, 'failover-tx', 1)) > 0, { timeoutMs: 60_000 });
  const parts = [0, 1, 2].filter((p) => leaders[p] !== victim);
  assert.ok(parts.length >= 1, 'outputs led by other brokers than the coordinator');

  const child = spawn(PYTHON, ['-c', TRANSACT, cluster.bootstrap(), 'tx-out', parts.join(',')], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  try {
    await until('the transaction has its records', () => stdout.includes('ready') || child.exitCode !== null, { timeoutMs: 90_000 });
    assert.ok(stdout.includes('ready'), stderr);
    await cluster.kill9(victim);
    const witness = [...cluster.brokers.keys()].find((id) => id !== victim)!;
    await until('a new transaction coordinator', async () => { const n = await findCoordinator(witness, 'failover-tx', 1); return n > 0 && n !== victim; }, { timeoutMs: 60_000 });
    child.stdin.write('go\n');
    assert.equal(await exited, 0, stderr);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  const { outcome } = lastJson<{ outcome: string }>({ stdout, stderr, code: 0 } as never);
  console.log(`# killed broker ${victim} (transaction coordinator); outputs on partitions ${parts.join(',')}; outcome: ${outcome}`);
  const expected = parts.flatMap((p) => Array.from({ length: 30 }, (_, i) => `${p}-${i}`)).sort();
  await until('read_committed sees the whole transaction or none of it', async () => {
    const r = await runPython(READ_COMMITTED, [cluster.bootstrap(), 'tx-out'], 60_000);
    const got = lastJson<string[]>(r).sort();
    if (outcome === 'committed') return JSON.stringify(got) === JSON.stringify(expected);
    assert.ok(got.length === 0 || JSON.stringify(got) === JSON.stringify(expected), `all or nothing: ${got.length} of ${expected.length}`);
    return got.length === 0;
  }, { timeoutMs: 60_000 });
  assert.equal(outcome, 'committed', 'the commit went through the new coordinator');
});
