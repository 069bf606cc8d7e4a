/** Which broker a cluster fault hits (kill, pause, partition): see pickBroker. */
import type { ChaosCluster } from '../broker-node.js';

/**
 * The broker a cluster fault hits, from its variant: the scheduled one (half the time), the
 * controller (a quarter), or the leader of a partition of the workload topic (a quarter),
 * falling back to the scheduled one when the cluster cannot say. Returns the index and why.
 */
export async function pickBroker(cluster: ChaosCluster, brokerIndex: number, variant: number): Promise<{ index: number; role: string }> {
  if (cluster.brokers.length === 1 || variant < 500) return { index: brokerIndex, role: 'random' };
  if (variant < 750) {
    const c = await cluster.controllerIndex?.();
    return c === undefined ? { index: brokerIndex, role: 'random (no controller known)' } : { index: c, role: 'controller' };
  }
  const partition = variant % 4;
  const l = await cluster.leaderIndex?.(partition);
  return l === undefined ? { index: brokerIndex, role: `random (no leader known for partition ${partition})` } : { index: l, role: `leader of partition ${partition}` };
}
