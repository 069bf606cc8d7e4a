#!/usr/bin/env node
// `npm run cluster [-- --brokers 3 --base-port 9092 --etcd-port 2379 --data-dir DIR --from-source]`:
// a local cluster in one command (docs/cluster.md): an etcd (the Debian etcd-server package's
// /usr/bin/etcd, or $SHERWOOD_ETCD) with its data in a temp dir, and N `sherwood server`
// processes on 127.0.0.1:<base-port>.. with node.id 1..N, all on etcd.connect
// 127.0.0.1:<etcd-port>/sherwood. Ctrl-C (SIGINT) or SIGTERM stops the brokers (SIGTERM, a
// clean shutdown each), then etcd, then removes the temp dir (kept with --data-dir DIR).
//
// The children run in their own process groups, so the terminal's Ctrl-C reaches only this
// process and the order above holds (brokers leave the cluster while etcd is still up). If
// this process is killed with SIGKILL the children keep running; their pids are printed.
// Brokers run dist/ (built first if stale, as `npm start`) or, with --from-source, src/
// through tsx (what the tests use). Like scripts/start.mjs, the death of the `sh -c` that
// npm starts us with counts as SIGTERM (dash does not forward npm's signals).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, build, staleReason } from './build.mjs';

const parent = process.ppid;

function usage(msg) {
  process.stderr.write(`cluster: ${msg}\nusage: npm run cluster -- [--brokers N] [--base-port P] [--etcd-port P] [--data-dir DIR] [--from-source]\n`);
  process.exit(2);
}

const opts = { brokers: 3, basePort: 9092, etcdPort: 2379, dataDir: null, fromSource: false };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const int = () => {
    const v = Number(argv[++i]);
    if (!Number.isInteger(v) || v <= 0) usage(`${a} needs a positive integer`);
    return v;
  };
  if (a === '--brokers') opts.brokers = int();
  else if (a === '--base-port') opts.basePort = int();
  else if (a === '--etcd-port') opts.etcdPort = int();
  else if (a === '--data-dir') opts.dataDir = argv[++i] ?? usage('--data-dir needs a path');
  else if (a === '--from-source') opts.fromSource = true;
  else if (a === '--help' || a === '-h') usage('a local Sherwood cluster on etcd');
  else usage(`unknown option ${a}`);
}

const etcdBinary = process.env.SHERWOOD_ETCD ?? '/usr/bin/etcd';
if (!existsSync(etcdBinary)) usage(`${etcdBinary} not found: apt-get install etcd-server, or set SHERWOOD_ETCD`);

let brokerCommand;
if (opts.fromSource) {
  brokerCommand = [process.execPath, '--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts')];
} else {
  const reason = staleReason();
  if (reason !== null) {
    process.stderr.write(`cluster: building dist/ (${reason})\n`);
    if (build() !== 0) usage('the build failed');
  }
  brokerCommand = [process.execPath, join(ROOT, 'dist', 'src', 'cli', 'main.js')];
}

const keep = opts.dataDir !== null;
const base = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'sherwood-cluster-'));
mkdirSync(base, { recursive: true });
const children = [];
let stopping = false;

function start(name, cmd, args) {
  const child = spawn(cmd, args, { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = `[${name}] `;
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream.on('data', (d) => {
      const lines = (partial + d).split('\n');
      partial = lines.pop();
      for (const l of lines) process.stdout.write(prefix + l + '\n');
    });
  }
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  exited.then(({ code, signal }) => {
    if (!stopping) {
      process.stderr.write(`cluster: ${name} exited (${signal ?? code}); stopping the cluster\n`);
      void stop(1);
    }
  });
  const c = { name, child, exited };
  children.push(c);
  return c;
}

function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

async function waitFor(port, what, c) {
  const deadline = Date.now() + 60_000;
  while (!(await canConnect(port))) {
    if (c.child.exitCode !== null || stopping) throw new Error(`${what} exited before accepting connections`);
    if (Date.now() > deadline) throw new Error(`${what} did not accept connections on ${port} within 60 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stop(exitCode) {
  if (stopping) return;
  stopping = true;
  process.stdout.write('cluster: stopping the brokers, then etcd\n');
  const brokers = children.filter((c) => c.name !== 'etcd');
  for (const c of brokers) if (c.child.exitCode === null) c.child.kill('SIGTERM');
  await Promise.all(brokers.map((c) => c.exited));
  const etcd = children.find((c) => c.name === 'etcd');
  if (etcd !== undefined && etcd.child.exitCode === null) {
    etcd.child.kill('SIGTERM');
    await etcd.exited;
  }
  if (!keep) rmSync(base, { recursive: true, force: true });
  process.stdout.write('cluster: stopped\n');
  process.exit(exitCode);
}

for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => { void stop(0); });
setInterval(() => { if (process.ppid !== parent) void stop(0); }, 200).unref();

const etcdUrl = `http://127.0.0.1:${opts.etcdPort}`;
const peerUrl = `http://127.0.0.1:${opts.etcdPort + 1}`;
const etcd = start('etcd', etcdBinary, [
  '--name', 'sherwood', '--data-dir', join(base, 'etcd'),
  '--listen-client-urls', etcdUrl, '--advertise-client-urls', etcdUrl,
  '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl,
  '--initial-cluster', `sherwood=${peerUrl}`, '--log-level', 'warn', '--logger', 'zap',
]);
try {
  await waitFor(opts.etcdPort, 'etcd', etcd);
  const started = [];
  for (let id = 1; id <= opts.brokers; id++) {
    const port = opts.basePort + id - 1;
    const b = start(`broker ${id}`, brokerCommand[0], [...brokerCommand.slice(1), 'server',
      '--override', `node.id=${id}`,
      '--override', `listeners=PLAINTEXT://127.0.0.1:${port}`,
      '--override', `log.dirs=${join(base, `broker-${id}`)}`,
      '--override', `etcd.connect=127.0.0.1:${opts.etcdPort}/sherwood`,
    ]);
    started.push({ id, port, b });
  }
  for (const { id, port, b } of started) await waitFor(port, `broker ${id}`, b);
  const bootstrap = started.map((s) => `127.0.0.1:${s.port}`).join(',');
  process.stdout.write(`cluster: ready: etcd ${etcdUrl} (pid ${etcd.child.pid}), brokers ${started.map((s) => `${s.id}@127.0.0.1:${s.port} (pid ${s.b.child.pid})`).join(', ')}\n`);
  process.stdout.write(`cluster: bootstrap servers ${bootstrap}; data in ${base}; Ctrl-C stops everything\n`);
} catch (err) {
  process.stderr.write(`cluster: ${err.message}\n`);
  await stop(1);
}
