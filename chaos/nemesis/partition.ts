/**
 * Network partitions in a cluster (chaos/cluster/netns.ts: blackhole routes inside the broker
 * namespaces; clients are never cut). The variant picks the shape:
 *
 *   isolate   broker X cut from the other brokers and from etcd: the minority {X} against
 *             the majority {others, etcd}. X's session expires, its leaderships move, while
 *             clients can still reach X (a deposed leader that may not know it yet).
 *   brokers   X cut from the other brokers only: X keeps its session (no election), but its
 *             followers cannot fetch from it nor it from its leaders (ISR shrink, acks=all
 *             waits or fails with NOT_ENOUGH_REPLICAS).
 *   etcd      X cut from etcd only: its session expires while replication still works.
 *
 * X is the scheduled broker, the controller or a leader (target.ts). Healing removes every
 * route this fault added.
 */
import type { NemesisKind } from './nemesis.js';
import { pickBroker } from './target.js';

const SHAPES = ['isolate', 'brokers', 'etcd'] as const;

export const partitionKind: NemesisKind = {
  name: 'partition',
  description: 'network partition: one broker (random, the controller or a leader) cut from the other brokers and etcd, from the brokers only, or from etcd only',
  needsCluster: true,
  async start(cluster, scheduled, variant) {
    const net = cluster.net;
    if (net === undefined) throw new Error('partition needs the cluster network');
    const { index, role } = await pickBroker(cluster, scheduled, variant);
    const shape = SHAPES[Math.floor(variant / 7) % SHAPES.length]!;
    const x = index + 1;
    try {
      if (shape !== 'etcd') for (let j = 1; j <= cluster.brokers.length; j++) if (j !== x) net.cutBrokers(x, j);
      if (shape !== 'brokers') net.cut(x, net.etcdIp);
    } catch (err) {
      net.healAll();
      throw err;
    }
    return { kind: 'partition', target: `${shape} broker ${x}${role === 'random' ? '' : ` (${role})`}`, brokerIndex: index };
  },
  async stop(cluster) {
    cluster.net!.healAll();
  },
};
