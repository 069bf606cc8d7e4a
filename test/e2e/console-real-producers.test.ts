/**
 * Batches compressed by other real clients decode in our consumer: @platformatic/kafka
 * (gzip, snappy, lz4 — its own codecs; its zstd needs Node 22's zlib) and kafka-python (gzip; its snappy/lz4 need
 * modules Debian's python lacks). Complements the librdkafka (kcat) case in
 * console-clients.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { Producer, ProduceAcks, stringSerializers } from '@platformatic/kafka';
import { withBroker } from '../helpers/broker.js';
import { runPython } from '../helpers/clients.js';
import { main as consumerMain } from '../../src/cli/console-consumer.js';
import { compressionOf, readBatchHeader } from '../../src/protocol/record-batch.js';
import { compressionFromName } from '../../src/protocol/compression.js';
import type { RunningBroker } from '../../src/index.js';

async function consumeAll(bootstrap: string, topic: string, n: number): Promise<string[]> {
  const stdin = new PassThrough();
  stdin.end();
  let stdout = '';
  let stderr = '';
  const code = await consumerMain(['--bootstrap-server', bootstrap, '--topic', topic, '--from-beginning', '--max-messages', String(n), '--timeout-ms', '5000',
    '--property', 'print.key=true', '--property', 'print.headers=true'],
  { stdin, stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
  assert.equal(code, 0, stderr);
  return stdout.trimEnd().split('\n');
}

async function storedCodec(b: RunningBroker, topic: string): Promise<number> {
  const log = b.broker.partitionLog(topic, 0)!;
  const { records } = await log.read(0, 1 << 20, log.highWatermark);
  return compressionOf(readBatchHeader(records, 0).attributes);
}

test('@platformatic/kafka compressed batches decode in our consumer', { timeout: 60_000 }, async () => {
  await withBroker(async (b) => {
    for (const codec of ['gzip', 'snappy', 'lz4'] as const) {
      const topic = `crp-plt-${codec}`;
      await b.broker.topics.create({ name: topic, numPartitions: 1, replicationFactor: 1, configs: {} });
      const producer = new Producer({ clientId: 'crp', bootstrapBrokers: [b.bootstrap], serializers: stringSerializers, autocreateTopics: false } as never);
      const messages = Array.from({ length: 50 }, (_, i) => ({ topic, partition: 0, key: `k${i}`, value: `${codec}-${i}-${'q'.repeat(i)}`, headers: { h: `${i}` } }));
      try {
        await (producer as any).send({ messages, acks: ProduceAcks.LEADER, compression: codec });
      } finally {
        await producer.close();
      }
      assert.equal(await storedCodec(b, topic), compressionFromName(codec), codec);
      assert.deepEqual(await consumeAll(b.bootstrap, topic, 50), messages.map((m) => `h:${m.headers.h}\t${m.key}\t${m.value}`), codec);
    }
  });
});

test('kafka-python gzip batches decode in our consumer', { timeout: 60_000 }, async () => {
  await withBroker(async (b) => {
    await b.broker.topics.create({ name: 'crp-py', numPartitions: 1, replicationFactor: 1, configs: {} });
    await runPython(`
import sys
from kafka import KafkaProducer
p = KafkaProducer(bootstrap_servers=sys.argv[1], compression_type='gzip', linger_ms=50)
for i in range(40):
    p.send('crp-py', key=b'k%d' % i, value=b'py-%d' % i, partition=0, headers=[('h', b'%d' % i)])
p.flush(10)
p.close()
print('{}')
`, [b.bootstrap], 30_000);
    assert.equal(await storedCodec(b, 'crp-py'), compressionFromName('gzip'));
    assert.deepEqual(await consumeAll(b.bootstrap, 'crp-py', 40), Array.from({ length: 40 }, (_, i) => `h:${i}\tk${i}\tpy-${i}`));
  });
});
