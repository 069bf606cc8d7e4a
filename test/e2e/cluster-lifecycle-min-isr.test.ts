/**
 * min.insync.replicas with real processes (issue 13: "min.insync.replicas=2 with two brokers
 * down: acks=all → NOT_ENOUGH_REPLICAS, acks=1 works, and all recovers when they return"; the
 * in-process story is in test/cluster/replication.test.ts). Three brokers on a real etcd, a
 * 3-replica topic with min.insync.replicas=2; two brokers `kill -9`ed: once the controller has
 * moved the leadership to the survivor and shrunk the ISR to it, confluent-kafka and KafkaJS
 * get NOT_ENOUGH_REPLICAS for acks=all and succeed with acks=1; restarted, the two rejoin the
 * ISR and acks=all succeeds again.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { lastJson, runPython } from '../helpers/clients.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { etcdAvailable } from '../helpers/etcd.js';
import { until } from '../helpers/wait.js';
import { createTopic, partitionsOf } from '../helpers/cluster-lifecycle.js';

const skip = etcdAvailable() ? false : 'etcd is not installed';
let cluster: TestCluster;

before(async () => {
  if (skip !== false) return;
  cluster = await startCluster({ brokers: 3, sessionTimeoutMs: 3000 });
  await cluster.waitForBrokers();
});
after(async () => { await cluster?.close(); });

/** One record with acks=argv[3], no retries: prints the delivery report's error name (or "OK"). */
const CONFLUENT_ONE = `
import sys, json
from confluent_kafka import Producer
bootstrap, topic, acks = sys.argv[1], sys.argv[2], sys.argv[3]
p = Producer({'bootstrap.servers': bootstrap, 'acks': acks, 'retries': 0, 'message.timeout.ms': 15000})
out = {}
def report(err, msg):
    out['result'] = 'OK' if err is None else err.name()
p.produce(topic, value=b'x', partition=0, on_delivery=report)
p.flush(20)
print(json.dumps(out))
`;

async function confluent(acks: string): Promise<string> {
  return lastJson<{ result: string }>(await runPython(CONFLUENT_ONE, [cluster.bootstrap(), 'guarded', acks], 60_000)).result;
}

test('min.insync.replicas=2, two brokers kill -9ed: acks=all gets NOT_ENOUGH_REPLICAS (confluent-kafka, KafkaJS), acks=1 works; they return and acks=all works', { skip, timeout: 120_000 }, async () => {
  await createTopic(cluster, 'guarded', 1, 3, { 'min.insync.replicas': '2' });
  assert.equal(await confluent('all'), 'OK');
  const p = (await partitionsOf(cluster, 'guarded'))[0]!;
  const survivor = p.replicas.find((id) => id !== p.leaderId)!;
  const down = p.replicas.filter((id) => id !== survivor);
  for (const id of down) await cluster.kill9(id);
  await until('the survivor leads with an ISR of one', async () => {
    const now = (await partitionsOf(cluster, 'guarded', survivor))[0]!;
    return now.leaderId === survivor && now.isr.length === 1;
  }, { timeoutMs: 30_000 });

  assert.equal(await confluent('all'), 'NOT_ENOUGH_REPLICAS');
  assert.equal(await confluent('1'), 'OK');
  const kafka = new Kafka({ clientId: 'min-isr', brokers: [cluster.bootstrap(survivor)], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const producer = kafka.producer();
  await producer.connect();
  try {
    await assert.rejects(producer.send({ topic: 'guarded', acks: -1, messages: [{ value: 'kjs', partition: 0 }] }),
      (err: Error & { type?: string; originalError?: { type?: string } }) => (err.type ?? err.originalError?.type) === 'NOT_ENOUGH_REPLICAS' || /in-sync replicas/i.test(String(err.message)));
    const [r] = await producer.send({ topic: 'guarded', acks: 1, messages: [{ value: 'kjs', partition: 0 }] });
    assert.equal(r!.errorCode, 0);

    for (const id of down) await cluster.start(id);
    await cluster.waitForBrokers();
    await until('the returned brokers back in the ISR', async () => (await partitionsOf(cluster, 'guarded'))[0]!.isr.length === 3, { timeoutMs: 60_000 });
    assert.equal(await confluent('all'), 'OK');
    const [again] = await producer.send({ topic: 'guarded', acks: -1, messages: [{ value: 'kjs-again', partition: 0 }] });
    assert.equal(again!.errorCode, 0);
  } finally {
    await producer.disconnect();
  }
});
