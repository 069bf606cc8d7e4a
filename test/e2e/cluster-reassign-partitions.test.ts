/**
 * Partition reassignment with real broker processes on a real etcd:
 * - a topic's replication factor raised from 1 to 3 with Apache Kafka's own
 *   kafka-reassign-partitions.sh (ReassignPartitionsCommand, kafka-tools jar; --execute, then
 *   --verify until completed) while an idempotent confluent-kafka producer writes acks=all:
 *   every acknowledged record is there once, the new replicas' segment batches equal the
 *   leader's byte for byte, and they serve everything after the original broker is kill -9ed;
 * - KafkaJS's admin moves a partition off its leader (alterPartitionReassignments,
 *   listPartitionReassignments): leadership passes to a target replica, the removed broker
 *   deletes its copy, confluent-kafka reads every record back;
 * - `sherwood reassign-partitions` with kafka-reassign-partitions.sh's flags: a reassignment to
 *   a broker that is down stays in progress (--list, `sherwood topics --describe`'s Adding
 *   Replicas, --verify, --execute refused without --additional), --cancel reverts it;
 * - CreatePartitions with explicit assignments, by KafkaJS and by kafka-topics.sh.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { lastJson, run, runPython } from '../helpers/clients.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { CONFLUENT_READ_ALL, createTopic, metadata, partitionsOf, segmentBatches, startConfluentProducer } from '../helpers/cluster-lifecycle.js';
import { etcdAvailable } from '../helpers/etcd.js';
import { javaHarness, javaSkip } from '../helpers/java.js';
import { until } from '../helpers/wait.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const sherwood = (args: string[]) => run(process.execPath, ['--import', 'tsx', CLI, ...args], { timeoutMs: 60_000 });
const skip = !etcdAvailable() ? 'etcd is not installed' : javaSkip;
let cluster: TestCluster;
let dir: string;

before(async () => {
  if (skip !== false) return;
  dir = mkdtempSync(join(tmpdir(), 'sherwood-reassign-'));
  cluster = await startCluster({ brokers: 3, sessionTimeoutMs: 3000 });
  await cluster.waitForBrokers();
});
/** Every broker process still running: a broker that died by itself shows its output here. */
function assertBrokersAlive(): void {
  for (const [id, b] of cluster.brokers) assert.equal(b.child.exitCode ?? b.child.signalCode, null, `broker ${id} exited:\n${b.output().slice(-4000)}`);
}

after(async () => {
  await cluster?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

function reassignmentFile(name: string, topic: string, replicas: number[]): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ version: 1, partitions: [{ topic, partition: 0, replicas, log_dirs: replicas.map(() => 'any') }] }));
  return path;
}

