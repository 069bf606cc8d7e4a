/**
 * ElectLeaders against real broker processes on a real etcd: a partition's preferred leader
 * (its first replica) is kill -9ed, another replica takes over; restarted and back in the ISR,
 * Apache Kafka's Java AdminClient (electLeaders PREFERRED) puts leadership back (leader epoch +
 * 1); the same again, then Kafka's own kafka-leader-election.sh (LeaderElectionCommand, from the
 * kafka-tools jar) with --all-topic-partitions; raw ElectLeaders v0/v1/v2 answer ELECTION_NOT_NEEDED,
 * PREFERRED_LEADER_NOT_AVAILABLE, UNKNOWN_TOPIC_OR_PARTITION and INVALID_REQUEST as Kafka does.
 * A standalone broker's single replicas need no election.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { ElectLeaders } from '../../src/protocol/messages/elect-leaders.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { createTopic, partitionsOf } from '../helpers/cluster-lifecycle.js';
import { etcdAvailable } from '../helpers/etcd.js';
import { javaClients, javaHarness, javaSkip } from '../helpers/java.js';
import { run } from '../helpers/clients.js';
import { fileURLToPath } from 'node:url';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const sherwood = (args: string[]) => run(process.execPath, ['--import', 'tsx', CLI, ...args], { timeoutMs: 60_000 });
import { startTestBroker } from '../helpers/broker.js';
import { until } from '../helpers/wait.js';

const skip = !etcdAvailable() ? 'etcd is not installed' : javaSkip;
let cluster: TestCluster;

before(async () => {
  if (skip !== false) return;
  cluster = await startCluster({ brokers: 3, sessionTimeoutMs: 3000 });
  await cluster.waitForBrokers();
});
after(async () => { await cluster?.close(); });

async function elect(bootstrap: string, version: number, electionType: number, topicPartitions: { topic: string; partitions: number[] }[] | null) {
  const c = await KafkaClient.connect(bootstrap);
  try {
    return await c.request(ElectLeaders, { electionType, topicPartitions, timeoutMs: 30_000 }, { version });
  } finally {
    await c.close();
  }
}

/** kill -9 of partition 0's preferred leader, until another leads it; restarted, until it is back in the ISR. */
async function demote(preferred: number, witness: number, checkWhileDown?: () => Promise<void>) {
  await cluster.kill9(preferred);
  await until('another leader for partition 0', async () => {
    const p = (await partitionsOf(cluster, 'elect', witness))[0]!;
    return p.leaderId > 0 && p.leaderId !== preferred;
  }, { timeoutMs: 30_000 });
  await checkWhileDown?.();
  await cluster.start(preferred);
  await cluster.waitForBrokers();
  await until(`broker ${preferred} back in the ISR of partition 0`, async () => (await partitionsOf(cluster, 'elect', witness))[0]!.isr.includes(preferred), { timeoutMs: 60_000 });
  const moved = (await partitionsOf(cluster, 'elect', witness))[0]!;
  assert.notEqual(moved.leaderId, preferred, 'no automatic rebalancing moved it back meanwhile');
  return moved;
}

