/**
 * Our console producer and consumer against an in-process broker: keys, headers, null
 * markers, Kafka's output format, every compression codec, --partition/--offset, --group
 * resume, --timeout-ms, option errors; and kcat-written batches (librdkafka's xerial snappy,
 * lz4 frames, zstd, gzip) read back by our consumer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { withBroker } from '../helpers/broker.js';
import { kcat, lastJson, runPython } from '../helpers/clients.js';
import { main as producerMain } from '../../src/cli/console-producer.js';
import { main as consumerMain } from '../../src/cli/console-consumer.js';
import { compressionOf, readBatchHeader } from '../../src/protocol/record-batch.js';
import { compressionFromName } from '../../src/protocol/compression.js';

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

async function runCli(fn: typeof producerMain, argv: string[], input = ''): Promise<Ran> {
  const stdin = new PassThrough();
  stdin.end(input);
  let stdout = '';
  let stderr = '';
  const code = await fn(argv, { stdin, stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
  return { code, stdout, stderr };
}

test('console producer -> console consumer round trip with keys, headers and print options', { timeout: 60_000 }, async () => {
  await withBroker(async (b) => {
    const created = await b.broker.topics.create({ name: 'cc-rt', numPartitions: 1, replicationFactor: 1, configs: {} });
    assert.equal(created.errorCode, 0);
    const input = ['h1:a,h2:b\tk1:v1', '\tk2:v2', 'h3:NULL\tNULL:v3', 'h4:x\tk4:NULL'].join('\n') + '\n';
    const p = await runCli(producerMain, ['--bootstrap-server', b.bootstrap, '--topic', 'cc-rt', '--property', 'parse.key=true', '--property', 'key.separator=:',
      '--property', 'parse.headers=true', '--property', 'null.marker=NULL'], input);
    assert.equal(p.code, 0, p.stderr);
    assert.equal(b.broker.partitionLog('cc-rt', 0)?.highWatermark, 4);

    const c = await runCli(consumerMain, ['--bootstrap-server', b.bootstrap, '--topic', 'cc-rt', '--from-beginning', '--max-messages', '4',
      '--property', 'print.key=true', '--property', 'print.headers=true', '--property', 'print.offset=true', '--property', 'print.partition=true',
      '--property', 'print.timestamp=true', '--property', 'key.separator=|']);
    assert.equal(c.code, 0, c.stderr);
    const lines = c.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 4);
    const cols = lines.map((l) => l.split('|'));
    for (const [i, row] of cols.entries()) {
      assert.match(row[0]!, /^CreateTime:\d{13}$/);
      assert.equal(row[1], 'Partition:0');
      assert.equal(row[2], `Offset:${i}`);
    }
    assert.deepEqual(cols.map((r) => r.slice(3)), [
      ['h1:a,h2:b', 'k1', 'v1'],
      ['NO_HEADERS', 'k2', 'v2'],
      ['h3:null', 'null', 'v3'],
      ['h4:x', 'k4', 'null'],
    ]);
    assert.match(c.stderr, /Processed a total of 4 messages/);
  });
});

test('every compression codec round-trips through the console tools', { timeout: 60_000 }, async () => {
  await withBroker(async (b) => {
    for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
      const topic = `cc-codec-${codec}`;
      await b.broker.topics.create({ name: topic, numPartitions: 1, replicationFactor: 1, configs: {} });
      const lines = Array.from({ length: 200 }, (_, i) => `${codec} line ${i} ${'z'.repeat(i % 40)}`);
      const p = await runCli(producerMain, ['--bootstrap-server', b.bootstrap, '--topic', topic, '--compression-codec', codec, '--request-required-acks', '1'], lines.join('\n') + '\n');
      assert.equal(p.code, 0, p.stderr);
      const c = await runCli(consumerMain, ['--bootstrap-server', b.bootstrap, '--topic', topic, '--from-beginning', '--max-messages', '200']);
      assert.equal(c.code, 0, c.stderr);
      assert.deepEqual(c.stdout.trimEnd().split('\n'), lines, codec);
    }
  });
});

test('--partition with --offset, keyed partitioning, and --timeout-ms', { timeout: 60_000 }, async () => {
  await withBroker(async (b) => {
    await b.broker.topics.create({ name: 'cc-parts', numPartitions: 3, replicationFactor: 1, configs: {} });
    const input = Array.from({ length: 30 }, (_, i) => `key${i % 5}\tvalue${i}`).join('\n') + '\n';
    const p = await runCli(producerMain, ['--bootstrap-server', b.bootstrap, '--topic', 'cc-parts', '--property', 'parse.key=true'], input);
    assert.equal(p.code, 0, p.stderr);
    const seen = new Map<string, Set<number>>();
    let total = 0;
    for (let part = 0; part < 3; part++) {
      const c = await runCli(consumerMain, ['--bootstrap-server', b.bootstrap, '--topic', 'cc-parts', '--partition', String(part), '--offset', 'earliest',
        '--timeout-ms', '700', '--property', 'print.key=true', '--property', 'print.partition=true']);
      assert.equal(c.code, 0, c.stderr);
      const rows = c.stdout.trimEnd().split('\n').filter((l) => l !== '');
      total += rows.length;
      for (const row of rows) {
        const [partCol, key] = row.split('\t');
        assert.equal(partCol, `Partition:${part}`);
        if (!seen.has(key!)) seen.set(key!, new Set());
        seen.get(key!)!.add(part);
      }
    }
    assert.equal(total, 30);
    // Same key, same partition.
    for (const [key, parts] of seen) assert.equal(parts.size, 1, key);

    // --offset N on a partition starts there.
    const hw = b.broker.partitionLog('cc-parts', 0)!.highWatermark;
    const c = await runCli(consumerMain, ['--bootstrap-server', b.bootstrap, '--topic', 'cc-parts', '--partition', '0', '--offset', String(hw - 1),
      '--timeout-ms', '500', '--property', 'print.offset=true']);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, new RegExp(`^Offset:${hw - 1}\\t`));
    assert.equal(c.stdout.trimEnd().split('\n').length, 1);

    // Nothing new after latest: exits after the timeout with 0 messages.
    const empty = await runCli(consumerMain, ['--bootstrap-server', b.bootstrap, '--topic', 'cc-parts', '--timeout-ms', '300']);
    assert.equal(empty.code, 0);
    assert.equal(empty.stdout, '');
    assert.match(empty.stderr, /Processed a total of 0 messages/);
  });
});

test('--group resumes from the committed offset', { timeout: 60_000 }, async () => {
  await withBroker(async (b) => {
    await b.broker.topics.create({ name: 'cc-group', numPartitions: 1, replicationFactor: 1, configs: {} });
    const p = await runCli(producerMain, ['--bootstrap-server', b.bootstrap, '--topic', 'cc-group'], 'a\nb\nc\nd\ne\n');
    assert.equal(p.code, 0, p.stderr);
    const first = await runCli(consumerMain, ['--bootstrap-server', b.bootstrap, '--topic', 'cc-group', '--group', 'g1', '--from-beginning', '--max-messages', '2']);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, 'a\nb\n');
    const second = await runCli(consumerMain, ['--bootstrap-server', b.bootstrap, '--topic', 'cc-group', '--group', 'g1', '--from-beginning', '--timeout-ms', '700']);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout, 'c\nd\ne\n');
  });
});

test('option errors exit 1 with one Kafka-like line on stderr', { timeout: 30_000 }, async () => {
  const cases: [typeof producerMain, string[], RegExp][] = [
    [consumerMain, ['--topic', 't'], /Missing required argument "\[bootstrap-server\]"/],
    [consumerMain, ['--bootstrap-server', 'x:1', '--topic', 't', '--offset', '3'], /partition is required when offset is specified/],
    [consumerMain, ['--bootstrap-server', 'x:1', '--topic', 't', '--partition', '0', '--offset', '3', '--from-beginning'], /cannot be specified together/],
    [consumerMain, ['--bootstrap-server', 'x:1', '--topic', 't', '--group', 'g', '--partition', '0'], /group and partition/],
    [consumerMain, ['--bootstrap-server', 'x:1', '--topic', 't', '--partition', '0', '--offset', 'soon'], /offset value 'soon' is incorrect/],
    [consumerMain, ['--bogus'], /bogus is not a recognized option/],
    [consumerMain, ['--bootstrap-server', 'x:1', '--include', 't.*'], /--include is not supported: regex subscriptions/],
    [consumerMain, ['--bootstrap-server', 'x:1', '--topic', 't', '--isolation-level', 'committed'], /--isolation-level committed: must be one of read_uncommitted, read_committed/],
    [consumerMain, ['--bootstrap-server', 'x:1', '--topic', 't', '--consumer-property', 'isolation.level=serializable'], /isolation.level=serializable: must be one of read_uncommitted, read_committed/],
    [consumerMain, ['--bootstrap-server', 'x:1', '--topic', 't', '--group', 'a', '--consumer-property', 'group.id=b'], /group ids provided in different places .* do not match. Detected group ids: 'a', 'b'/],
    [consumerMain, ['--bootstrap-server', 'x:1', '--topic', 't', '--from-beginning', '--consumer-property', 'auto.offset.reset=latest'], /Can't simultaneously specify --from-beginning and 'auto.offset.reset=latest'/],
    [consumerMain, ['--bootstrap-server', 'x:1', '--topic', 't', '--consumer-property', 'partition.assignment.strategy=org.apache.kafka.clients.consumer.CooperativeStickyAssignor'], /CooperativeStickyAssignor is not supported/],
    [consumerMain, ['--bootstrap-server', 'x:1', '--topic', 't', '--consumer-property', 'group.protocol=consumer'], /KIP-848/],
    [consumerMain, ['--bootstrap-server', 'x:1', '--topic', 't', '--property', 'print.epoch=true'], /--property: unknown or unsupported formatter property 'print.epoch'/],
    [consumerMain, ['--bootstrap-server', 'x:1', '--topic', 't', '--formatter', 'kafka.tools.LoggingMessageFormatter'], /--formatter kafka.tools.LoggingMessageFormatter is not supported/],
    [producerMain, ['--bootstrap-server', 'x:1'], /Missing required argument "\[topic\]"/],
    [producerMain, ['--bootstrap-server', 'x:1', '--topic', 't', '--compression-codec', 'brotli'], /Unknown compression codec/],
    [producerMain, ['--bootstrap-server', 'x:1', '--topic', 't', '--request-required-acks', '2'], /request-required-acks/],
    [producerMain, ['--bootstrap-server', 'x:1', '--topic', 't', '--producer-property', 'transactional.id=x'], /--producer-property: transactional.id is not supported: this tool does not run transactions \(kafka-console-producer.sh cannot either: it never calls initTransactions\(\)/],
    [producerMain, ['--bootstrap-server', 'x:1', '--topic', 't', '--request-required-acks', '1', '--producer-property', 'enable.idempotence=true'], /enable.idempotence=true: Must set acks to all in order to use the idempotent producer/],
    [producerMain, ['--bootstrap-server', 'x:1', '--topic', 't', '--message-send-max-retries', '0', '--producer-property', 'enable.idempotence=true'], /Must set retries to non-zero when using the idempotent producer/],
    [producerMain, ['--bootstrap-server', 'x:1', '--topic', 't', '--producer-property', 'enable.idempotence=yes'], /enable.idempotence=yes: must be one of true, false/],
    [producerMain, ['--bootstrap-server', 'x:1', '--topic', 't', '--producer-property', 'max.block.ms=5'], /unknown or unsupported producer property 'max.block.ms'/],
    [producerMain, ['--bootstrap-server', 'x:1', '--topic', 't', '--property', 'parse.keys=true'], /unknown or unsupported line reader property 'parse.keys'/],
  ];
  for (const [fn, argv, re] of cases) {
    const r = await runCli(fn, argv);
    assert.equal(r.code, 1, argv.join(' '));
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `one line for ${argv.join(' ')}:\n${r.stderr}`);
    assert.match(lines[0]!, re, argv.join(' '));
    assert.match(lines[0]!, /^sherwood console-(consumer|producer): /);
    assert.equal(r.stdout, '');
  }
  for (const fn of [consumerMain, producerMain]) {
    const help = await runCli(fn, ['--help']);
    assert.deepEqual([help.code, help.stderr], [0, '']);
    assert.match(help.stdout, /^Usage: sherwood console-/);
  }
});

test('an unknown topic (auto-creation off) or an unreachable broker exits 1 with one line', { timeout: 30_000 }, async () => {
  await withBroker(async (b) => {
    const r = await runCli(consumerMain, ['--bootstrap-server', b.bootstrap, '--topic', 'cc-does-not-exist', '--timeout-ms', '300',
      '--consumer-property', 'allow.auto.create.topics=false']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^sherwood console-consumer: metadata for topic cc-does-not-exist: UNKNOWN_TOPIC_OR_PARTITION/);
    // As Kafka's consumer (allow.auto.create.topics=true), the topic is created when the broker allows it.
    const created = await runCli(consumerMain, ['--bootstrap-server', b.bootstrap, '--topic', 'cc-auto-created', '--timeout-ms', '300']);
    assert.equal(created.code, 0, created.stderr);
    assert.ok(b.broker.topics.get('cc-auto-created') !== undefined);
  });
  const dead = await runCli(consumerMain, ['--bootstrap-server', '127.0.0.1:1', '--topic', 't']);
  assert.equal(dead.code, 1);
  assert.match(dead.stderr, /^sherwood console-consumer: cannot connect to 127.0.0.1:1/);
  const deadP = await runCli(producerMain, ['--bootstrap-server', '127.0.0.1:1', '--topic', 't'], 'x\n');
  assert.equal(deadP.code, 1);
  assert.equal(deadP.stderr, 'sherwood console-producer: cannot connect to 127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1\n');
});

test('a missing key separator stops the producer with exit 1', { timeout: 30_000 }, async () => {
  await withBroker(async (b) => {
    await b.broker.topics.create({ name: 'cc-sep', numPartitions: 1, replicationFactor: 1, configs: {} });
    const r = await runCli(producerMain, ['--bootstrap-server', b.bootstrap, '--topic', 'cc-sep', '--property', 'parse.key=true'], 'k\tv\nnoseparator\n');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^sherwood console-producer: No key separator found on line number 2/);
  });
});

test('batches compressed by librdkafka (kcat -z) decode in our consumer', { timeout: 90_000 }, async () => {
  await withBroker(async (b) => {
    for (const codec of ['gzip', 'snappy', 'lz4', 'zstd']) {
      const topic = `cc-kcat-${codec}`;
      await b.broker.topics.create({ name: topic, numPartitions: 1, replicationFactor: 1, configs: {} });
      const lines = Array.from({ length: 300 }, (_, i) => `k${i}:${codec} value ${i} ${'abc'.repeat(i % 30)}`);
      const k = await kcat(['-b', b.bootstrap, '-P', '-t', topic, '-p', '0', '-K:', '-z', codec, '-X', 'linger.ms=50'], lines.join('\n') + '\n', 60_000);
      assert.equal(k.code, 0, k.stderr);
      // The stored batch really is compressed with that codec.
      const log = b.broker.partitionLog(topic, 0)!;
      const { records } = await log.read(0, 1 << 20, log.highWatermark);
      assert.equal(compressionOf(readBatchHeader(records, 0).attributes), compressionFromName(codec), codec);
      const c = await runCli(consumerMain, ['--bootstrap-server', b.bootstrap, '--topic', topic, '--from-beginning', '--max-messages', '300',
        '--property', 'print.key=true', '--property', 'key.separator=:']);
      assert.equal(c.code, 0, c.stderr);
      assert.deepEqual(c.stdout.trimEnd().split('\n'), lines, codec);
    }
  });
});

test('what the console producer writes (every codec, keys, headers) is read back by kcat and kafka-python', { timeout: 90_000 }, async () => {
  await withBroker(async (b) => {
    const codecs = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
    const expected = new Map<string, string[]>();
    for (const codec of codecs) {
      const topic = `cc-out-${codec}`;
      await b.broker.topics.create({ name: topic, numPartitions: 1, replicationFactor: 1, configs: {} });
      const lines = Array.from({ length: 50 }, (_, i) => `h:${codec}${i}\tk${i}:${codec} value ${i} ${'w'.repeat(i)}`);
      expected.set(codec, lines);
      const p = await runCli(producerMain, ['--bootstrap-server', b.bootstrap, '--topic', topic, '--compression-codec', codec,
        '--property', 'parse.key=true', '--property', 'key.separator=:', '--property', 'parse.headers=true'], lines.join('\n') + '\n');
      assert.equal(p.code, 0, p.stderr);
      const log = b.broker.partitionLog(topic, 0)!;
      assert.equal(log.highWatermark, 50, codec);
      const { records } = await log.read(0, 1 << 20, log.highWatermark);
      assert.equal(compressionOf(readBatchHeader(records, 0).attributes), compressionFromName(codec), `${codec}: stored with the producer's codec`);

      // librdkafka decodes our batches.
      const k = await kcat(['-b', b.bootstrap, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%h\\t%k:%s\\n'], undefined, 30_000);
      assert.equal(k.code, 0, k.stderr);
      assert.deepEqual(k.stdout.trimEnd().split('\n'), lines.map((l) => l.replace(/^h:/, 'h=')), `kcat reads ${codec}`);
    }
    // kafka-python 2.0.2 here lacks the snappy, lz4 and zstd modules: it reads the none and gzip topics.
    const script = `
import sys, json
from kafka import KafkaConsumer, TopicPartition
out = {}
for codec in sys.argv[2:]:
    c = KafkaConsumer(bootstrap_servers=[sys.argv[1]], consumer_timeout_ms=5000, enable_auto_commit=False)
    tp = TopicPartition('cc-out-' + codec, 0)
    c.assign([tp])
    c.seek_to_beginning(tp)
    rows = []
    for m in c:
        rows.append('%s\\t%s:%s' % (','.join('%s:%s' % (k, v.decode()) for k, v in m.headers), m.key.decode(), m.value.decode()))
        if len(rows) >= 50:
            break
    c.close()
    out[codec] = rows
print(json.dumps(out))
`;
    const py = lastJson(await runPython(script, [b.bootstrap, 'none', 'gzip'], 60_000));
    for (const codec of ['none', 'gzip']) assert.deepEqual(py[codec], expected.get(codec), `kafka-python reads ${codec}`);
  });
});
