/**
 * `sherwood reassign-partitions`: like kafka-reassign-partitions.sh (Kafka's
 * ReassignPartitionsCommand), over AlterPartitionReassignments / ListPartitionReassignments.
 *
 *   --bootstrap-server host:port (required), --command-config FILE (client properties)
 *   --execute --reassignment-json-file F [--additional]   start the reassignments in F; prints
 *       the current assignment first (Kafka's rollback JSON). Refused while other
 *       reassignments run, unless --additional.
 *   --verify --reassignment-json-file F     each partition: completed, still in progress, or
 *       no active reassignment but another replica set; exit 1 unless all completed
 *   --cancel --reassignment-json-file F     cancel the ones in F that are in progress
 *   --list                                  the reassignments in progress
 *   --generate --topics-to-move-json-file F --broker-list 1,2,3   a proposal that spreads each
 *       topic's partitions round-robin over the brokers, keeping the replication factor
 *
 * F is Kafka's format: {"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2],
 * "log_dirs":["any","any"]}]}; log_dirs other than "any" are refused (one log dir per broker).
 * Throttles (--throttle) are not supported: Sherwood has no replication quotas yet.
 */
import { readFileSync } from 'node:fs';
import { AlterPartitionReassignments, ErrorCode, ListPartitionReassignments, errorName, type KafkaClient } from '../client/index.js';
import { CommandError, UsageError, exactlyOneAction, parseOptions, runCommand, stderr, stdout, singleValue, withClient, type Output } from './_args.js';
import { adminClientOptions } from './_properties.js';

const WITH_VALUE = new Set(['bootstrap-server', 'command-config', 'reassignment-json-file', 'topics-to-move-json-file', 'broker-list', 'throttle', 'timeout']);
const BOOLEAN = new Set(['execute', 'verify', 'cancel', 'list', 'generate', 'additional', 'preserve-throttles', 'disable-rack-aware', 'help', 'version']);
const ACTIONS = ['execute', 'verify', 'cancel', 'list', 'generate'] as const;

export const HELP = `Usage: sherwood reassign-partitions --bootstrap-server HOST:PORT
         (--execute | --verify | --cancel) --reassignment-json-file FILE
       | --list
       | --generate --topics-to-move-json-file FILE --broker-list 1,2,3

Moves partition replicas between brokers (like kafka-reassign-partitions.sh): the new replicas
copy the log as followers and the old ones leave once every new one is in sync.

Options:
  --bootstrap-server HOST:PORT     A broker to connect to (required)
  --command-config FILE            Client properties: client.id, request.timeout.ms
  --reassignment-json-file FILE    {"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2,3]}]}
  --execute                        Start the reassignments in the file
  --additional                     With --execute: even while other reassignments run
  --verify                         Whether the file's reassignments have completed
  --cancel                         Cancel the file's reassignments that are in progress
  --list                           The reassignments in progress
  --generate                       Propose an assignment of the topics in
                                   --topics-to-move-json-file ({"topics":[{"topic":"t"}]})
                                   over --broker-list
  --help                           This help`;

