/**
 * Topic compression.type with real clients: a topic with compression.type=zstd stores zstd
 * batches whatever codec the producer used (here gzip from confluent-kafka and kcat), the
 * records (keys, values, headers) round-trip byte-exact to both clients.
 * compression.type=producer keeps gzip. (Keeping producer id/epoch/sequence and flags through
 * re-encoding is covered by test/unit/cluster/log-validator-compressed.test.ts: librdkafka's
 * idempotent producer needs InitProducerId, which the broker does not serve yet.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { runPython, lastJson, kcat } from '../helpers/clients.js';
import { BATCH_LOG_OVERHEAD, Compression, compressionOf, readBatchHeader, type BatchHeader } from '../../src/protocol/record-batch.js';
import { decodeBatches } from '../../src/protocol/records.js';
import type { RunningBroker } from '../../src/index.js';

async function storedHeaders(b: RunningBroker, topic: string): Promise<BatchHeader[]> {
  const log = b.broker.partitionLog(topic, 0)!;
  const { records } = await log.read(0, 1 << 30, log.highWatermark);
  const headers: BatchHeader[] = [];
  for (let pos = 0; pos + BATCH_LOG_OVERHEAD <= records.length;) {
    const h = readBatchHeader(records, pos);
    headers.push(h);
    pos += h.batchLength + BATCH_LOG_OVERHEAD;
  }
  return headers;
}

const SCRIPT = `
import sys, json, time
from confluent_kafka import Producer, Consumer, TopicPartition
bootstrap, topic, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
p = Producer({'bootstrap.servers': bootstrap, 'compression.type': 'gzip', 'linger.ms': 50, 'log_level': 0})
errors = []
def cb(err, msg):
    if err is not None:
        errors.append(str(err))
recs = [(('k%d' % i).encode(), (('value %d ' % i) * 30).encode(), [('h', ('hv%d' % i).encode()), ('e', b'')]) for i in range(n)]
for k, v, h in recs:
    p.produce(topic, key=k, value=v, headers=h, partition=0, on_delivery=cb)
    p.poll(0)
left = p.flush(30)
if left or errors:
    raise Exception('produce failed: %r left=%d' % (errors[:3], left))
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'unused-' + topic, 'enable.auto.commit': False, 'log_level': 0})
c.assign([TopicPartition(topic, 0, 0)])
got = []
deadline = time.time() + 30
while len(got) < n and time.time() < deadline:
    m = c.poll(0.5)
    if m is None:
        continue
    if m.error():
        raise Exception(str(m.error()))
    got.append(m)
c.close()
ok = [(m.key(), m.value(), m.headers()) for m in got] == [(k, v, h) for k, v, h in recs]
print(json.dumps({'count': len(got), 'ok': ok, 'offsets': [m.offset() for m in got] == list(range(n))}))
`;

test('compression.type=zstd: gzip from confluent-kafka and kcat is stored as zstd and round-trips', { timeout: 120_000 }, async () => {
  await withBroker(async (b) => {
    for (const [name, type] of [['to-zstd', 'zstd'], ['as-sent', 'producer']]) {
      const r = await b.broker.topics.create({ name, numPartitions: 1, replicationFactor: 1, configs: { 'compression.type': type! } });
      assert.equal(r.errorCode, 0, r.errorMessage ?? undefined);
    }
    for (const topic of ['to-zstd', 'as-sent']) {
      assert.deepEqual(lastJson(await runPython(SCRIPT, [b.bootstrap, topic, '200'], 90_000)), { count: 200, ok: true, offsets: true }, topic);
    }
    const zstd = await storedHeaders(b, 'to-zstd');
    assert.ok(zstd.length > 0);
    assert.deepEqual([...new Set(zstd.map((h) => compressionOf(h.attributes)))], [Compression.Zstd], 'every stored batch is zstd');
    // No idempotence here (no InitProducerId yet): the producer fields stay "none" after re-encoding.
    assert.ok(zstd.every((h) => h.producerId === -1 && h.baseSequence === -1), 'producer id/sequence kept');
    const asSent = await storedHeaders(b, 'as-sent');
    assert.deepEqual([...new Set(asSent.map((h) => compressionOf(h.attributes)))], [Compression.Gzip], 'producer: stored as sent');

    // kcat (librdkafka) with gzip into the zstd topic; read back with kcat.
    const lines = Array.from({ length: 50 }, (_, i) => `kc${i}:kcat value ${i} ${'y'.repeat(100)}`);
    const produced = await kcat(['-b', b.bootstrap, '-P', '-t', 'to-zstd', '-p', '0', '-K:', '-z', 'gzip', '-X', 'linger.ms=20'], lines.join('\n') + '\n', 60_000);
    assert.equal(produced.code, 0, produced.stderr);
    const consumed = await kcat(['-b', b.bootstrap, '-C', '-t', 'to-zstd', '-p', '0', '-o', '200', '-e', '-q', '-f', '%k:%s\\n'], undefined, 60_000);
    assert.equal(consumed.code, 0, consumed.stderr);
    assert.deepEqual(consumed.stdout.trim().split('\n'), lines);
    const after = await storedHeaders(b, 'to-zstd');
    assert.ok(after.length > zstd.length);
    assert.ok(after.every((h) => compressionOf(h.attributes) === Compression.Zstd), 'kcat batches stored as zstd too');
    const values = decodeBatches((await b.broker.partitionLog('to-zstd', 0)!.read(200, 1 << 30, Number.MAX_SAFE_INTEGER)).records)
      .flatMap((batch) => batch.records).map((rec) => `${rec.key}:${rec.value}`);
    assert.deepEqual(values, lines);
  });
});
