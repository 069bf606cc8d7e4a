/**
 * Durability of committed consumer-group offsets: an OffsetCommit answered without error is an
 * acknowledged write to `__consumer_offsets`, so it must survive kill -9 of the broker.
 *
 * - kafka-python commits synchronously after every record (printing each acknowledged
 *   position), stays in the group, and the broker process is SIGKILLed. After a restart on the
 *   same directory, confluent-kafka `committed()`, Sherwood's client and
 *   `sherwood consumer-groups --describe` read back exactly the last acknowledged offsets,
 *   and a new kafka-python member of the group resumes there: no gap, re-delivery only of
 *   what follows the last acknowledged commit.
 * - confluent-kafka commits synchronously per consumed batch at a high rate, with tiny
 *   `__consumer_offsets` segments being compacted meanwhile, and the broker is SIGKILLed
 *   mid-stream: after the restart each partition's committed offset is at least every
 *   acknowledged commit and at most what the consumer had consumed.
 * - A member that outlives the kill -9 carries on after the restart (the coordinator reloads
 *   its membership) and its acknowledged commits per partition are exactly 1..end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { spawnBroker, tempDir, type BrokerProcess } from '../helpers/broker.js';
import { PYTHON, lastJson, runPython } from '../helpers/clients.js';
import { settled, until } from '../helpers/wait.js';
import { KafkaClient } from '../../src/client/index.js';
import { main as consumerGroups } from '../../src/cli/consumer-groups.js';

const OVERRIDES = {
  'group.initial.rebalance.delay.ms': '0',
  'group.min.session.timeout.ms': '1000',
  'offsets.topic.num.partitions': '3',
};
const PARTITIONS = 3;
/** Tiny `__consumer_offsets` segments and an eager cleaner: compaction runs during the commits. */
const COMPACTING = { 'offsets.topic.segment.bytes': '4096', 'log.cleaner.backoff.ms': '20', 'log.cleaner.min.cleanable.ratio': '0.01' };

/** Creates argv[2] with argv[3] partitions and writes argv[4] records round-robin ('v<i>'). */
const PRODUCE = `
import sys, json
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
topic, partitions, count = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
a = AdminClient({'bootstrap.servers': sys.argv[1]})
for f in a.create_topics([NewTopic(topic, partitions, 1)], operation_timeout=10).values():
    f.result()
p = Producer({'bootstrap.servers': sys.argv[1], 'acks': 'all', 'linger.ms': 5, 'batch.num.messages': 25,
              'log_level': 0})
delivered = [0]
def cb(err, msg):
    if err is None:
        delivered[0] += 1
for i in range(count):
    while True:
        try:
            p.produce(topic, value=b'v%d' % i, partition=i % partitions, on_delivery=cb)
            break
        except BufferError:
            p.poll(0.01)
    p.poll(0)
p.flush(20)
print(json.dumps({'delivered': delivered[0]}))
`;

/**
 * A kafka-python member: consumes argv[4] records, commit()s synchronously after each one and
 * prints the acknowledged position; then prints 'idle' and keeps heartbeating without leaving.
 * argv[5] is its session.timeout.ms. A commit that fails (it lost its membership) is printed
 * as such; the record comes again after the rejoin.
 */
const KP_COMMIT_THEN_IDLE = `
import sys, json, time
from kafka import KafkaConsumer
from kafka.errors import CommitFailedError
from kafka.structs import OffsetAndMetadata
topic, group, limit, session = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
c = KafkaConsumer(topic, bootstrap_servers=[sys.argv[1]], group_id=group, auto_offset_reset='earliest',
                  enable_auto_commit=False, session_timeout_ms=session, heartbeat_interval_ms=300,
                  max_poll_records=1, retry_backoff_ms=50, reconnect_backoff_ms=50, reconnect_backoff_max_ms=200)
n = 0
while n < limit:
    for tp, msgs in c.poll(timeout_ms=200).items():
        for m in msgs:
            try:
                c.commit({tp: OffsetAndMetadata(m.offset + 1, '')})
            except CommitFailedError:
                print(json.dumps({'failed': [m.partition, m.offset + 1]}), flush=True)
                continue
            n += 1
            print(json.dumps({'committed': [m.partition, m.offset + 1]}), flush=True)
print('idle', flush=True)
while True:
    c.poll(timeout_ms=200)
`;

