/**
 * `sherwood transactions` (kafka-transactions.sh) and the console tools' exactly-once settings
 * against a broker, with real clients making the producers and transactions:
 * - describe-producers shows a confluent-kafka idempotent producer (id, epoch, last sequence);
 * - list / describe show a KafkaJS transaction left open and one committed;
 * - a confluent-kafka producer SIGKILLed inside a transaction: read_committed consumers are
 *   stuck at it, find-hanging does not call it hanging (its coordinator knows it), and
 *   `abort --start-offset` ends it at once, without waiting for transaction.timeout.ms;
 * - find-hanging finds a transaction its coordinator never heard of (a transactional batch
 *   written without AddPartitionsToTxn, as a pre-KIP-890 client bug leaves them), older than
 *   --max-transaction-timeout, and abort by --producer-id/--producer-epoch ends it;
 * - console-consumer --isolation-level / isolation.level, console-producer idempotent by
 *   default (as Kafka's, which follows the Java producer), perf produce transactions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { Kafka, logLevel } from 'kafkajs';
import { startTestBroker } from '../helpers/broker.js';
import { run, PYTHON, runPython } from '../helpers/clients.js';
import type { RunningBroker } from '../../src/index.js';
import { KafkaClient, Producer, SimpleConsumer, describeProducers } from '../../src/client/index.js';
import { main as transactionsMain } from '../../src/cli/transactions.js';
import { main as consumerMain } from '../../src/cli/console-consumer.js';
import { main as producerMain } from '../../src/cli/console-producer.js';
import { main as perfMain } from '../../src/cli/perf.js';
import { partitionBatches } from './transactions-helpers.js';
import { IncrementalAlterConfigs } from '../../src/protocol/messages/incremental-alter-configs.js';

const OVERRIDES = { 'offsets.topic.num.partitions': '2', 'transaction.state.log.num.partitions': '2', 'group.initial.rebalance.delay.ms': '0' };

async function withTxnBroker(fn: (b: RunningBroker, c: KafkaClient) => Promise<void>): Promise<void> {
  const b = await startTestBroker({ overrides: OVERRIDES });
  const c = await KafkaClient.connect(b.bootstrap, { clientId: 'txn-cli-check' });
  try {
    await fn(b, c);
  } finally {
    await c.close();
    await b.close();
  }
}

interface Ran { code: number; stdout: string; stderr: string }

async function transactions(b: RunningBroker, ...argv: string[]): Promise<Ran> {
  let stdout = '';
  let stderr = '';
  const code = await transactionsMain(['--bootstrap-server', b.bootstrap, ...argv], (l) => { stdout += l + '\n'; }, (l) => { stderr += l + '\n'; });
  return { code, stdout, stderr };
}

/** Kafka's prettyPrintTable back into rows of trimmed cells (header first); every line ends with a tab. */
function table(r: Ran): string[][] {
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  for (const l of lines) assert.ok(l.endsWith('\t'), `every column, the last one too, is followed by a tab: ${JSON.stringify(l)}`);
  const rows = lines.map((l) => l.slice(0, -1).split('\t'));
  // Columns are padded to one width per column.
  for (let i = 0; i < rows[0]!.length; i++) assert.equal(new Set(rows.map((r) => r[i]!.length)).size, 1, `column ${i} is padded: ${r.stdout}`);
  return rows.map((row) => row.map((c) => c.trim()));
}

