/**
 * `sherwood configs` (kafka-configs.sh's flags and output) against a real broker: a topic
 * config set with --alter is what --describe, kafka-python's describe_configs and the broker
 * see; broker and cluster-default configs are what confluent-kafka's AdminClient sees; deletes,
 * bracketed list values, --all, and the refusals (users/clients, bad combinations) are one line.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startTestBroker, ROOT } from '../helpers/broker.js';
import { lastJson, run, runPython } from '../helpers/clients.js';
import { main, parseAddConfig } from '../../src/cli/configs.js';
import type { RunningBroker } from '../../src/index.js';

let b: RunningBroker;
before(async () => { b = await startTestBroker(); });
after(async () => { await b?.close(); });

async function configs(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['--bootstrap-server', b.bootstrap, ...args], (l) => out.push(l), (l) => err.push(l));
  return { code, out, err };
}

test('a topic config altered with --add-config is what --describe and kafka-python see', { timeout: 60_000 }, async () => {
  await b.broker.topics.create({ name: 't', numPartitions: 1, replicationFactor: 1, configs: {} });
  let r = await configs('--alter', '--add-config', 'retention.ms=1000', '--entity-type', 'topics', '--entity-name', 't');
  assert.deepEqual(r, { code: 0, out: ['Completed updating config for topic t.'], err: [] });
  assert.equal(b.broker.topics.get('t')!.configs['retention.ms'], '1000');

  r = await configs('--describe', '--entity-type', 'topics', '--entity-name', 't');
  assert.deepEqual(r, { code: 0, err: [], out: [
    'Dynamic configs for topic t are:',
    '  retention.ms=1000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=1000, DEFAULT_CONFIG:log.retention.hours=168}',
  ] });

  const py = lastJson(await runPython(`
import sys, json
from kafka.admin import KafkaAdminClient, ConfigResource, ConfigResourceType
admin = KafkaAdminClient(bootstrap_servers=[sys.argv[1]], request_timeout_ms=10000)
entries = {}
for resp in admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, 't')]):
    for res in resp.resources:
        for e in res[4]:
            entries[e[0]] = e[1]
admin.close()
print(json.dumps({'retention.ms': entries.get('retention.ms')}))
`, [b.bootstrap]));
  assert.deepEqual(py, { 'retention.ms': '1000' });

  // --topic is the shortcut; a list value in brackets keeps its commas; --delete-config goes back to the default.
  r = await configs('--alter', '--topic', 't', '--add-config', 'cleanup.policy=[compact,delete],segment.ms=60000', '--delete-config', 'retention.ms');
  assert.equal(r.code, 0, r.err.join('\n'));
  assert.deepEqual(b.broker.topics.get('t')!.configs, { 'cleanup.policy': 'compact,delete', 'segment.ms': '60000' });
  r = await configs('--describe', '--topic', 't');
  assert.deepEqual(r.out.slice(0, 2), [
    'Dynamic configs for topic t are:',
    '  cleanup.policy=compact,delete sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:cleanup.policy=compact,delete, DEFAULT_CONFIG:log.cleanup.policy=delete}',
  ]);
  assert.match(r.out[2]!, /^ {2}segment\.ms=60000 sensitive=false synonyms=\{DYNAMIC_TOPIC_CONFIG:segment\.ms=60000, /);
  assert.equal(r.out.length, 3);
  r = await configs('--describe', '--all', '--topic', 't');
  assert.equal(r.out[0], 'All configs for topic t are:');
  assert.ok(r.out.includes('  retention.ms=604800000 sensitive=false synonyms={DEFAULT_CONFIG:log.retention.hours=168}'), r.out.join('\n'));
  // Sorted by name, as kafka-configs.sh prints them.
  const names = r.out.slice(1).map((l) => l.trim().split('=')[0]!);
  assert.deepEqual(names, [...names].sort());
});

test('broker and cluster-default configs altered with sherwood configs are what confluent-kafka sees', { timeout: 60_000 }, async () => {
  const id = String(b.broker.nodeId);
  let r = await configs('--alter', '--entity-type', 'brokers', '--entity-name', id, '--add-config', 'log.cleaner.threads=2');
  assert.deepEqual(r, { code: 0, out: [`Completed updating config for broker ${id}.`], err: [] });
  r = await configs('--alter', '--entity-type', 'brokers', '--entity-default', '--add-config', 'log.retention.ms=7200000');
  assert.deepEqual(r, { code: 0, out: ['Completed updating default config for brokers in the cluster.'], err: [] });
  r = await configs('--describe', '--entity-type', 'brokers');
  assert.deepEqual(r.out, [
    `Dynamic configs for broker ${id} are:`,
    '  log.cleaner.threads=2 sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:log.cleaner.threads=2, DEFAULT_CONFIG:log.cleaner.threads=1}',
    'Default configs for brokers in the cluster are:',
    '  log.retention.ms=7200000 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=7200000}',
  ]);

  const ck = lastJson(await runPython(`
import sys, json
from confluent_kafka.admin import AdminClient, ConfigResource
admin = AdminClient({'bootstrap.servers': sys.argv[1]})
res = ConfigResource('broker', sys.argv[2])
cfg = admin.describe_configs([res])[res].result(timeout=10)
print(json.dumps({k: [cfg[k].value, int(cfg[k].source)] for k in ('log.cleaner.threads', 'log.retention.ms')}))
`, [b.bootstrap, id]));
  assert.deepEqual(ck, {
    'log.cleaner.threads': ['2', 2], // ConfigSource.DYNAMIC_BROKER_CONFIG
    'log.retention.ms': ['7200000', 3], // ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG
  });

  r = await configs('--alter', '--broker-defaults', '--delete-config', 'log.retention.ms');
  assert.equal(r.code, 0, r.err.join('\n'));
  r = await configs('--alter', '--broker', id, '--delete-config', 'log.cleaner.threads');
  assert.equal(r.code, 0, r.err.join('\n'));
  r = await configs('--describe', '--broker', id);
  assert.deepEqual(r.out, [`Dynamic configs for broker ${id} are:`]);
});

test('failures and refusals are one line on stderr with exit 1', { timeout: 30_000 }, async () => {
  await b.broker.topics.create({ name: 'u', numPartitions: 1, replicationFactor: 1, configs: {} });
  const one = async (args: string[], message: string) => {
    const r = await configs(...args);
    assert.deepEqual(r, { code: 1, out: [], err: [`sherwood configs: ${message}`] }, args.join(' '));
  };
  await one(['--alter', '--topic', 'u', '--delete-config', 'retention.ms,segment.ms'], 'Invalid config(s): retention.ms,segment.ms');
  await one(['--alter', '--topic', 'u', '--add-config', 'nope=1'], 'Unknown topic config name: nope');
  await one(['--alter', '--topic', 'u', '--add-config', 'retention.ms=soon'], 'Invalid value soon for configuration retention.ms: Not a number of type LONG');
  await one(['--alter', '--topic', 'missing', '--add-config', 'retention.ms=1'], "The topic 'missing' does not exist.");
  await one(['--describe', '--entity-type', 'users'], 'entity type users is not supported: SCRAM credentials and user quotas are not implemented yet');
  await one(['--alter', '--entity-type', 'clients', '--entity-default', '--add-config', 'producer_byte_rate=1024'],
    'entity type clients is not supported: client quotas are not implemented yet');
  await one(['--describe', '--user', 'alice'], 'entity type users is not supported: SCRAM credentials and user quotas are not implemented yet');
  await one(['--describe', '--topic', 'u', '--add-config', 'a=1'], 'Option "[describe]" can\'t be used with option "[add-config]" (see --help)');
  await one(['--alter', '--topic', 'u'], 'At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter (see --help)');
  await one(['--alter', '--entity-type', 'topics', '--add-config', 'a=1'], 'An entity name must be specified with --alter of topics (see --help)');
  await one(['--describe', '--entity-type', 'brokers', '--entity-name', 'one'], 'The entity name for brokers must be a valid integer broker id, but it is: one (see --help)');
  await one(['--describe', '--entity-type', 'tables'], 'Invalid entity type tables, the entity type must be one of broker-loggers, topics, clients, users, brokers, ips, client-metrics, groups with a --bootstrap-server argument (see --help)');
  await one(['--describe', '--alter', '--topic', 'u'], 'Command must include exactly one action: --describe, --alter (see --help)');
  await one(['--alter', '--topic', 'u', '--add-config', 'a=b=c'], 'Invalid entity config: all configs to be added must be in the format "key=val" or "key=[val1,val2]" to group values which contain commas. (see --help)');
  // Describing a topic that does not exist is not an error for kafka-configs.sh.
  const missing = await configs('--describe', '--topic', 'missing');
  assert.deepEqual(missing, { code: 0, out: ["The topic 'missing' doesn't exist and doesn't have dynamic config."], err: [] });
  const help = await main(['--help'], () => undefined, () => assert.fail('help goes to stdout'));
  assert.equal(help, 0);
});

test('--add-config splits like kafka-configs.sh', () => {
  assert.deepEqual(parseAddConfig('a=1,b=[x,y],c = 3,d='), [['a', '1'], ['b', 'x,y'], ['c', '3'], ['d', '']]);
  assert.throws(() => parseAddConfig('novalue'), /must be in the format "key=val"/);
  assert.throws(() => parseAddConfig('bad key=1'), /Invalid character found for config key: bad key/);
});

test('topics --alter --config points to sherwood configs, which works as a real process', { timeout: 60_000 }, async () => {
  await b.broker.topics.create({ name: 'v', numPartitions: 1, replicationFactor: 1, configs: {} });
  const cli = (...args: string[]) => run(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args], { timeoutMs: 30_000 });
  const hint = await cli('topics', '--bootstrap-server', b.bootstrap, '--alter', '--topic', 'v', '--config', 'retention.ms=5000');
  assert.equal(hint.code, 1);
  const suggested = /`(sherwood configs [^`]+)`/.exec(hint.stderr)![1]!.split(' ').slice(1)
    .map((a) => (a === 'NAME' ? 'v' : a === 'k=v' ? 'retention.ms=5000' : a));
  const done = await cli(...suggested, '--bootstrap-server', b.bootstrap);
  assert.deepEqual([done.code, done.stdout, done.stderr], [0, 'Completed updating config for topic v.\n', '']);
  assert.equal(b.broker.topics.get('v')!.configs['retention.ms'], '5000');
});
