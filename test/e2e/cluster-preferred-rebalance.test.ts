/**
 * auto.leader.rebalance.enable with a 1 s leader.imbalance.check.interval.seconds, real broker
 * processes on a real etcd: a partition's preferred leader is kill -9ed, another replica leads;
 * restarted and back in the ISR, the controller gives the leadership back on its own (epoch +
 * 1) while confluent-kafka keeps producing with acks=all, and nothing acknowledged is lost.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { PYTHON, lastJson, runPython } from '../helpers/clients.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { CONFLUENT_PRODUCER, CONFLUENT_READ_ALL, createTopic, partitionsOf } from '../helpers/cluster-lifecycle.js';
import { etcdAvailable } from '../helpers/etcd.js';
import { until } from '../helpers/wait.js';

const skip = etcdAvailable() ? false : 'etcd is not installed';
let cluster: TestCluster;

before(async () => {
  if (skip !== false) return;
  cluster = await startCluster({ brokers: 3, sessionTimeoutMs: 3000, overrides: { 'leader.imbalance.check.interval.seconds': '1' } });
  await cluster.waitForBrokers();
});
after(async () => { await cluster?.close(); });

test('a returning preferred leader gets its partition back from the controller on its own, under an acks=all producer', { skip, timeout: 180_000 }, async () => {
  await createTopic(cluster, 'balanced', 3, 3, { 'min.insync.replicas': '2' });
  const p0 = (await partitionsOf(cluster, 'balanced'))[0]!;
  const preferred = p0.replicas[0]!;
  const witness = [...cluster.brokers.keys()].find((id) => id !== preferred)!;
  const child = spawn(PYTHON, ['-c', CONFLUENT_PRODUCER, cluster.bootstrap(witness), 'balanced', '3000', '3', '0.05'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  try {
    await until('records acknowledged', () => /acked \d+/.test(stdout), { timeoutMs: 60_000 });
    await cluster.kill9(preferred);
    await until('another leader for partition 0', async () => {
      const p = (await partitionsOf(cluster, 'balanced', witness))[0]!;
      return p.leaderId > 0 && p.leaderId !== preferred;
    }, { timeoutMs: 30_000 });
    const moved = (await partitionsOf(cluster, 'balanced', witness))[0]!;
    await cluster.start(preferred);
    const restartedAt = Date.now();
    await until('partition 0 led by its preferred replica again, without being asked', async () => (await partitionsOf(cluster, 'balanced', witness))[0]!.leaderId === preferred, { timeoutMs: 60_000 });
    const back = (await partitionsOf(cluster, 'balanced', witness))[0]!;
    console.log(`# leadership back on broker ${preferred} ${Date.now() - restartedAt} ms after its restart (epoch ${moved.leaderEpoch} -> ${back.leaderEpoch})`);
    assert.equal(back.leaderEpoch, moved.leaderEpoch + 1);
    assert.ok(back.isr.includes(preferred));
    assert.equal(await exited, 0, stderr);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  const r = JSON.parse(stdout.trim().split('\n').pop()!) as { acked: [number, number, number][]; failed: unknown[]; unflushed: number };
  assert.deepEqual(r.failed, []);
  assert.equal(r.acked.length, 3000);
  const log = lastJson<[number, number, string | number][]>(await runPython(CONFLUENT_READ_ALL, [cluster.bootstrap(), 'balanced', '3'], 120_000));
  const at = new Map(log.map(([p, o, v]) => [`${p}:${o}`, String(v)]));
  for (const [p, o, v] of r.acked) assert.equal(at.get(`${p}:${o}`), String(v), `the record acknowledged at ${p}:${o}`);
  assert.equal(new Set(log.map(([, , v]) => v)).size, log.length, 'no duplicates');
});
