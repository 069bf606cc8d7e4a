/**
 * `sherwood transactions`: kafka-transactions.sh (Kafka's TransactionsCommand, KIP-664) over
 * the wire with Sherwood's client (../client/transaction-admin.ts).
 *
 *   sherwood transactions --bootstrap-server H:P [--command-config F] <command> [options]
 *     list [--duration-filter MS]
 *     describe --transactional-id ID
 *     describe-producers --topic T --partition P [--broker-id N]
 *     abort --topic T --partition P (--start-offset N | --producer-id N --producer-epoch N --coordinator-epoch N)
 *     find-hanging (--broker-id N | --topic T [--partition P]) [--max-transaction-timeout MINUTES]
 *
 * Output is Kafka's: a table whose columns are padded to their widest cell and each followed by
 * a tab (ToolsUtils.prettyPrintTable), "None" for absent values. `abort` prints nothing on
 * success, as Kafka's tool. `find-hanging` finds, as Kafka computes it, the open transactions
 * (DescribeProducers: a current transaction start offset) whose producer last wrote more than
 * --max-transaction-timeout minutes ago, and keeps those whose coordinator does not expect to
 * end them: no transactional id lists the producer id (ListTransactions with a producer id
 * filter), the id is unknown (DescribeTransactions), or its transaction does not include the
 * partition. Failures are one line (Kafka's text, e.g. "Failed to describe transaction state
 * of transactional-id `x`: ...") and exit code 1. Options may come before or after the command.
 */
import {
  KafkaClient, KafkaError, abortTransaction, describeProducers, describeTransaction, listTransactions,
  type ProducerState, type TransactionDescription,
} from '../client/index.js';
import { CommandError, UsageError, parseInteger, parseOptions, runCommand, stderr, stdout, withClient, type Output } from './_args.js';
import { adminClientOptions } from './_properties.js';

const COMMANDS = ['list', 'describe', 'describe-producers', 'abort', 'find-hanging'] as const;
type Command = (typeof COMMANDS)[number];

const GLOBAL = ['bootstrap-server', 'command-config'];
const OPTIONS: Record<Command, string[]> = {
  list: ['duration-filter'],
  describe: ['transactional-id'],
  'describe-producers': ['topic', 'partition', 'broker-id'],
  abort: ['topic', 'partition', 'start-offset', 'producer-id', 'producer-epoch', 'coordinator-epoch'],
  'find-hanging': ['broker-id', 'max-transaction-timeout', 'topic', 'partition'],
};
const WITH_VALUE = new Set([...GLOBAL, ...Object.values(OPTIONS).flat()]);

export const HELP = `Usage: sherwood transactions --bootstrap-server HOST:PORT [--command-config FILE] <command> [options]

Analyzes the transactional state of producers in the cluster; detects and ends hanging
transactions (like kafka-transactions.sh).

Commands:
  list [--duration-filter MS]
      list transactions (only those running longer than MS with a filter >= 0)
  describe --transactional-id ID
      describe the state of an active transactional-id
  describe-producers --topic T --partition P [--broker-id N]
      describe the states of active producers for a topic partition (on its leader, or on broker N)
  abort --topic T --partition P (--start-offset N | --producer-id N --producer-epoch N --coordinator-epoch N)
      abort a hanging transaction: writes an ABORT marker to the partition
  find-hanging (--broker-id N | --topic T [--partition P]) [--max-transaction-timeout MINUTES]
      find hanging transactions (open longer than MINUTES, default 15, and unknown to their coordinator)

Options:
  --bootstrap-server H:P   The broker to connect to (required)
  --command-config FILE    Client properties: client.id, request.timeout.ms (others are refused)`;

interface Parsed {
  command: Command;
  bootstrap: string;
  commandConfig: string | null;
  values: Map<string, string>;
}

