/**
 * Nemesis kinds and the seeded schedule.
 *
 * A kind is a module with `start` (inject the fault, return what it hit) and `stop` (heal it).
 * Kinds that need a multi-broker cluster (network partitions, etcd faults) are registered with
 * `needsCluster: true` and refused by the runner with `--brokers 1` (`disk` among them: it
 * needs the cluster's tmpfs log dirs). Adding one is a new module in this folder plus an entry
 * in KINDS.
 *
 * The schedule is a pure function of (seed, kinds, brokers, duration): quiet periods and
 * faults alternate, so a failing run replays with the same `--seed`. With more than one broker
 * each fault also draws a `variant` (which broker: random, the controller, a leader; which
 * partition shape); single-broker schedules are unchanged by that (no extra draws).
 */
import { SeededRandom } from '../../src/base/random.js';
import type { ChaosCluster } from '../broker-node.js';
import { diskKind } from './disk.js';
import { etcdKind } from './etcd.js';
import { killKind } from './kill.js';
import { partitionKind } from './partition.js';
import { pauseKind } from './pause.js';

export interface ActiveFault {
  kind: string;
  /** Human-readable target, e.g. 'broker 1'. */
  target: string;
  brokerIndex: number;
}

export interface NemesisKind {
  name: string;
  description: string;
  needsCluster: boolean;
  start(cluster: ChaosCluster, brokerIndex: number, variant: number): Promise<ActiveFault>;
  stop(cluster: ChaosCluster, fault: ActiveFault): Promise<void>;
}

export const KINDS: Record<string, NemesisKind> = {
  kill: killKind,
  pause: pauseKind,
  partition: partitionKind,
  etcd: etcdKind,
  disk: diskKind,
};

export interface ScheduledFault {
  /** Milliseconds after the workload starts. */
  atMs: number;
  durationMs: number;
  kind: string;
  brokerIndex: number;
  /** Multi-broker runs: a seeded draw in [0, 1000) the kind uses to pick its target or shape. */
  variant?: number;
}

export interface ScheduleOptions {
  seed: number;
  kinds: string[];
  brokers: number;
  /** Faults start and end within [0, faultWindowMs). */
  faultWindowMs: number;
  quietMs?: [number, number];
  faultMs?: [number, number];
}

export function makeSchedule(o: ScheduleOptions): ScheduledFault[] {
  const rnd = new SeededRandom(o.seed);
  const [qMin, qMax] = o.quietMs ?? [2000, 6000];
  const [fMin, fMax] = o.faultMs ?? [1000, 5000];
  const between = (a: number, b: number): number => a + rnd.int(b - a + 1);
  const out: ScheduledFault[] = [];
  let t = between(qMin, qMax);
  for (let i = 0; i < 10_000 && o.kinds.length > 0; i++) {
    const durationMs = between(fMin, fMax);
    if (t + durationMs >= o.faultWindowMs) break;
    const f: ScheduledFault = { atMs: t, durationMs, kind: o.kinds[rnd.int(o.kinds.length)]!, brokerIndex: rnd.int(o.brokers) };
    if (o.brokers > 1) f.variant = rnd.int(1000);
    out.push(f);
    t += durationMs + between(qMin, qMax);
  }
  return out;
}

