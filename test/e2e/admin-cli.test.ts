/**
 * `sherwood topics` (kafka-topics.sh's flags and output) against a real broker: in-process
 * through main() for most cases, and once as a real child process through src/cli/main.ts.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestBroker, ROOT } from '../helpers/broker.js';
import { kcat, lastJson, run, runPython } from '../helpers/clients.js';
import { main } from '../../src/cli/topics.js';
import type { RunningBroker } from '../../src/index.js';

let b: RunningBroker;
before(async () => { b = await startTestBroker(); });
after(async () => { await b?.close(); });

async function topics(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['--bootstrap-server', b.bootstrap, ...args], (l) => out.push(l), (l) => err.push(l));
  return { code, out, err };
}

test('create, describe, list, alter, delete', async () => {
  let r = await topics('--create', '--topic', 'cli-a', '--partitions', '3', '--replication-factor', '1', '--config', 'retention.ms=60000', '--config', 'cleanup.policy=compact');
  assert.deepEqual(r, { code: 0, out: ['Created topic cli-a.'], err: [] });
  r = await topics('--create', '--topic', 'cli-a');
  assert.deepEqual(r, { code: 1, out: [], err: ["sherwood topics: Topic 'cli-a' already exists."] });
  r = await topics('--create', '--topic', 'cli-a', '--if-not-exists');
  assert.deepEqual([r.code, r.out], [0, []]);
  r = await topics('--create', '--topic', 'cli.b');
  assert.equal(r.code, 0);
  assert.match(r.out[0]!, /^WARNING: Due to limitations in metric names/);
  assert.equal(r.out[1], 'Created topic cli.b.');

  r = await topics('--list');
  assert.deepEqual(r, { code: 0, out: ['cli-a', 'cli.b'], err: [] });

  r = await topics('--describe', '--topic', 'cli-a');
  assert.equal(r.code, 0);
  const id = b.broker.topics.get('cli-a')!.topicId.toString('base64url');
  const n = b.broker.nodeId;
  assert.deepEqual(r.out, [
    `Topic: cli-a\tTopicId: ${id}\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: cleanup.policy=compact,retention.ms=60000`,
    `\tTopic: cli-a\tPartition: 0\tLeader: ${n}\tReplicas: ${n}\tIsr: ${n}`,
    `\tTopic: cli-a\tPartition: 1\tLeader: ${n}\tReplicas: ${n}\tIsr: ${n}`,
    `\tTopic: cli-a\tPartition: 2\tLeader: ${n}\tReplicas: ${n}\tIsr: ${n}`,
  ]);
  r = await topics('--describe', '--topic-id', id);
  assert.equal(r.out[0]!.split('\t')[0], 'Topic: cli-a');
  r = await topics('--describe', '--topics-with-overrides');
  assert.deepEqual(r.out.filter((l) => l.startsWith('Topic:')).map((l) => l.split('\t')[0]), ['Topic: cli-a']);
  r = await topics('--describe', '--topic', 'nope');
  assert.deepEqual([r.code, r.out, r.err], [1, [], ["sherwood topics: Topic 'nope' does not exist as expected"]]);
  r = await topics('--describe', '--topic', 'nope', '--if-exists');
  assert.deepEqual([r.code, r.out], [0, []]);

  r = await topics('--alter', '--topic', 'cli-a', '--partitions', '5');
  assert.deepEqual([r.code, r.out], [0, []]);
  assert.equal(b.broker.topics.get('cli-a')!.numPartitions, 5);
  r = await topics('--alter', '--topic', 'cli-a', '--partitions', '2');
  assert.equal(r.code, 1);
  assert.deepEqual(r.err, ['sherwood topics: The topic cli-a currently has 5 partition(s); 2 would not be an increase.']);

  r = await topics('--delete', '--topic', 'cli.b');
  assert.deepEqual([r.code, r.out], [0, []]);
  assert.equal(b.broker.topics.get('cli.b'), undefined);
  r = await topics('--delete', '--topic', 'cli.b');
  assert.equal(r.code, 1);
  r = await topics('--delete', '--topic', 'cli.b', '--if-exists');
  assert.equal(r.code, 0);
});

test('broker-side errors are printed and the broker keeps serving', async () => {
  let r = await topics('--create', '--topic', 'bad name');
  assert.equal(r.code, 1);
  assert.match(r.err[0]!, /^sherwood topics: Topic name "bad name" is illegal/);
  assert.equal(r.err.length, 1);
  r = await topics('--create', '--topic', 'cli-rf', '--replication-factor', '3');
  assert.deepEqual(r.err, ['sherwood topics: Replication factor: 3 larger than available brokers: 1.']);
  r = await topics('--create', '--topic', 'cli-cfg', '--config', 'retention.ms=later');
  assert.deepEqual(r.err, ['sherwood topics: Invalid value later for configuration retention.ms: Not a number of type LONG']);
  r = await topics('--create', '--topic', 'cli-cfg', '--config', 'nope=1');
  assert.deepEqual(r.err, ['sherwood topics: Unknown topic config name: nope']);
  r = await topics('--list');
  assert.equal(r.code, 0);
});

test('usage errors: one line on stderr, exit 1; --help on stdout, exit 0', async () => {
  const usage = async (argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, (l) => out.push(l), (l) => err.push(l));
    return { code, out, err };
  };
  const refused = async (argv: string[], message: string) => assert.deepEqual(await usage(argv), { code: 1, out: [], err: [`sherwood topics: ${message} (see --help)`] });
  await refused(['--zookeeper', 'localhost:2181', '--list'],
    '--zookeeper is not supported: ZooKeeper is gone (as in Kafka 4.0). Use --bootstrap-server HOST:PORT to talk to the broker.');
  await refused(['--list'], 'Missing required argument "[bootstrap-server]"');
  await refused(['--bootstrap-server', 'x:1', '--list', '--create'], 'Command must include exactly one action: --list, --describe, --create, --alter or --delete');
  await refused(['--bootstrap-server', 'x:1', '--create'], 'Missing required argument "[topic]"');
  await refused(['--bootstrap-server', 'x:1', '--create', '--topic', 't', '--config', 'novalue'],
    'Invalid topic config: all configs to be added must be in the format "key=val".');
  await refused(['--bootstrap-server', 'x:1', '--alter', '--topic', 't', '--config', 'retention.ms=1'],
    'Option "[config]" can\'t be used with option "[alter]"; use `sherwood configs --alter --entity-type topics --entity-name NAME --add-config k=v` to change topic configs');
  const help = await usage(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.out.join('\n'), /^Usage: sherwood topics/);
  assert.deepEqual(help.err, []);
});

test('--command-config: the honoured keys are accepted, any other key is refused by name', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sherwood-cc-'));
  try {
    writeFileSync(join(dir, 'ok.properties'), '# admin client\nclient.id = my-admin\nrequest.timeout.ms=5000\n');
    writeFileSync(join(dir, 'bad.properties'), 'sasl.mechanism=PLAIN\n');
    writeFileSync(join(dir, 'unknown.properties'), 'frobnicate=1\n');
    let r = await topics('--list', '--command-config', join(dir, 'ok.properties'));
    assert.equal(r.code, 0, r.err.join('\n'));
    r = await topics('--list', '--command-config', join(dir, 'bad.properties'));
    assert.deepEqual([r.code, r.err], [1, [`sherwood topics: --command-config ${join(dir, 'bad.properties')}: sasl.mechanism is not supported: TLS and SASL are not implemented yet (see --help)`]]);
    r = await topics('--list', '--command-config', join(dir, 'unknown.properties'));
    assert.equal(r.code, 1);
    assert.match(r.err[0]!, /unknown or unsupported admin client property 'frobnicate'/);
    r = await topics('--list', '--command-config', join(dir, 'missing.properties'));
    assert.match(r.err[0]!, /--command-config .*missing.properties: cannot read it \(ENOENT\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sherwood topics as a real process', { timeout: 60_000 }, async () => {
  const cli = (...args: string[]) => run(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'topics', '--bootstrap-server', b.bootstrap, ...args], { timeoutMs: 30_000 });
  const created = await cli('--create', '--topic', 'cli-proc', '--partitions', '2');
  assert.equal(created.code, 0, created.stderr);
  assert.equal(created.stdout, 'Created topic cli-proc.\n');
  const described = await cli('--describe', '--topic', 'cli-proc');
  assert.equal(described.code, 0, described.stderr);
  assert.match(described.stdout, /^Topic: cli-proc\tTopicId: [A-Za-z0-9_-]{22}\tPartitionCount: 2\tReplicationFactor: 1\tConfigs: \n\tTopic: cli-proc\tPartition: 0\t/);
});

test('what sherwood topics creates and alters is what kcat and kafka-python see', { timeout: 60_000 }, async () => {
  let r = await topics('--create', '--topic', 'cli-seen', '--partitions', '2', '--config', 'retention.ms=70000', '--config', 'cleanup.policy=compact');
  assert.equal(r.code, 0, r.err.join('\n'));
  r = await topics('--alter', '--topic', 'cli-seen', '--partitions', '4');
  assert.equal(r.code, 0, r.err.join('\n'));
  assert.equal((await topics('--create', '--topic', 'cli-gone')).code, 0);
  r = await topics('--delete', '--topic', 'cli-gone');
  assert.equal(r.code, 0, r.err.join('\n'));

  const k = await kcat(['-b', b.bootstrap, '-L', '-J'], undefined, 30_000);
  assert.equal(k.code, 0, k.stderr);
  const md = JSON.parse(k.stdout) as { topics: { topic: string; partitions: { partition: number; leader: number }[] }[] };
  const seen = md.topics.find((t) => t.topic === 'cli-seen');
  assert.deepEqual(seen?.partitions.map((p) => [p.partition, p.leader]), [0, 1, 2, 3].map((p) => [p, b.broker.nodeId]), JSON.stringify(md.topics));
  assert.equal(md.topics.some((t) => t.topic === 'cli-gone'), false, 'kcat no longer lists the deleted topic');

  const py = lastJson(await runPython(`
import sys, json
from kafka.admin import KafkaAdminClient, ConfigResource, ConfigResourceType
admin = KafkaAdminClient(bootstrap_servers=[sys.argv[1]], request_timeout_ms=10000)
entries = {}
for resp in admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, 'cli-seen')]):
    for res in resp.resources:
        for e in res[4]:
            entries[e[0]] = e[1]
out = {'configs': {k: entries.get(k) for k in ['retention.ms', 'cleanup.policy']},
       'partitions': len(admin.describe_topics(['cli-seen'])[0]['partitions']), 'topics': sorted(admin.list_topics())}
admin.close()
print(json.dumps(out))
`, [b.bootstrap], 45_000));
  assert.deepEqual(py.configs, { 'retention.ms': '70000', 'cleanup.policy': 'compact' });
  assert.equal(py.partitions, 4);
  assert.equal(py.topics.includes('cli-seen'), true);
  assert.equal(py.topics.includes('cli-gone'), false);
});