test('replication factor 1 → 3 under acks=all load with Kafka\'s kafka-reassign-partitions.sh: nothing lost, replicas equal byte for byte', { skip, timeout: 240_000 }, async () => {
  await createTopic(cluster, 'grow', 1, 1, { 'segment.bytes': '16384' });
  const before = (await partitionsOf(cluster, 'grow'))[0]!;
  const original = before.leaderId;
  const target = [original, ...[...cluster.brokers.keys()].filter((id) => id !== original)];
  const classpath = await javaHarness();
  const tool = (...args: string[]) => run('java', ['-cp', classpath, 'org.apache.kafka.tools.reassign.ReassignPartitionsCommand', '--bootstrap-server', cluster.bootstrap(), ...args], { timeoutMs: 60_000 });
  const file = reassignmentFile('grow.json', 'grow', target);
  const producer = startConfluentProducer(cluster, 'grow', 4000, 1, '0.02');
  try {
    await until('records acknowledged before the reassignment', () => producer.acked() >= 500, { timeoutMs: 60_000 });
    const execute = await tool('--reassignment-json-file', file, '--execute');
    assert.equal(execute.code, 0, execute.stdout + execute.stderr);
    assert.match(execute.stdout, new RegExp(`"replicas":\\[${original}\\],"log_dirs":\\["${cluster.dataDir(original)}"\\]`), 'the rollback JSON: the one replica, its log dir (DescribeLogDirs)');
    assert.match(execute.stdout, /Successfully started partition reassignment for grow-0/);
    let verify = '';
    await until('kafka-reassign-partitions --verify says completed', async () => {
      const r = await tool('--reassignment-json-file', file, '--verify');
      verify = r.stdout + r.stderr;
      return /Reassignment of partition grow-0 is completed/.test(r.stdout);
    }, { timeoutMs: 120_000, intervalMs: 1000 });
    assert.doesNotMatch(verify, /Exception|Error/, verify);
    const r = await producer.result();
    assert.deepEqual([r.failed, r.unflushed, r.acked.length], [[], 0, 4000]);
    const after = (await partitionsOf(cluster, 'grow'))[0]!;
    assert.deepEqual(after.replicas, target);
    await until('all three in the ISR', async () => (await partitionsOf(cluster, 'grow'))[0]!.isr.length === 3, { timeoutMs: 30_000 });
    // The copies are the leader's log, batch for batch.
    const leaderDir = cluster.dataDir((await partitionsOf(cluster, 'grow'))[0]!.leaderId);
    for (const id of target) {
      await until(`broker ${id} has the whole log`, () => segmentBatches(cluster.dataDir(id), 'grow', 0).length === segmentBatches(leaderDir, 'grow', 0).length, { timeoutMs: 30_000 });
      const mine = segmentBatches(cluster.dataDir(id), 'grow', 0);
      const leaders = segmentBatches(leaderDir, 'grow', 0);
      assert.ok(mine.every((b, i) => b.equals(leaders[i]!)), `broker ${id}'s batches equal the leader's`);
    }
    // The original (only) broker dies: the new replicas have everything acknowledged, once, in order.
    await cluster.kill9(original);
    const witness = target[1]!;
    await until('a new leader', async () => { const p = (await partitionsOf(cluster, 'grow', witness))[0]!; return p.leaderId > 0 && p.leaderId !== original; }, { timeoutMs: 30_000 });
    const read = lastJson(await runPython(CONFLUENT_READ_ALL, [cluster.bootstrap(witness), 'grow', '1'], 90_000)) as [number, number, string][];
    const values = read.map(([, , v]) => Number(v));
    assert.equal(new Set(values).size, values.length, 'no duplicates');
    const ackedInOrder = r.acked.sort((a, b) => a[1] - b[1]).map(([, , v]) => v);
    assert.deepEqual(values, ackedInOrder, 'every acknowledged record, in offset order');
  } finally {
    if (producer.child.exitCode === null) producer.child.kill('SIGKILL');
    if (!cluster.brokers.has(original)) await cluster.start(original);
  }
});

