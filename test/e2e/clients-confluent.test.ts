/**
 * confluent-kafka-python (librdkafka 2.0.2) against the broker:
 * - gzip, snappy, lz4 and zstd each round-trip, and the batches the broker stored carry that
 *   codec (read back from the partition log: stored as the producer sent them);
 * - 3 × 900 KiB records byte-exact (topic max.message.bytes raised);
 * - 50,000 small records, in order;
 * - null vs empty key, null vs empty value (tombstone), null vs empty header values.
 * Consumers use assign() without committing (no consumer group needed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { withBroker } from '../helpers/broker.js';
import { runPython, lastJson } from '../helpers/clients.js';
import { BATCH_LOG_OVERHEAD, compressionOf, readBatchHeader } from '../../src/protocol/record-batch.js';
import { decodeBatches } from '../../src/protocol/records.js';
import { recordApiVersions, formatVersions } from './clients-versions.js';
import type { RunningBroker } from '../../src/index.js';

const COMMON = `
import sys, json, hashlib, time
from confluent_kafka import Producer, Consumer, TopicPartition
bootstrap = sys.argv[1]
def consume(topic, count, partition=0, timeout=30.0, extra=None):
    conf = {'bootstrap.servers': bootstrap, 'group.id': 'unused-' + topic, 'enable.auto.commit': False,
            'auto.offset.reset': 'earliest', 'log_level': 0}
    conf.update(extra or {})
    c = Consumer(conf)
    c.assign([TopicPartition(topic, partition, 0)])
    out = []
    deadline = time.time() + timeout
    while len(out) < count and time.time() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            raise Exception(str(m.error()))
        out.append(m)
    c.close()
    return out
def produce(topic, records, extra=None):
    conf = {'bootstrap.servers': bootstrap, 'linger.ms': 20, 'log_level': 0}
    conf.update(extra or {})
    p = Producer(conf)
    errors = []
    def cb(err, msg):
        if err is not None:
            errors.append(str(err))
    for r in records:
        p.produce(topic, partition=0, on_delivery=cb, **r)
        p.poll(0)
    left = p.flush(30)
    if left or errors:
        raise Exception('produce failed: %r left=%d' % (errors[:3], left))
`;

async function createTopic(b: RunningBroker, name: string, configs: Record<string, string> = {}): Promise<void> {
  const r = await b.broker.topics.create({ name, numPartitions: 1, replicationFactor: 1, configs });
  assert.equal(r.errorCode, 0, r.errorMessage ?? undefined);
}

/** The compression codec of every batch stored in partition 0 of `topic`. */
async function storedCodecs(b: RunningBroker, topic: string): Promise<number[]> {
  const log = b.broker.partitionLog(topic, 0)!;
  const { records } = await log.read(0, 1 << 30, log.highWatermark);
  const codecs: number[] = [];
  for (let pos = 0; pos + BATCH_LOG_OVERHEAD <= records.length;) {
    const h = readBatchHeader(records, pos);
    codecs.push(compressionOf(h.attributes));
    pos += h.batchLength + BATCH_LOG_OVERHEAD;
  }
  return codecs;
}

