#!/usr/bin/env node
/**
 * `npm run bench`: Sherwood's throughput, latency, start-up and memory figures next to the
 * baselines they are judged against, all measured in the same run on the same machine.
 *
 *   loopback  raw Node TCP over 127.0.0.1 (bench/loopback.mjs): the ceiling for consume.
 *   mock      librdkafka's in-memory mock cluster (bench/mock-cluster.c, built at run time):
 *             a broker that does nothing, so each client's figure against it is that
 *             client's ceiling, the denominator of the produce ratios.
 *   metadata  creating then deleting BENCH_METADATA_TOPICS (10000) topics one request each
 *             against a broker on a temp dir (bench/metadata-topics.mjs): ms per topic of
 *             the first and last 500 of each phase.
 *   cluster   brokers joined through a real etcd (bench/cluster.mjs): RF=3 acks=all vs RF=1
 *             acks=1 on 3 brokers, leader failover times under an idempotent probe, and 2
 *             brokers vs 1 (scale-out on one machine).
 *   broker    `node dist/src/cli/main.js server` on a temp dir: start-up time to the first
 *             Metadata answer, RSS idle / under load / after load, and produce, consume
 *             and latency figures driven by librdkafka (bench/perf_produce.py,
 *             bench/perf_consume.py) and by `sherwood perf`. The producers are plain
 *             (enable.idempotence=false) except in the exactly-once rows: acks=all plain,
 *             idempotent, and transactional (BENCH_TXN_RECORDS records per transaction),
 *             interleaved on the broker so each ratio compares runs of the same moment.
 *
 * Every figure keeps the command that produced it. Prints tables and writes
 * bench/results/<timestamp>.json. Sizes come from the environment:
 *   BENCH_RECORDS (300000)       records per throughput run
 *   BENCH_RECORD_SIZE (1024)     bytes per record
 *   BENCH_LATENCY_SECONDS (5)    length of each fixed-rate latency run
 *   BENCH_RATES (10000,100000)   fixed rates (records/s) for the latency runs
 *   BENCH_LOOPBACK_BYTES (1e9)   bytes per loopback run
 *   BENCH_LINGER_MS (5), BENCH_BATCH_SIZE (1048576)   producer settings of throughput runs
 *   BENCH_SECTIONS (loopback,mock,broker,metadata,eos,cluster) which parts to run (eos: the exactly-once
 *                                rows, on the broker; needs broker)
 *   BENCH_METADATA_TOPICS (10000)  topics created and deleted by the metadata section
 *   BENCH_CLIENTS (librdkafka,sherwood)               which load generators to use
 *   BENCH_TXN_RECORDS (1000)     records per transaction in the transactional rows
 *   BENCH_REPEAT (3)             runs per throughput/latency figure; the best one is kept
 *                                (highest MB/s, lowest p99) and all values are recorded
 *   BENCH_STARTUP_RUNS (3)       broker start-ups timed (median reported)
 *   BENCH_CPU_PROF (unset)       a directory: run the load broker with node --cpu-prof there
 *   BENCH_BROKER_OVERRIDES       extra k=v,k=v broker overrides
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { ROOT, PYTHON, runTool, freePort, memoryOf, sampleRss, round, sleep, table, commandLine } from './lib.mjs';
import { buildMockCluster, startMockCluster } from './mock-cluster.mjs';
import { metadataTopicsBench } from './metadata-topics.mjs';
import { clusterSection } from './cluster.mjs';

const env = process.env;
const num = (name, dflt) => (env[name] === undefined || env[name] === '' ? dflt : Number(env[name]));
const list = (name, dflt) => (env[name] ?? dflt).split(',').map((s) => s.trim()).filter(Boolean);

const cfg = {
  records: num('BENCH_RECORDS', 300000),
  recordSize: num('BENCH_RECORD_SIZE', 1024),
  latencySeconds: num('BENCH_LATENCY_SECONDS', 5),
  rates: list('BENCH_RATES', '10000,100000').map(Number),
  loopbackBytes: num('BENCH_LOOPBACK_BYTES', 1e9),
  lingerMs: num('BENCH_LINGER_MS', 5),
  batchSize: num('BENCH_BATCH_SIZE', 1048576),
  sections: list('BENCH_SECTIONS', 'loopback,mock,broker,metadata,eos,cluster'),
  metadataTopics: num('BENCH_METADATA_TOPICS', 10000),
  clients: list('BENCH_CLIENTS', 'librdkafka,sherwood'),
  txnRecords: num('BENCH_TXN_RECORDS', 1000),
  startupRuns: num('BENCH_STARTUP_RUNS', 3),
  repeat: Math.max(1, num('BENCH_REPEAT', 3)),
  cpuProfDir: env.BENCH_CPU_PROF ?? null,
  brokerOverrides: list('BENCH_BROKER_OVERRIDES', ''),
};
const PARTITIONS = [1, 6];
const ACKS = ['1', 'all'];
const CLI = join(ROOT, 'dist/src/cli/main.js');

/** @type {object[]} */
const figures = [];
const started = new Date();

