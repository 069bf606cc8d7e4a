/**
 * `npm run chaos -- --brokers 1|3 --minutes N --faults kill,pause[,partition,etcd,disk] --seed S`: a
 * fault campaign against real broker processes with real clients, then the checker
 * (chaos/checker). SIGINT/SIGTERM stop it early and still clean up (processes, namespaces). Exit 0
 * when no anomaly was found, 1 when one was (history and broker logs kept in --out), 2 on bad
 * usage.
 */
import { join } from 'node:path';
import { ROOT } from './broker-node.js';
import { interruptCampaign, runCampaign, validate } from './campaign.js';
import { KINDS } from './nemesis/nemesis.js';
import { PYTHON } from './workload/workers.js';

const USAGE = `Usage: npm run chaos -- [--brokers 1|3] [--minutes N] [--faults kill,pause,partition,etcd,disk] [--seed S]
                        [--partitions 4] [--liveness-ms 30000] [--out DIR] [--keep]
                        [--fault-ms 1000,5000] [--quiet-ms 2000,6000] [--python /usr/bin/python3]

Runs a broker as a child process (--brokers 1), or a cluster (--brokers 3: a 3-member etcd
and 3 brokers, each broker in its own network namespace on a private bridge, topic with
replication factor 3 and min.insync.replicas=2; needs root and /usr/bin/etcd), a workload of real clients (librdkafka through
confluent-kafka: idempotent and transactional producers, read_committed and read_uncommitted
consumers, a high-watermark observer; KafkaJS: idempotent and transactional producers, a
consumer group committing offsets, a committed-offset observer), and a nemesis on a schedule fixed by --seed.
Each fault lasts --fault-ms (min,max) and is followed by --quiet-ms; long pauses (> 10 s)
outlast the group's session and the transactions' timeouts. Faults stop for the last fifth
of the run (at least 10 s); then the workload stops, a final read is taken and the history is checked. The history is written to --out (default
chaos/results/<seed>); broker and client logs too when the run fails (or with --keep).

Fault kinds:
${Object.values(KINDS).map((k) => `  ${k.name.padEnd(10)}${k.description}${k.needsCluster ? ' (--brokers 3 only)' : ''}`).join('\n')}

With --brokers 3, kill, pause and partition hit a random broker, the controller or a
partition leader (seeded).

--python picks the interpreter whose confluent-kafka (and so librdkafka) runs the librdkafka
roles: Debian's /usr/bin/python3 (librdkafka 2.0.2) by default, or a virtualenv with a current
release (docs/reliability.md: librdkafka before 2.3 has idempotence bugs of its own).`;

function parse(argv: string[]) {
  const o = { brokers: 1, minutes: 1, faults: ['kill', 'pause'], seed: (Date.now() ^ (process.pid << 8)) >>> 0, partitions: 4, livenessMs: 30_000, out: '', keep: false, python: PYTHON,
    faultMs: undefined as [number, number] | undefined, quietMs: undefined as [number, number] | undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const range = (): [number, number] => {
      const [a, b] = next().split(',').map(Number);
      if (!(a! >= 1 && b! >= a!)) throw new Error(`${argv[i - 1]} needs min,max in ms (1 ≤ min ≤ max)`);
      return [a!, b!];
    };
    const num = (): number => {
      const v = Number(next());
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${a} needs a positive number`);
      return v;
    };
    switch (a) {
      case '--help': case '-h': return 'help' as const;
      case '--brokers': o.brokers = num(); break;
      case '--minutes': o.minutes = num(); break;
      case '--faults': o.faults = next().split(',').map((s) => s.trim()).filter((s) => s !== ''); break;
      case '--seed': o.seed = Math.floor(num()); break;
      case '--partitions': o.partitions = Math.floor(num()); break;
      case '--liveness-ms': o.livenessMs = num(); break;
      case '--out': o.out = next(); break;
      case '--keep': o.keep = true; break;
      case '--python': o.python = next(); break;
      case '--fault-ms': o.faultMs = range(); break;
      case '--quiet-ms': o.quietMs = range(); break;
      default: throw new Error(`unknown option ${a}`);
    }
  }
  if (o.minutes * 60_000 < 20_000) throw new Error('--minutes must give at least 20 seconds (0.34)');
  if (o.partitions > 64) throw new Error('--partitions must be ≤ 64');
  return o;
}

async function main(argv: string[]): Promise<number> {
  let o;
  try {
    o = parse(argv);
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (o === 'help') { console.log(USAGE); return 0; }
  const refusal = validate(o);
  if (refusal !== null) { console.error(`${refusal}\n\n${USAGE}`); return 2; }
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { console.error(`${sig}: stopping, cleaning up`); interruptCampaign(); });
  const r = await runCampaign({
    brokers: o.brokers, durationMs: Math.round(o.minutes * 60_000), faults: o.faults, seed: o.seed, partitions: o.partitions,
    livenessMs: o.livenessMs, outDir: o.out || join(ROOT, 'chaos', 'results', String(o.seed)), keep: o.keep, faultMs: o.faultMs, quietMs: o.quietMs,
    python: o.python, log: (line) => console.log(line),
  });
  console.log(`seed ${o.seed}: ${r.events} events, ${r.faultsInjected} faults, ${JSON.stringify(r.counts)}`);
  console.log(r.failed ? `ANOMALIES FOUND (replay with --seed ${o.seed})` : 'no anomalies');
  return r.failed ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