test('confluent-kafka: every compression codec round-trips and is stored compressed', { timeout: 120_000 }, async (t) => {
  await withBroker(async (b) => {
    const seen = recordApiVersions(b);
    const codecs = { gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
    for (const name of Object.keys(codecs)) await createTopic(b, `codec-${name}`);
    const script = COMMON + `
result = {}
for codec in ['gzip', 'snappy', 'lz4', 'zstd']:
    topic = 'codec-' + codec
    recs = [{'key': ('k%d' % i).encode(), 'value': (('value %d ' % i) * 20).encode()} for i in range(300)]
    produce(topic, recs, {'compression.type': codec, 'linger.ms': 50})
    got = consume(topic, 300)
    ok = [m.key() for m in got] == [r['key'] for r in recs] and [m.value() for m in got] == [r['value'] for r in recs]
    result[codec] = {'count': len(got), 'ok': ok, 'offsets': [m.offset() for m in got] == list(range(300))}
print(json.dumps(result))
`;
    const result = lastJson(await runPython(script, [b.bootstrap], 100_000));
    for (const [name, id] of Object.entries(codecs)) {
      assert.deepEqual(result[name], { count: 300, ok: true, offsets: true }, name);
      const stored = await storedCodecs(b, `codec-${name}`);
      assert.ok(stored.length > 0);
      assert.ok(stored.every((c) => c === id), `${name}: stored codecs ${stored.join(',')}`);
    }
    t.diagnostic(`confluent-kafka (librdkafka 2.0.2) used: ${formatVersions(seen)}`);
  });
});

test('confluent-kafka: three 900 KiB records byte-exact', { timeout: 120_000 }, async () => {
  await withBroker(async (b) => {
    await createTopic(b, 'big-records', { 'max.message.bytes': '3000000' });
    const script = COMMON + `
import os
values = [os.urandom(900 * 1024) for _ in range(3)]
produce('big-records', [{'key': b'big%d' % i, 'value': v} for i, v in enumerate(values)], {'message.max.bytes': 3000000, 'linger.ms': 0})
got = consume('big-records', 3, extra={'fetch.max.bytes': 3000000, 'max.partition.fetch.bytes': 1048576})
print(json.dumps({'sent': [hashlib.sha256(v).hexdigest() for v in values],
                  'got': [hashlib.sha256(m.value()).hexdigest() for m in got],
                  'sizes': [len(m.value()) for m in got]}))
`;
    const r = lastJson(await runPython(script, [b.bootstrap], 100_000));
    assert.equal(r.got.length, 3);
    assert.deepEqual(r.got, r.sent);
    assert.deepEqual(r.sizes, [921600, 921600, 921600]);
    // And the broker holds the same bytes.
    const log = b.broker.partitionLog('big-records', 0)!;
    assert.equal(log.highWatermark, 3);
    const { records } = await log.read(0, 1 << 30, log.highWatermark);
    const stored = decodeBatches(records).flatMap((batch) => batch.records).map((rec) => createHash('sha256').update(rec.value!).digest('hex'));
    assert.deepEqual(stored, r.sent);
  });
});

test('confluent-kafka: 50,000 small records in order', { timeout: 120_000 }, async () => {
  await withBroker(async (b) => {
    await createTopic(b, 'many-small');
    const script = COMMON + `
N = 50000
produce('many-small', [{'value': b'%d' % i} for i in range(N)], {'linger.ms': 10, 'batch.num.messages': 10000})
got = consume('many-small', N, timeout=60.0)
print(json.dumps({'count': len(got), 'inorder': all(int(m.value()) == i and m.offset() == i for i, m in enumerate(got))}))
`;
    const r = lastJson(await runPython(script, [b.bootstrap], 110_000));
    assert.deepEqual(r, { count: 50000, inorder: true });
    assert.equal(b.broker.partitionLog('many-small', 0)!.highWatermark, 50000);
  });
});

test('confluent-kafka: null and empty keys, values and header values stay distinct', { timeout: 60_000 }, async () => {
  await withBroker(async (b) => {
    await createTopic(b, 'nulls');
    const script = COMMON + `
recs = [
  {'key': None, 'value': b'v1'},
  {'key': b'', 'value': b'v2'},
  {'key': b'k3', 'value': None},
  {'key': b'k4', 'value': b''},
  {'key': b'k5', 'value': b'v5', 'headers': [('empty', b''), ('null', None), ('full', b'x')]},
]
produce('nulls', recs)
got = consume('nulls', len(recs))
def enc(v):
    return None if v is None else v.decode()
print(json.dumps([{'key': enc(m.key()), 'value': enc(m.value()),
                   'headers': [[k, enc(v)] for k, v in (m.headers() or [])]} for m in got]))
`;
    const r = lastJson(await runPython(script, [b.bootstrap], 50_000));
    assert.deepEqual(r, [
      { key: null, value: 'v1', headers: [] },
      { key: '', value: 'v2', headers: [] },
      { key: 'k3', value: null, headers: [] },
      { key: 'k4', value: '', headers: [] },
      { key: 'k5', value: 'v5', headers: [['empty', ''], ['null', null], ['full', 'x']] },
    ]);
  });
});