test('KafkaJS moves a partition off its leader; `sherwood reassign-partitions` lists, refuses, verifies and cancels', { skip, timeout: 180_000 }, async () => {
  assertBrokersAlive();
  await cluster.waitForBrokers();
  await createTopic(cluster, 'move', 1, 2);
  const p = (await partitionsOf(cluster, 'move'))[0]!;
  const [a, b] = [p.leaderId, p.replicas.find((id) => id !== p.leaderId)!];
  const c = [...cluster.brokers.keys()].find((id) => id !== a && id !== b)!;
  const kafka = new Kafka({ clientId: 'reassign', brokers: [cluster.bootstrap(c)], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true });
  await Promise.all([admin.connect(), producer.connect()]);
  try {
    await producer.send({ topic: 'move', acks: -1, messages: Array.from({ length: 200 }, (_, i) => ({ value: String(i), partition: 0 })) });
    // Off the leader: a is replaced by c.
    await admin.alterPartitionReassignments({ topics: [{ topic: 'move', partitionAssignment: [{ partition: 0, replicas: [c, b] }] }] });
    await until('the partition on [c, b], led by one of them, both in sync', async () => {
      const q = (await partitionsOf(cluster, 'move', c))[0]!;
      return q.replicas.join() === [c, b].join() && q.leaderId !== a && q.leaderId > 0 && q.isr.length === 2;
    }, { timeoutMs: 60_000 });
    const moved = (await partitionsOf(cluster, 'move', c))[0]!;
    if (moved.leaderId !== p.leaderId) assert.ok(moved.leaderEpoch > p.leaderEpoch, 'a new leader has a new epoch');
    assert.deepEqual((await admin.listPartitionReassignments({})).topics, [], 'nothing in progress any more');
    await until(`broker ${a} deleted its copy`, () => !existsSync(join(cluster.dataDir(a), 'move-0')), { timeoutMs: 30_000 });
    await producer.send({ topic: 'move', acks: -1, messages: [{ value: '200', partition: 0 }] });
    const read = lastJson(await runPython(CONFLUENT_READ_ALL, [cluster.bootstrap(c), 'move', '1'], 60_000)) as [number, number, string][];
    assert.deepEqual(read.map(([, , v]) => Number(v)), Array.from({ length: 201 }, (_, i) => i));

    // A reassignment that cannot finish: its new replica's broker is down. KafkaJS sends
    // ListPartitionReassignments to the controller it knows and does not retry elsewhere on a
    // refused connection: wait until the live brokers no longer list `a` (nor as controller),
    // then ask with a freshly connected admin.
    await cluster.kill9(a);
    await until(`broker ${a} gone from the metadata`, async () => {
      const md = await metadata(cluster, [], c);
      return md.controllerId !== a && md.controllerId !== -1 && !md.brokers.some((x) => x.nodeId === a);
    }, { timeoutMs: 30_000 });
    const file = reassignmentFile('move.json', 'move', [c, b, a]);
    const bootstrap = cluster.bootstrap(c);
    const execute = await sherwood(['reassign-partitions', '--bootstrap-server', bootstrap, '--reassignment-json-file', file, '--execute']);
    assert.equal(execute.code, 0, execute.stderr);
    assert.equal(execute.stdout, `Current partition replica assignment\n\n{"version":1,"partitions":[{"topic":"move","partition":0,"replicas":[${c},${b}],"log_dirs":["any","any"]}]}\n\n`
      + `Save this to use as the --reassignment-json-file option during rollback\nSuccessfully started partition reassignment for move-0\n`);
    const listed = await sherwood(['reassign-partitions', '--bootstrap-server', bootstrap, '--list']);
    assert.equal(listed.stdout, `Current partition reassignments:\nmove-0: replicas: ${c},${b},${a}. adding: ${a}. removing: .\n`);
    const described = await sherwood(['topics', '--bootstrap-server', bootstrap, '--describe', '--topic', 'move']);
    assert.match(described.stdout, /ReplicationFactor: 3\t/, 'the target factor (replicas − removing), as kafka-topics.sh counts it');
    assert.match(described.stdout, new RegExp(`Replicas: ${c},${b},${a}\tIsr: [\\d,]+\tAdding Replicas: ${a}\tRemoving Replicas: \n`));
    const fresh = kafka.admin();
    await fresh.connect();
    const ongoing = await fresh.listPartitionReassignments({ topics: [{ topic: 'move', partitions: [0] }] }).finally(() => fresh.disconnect());
    // KafkaJS 2.2.4 answers { name, partitions: [{ partition, ... }] } (its typings say topic / partitionIndex).
    assert.deepEqual(ongoing.topics as unknown, [{ name: 'move', partitions: [{ partition: 0, replicas: [c, b, a], addingReplicas: [a], removingReplicas: [] }] }]);
    const again = await sherwood(['reassign-partitions', '--bootstrap-server', bootstrap, '--reassignment-json-file', file, '--execute']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /Cannot execute because there is an existing partition assignment/);
    const pending = await sherwood(['reassign-partitions', '--bootstrap-server', bootstrap, '--reassignment-json-file', file, '--verify']);
    assert.deepEqual([pending.code, pending.stdout], [1, 'Status of partition reassignment:\nReassignment of partition move-0 is still in progress.\n']);
    const cancelled = await sherwood(['reassign-partitions', '--bootstrap-server', bootstrap, '--reassignment-json-file', file, '--cancel']);
    assert.deepEqual([cancelled.code, cancelled.stdout], [0, 'Successfully cancelled partition reassignment for: move-0\n']);
    await until('back on [c, b]', async () => (await partitionsOf(cluster, 'move', c))[0]!.replicas.join() === [c, b].join(), { timeoutMs: 10_000 });
    const verify = await sherwood(['reassign-partitions', '--bootstrap-server', bootstrap, '--reassignment-json-file', file, '--verify']);
    assert.deepEqual([verify.code, verify.stdout], [1, `Status of partition reassignment:\nThere is no active reassignment of partition move-0, but replica set is ${c},${b} rather than ${c},${b},${a}.\n`]);
    const none = await sherwood(['reassign-partitions', '--bootstrap-server', bootstrap, '--list']);
    assert.equal(none.stdout, 'No partition reassignments found.\n');
  } finally {
    await Promise.all([admin.disconnect(), producer.disconnect()]);
    if (!cluster.brokers.has(a)) await cluster.start(a);
  }
});

