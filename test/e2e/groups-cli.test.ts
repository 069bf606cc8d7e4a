/**
 * `sherwood consumer-groups` against a live group of kafka-python: --describe shows the lag
 * while the member is behind (with its member id, host and client id), --members/--state,
 * --reset-offsets is refused while the group is active, --dry-run changes nothing, --execute
 * changes where the group resumes, --delete removes it from --list.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestBroker, tempDir, ROOT } from '../helpers/broker.js';
import { PYTHON, lastJson, run, runPython } from '../helpers/clients.js';
import { main, parseDateTime } from '../../src/cli/consumer-groups.js';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { produce } from '../../src/client/operations.js';

/** Consumes everything, commits, pauses, and keeps heartbeating until the stop file appears. */
const MEMBER = `
import sys, json, time, os
from kafka import KafkaConsumer
c = KafkaConsumer('cg', bootstrap_servers=[sys.argv[1]], group_id='g-cli', client_id='cli-consumer', auto_offset_reset='earliest',
                  enable_auto_commit=False, session_timeout_ms=6000, heartbeat_interval_ms=300)
seen = 0
while seen < int(sys.argv[3]):
    for tp, msgs in c.poll(timeout_ms=200).items():
        seen += len(msgs)
c.commit()
c.pause(*c.assignment())
print(json.dumps({'seen': seen}), flush=True)
while not os.path.exists(sys.argv[2]):
    c.poll(timeout_ms=100)
c.close()
`;

const RESUME = `
import sys, json
from kafka import KafkaConsumer
c = KafkaConsumer('cg', bootstrap_servers=[sys.argv[1]], group_id='g-cli', auto_offset_reset='earliest',
                  enable_auto_commit=False, consumer_timeout_ms=3000)
print(json.dumps(sorted([m.partition, m.offset] for m in c)))
c.close()
`;

async function cli(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, (l) => out.push(l), (l) => err.push(l));
  return { code, out, err };
}

const rows = (out: string[]) => out.filter((l) => l.trim() !== '').slice(1).map((l) => l.trim().split(/\s+/));