async function console(fn: typeof consumerMain, argv: string[], input = ''): Promise<Ran> {
  const stdin = new PassThrough();
  stdin.end(input);
  let stdout = '';
  let stderr = '';
  const code = await fn(argv, { stdin, stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
  return { code, stdout, stderr };
}


test('describe-producers shows a confluent-kafka idempotent producer: id, epoch 0, last sequence, no transaction', { timeout: 90_000 }, async () => {
  await withTxnBroker(async (b, c) => {
    await b.broker.topics.create({ name: 'dp', numPartitions: 2, replicationFactor: 1, configs: {} });
    await runPython(`
import sys
from confluent_kafka import Producer
p = Producer({'bootstrap.servers': sys.argv[1], 'enable.idempotence': True, 'linger.ms': 5})
for i in range(10):
    p.produce('dp', value=b'v%d' % i, partition=0)
    if i == 4:
        p.flush(30)
assert p.flush(30) == 0
`, [b.bootstrap]);
    const rows = table(await transactions(b, 'describe-producers', '--topic', 'dp', '--partition', '0'));
    assert.deepEqual(rows[0], ['ProducerId', 'ProducerEpoch', 'LatestCoordinatorEpoch', 'LastSequence', 'LastTimestamp', 'CurrentTransactionStartOffset']);
    assert.equal(rows.length, 2, 'one producer');
    const [id, epoch, coordinatorEpoch, lastSequence, lastTimestamp, start] = rows[1]!;
    assert.match(id!, /^\d+$/);
    assert.deepEqual([epoch, coordinatorEpoch, lastSequence, start], ['0', '-1', '9', 'None']);
    assert.ok(Math.abs(Number(lastTimestamp) - Date.now()) < 60_000, `a recent timestamp: ${lastTimestamp}`);
    const onBroker = await describeProducers(c, 'dp', 0);
    assert.deepEqual(onBroker.map((s) => String(s.producerId)), [id]);
    // The same replica asked by id; a partition without producers; a broker that does not exist.
    assert.deepEqual(table(await transactions(b, 'describe-producers', '--topic', 'dp', '--partition', '0', '--broker-id', '1')), rows);
    assert.equal(table(await transactions(b, 'describe-producers', '--topic', 'dp', '--partition', '1')).length, 1);
    const missing = await transactions(b, 'describe-producers', '--topic', 'dp', '--partition', '7');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^sherwood transactions: Failed to describe producers for partition dp-7 on leader: .*UNKNOWN_TOPIC_OR_PARTITION/);
  });
});

test('list and describe show a KafkaJS transaction left open and a committed one', { timeout: 90_000 }, async () => {
  await withTxnBroker(async (b) => {
    await b.broker.topics.create({ name: 'tl', numPartitions: 2, replicationFactor: 1, configs: {} });
    const kafka = new Kafka({ clientId: 'tl', brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 50 } });
    const done = kafka.producer({ transactionalId: 'kjs-done', idempotent: true, maxInFlightRequests: 1 });
    const open = kafka.producer({ transactionalId: 'kjs-open', idempotent: true, maxInFlightRequests: 1 });
    await done.connect();
    await open.connect();
    try {
      const t1 = await done.transaction();
      await t1.send({ topic: 'tl', messages: [{ value: 'committed', partition: 0 }] });
      await t1.commit();
      const t2 = await open.transaction();
      await t2.send({ topic: 'tl', messages: [{ value: 'open', partition: 1 }] });

      const list = table(await transactions(b, 'list'));
      assert.deepEqual(list[0], ['TransactionalId', 'Coordinator', 'ProducerId', 'TransactionState']);
      const byId = new Map(list.slice(1).map((r) => [r[0], r]));
      assert.deepEqual([byId.get('kjs-done')?.[1], byId.get('kjs-done')?.[3]], ['1', 'CompleteCommit']);
      assert.deepEqual([byId.get('kjs-open')?.[1], byId.get('kjs-open')?.[3]], ['1', 'Ongoing']);

      const d = table(await transactions(b, 'describe', '--transactional-id', 'kjs-open'));
      assert.deepEqual(d[0], ['CoordinatorId', 'TransactionalId', 'ProducerId', 'ProducerEpoch', 'TransactionState', 'TransactionTimeoutMs',
        'CurrentTransactionStartTimeMs', 'TransactionDurationMs', 'TopicPartitions']);
      const [coordinator, id, producerId, epoch, state, timeout, startMs, durationMs, partitions] = d[1]!;
      assert.deepEqual([coordinator, id, producerId, epoch, state, timeout, partitions], ['1', 'kjs-open', byId.get('kjs-open')![2], '0', 'Ongoing', '60000', 'tl-1']);
      assert.ok(Math.abs(Number(startMs) - Date.now()) < 60_000 && Number(durationMs) >= 0, `${startMs} ${durationMs}`);
      const committed = table(await transactions(b, 'describe', '--transactional-id', 'kjs-done'));
      assert.deepEqual([committed[1]![1], committed[1]![4], committed[1]![8]], ['kjs-done', 'CompleteCommit', '']);
      // KIP-994's duration filter: nothing has been running for an hour.
      assert.equal(table(await transactions(b, 'list', '--duration-filter', '3600000')).length, 1);

      const unknown = await transactions(b, 'describe', '--transactional-id', 'nobody');
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /^sherwood transactions: Failed to describe transaction state of transactional-id `nobody`: .*TRANSACTIONAL_ID_NOT_FOUND/);
      await t2.abort();
    } finally {
      await done.disconnect();
      await open.disconnect();
    }
  });
});

