/** SIGSTOP a broker at start (a GC-pause-like freeze: connections stay open), SIGCONT at stop. */
import type { NemesisKind } from './nemesis.js';

export const pauseKind: NemesisKind = {
  name: 'pause',
  description: 'SIGSTOP a broker, SIGCONT it when healed',
  needsCluster: false,
  async start(cluster, brokerIndex) {
    const b = cluster.brokers[brokerIndex]!;
    b.pause();
    return { kind: 'pause', target: `broker ${b.id}`, brokerIndex };
  },
  async stop(cluster, fault) {
    cluster.brokers[fault.brokerIndex]!.resume();
  },
};
