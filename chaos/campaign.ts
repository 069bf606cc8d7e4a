/**
 * One chaos campaign: start the broker(s), create the topic, run the workload and the
 * nemesis on the seeded schedule, stop the faults for a cool-down, stop the workload, take the
 * final read, check the history. Every wait is bounded (start-ups, worker shutdowns, the final
 * read), so a hung client or broker ends the run with a verdict instead of hanging it.
 *
 * Timeline for a run of D ms: faults only in [0, D - cooldown), cooldown = max(10 s, D/5), so
 * liveness is observable; workers stop at D; the final read gets ≤ 90 s.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import kafkajs from 'kafkajs';
import { startSingleBroker, type ChaosCluster } from './broker-node.js';
import { startChaosCluster } from './cluster/cluster.js';
import { ETCD_BINARY, etcdAvailable } from './cluster/etcd-members.js';
import { netnsAvailable } from './cluster/netns.js';
import { checkHistory, formatResults, type PropertyResult } from './checker/checker.js';
import { formatHistory, sortHistory, type HistoryEvent } from './checker/history.js';
import { KINDS, makeSchedule, type ActiveFault, type ScheduledFault } from './nemesis/nemesis.js';
import { confluentWorker, kafkajsWorker, type WorkloadConfig } from './workload/workers.js';
import { recordLeadership } from './workload/leadership.js';

export interface CampaignOptions {
  brokers: number;
  durationMs: number;
  faults: string[];
  seed: number;
  partitions: number;
  livenessMs: number;
  /** Fault and quiet durations, [min, max] ms (defaults in makeSchedule: 1-5 s and 2-6 s). */
  faultMs?: [number, number];
  quietMs?: [number, number];
  /** Where the history (always) and logs (failing runs, or keep) are written. */
  outDir: string;
  keep: boolean;
  /** The Python whose confluent-kafka runs the librdkafka roles (default: Debian's). */
  python?: string;
  log: (line: string) => void;
}

export interface CampaignResult {
  results: PropertyResult[];
  failed: boolean;
  events: number;
  faultsInjected: number;
  counts: Record<string, number>;
  historyPath: string;
  /** Set when a broker process died by itself (not by the nemesis). */
  brokerCrash?: string;
}

/** Refusals for options the harness cannot honour; null when fine. */
export function validate(o: Pick<CampaignOptions, 'brokers' | 'faults'>): string | null {
  if (o.brokers !== 1 && o.brokers !== 3) return `--brokers ${o.brokers}: 1 (one standalone broker) or 3 (a cluster on etcd) are supported`;
  for (const f of o.faults) {
    const k = KINDS[f];
    if (k === undefined) return `unknown fault kind '${f}' (known: ${Object.keys(KINDS).join(', ')})`;
    if (k.needsCluster && o.brokers === 1) return `fault kind '${f}' needs a multi-broker cluster (--brokers 3)`;
  }
  if (o.brokers > 1) {
    if (!etcdAvailable()) return `--brokers ${o.brokers} needs etcd (${ETCD_BINARY} not found)`;
    const n = netnsAvailable();
    if (!n.ok) return `--brokers ${o.brokers} needs network namespaces: ${n.reason}`;
  }
  return null;
}

let interrupted = false;
/** Makes a running campaign stop at its next wait (SIGINT/SIGTERM in run.ts); its cleanup still runs. */
export function interruptCampaign(): void { interrupted = true; }

/** The cluster's session timeout: short so failovers fit in a fault, long enough for a loaded 2-core machine. */
export const CLUSTER_SESSION_TIMEOUT_MS = 4000;