/** Reads committed offsets of group argv[3] for argv[2]'s argv[4] partitions with confluent-kafka. */
const CK_COMMITTED = `
import sys, json
from confluent_kafka import Consumer, TopicPartition
topic, group, partitions = sys.argv[2], sys.argv[3], int(sys.argv[4])
c = Consumer({'bootstrap.servers': sys.argv[1], 'group.id': group, 'enable.auto.commit': False, 'log_level': 0})
res = c.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=20)
c.close()
print(json.dumps({str(tp.partition): tp.offset for tp in res if tp.error is None}))
`;

/** A new kafka-python member of group argv[3]: reads to the end, commits nothing, prints what it saw. */
const KP_RESUME = `
import sys, json, time
from kafka import KafkaConsumer, TopicPartition
topic, group, expected = sys.argv[2], sys.argv[3], int(sys.argv[4])
c = KafkaConsumer(topic, bootstrap_servers=[sys.argv[1]], group_id=group, auto_offset_reset='earliest',
                  enable_auto_commit=False, session_timeout_ms=2000, heartbeat_interval_ms=300)
seen = []
deadline = time.time() + 30
while len(seen) < expected and time.time() < deadline:
    for tp, msgs in c.poll(timeout_ms=200).items():
        for m in msgs:
            seen.append([m.partition, m.offset, m.value.decode()])
# Anything beyond the expected count would be a duplicate: give it a moment to show up.
end = time.time() + 0.5
while time.time() < end:
    for tp, msgs in c.poll(timeout_ms=100).items():
        for m in msgs:
            seen.append([m.partition, m.offset, m.value.decode()])
c.close(autocommit=False)
print(json.dumps({'seen': seen}))
`;

/**
 * A confluent-kafka member that consumes in batches and commit(asynchronous=False)s each one,
 * printing 'consumed p o' before and 'acked p o' (the returned positions) after each commit.
 */
const CK_FAST_COMMITS = `
import sys
from confluent_kafka import Consumer
topic, group = sys.argv[2], sys.argv[3]
c = Consumer({'bootstrap.servers': sys.argv[1], 'group.id': group, 'enable.auto.commit': False,
              'auto.offset.reset': 'earliest', 'session.timeout.ms': 2000, 'heartbeat.interval.ms': 300,
              'max.partition.fetch.bytes': 1024, 'log_level': 0})
c.subscribe([topic])
while True:
    msgs = c.consume(num_messages=7, timeout=0.2)
    msgs = [m for m in msgs if m.error() is None]
    if not msgs:
        continue
    for m in msgs:
        sys.stdout.write('consumed %d %d\\n' % (m.partition(), m.offset()))
    sys.stdout.flush()
    for tp in c.commit(asynchronous=False):
        if tp.error is None and tp.offset >= 0:
            sys.stdout.write('acked %d %d\\n' % (tp.partition, tp.offset))
    sys.stdout.flush()
`;

/** Spawns a long-running Python client; lines() is its stdout so far, split into lines. */
function spawnPython(script: string, args: string[]): { child: ChildProcessWithoutNullStreams; lines(): string[]; stderr(): string; exited: Promise<void>; kill(): Promise<void> } {
  const child = spawn(PYTHON, ['-c', script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return {
    child,
    lines: () => out.split('\n').filter((l, i, all) => i < all.length - 1 && l.length > 0),
    stderr: () => err,
    exited,
    kill: async () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); await exited; },
  };
}

/** The [partition, offset] of every acknowledged commit KP_COMMIT_THEN_IDLE printed, in order. */
function ackedCommits(lines: string[]): [number, number][] {
  return lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { committed?: [number, number] })
    .flatMap((l) => (l.committed === undefined ? [] : [l.committed]));
}

async function cleanup(broker: BrokerProcess | undefined, dir: { remove(): void }): Promise<void> {
  if (broker !== undefined && broker.child.exitCode === null && broker.child.signalCode === null) await broker.kill9();
  dir.remove();
}

