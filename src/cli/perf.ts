/**
 * `sherwood perf produce|consume` — load generators in the manner of Kafka's
 * kafka-producer-perf-test.sh and kafka-consumer-perf-test.sh, built on Sherwood's own client.
 *
 * produce: --topic T --num-records N --record-size S --throughput R (-1 = unthrottled)
 *          [--acks 1|all|0] [--producer-props k=v ...] [--bootstrap-server H:P] [--json]
 *          [--transactional-id ID] [--transaction-duration-ms MS] [--records-per-transaction N]
 *   A small model of Kafka's producer: records are appended to one open batch at a time
 *   (sticky partitioning over the topic's partitions); a batch is sealed when it reaches
 *   batch.size, and sent once sealed or linger.ms after its first record. Up to
 *   max.in.flight.requests.per.connection Produce requests are pipelined per broker, each
 *   carrying at most one batch per partition and at most max.request.size bytes. At most
 *   buffer.memory bytes of records wait unsent. There are no retries: a failed batch counts
 *   as failed records and the exit code is 1. enable.idempotence follows the Java producer
 *   (on by default when acks is all and max.in.flight <= 5); transactions are on as in Kafka's
 *   ProducerPerformance when --transactional-id, --transaction-duration-ms or transactional.id
 *   is given (default id performance-producer-<uuid>, default duration 3000 ms); Sherwood's
 *   --records-per-transaction N also ends a transaction after N records.
 *   Latency of a record is measured from its *intended* send time — t0 + i/R when throttled,
 *   the moment it was handed to the producer when unthrottled — to the arrival of its
 *   response, so a stall in the producer or the broker shows up in the percentiles instead of
 *   silently delaying later sends (no coordinated omission).
 *
 * consume: --topic T --messages N [--consumer-props k=v ...] [--bootstrap-server H:P]
 *          [--from-latest] [--timeout MS] [--hide-header] [--json]
 *   Reads every partition from the earliest offset (no consumer group, so no rebalance time)
 *   with one Fetch in flight at a time; the next Fetch is sent before the previous response's
 *   records are walked, as Kafka's consumer prefetches.
 *
 * Both print a progress line every --reporting-interval ms (default 5000) and finish with a
 * line in the Kafka tool's format; --json adds one JSON summary line after it (used by bench/).
 * Every --producer-props / --consumer-props key is one the model above uses (PRODUCE_RULES,
 * CONSUME_RULES); any other is refused by name.
 */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { compressionFromName, resolveIdempotence } from '../client/index.js';
import { UsageError, runCommand } from './_args.js';
import { COMMON_CLIENT_RULES, anyValue, boolValue, checkProperties, intValue, type ValueCheck } from './_properties.js';
import { runProduce, type ProducerSettings, type Output } from './perf-producer.js';
import { runConsume, type ConsumerSettings } from './perf-consumer.js';

export { LatencyHistogram } from './latency-histogram.js';
export type { Output };

const USAGE = `Usage: sherwood perf produce --topic T --num-records N --record-size S --throughput R
                      [--acks 1|all|0] [--producer-props k=v ...] [--bootstrap-server H:P] [--json]
                      [--transactional-id ID] [--transaction-duration-ms MS] [--records-per-transaction N]
       sherwood perf consume --topic T --messages N [--consumer-props k=v ...]
                      [--bootstrap-server H:P] [--from-latest] [--timeout MS] [--hide-header] [--json]

Both: [--reporting-interval MS] (default 5000).
produce --producer-props: acks, batch.size, bootstrap.servers, buffer.memory, client.id, compression.type,
  enable.idempotence, linger.ms, max.in.flight.requests.per.connection, max.request.size, request.timeout.ms,
  security.protocol, transaction.timeout.ms, transactional.id
  Transactions (as Kafka's tool): on with --transactional-id, --transaction-duration-ms (default 3000: commit
  when a transaction is that old) or transactional.id; --records-per-transaction N (Sherwood) commits every N records.
consume --consumer-props: bootstrap.servers, client.id, fetch.max.bytes, fetch.max.wait.ms, fetch.min.bytes,
  max.partition.fetch.bytes, request.timeout.ms, security.protocol (--fetch-size N: max.partition.fetch.bytes)`;

const MIB = 1024 * 1024;

/** Entry point: argv is what follows `sherwood perf`. Resolves to the process exit code. */
export async function main(argv: string[], out: Output = (l) => process.stdout.write(l + '\n'), err: Output = (l) => process.stderr.write(l + '\n')): Promise<number> {
  const [command, ...rest] = argv;
  return runCommand(command === 'produce' || command === 'consume' ? `perf ${command}` : 'perf', USAGE, out, err, async () => {
    if (command === undefined || command === '--help' || command === '-h' || rest.includes('--help') || rest.includes('-h')) {
      if (command === undefined) throw new UsageError('expected produce or consume');
      throw new UsageError('');
    }
    if (command !== 'produce' && command !== 'consume') throw new UsageError(`unknown subcommand '${command}': expected produce or consume`);
    const args = parseArgs(rest);
    return command === 'produce' ? runProduce(producerSettings(args), out) : runConsume(consumerSettings(args), out, err);
  });
}