export async function runCampaign(o: CampaignOptions): Promise<CampaignResult> {
  const refusal = validate(o);
  if (refusal !== null) throw new Error(refusal);
  mkdirSync(o.outDir, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'sherwood-chaos-'));
  const events: HistoryEvent[] = [];
  const sink = (e: HistoryEvent): void => { events.push(e); };
  const runner = (type: HistoryEvent['type'], f: HistoryEvent['f'], value: unknown): void => sink({ time: performance.timeOrigin + performance.now(), process: 'runner', type, f, value });
  const topic = 'chaos';
  const cooldownMs = Math.max(10_000, Math.floor(o.durationMs / 5));
  const schedule = makeSchedule({ seed: o.seed, kinds: o.faults, brokers: o.brokers, faultWindowMs: o.durationMs - cooldownMs, faultMs: o.faultMs, quietMs: o.quietMs });
  runner('info', 'meta', { seed: o.seed, brokers: o.brokers, faults: o.faults, durationMs: o.durationMs, schedule });
  o.log(`seed ${o.seed}: ${schedule.length} faults scheduled in ${((o.durationMs - cooldownMs) / 1000).toFixed(0)} s, then ${(cooldownMs / 1000).toFixed(0)} s without faults`);

  const overrides = { 'group.initial.rebalance.delay.ms': '0', 'auto.create.topics.enable': 'false' };
  const cluster = o.brokers === 1
    ? await startSingleBroker(work, overrides)
    : await startChaosCluster({ brokers: o.brokers, workDir: work, sessionTimeoutMs: CLUSTER_SESSION_TIMEOUT_MS, overrides, topic });
  if (o.brokers > 1) o.log(`cluster: ${o.brokers} brokers at ${cluster.bootstrap}, etcd ${cluster.etcd!.connect('sherwood')}, session ${CLUSTER_SESSION_TIMEOUT_MS} ms`);
  let brokerCrash: string | undefined;
  // The leader epochs etcd decides, for the checker (beyond-hwm) to set deposed leaders' answers aside.
  const leadership = cluster.etcd === undefined ? null : recordLeadership(cluster.etcd.connect('sherwood'), topic, sink);
  try {
    await createTopic(cluster.bootstrap, topic, o.partitions, o.brokers);
    const started = Date.now();
    const wc: WorkloadConfig = { bootstrap: cluster.bootstrap, topic, partitions: o.partitions, until: started + o.durationMs, seed: o.seed, group: 'chaos-group' };
    const workers = [
      confluentWorker(wc, [
        { role: 'idem', name: 'rdk-idem-0' }, { role: 'idem', name: 'rdk-idem-1' }, { role: 'txn', name: 'rdk-txn-0' },
        { role: 'consume', name: 'rdk-rc', isolation: 'read_committed' }, { role: 'consume', name: 'rdk-ru', isolation: 'read_uncommitted' },
        { role: 'hwm', name: 'rdk-hwm' },
      ], o.outDir, sink, 'confluent', o.python),
      kafkajsWorker(wc, [{ role: 'idem', name: 'kjs-idem-0' }, { role: 'txn', name: 'kjs-txn-0' }, { role: 'group', name: 'kjs-group-0' }, { role: 'committed', name: 'kjs-committed' }], o.outDir, sink),
    ];
    const nemesis = await runNemesis(cluster, schedule, started, runner, o.log, () => { brokerCrash ??= crashed(cluster); return brokerCrash !== undefined; });
    const injected = nemesis.injected;
    brokerCrash ??= nemesis.healFailure;
    o.log(`${injected} faults injected; cooling down`);
    await sleepUntil(started + o.durationMs, () => { brokerCrash ??= crashed(cluster); return brokerCrash !== undefined; });
    await Promise.all(workers.map((w) => w.stop(30_000)));
    brokerCrash ??= crashed(cluster);
    if (brokerCrash === undefined) {
      o.log('workload stopped; final read');
      const finalWorker = confluentWorker({ ...wc, until: Date.now() + 90_000 }, [{ role: 'final', name: 'final' }], o.outDir, sink, 'final', o.python);
      await finalWorker.done;
    }
    return await finish(o, events, cluster, injected, brokerCrash);
  } catch (err) {
    // Keep the evidence of a run that broke down (a start-up failure, a client library error).
    o.log(`campaign failed: ${String(err)}`);
    await finish(o, events, cluster, 0, `campaign failed: ${String(err)}`).catch(() => undefined);
    throw err;
  } finally {
    leadership?.close();
    await cluster.close().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
}

function crashed(cluster: ChaosCluster): string | undefined {
  if (interrupted) return 'interrupted (SIGINT/SIGTERM)';
  const b = cluster.brokers.find((x) => x.crashedUnexpectedly());
  return b === undefined ? cluster.crashed?.() : `broker ${b.id} exited by itself (see ${b.logPath})`;
}