/** Splits the command from the options (which may come before or after it) and checks them. */
export function parseArgs(argv: string[]): Parsed {
  let command: Command | undefined;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) {
      if (command === undefined && (COMMANDS as readonly string[]).includes(a)) {
        command = a as Command;
        continue;
      }
      if (command === undefined) throw new UsageError(`invalid choice: '${a}' (choose from ${COMMANDS.map((c) => `'${c}'`).join(', ')})`);
    }
    rest.push(a);
    if (a.startsWith('--') && !a.includes('=') && WITH_VALUE.has(a.slice(2)) && i + 1 < argv.length) rest.push(argv[++i]!);
  }
  const { values: all } = parseOptions(rest, {
    withValue: WITH_VALUE, boolean: new Set(['help']),
    refuse: (name) => (name === 'transactional-id-pattern'
      ? '--transactional-id-pattern is not supported: it needs ListTransactions v2 (KIP-1152), which Sherwood does not serve yet'
      : null),
  });
  if (command === undefined) throw new UsageError(`a command is required: ${COMMANDS.join(', ')}`);
  const values = new Map<string, string>();
  for (const [name, list] of all) {
    if (!GLOBAL.includes(name) && !OPTIONS[command].includes(name)) throw new UsageError(`--${name} is not an option of transactions ${command}`);
    values.set(name, list.at(-1)!);
  }
  const bootstrap = values.get('bootstrap-server');
  if (bootstrap === undefined) throw new UsageError('argument --bootstrap-server is required');
  const required = (name: string): void => {
    if (!values.has(name)) throw new UsageError(`argument --${name} is required`);
  };
  if (command === 'describe') required('transactional-id');
  if (command === 'describe-producers' || command === 'abort') {
    required('topic');
    required('partition');
  }
  for (const name of ['partition', 'broker-id', 'start-offset', 'producer-id', 'producer-epoch', 'coordinator-epoch', 'max-transaction-timeout', 'duration-filter']) {
    const v = values.get(name);
    if (v !== undefined) parseInteger(v, name);
  }
  return { command, bootstrap, commandConfig: values.get('command-config') ?? null, values };
}

const int = (p: Parsed, name: string): number | undefined => {
  const v = p.values.get(name);
  return v === undefined ? undefined : Number(v.trim());
};

/** Kafka's ToolsUtils.prettyPrintTable: every column padded to its widest cell, then a tab. */
export function prettyPrintTable(headers: string[], rows: string[][], out: Output): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!) + '\t').join('');
  out(line(headers));
  for (const r of rows) out(line(r));
}

/** Kafka's "<message>: <cause>." for a failed admin call. */
function failed(message: string, cause: unknown): CommandError {
  return new CommandError(`${message}: ${(cause as Error).message}`);
}

export async function main(argv: string[], out: Output = stdout, err: Output = stderr): Promise<number> {
  return runCommand('transactions', HELP, out, err, async () => {
    const p = parseArgs(argv);
    await withClient(p.bootstrap, adminClientOptions(p.commandConfig, 'sherwood-transactions'), (client) => run(client, p, out));
  });
}

async function run(client: KafkaClient, p: Parsed, out: Output): Promise<void> {
  switch (p.command) {
    case 'list': return list(client, int(p, 'duration-filter'), out);
    case 'describe': return describe(client, p.values.get('transactional-id')!, out);
    case 'describe-producers': return producers(client, p.values.get('topic')!, int(p, 'partition')!, int(p, 'broker-id'), out);
    case 'abort': return abort(client, p);
    case 'find-hanging': return findHanging(client, p, out);
  }
}

async function list(client: KafkaClient, durationFilterMs: number | undefined, out: Output): Promise<void> {
  let byBroker;
  try {
    byBroker = await listTransactions(client, { durationFilterMs });
  } catch (e) {
    throw failed('Failed to list transactions', e);
  }
  const rows: string[][] = [];
  for (const [brokerId, listings] of byBroker) {
    for (const l of listings) rows.push([l.transactionalId, String(brokerId), String(l.producerId), l.state]);
  }
  prettyPrintTable(['TransactionalId', 'Coordinator', 'ProducerId', 'TransactionState'], rows, out);
}