// ---------------------------------------------------------------------------------------------
// Arguments

interface ParsedArgs {
  values: Map<string, string>;
  props: Map<string, Map<string, string>>;
  flags: Set<string>;
}

const LIST_OPTIONS = new Set(['producer-props', 'consumer-props']);
const FLAG_OPTIONS = new Set(['json', 'from-latest', 'hide-header']);
const VALUE_OPTIONS = new Set(['bootstrap-server', 'topic', 'num-records', 'record-size', 'throughput', 'acks', 'messages', 'timeout',
  'fetch-size', 'reporting-interval', 'transactional-id', 'transaction-duration-ms', 'records-per-transaction']);

function parseArgs(argv: string[]): ParsedArgs {
  const parsed: ParsedArgs = { values: new Map(), props: new Map(), flags: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}"`);
    let name = arg.slice(2);
    let inline: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0 && !LIST_OPTIONS.has(name.slice(0, eq))) {
      inline = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    if (FLAG_OPTIONS.has(name)) {
      parsed.flags.add(name);
    } else if (LIST_OPTIONS.has(name)) {
      const map = parsed.props.get(name) ?? new Map<string, string>();
      while (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) {
        const kv = argv[++i]!;
        const at = kv.indexOf('=');
        if (at <= 0) throw new UsageError(`--${name}: expected key=value, got "${kv}"`);
        map.set(kv.slice(0, at), kv.slice(at + 1));
      }
      parsed.props.set(name, map);
    } else if (VALUE_OPTIONS.has(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`Option ${name} requires an argument`);
      parsed.values.set(name, value);
    } else {
      throw new UsageError(`${name} is not a recognized option`);
    }
  }
  return parsed;
}

function intOption(args: ParsedArgs, name: string, dflt?: number): number {
  const raw = args.values.get(name);
  if (raw === undefined) {
    if (dflt === undefined) throw new UsageError(`--${name} is required`);
    return dflt;
  }
  const v = Number(raw);
  if (!Number.isFinite(v)) throw new UsageError(`--${name}: not a number: "${raw}"`);
  return v;
}

function intProp(props: Map<string, string>, name: string, dflt: number): number {
  const raw = props.get(name);
  if (raw === undefined) return dflt;
  const v = Number(raw);
  if (!Number.isFinite(v)) throw new UsageError(`${name}: not a number: "${raw}"`);
  return v;
}

function bootstrapOf(args: ParsedArgs, props: Map<string, string>): string {
  const b = args.values.get('bootstrap-server') ?? props.get('bootstrap.servers');
  if (b === undefined) throw new UsageError('--bootstrap-server (or bootstrap.servers in the props) is required');
  return b;
}

function requiredTopic(args: ParsedArgs): string {
  const t = args.values.get('topic');
  if (t === undefined || t === '') throw new UsageError('--topic is required');
  return t;
}

// ---------------------------------------------------------------------------------------------
// Settings

function parseAcks(raw: string): number {
  if (raw === 'all' || raw === '-1') return -1;
  if (raw === '0' || raw === '1') return Number(raw);
  throw new UsageError(`acks must be 0, 1, all or -1, got "${raw}"`);
}

const compressionValue: ValueCheck = (v) => compressionFromName(v) !== undefined ? null : 'must be none, gzip, snappy, lz4 or zstd';

/** The producer model's settings (see the header). */
const PRODUCE_RULES: ReadonlyMap<string, ValueCheck> = new Map<string, ValueCheck>([
  ...COMMON_CLIENT_RULES,
  ['acks', (v) => ['0', '1', '-1', 'all'].includes(v) ? null : 'must be 0, 1, -1 or all'],
  ['compression.type', compressionValue],
  ['linger.ms', intValue(0)],
  ['batch.size', intValue(1)],
  ['max.in.flight.requests.per.connection', intValue(1)],
  ['max.request.size', intValue(1)],
  ['buffer.memory', intValue(1)],
  ['enable.idempotence', boolValue],
  ['transactional.id', anyValue],
  ['transaction.timeout.ms', intValue(1)],
]);

/** The consume loop's settings (see the header). */
const CONSUME_RULES: ReadonlyMap<string, ValueCheck> = new Map<string, ValueCheck>([
  ...COMMON_CLIENT_RULES,
  ['fetch.max.bytes', intValue(0)],
  ['max.partition.fetch.bytes', intValue(0)],
  ['fetch.min.bytes', intValue(0)],
  ['fetch.max.wait.ms', intValue(0)],
]);