const DOOMED = `
import os, signal, sys
from confluent_kafka import Producer
p = Producer({'bootstrap.servers': sys.argv[1], 'transactional.id': 'doomed', 'transaction.timeout.ms': 600000, 'linger.ms': 0})
p.init_transactions(30)
p.begin_transaction()
for i in range(3):
    p.produce('tk', value=b'doomed-%d' % i, partition=0)
assert p.flush(30) == 0
print('in transaction', flush=True)
os.kill(os.getpid(), signal.SIGKILL)
`;

test('abort ends the open transaction of a SIGKILLed confluent-kafka producer: read_committed consumers move on at once', { timeout: 120_000 }, async () => {
  await withTxnBroker(async (b, c) => {
    await b.broker.topics.create({ name: 'tk', numPartitions: 1, replicationFactor: 1, configs: {} });
    const killed = await run(PYTHON, ['-c', DOOMED, b.bootstrap], { timeoutMs: 60_000 });
    assert.equal(killed.stdout, 'in transaction\n', killed.stderr);
    assert.equal(killed.code, null, 'killed by SIGKILL');
    const after = await Producer.create(c, {});
    for (let i = 0; i < 3; i++) await after.send('tk', 0, [{ key: null, value: `after-${i}` }]);

    const readCommitted = ['--bootstrap-server', b.bootstrap, '--topic', 'tk', '--partition', '0', '--offset', 'earliest', '--timeout-ms', '1000'];
    const stuck = await console(consumerMain, [...readCommitted, '--isolation-level', 'read_committed']);
    assert.deepEqual([stuck.code, stuck.stdout], [0, ''], 'the open transaction holds read_committed at its first offset');
    const uncommitted = await console(consumerMain, [...readCommitted, '--max-messages', '6']);
    assert.equal(uncommitted.stdout, 'doomed-0\ndoomed-1\ndoomed-2\nafter-0\nafter-1\nafter-2\n');

    const before = table(await transactions(b, 'describe-producers', '--topic', 'tk', '--partition', '0'));
    const doomed = before.find((r) => r[5] === '0');
    assert.ok(doomed !== undefined, `an open transaction starting at offset 0:\n${before.join('\n')}`);
    assert.deepEqual(table(await transactions(b, 'list')).find((r) => r[0] === 'doomed')?.[3], 'Ongoing');
    // Its coordinator knows it (and would abort it after transaction.timeout.ms): not hanging.
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(table(await transactions(b, 'find-hanging', '--topic', 'tk', '--max-transaction-timeout', '0')).slice(1), []);

    const wrong = await transactions(b, 'abort', '--topic', 'tk', '--partition', '0', '--start-offset', '3');
    assert.deepEqual([wrong.code, wrong.stderr], [1, 'sherwood transactions: Could not find any open transactions starting at offset 3 on partition tk-0\n']);
    const aborted = await transactions(b, 'abort', '--topic', 'tk', '--partition', '0', '--start-offset', '0');
    assert.deepEqual([aborted.code, aborted.stdout, aborted.stderr], [0, '', '']);

    const afterAbort = table(await transactions(b, 'describe-producers', '--topic', 'tk', '--partition', '0'));
    assert.deepEqual(afterAbort.find((r) => r[0] === doomed[0])?.slice(5), ['None'], 'no open transaction left');
    const batches = await partitionBatches(c, 'tk', 0);
    assert.deepEqual([batches[0]!.values, batches.at(-1)!.control, batches.at(-1)!.producerId], [['doomed-0', 'doomed-1', 'doomed-2'], 'ABORT', Number(doomed[0])]);
    const moved = await console(consumerMain, [...readCommitted, '--isolation-level', 'read_committed']);
    assert.equal(moved.code, 0, moved.stderr);
    assert.match(moved.stdout, /after-0\nafter-1\nafter-2\n$/, 'read_committed moved past the aborted transaction');
    assert.equal(moved.stdout, 'after-0\nafter-1\nafter-2\n', 'nothing of the aborted transaction');
  });
});

