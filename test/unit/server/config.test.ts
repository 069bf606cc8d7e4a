import { test } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { BrokerConfig, BROKER_CONFIG_DEFS, LONG_MAX, parseServerProperties } from '../../../src/server/config.js';
import { ConfigError } from '../../../src/base/errors.js';
import { brokerProperties } from '../../../src/server/config.js';
import { loadServerProperties, parseServerArgs } from '../../../src/cli/server.js';
import { DEFAULT_LOG_CONFIG } from '../../../src/storage/log-config.js';

function configError(fn: () => unknown, key: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.equal(err.code, 'SHERWOOD_CONFIG');
    assert.ok(err.message.startsWith(`${key}:`), `message names the key: ${err.message}`);
    assert.ok(!err.message.includes('\n'), 'one line');
    return true;
  });
}

test('defaults follow Kafka, with the documented single-broker differences', () => {
  const c = BrokerConfig.defaults();
  assert.deepEqual(c.getList('listeners'), ['PLAINTEXT://127.0.0.1:9092']);
  assert.deepEqual(c.logDirs(), ['./data']);
  assert.equal(c.nodeId(), 1);
  assert.equal(c.getInt('num.partitions'), 1);
  assert.equal(c.getInt('message.max.bytes'), 1048588);
  assert.equal(c.getInt('socket.request.max.bytes'), 104857600);
  assert.equal(c.getBoolean('auto.create.topics.enable'), true);
  assert.equal(c.getInt('offsets.topic.num.partitions'), 50);
  assert.equal(c.getInt('group.initial.rebalance.delay.ms'), 3000);
  assert.equal(c.retentionMs(), 168 * 3_600_000);
  assert.equal(c.getLong('log.flush.interval.messages'), LONG_MAX);
  assert.equal(c.logLevel(), 'info');
  assert.equal(c.isDefault('num.partitions'), true);
  assert.equal(c.source('num.partitions'), 'DEFAULT_CONFIG');
  assert.deepEqual(c.defaultLogConfig(), DEFAULT_LOG_CONFIG, 'broker defaults map onto storage defaults');
});

test('every definition has a doc string and a default of its type', () => {
  const names = new Set<string>();
  for (const d of BROKER_CONFIG_DEFS) {
    assert.ok(!names.has(d.name), `${d.name} defined twice`);
    names.add(d.name);
    assert.ok(d.doc.length > 10, `${d.name} has a doc`);
    if (d.default === null) continue;
    const expected = { int: 'number', long: 'number', double: 'number', boolean: 'boolean', string: 'string', password: 'string', class: 'string', list: 'object' }[d.type];
    assert.equal(typeof d.default, expected, `${d.name} default type`);
  }
});

test('unknown keys and bad values throw a one-line ConfigError naming the key', () => {
  configError(() => BrokerConfig.fromProperties({ 'no.such.key': '1' }), 'no.such.key');
  configError(() => BrokerConfig.fromProperties({ 'num.partitions': 'three' }), 'num.partitions');
  configError(() => BrokerConfig.fromProperties({ 'num.partitions': '0' }), 'num.partitions');
  configError(() => BrokerConfig.fromProperties({ 'num.partitions': '3000000000' }), 'num.partitions');
  configError(() => BrokerConfig.fromProperties({ 'auto.create.topics.enable': 'yes' }), 'auto.create.topics.enable');
  configError(() => BrokerConfig.fromProperties({ 'log.cleanup.policy': 'delete,shred' }), 'log.cleanup.policy');
  configError(() => BrokerConfig.fromProperties({ 'log.message.timestamp.type': 'WallClock' }), 'log.message.timestamp.type');
  configError(() => BrokerConfig.fromProperties({ 'log.cleaner.min.cleanable.ratio': '1.5' }), 'log.cleaner.min.cleanable.ratio');
  configError(() => BrokerConfig.fromProperties({ listeners: 'localhost:9092' }), 'listeners');
  configError(() => BrokerConfig.fromProperties({ listeners: 'SSL://127.0.0.1:9093' }), 'listeners');
  configError(() => BrokerConfig.fromProperties({ listeners: 'PLAINTEXT://127.0.0.1:70000' }), 'listeners');
  configError(() => BrokerConfig.fromProperties({ 'node.id': '1', 'broker.id': '2' }), 'broker.id');
  configError(() => BrokerConfig.fromProperties({ 'log.level': 'chatty' }), 'log.level');
  configError(() => BrokerConfig.fromProperties({ 'etcd.connect': 'localhost' }), 'etcd.connect');
  configError(() => BrokerConfig.fromProperties({ 'etcd.session.timeout.ms': '500' }), 'etcd.session.timeout.ms');
});

test('etcd.connect: unset means standalone; a valid value is kept as written', () => {
  assert.equal(BrokerConfig.fromProperties({}).get('etcd.connect'), null);
  assert.equal(BrokerConfig.fromProperties({}).getInt('etcd.session.timeout.ms'), 18000);
  assert.equal(BrokerConfig.fromProperties({ 'etcd.connect': 'a:2379,b:2379/sherwood' }).get('etcd.connect'), 'a:2379,b:2379/sherwood');
});

