/**
 * `sherwood console-consumer --group` as kafka-console-consumer.sh: two real processes in one
 * group split a 3-partition topic (each prints a disjoint part, together everything) and
 * `consumer-groups --describe` lists both while they run; on SIGTERM they commit and leave.
 * Also in-process: consumer properties honoured (auto.offset.reset, max.poll.records with
 * --max-messages) or refused by name, and DefaultMessageFormatter's exact output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { startTestBroker, withBroker, ROOT } from '../helpers/broker.js';
import { main as consumerMain } from '../../src/cli/console-consumer.js';
import { main as groupsMain } from '../../src/cli/consumer-groups.js';
import { KafkaClient } from '../../src/client/index.js';
import { ManualClock } from '../../src/base/clock.js';

const FAST_GROUPS = { 'group.initial.rebalance.delay.ms': '0' };

interface Ran { code: number; stdout: string; stderr: string }

async function consume(argv: string[]): Promise<Ran> {
  const stdin = new PassThrough();
  stdin.end();
  let stdout = '';
  let stderr = '';
  const code = await consumerMain(argv, { stdin, stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
  return { code, stdout, stderr };
}

async function groups(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await groupsMain(args, (l) => out.push(l), (l) => err.push(l));
  return { code, out, err };
}

const rows = (out: string[]) => out.filter((l) => l.trim() !== '').slice(1).map((l) => l.trim().split(/\s+/));

interface ConsumerProcess { child: ChildProcess; stdout(): string; stderr(): string; exit: Promise<number | null> }

function spawnConsumer(args: string[]): ConsumerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'console-consumer', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { err += d; });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs: number, detail: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.fail(`${what} did not happen within ${timeoutMs} ms\n${detail()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('two console-consumer --group processes split 3 partitions; consumer-groups shows both members', { timeout: 120_000 }, async () => {
  const b = await startTestBroker({ overrides: FAST_GROUPS });
  const client = await KafkaClient.connect(b.bootstrap);
  const procs: ConsumerProcess[] = [];
  try {
    await b.broker.topics.create({ name: 'cg3', numPartitions: 3, replicationFactor: 1, configs: {} });
    const args = ['--bootstrap-server', b.bootstrap, '--topic', 'cg3', '--group', 'cg3-group', '--from-beginning',
      '--property', 'print.partition=true', '--consumer-property', 'heartbeat.interval.ms=300'];
    procs.push(spawnConsumer([...args, '--consumer-property', 'client.id=first']));
    procs.push(spawnConsumer([...args, '--consumer-property', 'client.id=second']));
    const detail = () => procs.map((p, i) => `#${i} stdout:\n${p.stdout()}\n#${i} stderr:\n${p.stderr()}`).join('\n');

    // Both are members, and between them they own the three partitions.
    let members: string[][] = [];
    await waitFor('a stable group of two', async () => {
      const r = await groups('--bootstrap-server', b.bootstrap, '--describe', '--group', 'cg3-group', '--members');
      members = rows(r.out);
      return r.err.length === 0 && members.length === 2 && members.reduce((n, m) => n + Number(m[5]), 0) === 3;
    }, 60_000, detail);
    assert.deepEqual(members.map((m) => m[4]).sort(), ['first', 'second']);
    assert.deepEqual(members.map((m) => Number(m[5])).sort(), [1, 2], 'range: 2 + 1');

    const sent: string[] = [];
    for (let p = 0; p < 3; p++) {
      const values = Array.from({ length: 10 }, (_, i) => `p${p}-r${i}`);
      sent.push(...values.map((v) => `Partition:${p}\t${v}`));
      await client.produce('cg3', p, values.map((value) => ({ key: null, value })));
    }
    const lines = (p: ConsumerProcess) => p.stdout().split('\n').filter((l) => l !== '');
    await waitFor('30 records printed', () => lines(procs[0]!).length + lines(procs[1]!).length >= 30, 30_000, detail);
    // While they run, --describe lists each partition with its owner.
    const described = rows((await groups('--bootstrap-server', b.bootstrap, '--describe', '--group', 'cg3-group')).out);
    assert.equal(described.length, 3);
    assert.equal(new Set(described.map((r) => r[8])).size, 2, 'two owners (CLIENT-ID column)');

    for (const p of procs) p.child.kill('SIGTERM');
    const codes = await Promise.all(procs.map((p) => p.exit));
    assert.deepEqual(codes, [0, 0], detail());
    const [a, c] = procs.map(lines) as [string[], string[]];
    assert.ok(a.length > 0 && c.length > 0, detail());
    assert.deepEqual(a.filter((l) => c.includes(l)), [], 'disjoint');
    assert.deepEqual([...a, ...c].sort(), sent.sort());
    // Each partition went to exactly one process.
    const partitionsOf = (ls: string[]) => new Set(ls.map((l) => l.split('\t')[0]));
    assert.equal(partitionsOf(a).size + partitionsOf(c).size, 3);
    for (const [i, p] of procs.entries()) assert.match(p.stderr(), new RegExp(`Processed a total of ${[a, c][i]!.length} messages`));

    // They committed at exit and left: the group is empty, nothing lags.
    const after = await groups('--bootstrap-server', b.bootstrap, '--describe', '--group', 'cg3-group');
    assert.match(after.err.join('\n'), /Consumer group 'cg3-group' has no active members/);
    assert.deepEqual(rows(after.out).map((r) => [r[2], r[3], r[5]]), [['0', '10', '0'], ['1', '10', '0'], ['2', '10', '0']]);
  } finally {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await client.close();
    await b.close();
  }
});

test('--consumer-property: auto.offset.reset=earliest reads from the start; an unknown key is refused by name', { timeout: 60_000 }, async () => {
  await withBroker(async (b) => {
    await b.broker.topics.create({ name: 'cp', numPartitions: 2, replicationFactor: 1, configs: {} });
    const client = await KafkaClient.connect(b.bootstrap);
    try {
      for (let p = 0; p < 2; p++) await client.produce('cp', p, [{ key: null, value: `a${p}` }, { key: null, value: `b${p}` }]);
    } finally {
      await client.close();
    }
    // --timeout-ms everywhere: a property silently ignored must fail the test, not hang it.
    const base = ['--bootstrap-server', b.bootstrap, '--topic', 'cp', '--timeout-ms', '5000'];
    // Without it (latest), nothing old is printed.
    const latest = await consume([...base.slice(0, 4), '--timeout-ms', '500']);
    assert.deepEqual([latest.code, latest.stdout], [0, '']);
    // With it: every record, without a group and with one.
    const noGroup = await consume([...base, '--consumer-property', 'auto.offset.reset=earliest', '--max-messages', '4']);
    assert.equal(noGroup.code, 0, noGroup.stderr);
    assert.deepEqual(noGroup.stdout.trim().split('\n').sort(), ['a0', 'a1', 'b0', 'b1']);
    const grouped = await consume([...base, '--group', 'cp-g', '--consumer-property', 'auto.offset.reset=earliest', '--max-messages', '4']);
    assert.equal(grouped.code, 0, grouped.stderr);
    assert.deepEqual(grouped.stdout.trim().split('\n').sort(), ['a0', 'a1', 'b0', 'b1']);

    // max.poll.records=1 and --max-messages 1: the group resumes exactly after the printed record.
    const one = await consume([...base, '--group', 'cp-one', '--from-beginning', '--max-messages', '1', '--consumer-property', 'max.poll.records=1',
      '--consumer-property', 'partition.assignment.strategy=org.apache.kafka.clients.consumer.RoundRobinAssignor']);
    assert.equal(one.code, 0, one.stderr);
    const rest = await consume([...base, '--group', 'cp-one', '--from-beginning', '--max-messages', '3']);
    assert.deepEqual([...one.stdout.trim().split('\n'), ...rest.stdout.trim().split('\n')].sort(), ['a0', 'a1', 'b0', 'b1']);

    // enable.auto.commit=false: nothing is committed, the next run starts over.
    await consume([...base, '--group', 'cp-nocommit', '--from-beginning', '--max-messages', '4', '--consumer-property', 'enable.auto.commit=false']);
    const again = await consume([...base, '--group', 'cp-nocommit', '--from-beginning', '--max-messages', '4']);
    assert.equal(again.stdout.trim().split('\n').length, 4);

    const unknown = await consume([...base, '--consumer-property', 'no.such.setting=1']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^sherwood console-consumer: --consumer-property: unknown or unsupported consumer property 'no\.such\.setting' \(honoured: .*auto\.offset\.reset.*\) \(see --help\)\n$/);
    const badValue = await consume([...base, '--consumer-property', 'auto.offset.reset=by_duration:PT1H']);
    assert.equal(badValue.code, 1);
    assert.match(badValue.stderr, /auto\.offset\.reset=by_duration:PT1H: must be one of earliest, latest, none/);
    const none = await consume([...base, '--group', 'cp-none', '--consumer-property', 'auto.offset.reset=none']);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /Undefined offset with no reset policy for partitions: \[cp-0, cp-1\]/);
  }, { overrides: FAST_GROUPS });
});

test("DefaultMessageFormatter's output, byte for byte", { timeout: 30_000 }, async () => {
  await withBroker(async (b) => {
    await b.broker.topics.create({ name: 'fmt', numPartitions: 1, replicationFactor: 1, configs: {} });
    const client = await KafkaClient.connect(b.bootstrap, { clock: new ManualClock(1_700_000_000_000) });
    try {
      await client.produce('fmt', 0, Array.from({ length: 5 }, (_, i) => ({ key: null, value: `filler${i}` })));
      await client.produce('fmt', 0, [
        { key: 'key', value: 'value', headers: [{ key: 'h1', value: 'v1' }, { key: 'h2', value: null }] },
        { key: null, value: null },
      ]);
    } finally {
      await client.close();
    }
    const base = ['--bootstrap-server', b.bootstrap, '--topic', 'fmt', '--partition', '0', '--offset', '5', '--max-messages', '2'];
    const all = await consume([...base, '--property', 'print.timestamp=true', '--property', 'print.partition=true', '--property', 'print.offset=true',
      '--property', 'print.key=true']);
    assert.equal(all.stdout, 'CreateTime:1700000000000\tPartition:0\tOffset:5\tkey\tvalue\nCreateTime:1700000000000\tPartition:0\tOffset:6\tnull\tnull\n');
    const headers = await consume([...base, '--formatter-property', 'print.headers=true', '--formatter-property', 'print.value=false',
      '--formatter-property', 'headers.separator=;', '--formatter-property', 'null.literal=<nil>', '--formatter-property', 'line.separator=|']);
    assert.equal(headers.stdout, 'h1:v1;h2:<nil>|NO_HEADERS|');
    const nothing = await consume([...base, '--property', 'print.value=false']);
    assert.equal(nothing.stdout, '', 'nothing at all when every print.* is false');
    const delivery = await consume([...base, '--property', 'print.delivery=true', '--property', 'key.separator=,',
      '--property', 'value.deserializer=org.apache.kafka.common.serialization.StringDeserializer']);
    assert.equal(delivery.stdout, 'Delivery:NONE,value\nDelivery:NONE,null\n');
  });
});
