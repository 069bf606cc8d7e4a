/**
 * `startChaosCluster()`: the multi-broker ChaosCluster. A private network (netns.ts), a
 * 3-member etcd on it (etcd-members.ts), and N `sherwood server` processes (BrokerNode), node
 * ids 1..N, broker i in namespace i listening on 10.x.y.(10+i):9092, joined through
 * `etcd.connect` (all three etcd endpoints) with a short `etcd.session.timeout.ms`.
 *
 * Every step that can fail undoes what was made before it (processes killed, namespaces and
 * bridge removed), and `close()` does the same at the end of a run; both are idempotent.
 * `controllerIndex()` / `leaderIndex()` ask the brokers' Metadata (each ask bounded by 3 s, so
 * a paused broker does not hang the nemesis); they are best effort: an isolated broker may
 * still believe it leads.
 */
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { BrokerNode, type ChaosCluster } from '../broker-node.js';
import { EtcdMembers } from './etcd-members.js';
import { ChaosNet } from './netns.js';

export interface ChaosClusterOptions {
  brokers: number;
  workDir: string;
  sessionTimeoutMs: number;
  overrides: Record<string, string>;
  topic: string;
}

/** The size of each broker's tmpfs log dir: room for a 20-minute campaign many times over. */
export const DATA_DIR_MB = 512;

export async function startChaosCluster(o: ChaosClusterOptions): Promise<ChaosCluster> {
  const net = new ChaosNet(o.brokers);
  net.create();
  const etcd = new EtcdMembers(net.etcdIp, o.workDir);
  const brokers: BrokerNode[] = [];
  /** Each broker's log dir is its own small tmpfs, so the disk nemesis can fill it (disk.ts). */
  const mounted: string[] = [];
  const close = async (): Promise<void> => {
    try { net.healAll(); } catch { /* destroy removes the namespaces anyway */ }
    for (const b of brokers) await b.stop(5000).catch(() => b.kill9());
    for (const b of brokers) await b.closeLog();
    for (const dir of mounted) {
      try { execFileSync('umount', ['-l', dir], { stdio: 'ignore' }); } catch { /* already gone */ }
    }
    await etcd.close().catch(() => undefined);
    net.destroy();
  };
  try {
    await etcd.start();
    for (let i = 1; i <= o.brokers; i++) {
      const dataDir = join(o.workDir, `data-${i}`);
      mkdirSync(dataDir, { recursive: true });
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${DATA_DIR_MB}m`, `sherwood-chaos-${i}`, dataDir]);
      mounted.push(dataDir);
      brokers.push(new BrokerNode(i, 9092, join(o.workDir, `data-${i}`), join(o.workDir, `broker-${i}.log`), {
        ...o.overrides,
        'etcd.connect': etcd.connect('sherwood'),
        'etcd.session.timeout.ms': String(o.sessionTimeoutMs),
      }, net.brokerIp(i), net.exec(i)));
    }
    await Promise.all(brokers.map((b) => b.start()));
  } catch (err) {
    await close();
    throw err;
  }
  const metadata = async <T>(f: (md: Awaited<ReturnType<KafkaClient['metadata']>>) => T | undefined): Promise<T | undefined> => {
    for (const b of brokers) {
      if (!b.running || b.paused) continue;
      const r = await withTimeout(3000, async () => {
        const c = await KafkaClient.connect(b.bootstrap);
        try { return f(await c.metadata([o.topic])); } finally { await c.close(); }
      }).catch(() => undefined);
      if (r !== undefined) return r;
    }
    return undefined;
  };
  const indexOf = (id: number): number | undefined => (id >= 1 && id <= brokers.length ? id - 1 : undefined);
  // Registration and the controller election follow listening: wait (bounded) until a
  // controller is known, or CreateTopics through KafkaJS fails with "Broker -1 not found".
  const deadline = Date.now() + 30_000;
  while ((await metadata((md) => (md.controllerId > 0 && md.brokers.length === o.brokers ? true : undefined))) === undefined) {
    if (Date.now() > deadline) { await close(); throw new Error('the cluster elected no controller within 30 s'); }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    brokers,
    bootstrap: brokers.map((b) => b.bootstrap).join(','),
    net,
    etcd,
    close,
    controllerIndex: () => metadata((md) => indexOf(md.controllerId)),
    leaderIndex: (p) => metadata((md) => indexOf(md.topics[0]?.partitions.find((x) => x.partition === p)?.leaderId ?? -1)),
    crashed: () => etcd.crashed(),
    extraLogs: () => etcd.logPaths,
  };
}

async function withTimeout<T>(ms: number, f: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([f(), new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('timeout')), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}