test('find-hanging finds a transaction its coordinator never heard of; abort by producer id ends it', { timeout: 60_000 }, async () => {
  await withTxnBroker(async (b, c) => {
    await b.broker.topics.create({ name: 'th', numPartitions: 2, replicationFactor: 1, configs: {} });
    // A transactional id with a producer id and epoch, then a transactional batch written
    // without AddPartitionsToTxn (what a buggy client left behind on a broker without KIP-890
    // verification: switched off here, since Sherwood refuses such a batch otherwise),
    // stamped 20 minutes ago.
    const off = await c.request(IncrementalAlterConfigs, {
      resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'transaction.partition.verification.enable', configOperation: 0, value: 'false' }] }], validateOnly: false,
    }, { version: 1 });
    assert.equal(off.responses[0]!.errorCode, 0, 'verification switched off');
    const p = await Producer.create(c, { transactionalId: 'lost' });
    await p.initTransactions();
    const { producerId, producerEpoch } = p.producerIdAndEpoch;
    const old = Date.now() - 20 * 60_000;
    await c.produce('th', 1, [{ key: null, value: 'lost-0', timestamp: old }], { producerId, producerEpoch, baseSequence: 0, transactional: true, transactionalId: 'lost' });

    const none = await transactions(b, 'find-hanging');
    assert.deepEqual([none.code, none.stderr], [1, 'sherwood transactions: The `find-hanging` command requires either --topic or --broker-id to limit the scope of the search\n']);
    const hanging = table(await transactions(b, 'find-hanging', '--broker-id', '1'));
    assert.deepEqual(hanging[0], ['Topic', 'Partition', 'ProducerId', 'ProducerEpoch', 'CoordinatorEpoch', 'StartOffset', 'LastTimestamp', 'Duration(min)']);
    assert.deepEqual(hanging.slice(1), [['th', '1', String(producerId), String(producerEpoch), '-1', '0', String(old), '20']]);
    assert.deepEqual(table(await transactions(b, 'find-hanging', '--topic', 'th', '--partition', '1')), hanging);
    // Younger than the limit, or on the other partition: not listed.
    assert.equal(table(await transactions(b, 'find-hanging', '--topic', 'th', '--max-transaction-timeout', '30')).length, 1);
    assert.equal(table(await transactions(b, 'find-hanging', '--topic', 'th', '--partition', '0')).length, 1);

    const incomplete = await transactions(b, 'abort', '--topic', 'th', '--partition', '1', '--producer-id', String(producerId));
    assert.deepEqual([incomplete.code, incomplete.stderr], [1, 'sherwood transactions: Missing required argument --producer-epoch\n']);
    const aborted = await transactions(b, 'abort', '--topic', 'th', '--partition', '1', '--producer-id', String(producerId),
      '--producer-epoch', String(producerEpoch), '--coordinator-epoch', '-1');
    assert.equal(aborted.code, 0, aborted.stderr);
    assert.equal(table(await transactions(b, 'find-hanging', '--broker-id', '1')).length, 1, 'nothing hangs any more');
    const consumer = await SimpleConsumer.create(c, { topic: 'th', partitions: [1], startOffset: 'earliest', isolationLevel: 1, maxWaitMs: 100 });
    await consumer.poll();
    assert.equal(consumer.positions.get(1), 2, 'read_committed reads up to the end (the record and its ABORT marker)');
  });
});