test('preferred-leader election puts leadership back on the first replica after it returns (Java AdminClient, kafka-leader-election.sh, raw v0-v2)', { skip, timeout: 240_000 }, async () => {
  await createTopic(cluster, 'elect', 3, 3);
  const p0 = (await partitionsOf(cluster, 'elect'))[0]!;
  const preferred = p0.replicas[0]!;
  assert.equal(p0.leaderId, preferred, 'a new topic is led by its preferred replicas');
  const witness = [...cluster.brokers.keys()].find((id) => id !== preferred)!;
  const moved = await demote(preferred, witness, async () => {
    // While it is down: not available.
    const down = await elect(cluster.bootstrap(witness), 2, 0, [{ topic: 'elect', partitions: [0] }]);
    assert.equal(down.replicaElectionResults[0]!.partitionResult[0]!.errorCode, ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE);
  });

  // Apache Kafka's AdminClient.
  const java = javaClients(cluster.bootstrap(witness));
  const r = await java.admin('elect-leaders', { type: 'preferred', topic: 'elect', partitions: [0] });
  assert.deepEqual(r, { 'elect-0': {} });
  await until('partition 0 led by its preferred replica again', async () => (await partitionsOf(cluster, 'elect', witness))[0]!.leaderId === preferred, { timeoutMs: 10_000 });
  const after0 = (await partitionsOf(cluster, 'elect', witness))[0]!;
  assert.equal(after0.leaderEpoch, moved.leaderEpoch + 1);
  const again = await java.admin('elect-leaders', { type: 'preferred', topic: 'elect', partitions: [0] });
  assert.equal(again['elect-0'].error.class, 'ElectionNotNeededException');
  // All partitions: only those that needed an election are listed (none now).
  assert.deepEqual(await java.admin('elect-leaders', { type: 'preferred' }), {});

  // Kafka's own tool, over every partition.
  const movedAgain = await demote(preferred, witness);
  const classpath = await javaHarness();
  const tool = await run('java', ['-cp', classpath, 'org.apache.kafka.tools.LeaderElectionCommand', '--bootstrap-server', cluster.bootstrap(witness),
    '--election-type', 'PREFERRED', '--all-topic-partitions'], { timeoutMs: 60_000 });
  assert.equal(tool.code, 0, tool.stderr);
  assert.match(tool.stdout, /Successfully completed leader election \(PREFERRED\) for partitions elect-0/);
  await until('partition 0 led by its preferred replica again (the tool)', async () => (await partitionsOf(cluster, 'elect', witness))[0]!.leaderId === preferred, { timeoutMs: 10_000 });
  assert.equal((await partitionsOf(cluster, 'elect', witness))[0]!.leaderEpoch, movedAgain.leaderEpoch + 1);

  // Our own tool, with kafka-leader-election.sh's flags and output.
  const movedThird = await demote(preferred, witness);
  const ours = await sherwood(['leader-election', '--bootstrap-server', cluster.bootstrap(witness), '--election-type', 'preferred', '--topic', 'elect', '--partition', '0']);
  assert.equal(ours.code, 0, ours.stderr);
  assert.equal(ours.stdout, 'Successfully completed leader election (PREFERRED) for partitions elect-0\n');
  const third = (await partitionsOf(cluster, 'elect', witness))[0]!;
  assert.deepEqual([third.leaderId, third.leaderEpoch], [preferred, movedThird.leaderEpoch + 1]);

  // Our own client, every version: v0 is always PREFERRED; v1+ carry the type and a top-level error.
  for (const version of [0, 1, 2]) {
    const res = await elect(cluster.bootstrap(), version, 0, [{ topic: 'elect', partitions: [0, 1] }, { topic: 'nope', partitions: [0] }]);
    assert.equal(res.errorCode, ErrorCode.NONE);
    assert.deepEqual(res.replicaElectionResults.map((t) => [t.topic, t.partitionResult.map((p) => [p.partitionId, p.errorCode])]), [
      ['elect', [[0, ErrorCode.ELECTION_NOT_NEEDED], [1, ErrorCode.ELECTION_NOT_NEEDED]]], ['nope', [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
    ], `v${version}`);
  }
  const unclean = await elect(cluster.bootstrap(), 2, 1, [{ topic: 'elect', partitions: [2] }]);
  assert.equal(unclean.replicaElectionResults[0]!.partitionResult[0]!.errorCode, ErrorCode.ELECTION_NOT_NEEDED, 'UNCLEAN with a live leader');
  const bad = await elect(cluster.bootstrap(), 1, 7, [{ topic: 'elect', partitions: [0] }]);
  assert.equal(bad.errorCode, ErrorCode.INVALID_REQUEST);
});

test('a standalone broker: every partition\'s only replica leads, ELECTION_NOT_NEEDED', { timeout: 30_000 }, async () => {
  const b = await startTestBroker();
  try {
    assert.equal((await b.broker.topics.create({ name: 'solo', numPartitions: 2, replicationFactor: 1 })).errorCode, ErrorCode.NONE);
    const res = await elect(b.bootstrap, 2, 0, [{ topic: 'solo', partitions: [0, 1] }]);
    assert.deepEqual(res.replicaElectionResults[0]!.partitionResult.map((p) => p.errorCode), [ErrorCode.ELECTION_NOT_NEEDED, ErrorCode.ELECTION_NOT_NEEDED]);
    assert.deepEqual((await elect(b.bootstrap, 2, 0, null)).replicaElectionResults, []);
    // sherwood leader-election: nothing to do, and a failure (exit 1) from a JSON file.
    const noop = await sherwood(['leader-election', '--bootstrap-server', b.bootstrap, '--election-type', 'PREFERRED', '--all-topic-partitions']);
    assert.deepEqual([noop.code, noop.stdout], [0, '']);
    const dir = mkdtempSync(join(tmpdir(), 'sherwood-elect-'));
    try {
      const file = join(dir, 'elect.json');
      writeFileSync(file, JSON.stringify({ partitions: [{ topic: 'solo', partition: 1 }, { topic: 'nope', partition: 0 }] }));
      const mixed = await sherwood(['leader-election', '--bootstrap-server', b.bootstrap, '--election-type', 'PREFERRED', '--path-to-json-file', file]);
      assert.equal(mixed.code, 1);
      assert.equal(mixed.stdout, 'Valid replica already elected for partitions solo-1\n'
        + 'Error completing leader election (PREFERRED) for partition: nope-0: org.apache.kafka.common.errors.UnknownTopicOrPartitionException: This server does not host this topic-partition.\n');
      assert.equal(mixed.stderr, 'sherwood leader-election: 1 replica(s) could not be elected\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const usage = await sherwood(['leader-election', '--bootstrap-server', b.bootstrap, '--election-type', 'PREFERRED', '--topic', 'solo']);
    assert.deepEqual([usage.code, usage.stderr], [1, 'sherwood leader-election: Missing required option(s): partition (see --help)\n']);
  } finally {
    await b.close();
  }
});