async function describe(client: KafkaClient, transactionalId: string, out: Output): Promise<void> {
  let d: TransactionDescription;
  try {
    d = await describeTransaction(client, transactionalId);
  } catch (e) {
    throw failed(`Failed to describe transaction state of transactional-id \`${transactionalId}\``, e);
  }
  const started = d.transactionStartTimeMs >= 0;
  prettyPrintTable(
    ['CoordinatorId', 'TransactionalId', 'ProducerId', 'ProducerEpoch', 'TransactionState', 'TransactionTimeoutMs', 'CurrentTransactionStartTimeMs', 'TransactionDurationMs', 'TopicPartitions'],
    [[String(d.coordinatorId), transactionalId, String(d.producerId), String(d.producerEpoch), d.state, String(d.transactionTimeoutMs),
      started ? String(d.transactionStartTimeMs) : 'None', started ? String(client.clock.now() - d.transactionStartTimeMs) : 'None',
      d.topicPartitions.map((tp) => `${tp.topic}-${tp.partition}`).join(',')]],
    out,
  );
}

async function producers(client: KafkaClient, topic: string, partition: number, brokerId: number | undefined, out: Output): Promise<void> {
  let states: ProducerState[];
  try {
    states = await describeProducers(client, topic, partition, { brokerId });
  } catch (e) {
    throw failed(`Failed to describe producers for partition ${topic}-${partition} on ${brokerId === undefined ? 'leader' : `broker ${brokerId}`}`, e);
  }
  prettyPrintTable(
    ['ProducerId', 'ProducerEpoch', 'LatestCoordinatorEpoch', 'LastSequence', 'LastTimestamp', 'CurrentTransactionStartOffset'],
    states.map((s) => [String(s.producerId), String(s.producerEpoch), String(s.coordinatorEpoch), String(s.lastSequence), String(s.lastTimestamp),
      s.currentTransactionStartOffset >= 0 ? String(s.currentTransactionStartOffset) : 'None']),
    out,
  );
}

async function abort(client: KafkaClient, p: Parsed): Promise<void> {
  const topic = p.values.get('topic')!;
  const partition = int(p, 'partition')!;
  const tp = `${topic}-${partition}`;
  const startOffset = int(p, 'start-offset');
  const producerId = int(p, 'producer-id');
  if (startOffset === undefined && producerId === undefined) {
    throw new CommandError('The transaction to abort must be identified either with --start-offset (for brokers on 3.0 or above) or with --producer-id, --producer-epoch, and --coordinator-epoch (for older brokers)');
  }
  let spec: { producerId: number; producerEpoch: number; coordinatorEpoch: number };
  if (startOffset === undefined) {
    const producerEpoch = int(p, 'producer-epoch');
    if (producerEpoch === undefined) throw new CommandError('Missing required argument --producer-epoch');
    const coordinatorEpoch = int(p, 'coordinator-epoch');
    if (coordinatorEpoch === undefined) throw new CommandError('Missing required argument --coordinator-epoch');
    // A transaction that hung before its first marker shows coordinator epoch -1: 0 is at most any real one.
    spec = { producerId: producerId!, producerEpoch, coordinatorEpoch: Math.max(0, coordinatorEpoch) };
  } else {
    let states: ProducerState[];
    try {
      states = await describeProducers(client, topic, partition);
    } catch (e) {
      throw failed(`Failed to validate producer state for partition ${tp}`, e);
    }
    const open = states.find((s) => s.currentTransactionStartOffset >= 0 && s.currentTransactionStartOffset === startOffset);
    if (open === undefined) throw new CommandError(`Could not find any open transactions starting at offset ${startOffset} on partition ${tp}`);
    spec = { producerId: open.producerId, producerEpoch: open.producerEpoch, coordinatorEpoch: Math.max(0, open.coordinatorEpoch) };
  }
  try {
    await abortTransaction(client, { topic, partition, ...spec });
  } catch (e) {
    throw failed(`Failed to abort transaction AbortTransactionSpec(topicPartition=${tp}, producerId=${spec.producerId}, producerEpoch=${spec.producerEpoch}, coordinatorEpoch=${spec.coordinatorEpoch})`, e);
  }
}

interface OpenTransaction {
  topic: string;
  partition: number;
  state: ProducerState;
}