test('command-line errors: one line, exit 1; --help on stdout', { timeout: 30_000 }, async () => {
  const bad = async (argv: string[], re: RegExp) => {
    let out = '';
    let err = '';
    const code = await transactionsMain(argv, (l) => { out += l + '\n'; }, (l) => { err += l + '\n'; });
    assert.deepEqual([code, out], [1, ''], argv.join(' '));
    assert.equal(err.trimEnd().split('\n').length, 1, err);
    assert.match(err, re, argv.join(' '));
  };
  await bad(['--bootstrap-server', 'x:1'], /^sherwood transactions: a command is required: list, describe, describe-producers, abort, find-hanging \(see --help\)/);
  await bad(['list'], /argument --bootstrap-server is required/);
  await bad(['--bootstrap-server', 'x:1', 'describe'], /argument --transactional-id is required/);
  await bad(['--bootstrap-server', 'x:1', 'describe-producers', '--topic', 't'], /argument --partition is required/);
  await bad(['--bootstrap-server', 'x:1', 'list', '--topic', 't'], /--topic is not an option of transactions list/);
  await bad(['--bootstrap-server', 'x:1', 'abort', '--topic', 't', '--partition', 'one'], /partition: 'one' is not an integer/);
  await bad(['--bootstrap-server', 'x:1', 'frobnicate'], /invalid choice: 'frobnicate'/);
  await bad(['--bootstrap-server', 'x:1', 'list', '--transactional-id-pattern', 'a.*'], /--transactional-id-pattern is not supported: it needs ListTransactions v2 \(KIP-1152\)/);
  await bad(['--bootstrap-server', 'x:1', 'find-hanging', '--partition', '1', '--command-config', '/nonexistent'], /--command-config \/nonexistent: cannot read it/);
  let out = '';
  assert.equal(await transactionsMain(['describe', '--help'], (l) => { out += l; }, () => undefined), 0);
  assert.match(out, /^Usage: sherwood transactions --bootstrap-server/);
});

test('console-consumer read_committed (--isolation-level, isolation.level, and in a group) stops at an open transaction and skips aborted ones', { timeout: 90_000 }, async () => {
  await withTxnBroker(async (b, c) => {
    await b.broker.topics.create({ name: 'rc', numPartitions: 1, replicationFactor: 1, configs: {} });
    const p = await Producer.create(c, { transactionalId: 'rc-tx' });
    await p.initTransactions();
    const txn = async (values: string[], commit: boolean) => {
      p.beginTransaction();
      await p.send('rc', 0, values.map((value) => ({ key: null, value })));
      if (commit) await p.commitTransaction();
    };
    await txn(['a1', 'a2'], true);
    await txn(['b1'], false);
    await p.abortTransaction();
    await txn(['c1'], true);
    await txn(['open1'], false); // left open
    const base = ['--bootstrap-server', b.bootstrap, '--topic', 'rc', '--from-beginning', '--timeout-ms', '1000'];
    const expected = 'a1\na2\nc1\n';
    const check = (r: Ran, what: string) => {
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, expected, what);
    };
    check(await console(consumerMain, [...base, '--isolation-level', 'read_committed']), '--isolation-level');
    check(await console(consumerMain, [...base, '--consumer-property', 'isolation.level=read_committed']), 'isolation.level');
    check(await console(consumerMain, [...base, '--group', 'rc-g', '--consumer-property', 'isolation.level=read_committed']), 'group member');
    // The option wins over the property, as in Kafka's tool.
    const uncommitted = await console(consumerMain, [...base, '--isolation-level', 'read_uncommitted', '--consumer-property', 'isolation.level=read_committed']);
    assert.equal(uncommitted.stdout, 'a1\na2\nb1\nc1\nopen1\n');
    await p.commitTransaction();
    const resumed = await console(consumerMain, [...base, '--group', 'rc-g', '--consumer-property', 'isolation.level=read_committed']);
    assert.equal(resumed.stdout, 'open1\n', 'the group resumes after what it committed, once the transaction commits');
    const all = await console(consumerMain, [...base, '--isolation-level', 'read_committed']);
    assert.equal(all.stdout, expected + 'open1\n');
  });
});

