/**
 * Exactly-once consume-transform-produce (issue 12), the way Kafka Streams and librdkafka's
 * EOS examples do it: a confluent-kafka app reads 2,000 input records with read_committed,
 * writes one transformed record per input record and commits its input offsets with
 * send_offsets_to_transaction, in transactions of up to 100 records. The broker process is
 * SIGKILLed twice mid-run and restarted on the same data dir; each time the app is killed too,
 * inside a transaction whose records are already written, and restarted (its new instance
 * fences the old one and aborts that transaction). At the
 * end the output topic, read with read_committed, holds every transformed record exactly once,
 * and the group's committed offsets are the input's end offsets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { spawnBroker, tempDir, type BrokerProcess } from '../helpers/broker.js';
import { PYTHON, lastJson, runPython } from '../helpers/clients.js';
import { describeTransaction, partitionBatches, until } from './transactions-helpers.js';
import { KafkaClient } from '../../src/client/index.js';
import { CreateTopics } from '../../src/protocol/messages/create-topics.js';
import { IncrementalAlterConfigs } from '../../src/protocol/messages/incremental-alter-configs.js';
import { ListOffsets } from '../../src/protocol/messages/list-offsets.js';

const N = 2000;

const SEED = `
import sys
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
bootstrap = sys.argv[1]
admin = AdminClient({'bootstrap.servers': bootstrap})
for f in admin.create_topics([NewTopic('eos-in', 2, 1), NewTopic('eos-out', 2, 1)]).values():
    f.result(15)
p = Producer({'bootstrap.servers': bootstrap, 'enable.idempotence': True})
for i in range(int(sys.argv[2])):
    p.produce('eos-in', key=b'k%d' % i, value=b'%d' % i, partition=i % 2)
p.flush(30)
print('{"seeded": true}')
`;

/**
 * The app: processes until its input is used up, printing one line per committed transaction.
 * With a hold count it stops, once that many records are committed, inside a transaction whose
 * records are already written (flushed), and waits there to be killed: the killed instance
 * leaves an open transaction with data that its successor must abort.
 */
const APP = `
import sys, json, time
from confluent_kafka import Consumer, Producer, TopicPartition, KafkaException
bootstrap = sys.argv[1]
hold_at = int(sys.argv[2]) if len(sys.argv) > 2 else -1
done_records = 0
consumer = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'eos-app', 'isolation.level': 'read_committed',
                     'enable.auto.commit': False, 'auto.offset.reset': 'earliest', 'session.timeout.ms': 6000})
producer = Producer({'bootstrap.servers': bootstrap, 'transactional.id': 'eos-app-tx', 'transaction.timeout.ms': 10000,
                     'linger.ms': 5})
producer.init_transactions(60)
consumer.subscribe(['eos-in'])
ends = {}
while True:
    msgs = consumer.consume(100, 1.0)
    msgs = [m for m in msgs if m.error() is None]
    if msgs:
        producer.begin_transaction()
        for m in msgs:
            producer.produce('eos-out', key=m.key(), value=b'T' + m.value(), partition=m.partition())
        if 0 <= hold_at <= done_records:
            producer.flush(30)
            print(json.dumps({'open': len(msgs)}), flush=True)
            time.sleep(600)
        producer.send_offsets_to_transaction(consumer.position(consumer.assignment()), consumer.consumer_group_metadata(), 60)
        producer.commit_transaction(60)
        done_records += len(msgs)
        print(json.dumps({'committed': len(msgs)}), flush=True)
        continue
    assignment = consumer.assignment()
    if len(assignment) < 2:
        continue
    for tp in assignment:
        if tp.partition not in ends:
            ends[tp.partition] = consumer.get_watermark_offsets(tp, 10)[1]
    # Where the group resumes: the position once something was consumed, else the committed offset.
    committed = {c.partition: c.offset for c in consumer.committed(assignment, 30)}
    positions = {p.partition: (p.offset if p.offset >= 0 else committed[p.partition]) for p in consumer.position(assignment)}
    if all(positions[p] >= ends[p] for p in ends):
        break
consumer.close()
print(json.dumps({'done': True}), flush=True)
`;

