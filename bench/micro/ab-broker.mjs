/**
 * Side-by-side A/B of two broker builds in one run, for optimisation work on a shared machine.
 *
 *   node bench/micro/ab-broker.mjs A_DIST B_DIST [scenario...]
 *
 * Produce topics are deleted right after their run (as bench/run.mjs does).
 * A_DIST / B_DIST are build output directories (each holding src/cli/main.js, e.g. `dist` and a
 * copy of an older build made with `npx tsc -p tsconfig.build.json --outDir /tmp/old/dist`, with
 * node_modules reachable from it). Both brokers run at once on fresh temp dirs; every scenario
 * runs alternately against A and B (A, B, A, B, ...) AB_REPEAT times (default 3), with `sync`
 * before each run, and the best and all runs are printed. Scenarios (default: all):
 *   consume    librdkafka (bench/perf_consume.py) reads AB_RECORDS (300000) 1 KiB records from
 *              earliest; also a 1 MiB-write loopback run next to each pair (ratio denominator)
 *   produce1   librdkafka acks=1, 1 partition, linger.ms=5, batch.size=1 MiB
 *   produceall the same with acks=all
 *   latency    librdkafka acks=all, linger.ms=0, 10k records/s for AB_LATENCY_SECONDS (5) s: p99
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import { join, resolve } from 'node:path';
import { freePort, PYTHON, ROOT, runTool, sleep } from '../lib.mjs';

const [aDist, bDist, ...wanted] = process.argv.slice(2);
if (bDist === undefined) {
  console.error('usage: node bench/micro/ab-broker.mjs A_DIST B_DIST [consume|produce1|produceall|latency ...]');
  process.exit(2);
}
const scenarios = wanted.length > 0 ? wanted : ['consume', 'produce1', 'produceall', 'latency'];
const REPEAT = Number(process.env.AB_REPEAT ?? 3);
const RECORDS = Number(process.env.AB_RECORDS ?? 300000);
const LATENCY_SECONDS = Number(process.env.AB_LATENCY_SECONDS ?? 5);

let modules = null;
/** Deletes a topic after its run so its page cache is reused (see docs/performance.md, "Noise"). */
async function deleteTopic(b, name) {
  modules ??= {
    KafkaClient: (await import(join(resolve(bDist), 'src/client/kafka-client.js'))).KafkaClient,
    DeleteTopics: (await import(join(resolve(bDist), 'src/protocol/messages/delete-topics.js'))).DeleteTopics,
  };
  const client = await modules.KafkaClient.connect(b.bootstrap);
  try {
    await client.request(modules.DeleteTopics, { topics: [{ name, topicId: Buffer.alloc(16) }], topicNames: [name], timeoutMs: 30000 });
  } finally {
    await client.close();
  }
}

async function startBroker(dist) {
  const port = await freePort();
  const dir = mkdtempSync(join(os.tmpdir(), 'sherwood-ab-'));
  const args = [join(resolve(dist), 'src/cli/main.js'), 'server', '--override', `listeners=PLAINTEXT://127.0.0.1:${port}`, '--override', `log.dirs=${dir}`];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const bootstrap = `127.0.0.1:${port}`;
  for (let i = 0; i < 500; i++) {
    const ok = await new Promise((res) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); res(true); });
      s.once('error', () => res(false));
    });
    if (ok) break;
    await sleep(20);
  }
  return {
    bootstrap, dist, pid: child.pid,
    stop: async () => { child.kill('SIGTERM'); await new Promise((r) => child.once('exit', r)); rmSync(dir, { recursive: true, force: true }); },
  };
}

function produce(b, topic, acks, { rate = 0, linger = 5, num = RECORDS } = {}) {
  const args = [join(ROOT, 'bench/perf_produce.py'), b.bootstrap, '--topic', topic, '--num', String(num), '--size', '1024',
    '--acks', acks, '--linger-ms', String(linger), '--batch-size', '1048576'];
  if (rate > 0) args.push('--rate', String(rate));
  return runTool(PYTHON, args);
}

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid) {
  const f = spawnSync('cat', [`/proc/${pid}/stat`], { encoding: 'utf8' }).stdout;
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) / 100, sys: Number(fields[12]) / 100, minflt: Number(fields[7]) };
}

