#!/usr/bin/env node
// Measures which API versions each real client sends against Sherwood and prints the
// API × version × client matrix as Markdown (for docs/compatibility.md).
//
// One in-process broker (in-memory storage) with a version recorder on its handlers; each
// client's workload (test/helpers/version-recorder.ts) runs in turn and fills one column.
// A client that is not installed gets no column and a note on stderr; a workload that fails
// makes the run exit 1, so a published matrix only lists versions that worked end to end.
//
// With --tests, it also runs test files (all of test/, or those whose path contains one of the
// comma-separated substrings) with a recorder preloaded into every test process, and prints, for
// each advertised version no real client sent, which test files exercise it. Brokers that tests
// spawn as child processes are not seen.
//
// Usage: node --import tsx scripts/compat-matrix.mjs [client-substring ...] [--tests[=a,b]]
import { readdirSync, statSync, readFileSync, rmSync } from 'node:fs';
import { join, basename, dirname } from 'node:path';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { startTestBroker } = await import('../test/helpers/broker.ts');
const { countingTransport } = await import('../test/helpers/broker-events.ts');
const rec = await import('../test/helpers/version-recorder.ts');

const args = process.argv.slice(2);
const testsArg = args.find((a) => a === '--tests' || a.startsWith('--tests='));
const wanted = args.filter((a) => !a.startsWith('--')).map((s) => s.toLowerCase());
const workloads = rec.CLIENT_WORKLOADS.filter((w) => wanted.length === 0 || wanted.some((s) => w.client.toLowerCase().includes(s)));

const connections = countingTransport();
const b = await startTestBroker({ overrides: rec.WORKLOAD_OVERRIDES, transport: connections });
const columns = [];
const notes = [];
let advertised;
let failed = false;
try {
  const recorder = rec.VersionRecorder.attach(b);
  for (const w of workloads) {
    const version = w.version();
    if (version === null) {
      console.error(`${w.client}: not installed, skipped`);
      continue;
    }
    const started = Date.now();
    try {
      const m = await rec.measure(b, recorder, w, connections);
      columns.push({ client: `${w.client} ${version}`, versions: m.versions });
      notes.push(`- **${w.client} ${version}**: ${w.does}. Fetch \`sessionEpoch\`: ${[...m.fetchSessions].join(', ') || 'no Fetch'}.`);
      console.error(`${w.client}: ${((Date.now() - started) / 1000).toFixed(1)} s, facts ${JSON.stringify(m.facts)}`);
    } catch (err) {
      failed = true;
      console.error(`${w.client}: FAILED: ${err instanceof Error ? err.stack : err}`);
    }
  }
  advertised = rec.advertisedApis(b);
} finally {
  await b.close();
}

console.log(`Measured ${new Date().toISOString().slice(0, 10)} with \`node --import tsx scripts/compat-matrix.mjs\`.\n`);
console.log(rec.renderMatrix(advertised, columns));
console.log('\n¹ No real client sent this API.\n');
console.log(notes.join('\n'));
const gaps = rec.unexercisedVersions(advertised, columns);

if (testsArg === undefined) {
  console.log('\nAdvertised versions no real client sent:\n');
  for (const [api, vs] of gaps) console.log(`- ${api}: ${rec.formatVersionSet(vs)}`);
} else {
  const filters = testsArg.includes('=') ? testsArg.slice('--tests='.length).split(',').filter(Boolean) : [];
  const byFile = runTestsRecording(filters);
  console.log('\nAdvertised versions no real client sent, and the test files that send them (measured with `--tests`):\n');
  console.log('| API | not sent by a client | exercised by tests | exercised by nothing |');
  console.log('|---|---|---|---|');
  for (const [api, missing] of gaps) {
    const hits = [];
    const covered = new Set();
    for (const [file, versions] of byFile) {
      const vs = (versions[api] ?? []).filter((v) => missing.includes(v));
      if (vs.length === 0) continue;
      vs.forEach((v) => covered.add(v));
      hits.push(`${file} ${rec.formatVersionSet(vs)}`);
    }
    const nothing = missing.filter((v) => !covered.has(v));
    console.log(`| ${api} | ${rec.formatVersionSet(missing)} | ${hits.join('; ') || '—'} | ${nothing.length > 0 ? `**${rec.formatVersionSet(nothing)}**` : '—'} |`);
  }
}
process.exit(failed ? 1 : 0);

/** Runs test files with the process recorder preloaded; returns test-file name → { api: versions }. */
function runTestsRecording(filters) {
  const walk = (dir) => readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : name.endsWith('.test.ts') ? [p] : [];
  });
  const files = walk(join(ROOT, 'test')).sort().filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
  const logFile = join(tmpdir(), `sherwood-compat-${process.pid}.jsonl`);
  rmSync(logFile, { force: true });
  const hook = `data:text/javascript,const m = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'test/helpers/version-recorder.ts')).href)}); await m.recordProcessVersions(${JSON.stringify(logFile)});`;
  console.error(`running ${files.length} test files with the version recorder ...`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--import', hook, '--test', `--test-concurrency=${process.env.TEST_CONCURRENCY ?? '2'}`, '--test-timeout=180000', ...files],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) console.error(`some tests failed (exit ${r.status}); their versions are still counted`);
  const byFile = new Map();
  let text = '';
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    // no test process started a broker
  }
  rmSync(logFile, { force: true });
  for (const line of text.split('\n').filter(Boolean)) {
    const { file, versions } = JSON.parse(line);
    byFile.set(basename(file).replace(/\.test\.ts$/, ''), versions);
  }
  return new Map([...byFile].sort(([x], [y]) => x.localeCompare(y)));
}