test('typed values: trimming, case-insensitive booleans, Long.MAX_VALUE, lists', () => {
  const c = BrokerConfig.fromProperties({
    'num.partitions': ' 3 ',
    'delete.topic.enable': 'FALSE',
    'log.retention.bytes': '9223372036854775807',
    'log.cleanup.policy': 'compact, delete',
    'log.dirs': '/a,/b',
    'listeners': 'PLAINTEXT://:0,INTERNAL://127.0.0.1:0',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT',
  });
  assert.equal(c.getInt('num.partitions'), 3);
  assert.equal(c.getBoolean('delete.topic.enable'), false);
  assert.deepEqual(c.getList('log.cleanup.policy'), ['compact', 'delete']);
  assert.deepEqual(c.logDirs(), ['/a', '/b']);
  assert.equal(c.source('num.partitions'), 'STATIC_BROKER_CONFIG');
  assert.equal(c.entries().find((e) => e.name === 'log.retention.bytes')!.value, '9223372036854775807');
  assert.equal(c.defaultLogConfig().retentionBytes, Number.MAX_SAFE_INTEGER);
  assert.deepEqual(c.defaultLogConfig().cleanupPolicy, { delete: true, compact: true });
  const ls = c.listeners();
  assert.deepEqual(ls.map((l) => [l.name, l.securityProtocol, l.host, l.port]), [['PLAINTEXT', 'PLAINTEXT', '', 0], ['INTERNAL', 'PLAINTEXT', '127.0.0.1', 0]]);
  const adv = c.advertisedListeners(new Map([['PLAINTEXT', 4000], ['INTERNAL', 4001]]));
  assert.equal(adv[0]!.port, 4000);
  assert.notEqual(adv[0]!.host, '', 'an empty host advertises a hostname');
  assert.deepEqual([adv[1]!.host, adv[1]!.port], ['127.0.0.1', 4001]);
});

test('SASL and TLS listeners are refused until they are implemented (no silent unauthenticated listener)', () => {
  for (const listeners of ['SASL_PLAINTEXT://127.0.0.1:0', 'SSL://127.0.0.1:0', 'SASL_SSL://127.0.0.1:0']) {
    assert.throws(() => BrokerConfig.fromProperties({ listeners }), (err: Error) => err.name === 'ConfigError' && /not supported yet/.test(err.message), listeners);
  }
});

test('retention precedence: ms over minutes over hours; -1 is forever', () => {
  assert.equal(BrokerConfig.fromProperties({ 'log.retention.hours': '1' }).retentionMs(), 3_600_000);
  assert.equal(BrokerConfig.fromProperties({ 'log.retention.hours': '1', 'log.retention.minutes': '2' }).retentionMs(), 120_000);
  assert.equal(BrokerConfig.fromProperties({ 'log.retention.hours': '1', 'log.retention.minutes': '2', 'log.retention.ms': '5' }).retentionMs(), 5);
  assert.equal(BrokerConfig.fromProperties({ 'log.retention.ms': '-1' }).retentionMs(), -1);
  assert.equal(BrokerConfig.fromProperties({ 'log.roll.ms': '1000' }).rollMs(), 1000);
  assert.equal(BrokerConfig.fromProperties({ 'log.roll.hours': '2' }).rollMs(), 7_200_000);
});

test('broker.id is a synonym of node.id; log.dirs wins over log.dir', () => {
  assert.equal(BrokerConfig.fromProperties({ 'broker.id': '7' }).nodeId(), 7);
  assert.equal(BrokerConfig.fromProperties({ 'node.id': '3' }).nodeId(), 3);
  assert.deepEqual(BrokerConfig.fromProperties({ 'log.dir': '/x' }).logDirs(), ['/x']);
  assert.deepEqual(BrokerConfig.fromProperties({ 'log.dir': '/x', 'log.dirs': '/y' }).logDirs(), ['/y']);
});

test('dynamic updates: only dynamic keys, validated, and removable', () => {
  const c = BrokerConfig.fromProperties({ 'log.retention.ms': '1000' });
  c.set('log.retention.ms', '2000');
  assert.equal(c.getLong('log.retention.ms'), 2000);
  assert.equal(c.source('log.retention.ms'), 'DYNAMIC_BROKER_CONFIG');
  c.set('log.retention.ms', null);
  assert.equal(c.getLong('log.retention.ms'), 1000);
  assert.equal(c.source('log.retention.ms'), 'STATIC_BROKER_CONFIG');
  configError(() => c.set('listeners', 'PLAINTEXT://127.0.0.1:1'), 'listeners');
  configError(() => c.set('log.retention.ms', 'soon'), 'log.retention.ms');
  configError(() => c.set('nope', '1'), 'nope');
});

test('listener.name.* keys pass through unvalidated', () => {
  const c = BrokerConfig.fromProperties({ 'listener.name.sasl_plaintext.plain.sasl.jaas.config': 'x required;' });
  assert.equal(c.passThrough.get('listener.name.sasl_plaintext.plain.sasl.jaas.config'), 'x required;');
});