function figure(f) {
  figures.push(f);
  const ratio = f.ratio === undefined || f.ratio === null ? '' : `  (${f.ratio}x ${f.ratioOf})`;
  console.log(`  ${f.section.padEnd(8)} ${f.name.padEnd(44)} ${String(f.value ?? 'FAILED').padStart(10)} ${f.unit}${ratio}`);
  if (f.error) console.log(`           ! ${f.error}`);
}

// ---------------------------------------------------------------------------------------------
// Load generators

/**
 * mode: 'plain' (enable.idempotence=false, as every row but the exactly-once ones),
 * 'idempotent', or 'transactional' (cfg.txnRecords records per transaction; acks=all).
 */
function produceArgs(client, bootstrap, topic, { acks, records, rate = 0, lingerMs = cfg.lingerMs, batchSize = cfg.batchSize, mode = 'plain' }) {
  if (client === 'librdkafka') {
    const args = [join(ROOT, 'bench/perf_produce.py'), bootstrap, '--topic', topic, '--num', String(records), '--size', String(cfg.recordSize),
      '--acks', acks, '--linger-ms', String(lingerMs), '--batch-size', String(batchSize)];
    if (rate > 0) args.push('--rate', String(rate));
    if (mode === 'idempotent') args.push('--idempotence');
    if (mode === 'transactional') args.push('--transaction-records', String(cfg.txnRecords));
    return [PYTHON, args];
  }
  const args = [CLI, 'perf', 'produce', '--topic', topic, '--num-records', String(records), '--record-size', String(cfg.recordSize),
    '--throughput', String(rate > 0 ? rate : -1), '--bootstrap-server', bootstrap, '--json'];
  if (mode === 'transactional') args.push('--records-per-transaction', String(cfg.txnRecords), '--transaction-duration-ms', '600000');
  args.push('--producer-props', `acks=${acks}`, `linger.ms=${lingerMs}`, `batch.size=${batchSize}`, `enable.idempotence=${mode !== 'plain'}`);
  return [process.execPath, args];
}

function consumeArgs(client, bootstrap, topic, records) {
  if (client === 'librdkafka') return [PYTHON, [join(ROOT, 'bench/perf_consume.py'), bootstrap, '--topic', topic, '--num', String(records)]];
  return [process.execPath, [CLI, 'perf', 'consume', '--topic', topic, '--messages', String(records), '--bootstrap-server', bootstrap,
    '--consumer-props', 'max.partition.fetch.bytes=16777216', 'fetch.max.bytes=67108864', '--json']];
}

/**
 * Writes back dirty pages before a run, so that no run pays for the writeback of the data
 * earlier runs left in the page cache (a full bench writes several GB).
 */
function flushDirtyPages() {
  spawnSync('sync', [], { timeout: 120000 });
}

