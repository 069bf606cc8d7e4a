#!/usr/bin/env node
/**
 * Metadata churn: creates and then deletes N topics (default 10,000), one CreateTopics /
 * DeleteTopics request per topic, against a broker on a real temp dir (`node dist/src/cli/main.js
 * server`, log.level=warn), through Sherwood's own client on one connection. Prints the time per
 * topic of the first and last 500 of each phase and their ratio: a change must cost the same
 * with 10,000 topics as with none (issue 9's target: last 500 within 2x the first 500). Before
 * the metadata journal, creating slowed from 8 to 38 ms per topic and deleting 10,000 took 458 s.
 *
 *   npm run build && node bench/metadata-topics.mjs [count]
 *
 * `npm run bench` runs it as its `metadata` section (BENCH_METADATA_TOPICS sets the count).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, commandLine, freePort, round, sleep } from './lib.mjs';

const CLI = join(ROOT, 'dist/src/cli/main.js');
const WINDOW = 500;

async function startBroker(dataDir) {
  const port = await freePort();
  const args = [CLI, 'server', '--override', `listeners=PLAINTEXT://127.0.0.1:${port}`, '--override', `log.dirs=${dataDir}`, '--override', 'log.level=warn'];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => { output = (output + d).slice(-4000); });
  child.stderr.on('data', (d) => { output = (output + d).slice(-4000); });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
    await exited;
    clearTimeout(timer);
  };
  return { child, bootstrap: `127.0.0.1:${port}`, command: commandLine(process.execPath, args), stop, output: () => output };
}

async function connect(KafkaClient, broker) {
  const t0 = performance.now();
  for (;;) {
    try {
      return await KafkaClient.connect(broker.bootstrap, { connectTimeoutMs: 1000, requestTimeoutMs: 60000 });
    } catch (e) {
      if (broker.child.exitCode !== null || performance.now() - t0 > 20000) throw new Error(`broker did not start: ${e.message}\n${broker.output()}`);
      await sleep(5);
    }
  }
}

function windows(times) {
  const sum = (xs) => xs.reduce((a, b) => a + b, 0);
  const first = sum(times.slice(0, WINDOW)) / Math.min(WINDOW, times.length);
  const last = sum(times.slice(-WINDOW)) / Math.min(WINDOW, times.length);
  return { firstMs: round(first, 3), lastMs: round(last, 3), ratio: round(last / first, 2), totalS: round(sum(times) / 1000, 1) };
}

/** Runs the churn; returns per-phase figures ({ firstMs, lastMs, ratio, totalS }) and the broker command. */
export async function metadataTopicsBench({ count = 10000, log = () => {} } = {}) {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const { KafkaClient } = await import(pathToFileURL(join(ROOT, 'dist/src/client/kafka-client.js')).href);
  const { CreateTopics } = await import(pathToFileURL(join(ROOT, 'dist/src/protocol/messages/create-topics.js')).href);
  const { DeleteTopics } = await import(pathToFileURL(join(ROOT, 'dist/src/protocol/messages/delete-topics.js')).href);
  const dataDir = mkdtempSync(join(os.tmpdir(), 'sherwood-bench-metadata-'));
  const broker = await startBroker(dataDir);
  try {
    const client = await connect(KafkaClient, broker);
    try {
      const name = (i) => `bench-topic-${String(i).padStart(6, '0')}`;
      const create = [];
      for (let i = 0; i < count; i++) {
        const t0 = performance.now();
        const r = await client.request(CreateTopics, { topics: [{ name: name(i), numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 30000, validateOnly: false });
        create.push(performance.now() - t0);
        if (r.topics[0].errorCode !== 0) throw new Error(`CreateTopics ${name(i)}: error ${r.topics[0].errorCode} ${r.topics[0].errorMessage ?? ''}`);
        if ((i + 1) % 2000 === 0) log(`  created ${i + 1}`);
      }
      const del = [];
      for (let i = 0; i < count; i++) {
        const t0 = performance.now();
        const r = await client.request(DeleteTopics, { topicNames: [name(i)], topics: [{ name: name(i), topicId: Buffer.alloc(16) }], timeoutMs: 30000 });
        del.push(performance.now() - t0);
        if (r.responses[0].errorCode !== 0) throw new Error(`DeleteTopics ${name(i)}: error ${r.responses[0].errorCode}`);
        if ((i + 1) % 2000 === 0) log(`  deleted ${i + 1}`);
      }
      return { count, create: windows(create), delete: windows(del), command: broker.command };
    } finally {
      await client.close();
    }
  } catch (e) {
    e.message += `\n  broker output: ${broker.output().trim().slice(-1000)}`;
    throw e;
  } finally {
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const count = Number(process.argv[2] ?? 10000);
  const r = await metadataTopicsBench({ count, log: (l) => console.log(l) });
  console.log(`broker: ${r.command}`);
  for (const phase of ['create', 'delete']) {
    const p = r[phase];
    console.log(`${phase} ${count} topics, one request each: first ${WINDOW} ${p.firstMs} ms/topic, last ${WINDOW} ${p.lastMs} ms/topic, ratio ${p.ratio}x (target <= 2), total ${p.totalS} s`);
  }
}