test('parseServerProperties: Java .properties syntax', () => {
  const text = [
    '# a comment',
    '! another comment',
    '   ',
    'node.id=1',
    'listeners = PLAINTEXT://127.0.0.1:9092',
    'log.dirs: /tmp/a',
    'num.partitions 4',
    'log.cleanup.policy=delete,\\',
    '    compact',
    'key\\=with\\:escapes=va\\tlue\\u0041',
    'empty.value=',
  ].join('\n');
  assert.deepEqual(parseServerProperties(text), {
    'node.id': '1',
    listeners: 'PLAINTEXT://127.0.0.1:9092',
    'log.dirs': '/tmp/a',
    'num.partitions': '4',
    'log.cleanup.policy': 'delete,compact',
    'key=with:escapes': 'va\tlueA',
    'empty.value': '',
  });
});

test('sherwood server arguments: --override wins over the properties file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sherwood-config-'));
  try {
    const file = join(dir, 'server.properties');
    writeFileSync(file, 'num.partitions=2\nlog.retention.hours=5\n');
    const args = parseServerArgs([file, '--override', 'num.partitions=6', '--override=log.level=warn']);
    assert.notEqual(args, 'help');
    if (args === 'help') return;
    assert.equal(args.propertiesFile, file);
    const props = await loadServerProperties(args);
    assert.deepEqual(props, { 'num.partitions': '6', 'log.retention.hours': '5', 'log.level': 'warn' });
    const c = BrokerConfig.fromProperties(props);
    assert.equal(c.getInt('num.partitions'), 6);
    assert.equal(c.retentionMs(), 5 * 3_600_000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(parseServerArgs(['--help']), 'help');
  assert.throws(() => parseServerArgs(['--override']), /key=value/);
  assert.throws(() => parseServerArgs(['--override', 'novalue']), /key=value/);
  assert.throws(() => parseServerArgs(['--bogus']), /unknown option/);
  await assert.rejects(loadServerProperties({ propertiesFile: '/nonexistent/server.properties', overrides: {} }), /cannot read/);
});

test('startBroker options: explicit options over overrides; host/port only when listeners not overridden', () => {
  assert.deepEqual(brokerProperties({ host: '127.0.0.1', port: 0, dataDir: '/d', nodeId: 4, logLevel: 'warn', overrides: { 'log.dirs': '/o', 'num.partitions': '3' } }), {
    'log.dirs': '/d', 'node.id': '4', 'log.level': 'warn', 'num.partitions': '3', listeners: 'PLAINTEXT://127.0.0.1:0',
  });
  assert.equal(brokerProperties({ host: '127.0.0.1', port: 0, overrides: { listeners: 'SASL_PLAINTEXT://127.0.0.1:0' } })['listeners'], 'SASL_PLAINTEXT://127.0.0.1:0');
  assert.equal(brokerProperties({})['listeners'], undefined);
});

test('startBroker\'s cluster section becomes etcd.connect, etcd.session.timeout.ms and broker.rack, over the overrides', () => {
  const props = brokerProperties({
    cluster: { etcd: ['10.0.0.1:2379', '10.0.0.2:2379'], prefix: 'prod', sessionTimeoutMs: 9000, rack: 'r1' },
    overrides: { 'etcd.connect': 'elsewhere:1/x', 'broker.rack': 'r9' },
  });
  assert.equal(props['etcd.connect'], '10.0.0.1:2379,10.0.0.2:2379/prod');
  assert.equal(props['etcd.session.timeout.ms'], '9000');
  assert.equal(props['broker.rack'], 'r1');
  assert.equal(brokerProperties({ cluster: { etcd: 'h:2379', prefix: '/a/b' } })['etcd.connect'], 'h:2379/a/b');
  assert.equal(brokerProperties({ cluster: { etcd: 'h:2379' } })['etcd.connect'], 'h:2379');
  // What it builds parses as etcd.connect does.
  assert.doesNotThrow(() => BrokerConfig.fromProperties(brokerProperties({ cluster: { etcd: 'h:2379', prefix: 'p' } })));
});

test('docs/configuration.md documents every key with its default', async () => {
  const { readFileSync } = await import('node:fs');
  const { fileURLToPath } = await import('node:url');
  const doc = readFileSync(fileURLToPath(new URL('../../../docs/configuration.md', import.meta.url)), 'utf8');
  const { formatConfigValue } = await import('../../../src/server/config.js');
  for (const d of BROKER_CONFIG_DEFS) {
    const row = doc.split('\n').filter((l) => l.startsWith(`| \`${d.name}\` |`)).pop();
    assert.ok(row !== undefined, `${d.name} has a row in docs/configuration.md`);
    const shown = d.default === null ? '(unset)' : formatConfigValue(d.default) === '' ? '""' : formatConfigValue(d.default);
    assert.ok(row.includes(`| \`${shown}\` |`), `${d.name} row shows default ${shown}`);
  }
});