async function findHanging(client: KafkaClient, p: Parsed, out: Output): Promise<void> {
  const brokerId = int(p, 'broker-id');
  const topic = p.values.get('topic');
  const partition = int(p, 'partition');
  if (topic === undefined && brokerId === undefined) {
    throw new CommandError('The `find-hanging` command requires either --topic or --broker-id to limit the scope of the search');
  }
  if (partition !== undefined && topic === undefined) throw new CommandError('The --partition argument requires --topic to be provided');
  const maxTransactionTimeoutMs = (int(p, 'max-transaction-timeout') ?? 15) * 60_000;

  const partitions = await partitionsToSearch(client, topic, partition, brokerId);
  const now = client.clock.now();
  const candidates: OpenTransaction[] = [];
  for (const tp of partitions) {
    let states: ProducerState[];
    try {
      states = await describeProducers(client, tp.topic, tp.partition, { brokerId });
    } catch (e) {
      throw failed(`Failed to describe producers for ${partitions.length} partitions on ${brokerId === undefined ? 'their leaders' : `broker ${brokerId}`}`, e);
    }
    for (const s of states) {
      if (s.currentTransactionStartOffset >= 0 && now - s.lastTimestamp > maxTransactionTimeoutMs) candidates.push({ ...tp, state: s });
    }
  }
  const hanging: OpenTransaction[] = [];
  if (candidates.length > 0) {
    const producerIds = [...new Set(candidates.map((c) => c.state.producerId))];
    const transactionalIds = new Map<number, string>();
    try {
      for (const listings of (await listTransactions(client, { producerIdFilters: producerIds })).values()) {
        for (const l of listings) if (producerIds.includes(l.producerId)) transactionalIds.set(l.producerId, l.transactionalId);
      }
    } catch (e) {
      throw failed(`Failed to list transactions for ${producerIds.length} producers`, e);
    }
    const descriptions = new Map<string, TransactionDescription | null>();
    for (const id of new Set(transactionalIds.values())) {
      try {
        descriptions.set(id, await describeTransaction(client, id));
      } catch (e) {
        if (!(e instanceof KafkaError && e.errorName === 'TRANSACTIONAL_ID_NOT_FOUND')) throw failed(`Failed to describe ${transactionalIds.size} transactions`, e);
        descriptions.set(id, null);
      }
    }
    for (const c of candidates) {
      const id = transactionalIds.get(c.state.producerId);
      const d = id === undefined ? null : descriptions.get(id) ?? null;
      // The coordinator still writes the marker of a partition its transaction includes.
      if (d === null || !d.topicPartitions.some((x) => x.topic === c.topic && x.partition === c.partition)) hanging.push(c);
    }
  }
  prettyPrintTable(
    ['Topic', 'Partition', 'ProducerId', 'ProducerEpoch', 'CoordinatorEpoch', 'StartOffset', 'LastTimestamp', 'Duration(min)'],
    hanging.map((h) => [h.topic, String(h.partition), String(h.state.producerId), String(h.state.producerEpoch), String(h.state.coordinatorEpoch),
      String(h.state.currentTransactionStartOffset), String(h.state.lastTimestamp), String(Math.floor((now - h.state.lastTimestamp) / 60_000))]),
    out,
  );
}

/** --topic [--partition], else every non-internal topic; only partitions with a replica on --broker-id when given. */
async function partitionsToSearch(client: KafkaClient, topic: string | undefined, partition: number | undefined, brokerId: number | undefined): Promise<{ topic: string; partition: number }[]> {
  if (topic !== undefined && partition !== undefined) return [{ topic, partition }];
  let md;
  try {
    md = await client.metadata(topic === undefined ? null : [topic]);
  } catch (e) {
    throw failed(topic === undefined ? 'Failed to list topics' : 'Failed to describe 1 topics', e);
  }
  const out: { topic: string; partition: number }[] = [];
  for (const t of md.topics) {
    if (topic === undefined && t.isInternal) continue;
    if (t.errorCode !== 0) throw failed(`Failed to describe ${topic === undefined ? md.topics.length : 1} topics`, new KafkaError(t.errorCode, `topic ${t.name}`));
    for (const p of t.partitions) {
      if (brokerId === undefined || p.replicas.includes(brokerId)) out.push({ topic: t.name, partition: p.partition });
    }
  }
  return out.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
}