/**
 * Runs one scenario on every target — interleaved (mock, broker, mock, broker, ...) cfg.repeat
 * times, so that a ratio's numerator and denominator see the same machine load — and keeps
 * each target's best run by `score` (higher is better). On a shared machine the best of a few
 * runs is the least disturbed one; every run's value and the 1-minute load average before it
 * are recorded too.
 * targets: [{ section, run(i) -> { topic, partitions, args }, prepare(topic, partitions), cleanup?(topic) }]
 */
async function scenario(targets, score) {
  const best = new Map();
  for (let i = 0; i < cfg.repeat; i++) {
    for (const t of targets) {
      const { topic, partitions, args } = t.run(i);
      if (topic !== null) await t.prepare(topic, partitions);
      flushDirtyPages();
      const loadavg = round(os.loadavg()[0], 2);
      const r = await drive(args);
      if (topic !== null && t.cleanup !== undefined) await t.cleanup(topic);
      const v = r.ok ? score(r.json) : null;
      const b = best.get(t.section) ?? { best: null, runs: [], loadavgs: [] };
      b.runs.push(v === null ? null : Math.abs(v));
      b.loadavgs.push(loadavg);
      if (b.best === null || (r.ok && (!b.best.ok || v > score(b.best.json)))) b.best = r;
      best.set(t.section, b);
    }
  }
  return new Map([...best].map(([k, b]) => [k, { ...b.best, runs: b.runs, loadavgs: b.loadavgs }]));
}

async function drive([cmd, args]) {
  const r = await runTool(cmd, args);
  const j = r.json;
  const ok = r.code === 0 && j !== null && !(j.errors > 0);
  const error = ok ? undefined : (j?.first_error ?? `exit ${r.code ?? r.signal}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`);
  return { ok, json: j, command: r.command, error };
}

const topicName = (kind, client, partitions, acks) => `${kind}-${client}-p${partitions}-acks${acks}`;

// ---------------------------------------------------------------------------------------------
// Sections

async function loopbackSection() {
  const out = {};
  for (const chunk of [1024, 1 << 20]) {
    const r = await drive([process.execPath, [join(ROOT, 'bench/loopback.mjs'), '--bytes', String(cfg.loopbackBytes), '--chunk', String(chunk)]]);
    const name = chunk === 1024 ? 'loopback 1 KiB writes' : 'loopback 1 MiB writes';
    out[chunk] = r.ok ? r.json.MB_per_s : null;
    figure({ section: 'loopback', name, value: out[chunk], unit: 'MB/s', command: r.command, raw: r.json, error: r.error });
  }
  return { small: out[1024], large: out[1 << 20] };
}

/** Produce throughput on each target for every partitions x acks x client combination. */
async function produceMatrix(targets) {
  for (const partitions of PARTITIONS) {
    for (const acks of ACKS) {
      for (const client of cfg.clients) {
        const results = await scenario(targets.map((t) => ({
          ...t,
          run: (i) => {
            const topic = topicName('tput', client, partitions, acks) + (i > 0 ? `-${i}` : '');
            return { topic, partitions, args: produceArgs(client, t.bootstrap, topic, { acks, records: cfg.records }) };
          },
        })), (j) => j.MB_per_s);
        const ceiling = results.get('mock')?.ok ? results.get('mock').json.MB_per_s : null;
        for (const [section, r] of results) {
          const mbps = r.ok ? r.json.MB_per_s : null;
          figure({
            section, name: `produce ${client} ${partitions}p acks=${acks}`, value: mbps, unit: 'MB/s', client, partitions, acks,
            records_per_s: r.json?.records_per_s ?? null,
            ratio: section !== 'mock' && mbps !== null && ceiling ? round(mbps / ceiling, 2) : null, ratioOf: 'client ceiling',
            runs: r.runs, loadavgs: r.loadavgs, command: r.command, raw: r.json, error: r.error,
          });
        }
      }
    }
  }
}

const EXACTLY_ONCE_MODES = ['plain', 'idempotent', 'transactional'];

/**
 * Exactly-once rows (issues 11 and 12) on the broker: acks=all plain, idempotent and
 * transactional runs of each client interleaved (plain, idempotent, transactional, plain, ...),
 * so the ratios idempotent/plain and transactional/idempotent compare runs of the same moment.
 */
