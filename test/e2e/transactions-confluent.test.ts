/**
 * confluent-kafka-python 1.7 (librdkafka 2.0.2) transactional producers against Sherwood:
 * init/begin/produce/send_offsets_to_transaction/commit/abort, a second producer with the same
 * transactional.id fencing the first, and a producer that dies inside a transaction aborted by
 * the coordinator after transaction.timeout.ms. Checked with read_uncommitted consumers, the
 * markers in the partitions, DescribeTransactions and the group's committed offsets.
 * read_committed consumers (librdkafka) see exactly the committed transactions, from the last
 * stable offset and the aborted transactions of each Fetch.
 *
 * confluent-kafka's abort_transaction purges messages not yet sent: the scripts flush before
 * ending a transaction, or an aborted transaction may never reach the broker.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBroker } from '../helpers/broker.js';
import { lastJson, runPython } from '../helpers/clients.js';
import type { RunningBroker } from '../../src/index.js';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { describeTransaction, partitionBatches, until } from './transactions-helpers.js';

const OVERRIDES = { 'transaction.abort.timed.out.transaction.cleanup.interval.ms': '300', 'offsets.topic.num.partitions': '3', 'transaction.state.log.num.partitions': '3' };

const COMMIT_ABORT_COMMIT = `
import sys, json
from confluent_kafka import Producer, Consumer, TopicPartition
bootstrap = sys.argv[1]
p = Producer({'bootstrap.servers': bootstrap, 'transactional.id': 'cf-tx', 'transaction.timeout.ms': 60000, 'linger.ms': 5})
p.init_transactions(30)
group = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'cf-g', 'enable.auto.commit': False})
for name, offset, commit in (('A', 10, True), ('B', 50, False), ('C', 100, True)):
    p.begin_transaction()
    for i in range(4):
        p.produce('cf-out', value=('%s%d' % (name, i)).encode(), partition=i % 2)
    p.send_offsets_to_transaction([TopicPartition('cf-in', 0, offset)], group.consumer_group_metadata(), 30)
    # abort_transaction purges what is not sent yet: flush so that B reaches the partitions.
    p.flush(30)
    if commit:
        p.commit_transaction(30)
    else:
        p.abort_transaction(30)
committed = group.committed([TopicPartition('cf-in', 0)], timeout=30)[0].offset
group.close()
seen = {}
for isolation in ('read_uncommitted', 'read_committed'):
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'cf-reader-' + isolation, 'isolation.level': isolation, 'enable.auto.commit': False,
                  'auto.offset.reset': 'earliest', 'enable.partition.eof': True})
    c.assign([TopicPartition('cf-out', 0, 0), TopicPartition('cf-out', 1, 0)])
    got, eofs = [], set()
    while len(eofs) < 2:
        m = c.poll(10)
        if m is None:
            break
        if m.error():
            eofs.add(m.partition())
            continue
        got.append([m.partition(), m.offset(), m.value().decode()])
    c.close()
    seen[isolation] = got
print(json.dumps({'committed': committed, 'seen': seen}))
`;

const FENCING = `
import sys, json
from confluent_kafka import Producer, KafkaException
bootstrap = sys.argv[1]
conf = {'bootstrap.servers': bootstrap, 'transactional.id': 'cf-fence', 'linger.ms': 5}
p1 = Producer(conf)
p1.init_transactions(30)
p1.begin_transaction()
p1.produce('cf-fence', value=b'zombie', partition=0)
p1.flush(30)
p2 = Producer(conf)
p2.init_transactions(30)
p2.begin_transaction()
p2.produce('cf-fence', value=b'successor', partition=0)
p2.commit_transaction(30)
try:
    p1.commit_transaction(30)
    outcome = {'committed': True}
except KafkaException as e:
    err = e.args[0]
    outcome = {'committed': False, 'fatal': err.fatal(), 'name': err.name()}
print(json.dumps(outcome))
`;

const DIES_MID_TRANSACTION = `
import sys, json, os
from confluent_kafka import Producer
p = Producer({'bootstrap.servers': sys.argv[1], 'transactional.id': 'cf-dies', 'transaction.timeout.ms': 2000, 'linger.ms': 5})
p.init_transactions(30)
p.begin_transaction()
p.produce('cf-dies', value=b'orphan', partition=0)
p.flush(30)
print(json.dumps({'produced': True}), flush=True)
os._exit(0)
`;

async function withTxnBroker(fn: (b: RunningBroker, c: KafkaClient) => Promise<void>): Promise<void> {
  const b = await startTestBroker({ overrides: OVERRIDES });
  const c = await KafkaClient.connect(b.bootstrap, { clientId: 'cf-txn-check' });
  try {
    await fn(b, c);
  } finally {
    await c.close();
    await b.close();
  }
}

test('confluent-kafka: transactions A committed, B aborted, C committed, with send_offsets_to_transaction', { timeout: 120_000 }, async () => {
  await withTxnBroker(async (b, c) => {
    for (const name of ['cf-out', 'cf-in']) await b.broker.topics.create({ name, numPartitions: 2, replicationFactor: 1, configs: {} });
    const out = lastJson<{ committed: number; seen: Record<string, [number, number, string][]> }>(await runPython(COMMIT_ABORT_COMMIT, [b.bootstrap], 90_000));
    assert.equal(out.committed, 100, 'the committed transaction\'s offset; the aborted one never showed');
    const values = (isolation: string, p: number) => out.seen[isolation]!.filter((r) => r[0] === p).map((r) => r[2]);
    assert.deepEqual(values('read_uncommitted', 0), ['A0', 'A2', 'B0', 'B2', 'C0', 'C2'], 'read_uncommitted sees all, in order, without the markers');
    assert.deepEqual(values('read_uncommitted', 1), ['A1', 'A3', 'B1', 'B3', 'C1', 'C3']);
    assert.deepEqual(values('read_committed', 0), ['A0', 'A2', 'C0', 'C2'], 'read_committed sees exactly A then C');
    assert.deepEqual(values('read_committed', 1), ['A1', 'A3', 'C1', 'C3']);
    const d = await until('CompleteCommit', () => describeTransaction(c, 'cf-tx'), (x) => x.transactionState === 'CompleteCommit');
    assert.equal(d.transactionState, 'CompleteCommit');
    for (const p of [0, 1]) {
      const batches = await partitionBatches(c, 'cf-out', p);
      assert.deepEqual(batches.filter((x) => x.control !== null).map((x) => [x.control, x.producerId, x.producerEpoch]),
        [['COMMIT', d.producerId, d.producerEpoch], ['ABORT', d.producerId, d.producerEpoch], ['COMMIT', d.producerId, d.producerEpoch]]);
    }
  });
});

test('confluent-kafka: a second producer with the same transactional.id fences the first and aborts its transaction', { timeout: 120_000 }, async () => {
  await withTxnBroker(async (b, c) => {
    await b.broker.topics.create({ name: 'cf-fence', numPartitions: 1, replicationFactor: 1, configs: {} });
    const outcome = lastJson<{ committed: boolean; fatal?: boolean; name?: string }>(await runPython(FENCING, [b.bootstrap], 90_000));
    assert.equal(outcome.committed, false, 'the fenced producer cannot commit');
    assert.equal(outcome.fatal, true, `a fatal error (${outcome.name})`);
    const d = await until('CompleteCommit', () => describeTransaction(c, 'cf-fence'), (x) => x.transactionState === 'CompleteCommit');
    // transaction.version 2 (the default): Kafka's coordinator aborts as Transaction V2 even for
    // this V1 client: fenced to 1, the abort bumps to 2, the successor gets 3.
    assert.deepEqual([d.transactionState, d.producerEpoch], ['CompleteCommit', 3], 'fence bumped to 1, the abort to 2, the successor got 3');
    const batches = await partitionBatches(c, 'cf-fence', 0);
    assert.deepEqual(batches.map((x) => x.control ?? x.values.join()), ['zombie', 'ABORT', 'successor', 'COMMIT']);
    assert.equal(batches[1]!.producerEpoch, 2, 'the abort marker carries the abort\'s epoch');
  });
});

test('confluent-kafka: a producer that dies inside a transaction is aborted after transaction.timeout.ms', { timeout: 120_000 }, async () => {
  await withTxnBroker(async (b, c) => {
    await b.broker.topics.create({ name: 'cf-dies', numPartitions: 1, replicationFactor: 1, configs: {} });
    await runPython(DIES_MID_TRANSACTION, [b.bootstrap], 60_000);
    assert.equal((await describeTransaction(c, 'cf-dies')).transactionState, 'Ongoing');
    const d = await until('aborted by the coordinator', () => describeTransaction(c, 'cf-dies'), (x) => x.transactionState === 'CompleteAbort', 30_000);
    assert.equal(d.producerEpoch, 2, 'the dead producer was fenced (1) and its transaction aborted as Transaction V2 (2)');
    assert.deepEqual((await partitionBatches(c, 'cf-dies', 0)).map((x) => x.control ?? x.values.join()), ['orphan', 'ABORT']);
  });
});

// ---- read_committed -------------------------------------------------------------------------

const READ_COMMITTED = `
import sys, json, time
from confluent_kafka import Producer, Consumer, TopicPartition
bootstrap = sys.argv[1]
p = Producer({'bootstrap.servers': bootstrap, 'transactional.id': 'cf-rc', 'linger.ms': 5})
p.init_transactions(30)
for name, commit in (('A', True), ('B', False), ('C', True)):
    p.begin_transaction()
    for i in range(3):
        p.produce('cf-rc', value=('%s%d' % (name, i)).encode(), partition=0)
    # abort_transaction purges what is not sent yet: flush so that B reaches the partition.
    p.flush(30)
    p.commit_transaction(30) if commit else p.abort_transaction(30)
def read(isolation, timeout=5):
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'cf-rc-' + isolation, 'isolation.level': isolation,
                  'auto.offset.reset': 'earliest', 'enable.partition.eof': True, 'enable.auto.commit': False})
    c.assign([TopicPartition('cf-rc', 0, 0)])
    got = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            break
        got.append(m.value().decode())
    c.close()
    return got
committed = read('read_committed')
uncommitted = read('read_uncommitted')
# An open transaction holds read_committed consumers at its first offset.
p.begin_transaction()
p.produce('cf-rc', value=b'D0', partition=0)
p.flush(30)
held = read('read_committed', 3)
p.commit_transaction(30)
released = read('read_committed')
print(json.dumps({'committed': committed, 'uncommitted': uncommitted, 'held': held, 'released': released}))
`;

test('confluent-kafka read_committed: sees exactly A then C; an open transaction holds it at its first offset', { timeout: 120_000 }, async () => {
  await withTxnBroker(async (b) => {
    await b.broker.topics.create({ name: 'cf-rc', numPartitions: 1, replicationFactor: 1, configs: {} });
    const r = lastJson<Record<string, string[]>>(await runPython(READ_COMMITTED, [b.bootstrap], 90_000));
    assert.deepEqual(r['committed'], ['A0', 'A1', 'A2', 'C0', 'C1', 'C2']);
    assert.deepEqual(r['uncommitted'], ['A0', 'A1', 'A2', 'B0', 'B1', 'B2', 'C0', 'C1', 'C2']);
    assert.deepEqual(r['held'], ['A0', 'A1', 'A2', 'C0', 'C1', 'C2'], 'nothing of the open transaction, nothing after it');
    assert.deepEqual(r['released'], ['A0', 'A1', 'A2', 'C0', 'C1', 'C2', 'D0']);
  });
});
