/**
 * A 3-member etcd cluster for a chaos cluster, all in the host namespace on the chaos bridge's
 * etcd address (ports 23791-3 for clients, 23801-3 for peers), data under `workDir`. The
 * nemesis kills one member (SIGKILL) and restarts it on its data; the others keep quorum, so
 * the brokers' etcd client must fail over to another endpoint. Logs of every incarnation are
 * appended to `<workDir>/etcd-<k>.log`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';

export const ETCD_BINARY = process.env['SHERWOOD_ETCD'] ?? '/usr/bin/etcd';

export function etcdAvailable(): boolean {
  return existsSync(ETCD_BINARY);
}

class Member {
  child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  readonly log: WriteStream;
  constructor(readonly k: number, readonly host: string, readonly clientPort: number, readonly peerPort: number,
    readonly dataDir: string, readonly logPath: string, private readonly initialCluster: string) {
    this.log = createWriteStream(logPath, { flags: 'a' });
  }

  get running(): boolean { return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null; }

  spawn(): void {
    const peer = `http://${this.host}:${this.peerPort}`;
    const client = `http://${this.host}:${this.clientPort}`;
    const child = spawn(ETCD_BINARY, [
      '--name', `m${this.k}`, '--data-dir', this.dataDir,
      '--listen-client-urls', client, '--advertise-client-urls', client,
      '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
      '--initial-cluster', this.initialCluster, '--initial-cluster-state', 'new', '--initial-cluster-token', 'sherwood-chaos',
      '--log-level', 'warn', '--logger', 'zap',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.log.write(`\n==== ${new Date().toISOString()} start\n`);
    child.stdout!.pipe(this.log, { end: false });
    child.stderr!.pipe(this.log, { end: false });
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
      this.log.write(`==== ${new Date().toISOString()} exit code=${code} signal=${signal}\n`);
      resolve();
    }));
  }

  async kill9(): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGKILL');
    await this.exited;
  }

  async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await healthy(this.host, this.clientPort))) {
      if (!this.running) throw new Error(`etcd member ${this.k} exited (log: ${this.logPath})`);
      if (Date.now() > deadline) throw new Error(`etcd member ${this.k} not healthy within ${timeoutMs} ms (log: ${this.logPath})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export class EtcdMembers {
  readonly members: Member[];
  constructor(host: string, workDir: string, count = 3) {
    const ks = Array.from({ length: count }, (_, i) => i + 1);
    const initial = ks.map((k) => `m${k}=http://${host}:${23800 + k}`).join(',');
    this.members = ks.map((k) => new Member(k, host, 23790 + k, 23800 + k, join(workDir, `etcd-${k}`), join(workDir, `etcd-${k}.log`), initial));
  }

  /** `etcd.connect` value: every member's client address, then the prefix. */
  connect(prefix: string): string {
    return `${this.members.map((m) => `${m.host}:${m.clientPort}`).join(',')}/${prefix}`;
  }

  async start(timeoutMs = 30_000): Promise<void> {
    for (const m of this.members) m.spawn();
    await Promise.all(this.members.map((m) => m.waitHealthy(timeoutMs)));
  }

  async kill9(k: number): Promise<void> { await this.members[k]!.kill9(); }

  /** Restarts member k on its data and waits until it reports healthy (it has rejoined). */
  async restart(k: number, timeoutMs = 30_000): Promise<void> {
    const m = this.members[k]!;
    if (!m.running) m.spawn();
    await m.waitHealthy(timeoutMs);
  }

  crashed(): string | undefined {
    const m = this.members.find((x) => x.child !== undefined && x.child.exitCode !== null && x.child.exitCode !== 0);
    return m === undefined ? undefined : `etcd member ${m.k} exited by itself (see ${m.logPath})`;
  }

  get logPaths(): string[] { return this.members.map((m) => m.logPath); }

  async close(): Promise<void> {
    for (const m of this.members) await m.kill9();
    await Promise.all(this.members.map((m) => (m.log.writableEnded ? undefined : new Promise<void>((r) => m.log.end(r)))));
  }
}

function healthy(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: '/health', timeout: 1000 }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve(res.statusCode === 200 && body.includes('"health":"true"')));
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => { req.destroy(); resolve(false); });
  });
}
