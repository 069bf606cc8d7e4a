#!/usr/bin/env node
// Runs the test suite with node's test runner (TypeScript through tsx), in two tiers:
//   fast  test/unit, test/protocol, test/storage, test/coordinator: in-process, no real
//         clients or child processes; seconds.
//   e2e   test/e2e, test/issues, test/cluster (several brokers in one process): real brokers, real clients (kafka-python, librdkafka,
//         KafkaJS, @platformatic/kafka, kcat), child processes, SIGKILL; minutes.
// Usage: node scripts/run-tests.mjs [--tier fast|e2e|all] [path-substring ...]
// `npm test` runs the fast tier first and stops there if it fails, then the e2e tier.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const TIERS = {
  fast: ['test/unit', 'test/protocol', 'test/storage', 'test/coordinator'],
  e2e: ['test/e2e', 'test/issues', 'test/cluster'],
};

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const args = process.argv.slice(2);
let tier = 'all';
const filters = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--tier') tier = args[++i];
  else filters.push(args[i]);
}
if (tier !== 'all' && !(tier in TIERS)) {
  console.error(`unknown tier '${tier}' (fast, e2e or all)`);
  process.exit(1);
}
const all = walk('test').sort();
const tierOf = (f) => Object.keys(TIERS).find((t) => TIERS[t].some((d) => f.startsWith(`${d}/`)));
const orphans = all.filter((f) => tierOf(f) === undefined);
if (orphans.length > 0) {
  console.error(`test files outside every tier (add their folder to scripts/run-tests.mjs): ${orphans.join(', ')}`);
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const tiers = tier === 'all' ? Object.keys(TIERS) : [tier];
const selected = (t) => all.filter((f) => tierOf(f) === t && (filters.length === 0 || filters.some((s) => f.includes(s))));
if (tiers.every((t) => selected(t).length === 0)) {
  console.error('no test files matched');
  process.exit(1);
}
for (const t of tiers) {
  const files = selected(t);
  if (files.length === 0) continue;
  const started = Date.now();
  console.log(`# tier ${t}: ${files.length} files`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=180000', ...files], { stdio: 'inherit' });
  console.log(`# tier ${t}: ${r.status === 0 ? 'passed' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (r.status !== 0) process.exit(r.status ?? 1);
}
