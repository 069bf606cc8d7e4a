/**
 * The idempotent producer's promise, end to end (issue 11): confluent-kafka (librdkafka) with
 * enable.idempotence=true and acks=all sends 50,000 records over 3 partitions while the broker
 * process is SIGKILLed and restarted on the same data dir mid-stream. The producer retries what
 * was in flight; the partitions' producer state (rebuilt from snapshot + log on restart) answers
 * retried batches with their original offsets. Then:
 * - every record is delivered (no delivery failure), and every delivery report's offset holds
 *   exactly that record;
 * - every record appears exactly once in the log;
 * - per partition, offset order is send order.
 * The log is read back by Sherwood's client and by kafka-python (a second real client).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { spawnBroker, tempDir } from '../helpers/broker.js';
import { PYTHON, lastJson, runPython } from '../helpers/clients.js';
import { KafkaClient } from '../../src/client/index.js';

const TOPIC = 'idem';
const N = 50_000;

const PRODUCER = `
import sys, time
from confluent_kafka import Producer
n = int(sys.argv[2])
p = Producer({'bootstrap.servers': sys.argv[1], 'enable.idempotence': True, 'acks': 'all',
              'linger.ms': 5, 'message.timeout.ms': 120000, 'log_level': 0,
              'reconnect.backoff.ms': 50, 'reconnect.backoff.max.ms': 500})
failures = []
def cb(err, msg):
    if err is not None:
        failures.append(str(err))
        sys.stdout.write('ERR %s\\n' % err)
    else:
        sys.stdout.write('%d %d %s\\n' % (msg.partition(), msg.offset(), msg.value().decode()))
    sys.stdout.flush()
for i in range(n):
    while True:
        try:
            p.produce('${TOPIC}', value=b'%d' % i, key=b'k%d' % (i % 97), on_delivery=cb)
            break
        except BufferError:
            p.poll(0.05)
    p.poll(0)
    if i % 50 == 49:
        time.sleep(0.01)   # about 5,000 records/s: the kill lands mid-stream
left = p.flush(120)
sys.stdout.write('DONE %d %d\\n' % (left, len(failures)))
sys.stdout.flush()
`;

/** Every record of the topic, by partition, read with kafka-python: [offset, value] in offset order. */
const READ_ALL = `
import sys, json
from kafka import KafkaConsumer, TopicPartition
c = KafkaConsumer(bootstrap_servers=[sys.argv[1]], enable_auto_commit=False, consumer_timeout_ms=15000, max_partition_fetch_bytes=4194304)
tps = [TopicPartition('${TOPIC}', p) for p in range(3)]
c.assign(tps)
c.seek_to_beginning(*tps)
end = c.end_offsets(tps)
out = {str(tp.partition): [] for tp in tps}
left = sum(end.values())
for m in c:
    out[str(m.partition)].append([m.offset, m.value.decode()])
    left -= 1
    if left <= 0:
        break
c.close()
print(json.dumps(out))
`;

test('idempotent confluent-kafka producer across a broker SIGKILL: every record exactly once, in send order per partition', { timeout: 240_000 }, async () => {
  const dir = tempDir('sherwood-idempotence-');
  let broker = await spawnBroker(dir.path, undefined, { 'num.partitions': '3' });
  const producer = spawn(PYTHON, ['-c', PRODUCER, broker.bootstrap, String(N)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  producer.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise<number | null>((resolve) => producer.once('exit', (code) => resolve(code)));
  /** value index → [partition, offset] from the delivery reports. */
  const delivered = new Map<number, [number, number]>();
  const errors: string[] = [];
  let done: string | undefined;
  try {
    let buffered = '';
    let killed = false;
    const reachedKillPoint = new Promise<void>((resolve, reject) => {
      producer.once('exit', () => reject(new Error(`producer exited before the kill point (${delivered.size} delivered); stderr: ${stderr}`)));
      producer.stdout.on('data', (d: Buffer) => {
        buffered += d.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const line of lines) {
          if (line.startsWith('ERR ')) errors.push(line);
          else if (line.startsWith('DONE ')) done = line;
          else {
            const [p, o, v] = line.split(' ').map(Number);
            assert.ok(!delivered.has(v!), `record ${v} reported delivered twice`);
            delivered.set(v!, [p!, o!]);
          }
        }
        if (!killed && delivered.size >= N / 3) {
          killed = true;
          resolve();
        }
      });
    });
    await reachedKillPoint;
    // The producer keeps sending into the dead broker; in-flight batches are retried after the restart.
    await broker.kill9();
    broker = await spawnBroker(dir.path, broker.port, { 'num.partitions': '3' });
    const code = await exited;
    assert.equal(code, 0, `producer failed: ${stderr}`);
    assert.deepEqual(errors, [], 'no delivery failed');
    assert.equal(done, 'DONE 0 0', 'everything flushed, no failure');
    assert.equal(delivered.size, N, 'every record was delivered');

    // Sherwood's client: the log holds each value exactly once, at its reported offset, in send order.
    const client = await KafkaClient.connect(broker.bootstrap);
    const stored = new Map<number, string[]>();
    try {
      for (let p = 0; p < 3; p++) {
        const values: string[] = [];
        let offset = 0;
        for (let rounds = 0; rounds < 10_000; rounds++) {
          const r = await client.fetch(TOPIC, p, offset, { maxWaitMs: 50, maxBytes: 4 << 20, partitionMaxBytes: 4 << 20 });
          for (const rec of r.records) {
            assert.equal(rec.offset, values.length, `partition ${p}: no offset gap`);
            values.push(rec.value!.toString());
          }
          if (r.nextOffset === offset) break;
          offset = r.nextOffset;
        }
        stored.set(p, values);
      }
    } finally {
      await client.close();
    }
    const seen = new Set<string>();
    let total = 0;
    for (const [p, values] of stored) {
      total += values.length;
      let previous = -1;
      for (const v of values) {
        assert.ok(!seen.has(v), `record ${v} stored twice`);
        seen.add(v);
        assert.ok(Number(v) > previous, `partition ${p}: record ${v} after ${previous} (send order broken)`);
        previous = Number(v);
      }
    }
    assert.equal(total, N, 'exactly N records stored');
    for (const [v, [p, o]] of delivered) assert.equal(stored.get(p)![o], String(v), `delivery report of ${v} names ${p}:${o}`);

    // kafka-python reads the same log.
    const py = lastJson<Record<string, [number, string][]>>(await runPython(READ_ALL, [broker.bootstrap], 120_000));
    for (let p = 0; p < 3; p++) {
      assert.deepEqual(py[String(p)]!.map(([, v]) => v), stored.get(p), `kafka-python sees partition ${p} as we do`);
    }
  } finally {
    if (producer.exitCode === null) producer.kill('SIGKILL');
    await broker.stop().catch(() => {});
    if (broker.child.exitCode === null) await broker.kill9();
    dir.remove();
  }
});
