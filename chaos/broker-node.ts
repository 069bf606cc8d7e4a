/**
 * One broker process the nemesis can kill, restart, pause and resume. Its stdout and stderr
 * (every incarnation) are appended to `<dataDir>/../broker-<id>.log`. A cluster of them is a
 * `ChaosCluster`: one broker here (startSingleBroker), or N brokers on etcd, each in its own
 * network namespace (chaos/cluster/cluster.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface ChaosCluster {
  brokers: BrokerNode[];
  bootstrap: string;
  close(): Promise<void>;
  /** Cluster only: the network, etcd and the metadata queries the cluster nemeses need. */
  net?: import('./cluster/netns.js').ChaosNet;
  etcd?: import('./cluster/etcd-members.js').EtcdMembers;
  /** Index in `brokers` of the current controller, or of the leader of a partition of the workload topic; undefined when unknown. */
  controllerIndex?(): Promise<number | undefined>;
  leaderIndex?(partition: number): Promise<number | undefined>;
  /** Something died by itself (etcd member); undefined otherwise. */
  crashed?(): string | undefined;
  extraLogs?(): string[];
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

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, host);
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

export class BrokerNode {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private readonly log: WriteStream;
  paused = false;
  incarnations = 0;
  /** Set by the disk nemesis: an exit while the disk is full is the broker halting as designed, not a crash. */
  exitExpected = false;

  constructor(readonly id: number, readonly port: number, readonly dataDir: string, readonly logPath: string,
    private readonly overrides: Record<string, string>,
    /** The address it listens on; `wrap` prefixes the command (e.g. `ip netns exec <ns>`, which execs, so the pid is the broker's). */
    readonly host = '127.0.0.1', private readonly wrap: string[] = []) {
    this.log = createWriteStream(logPath, { flags: 'a' });
  }

  get bootstrap(): string { return `${this.host}:${this.port}`; }
  get pid(): number | undefined { return this.child?.pid; }
  get running(): boolean { return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null; }

  /** Starts the process and waits (≤ startTimeoutMs) until it accepts connections. */
  async start(startTimeoutMs = 30000): Promise<void> {
    const args = ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'server',
      '--override', `node.id=${this.id}`,
      '--override', `listeners=PLAINTEXT://${this.host}:${this.port}`,
      '--override', `log.dirs=${this.dataDir}`];
    for (const [k, v] of Object.entries(this.overrides)) args.push('--override', `${k}=${v}`);
    this.incarnations++;
    this.log.write(`\n==== ${new Date().toISOString()} start #${this.incarnations}: ${args.slice(3).join(' ')}\n`);
    const [cmd, ...cmdArgs] = [...this.wrap, process.execPath, ...args];
    const child = spawn(cmd!, cmdArgs, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.paused = false;
    this.exitExpected = false;
    child.stdout!.pipe(this.log, { end: false });
    child.stderr!.pipe(this.log, { end: false });
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
      this.log.write(`==== ${new Date().toISOString()} exit code=${code} signal=${signal}\n`);
      resolve();
    }));
    const deadline = Date.now() + startTimeoutMs;
    while (!(await canConnect(this.host, this.port))) {
      if (!this.running) throw new Error(`broker ${this.id} exited during start (log: ${this.logPath})`);
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`broker ${this.id} did not accept connections within ${startTimeoutMs} ms (log: ${this.logPath})`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async kill9(): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGKILL');
    await this.exited;
  }

  pause(): void {
    if (this.running && !this.paused) { this.child!.kill('SIGSTOP'); this.paused = true; }
  }

  resume(): void {
    if (this.running && this.paused) { this.child!.kill('SIGCONT'); this.paused = false; }
  }

  /** Clean shutdown (SIGTERM), SIGKILL after timeoutMs. */
  async stop(timeoutMs = 15000): Promise<void> {
    if (!this.running) return;
    this.resume();
    this.child!.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Whether the process died on its own (not by our signal): a crash. */
  crashedUnexpectedly(): boolean {
    return !this.exitExpected && this.child !== undefined && this.child.exitCode !== null && this.child.exitCode !== 0;
  }

  closeLog(): Promise<void> {
    if (this.log.writableEnded) return Promise.resolve();
    return new Promise((resolve) => this.log.end(resolve));
  }
}

/** One broker; `brokers > 1` is refused by the runner until the cluster work lands. */
export async function startSingleBroker(workDir: string, overrides: Record<string, string>): Promise<ChaosCluster> {
  const node = new BrokerNode(1, await freePort(), join(workDir, 'data-1'), join(workDir, 'broker-1.log'), overrides);
  await node.start();
  return {
    brokers: [node],
    bootstrap: node.bootstrap,
    close: async () => { await node.stop(); await node.closeLog(); },
  };
}
