/**
 * `startCluster()`: a real etcd (etcd.ts) and N `sherwood server` processes (spawnBroker in
 * broker.ts) joined through `etcd.connect`, node ids 1..N, each in its own temp data dir and
 * on its own port (kept across restarts, so a restarted broker comes back at its old address).
 * `waitForBrokers()` returns once every running broker's Metadata lists exactly the running
 * brokers (registration happens just after a broker starts listening).
 */
import { KafkaClient } from '../../src/client/kafka-client.js';
import { freePort, spawnBroker, tempDir, type BrokerProcess } from './broker.js';
import { startEtcd, type TestEtcd } from './etcd.js';

export interface ClusterOptions {
  brokers?: number;
  /** etcd.session.timeout.ms; short, so failover tests do not wait 18 s. */
  sessionTimeoutMs?: number;
  /** Extra broker overrides, for all brokers. */
  overrides?: Record<string, string>;
  /** Racks by node id (default: none). */
  racks?: Record<number, string>;
}

export interface TestCluster {
  readonly etcd: TestEtcd;
  readonly sessionTimeoutMs: number;
  /** The running broker processes by node id. */
  readonly brokers: ReadonlyMap<number, BrokerProcess>;
  bootstrap(nodeId?: number): string;
  /** The log dir of a broker (kept across restarts). */
  dataDir(nodeId: number): string;
  /** SIGKILL: no clean shutdown, the session is left to expire. */
  kill9(nodeId: number): Promise<void>;
  /** SIGTERM: a clean shutdown. */
  stop(nodeId: number): Promise<void>;
  /** Starts a stopped or killed broker again on its data dir and port. */
  start(nodeId: number): Promise<void>;
  waitForBrokers(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startCluster(options: ClusterOptions = {}): Promise<TestCluster> {
  const n = options.brokers ?? 3;
  const sessionTimeoutMs = options.sessionTimeoutMs ?? 3000;
  const etcd = await startEtcd();
  const dirs = new Map<number, ReturnType<typeof tempDir>>();
  const ports = new Map<number, number>();
  const running = new Map<number, BrokerProcess>();
  const launch = async (id: number) => {
    const overrides: Record<string, string> = {
      'node.id': String(id), 'etcd.connect': `${etcd.endpoint}/sherwood`, 'etcd.session.timeout.ms': String(sessionTimeoutMs),
      ...(options.racks?.[id] !== undefined ? { 'broker.rack': options.racks[id]! } : {}),
      ...options.overrides,
    };
    running.set(id, await spawnBroker(dirs.get(id)!.path, ports.get(id)!, overrides));
  };
  const ids = Array.from({ length: n }, (_, i) => i + 1);
  try {
    for (const id of ids) {
      dirs.set(id, tempDir(`sherwood-cluster-${id}-`));
      ports.set(id, await freePort());
    }
    await Promise.all(ids.map(launch));
  } catch (err) {
    for (const b of running.values()) await b.kill9();
    for (const d of dirs.values()) d.remove();
    await etcd.close();
    throw err;
  }
  const cluster: TestCluster = {
    etcd, sessionTimeoutMs, brokers: running,
    dataDir: (nodeId) => dirs.get(nodeId)!.path,
    bootstrap: (nodeId) => (nodeId === undefined ? [...running.values()].map((b) => b.bootstrap).join(',') : running.get(nodeId)!.bootstrap),
    async kill9(id) {
      await running.get(id)?.kill9();
      running.delete(id);
    },
    async stop(id) {
      await running.get(id)?.stop();
      running.delete(id);
    },
    start: launch,
    async waitForBrokers(timeoutMs = 30000) {
      const deadline = Date.now() + timeoutMs;
      const want = [...running.keys()].sort((a, b) => a - b).join(',');
      for (const [id, b] of running) {
        const client = await KafkaClient.connect(b.bootstrap);
        try {
          for (;;) {
            const md = await client.metadata([]);
            const seen = md.brokers.map((x) => x.nodeId).sort((a, c) => a - c).join(',');
            if (seen === want && md.controllerId !== -1) break;
            if (Date.now() > deadline) throw new Error(`broker ${id} lists brokers [${seen}], expected [${want}]\n${b.output()}`);
            await new Promise((r) => setTimeout(r, 50));
          }
        } finally {
          await client.close();
        }
      }
    },
    async close() {
      for (const b of running.values()) await b.kill9();
      running.clear();
      await etcd.close();
      for (const d of dirs.values()) d.remove();
    },
  };
  return cluster;
}