test('consumer-groups: describe shows lag; reset with --execute moves where the group resumes', { timeout: 120_000 }, async () => {
  const dir = tempDir('sherwood-groups-cli-');
  const b = await startTestBroker({ overrides: { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '3' } });
  const client = await KafkaClient.connect(b.bootstrap);
  const stopFile = join(dir.path, 'stop');
  const member = spawn(PYTHON, ['-c', MEMBER, b.bootstrap, stopFile, '20'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let memberOut = '';
  member.stdout.on('data', (d) => { memberOut += d; });
  const memberExited = new Promise<void>((resolve) => member.once('exit', () => resolve()));
  try {
    await b.broker.topics.create({ name: 'cg', numPartitions: 2, replicationFactor: 1, configs: {} });
    for (const p of [0, 1]) await produce(client, 'cg', p, Array.from({ length: 10 }, (_, i) => ({ key: null, value: `p${p}-${i}` })));
    const deadline = Date.now() + 30_000;
    while (!memberOut.includes('"seen"')) {
      if (Date.now() > deadline || member.exitCode !== null) throw new Error(`member did not consume: ${memberOut}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // The member is now 7 records behind on partition 0.
    await produce(client, 'cg', 0, Array.from({ length: 7 }, (_, i) => ({ key: null, value: `late-${i}` })));

    const described = await cli('--bootstrap-server', b.bootstrap, '--describe', '--group', 'g-cli');
    assert.equal(described.code, 0, described.err.join('\n'));
    assert.equal(described.out[0], '', 'Kafka prints a blank line first');
    assert.deepEqual(described.out[1]!.split(/\s+/), ['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID']);
    const r = rows(described.out);
    assert.deepEqual(r.map((x) => x.slice(0, 6)), [['g-cli', 'cg', '0', '10', '17', '7'], ['g-cli', 'cg', '1', '10', '10', '0']]);
    assert.match(r[0]![6]!, /^cli-consumer-/);
    assert.deepEqual(r[0]!.slice(7), ['/127.0.0.1', 'cli-consumer']);

    const members = await cli('--bootstrap-server', b.bootstrap, '--describe', '--group', 'g-cli', '--members', '--verbose');
    assert.equal(rows(members.out)[0]![5], '2');
    assert.equal(rows(members.out)[0]![6], 'cg(0,1)');
    const state = await cli('--bootstrap-server', b.bootstrap, '--describe', '--group', 'g-cli', '--state');
    assert.deepEqual(rows(state.out)[0]!.slice(-2), ['Stable', '1']);

    const refused = await cli('--bootstrap-server', b.bootstrap, '--reset-offsets', '--group', 'g-cli', '--all-topics', '--to-earliest', '--execute');
    assert.equal(refused.code, 1);
    assert.match(refused.err.join('\n'), /inactive, but the current state is Stable/);

    writeFileSync(stopFile, '');
    await memberExited;
    const empty = await cli('--bootstrap-server', b.bootstrap, '--describe', '--group', 'g-cli');
    assert.match(empty.err.join('\n'), /Consumer group 'g-cli' has no active members/);
    assert.deepEqual(rows(empty.out).map((x) => x.slice(3)), [['10', '17', '7', '-', '-', '-'], ['10', '10', '0', '-', '-', '-']]);

    const dry = await cli('--bootstrap-server', b.bootstrap, '--reset-offsets', '--group', 'g-cli', '--topic', 'cg:0', '--to-earliest');
    assert.deepEqual(rows(dry.out), [['g-cli', 'cg', '0', '0']]);
    assert.deepEqual(rows((await cli('--bootstrap-server', b.bootstrap, '--describe', '--group', 'g-cli')).out).map((x) => x[3]), ['10', '10'], 'a dry run commits nothing');

    const reset = await cli('--bootstrap-server', b.bootstrap, '--reset-offsets', '--group', 'g-cli', '--all-topics', '--shift-by', '-3', '--execute');
    assert.equal(reset.code, 0, reset.err.join('\n'));
    assert.deepEqual(rows(reset.out), [['g-cli', 'cg', '0', '7'], ['g-cli', 'cg', '1', '7']]);
    const resumed = lastJson<[number, number][]>(await runPython(RESUME, [b.bootstrap], 60_000));
    assert.deepEqual(resumed, [...Array.from({ length: 10 }, (_, i) => [0, 7 + i]), ...Array.from({ length: 3 }, (_, i) => [1, 7 + i])]);

    const listed = await run(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'consumer-groups', '--bootstrap-server', b.bootstrap, '--list'], { timeoutMs: 30_000 });
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(listed.stdout.trim().split('\n'), ['g-cli']);
    const deleted = await cli('--bootstrap-server', b.bootstrap, '--delete', '--group', 'g-cli', '--group', 'nope');
    assert.equal(deleted.code, 1);
    assert.deepEqual(deleted.out, [
      "Deletion of requested consumer groups ('g-cli') was successful.",
      'Deletion of some consumer groups failed:',
      "* Group 'nope' could not be deleted due to: GROUP_ID_NOT_FOUND",
    ]);
    assert.deepEqual((await cli('--bootstrap-server', b.bootstrap, '--list')).out, []);
    assert.equal((await cli('--bootstrap-server', b.bootstrap, '--describe')).code, 1, 'usage error without a group');
  } finally {
    if (!existsSync(stopFile)) writeFileSync(stopFile, '');
    if (member.exitCode === null) member.kill('SIGKILL');
    await client.close();
    await b.close();
    dir.remove();
  }
});

test('consumer-groups --to-datetime parsing follows Kafka (local time without a zone)', () => {
  assert.equal(parseDateTime('2024-01-02T03:04:05.006Z'), Date.UTC(2024, 0, 2, 3, 4, 5, 6));
  assert.equal(parseDateTime('2024-01-02T03:04:05+01:00'), Date.UTC(2024, 0, 2, 2, 4, 5));
  assert.equal(parseDateTime('2024-01-02T03:04:05'), new Date(2024, 0, 2, 3, 4, 5).getTime());
  assert.throws(() => parseDateTime('yesterday'));
});

/** confluent-kafka (librdkafka) group member: reads argv[3] records of topic 'cg2' from where the group is, commits, prints them. */
const CFK_MEMBER = `
import sys, json, time
from confluent_kafka import Consumer
c = Consumer({'bootstrap.servers': sys.argv[1], 'group.id': sys.argv[2], 'client.id': 'cfk-cli', 'auto.offset.reset': 'earliest',
              'enable.auto.commit': False, 'session.timeout.ms': 6000, 'log_level': 0})
c.subscribe(['cg2'])
want, seen = int(sys.argv[3]), []
deadline = time.time() + 30
while len(seen) < want and time.time() < deadline:
    m = c.poll(0.2)
    if m is None or m.error():
        continue
    seen.append([m.partition(), m.offset()])
    c.commit(message=m, asynchronous=False)
c.close()
print(json.dumps(seen))
`;

test('consumer-groups with confluent-kafka: describe shows its commits; --to-offset moves where it resumes', { timeout: 90_000 }, async () => {
  const b = await startTestBroker({ overrides: { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '3' } });
  const client = await KafkaClient.connect(b.bootstrap);
  try {
    await b.broker.topics.create({ name: 'cg2', numPartitions: 1, replicationFactor: 1, configs: {} });
    await produce(client, 'cg2', 0, Array.from({ length: 10 }, (_, i) => ({ key: null, value: `v${i}` })));
    const first = lastJson<[number, number][]>(await runPython(CFK_MEMBER, [b.bootstrap, 'g-cfk-cli', '6'], 60_000));
    assert.deepEqual(first, Array.from({ length: 6 }, (_, i) => [0, i]));

    const described = await cli('--bootstrap-server', b.bootstrap, '--describe', '--group', 'g-cfk-cli');
    assert.equal(described.code, 0, described.err.join('\n'));
    assert.match(described.err.join('\n'), /Consumer group 'g-cfk-cli' has no active members/);
    assert.deepEqual(rows(described.out), [['g-cfk-cli', 'cg2', '0', '6', '10', '4', '-', '-', '-']]);

    const reset = await cli('--bootstrap-server', b.bootstrap, '--reset-offsets', '--group', 'g-cfk-cli', '--topic', 'cg2', '--to-offset', '2', '--execute');
    assert.equal(reset.code, 0, reset.err.join('\n'));
    assert.deepEqual(rows(reset.out), [['g-cfk-cli', 'cg2', '0', '2']]);
    const second = lastJson<[number, number][]>(await runPython(CFK_MEMBER, [b.bootstrap, 'g-cfk-cli', '8'], 60_000));
    assert.deepEqual(second, Array.from({ length: 8 }, (_, i) => [0, 2 + i]), 'librdkafka resumes at the reset offset');
    assert.deepEqual(rows((await cli('--bootstrap-server', b.bootstrap, '--describe', '--group', 'g-cfk-cli')).out).map((x) => x.slice(3, 6)), [['10', '10', '0']]);
  } finally {
    await client.close();
    await b.close();
  }
});
