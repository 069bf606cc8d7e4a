/**
 * Starting brokers for tests: in-process (startBroker, port 0, in-memory or temp-dir storage)
 * and as a real child process (for SIGKILL durability tests).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { startBroker, type StartBrokerOptions, type RunningBroker } from '../../src/index.js';
import { until } from './wait.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function tempDir(prefix = 'sherwood-test-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Starts an in-process broker on a free port; in-memory storage unless dataDir is given. */
export async function startTestBroker(options: Partial<StartBrokerOptions> = {}): Promise<RunningBroker> {
  return startBroker({ host: '127.0.0.1', port: 0, inMemory: options.dataDir === undefined, logLevel: 'warn', ...options });
}

/** Runs fn with a fresh broker and always closes it. */
export async function withBroker<T>(fn: (b: RunningBroker) => Promise<T>, options: Partial<StartBrokerOptions> = {}): Promise<T> {
  const b = await startTestBroker(options);
  try {
    return await fn(b);
  } finally {
    await b.close();
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export interface BrokerProcess {
  child: ChildProcess;
  port: number;
  bootstrap: string;
  output(): string;
  /** SIGKILL, then wait for exit. */
  kill9(): Promise<void>;
  /** SIGTERM (clean shutdown), then wait for exit. */
  stop(): Promise<void>;
}

/** Spawns `sherwood server` as a real process with tsx and waits until it accepts connections. */
export async function spawnBroker(dataDir: string, port?: number, overrides: Record<string, string> = {}): Promise<BrokerProcess> {
  const p = port ?? (await freePort());
  const args = ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'server',
    '--override', `listeners=PLAINTEXT://127.0.0.1:${p}`,
    '--override', `log.dirs=${dataDir}`];
  for (const [k, v] of Object.entries(overrides)) args.push('--override', `${k}=${v}`);
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await until('the broker to accept connections', async () => {
      if (child.exitCode !== null) throw new Error(`broker exited early: ${out}`);
      return canConnect(p);
    }, { timeoutMs: 20_000, intervalMs: 50, detail: () => out });
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    child,
    port: p,
    bootstrap: `127.0.0.1:${p}`,
    output: () => out,
    kill9: async () => { child.kill('SIGKILL'); await exited; },
    stop: async () => { child.kill('SIGTERM'); await exited; },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}