const READ_OUTPUT = `
import sys, json
from confluent_kafka import Consumer, TopicPartition
bootstrap = sys.argv[1]
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'eos-reader', 'isolation.level': 'read_committed',
              'enable.auto.commit': False, 'auto.offset.reset': 'earliest', 'enable.partition.eof': True})
c.assign([TopicPartition('eos-out', 0, 0), TopicPartition('eos-out', 1, 0)])
values, eofs = [], set()
while len(eofs) < 2:
    m = c.poll(10)
    if m is None:
        break
    if m.error():
        eofs.add(m.partition())
        continue
    values.append(m.value().decode())
committed = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'eos-app'}).committed([TopicPartition('eos-in', 0), TopicPartition('eos-in', 1)], timeout=30)
ends = [c.get_watermark_offsets(TopicPartition('eos-in', p), 10)[1] for p in (0, 1)]
c.close()
print(json.dumps({'values': values, 'committed': [tp.offset for tp in committed], 'ends': ends}))
`;

interface App {
  child: ChildProcess;
  committed(): number;
  /** Records written in the transaction the app holds open (0 until it holds one). */
  holding(): number;
  done: Promise<boolean>;
}

function startApp(bootstrap: string, holdAt = -1): App {
  const child = spawn(PYTHON, ['-c', APP, bootstrap, String(holdAt)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let committed = 0;
  let holding = 0;
  let buffered = '';
  let finished = false;
  child.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      const msg = JSON.parse(line) as { committed?: number; open?: number; done?: boolean };
      if (msg.committed !== undefined) committed += msg.committed;
      if (msg.open !== undefined) holding = msg.open;
      if (msg.done === true) finished = true;
    }
  });
  const done = new Promise<boolean>((resolve) => child.once('exit', () => resolve(finished)));
  return { child, committed: () => committed, holding: () => holding, done };
}

/** Waits until the app holds an open transaction with written records. */
async function untilHolding(app: App, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (app.holding() === 0) {
    if (app.child.exitCode !== null) throw new Error(`app exited after ${app.committed()} records`);
    if (Date.now() > deadline) throw new Error(`app committed ${app.committed()} records and never held a transaction open`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('consume-transform-produce survives two broker SIGKILLs: every output exactly once, offsets at the input end', { timeout: 300_000 }, async () => {
  const dir = tempDir('sherwood-eos-');
  const overrides = { 'offsets.topic.num.partitions': '3', 'transaction.state.log.num.partitions': '3' };
  let broker: BrokerProcess = await spawnBroker(dir.path, undefined, overrides);
  let app: App | undefined;
  try {
    await runPython(SEED, [broker.bootstrap, String(N)], 60_000);
    // Each killed instance leaves a transaction open with written records (aborted later by its
    // successor's fencing): read_committed must never show them.
    for (const holdAt of [N / 4, N / 4]) {
      app = startApp(broker.bootstrap, holdAt);
      await untilHolding(app, 120_000);
      await broker.kill9();
      app.child.kill('SIGKILL');
      await app.done;
      broker = await spawnBroker(dir.path, broker.port, overrides);
    }
    app = startApp(broker.bootstrap);
    const last = app;
    const timer = setTimeout(() => last.child.kill('SIGKILL'), 120_000);
    assert.equal(await app.done, true, `the last run reached the end of the input (${app.committed()} records in it)`);
    clearTimeout(timer);
    const out = lastJson<{ values: string[]; committed: number[]; ends: number[] }>(await runPython(READ_OUTPUT, [broker.bootstrap], 120_000));
    const counts = new Map<string, number>();
    for (const v of out.values) counts.set(v, (counts.get(v) ?? 0) + 1);
    const missing = Array.from({ length: N }, (_, i) => `T${i}`).filter((v) => !counts.has(v));
    const duplicated = [...counts].filter(([, n]) => n > 1).map(([v]) => v);
    assert.deepEqual(missing, [], 'every input record was transformed');
    assert.deepEqual(duplicated, [], 'no transformed record is visible twice to read_committed');
    assert.equal(out.values.length, N);
    assert.deepEqual(out.committed, out.ends, 'the group committed exactly the input end offsets');
    assert.deepEqual(out.ends, [N / 2, N / 2]);
  } finally {
    if (app !== undefined && app.child.exitCode === null) app.child.kill('SIGKILL');
    await broker.stop().catch(() => {});
    if (broker.child.exitCode === null) await broker.kill9();
    dir.remove();
  }
});

const COMMIT_TWO_TOPICS = `
import sys, json
from confluent_kafka import Producer
bootstrap = sys.argv[1]
p = Producer({'bootstrap.servers': bootstrap, 'transactional.id': 'eos-crash-tx', 'linger.ms': 5})
p.init_transactions(30)
p.begin_transaction()
for i in range(5):
    p.produce('eos-ok', value=b'ok%d' % i, partition=0)
    p.produce('eos-stuck', value=b'stuck%d' % i, partition=0)
p.flush(30)
print(json.dumps({'flushed': True}), flush=True)
sys.stdin.readline()   # the test makes eos-stuck refuse acks=all appends meanwhile
p.commit_transaction(30)
print(json.dumps({'committed': True}), flush=True)
`;

/** Runs COMMIT_TWO_TOPICS, calling `between` after the data is written and before the commit. */
async function commitWithStuckMarker(bootstrap: string, between: () => Promise<void>): Promise<void> {
  const child = spawn(PYTHON, ['-c', COMMIT_TWO_TOPICS, bootstrap], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => { err += d; });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('"flushed"')) resolve();
    });
    child.once('exit', () => reject(new Error(`producer exited early: ${err}`)));
  });
  await between();
  child.stdin!.write('go\n');
  assert.equal(await exited, 0, err);
  assert.ok(out.includes('"committed": true'), out);
}

