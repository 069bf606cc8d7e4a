/**
 * Builds bench/mock-cluster.c (librdkafka's in-memory mock cluster, the "do-nothing broker")
 * into a temp dir and starts it. Needs gcc and librdkafka-dev; returns null when they are
 * missing so the bench can skip the client-ceiling baseline instead of failing.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'mock-cluster.c');

/** @returns {{ binary: string, command: string, remove(): void } | { error: string }} */
export function buildMockCluster() {
  const dir = mkdtempSync(join(tmpdir(), 'sherwood-bench-mock-'));
  const binary = join(dir, 'mock-cluster');
  const args = ['-O2', '-Wall', '-o', binary, SOURCE, '-lrdkafka'];
  const r = spawnSync('gcc', args, { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return { error: `gcc failed: ${r.error?.message ?? r.stderr}` };
  }
  return { binary, command: `gcc ${args.join(' ')}`, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Starts the mock cluster with the given topics ({ name: partitions }); resolves once it
 * printed its bootstrap address. stop() closes its stdin, which makes it exit.
 */
export async function startMockCluster(binary, topics) {
  const args = Object.entries(topics).map(([name, n]) => `${name}:${n}`);
  const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  const bootstrap = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill(); reject(new Error(`mock cluster did not start within 60 s: ${out}`)); }, 60000);
    const onData = (d) => {
      out += d;
      const m = /BOOTSTRAP=(\S+)/.exec(out);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d) => { out += d; });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`mock cluster exited ${code}: ${out}`)); });
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    bootstrap,
    pid: child.pid,
    command: `${binary} ${args.join(' ')}`,
    async stop() {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
