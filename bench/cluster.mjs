/**
 * The `cluster` section of `npm run bench` (issue 13): brokers joined through a real etcd
 * (Debian's /usr/bin/etcd), as `node dist/src/cli/main.js server` processes on this machine.
 *
 *   replication  3 brokers; librdkafka (bench/perf_produce.py) producing to a 6-partition topic
 *                with replication factor 3, acks=all, min.insync.replicas=2, next to the same
 *                load on a replication-factor-1 topic with acks=1 on the same cluster, runs
 *                interleaved; the ratio RF=3 acks=all ÷ RF=1 acks=1 (target ≥ 0.5).
 *   failover     on the same cluster: an idempotent acks=all producer (bench/failover_probe.py)
 *                sends to a 1-partition RF=3 topic at a steady rate while its leader is
 *                `kill -9`ed (then restarted and caught up): the time from the kill to the
 *                first acknowledgement of a record sent after it, per round; median and max.
 *   scale-out    aggregate produce throughput of 2 brokers (a cluster; RF=1 topic whose 6
 *                partitions are spread over both) next to 1 standalone broker, same load.
 *
 * Every process is bounded (timeouts) and killed at the end.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, PYTHON, runTool, freePort, round, sleep } from './lib.mjs';

const CLI = join(ROOT, 'dist/src/cli/main.js');
const ETCD = '/usr/bin/etcd';
const SESSION_MS = 3000;

function healthy(port) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/health', timeout: 1000 }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve(res.statusCode === 200 && body.includes('"health":"true"')));
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => { req.destroy(); resolve(false); });
  });
}

async function startEtcd(dir) {
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const child = spawn(ETCD, ['--name', 'bench', '--data-dir', join(dir, 'etcd'), '--listen-client-urls', client, '--advertise-client-urls', client,
    '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `bench=${peer}`, '--log-level', 'warn', '--logger', 'zap'],
  { stdio: 'ignore' });
  const deadline = Date.now() + 20000;
  while (!(await healthy(clientPort))) {
    if (child.exitCode !== null || Date.now() > deadline) { child.kill('SIGKILL'); throw new Error('etcd did not start'); }
    await sleep(25);
  }
  return { endpoint: `127.0.0.1:${clientPort}`, stop: () => child.kill('SIGKILL') };
}

function startBrokerProcess(id, port, dataDir, etcdConnect, overrides = []) {
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const args = [...prof, CLI, 'server', '--override', `listeners=PLAINTEXT://127.0.0.1:${port}`, '--override', `log.dirs=${dataDir}`, '--override', 'log.level=warn'];
  if (etcdConnect !== null) {
    args.push('--override', `node.id=${id}`, '--override', `etcd.connect=${etcdConnect}`, '--override', `etcd.session.timeout.ms=${SESSION_MS}`);
  }
  for (const kv of overrides) args.push('--override', kv);
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => { err = (err + d).slice(-2000); });
  return { id, port, bootstrap: `127.0.0.1:${port}`, child, output: () => err };
}

export async function cluster(n, KafkaClient, { standalone = false, overrides = [] } = {}) {
  const dir = mkdtempSync(join(os.tmpdir(), 'sherwood-bench-cluster-'));
  const etcd = standalone ? null : await startEtcd(dir);
  const ports = new Map();
  const brokers = new Map();
  const start = (id) => brokers.set(id, startBrokerProcess(id, ports.get(id), join(dir, `b${id}`), etcd === null ? null : `${etcd.endpoint}/bench`, overrides));
  for (let id = 1; id <= n; id++) { ports.set(id, await freePort()); start(id); }
  const c = {
    brokers, bootstrap: () => [...brokers.values()].map((b) => b.bootstrap).join(','),
    async metadata(topics) {
      const client = await KafkaClient.connect([...brokers.values()][0].bootstrap, { connectTimeoutMs: 1000, requestTimeoutMs: 10000 });
      try { return await client.metadata(topics); } finally { await client.close(); }
    },
    async waitFor(what, cond, timeoutMs = 60000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        try { if (await cond()) return; } catch { /* not up yet */ }
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${[...brokers.values()].map((b) => b.output()).join(' | ').slice(-800)}`);
        await sleep(50);
      }
    },
    kill9(id) { brokers.get(id).child.kill('SIGKILL'); brokers.delete(id); },
    start,
    async close() {
      // SIGTERM first (a clean stop; a --cpu-prof profile is written then), SIGKILL after 10 s.
      await Promise.all([...brokers.values()].map((b) => new Promise((resolve) => {
        if (b.child.exitCode !== null) return resolve();
        const timer = setTimeout(() => b.child.kill('SIGKILL'), 10000);
        b.child.once('exit', () => { clearTimeout(timer); resolve(); });
        b.child.kill('SIGTERM');
      })));
      etcd?.stop();
      await sleep(200);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await c.waitFor(`${n} brokers`, async () => (await c.metadata([])).brokers.length === n && (standalone || (await c.metadata([])).controllerId > 0));
  return c;
}

export async function createTopic(c, KafkaClient, CreateTopics, name, partitions, rf, configs = []) {
  const client = await KafkaClient.connect([...c.brokers.values()][0].bootstrap);
  try {
    const r = await client.request(CreateTopics, { topics: [{ name, numPartitions: partitions, replicationFactor: rf, assignments: [], configs }], timeoutMs: 30000, validateOnly: false });
    if (r.topics[0].errorCode !== 0) throw new Error(`CreateTopics ${name}: ${r.topics[0].errorCode} ${r.topics[0].errorMessage ?? ''}`);
  } finally {
    await client.close();
  }
  await c.waitFor(`${name} led with a full ISR`, async () => (await c.metadata([name])).topics[0].partitions.every((p) => p.leaderId > 0 && p.isr.length === rf));
}

export async function produce(bootstrap, topic, acks, records, recordSize) {
  const r = await runTool(PYTHON, [join(ROOT, 'bench/perf_produce.py'), bootstrap, '--topic', topic, '--num', String(records), '--size', String(recordSize),
    '--acks', acks, '--linger-ms', '5', '--batch-size', String(1 << 20)], { timeoutMs: 300000 });
  return r.code === 0 && r.json !== null ? r.json.MB_per_s : null;
}

/**
 * Between measurements: waits until every record of `topic` is on every replica (its high
 * watermarks add up to `expected`: with acks=1 the followers are still copying when the
 * producer is done, and that work must not land in the next measurement), then deletes the
 * topic and waits until no broker knows it, so its files and their page cache go. Without
 * this, each run writes into memory the VM has never touched (page cache growing by up to
 * 900 MB a run), which on this machine made later runs up to 1.5x as costly per byte, and RF=3
 * (three times the bytes) more than RF=1.
 */
export async function settleAndDelete(c, KafkaClient, topic, partitions, expected, produced = true) {
  const { listOffsets } = await import(pathToFileURL(join(ROOT, 'dist/src/client/operations.js')).href);
  const { DeleteTopics } = await import(pathToFileURL(join(ROOT, 'dist/src/protocol/messages/delete-topics.js')).href);
  const client = await KafkaClient.connect(c.bootstrap(), { connectTimeoutMs: 1000, requestTimeoutMs: 30000 });
  try {
    // A failed run (null) sent an unknown number of records: nothing to wait for.
    if (produced) await c.waitFor(`${topic} replicated`, async () => {
      let sum = 0;
      for (let p = 0; p < partitions; p++) sum += (await listOffsets(client, topic, p, -1)).offset;
      return sum >= expected;
    }, 120000);
    const r = await client.request(DeleteTopics, { topics: [{ name: topic, topicId: Buffer.alloc(16) }], topicNames: [topic], timeoutMs: 30000 });
    if (r.responses[0].errorCode !== 0) throw new Error(`DeleteTopics ${topic}: ${r.responses[0].errorCode}`);
  } finally {
    await client.close();
  }
  for (const b of c.brokers.values()) {
    await c.waitFor(`${topic} deleted on broker ${b.id}`, async () => {
      const k = await KafkaClient.connect(b.bootstrap, { connectTimeoutMs: 1000, requestTimeoutMs: 10000 });
      try { return (await k.metadata([topic])).topics.every((t) => t.errorCode !== 0); } finally { await k.close(); }
    });
  }
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length === 0 ? null : s[Math.floor((s.length - 1) / 2)]; };

/** Runs the three measurements; `figure(f)` records each (see run.mjs). */
export async function clusterSection({ records, recordSize, repeat, figure, overrides = [] }) {
  const { KafkaClient } = await import(pathToFileURL(join(ROOT, 'dist/src/client/kafka-client.js')).href);
  const { CreateTopics } = await import(pathToFileURL(join(ROOT, 'dist/src/protocol/messages/create-topics.js')).href);
  const cmd = 'node bench/run.mjs (BENCH_SECTIONS=cluster): 3 brokers with etcd.connect, librdkafka bench/perf_produce.py';

  // Replication: RF=3 acks=all vs RF=1 acks=1 on one 3-broker cluster, interleaved.
  const c = await cluster(3, KafkaClient, { overrides });
  try {
    const runs = { rf1: [], rf3: [], rf3acks1: [] };
    for (let i = 0; i < repeat; i++) {
      // perf_produce.py sends one warm-up record before the measured ones.
      await createTopic(c, KafkaClient, CreateTopics, `rf1-${i}`, 6, 1);
      runs.rf1.push(await produce(c.bootstrap(), `rf1-${i}`, '1', records, recordSize));
      await settleAndDelete(c, KafkaClient, `rf1-${i}`, 6, records + 1, runs.rf1.at(-1) !== null);
      await createTopic(c, KafkaClient, CreateTopics, `rf3-${i}`, 6, 3, [{ name: 'min.insync.replicas', value: '2' }]);
      runs.rf3.push(await produce(c.bootstrap(), `rf3-${i}`, 'all', records, recordSize));
      await settleAndDelete(c, KafkaClient, `rf3-${i}`, 6, records + 1, runs.rf3.at(-1) !== null);
      // The same replicated topic with acks=1: the cost of copying the data, without waiting for it.
      await createTopic(c, KafkaClient, CreateTopics, `rf3a1-${i}`, 6, 3);
      runs.rf3acks1.push(await produce(c.bootstrap(), `rf3a1-${i}`, '1', records, recordSize));
      await settleAndDelete(c, KafkaClient, `rf3a1-${i}`, 6, records + 1, runs.rf3acks1.at(-1) !== null);
    }
    const best = (xs) => (xs.every((x) => x === null) ? null : Math.max(...xs.filter((x) => x !== null)));
    const rf1 = best(runs.rf1);
    const rf3 = best(runs.rf3);
    figure({ section: 'cluster', name: 'produce librdkafka 6p RF=1 acks=1 (3 brokers)', value: rf1, unit: 'MB/s', runs: runs.rf1, command: cmd });
    figure({ section: 'cluster', name: 'produce librdkafka 6p RF=3 acks=all min.isr=2', value: rf3, unit: 'MB/s', runs: runs.rf3,
      ratio: rf1 && rf3 ? round(rf3 / rf1, 2) : null, ratioOf: 'RF=1 acks=1', command: cmd });
    const rf3a1 = best(runs.rf3acks1);
    figure({ section: 'cluster', name: 'produce librdkafka 6p RF=3 acks=1', value: rf3a1, unit: 'MB/s', runs: runs.rf3acks1,
      ratio: rf1 && rf3a1 ? round(rf3a1 / rf1, 2) : null, ratioOf: 'RF=1 acks=1', command: cmd });

    // Failover: kill -9 the leader of a 1-partition RF=3 topic under a steady idempotent load.
    await createTopic(c, KafkaClient, CreateTopics, 'failover', 1, 3, [{ name: 'min.insync.replicas', value: '2' }]);
    const probe = spawn(PYTHON, [join(ROOT, 'bench/failover_probe.py'), c.bootstrap(), 'failover'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let acks = [];
    let buf = '';
    probe.stdout.on('data', (d) => {
      buf += d;
      const lines = buf.split('\n');
      buf = lines.pop();
      for (const l of lines) {
        const m = /^ack (\d+) (\d+)$/.exec(l);
        if (m !== null) acks.push({ sent: Number(m[1]), acked: Number(m[2]) });
      }
    });
    const times = [];
    try {
      await c.waitFor('the probe acknowledged', async () => acks.length > 50, 30000);
      for (let round_ = 0; round_ < 3; round_++) {
        const leader = (await c.metadata(['failover'])).topics[0].partitions[0].leaderId;
        const killedAt = Date.now();
        acks = [];
        c.kill9(leader);
        // The first acknowledgement of a record sent after the kill (earlier ones were in flight).
        await c.waitFor('an acknowledgement of a record sent after the kill', async () => acks.some((a) => a.sent > killedAt), 60000);
        times.push(Math.min(...acks.filter((a) => a.sent > killedAt).map((a) => a.acked)) - killedAt);
        c.start(leader);
        await c.waitFor(`broker ${leader} back in the ISR`, async () => (await c.metadata(['failover'])).topics[0].partitions[0].isr.includes(leader), 60000);
      }
    } finally {
      probe.kill('SIGKILL');
    }
    figure({ section: 'cluster', name: `failover: kill -9 of the leader to the next ack, median (session ${SESSION_MS} ms)`, value: median(times), unit: 'ms', runs: times, command: cmd });
    figure({ section: 'cluster', name: 'failover: kill -9 of the leader to the next ack, max', value: times.length ? Math.max(...times) : null, unit: 'ms', runs: times, command: cmd });
  } finally {
    await c.close();
  }

  // Scale-out: 2 brokers (RF=1, partitions spread) vs 1 standalone broker, the same load.
  const one = await cluster(1, KafkaClient, { standalone: true, overrides });
  const two = await cluster(2, KafkaClient, { overrides });
  try {
    const runs = { one: [], two: [] };
    for (let i = 0; i < repeat; i++) {
      await createTopic(one, KafkaClient, CreateTopics, `scale-${i}`, 6, 1);
      runs.one.push(await produce(one.bootstrap(), `scale-${i}`, '1', records, recordSize));
      await settleAndDelete(one, KafkaClient, `scale-${i}`, 6, records + 1, runs.one.at(-1) !== null);
      await createTopic(two, KafkaClient, CreateTopics, `scale-${i}`, 6, 1);
      runs.two.push(await produce(two.bootstrap(), `scale-${i}`, '1', records, recordSize));
      await settleAndDelete(two, KafkaClient, `scale-${i}`, 6, records + 1, runs.two.at(-1) !== null);
    }
    const best = (xs) => (xs.every((x) => x === null) ? null : Math.max(...xs.filter((x) => x !== null)));
    figure({ section: 'cluster', name: 'scale-out: produce 6p RF=1 acks=1, 1 broker', value: best(runs.one), unit: 'MB/s', runs: runs.one, command: cmd });
    figure({ section: 'cluster', name: 'scale-out: produce 6p RF=1 acks=1, 2 brokers', value: best(runs.two), unit: 'MB/s', runs: runs.two,
      ratio: best(runs.one) && best(runs.two) ? round(best(runs.two) / best(runs.one), 2) : null, ratioOf: '1 broker', command: cmd });
  } finally {
    await one.close();
    await two.close();
  }
}