test('a broker SIGKILLed between PrepareCommit and its markers completes the transaction after restart, never half-committed', { timeout: 120_000 }, async () => {
  const dir = tempDir('sherwood-eos-crash-');
  const overrides = { 'transaction.state.log.num.partitions': '1', 'offsets.topic.num.partitions': '1' };
  let broker: BrokerProcess = await spawnBroker(dir.path, undefined, overrides);
  try {
    let c = await KafkaClient.connect(broker.bootstrap);
    // acks=-1 appends to eos-stuck fail while min.insync.replicas (2) exceeds its one replica.
    await c.request(CreateTopics, { topics: [
      { name: 'eos-ok', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
      { name: 'eos-stuck', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
    ], timeoutMs: 10_000, validateOnly: false }, { version: 5 });
    const setMinIsr = async (client: KafkaClient, value: string) => {
      const r = await client.request(IncrementalAlterConfigs, {
        resources: [{ resourceType: 2, resourceName: 'eos-stuck', configs: [{ name: 'min.insync.replicas', configOperation: 0, value }] }], validateOnly: false,
      }, { version: 1 });
      assert.equal(r.responses[0]!.errorCode, 0);
    };
    // The data is written; then eos-stuck's COMMIT marker (acks=-1) cannot be: EndTxn is
    // answered once PrepareCommit is durable, the marker is retried.
    await commitWithStuckMarker(broker.bootstrap, () => setMinIsr(c, '2'));
    assert.equal((await describeTransaction(c, 'eos-crash-tx')).transactionState, 'PrepareCommit', 'the stuck marker holds the transaction in PrepareCommit');
    await c.close();
    await broker.kill9();

    broker = await spawnBroker(dir.path, broker.port, overrides);
    c = await KafkaClient.connect(broker.bootstrap);
    try {
      const state = await until('the coordinator loaded', () => describeTransaction(c, 'eos-crash-tx'), (d) => d.errorCode === 0);
      assert.equal(state.transactionState, 'PrepareCommit', 'recovered in PrepareCommit: the commit decision survived, the marker is retried');
      const lso = async (topic: string) => (await c.request(ListOffsets, {
        replicaId: -1, isolationLevel: 1, topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1, maxNumOffsets: 1 }] }],
      }, { version: 7 })).topics[0]!.partitions[0]!.offset;
      assert.equal(await lso('eos-stuck'), 0, 'read_committed consumers of the stuck partition wait at the transaction\'s first offset');
      await setMinIsr(c, '1');
      const done = await until('CompleteCommit', () => describeTransaction(c, 'eos-crash-tx'), (d) => d.transactionState === 'CompleteCommit', 30_000);
      assert.equal(done.transactionState, 'CompleteCommit');
      for (const topic of ['eos-ok', 'eos-stuck']) {
        const batches = await partitionBatches(c, topic, 0);
        const markers = batches.filter((b) => b.control !== null).map((b) => b.control);
        // eos-ok got its marker before the crash and again after it: a coordinator recovering in
        // PrepareCommit resends to every partition of the transaction, as Kafka's does.
        assert.ok(markers.length >= 1 && markers.every((m) => m === 'COMMIT'), `${topic}: committed, never aborted (${markers})`);
        const end = batches.reduce((n, b) => n + Math.max(b.values.length, 1), 0);
        assert.equal(await lso(topic), end, `${topic}: every record and marker is stable`);
      }
    } finally {
      await c.close();
    }
  } finally {
    await broker.stop().catch(() => {});
    if (broker.child.exitCode === null) await broker.kill9();
    dir.remove();
  }
});
