/**
 * Retries of batches the broker already wrote: the case idempotence exists for. A TCP proxy
 * between confluent-kafka and the broker forwards requests but, for a while, swallows the
 * broker's responses and then cuts every connection: the Produce requests of that window were
 * appended, their answers lost, and the producer sends them again.
 * - Without idempotence (the control) the retried batches are written a second time:
 *   duplicates in the log. This shows the scenario really retries written batches.
 * - With enable.idempotence=true the partitions recognise the retries (same producer id,
 *   epoch and sequences as a cached batch) and answer the original offsets: every record
 *   exactly once, at the offset its delivery report names, in send order per partition.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { freePort, startTestBroker } from '../helpers/broker.js';
import { PYTHON } from '../helpers/clients.js';
import { KafkaClient } from '../../src/client/index.js';

const N = 6000;

const PRODUCER = `
import sys, time
from confluent_kafka import Producer
idem = sys.argv[3] == 'true'
conf = {'bootstrap.servers': sys.argv[1], 'acks': 'all', 'linger.ms': 2, 'message.timeout.ms': 60000,
        'request.timeout.ms': 1500, 'log_level': 0, 'reconnect.backoff.ms': 20, 'reconnect.backoff.max.ms': 200,
        'enable.idempotence': idem}
if not idem:
    conf.update({'retries': 1000, 'max.in.flight.requests.per.connection': 1})
p = Producer(conf)
n = int(sys.argv[2])
def cb(err, msg):
    if err is not None:
        sys.stdout.write('ERR %s\\n' % err)
    else:
        sys.stdout.write('%d %d %s\\n' % (msg.partition(), msg.offset(), msg.value().decode()))
    sys.stdout.flush()
for i in range(n):
    while True:
        try:
            p.produce('lost', value=b'%d' % i, on_delivery=cb)
            break
        except BufferError:
            p.poll(0.01)
    p.poll(0)
    if i % 20 == 19:
        time.sleep(0.01)  # pacing: records keep flowing across both blackouts
sys.stdout.write('DONE %d\\n' % p.flush(60))
sys.stdout.flush()
`;

/** A proxy that can swallow broker→client bytes for a while and then cut every connection. */
async function startProxy(listenPort: number, target: () => number) {
  const sockets = new Set<net.Socket>();
  let dropping = false;
  let droppedBytes = 0;
  const server = net.createServer((client) => {
    const upstream = net.connect(target(), '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => {
      if (dropping) droppedBytes += d.length;
      else client.write(d);
    });
    const end = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(listenPort, '127.0.0.1', () => resolve()));
  return {
    /** Swallows responses for `ms`, then destroys every connection (the client reconnects and retries). */
    async blackout(ms: number): Promise<number> {
      dropping = true;
      droppedBytes = 0;
      // The scenario's window, not a wait for an event: requests keep arriving (and being
      // appended) for ms while their answers are lost (under request.timeout.ms, 1500).
      await new Promise((r) => setTimeout(r, ms));
      for (const s of [...sockets]) s.destroy();
      dropping = false;
      return droppedBytes;
    },
    close: () => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  };
}

interface Run {
  delivered: Map<number, [number, number]>;
  errors: string[];
  stored: Map<number, string[]>;
  droppedBytes: number;
}

async function run(idempotent: boolean): Promise<Run> {
  const proxyPort = await freePort();
  const brokerPort = await freePort();
  const proxy = await startProxy(proxyPort, () => brokerPort);
  // Clients learn the proxy's address from Metadata, so every connection goes through it.
  const b = await startTestBroker({ port: brokerPort, overrides: { 'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxyPort}`, 'num.partitions': '2' } });
  const delivered = new Map<number, [number, number]>();
  const errors: string[] = [];
  const producer = spawn(PYTHON, ['-c', PRODUCER, `127.0.0.1:${proxyPort}`, String(N), String(idempotent)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  producer.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise<number | null>((resolve) => producer.once('exit', (code) => resolve(code)));
  try {
    let buffered = '';
    let blackouts = 0;
    let droppedBytes = 0;
    const blackoutDone: Promise<void>[] = [];
    producer.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('ERR ')) errors.push(line);
        else if (!line.startsWith('DONE')) {
          const [p, o, v] = line.split(' ').map(Number);
          delivered.set(v!, [p!, o!]);
        }
      }
      // Two blackouts while records are flowing.
      if ((blackouts === 0 && delivered.size >= N / 4) || (blackouts === 1 && delivered.size >= N / 2)) {
        blackouts++;
        blackoutDone.push(proxy.blackout(1200).then((n) => { droppedBytes += n; }));
        if (process.env.DEBUG_PROXY) console.error('blackout', blackouts, delivered.size, Date.now());
      }
    });
    const code = await exited;
    await Promise.all(blackoutDone);
    assert.equal(code, 0, stderr);
    assert.equal(blackouts, 2, 'both blackouts happened mid-stream');
    const client = await KafkaClient.connect(`127.0.0.1:${proxyPort}`);
    const stored = new Map<number, string[]>();
    try {
      for (let p = 0; p < 2; p++) {
        const values: string[] = [];
        for (let offset = 0, rounds = 0; rounds < 10_000; rounds++) {
          const r = await client.fetch('lost', p, offset, { maxWaitMs: 20, maxBytes: 4 << 20, partitionMaxBytes: 4 << 20 });
          for (const rec of r.records) values.push(rec.value!.toString());
          if (r.nextOffset === offset) break;
          offset = r.nextOffset;
        }
        stored.set(p, values);
      }
    } finally {
      await client.close();
    }
    return { delivered, errors, stored, droppedBytes };
  } finally {
    if (producer.exitCode === null) producer.kill('SIGKILL');
    await b.close();
    await proxy.close();
  }
}

test('control: without idempotence, responses lost mid-stream make the producer write batches twice', { timeout: 120_000 }, async () => {
  const r = await run(false);
  assert.ok(r.droppedBytes > 0, 'responses were swallowed');
  const all = [...r.stored.values()].flat();
  const duplicates = all.length - new Set(all).size;
  assert.ok(duplicates > 0, `expected duplicates without idempotence (stored ${all.length} for ${N} sent)`);
});

test('idempotent producer: responses lost mid-stream, every record exactly once at its reported offset, in send order', { timeout: 120_000 }, async () => {
  const r = await run(true);
  assert.ok(r.droppedBytes > 0, 'responses were swallowed');
  assert.deepEqual(r.errors, []);
  assert.equal(r.delivered.size, N);
  const seen = new Set<string>();
  for (const [p, values] of r.stored) {
    let previous = -1;
    for (const v of values) {
      assert.ok(!seen.has(v), `record ${v} stored twice`);
      seen.add(v);
      assert.ok(Number(v) > previous, `partition ${p}: ${v} after ${previous}`);
      previous = Number(v);
    }
  }
  assert.equal(seen.size, N, 'every record stored');
  for (const [v, [p, o]] of r.delivered) assert.equal(r.stored.get(p)![o], String(v), `delivery report of ${v} names ${p}:${o}`);
});