function producerSettings(args: ParsedArgs): ProducerSettings {
  const props = args.props.get('producer-props') ?? new Map<string, string>();
  checkProperties(props, PRODUCE_RULES, '--producer-props', 'producer');
  for (const k of args.values.keys()) {
    if (!['bootstrap-server', 'topic', 'num-records', 'record-size', 'throughput', 'acks', 'reporting-interval', 'transactional-id',
      'transaction-duration-ms', 'records-per-transaction'].includes(k)) throw new UsageError(`Option ${k} is not an option of perf produce`);
  }
  const compressionName = props.get('compression.type') ?? 'none';
  const compression = compressionFromName(compressionName);
  if (compression === undefined) throw new UsageError(`unknown compression.type "${compressionName}"`);
  // Kafka's ProducerPerformance: transactions are on with any of the three; the option wins over the property.
  const durationArg = args.values.has('transaction-duration-ms') ? intOption(args, 'transaction-duration-ms') : undefined;
  if (durationArg !== undefined && !(durationArg > 0)) throw new UsageError('--transaction-duration-ms should be greater than zero');
  const recordsPerTransaction = intOption(args, 'records-per-transaction', 0);
  if (!(recordsPerTransaction >= 0)) throw new UsageError('--records-per-transaction must be >= 0');
  const transactional = durationArg !== undefined || args.values.has('transactional-id') || props.has('transactional.id') || recordsPerTransaction > 0;
  const transactionalId = transactional ? args.values.get('transactional-id') ?? props.get('transactional.id') ?? `performance-producer-${randomUUID()}` : null;
  const idempotenceText = props.get('enable.idempotence')?.trim().toLowerCase();
  // Our default acks is 1; idempotence and transactions need all (the Java producer's default), so they get it.
  const acks = parseAcks(args.values.get('acks') ?? props.get('acks') ?? (transactional || idempotenceText === 'true' ? 'all' : '1'));
  const maxInFlight = intProp(props, 'max.in.flight.requests.per.connection', 5);
  let idempotent: boolean;
  try {
    idempotent = resolveIdempotence({ acks, maxInFlight, transactionalId, idempotent: idempotenceText === undefined ? undefined : idempotenceText === 'true' });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const s: ProducerSettings = {
    bootstrap: bootstrapOf(args, props),
    topic: requiredTopic(args),
    numRecords: intOption(args, 'num-records'),
    recordSize: intOption(args, 'record-size'),
    throughput: intOption(args, 'throughput'),
    acks,
    lingerMs: intProp(props, 'linger.ms', 5),
    batchSize: intProp(props, 'batch.size', 16384),
    maxInFlight,
    maxRequestSize: intProp(props, 'max.request.size', MIB),
    bufferMemory: intProp(props, 'buffer.memory', 32 * MIB),
    requestTimeoutMs: intProp(props, 'request.timeout.ms', 30000),
    compression,
    clientId: props.get('client.id') ?? 'perf-producer-client',
    reportingIntervalMs: intOption(args, 'reporting-interval', 5000),
    json: args.flags.has('json'),
    idempotent,
    transactionalId,
    transactionDurationMs: durationArg ?? 3000,
    recordsPerTransaction,
    transactionTimeoutMs: intProp(props, 'transaction.timeout.ms', 60_000),
  };
  if (!(s.numRecords > 0) || !(s.recordSize >= 0)) throw new UsageError('--num-records must be > 0 and --record-size >= 0');
  if (s.maxInFlight < 1) throw new UsageError('max.in.flight.requests.per.connection must be >= 1');
  return s;
}

function consumerSettings(args: ParsedArgs): ConsumerSettings {
  const props = args.props.get('consumer-props') ?? new Map<string, string>();
  checkProperties(props, CONSUME_RULES, '--consumer-props', 'consumer');
  for (const k of args.values.keys()) {
    if (!['bootstrap-server', 'topic', 'messages', 'timeout', 'fetch-size', 'reporting-interval'].includes(k)) throw new UsageError(`Option ${k} is not an option of perf consume`);
  }
  const s: ConsumerSettings = {
    bootstrap: bootstrapOf(args, props),
    topic: requiredTopic(args),
    messages: intOption(args, 'messages'),
    fetchMaxBytes: intProp(props, 'fetch.max.bytes', 50 * MIB),
    partitionMaxBytes: intOption(args, 'fetch-size', intProp(props, 'max.partition.fetch.bytes', MIB)),
    fetchMinBytes: intProp(props, 'fetch.min.bytes', 1),
    fetchMaxWaitMs: intProp(props, 'fetch.max.wait.ms', 500),
    fromLatest: args.flags.has('from-latest'),
    timeoutMs: intOption(args, 'timeout', 10000),
    requestTimeoutMs: intProp(props, 'request.timeout.ms', 30000),
    clientId: props.get('client.id') ?? 'perf-consumer-client',
    reportingIntervalMs: intOption(args, 'reporting-interval', 5000),
    hideHeader: args.flags.has('hide-header'),
    json: args.flags.has('json'),
  };
  if (!(s.messages > 0)) throw new UsageError('--messages must be > 0');
  return s;
}

// `node dist/src/cli/perf.js produce ...` works without the main CLI.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: unknown) => { console.error(e); process.exitCode = 1; });
}