function rss(pid) {
  const m = spawnSync('grep', ['VmRSS', `/proc/${pid}/status`], { encoding: 'utf8' }).stdout.match(/(\d+)/);
  return m ? Math.round(Number(m[1]) / 1024) : null;
}

async function main() {
  const brokers = [await startBroker(aDist), await startBroker(bDist)];
  const label = (i) => (i === 0 ? `A ${aDist}` : `B ${bDist}`);
  console.log(`RSS idle: A ${rss(brokers[0].pid)} MB, B ${rss(brokers[1].pid)} MB`);
  try {
    for (const sc of scenarios) {
      const runs = [[], []];
      const cpu = [[], []];
      const loop = [];
      let seq = 0;
      if (sc === 'consume') {
        for (const b of brokers) {
          const r = await produce(b, 'ab-consume', '1');
          if (r.code !== 0) throw new Error(`fill failed: ${r.stderr}`);
        }
      }
      for (let i = 0; i < REPEAT; i++) {
        if (sc === 'consume') {
          spawnSync('sync');
          const l = await runTool(process.execPath, [join(ROOT, 'bench/loopback.mjs'), '--bytes', '1e9', '--chunk', String(1 << 20)]);
          loop.push(l.json?.MB_per_s ?? null);
        }
        for (let k = 0; k < 2; k++) {
          const b = brokers[(i % 2 === 0) ? k : 1 - k];
          const idx = brokers.indexOf(b);
          spawnSync('sync');
          let v = null;
          const cpu0 = cpuSeconds(b.pid);
          const t0 = performance.now();
          if (sc === 'consume') {
            const r = await runTool(PYTHON, [join(ROOT, 'bench/perf_consume.py'), b.bootstrap, '--topic', 'ab-consume', '--num', String(RECORDS)]);
            v = r.json?.MB_per_s ?? null;
          } else if (sc === 'produce1' || sc === 'produceall') {
            const topic = `ab-${sc}-${seq++}`;
            const r = await produce(b, topic, sc === 'produce1' ? '1' : 'all');
            v = r.json?.MB_per_s ?? null;
            await deleteTopic(b, topic);
          } else if (sc === 'latency') {
            const topic = `ab-lat-${seq++}`;
            const r = await produce(b, topic, 'all', { rate: 10000, linger: 0, num: 10000 * LATENCY_SECONDS });
            await deleteTopic(b, topic);
            v = r.json?.lat_ms_p99 ?? null;
            if (v === null && r.json) v = JSON.stringify(r.json).slice(0, 200);
          }
          runs[idx].push(v);
          const cpu1 = cpuSeconds(b.pid);
          cpu[idx].push(`${(cpu1.user - cpu0.user).toFixed(2)}u+${(cpu1.sys - cpu0.sys).toFixed(2)}s/${((performance.now() - t0) / 1000).toFixed(2)}s,${cpu1.minflt - cpu0.minflt}flt`);
        }
      }
      const best = (xs) => (sc === 'latency' ? Math.min(...xs.filter((x) => typeof x === 'number')) : Math.max(...xs.filter((x) => typeof x === 'number')));
      console.log(`${sc}: ${label(0)} best ${best(runs[0])} runs ${JSON.stringify(runs[0])} | ${label(1)} best ${best(runs[1])} runs ${JSON.stringify(runs[1])}` +
        ` | broker cpu/wall A ${cpu[0].join(' ')} B ${cpu[1].join(' ')}` +
        (loop.length ? ` | loopback 1MiB ${JSON.stringify(loop)} (load ${os.loadavg()[0].toFixed(2)})` : ` (load ${os.loadavg()[0].toFixed(2)})`));
    }
    console.log(`RSS after: A ${rss(brokers[0].pid)} MB, B ${rss(brokers[1].pid)} MB`);
  } finally {
    for (const b of brokers) await b.stop();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