test('kill -9 after synchronous commits: the group resumes exactly at the last acknowledged offsets', { timeout: 90_000 }, async () => {
  const dir = tempDir('sherwood-offsets-kill9-');
  const topic = 'kill9-offsets';
  const group = 'g-kill9-sync';
  const total = 30;
  const consumeFirst = 13;
  let broker: BrokerProcess | undefined = await spawnBroker(dir.path, undefined, OVERRIDES);
  try {
    assert.equal(lastJson(await runPython(PRODUCE, [broker.bootstrap, topic, String(PARTITIONS), String(total)], 30_000)).delivered, total);

    const member = spawnPython(KP_COMMIT_THEN_IDLE, [broker.bootstrap, topic, group, String(consumeFirst), '2000']);
    const acked = new Map<number, number>();
    try {
      await until('the member to finish committing', () => member.lines().includes('idle') || member.child.exitCode !== null,
        { timeoutMs: 40_000, detail: () => `${member.lines().join('|')} ${member.stderr()}` });
      assert.ok(member.lines().includes('idle'), `member failed: ${member.stderr()}`);
      const commits = ackedCommits(member.lines());
      for (const [p, o] of commits) acked.set(p, Math.max(acked.get(p) ?? 0, o));
      assert.equal(commits.length, consumeFirst);
      // Still a member (heartbeating, never left): the broker dies under it.
      await broker.kill9();
    } finally {
      await member.kill();
    }
    const port = broker.port;
    broker = undefined;
    broker = await spawnBroker(dir.path, port, OVERRIDES);

    // confluent-kafka reads back exactly the last acknowledged commit of every partition.
    const ck = lastJson<Record<string, number>>(await runPython(CK_COMMITTED, [broker.bootstrap, topic, group, String(PARTITIONS)], 40_000));
    for (let p = 0; p < PARTITIONS; p++) {
      assert.equal(ck[String(p)], acked.get(p) ?? -1001, `confluent-kafka committed() of partition ${p}`);
    }
    // So does Sherwood's own client.
    const client = await KafkaClient.connect(broker.bootstrap);
    try {
      const ours = await client.fetchCommittedOffsets(group, topic, [0, 1, 2]);
      for (let p = 0; p < PARTITIONS; p++) assert.equal(ours.get(p) ?? -1, acked.get(p) ?? -1, `OffsetFetch of partition ${p}`);
    } finally {
      await client.close();
    }

    // And `sherwood consumer-groups --describe` (CURRENT-OFFSET column, '-' where none).
    const out: string[] = [];
    const errors: string[] = [];
    assert.equal(await consumerGroups(['--bootstrap-server', broker.bootstrap, '--describe', '--group', group], (l) => out.push(l), (l) => errors.push(l)), 0, errors.join('\n'));
    const described = new Map(out.filter((l) => l.startsWith(group)).map((l) => l.trim().split(/\s+/)).map((r) => [Number(r[2]), r[3]]));
    // A partition without a commit is listed only while the reloaded, stale member still owns it.
    for (let p = 0; p < PARTITIONS; p++) assert.equal(described.get(p) ?? '-', acked.has(p) ? String(acked.get(p)) : '-', `describe of partition ${p}: ${out.join('\n')}`);

    // A new member resumes at the acknowledged offsets: exactly the rest, once each, in order.
    const remaining = total - consumeFirst;
    const resumed = lastJson<{ seen: [number, number, string][] }>(
      await runPython(KP_RESUME, [broker.bootstrap, topic, group, String(remaining)], 60_000)).seen;
    for (let p = 0; p < PARTITIONS; p++) {
      const offsets = resumed.filter((s) => s[0] === p).map((s) => s[1]);
      const end = Math.floor(total / PARTITIONS) + (p < total % PARTITIONS ? 1 : 0);
      const start = acked.get(p) ?? 0;
      assert.deepEqual(offsets, Array.from({ length: end - start }, (_, i) => start + i), `partition ${p} resumes at ${start}`);
    }
    assert.equal(resumed.length, remaining);
  } finally {
    await cleanup(broker, dir);
  }
});