test('CreatePartitions with explicit assignments across brokers: KafkaJS and Kafka\'s kafka-topics.sh --alter --replica-assignment', { skip, timeout: 120_000 }, async () => {
  assertBrokersAlive();
  await cluster.waitForBrokers();
  await createTopic(cluster, 'wide', 1, 2);
  const [x, y, z] = [...cluster.brokers.keys()].sort((m, n) => m - n) as [number, number, number];
  const kafka = new Kafka({ clientId: 'create-partitions', brokers: cluster.bootstrap().split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer();
  await Promise.all([admin.connect(), producer.connect()]);
  try {
    await assert.rejects(admin.createPartitions({ topicPartitions: [{ topic: 'wide', count: 2, assignments: [[x]] }] }),
      (e: Error & { type?: string }) => e.type === 'INVALID_REPLICA_ASSIGNMENT' || /INVALID_REPLICA_ASSIGNMENT|replica assignment/i.test(JSON.stringify(e)));
    await admin.createPartitions({ topicPartitions: [{ topic: 'wide', count: 2, assignments: [[z, x]] }] });
    await until('partition 1 on [z, x], led by z, both in sync', async () => {
      const p = (await partitionsOf(cluster, 'wide'))[1];
      return p !== undefined && p.replicas.join() === [z, x].join() && p.leaderId === z && p.isr.length === 2;
    }, { timeoutMs: 30_000 });
    const existing = (await partitionsOf(cluster, 'wide')).map((p) => p.replicas.join(':'));
    const classpath = await javaHarness();
    const tool = await run('java', ['-cp', classpath, 'org.apache.kafka.tools.TopicCommand', '--bootstrap-server', cluster.bootstrap(), '--alter', '--topic', 'wide',
      '--partitions', '3', '--replica-assignment', [...existing, `${y}:${z}`].join(',')], { timeoutMs: 60_000 });
    assert.equal(tool.code, 0, tool.stdout + tool.stderr);
    await until('partition 2 on [y, z], led by y, both in sync', async () => {
      const p = (await partitionsOf(cluster, 'wide'))[2];
      return p !== undefined && p.replicas.join() === [y, z].join() && p.leaderId === y && p.isr.length === 2;
    }, { timeoutMs: 30_000 });
    await producer.send({ topic: 'wide', acks: -1, messages: [0, 1, 2].map((partition) => ({ value: `p${partition}`, partition })) });
    const read = lastJson(await runPython(CONFLUENT_READ_ALL, [cluster.bootstrap(x), 'wide', '3'], 60_000)) as [number, number, string][];
    assert.deepEqual(read.map(([p, , v]) => [p, v]), [[0, 'p0'], [1, 'p1'], [2, 'p2']]);
  } finally {
    await Promise.all([admin.disconnect(), producer.disconnect()]);
  }
});
