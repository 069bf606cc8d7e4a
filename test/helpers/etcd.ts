/**
 * A real etcd for tests: `startEtcd()` spawns /usr/bin/etcd on free 127.0.0.1 ports with its
 * data in a temp dir and resolves once its /health endpoint answers {"health":"true"}.
 * `stop()` (SIGTERM) and `kill9()` end it; `restart()` starts it again on the same ports and
 * data (a watch or lease keeper must reconnect); `close()` stops it and removes the dir.
 * `etcdAvailable()` says whether the binary is installed (tests skip otherwise).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { freePort, tempDir } from './broker.js';

export const ETCD_BINARY = process.env['SHERWOOD_ETCD'] ?? '/usr/bin/etcd';

export function etcdAvailable(): boolean {
  return existsSync(ETCD_BINARY);
}

export interface TestEtcd {
  readonly clientPort: number;
  /** 'host:port' as etcd.connect takes it. */
  readonly endpoint: string;
  readonly dataDir: string;
  output(): string;
  stop(): Promise<void>;
  kill9(): Promise<void>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startEtcd(): Promise<TestEtcd> {
  const dir = tempDir('sherwood-etcd-');
  const clientPort = await freePort();
  const peerPort = await freePort();
  let child: ChildProcess | null = null;
  let out = '';
  const launch = async () => {
    const peer = `http://127.0.0.1:${peerPort}`;
    const client = `http://127.0.0.1:${clientPort}`;
    child = spawn(ETCD_BINARY, [
      '--name', 'test', '--data-dir', `${dir.path}/data`,
      '--listen-client-urls', client, '--advertise-client-urls', client,
      '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `test=${peer}`, '--log-level', 'warn', '--logger', 'zap',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => { out += d; });
    child.stderr!.on('data', (d) => { out += d; });
    const c = child;
    const deadline = Date.now() + 20000;
    for (;;) {
      if (c.exitCode !== null) throw new Error(`etcd exited early: ${out}`);
      if (await healthy(clientPort)) return;
      if (Date.now() > deadline) {
        c.kill('SIGKILL');
        throw new Error(`etcd did not become healthy: ${out}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const end = async (signal: NodeJS.Signals) => {
    const c = child as ChildProcess | null;
    child = null;
    if (c === null || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill(signal);
    await exited;
  };
  await launch();
  return {
    clientPort,
    endpoint: `127.0.0.1:${clientPort}`,
    dataDir: dir.path,
    output: () => out,
    stop: () => end('SIGTERM'),
    kill9: () => end('SIGKILL'),
    restart: launch,
    close: async () => {
      await end('SIGKILL');
      dir.remove();
    },
  };
}

function healthy(port: number): Promise<boolean> {
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
