/**
 * Durability: a real broker process takes acks=all produces from confluent-kafka (recording
 * every delivered offset), is SIGKILLed mid-stream, restarts on the same directory, and every
 * acknowledged record is readable at its acknowledged offset, by our client and by kafka-python.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { spawnBroker, tempDir } from '../helpers/broker.js';
import { PYTHON, lastJson, runPython } from '../helpers/clients.js';
import { settled } from '../helpers/wait.js';
import { KafkaClient } from '../../src/client/index.js';

const PRODUCER = `
import sys, time
from confluent_kafka import Producer
p = Producer({'bootstrap.servers': sys.argv[1], 'acks': 'all', 'linger.ms': 2, 'message.timeout.ms': 3000,
              'log_level': 0, 'enable.idempotence': False})
def cb(err, msg):
    if err is None:
        sys.stdout.write('%d %s\\n' % (msg.offset(), msg.value().decode()))
        sys.stdout.flush()
deadline = time.time() + 25
i = 0
while time.time() < deadline:
    try:
        p.produce('durable', value=b'v%d' % i, partition=0, on_delivery=cb)
        i += 1
    except BufferError:
        p.poll(0.01)
    p.poll(0)
    if i % 200 == 0:
        time.sleep(0.002)  # pacing: let delivery reports through between bursts
p.flush(5)
`;

const READ_BACK = `
import sys, json
from kafka import KafkaConsumer, TopicPartition
c = KafkaConsumer(bootstrap_servers=[sys.argv[1]], enable_auto_commit=False, consumer_timeout_ms=10000)
tp = TopicPartition('durable', 0)
c.assign([tp])
c.seek_to_beginning(tp)
end = c.end_offsets([tp])[tp]
out = {}
for m in c:
    out[str(m.offset)] = m.value.decode()
    if m.offset + 1 >= end:
        break
c.close()
print(json.dumps(out))
`;

test('SIGKILL mid-stream: every acks=all record survives at its offset', { timeout: 90_000 }, async () => {
  const dir = tempDir('sherwood-durability-');
  let broker = await spawnBroker(dir.path);
  const acked = new Map<number, string>();
  const producer = spawn(PYTHON, ['-c', PRODUCER, broker.bootstrap], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  producer.stderr.on('data', (d) => { stderr += d; });
  const producerExited = new Promise<void>((resolve) => producer.once('exit', () => resolve()));
  try {
    let buffered = '';
    let killed = false;
    const enough = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${acked.size} acks in time; stderr: ${stderr}`)), 40_000);
      producer.stdout.on('data', (d: Buffer) => {
        buffered += d.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const line of lines) {
          const [offset, value] = line.split(' ');
          acked.set(Number(offset), value!);
        }
        if (!killed && acked.size >= 3000) {
          killed = true;
          clearTimeout(timer);
          resolve();
        }
      });
    });
    await enough;
    await broker.kill9();
    // Acks the broker sent before it died may still be on their way to the producer: collect
    // them until it stops reporting (anything it reports now was acknowledged before the kill).
    await settled('the acks reported after the kill', () => acked.size, 200);
    producer.kill('SIGKILL');
    await producerExited;

    broker = await spawnBroker(dir.path, broker.port);
    const client = await KafkaClient.connect(broker.bootstrap);
    try {
      const stored = new Map<number, string>();
      let offset = 0;
      const maxAcked = Math.max(...acked.keys());
      for (let rounds = 0; offset <= maxAcked && rounds < 1000; rounds++) {
        const r = await client.fetch('durable', 0, offset, { maxWaitMs: 100, maxBytes: 4 << 20, partitionMaxBytes: 4 << 20 });
        for (const rec of r.records) stored.set(rec.offset, rec.value!.toString());
        if (r.nextOffset === offset) break;
        offset = r.nextOffset;
      }
      let missing = 0;
      for (const [o, v] of acked) if (stored.get(o) !== v) missing++;
      assert.equal(missing, 0, `${missing} of ${acked.size} acknowledged records lost or moved`);
      assert.ok(acked.size >= 3000);
    } finally {
      await client.close();
    }
    // A second real client, kafka-python, reads the recovered log: every acknowledged record at its offset.
    const readBack = lastJson<Record<string, string>>(await runPython(READ_BACK, [broker.bootstrap], 60_000));
    let missingPy = 0;
    for (const [o, v] of acked) if (readBack[String(o)] !== v) missingPy++;
    assert.equal(missingPy, 0, `kafka-python: ${missingPy} of ${acked.size} acknowledged records missing or moved`);
  } finally {
    if (producer.exitCode === null) producer.kill('SIGKILL');
    await broker.stop().catch(() => {});
    if (broker.child.exitCode === null) await broker.kill9();
    dir.remove();
  }
});