async function runNemesis(cluster: ChaosCluster, schedule: ScheduledFault[], started: number,
  runner: (type: HistoryEvent['type'], f: HistoryEvent['f'], value: unknown) => void, log: (l: string) => void, abort: () => boolean): Promise<{ injected: number; healFailure?: string }> {
  let injected = 0;
  for (const s of schedule) {
    if (await sleepUntil(started + s.atMs, abort)) break;
    const kind = KINDS[s.kind]!;
    let fault: ActiveFault;
    try {
      fault = await kind.start(cluster, s.brokerIndex, s.variant ?? 0);
    } catch (err) {
      runner('info', 'meta', { nemesisError: String(err) });
      continue;
    }
    injected++;
    runner('info', 'nemesis', { kind: s.kind, phase: 'start', target: fault.target });
    log(`+${((Date.now() - started) / 1000).toFixed(1)} s ${s.kind} ${fault.target} for ${s.durationMs} ms`);
    await sleepUntil(Date.now() + s.durationMs, () => interrupted);
    try {
      await kind.stop(cluster, fault);
    } catch (err) {
      // A broker that does not come back (e.g. recovery fails after kill -9) is a finding.
      runner('info', 'meta', { nemesisError: String(err) });
      return { injected, healFailure: `healing ${s.kind} of ${fault.target} failed: ${String(err)}` };
    }
    runner('info', 'nemesis', { kind: s.kind, phase: 'stop', target: fault.target });
  }
  return { injected };
}

/** Sleeps until `at` in 100 ms steps; true if `abort` said to stop early. */
async function sleepUntil(at: number, abort: () => boolean): Promise<boolean> {
  while (Date.now() < at) {
    if (abort()) return true;
    await new Promise((r) => setTimeout(r, Math.min(100, Math.max(1, at - Date.now()))));
  }
  return abort();
}

/** One broker: replication factor 1. A cluster: RF 3, min.insync.replicas 2 (acks=all then survives one broker). */
async function createTopic(bootstrap: string, topic: string, partitions: number, brokers: number): Promise<void> {
  const admin = new kafkajs.Kafka({ brokers: bootstrap.split(','), logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const replication = brokers === 1 ? {} : { replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] };
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, ...replication }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

async function finish(o: CampaignOptions, raw: HistoryEvent[], cluster: ChaosCluster, injected: number, brokerCrash: string | undefined): Promise<CampaignResult> {
  const events = sortHistory(raw);
  const historyPath = join(o.outDir, 'history.jsonl');
  writeFileSync(historyPath, formatHistory(events));
  const results = checkHistory(events, { livenessMs: o.livenessMs });
  const counts: Record<string, number> = {};
  for (const e of events) if (e.type !== 'invoke') counts[`${e.f}:${e.type}`] = (counts[`${e.f}:${e.type}`] ?? 0) + 1;
  // A workload role that died is a harness failure: its part of the history is missing.
  const roleCrashes = events.filter((e) => e.f === 'meta' && e.value?.roleCrashed !== undefined);
  const incompleteFinal = !events.some((e) => e.f === 'meta' && e.value?.finalRead === 'complete');
  const failed = brokerCrash !== undefined || roleCrashes.length > 0 || incompleteFinal || results.some((r) => r.verdict === 'FAIL');
  o.log(formatResults(results));
  if (brokerCrash !== undefined) o.log(`FAIL    broker crash: ${brokerCrash}`);
  for (const e of roleCrashes) o.log(`FAIL    workload role ${e.process} crashed: ${e.value.roleCrashed}`);
  if (incompleteFinal) o.log('FAIL    the final read did not reach the end of every partition');
  if (failed || o.keep) {
    for (const b of cluster.brokers) {
      await b.stop().catch(() => undefined);
      await b.closeLog();
      cpSync(b.logPath, join(o.outDir, `broker-${b.id}.log`));
      if (o.keep) cpSync(b.dataDir, join(o.outDir, `data-${b.id}`), { recursive: true });
    }
    for (const p of cluster.extraLogs?.() ?? []) cpSync(p, join(o.outDir, basename(p)));
    o.log(`history and broker logs in ${o.outDir}`);
  } else {
    o.log(`history in ${historyPath}`);
  }
  return { results, failed, events: events.length, faultsInjected: injected, counts, historyPath, brokerCrash };
}