interface Move {
  topic: string;
  partition: number;
  replicas: number[];
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`Cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`${path} is not valid JSON`);
  }
}

/** Kafka's reassignment JSON → moves; refuses duplicates, bad types and real log dirs. */
export function parseReassignmentJson(path: string, value: unknown): Move[] {
  const list = (value as { partitions?: unknown } | null)?.partitions;
  if (!Array.isArray(list)) throw new UsageError(`${path}: expected {"version":1,"partitions":[{"topic": ..., "partition": ..., "replicas": [...]}]}`);
  const seen = new Set<string>();
  const moves: Move[] = [];
  for (const e of list as { topic?: unknown; partition?: unknown; replicas?: unknown; log_dirs?: unknown }[]) {
    if (typeof e?.topic !== 'string' || !Number.isInteger(e.partition) || !Array.isArray(e.replicas) || !e.replicas.every((r) => Number.isInteger(r))) {
      throw new UsageError(`${path}: every entry needs a string "topic", an integer "partition" and integer "replicas"`);
    }
    const key = `${e.topic}-${e.partition as number}`;
    if (seen.has(key)) throw new UsageError(`Reassignment contains duplicate topic partitions: ${key}`);
    seen.add(key);
    const replicas = e.replicas as number[];
    if (replicas.length === 0) throw new UsageError(`Partition ${key} has no replicas`);
    if (new Set(replicas).size !== replicas.length) throw new UsageError(`Partition replica lists may not contain duplicate entries: ${key} contains ${replicas.join(',')}`);
    if (e.log_dirs !== undefined) {
      if (!Array.isArray(e.log_dirs) || e.log_dirs.length !== replicas.length) throw new UsageError(`Partition ${key} has ${replicas.length} replica(s) but a different number of log_dirs`);
      if (e.log_dirs.some((d) => d !== 'any')) throw new UsageError(`Partition ${key}: log_dirs other than "any" are not supported (each broker has one log dir)`);
    }
    moves.push({ topic: e.topic, partition: e.partition as number, replicas });
  }
  if (moves.length === 0) throw new UsageError(`${path} lists no partitions`);
  return moves;
}

function assignmentJson(moves: readonly Move[]): string {
  return JSON.stringify({ version: 1, partitions: moves.map((m) => ({ topic: m.topic, partition: m.partition, replicas: m.replicas, log_dirs: m.replicas.map(() => 'any') })) });
}

/** Current replicas of every partition of `topics` (by "topic-partition"). */
async function currentReplicas(client: KafkaClient, topics: readonly string[]): Promise<Map<string, number[]>> {
  const md = await client.metadata([...new Set(topics)]);
  const out = new Map<string, number[]>();
  for (const t of md.topics) {
    if (t.errorCode !== ErrorCode.NONE) continue;
    for (const p of t.partitions) out.set(`${t.name}-${p.partition}`, p.replicas);
  }
  return out;
}

/** The reassignments in progress, by "topic-partition" (also `sherwood topics --describe`'s). */
export async function reassignmentsInProgress(client: KafkaClient): Promise<Map<string, { replicas: number[]; adding: number[]; removing: number[] }>> {
  const r = await client.request(ListPartitionReassignments, { timeoutMs: 30_000, topics: null });
  if (r.errorCode !== ErrorCode.NONE) throw new CommandError(`listing reassignments failed: ${errorName(r.errorCode)}${r.errorMessage === null ? '' : `: ${r.errorMessage}`}`);
  const out = new Map<string, { replicas: number[]; adding: number[]; removing: number[] }>();
  for (const t of r.topics) for (const p of t.partitions) out.set(`${t.name}-${p.partitionIndex}`, { replicas: p.replicas, adding: p.addingReplicas, removing: p.removingReplicas });
  return out;
}

function grouped(moves: readonly Move[], replicas: (m: Move) => number[] | null): { name: string; partitions: { partitionIndex: number; replicas: number[] | null }[] }[] {
  const byTopic = new Map<string, { partitionIndex: number; replicas: number[] | null }[]>();
  for (const m of moves) {
    const list = byTopic.get(m.topic) ?? [];
    list.push({ partitionIndex: m.partition, replicas: replicas(m) });
    byTopic.set(m.topic, list);
  }
  return [...byTopic].map(([name, partitions]) => ({ name, partitions }));
}

async function alter(client: KafkaClient, moves: readonly Move[], cancel: boolean): Promise<{ ok: string[]; errors: string[] }> {
  const r = await client.request(AlterPartitionReassignments, { timeoutMs: 30_000, topics: grouped(moves, (m) => (cancel ? null : m.replicas)) });
  if (r.errorCode !== ErrorCode.NONE) throw new CommandError(`${errorName(r.errorCode)}${r.errorMessage === null ? '' : `: ${r.errorMessage}`}`);
  const ok: string[] = [];
  const errors: string[] = [];
  for (const t of r.responses) {
    for (const p of t.partitions) {
      const name = `${t.name}-${p.partitionIndex}`;
      if (p.errorCode === ErrorCode.NONE) ok.push(name);
      else errors.push(`${name}: ${p.errorMessage ?? errorName(p.errorCode)}`);
    }
  }
  return { ok, errors };
}

async function execute(client: KafkaClient, moves: Move[], additional: boolean, out: Output): Promise<number> {
  const running = await reassignmentsInProgress(client);
  if (running.size > 0 && !additional) {
    throw new CommandError('Cannot execute because there is an existing partition assignment.  Use --additional to override this and create a new partition assignment in addition to the existing one.');
  }
  const current = await currentReplicas(client, moves.map((m) => m.topic));
  const missing = moves.filter((m) => !current.has(`${m.topic}-${m.partition}`));
  if (missing.length > 0) throw new CommandError(`Topic or partition not found: ${missing.map((m) => `${m.topic}-${m.partition}`).join(',')}`);
  out('Current partition replica assignment');
  out('');
  out(assignmentJson(moves.map((m) => ({ ...m, replicas: current.get(`${m.topic}-${m.partition}`)! }))));
  out('');
  out('Save this to use as the --reassignment-json-file option during rollback');
  const { ok, errors } = await alter(client, moves, false);
  if (errors.length > 0) throw new CommandError(`Error reassigning partition(s): ${errors.join('; ')}`);
  out(`Successfully started partition reassignment${ok.length === 1 ? '' : 's'} for ${ok.join(',')}`);
  return 0;
}

async function verify(client: KafkaClient, moves: Move[], out: Output): Promise<number> {
  const running = await reassignmentsInProgress(client);
  const current = await currentReplicas(client, moves.map((m) => m.topic));
  out('Status of partition reassignment:');
  let done = true;
  for (const m of moves) {
    const name = `${m.topic}-${m.partition}`;
    if (running.has(name)) {
      out(`Reassignment of partition ${name} is still in progress.`);
      done = false;
      continue;
    }
    const now = current.get(name);
    if (now === undefined) {
      out(`There is no active reassignment of partition ${name}, and the partition does not exist.`);
      done = false;
    } else if (now.length === m.replicas.length && now.every((b, i) => b === m.replicas[i])) {
      out(`Reassignment of partition ${name} is completed.`);
    } else {
      out(`There is no active reassignment of partition ${name}, but replica set is ${now.join(',')} rather than ${m.replicas.join(',')}.`);
      done = false;
    }
  }
  return done ? 0 : 1;
}

async function cancel(client: KafkaClient, moves: Move[], out: Output): Promise<number> {
  const running = await reassignmentsInProgress(client);
  const active = moves.filter((m) => running.has(`${m.topic}-${m.partition}`));
  if (active.length > 0) {
    const { ok, errors } = await alter(client, active, true);
    if (errors.length > 0) throw new CommandError(`Error cancelling partition reassignment(s): ${errors.join('; ')}`);
    out(`Successfully cancelled partition reassignment${ok.length === 1 ? '' : 's'} for: ${ok.join(',')}`);
  } else {
    out('None of the specified partition reassignments are active.');
  }
  return 0;
}

async function list(client: KafkaClient, out: Output): Promise<number> {
  const running = await reassignmentsInProgress(client);
  if (running.size === 0) {
    out('No partition reassignments found.');
    return 0;
  }
  out('Current partition reassignments:');
  for (const [name, r] of [...running].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    out(`${name}: replicas: ${r.replicas.join(',')}. adding: ${r.adding.join(',')}. removing: ${r.removing.join(',')}.`);
  }
  return 0;
}

async function generate(client: KafkaClient, topicsFile: string, brokerList: string, out: Output): Promise<number> {
  const parsed = readJson(topicsFile) as { topics?: unknown } | null;
  const entries = parsed?.topics;
  if (!Array.isArray(entries) || entries.length === 0 || !entries.every((e: { topic?: unknown }) => typeof e?.topic === 'string')) {
    throw new UsageError(`${topicsFile}: expected {"topics":[{"topic":"t"}, ...],"version":1}`);
  }
  const brokers = brokerList.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (brokers.length === 0 || brokers.some((b) => !Number.isInteger(b) || b < 0)) throw new UsageError(`--broker-list must be broker ids separated by commas, not '${brokerList}'`);
  if (new Set(brokers).size !== brokers.length) throw new UsageError(`Duplicate brokers in --broker-list ${brokerList}`);
  const topics = (entries as { topic: string }[]).map((e) => e.topic);
  const current = await currentReplicas(client, topics);
  const currentMoves: Move[] = [];
  for (const [name, replicas] of current) {
    const at = name.lastIndexOf('-');
    currentMoves.push({ topic: name.slice(0, at), partition: Number(name.slice(at + 1)), replicas });
  }
  if (currentMoves.length === 0) throw new CommandError(`None of the topics exist: ${topics.join(',')}`);
  currentMoves.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  const proposed = currentMoves.map((m, i) => {
    if (m.replicas.length > brokers.length) throw new CommandError(`Replication factor: ${m.replicas.length} larger than available brokers: ${brokers.length}.`);
    return { ...m, replicas: m.replicas.map((_, r) => brokers[(i + r) % brokers.length]!) };
  });
  out('Current partition replica assignment');
  out(assignmentJson(currentMoves));
  out('');
  out('Proposed partition reassignment configuration');
  out(assignmentJson(proposed));
  return 0;
}

export async function main(argv: string[], out: Output = stdout, err: Output = stderr): Promise<number> {
  return runCommand('reassign-partitions', HELP, out, err, async () => {
    const { values, flags } = parseOptions(argv, { withValue: WITH_VALUE, boolean: BOOLEAN });
    const one = (name: string): string | null => singleValue(values, name);
    const bootstrap = one('bootstrap-server');
    if (bootstrap === null) throw new UsageError('Missing required option(s): bootstrap-server');
    const action = exactlyOneAction(flags, ACTIONS, 'Command must include exactly one action: --execute, --verify, --cancel, --list or --generate');
    if (one('throttle') !== null) throw new UsageError('--throttle is not supported: Sherwood has no replication quotas');
    const file = one('reassignment-json-file');
    let moves: Move[] = [];
    if (action === 'execute' || action === 'verify' || action === 'cancel') {
      if (file === null) throw new UsageError(`Missing required option(s): reassignment-json-file (with --${action})`);
      moves = parseReassignmentJson(file, readJson(file));
    }
    const topicsFile = one('topics-to-move-json-file');
    const brokerList = one('broker-list');
    if (action === 'generate' && (topicsFile === null || brokerList === null)) throw new UsageError('--generate needs --topics-to-move-json-file and --broker-list');
    return withClient(bootstrap, adminClientOptions(one('command-config'), 'sherwood-reassign-partitions'), async (client) => {
      switch (action) {
        case 'execute': return execute(client, moves, flags.has('additional'), out);
        case 'verify': return verify(client, moves, out);
        case 'cancel': return cancel(client, moves, out);
        case 'list': return list(client, out);
        case 'generate': return generate(client, topicsFile!, brokerList!, out);
      }
    });
  });
}