test('kill -9 amid high-rate synchronous commits from confluent-kafka: acknowledged ≤ committed ≤ consumed', { timeout: 90_000 }, async () => {
  const dir = tempDir('sherwood-offsets-kill9-fast-');
  const topic = 'kill9-fast-offsets';
  const group = 'g-kill9-fast';
  const total = 6000;
  let broker: BrokerProcess | undefined = await spawnBroker(dir.path, undefined, { ...OVERRIDES, ...COMPACTING });
  try {
    assert.equal(lastJson(await runPython(PRODUCE, [broker.bootstrap, topic, String(PARTITIONS), String(total)], 40_000)).delivered, total);

    const member = spawnPython(CK_FAST_COMMITS, [broker.bootstrap, topic, group]);
    const ackedLines = (): string[] => member.lines().filter((l) => l.startsWith('acked'));
    // Mid-stream: at least 60 acknowledged commits, covering every partition.
    const enough = (): boolean => ackedLines().length >= 60 && new Set(ackedLines().map((l) => l.split(' ')[1])).size === PARTITIONS;
    try {
      await until('60 acknowledged commits over every partition', () => enough() || member.child.exitCode !== null,
        { timeoutMs: 40_000, detail: () => `only ${ackedLines().length} acknowledged commits: ${member.stderr()}` });
      assert.equal(member.child.exitCode, null, `consumer exited: ${member.stderr()}`);
      await broker.kill9();
      // Whatever it still prints was acknowledged (or consumed) before the kill: collect it
      // until it stops printing.
      await settled('what the consumer reports after the kill', () => member.lines().length, 200);
    } finally {
      await member.kill();
    }
    const acked = new Map<number, number>();
    const consumed = new Map<number, number>();
    for (const line of member.lines()) {
      const [kind, p, o] = line.split(' ');
      const map = kind === 'acked' ? acked : consumed;
      map.set(Number(p), Math.max(map.get(Number(p)) ?? -1, Number(o)));
    }
    assert.equal(acked.size, PARTITIONS);
    const consumedTotal = member.lines().filter((l) => l.startsWith('consumed')).length;
    assert.ok(consumedTotal < total, 'killed mid-stream, before the consumer reached the end');

    const port = broker.port;
    broker = undefined;
    broker = await spawnBroker(dir.path, port, OVERRIDES);
    const ck = lastJson<Record<string, number>>(await runPython(CK_COMMITTED, [broker.bootstrap, topic, group, String(PARTITIONS)], 40_000));
    const client = await KafkaClient.connect(broker.bootstrap);
    let ours: Map<number, number>;
    try {
      ours = await client.fetchCommittedOffsets(group, topic, [0, 1, 2]);
    } finally {
      await client.close();
    }
    for (let p = 0; p < PARTITIONS; p++) {
      // confluent-kafka says -1001 (OFFSET_INVALID) where OffsetFetch answers -1 (none committed).
      const committed = ck[String(p)] === -1001 ? -1 : ck[String(p)]!;
      assert.equal(ours.get(p) ?? -1, committed, `both clients read the same offset for partition ${p}`);
      const ackedOffset = acked.get(p);
      if (ackedOffset === undefined) continue;
      assert.ok(committed >= ackedOffset, `partition ${p}: committed ${committed} < acknowledged ${ackedOffset}`);
      assert.ok(committed <= (consumed.get(p) ?? -1) + 1, `partition ${p}: committed ${committed} beyond consumed ${consumed.get(p)}`);
    }
  } finally {
    await cleanup(broker, dir);
  }
});

test('a member that survives the kill -9 carries on committing after the restart, with no offset lost', { timeout: 90_000 }, async () => {
  const dir = tempDir('sherwood-offsets-kill9-alive-');
  const topic = 'kill9-alive-offsets';
  const group = 'g-kill9-alive';
  const total = 240;
  let broker: BrokerProcess | undefined = await spawnBroker(dir.path, undefined, OVERRIDES);
  try {
    assert.equal(lastJson(await runPython(PRODUCE, [broker.bootstrap, topic, String(PARTITIONS), String(total)], 30_000)).delivered, total);
    // A generous session timeout: the member normally keeps its membership across the restart
    // (the coordinator reloads it); if it does lose it, it rejoins and re-reads from its commits.
    const member = spawnPython(KP_COMMIT_THEN_IDLE, [broker.bootstrap, topic, group, String(total), '10000']);
    try {
      await until('40 acknowledged commits', () => ackedCommits(member.lines()).length >= 40 || member.child.exitCode !== null,
        { timeoutMs: 40_000, detail: () => `${member.lines().join('|')} ${member.stderr()}` });
      await broker.kill9();
      const ackedBeforeKill = ackedCommits(member.lines()).length;
      assert.ok(ackedBeforeKill < total, 'killed mid-stream');
      broker = await spawnBroker(dir.path, broker.port, OVERRIDES);
      await until('the member to finish after the restart', () => member.lines().includes('idle') || member.child.exitCode !== null,
        { timeoutMs: 60_000, detail: () => `${ackedCommits(member.lines()).length} commits; ${member.stderr()}` });
      assert.ok(member.lines().includes('idle'), `member failed: ${member.stderr()}`);
      // Per partition, the acknowledged commits are exactly 1, 2, ..., end: nothing skipped, none twice.
      const commits = ackedCommits(member.lines());
      for (let p = 0; p < PARTITIONS; p++) {
        const end = total / PARTITIONS;
        assert.deepEqual(commits.filter((c) => c[0] === p).map((c) => c[1]), Array.from({ length: end }, (_, i) => i + 1), `partition ${p}`);
      }
    } finally {
      await member.kill();
    }
    const ck = lastJson<Record<string, number>>(await runPython(CK_COMMITTED, [broker.bootstrap, topic, group, String(PARTITIONS)], 40_000));
    assert.deepEqual(ck, { 0: total / PARTITIONS, 1: total / PARTITIONS, 2: total / PARTITIONS });
  } finally {
    await cleanup(broker, dir);
  }
});
