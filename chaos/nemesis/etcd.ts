/**
 * kill -9 one member of the cluster's 3-member etcd (chaos/cluster/etcd-members.ts), restart it
 * on its data when healed (waiting until it reports healthy). The other two keep quorum, so
 * brokers whose etcd connection went to that member must move to another endpoint; watches and
 * leases must survive that.
 */
import type { NemesisKind } from './nemesis.js';

export const etcdKind: NemesisKind = {
  name: 'etcd',
  description: 'SIGKILL one etcd member (of 3), restart it on its data when healed',
  needsCluster: true,
  async start(cluster, scheduled) {
    const etcd = cluster.etcd;
    if (etcd === undefined) throw new Error('etcd faults need the cluster');
    const k = scheduled % etcd.members.length;
    await etcd.kill9(k);
    return { kind: 'etcd', target: `etcd member ${k + 1}`, brokerIndex: k };
  },
  async stop(cluster, fault) {
    await cluster.etcd!.restart(fault.brokerIndex);
  },
};
