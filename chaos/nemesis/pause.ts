/** SIGSTOP a broker at start (a GC-pause-like freeze: connections stay open), SIGCONT at stop. */
import type { NemesisKind } from './nemesis.js';
import { pickBroker } from './target.js';

export const pauseKind: NemesisKind = {
  name: 'pause',
  description: 'SIGSTOP a broker, SIGCONT it when healed',
  needsCluster: false,
  async start(cluster, scheduled, variant) {
    const { index: brokerIndex, role } = await pickBroker(cluster, scheduled, variant);
    const b = cluster.brokers[brokerIndex]!;
    b.pause();
    return { kind: 'pause', target: `broker ${b.id}${role === 'random' ? '' : ` (${role})`}`, brokerIndex };
  },
  async stop(cluster, fault) {
    cluster.brokers[fault.brokerIndex]!.resume();
  },
};