async function exactlyOnceRuns(broker) {
  for (const partitions of PARTITIONS) {
    for (const client of cfg.clients) {
      const results = await scenario(EXACTLY_ONCE_MODES.map((mode) => ({
        section: mode, prepare: broker.prepare, cleanup: broker.cleanup,
        run: (i) => {
          const topic = `eos-${client}-p${partitions}-${mode}` + (i > 0 ? `-${i}` : '');
          return { topic, partitions, args: produceArgs(client, broker.bootstrap, topic, { acks: 'all', records: cfg.records, mode }) };
        },
      })), (j) => j.MB_per_s);
      const mbps = (mode) => (results.get(mode)?.ok ? results.get(mode).json.MB_per_s : null);
      for (const mode of EXACTLY_ONCE_MODES) {
        const r = results.get(mode);
        const value = mbps(mode);
        const base = mode === 'idempotent' ? mbps('plain') : mode === 'transactional' ? mbps('idempotent') : null;
        const label = mode === 'transactional' ? `transactional ${cfg.txnRecords}/txn` : mode;
        figure({
          section: 'broker', name: `produce ${client} ${partitions}p acks=all ${label}`, value, unit: 'MB/s', client, partitions, acks: 'all', mode,
          records_per_s: r.json?.records_per_s ?? null,
          ratio: base && value !== null ? round(value / base, 2) : null, ratioOf: mode === 'idempotent' ? 'plain acks=all' : 'idempotent',
          runs: r.runs, loadavgs: r.loadavgs, command: r.command, raw: r.json, error: r.error,
        });
      }
    }
  }
}

/** Produce latency at fixed rates (acks=all, linger.ms=0) on each target. */
async function latencyRuns(targets) {
  for (const rate of cfg.rates) {
    for (const client of cfg.clients) {
      const records = Math.max(1000, Math.round(rate * cfg.latencySeconds));
      const results = await scenario(targets.map((t) => ({
        ...t,
        run: (i) => {
          const topic = `lat-${client}-${rate}` + (i > 0 ? `-${i}` : '');
          return { topic, partitions: 1, args: produceArgs(client, t.bootstrap, topic, { acks: 'all', records, rate, lingerMs: 0 }) };
        },
      })), (j) => -j.lat_ms_p99);
      for (const [section, r] of results) {
        const j = r.json;
        figure({
          section, name: `latency ${client} ${rate} rec/s acks=all linger 0`, value: r.ok ? j.lat_ms_p99 : null, unit: 'ms p99',
          client, rate, p50: j?.lat_ms_p50 ?? null, p99: j?.lat_ms_p99 ?? null, p999: j?.lat_ms_p999 ?? null, max: j?.lat_ms_max ?? null,
          achieved_rate: j?.records_per_s ?? null, runs: r.runs, loadavgs: r.loadavgs, command: r.command, raw: j, error: r.error,
        });
      }
    }
  }
}

/**
 * Consume from earliest on the broker, each run next to a 1 MiB-write loopback run so the
 * ratio compares figures taken under the same load.
 */
async function consumeRuns(broker, topic) {
  const loopbackArgs = [process.execPath, [join(ROOT, 'bench/loopback.mjs'), '--bytes', String(cfg.loopbackBytes), '--chunk', String(1 << 20)]];
  for (const client of cfg.clients) {
    const results = await scenario([
      { section: 'loopback', prepare: async () => {}, run: () => ({ topic: null, args: loopbackArgs }) },
      { section: 'broker', prepare: async () => {}, run: () => ({ topic, args: consumeArgs(client, broker.bootstrap, topic, cfg.records) }) },
    ], (j) => j.MB_per_s);
    const lb = results.get('loopback');
    const loop = lb?.ok ? lb.json.MB_per_s : null;
    const r = results.get('broker');
    const mbps = r.ok ? r.json.MB_per_s : null;
    figure({
      section: 'broker', name: `consume ${client} 1p from earliest`, value: mbps, unit: 'MB/s', client,
      records_per_s: r.json?.records_per_s ?? null,
      ratio: mbps !== null && loop ? round(mbps / loop, 3) : null, ratioOf: 'loopback 1 MiB writes',
      loopback_MB_per_s: loop, loopback_runs: lb?.runs, runs: r.runs, loadavgs: r.loadavgs, command: r.command, raw: r.json, error: r.error,
    });
  }
}

