/**
 * confluent-kafka-python (librdkafka 2.0.2) consumer groups: three members consume a
 * 6-partition topic while one leaves and another joins. Every record is consumed, each
 * partition has one owner at a time (assign/revoke intervals never overlap), and the committed
 * offsets end at the log end offsets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestBroker, tempDir } from '../helpers/broker.js';
import { PYTHON, runPython, lastJson } from '../helpers/clients.js';
import { until } from '../helpers/wait.js';
import { fetchOffsets } from '../../src/coordinator/group/offsets.js';

const PRODUCE = `
import sys, json
from confluent_kafka import Producer
topic, partitions, count = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
p = Producer({'bootstrap.servers': sys.argv[1]})
for i in range(count):
    p.produce(topic, value=('v%d' % i).encode(), partition=i % partitions)
p.flush(30)
print(json.dumps({'sent': count}))
`;

const MEMBER = `
import sys, json, time, os
from confluent_kafka import Consumer, KafkaException
bootstrap, topic, group, name, stop, sleep_s = sys.argv[1:7]
def log(**kw):
    kw['t'] = time.time(); kw['name'] = name
    print(json.dumps(kw), flush=True)
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'auto.offset.reset': 'earliest',
              'enable.auto.commit': False, 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 300, 'client.id': name})
c.subscribe([topic], on_assign=lambda c, ps: log(event='assign', partitions=sorted(p.partition for p in ps)),
             on_revoke=lambda c, ps: log(event='revoke', partitions=sorted(p.partition for p in ps)))
while not os.path.exists(stop):
    m = c.poll(0.1)
    if m is None or m.error():
        continue
    log(event='msg', p=m.partition(), o=m.offset(), v=m.value().decode())
    time.sleep(float(sleep_s))  # pacing: the stream lasts long enough for members to leave and join
    try:
        c.commit(message=m, asynchronous=False)
    except KafkaException as e:
        log(event='commit-error', error=str(e))
c.close()
log(event='closed')
`;

interface Event { event: string; t: number; name: string; partitions?: number[]; p?: number; o?: number; v?: string }

class Member {
  readonly child: ChildProcess;
  readonly stopFile: string;
  out = '';
  readonly exited: Promise<void>;

  constructor(bootstrap: string, dir: string, readonly name: string) {
    this.stopFile = join(dir, `stop-${name}`);
    this.child = spawn(PYTHON, ['-c', MEMBER, bootstrap, 'cfk', 'g-cfk', name, this.stopFile, '0.01'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d) => { this.out += d; });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  events(): Event[] {
    return this.out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Event);
  }

  assigned(): boolean {
    return this.events().some((e) => e.event === 'assign' && e.partitions!.length > 0);
  }

  async stop(): Promise<void> {
    writeFileSync(this.stopFile, '');
    await this.exited;
  }
}

test('confluent-kafka: members leave and join mid-stream; one owner per partition; commits reach the end', { timeout: 150_000 }, async () => {
  const dir = tempDir('sherwood-groups-cfk-');
  const b = await startTestBroker({ overrides: { 'group.initial.rebalance.delay.ms': '300', 'offsets.topic.num.partitions': '3' } });
  const members: Member[] = [];
  try {
    const created = await b.broker.topics.create({ name: 'cfk', numPartitions: 6, replicationFactor: 1, configs: {} });
    assert.equal(created.errorCode, 0);
    assert.equal(lastJson(await runPython(PRODUCE, [b.bootstrap, 'cfk', '6', '600'], 60_000)).sent, 600);
    const shard = () => b.broker.groups.serviceIfStarted?.shardFor('g-cfk');
    const group = () => shard()?.groups.get('g-cfk');

    for (const name of ['a', 'b', 'c']) members.push(new Member(b.bootstrap, dir.path, name));
    await until('three stable members', () => group()?.state === 'Stable' && group()!.members.size === 3 && members.every((m) => m.assigned()), { timeoutMs: 30_000, intervalMs: 100 });
    // b leaves mid-stream: once the three members are consuming (each record takes them 10 ms:
    // pacing), well before the end of the 600.
    const consumedSoFar = () => members.flatMap((m) => m.events()).filter((e) => e.event === 'msg').length;
    await until('the three members to consume', () => consumedSoFar() >= 150, { timeoutMs: 30_000, intervalMs: 100, detail: () => `${consumedSoFar()} consumed` });
    await members[1]!.stop();
    assert.ok(consumedSoFar() < 600, `b left mid-stream (${consumedSoFar()} of 600 consumed)`);
    const d = new Member(b.bootstrap, dir.path, 'd');
    members.push(d);
    const committed = () => fetchOffsets(shard()!, 'g-cfk', [{ name: 'cfk', partitionIndexes: [0, 1, 2, 3, 4, 5] }])[0]!.partitions.map((p) => p.committedOffset);
    await until('d to join', () => d.assigned(), { timeoutMs: 30_000, intervalMs: 100 });
    await until('commits to reach the log end', () => committed().every((o) => o === 100), { timeoutMs: 90_000, intervalMs: 100, detail: () => `committed ${committed()}` });
    for (const m of members) if (m.child.exitCode === null) await m.stop();

    // Committed offsets equal the log end offsets.
    for (let p = 0; p < 6; p++) assert.equal(committed()[p], b.broker.partitionLog('cfk', p)!.logEndOffset);
    // Every record was consumed.
    const all = members.flatMap((m) => m.events());
    const values = new Set(all.filter((e) => e.event === 'msg').map((e) => e.v));
    assert.equal(values.size, 600);
    assert.ok(all.filter((e) => e.event === 'assign' && e.name === 'd' && e.partitions!.length > 0).length > 0, 'the late member got partitions');
    // Ownership intervals per partition never overlap.
    const intervals = new Map<number, { name: string; from: number; to: number }[]>();
    for (const m of members) {
      const events = m.events();
      const closedAt = events.find((e) => e.event === 'closed')?.t ?? Infinity;
      const open = new Map<number, number>();
      for (const e of events) {
        if (e.event === 'assign') for (const p of e.partitions!) open.set(p, e.t);
        if (e.event === 'revoke') {
          for (const p of e.partitions!) {
            if (!open.has(p)) continue;
            if (!intervals.has(p)) intervals.set(p, []);
            intervals.get(p)!.push({ name: m.name, from: open.get(p)!, to: e.t });
            open.delete(p);
          }
        }
      }
      for (const [p, from] of open) {
        if (!intervals.has(p)) intervals.set(p, []);
        intervals.get(p)!.push({ name: m.name, from, to: closedAt });
      }
      // Messages are only processed while owned.
      for (const e of events.filter((x) => x.event === 'msg')) {
        const own = (intervals.get(e.p!) ?? []).some((i) => i.name === m.name && e.t >= i.from && e.t <= i.to);
        assert.ok(own, `${m.name} consumed partition ${e.p} while not owning it`);
      }
    }
    for (const [p, list] of intervals) {
      list.sort((x, y) => x.from - y.from);
      for (let i = 1; i < list.length; i++) {
        assert.ok(list[i]!.from >= list[i - 1]!.to, `partition ${p}: ${list[i]!.name} was assigned before ${list[i - 1]!.name} gave it up`);
      }
    }
    assert.ok([...intervals.values()].some((l) => new Set(l.map((i) => i.name)).size > 1), 'partitions moved between members');
  } finally {
    for (const m of members) if (m.child.exitCode === null) m.child.kill('SIGKILL');
    await b.close();
    dir.remove();
  }
});

const STATIC_MEMBER = `
import sys, json, time, os
from confluent_kafka import Consumer
bootstrap, topic, group, instance, stop = sys.argv[1:6]
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'group.instance.id': instance, 'auto.offset.reset': 'earliest',
              'session.timeout.ms': 10000, 'heartbeat.interval.ms': 300, 'client.id': instance})
c.subscribe([topic], on_assign=lambda c, ps: print(json.dumps({'assign': sorted(p.partition for p in ps)}), flush=True))
while not os.path.exists(stop):
    c.poll(0.1)
c.close()
`;

test('confluent-kafka static membership (KIP-345): a restarted instance takes its place without a rebalance', { timeout: 120_000 }, async () => {
  const dir = tempDir('sherwood-groups-static-');
  const b = await startTestBroker({ overrides: { 'group.initial.rebalance.delay.ms': '300', 'offsets.topic.num.partitions': '3' } });
  const children: ChildProcess[] = [];
  const start = (instance: string, stop: string) => {
    const child = spawn(PYTHON, ['-c', STATIC_MEMBER, b.bootstrap, 'static', 'g-static', instance, join(dir.path, stop)], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    const state = { out: '', exited: new Promise<void>((resolve) => child.once('exit', () => resolve())) };
    child.stdout!.on('data', (d) => { state.out += d; });
    return state;
  };
  try {
    await b.broker.topics.create({ name: 'static', numPartitions: 4, replicationFactor: 1, configs: {} });
    const group = () => b.broker.groups.serviceIfStarted?.shardFor('g-static')?.groups.get('g-static');
    const one = start('i-1', 'stop-1');
    const two = start('i-2', 'stop-2');
    await until('two static members', () => group()?.state === 'Stable' && group()!.members.size === 2 && one.out.includes('assign') && two.out.includes('assign'), { timeoutMs: 30_000, intervalMs: 100 });
    const generation = group()!.generationId;
    const oldMemberId = group()!.staticMembers.get('i-1');
    const firstAssignment = JSON.parse(one.out.trim().split('\n').pop()!).assign as number[];
    writeFileSync(join(dir.path, 'stop-1'), '');
    await one.exited;
    assert.equal(group()!.members.size, 2, 'a static member does not leave the group on close');
    const again = start('i-1', 'stop-1b');
    await until('the instance to come back', () => again.out.includes('assign'), { timeoutMs: 30_000, intervalMs: 100 });
    assert.equal(group()!.generationId, generation, 'no rebalance');
    assert.notEqual(group()!.staticMembers.get('i-1'), oldMemberId, 'the instance got a new member id');
    assert.deepEqual(JSON.parse(again.out.trim().split('\n').pop()!).assign, firstAssignment, 'and its old partitions');
    for (const s of ['stop-2', 'stop-1b']) writeFileSync(join(dir.path, s), '');
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await b.close();
    dir.remove();
  }
});
