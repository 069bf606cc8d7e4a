/** kill -9 a broker at start, restart it (same port, same data) at stop. */
import type { NemesisKind } from './nemesis.js';
import { pickBroker } from './target.js';

export const killKind: NemesisKind = {
  name: 'kill',
  description: 'SIGKILL a broker, restart it on the same data directory when healed',
  needsCluster: false,
  async start(cluster, scheduled, variant) {
    const { index: brokerIndex, role } = await pickBroker(cluster, scheduled, variant);
    const b = cluster.brokers[brokerIndex]!;
    await b.kill9();
    return { kind: 'kill', target: `broker ${b.id}${role === 'random' ? '' : ` (${role})`}`, brokerIndex };
  },
  async stop(cluster, fault) {
    await cluster.brokers[fault.brokerIndex]!.start();
  },
};