/** Starts the mock cluster with every topic the runs will use; null when it cannot be built. */
async function startMock() {
  const built = buildMockCluster();
  if ('error' in built) {
    figure({ section: 'mock', name: 'mock cluster', value: null, unit: '', command: 'gcc bench/mock-cluster.c -lrdkafka', error: built.error });
    return null;
  }
  const topics = {};
  for (let i = 0; i < cfg.repeat; i++) {
    const suffix = i > 0 ? `-${i}` : '';
    for (const p of PARTITIONS) for (const a of ACKS) for (const c of cfg.clients) topics[topicName('tput', c, p, a) + suffix] = p;
    for (const rate of cfg.rates) for (const c of cfg.clients) topics[`lat-${c}-${rate}${suffix}`] = 1;
  }
  try {
    const mock = await startMockCluster(built.binary, topics);
    console.log(`mock cluster (${built.command}) -> ${mock.bootstrap}`);
    return { ...mock, stop: async () => { await mock.stop(); built.remove(); } };
  } catch (e) {
    built.remove();
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// The broker

async function loadClientModules() {
  const { KafkaClient } = await import(join(ROOT, 'dist/src/client/kafka-client.js'));
  const { CreateTopics } = await import(join(ROOT, 'dist/src/protocol/messages/create-topics.js'));
  const { DeleteTopics } = await import(join(ROOT, 'dist/src/protocol/messages/delete-topics.js'));
  return { KafkaClient, CreateTopics, DeleteTopics };
}

function brokerArgs(port, dataDir, profile) {
  const args = [];
  if (profile && cfg.cpuProfDir !== null) args.push('--cpu-prof', `--cpu-prof-dir=${cfg.cpuProfDir}`);
  args.push(CLI, 'server', '--override', `listeners=PLAINTEXT://127.0.0.1:${port}`, '--override', `log.dirs=${dataDir}`);
  for (const kv of cfg.brokerOverrides) args.push('--override', kv);
  return args;
}

/**
 * Spawns the broker and times spawn -> first Metadata response (connect, ApiVersions and
 * Metadata are retried every 2 ms until the broker answers).
 */
async function startBrokerTimed(KafkaClient, dataDir, profile = false) {
  const port = await freePort();
  const args = brokerArgs(port, dataDir, profile);
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const bootstrap = `127.0.0.1:${port}`;
  let startupMs = null;
  while (performance.now() - t0 < 20000 && child.exitCode === null) {
    try {
      const client = await KafkaClient.connect(bootstrap, { connectTimeoutMs: 1000, requestTimeoutMs: 5000 });
      try {
        await client.metadata([]);
        startupMs = performance.now() - t0;
      } finally {
        await client.close();
      }
      break;
    } catch {
      await sleep(2);
    }
  }
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
    await exited;
    clearTimeout(timer);
  };
  if (startupMs === null) {
    await stop();
    throw new Error(`broker did not answer Metadata within 20 s: ${output.trim().slice(-500)}`);
  }
  return { child, pid: child.pid, bootstrap, startupMs, command: commandLine(process.execPath, args), stop, output: () => output };
}

/**
 * Deletes a topic once its run is over. The broker removes the files at once, which frees
 * their page cache for reuse: on this VM, buffered writes into page cache that has not been
 * used recently run at ~430 MB/s instead of ~6 GB/s (measured with dd), so without deleting,
 * every run after the first few GB of the bench would be slowed by the machine, not the broker.
 */
async function deleteTopic(KafkaClient, DeleteTopics, bootstrap, name) {
  const client = await KafkaClient.connect(bootstrap);
  try {
    await client.request(DeleteTopics, { topics: [{ name, topicId: Buffer.alloc(16) }], topicNames: [name], timeoutMs: 30000 });
  } finally {
    await client.close();
  }
}

async function createTopic(KafkaClient, CreateTopics, bootstrap, name, partitions) {
  const client = await KafkaClient.connect(bootstrap);
  try {
    const res = await client.request(CreateTopics, {
      topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 10000, validateOnly: false,
    });
    const t = res.topics[0];
    if (t.errorCode !== 0 && t.errorCode !== 36 /* TOPIC_ALREADY_EXISTS */) throw new Error(`CreateTopics ${name}: error ${t.errorCode} ${t.errorMessage ?? ''}`);
    await client.topicMetadata(name, { refresh: true, retries: 50 });
  } finally {
    await client.close();
  }
}

/**
 * Start-up timing, then the load runs against the mock cluster and/or the broker, then (eos)
 * the exactly-once rows on the broker.
 */
async function loadSection() {
  const useBroker = cfg.sections.includes('broker');
  const useEos = cfg.sections.includes('eos');
  const useMock = cfg.sections.includes('mock');
  if ((useBroker || useEos) && !existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const { KafkaClient, CreateTopics, DeleteTopics } = useBroker || useEos ? await loadClientModules() : {};
  const dirs = [];
  const tempDir = () => {
    const d = mkdtempSync(join(os.tmpdir(), 'sherwood-bench-'));
    dirs.push(d);
    return d;
  };
  let broker = null;
  let mock = null;
  const consumeTopic = topicName('tput', cfg.clients[0], 1, '1');
  try {
    if (useBroker) {
      // Start-up: several cold starts on fresh dirs; the median is the figure.
      const times = [];
      let command = '';
      for (let i = 0; i < cfg.startupRuns; i++) {
        const b = await startBrokerTimed(KafkaClient, tempDir());
        times.push(b.startupMs);
        command = b.command;
        await b.stop();
      }
      const sorted = [...times].sort((a, b) => a - b);
      figure({ section: 'broker', name: 'start-up to first Metadata (median)', value: round(sorted[Math.floor(sorted.length / 2)], 1), unit: 'ms',
        runs: times.map((t) => round(t, 1)), command });
    }
    if (useBroker || useEos) {
      broker = await startBrokerTimed(KafkaClient, tempDir(), true);
      console.log(`broker: ${broker.command} (pid ${broker.pid})`);
    }
    if (useMock) mock = await startMock();
    const targets = [];
    if (mock !== null) targets.push({ section: 'mock', bootstrap: mock.bootstrap, prepare: async () => {} });
    let brokerTarget = null;
    if (broker !== null) {
      const b = broker;
      brokerTarget = {
        section: 'broker', bootstrap: b.bootstrap,
        prepare: (topic, partitions) => createTopic(KafkaClient, CreateTopics, b.bootstrap, topic, partitions),
        cleanup: (topic) => (topic === consumeTopic ? Promise.resolve() : deleteTopic(KafkaClient, DeleteTopics, b.bootstrap, topic)),
      };
      if (useBroker) targets.push(brokerTarget);
    }
    let sampler = null;
    if (broker !== null && useBroker) {
      await sleep(1000);
      const idle = memoryOf(broker.pid);
      figure({ section: 'broker', name: 'RSS idle (1 s after start)', value: idle?.rssMB ?? null, unit: 'MB', command: `grep VmRSS /proc/${broker.pid}/status` });
      sampler = sampleRss(broker.pid);
    }
    if (targets.length > 0) {
      await produceMatrix(targets);
      // Consume what the first client's first 1-partition acks=1 run wrote (cfg.records records).
      if (useBroker) await consumeRuns(broker, consumeTopic);
      await latencyRuns(targets);
    }
    if (sampler !== null) {
      const peak = sampler.stop();
      figure({ section: 'broker', name: 'RSS peak under load (sampled 10/s)', value: peak, unit: 'MB', command: `grep VmRSS /proc/${broker.pid}/status` });
      await sleep(2000);
      const after = memoryOf(broker.pid);
      figure({ section: 'broker', name: 'RSS 2 s after load', value: after?.rssMB ?? null, unit: 'MB', hwmMB: after?.hwmMB ?? null, command: `grep VmRSS /proc/${broker.pid}/status` });
    }
    if (brokerTarget !== null && useEos) await exactlyOnceRuns(brokerTarget);
  } catch (e) {
    if (broker !== null && (broker.child.exitCode !== null || broker.child.signalCode !== null)) {
      e.message += `\n  the broker exited (code ${broker.child.exitCode}, signal ${broker.child.signalCode}); its last output:\n${broker.output().trim().split('\n').slice(-30).join('\n')}`;
    }
    throw e;
  } finally {
    if (mock !== null) await mock.stop();
    if (broker !== null) await broker.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Metadata churn (issue 9)

async function metadataSection() {
  const r = await metadataTopicsBench({ count: cfg.metadataTopics, log: (l) => console.log(l) });
  for (const phase of ['create', 'delete']) {
    const p = r[phase];
    figure({ section: 'metadata', name: `${phase} ${r.count} topics: ms/topic, first 500`, value: p.firstMs, unit: 'ms', command: r.command });
    figure({ section: 'metadata', name: `${phase} ${r.count} topics: ms/topic, last 500`, value: p.lastMs, unit: 'ms', ratio: p.ratio, ratioOf: 'first 500', totalS: p.totalS, command: r.command });
  }
}

// ---------------------------------------------------------------------------------------------
// Targets (issues 6 and 9) and output

function find(name) {
  return figures.find((f) => f.name === name && f.section === 'broker') ?? null;
}

function targets() {
  const out = [];
  const add = (target, value, pass) => out.push({ target, measured: value ?? '-', status: value === null || value === undefined ? 'n/a' : pass ? 'PASS' : 'MISS' });
  const p1 = find('produce librdkafka 1p acks=1');
  add('produce 1 KiB acks=1 (librdkafka, 1p) >= 0.6 of client ceiling', p1?.ratio, p1?.ratio >= 0.6);
  for (const client of cfg.clients) {
    for (const p of PARTITIONS) {
      const a1 = find(`produce ${client} ${p}p acks=1`)?.value;
      const aa = find(`produce ${client} ${p}p acks=all`)?.value;
      const r = a1 && aa ? round(aa / a1, 2) : null;
      add(`acks=all within 10% of acks=1 (${client}, ${p}p)`, r === null ? null : `${r}x`, r >= 0.9);
    }
  }
  for (const client of cfg.clients) {
    for (const p of PARTITIONS) {
      const idem = find(`produce ${client} ${p}p acks=all idempotent`);
      add(`idempotent acks=all within 10% of plain acks=all (${client}, ${p}p)`, idem?.ratio === null || idem?.ratio === undefined ? null : `${idem.ratio}x`, idem?.ratio >= 0.9);
      const txn = find(`produce ${client} ${p}p acks=all transactional ${cfg.txnRecords}/txn`);
      out.push({ target: `transactional (${cfg.txnRecords} records/txn) vs idempotent (${client}, ${p}p)`, measured: txn?.ratio === null || txn?.ratio === undefined ? '-' : `${txn.ratio}x`, status: 'info' });
    }
  }
  const c = find('consume librdkafka 1p from earliest');
  add('consume (librdkafka) >= 0.3 of raw loopback (1 MiB writes)', c?.ratio, c?.ratio >= 0.3);
  for (const client of cfg.clients) {
    const l = find(`latency ${client} 10000 rec/s acks=all linger 0`);
    add(`p99 at 10k rec/s linger 0 <= 2 ms (${client})`, l?.value, l?.value <= 2);
  }
  const s = find('start-up to first Metadata (median)');
  add('start-up < 300 ms', s?.value, s?.value < 300);
  const idle = find('RSS idle (1 s after start)');
  add('RSS idle < 80 MB', idle?.value, idle?.value < 80);
  for (const phase of ['create', 'delete']) {
    const m = figures.find((f) => f.section === 'metadata' && f.name.startsWith(`${phase} `) && f.name.endsWith('last 500'));
    add(`metadata: ${phase} ${cfg.metadataTopics} topics one request each, last 500 within 2x the first 500`, m?.ratio === undefined ? null : `${m.ratio}x`, m?.ratio <= 2);
  }
  const rf3 = figures.find((f) => f.section === 'cluster' && f.name.startsWith('produce librdkafka 6p RF=3'));
  add('cluster: RF=3 acks=all >= 0.5 of RF=1 acks=1 (3 brokers, librdkafka 6p)', rf3?.ratio === undefined || rf3?.ratio === null ? null : `${rf3.ratio}x`, rf3?.ratio >= 0.5);
  for (const f of figures.filter((x) => x.section === 'cluster' && (x.name.startsWith('failover') || x.name.startsWith('scale-out') && x.ratio != null))) {
    out.push({ target: f.name, measured: f.ratio != null ? `${f.ratio}x` : f.value ?? '-', status: 'info' });
  }
  const peak = find('RSS peak under load (sampled 10/s)');
  out.push({ target: 'RSS bounded under load (peak MB while loaded; see also RSS after load)', measured: peak?.value ?? '-', status: 'info' });
  return out;
}

async function machine() {
  const py = await runTool(PYTHON, ['-c', 'import confluent_kafka as c, json; print(json.dumps({"confluent_kafka": c.version()[0], "librdkafka": c.libversion()[0]}))']);
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown', cpus: os.cpus().length, memoryGB: round(os.totalmem() / 2 ** 30, 1),
    kernel: os.release(), node: process.version, clients: py.json, loadavg: os.loadavg().map((v) => round(v, 2)),
  };
}

async function main() {
  const host = await machine();
  console.log(`Sherwood bench ${started.toISOString()} on ${host.cpus}x ${host.cpu}, node ${host.node}, librdkafka ${host.clients?.librdkafka}; load avg ${host.loadavg.join(' ')}`);
  console.log(`config: ${JSON.stringify(cfg)}\n`);
  const problems = [];
  const guard = async (name, fn) => {
    if (!cfg.sections.includes(name)) return null;
    try {
      return await fn();
    } catch (e) {
      problems.push(`${name}: ${e.message}`);
      console.log(`  ${name} FAILED: ${e.message}`);
      return null;
    }
  };
  await guard('loopback', loopbackSection);
  await guard('metadata', metadataSection);
  await guard('cluster', () => clusterSection({ records: cfg.records, recordSize: cfg.recordSize, repeat: cfg.repeat, figure, overrides: cfg.brokerOverrides }));
  if (cfg.sections.includes('mock') || cfg.sections.includes('broker') || cfg.sections.includes('eos')) {
    try {
      await loadSection();
    } catch (e) {
      problems.push(`load: ${e.message}`);
      console.log(`  load FAILED: ${e.message}`);
    }
  }

  console.log('\nFigures');
  console.log(table(figures.map((f) => ({
    section: f.section, figure: f.name, value: f.value ?? 'FAILED', unit: f.unit,
    ratio: f.ratio === null || f.ratio === undefined ? '' : `${f.ratio}x ${f.ratioOf}`,
    detail: f.p50 !== undefined ? `p50 ${f.p50} p99.9 ${f.p999} max ${f.max} ms @ ${f.achieved_rate}/s` : f.records_per_s ? `${f.records_per_s} rec/s` : '',
  }))));
  const t = targets();
  console.log('\nTargets (issues 6, 9, 11, 12 and 13)');
  console.log(table(t));
  const finished = new Date();
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${stamp}.json`);
  writeFileSync(file, JSON.stringify({ started: started.toISOString(), finished: finished.toISOString(), machine: host, config: cfg, figures, targets: t, problems }, null, 2) + '\n');
  console.log(`\nwrote ${file} (${round((finished - started) / 1000, 1)} s)`);
  if (problems.length > 0) console.log(`problems:\n  ${problems.join('\n  ')}`);
  return problems.length > 0 ? 1 : 0;
}

process.exitCode = await main();
