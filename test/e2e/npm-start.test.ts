/**
 * `npm start` behaves like a server: it builds only when the sources changed (a second start
 * is ready in under 1.5 s), SIGTERM to the npm process stops the broker (nothing of the process
 * tree is left, nothing listens), and Ctrl-C (SIGINT to the whole process group) is one clean
 * shutdown. Runs the real npm in this checkout, with a temp data dir and port.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, freePort, tempDir } from '../helpers/broker.js';
import { until } from '../helpers/wait.js';
import net from 'node:net';

interface Started { npm: ChildProcess; readyMs: number; output(): string; exited: Promise<number | null> }

async function npmStart(port: number, dataDir: string, timeoutMs: number): Promise<Started> {
  const t0 = performance.now();
  const npm = spawn('npm', ['start', '--', '--override', `listeners=PLAINTEXT://127.0.0.1:${port}`, '--override', `log.dirs=${dataDir}`],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
  const ready = new Promise<number>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d;
      if (out.includes(`listening on 127.0.0.1:${port}`)) resolve(performance.now() - t0);
    };
    npm.stdout!.on('data', onData);
    npm.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`npm start exited (${code}) before the broker was ready:\n${out}`)));
    setTimeout(() => reject(new Error(`npm start not ready after ${timeoutMs} ms:\n${out}`)), timeoutMs).unref();
  });
  return { npm, readyMs: await ready, output: () => out, exited };
}

/** Every process whose parent chain leads to `root` (from /proc). */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const [child, p] of parent) if (p === pid) { out.push(child); walk(child); }
  };
  walk(root);
  return out;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const listening = (port: number): Promise<boolean> => new Promise((resolve) => {
  const s = net.connect({ host: '127.0.0.1', port });
  s.once('connect', () => { s.destroy(); resolve(true); });
  s.once('error', () => resolve(false));
});

/** After a stop: within 10 s, none of `pids` is alive and nothing listens on `port`. */
async function assertGone(pids: number[], port: number, output: () => string): Promise<void> {
  let left: number[] = [];
  let open = false;
  try {
    await until('the process tree to exit and the port to close', async () => {
      left = pids.filter(alive);
      open = await listening(port);
      return left.length === 0 && !open;
    }, { timeoutMs: 10_000, intervalMs: 100, detail: () => `still alive: ${left.join(', ')}; port ${port} ${open ? 'still listening' : 'closed'}\n${output()}` });
  } catch (err) {
    for (const p of left) process.kill(p, 'SIGKILL');
    throw err;
  }
}

test('npm start: SIGTERM to npm stops the broker; a second start builds nothing and is ready in < 1.5 s; Ctrl-C is one clean stop',
  { timeout: 240_000 }, async (t) => {
    const dir = tempDir('sherwood-npm-start-');
    const port = await freePort();
    try {
      // The first start may build (sources newer than dist/).
      const first = await npmStart(port, dir.path, 180_000);
      const tree = [first.npm.pid!, ...descendants(first.npm.pid!)];
      assert.ok(tree.length >= 2, `npm and the broker: ${tree.join(', ')}`);
      process.kill(first.npm.pid!, 'SIGTERM');
      await first.exited;
      await assertGone(tree, port, first.output);
      assert.match(first.output(), /SIGTERM received, shutting down/);
      assert.match(first.output(), /broker stopped/);

      // Nothing changed: no build, and ready quickly.
      const second = await npmStart(port, dir.path, 30_000);
      assert.doesNotMatch(second.output(), /building dist/);
      assert.ok(second.readyMs < 1500, `second npm start ready in ${Math.round(second.readyMs)} ms (limit 1500)`);
      const tree2 = [second.npm.pid!, ...descendants(second.npm.pid!)];
      // Ctrl-C in a terminal: SIGINT to every process of the foreground group.
      process.kill(-second.npm.pid!, 'SIGINT');
      await second.exited;
      await assertGone(tree2, port, second.output);
      assert.match(second.output(), /SIGINT received, shutting down/);
      assert.doesNotMatch(second.output(), /without a clean shutdown/);
      assert.match(second.output(), /broker stopped/);

      // Both shutdowns were clean: the log dir has Kafka's clean-shutdown marker.
      assert.ok(existsSync(join(dir.path, '.kafka_cleanshutdown')));
      t.diagnostic(`second npm start ready in ${Math.round(second.readyMs)} ms`);
    } finally {
      dir.remove();
    }
  });
