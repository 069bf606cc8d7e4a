/**
 * Controlled shutdown with real processes (issue 13: "SIGTERM does a controlled shutdown
 * (leadership moved first)"). Three brokers on a real etcd, a 3×3 topic with
 * min.insync.replicas=2, and two producers running through two SIGTERMs: confluent-kafka
 * (idempotent, acks=all, a child process) and KafkaJS (idempotent, acks=-1, in this process).
 * First a broker that leads partitions and is not the controller is stopped, then (after it
 * came back) the controller. Each time, the etcd history shows every leadership of the
 * stopping broker moved (leader epoch + 1, to another ISR member) at a revision before its
 * registration was deleted — before it stopped serving — and the controller's stop hands the
 * role to another broker. Afterwards no producer saw a non-retriable error, and every
 * acknowledged record is in the log exactly once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { PYTHON, lastJson, runPython } from '../helpers/clients.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { etcdAvailable } from '../helpers/etcd.js';
import { until } from '../helpers/wait.js';
import { CONFLUENT_PRODUCER, CONFLUENT_READ_ALL, createTopic, leaderChanges, metadata, partitionsOf, recordEtcd } from '../helpers/cluster-lifecycle.js';

const skip = etcdAvailable() ? false : 'etcd is not installed';
const RECORDS = 4000;
let cluster: TestCluster;

before(async () => {
  if (skip !== false) return;
  cluster = await startCluster({ brokers: 3, sessionTimeoutMs: 3000 });
  await cluster.waitForBrokers();
});
after(async () => { await cluster?.close(); });

test('SIGTERM moves a broker\'s leaderships before it stops serving (also the controller\'s); two idempotent producers lose nothing', { skip, timeout: 180_000 }, async () => {
  await createTopic(cluster, 'orders', 3, 3, { 'min.insync.replicas': '2' });
  const etcdLog = recordEtcd(cluster);

  // confluent-kafka in a child process.
  const child = spawn(PYTHON, ['-c', CONFLUENT_PRODUCER, cluster.bootstrap(), 'orders', String(RECORDS), '3', '0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const ackedSoFar = () => Number(/acked (\d+)\n(?![\s\S]*acked)/.exec(stdout)?.[1] ?? 0);

  // KafkaJS in this process: one record at a time, every acknowledgement and error kept.
  const kafka = new Kafka({ clientId: 'lifecycle', brokers: cluster.bootstrap().split(','), logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const kjsAcked: { partition: number; offset: number; value: string }[] = [];
  const kjsErrors: string[] = [];
  let stopKjs = false;
  const kjsLoop = (async () => {
    for (let i = 0; !stopKjs && i < 100_000; i++) {
      const value = `kjs-${i}`;
      try {
        const [r] = await producer.send({ topic: 'orders', acks: -1, messages: [{ value, partition: i % 3 }] });
        kjsAcked.push({ partition: r!.partition, offset: Number(r!.baseOffset), value });
      } catch (err) {
        kjsErrors.push(`${value}: ${String(err)}`);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  })();

  try {
    for (const [n, round] of (['a partition leader', 'the controller'] as const).entries()) {
      await until(`${round}: producers running`, () => (ackedSoFar() >= (n + 1) * (RECORDS / 4) && kjsAcked.length > 0) || child.exitCode !== null, { timeoutMs: 60_000 });
      assert.equal(child.exitCode, null, 'confluent-kafka still producing');
      const md = await metadata(cluster, ['orders']);
      const led = md.topics[0]!.partitions.filter((p) => p.leaderId > 0);
      const victim = round === 'the controller' ? md.controllerId : led.map((p) => p.leaderId).find((id) => id !== md.controllerId)!;
      const victimLed = led.filter((p) => p.leaderId === victim);
      assert.ok(victimLed.length > 0, `broker ${victim} (${round}) leads a partition`);
      const proc = cluster.brokers.get(victim)!;
      const fromEvent = etcdLog.events.length;
      const ackedBefore = ackedSoFar();

      const stoppedAt = Date.now();
      await cluster.stop(victim);
      console.log(`# ${round}: broker ${victim} (led ${victimLed.map((p) => p.partition).join(',')}) stopped in ${Date.now() - stoppedAt} ms; confluent-kafka acked ${ackedSoFar()}, KafkaJS ${kjsAcked.length}`);

      await until('the stop recorded in etcd', () => etcdLog.events.some((e) => e.type === 'DELETE' && e.key === `/sherwood/brokers/ids/${victim}`));
      const events = etcdLog.events.slice(fromEvent);
      const gone = events.find((e) => e.type === 'DELETE' && e.key === `/sherwood/brokers/ids/${victim}`)!.revision;
      const flagged = events.find((e) => e.type === 'PUT' && e.key === `/sherwood/brokers/ids/${victim}` && e.value.includes('"controlledShutdown":true'));
      assert.ok(flagged !== undefined && flagged.revision < gone, 'the broker asked for a controlled shutdown first');
      const moves = leaderChanges(events);
      for (const p of victimLed) {
        const move = moves.find((m) => m.partitionId === p.partition);
        assert.ok(move !== undefined, `partition ${p.partition}'s leadership moved`);
        assert.ok(move.revision < gone, `partition ${p.partition} moved (revision ${move.revision}) before broker ${victim} left (revision ${gone})`);
        assert.notEqual(move.leader, victim);
        assert.ok(p.isr.includes(move.leader), 'to an ISR member');
        assert.ok(!(move.isr ?? []).includes(victim), 'and the stopping broker left the ISR');
      }
      assert.match(proc.output(), /controlled shutdown: leaderships moved/);
      const after = await partitionsOf(cluster, 'orders');
      for (const p of victimLed) assert.equal(after[p.partition]!.leaderEpoch, p.leaderEpoch + 1, `partition ${p.partition}: leader epoch + 1`);
      if (round === 'the controller') {
        await until('another controller', async () => { const c = (await metadata(cluster, [])).controllerId; return c !== -1 && c !== victim; });
        const resigned = events.find((e) => e.type === 'DELETE' && e.key === '/sherwood/controller');
        assert.ok(resigned !== undefined && resigned.revision < Math.min(...moves.map((m) => m.revision)), 'the controller resigned before the moves: another controller moved them');
      }
      await until('the producer acknowledges again', () => ackedSoFar() > ackedBefore + 100 || child.exitCode !== null, { timeoutMs: 60_000 });
      await cluster.start(victim);
      await cluster.waitForBrokers();
      await until(`broker ${victim} back in every ISR`, async () => (await partitionsOf(cluster, 'orders')).every((p) => p.isr.includes(victim)), { timeoutMs: 60_000 });
    }
    assert.equal(await exited, 0, stderr);
  } finally {
    stopKjs = true;
    await kjsLoop;
    await producer.disconnect();
    etcdLog.close();
    if (child.exitCode === null) child.kill('SIGKILL');
  }

  const result = JSON.parse(stdout.trim().split('\n').pop()!) as { acked: [number, number, number][]; failed: unknown[]; unflushed: number };
  assert.equal(result.unflushed, 0);
  assert.deepEqual(result.failed, [], 'confluent-kafka: nothing failed');
  assert.equal(result.acked.length, RECORDS);
  assert.deepEqual(kjsErrors, [], 'KafkaJS: no error surfaced');

  const log = lastJson<[number, number, string][]>(await runPython(CONFLUENT_READ_ALL, [cluster.bootstrap(), 'orders', '3'], 120_000));
  const at = new Map(log.map(([p, o, v]) => [`${p}:${o}`, v]));
  for (const [p, o, v] of result.acked) assert.equal(at.get(`${p}:${o}`), String(v), `confluent-kafka's record acknowledged at ${p}:${o}`);
  for (const r of kjsAcked) assert.equal(at.get(`${r.partition}:${r.offset}`), r.value, `KafkaJS's record acknowledged at ${r.partition}:${r.offset}`);
  const values = log.map(([, , v]) => v);
  assert.equal(new Set(values).size, values.length, 'no duplicates');
  assert.equal(values.length, RECORDS + kjsAcked.length, 'nothing but the acknowledged records');
});