test('the console producer is idempotent by default, as Kafka\'s (Java producer defaults); acks=1 turns it off', { timeout: 60_000 }, async () => {
  await withTxnBroker(async (b, c) => {
    await b.broker.topics.create({ name: 'cp', numPartitions: 2, replicationFactor: 1, configs: {} });
    const idem = await console(producerMain, ['--bootstrap-server', b.bootstrap, '--topic', 'cp', '--partition', '0', '--sync'], 'a\nb\nc\nd\ne\n');
    assert.equal(idem.code, 0, idem.stderr);
    const producers = await describeProducers(c, 'cp', 0);
    assert.deepEqual(producers.map((s) => [s.producerEpoch, s.lastSequence, s.currentTransactionStartOffset]), [[0, 4, -1]]);
    const plain = await console(producerMain, ['--bootstrap-server', b.bootstrap, '--topic', 'cp', '--partition', '1', '--request-required-acks', '1'], 'x\ny\n');
    assert.equal(plain.code, 0, plain.stderr);
    assert.deepEqual(await describeProducers(c, 'cp', 1), []);
    const off = await console(producerMain, ['--bootstrap-server', b.bootstrap, '--topic', 'cp', '--partition', '1', '--producer-property', 'enable.idempotence=false'], 'z\n');
    assert.equal(off.code, 0, off.stderr);
    assert.deepEqual(await describeProducers(c, 'cp', 1), []);
    assert.equal(b.broker.partitionLog('cp', 1)?.highWatermark, 3);
  });
});

test('perf produce: an idempotent run, and a transactional one committing every N records', { timeout: 90_000 }, async () => {
  await withTxnBroker(async (b, c) => {
    await b.broker.topics.create({ name: 'pt', numPartitions: 2, replicationFactor: 1, configs: {} });
    const perf = async (...extra: string[]) => {
      const lines: string[] = [];
      const code = await perfMain(['produce', '--topic', 'pt', '--num-records', '1000', '--record-size', '10', '--throughput', '-1',
        '--bootstrap-server', b.bootstrap, '--json', ...extra], (l) => lines.push(l), (l) => lines.push(l));
      assert.equal(code, 0, lines.join('\n'));
      return JSON.parse(lines.at(-1)!) as { records: number; idempotent: boolean; transactional_id: string | null; transactions: number };
    };
    const idem = await perf('--producer-props', 'acks=all', 'batch.size=1000');
    assert.deepEqual([idem.records, idem.idempotent, idem.transactional_id], [1000, true, null]);
    const producers = [...await describeProducers(c, 'pt', 0), ...await describeProducers(c, 'pt', 1)];
    assert.equal(new Set(producers.map((s) => s.producerId)).size, 1, 'one producer id on both partitions');
    assert.equal(producers.reduce((n, s) => n + s.lastSequence + 1, 0), 1000, 'sequences count every record');

    const txn = await perf('--transactional-id', 'perf-tx', '--records-per-transaction', '100', '--producer-props', 'batch.size=1000', 'linger.ms=0');
    assert.deepEqual([txn.records, txn.transactional_id, txn.transactions], [1000, 'perf-tx', 10]);
    const described = table(await transactions(b, 'describe', '--transactional-id', 'perf-tx'));
    assert.equal(described[1]![4], 'CompleteCommit');
    const markers = [...await partitionBatches(c, 'pt', 0), ...await partitionBatches(c, 'pt', 1)].filter((x) => x.control === 'COMMIT');
    assert.ok(markers.length >= 10 && markers.length <= 20, `a COMMIT marker per transaction and partition written: ${markers.length}`);
    const consumer = await SimpleConsumer.create(c, { topic: 'pt', startOffset: 'earliest', isolationLevel: 1, maxWaitMs: 100 });
    let seen = 0;
    for (let i = 0; i < 50 && seen < 2000; i++) seen += (await consumer.poll()).length;
    assert.equal(seen, 2000, 'both runs are read_committed-visible');
  });
});
