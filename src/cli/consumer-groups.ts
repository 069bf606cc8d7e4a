/**
 * `sherwood consumer-groups`: kafka-consumer-groups.sh over the wire with Sherwood's client.
 *
 *   --bootstrap-server host:port (required)
 *   one of --list, --describe, --delete, --reset-offsets, --delete-offsets
 *   --group G (repeatable; --all-groups for --describe/--delete), --topic T or T:0,1 (repeatable),
 *   --all-topics; --describe with --members [--verbose], --state, or (default) --offsets;
 *   --reset-offsets with one of --to-earliest, --to-latest, --to-offset N, --shift-by N,
 *   --to-datetime YYYY-MM-DDTHH:mm:SS[.sss][Z|±hh:mm], --to-current, and --dry-run (default) or --execute.
 *
 * Output follows Kafka's ConsumerGroupCommand: a blank line, then a header and one row per
 * partition (GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID),
 * "-" where there is no value. Warnings about empty or rebalancing groups go to stderr; a
 * failure is one line there, "sherwood consumer-groups: <message>" (Kafka's tool says "Error:
 * Executing consumer group command failed due to <message>").
 * Offsets can only be reset while the group is inactive (Empty or Dead), as in Kafka.
 */
import { KafkaClient } from '../client/kafka-client.js';
import { KafkaError } from '../client/kafka-error.js';
import { commitOffsets, findCoordinator, listOffsets, EARLIEST_TIMESTAMP, LATEST_TIMESTAMP } from '../client/operations.js';
import {
  ErrorCode, errorName, decodeAssignment, DeleteGroups, DescribeGroups, type DescribeGroupsResponse, ListGroups, OffsetFetch, OffsetDelete,
} from '../client/index.js';
import { CommandError, UsageError, exactlyOneAction, parseInteger, parseOptions, runCommand, stderr, stdout, withClient, type Output } from './_args.js';
import { adminClientOptions } from './_properties.js';

type DescribedGroup = DescribeGroupsResponse['groups'][number];

const ACTIONS = ['list', 'describe', 'delete', 'reset-offsets', 'delete-offsets'] as const;
type Action = (typeof ACTIONS)[number];
const RESET_SPECS = ['to-earliest', 'to-latest', 'to-offset', 'shift-by', 'to-datetime', 'to-current'] as const;

const FLAGS_WITH_VALUE = new Set(['bootstrap-server', 'group', 'topic', 'to-offset', 'shift-by', 'to-datetime', 'command-config', 'timeout']);
const BOOLEAN_FLAGS = new Set([...ACTIONS, 'all-groups', 'all-topics', 'members', 'verbose', 'state', 'offsets', 'to-earliest', 'to-latest',
  'to-current', 'dry-run', 'execute', 'help']);

export const HELP = `Usage: sherwood consumer-groups --bootstrap-server HOST:PORT <action> [options]

Actions (exactly one):
  --list                 List all consumer groups
  --describe             Describe groups: offsets and lag (default), --members [--verbose], or --state
  --delete               Delete inactive groups (--group G... or --all-groups)
  --reset-offsets        Reset committed offsets of an inactive group (--dry-run by default, --execute to apply)
  --delete-offsets       Delete committed offsets of a group for --topic T

Options:
  --group G              Group id (repeatable)
  --all-groups           Every group (--describe, --delete)
  --topic T[:P,P]        Topic, optionally with partitions (repeatable)
  --all-topics           Every topic the group has committed offsets for (--reset-offsets)
  --to-earliest | --to-latest | --to-current | --to-offset N | --shift-by N | --to-datetime YYYY-MM-DDTHH:mm:SS.sss
  --dry-run | --execute  Show the new offsets, or commit them
  --timeout MS           Request timeout (default 30000)
  --command-config FILE  Client properties: client.id, request.timeout.ms (others are refused)`;

interface Options {
  action: Action;
  bootstrap: string;
  groups: string[];
  topics: { topic: string; partitions: number[] | null }[];
  values: Map<string, string>;
  flags: Set<string>;
}

export function parseArgs(argv: string[]): Options {
  const topics: Options['topics'] = [];
  const parsed = parseOptions(argv, {
    withValue: FLAGS_WITH_VALUE,
    boolean: BOOLEAN_FLAGS,
    onValue: (name, value) => {
      if (name === 'topic') topics.push(parseTopic(value));
    },
  });
  const groups = parsed.values.get('group') ?? [];
  // The last value of a single-valued option wins; `flags` names every option given.
  const values = new Map<string, string>();
  for (const [name, all] of parsed.values) if (name !== 'group' && name !== 'topic') values.set(name, all[all.length - 1]!);
  const flags = new Set<string>([...parsed.flags, ...parsed.values.keys()]);
  const action = exactlyOneAction(flags, ACTIONS, 'Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets');
  const bootstrap = values.get('bootstrap-server');
  if (bootstrap === undefined) throw new UsageError('Missing required argument "[bootstrap-server]"');
  if (action !== 'list' && groups.length === 0 && !flags.has('all-groups')) throw new UsageError(`Option [${action}] takes one of these options: [all-groups], [group]`);
  if (action === 'reset-offsets') {
    const specs = RESET_SPECS.filter((s) => flags.has(s));
    if (specs.length !== 1) throw new UsageError('Option [reset-offsets] takes exactly one of: --to-earliest, --to-latest, --to-current, --to-offset, --shift-by, --to-datetime');
    if (topics.length === 0 && !flags.has('all-topics')) throw new UsageError('Option [reset-offsets] takes one of these options: [all-topics], [topic]');
    if (flags.has('dry-run') && flags.has('execute')) throw new UsageError('Option [reset-offsets] takes at most one of these options: [dry-run], [execute]');
  }
  if (action === 'delete-offsets' && (topics.length === 0 || groups.length !== 1)) throw new UsageError('Option [delete-offsets] takes one --group and at least one --topic');
  return { action, bootstrap, groups, topics, values, flags };
}

function parseTopic(spec: string): { topic: string; partitions: number[] | null } {
  const colon = spec.lastIndexOf(':');
  if (colon < 0) return { topic: spec, partitions: null };
  const partitions = spec.slice(colon + 1).split(',').map((p) => {
    if (!/^\d+$/.test(p.trim())) throw new UsageError(`Invalid partition in --topic ${spec}`);
    return Number(p);
  });
  return { topic: spec.slice(0, colon), partitions };
}

/** Left-aligned columns, as Kafka's "%-Ns" formats print them. */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join(' ').trimEnd();
  return [line(header), ...rows.map(line)];
}

/** The partitions in a member's assignment (empty when it cannot be read). */
export function parseAssignment(bytes: Buffer): { topic: string; partition: number }[] {
  return (decodeAssignment(bytes)?.assignedPartitions ?? []).flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })));
}

async function coordinatorFor(client: KafkaClient, group: string): Promise<number> {
  return (await findCoordinator(client, group)).nodeId;
}

async function describeGroup(client: KafkaClient, group: string): Promise<DescribedGroup> {
  const nodeId = await coordinatorFor(client, group);
  const res = await client.request(DescribeGroups, { groups: [group], includeAuthorizedOperations: false }, { nodeId });
  const g = res.groups[0]!;
  if (g.errorCode !== ErrorCode.NONE) throw new KafkaError(g.errorCode, `describe group ${group}`);
  return g;
}

/** Every committed offset of a group (OffsetFetch with all topics). */
async function committedOffsets(client: KafkaClient, group: string): Promise<Map<string, Map<number, number>>> {
  const nodeId = await coordinatorFor(client, group);
  const version = await client.versionFor(OffsetFetch, nodeId);
  const res = await client.request(OffsetFetch, {
    groupId: group, topics: null, requireStable: false,
    groups: [{ groupId: group, memberId: null, memberEpoch: -1, topics: null }],
  }, { nodeId, version });
  const g = version >= 8 ? res.groups[0] : { errorCode: res.errorCode, topics: res.topics };
  if (g === undefined) return new Map();
  if (g.errorCode !== ErrorCode.NONE) throw new KafkaError(g.errorCode, `fetch offsets of ${group}`);
  const out = new Map<string, Map<number, number>>();
  for (const t of g.topics) {
    for (const p of t.partitions) {
      if (p.errorCode !== ErrorCode.NONE || p.committedOffset < 0) continue;
      if (!out.has(t.name)) out.set(t.name, new Map());
      out.get(t.name)!.set(p.partitionIndex, p.committedOffset);
    }
  }
  return out;
}

async function allGroups(client: KafkaClient): Promise<string[]> {
  const res = await client.request(ListGroups, { statesFilter: [], typesFilter: [] });
  if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode, 'list groups');
  return res.groups.map((g) => g.groupId).sort();
}

function warnState(g: DescribedGroup, err: Output): boolean {
  if (g.groupState === 'Dead') {
    err(`\nError: Consumer group '${g.groupId}' does not exist.`);
    return false;
  }
  if (g.groupState === 'Empty') err(`\nConsumer group '${g.groupId}' has no active members.`);
  if (g.groupState === 'PreparingRebalance' || g.groupState === 'CompletingRebalance') err(`\nWarning: Consumer group '${g.groupId}' is rebalancing.`);
  return true;
}

async function describeOffsets(client: KafkaClient, group: string, out: Output, err: Output): Promise<void> {
  const g = await describeGroup(client, group);
  if (!warnState(g, err)) return;
  const committed = await committedOffsets(client, group);
  const owners = new Map<string, DescribedGroup['members'][number]>();
  for (const m of g.members) for (const a of parseAssignment(m.memberAssignment)) owners.set(`${a.topic}:${a.partition}`, m);
  const keys = new Set<string>([...owners.keys()]);
  for (const [t, ps] of committed) for (const p of ps.keys()) keys.add(`${t}:${p}`);
  const parts = [...keys].map((k) => {
    const i = k.lastIndexOf(':');
    return { topic: k.slice(0, i), partition: Number(k.slice(i + 1)) };
  }).sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  const rows: string[][] = [];
  for (const { topic, partition } of parts) {
    const current = committed.get(topic)?.get(partition);
    let logEnd: number | undefined;
    try {
      logEnd = (await listOffsets(client, topic, partition, LATEST_TIMESTAMP)).offset;
    } catch {
      logEnd = undefined;
    }
    const m = owners.get(`${topic}:${partition}`);
    rows.push([group, topic, String(partition), current === undefined ? '-' : String(current), logEnd === undefined ? '-' : String(logEnd),
      current === undefined || logEnd === undefined ? '-' : String(logEnd - current),
      m?.memberId ?? '-', m?.clientHost ?? '-', m?.clientId ?? '-']);
  }
  out('');
  for (const l of table(['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'], rows)) out(l);
}

async function describeMembers(client: KafkaClient, group: string, verbose: boolean, out: Output, err: Output): Promise<void> {
  const g = await describeGroup(client, group);
  if (!warnState(g, err)) return;
  const rows = g.members.map((m) => {
    const assigned = parseAssignment(m.memberAssignment);
    const byTopic = new Map<string, number[]>();
    for (const a of assigned) byTopic.set(a.topic, [...(byTopic.get(a.topic) ?? []), a.partition]);
    const assignment = [...byTopic].map(([t, ps]) => `${t}(${ps.sort((x, y) => x - y).join(',')})`).join(', ') || '-';
    const row = [group, m.memberId, m.groupInstanceId ?? '-', m.clientHost, m.clientId, String(assigned.length)];
    return verbose ? [...row, assignment] : row;
  });
  const header = ['GROUP', 'CONSUMER-ID', 'GROUP-INSTANCE-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS'];
  out('');
  for (const l of table(verbose ? [...header, 'ASSIGNMENT'] : header, rows)) out(l);
}

async function describeState(client: KafkaClient, group: string, out: Output, err: Output): Promise<void> {
  const g = await describeGroup(client, group);
  if (!warnState(g, err)) return;
  const c = await findCoordinator(client, group);
  out('');
  for (const l of table(['GROUP', 'COORDINATOR (ID)', 'ASSIGNMENT-STRATEGY', 'STATE', '#MEMBERS'],
    [[group, `${c.host}:${c.port} (${c.nodeId})`, g.protocolData || '', g.groupState, String(g.members.length)]])) out(l);
}

async function deleteGroups(client: KafkaClient, groups: string[], out: Output): Promise<void> {
  const byNode = new Map<number, string[]>();
  for (const g of groups) {
    const nodeId = await coordinatorFor(client, g);
    byNode.set(nodeId, [...(byNode.get(nodeId) ?? []), g]);
  }
  const failed: [string, number][] = [];
  for (const [nodeId, names] of byNode) {
    const res = await client.request(DeleteGroups, { groupsNames: names }, { nodeId });
    for (const r of res.results) if (r.errorCode !== ErrorCode.NONE) failed.push([r.groupId, r.errorCode]);
  }
  const ok = groups.filter((g) => !failed.some(([f]) => f === g));
  if (ok.length > 0) out(`Deletion of requested consumer groups (${ok.map((g) => `'${g}'`).join(', ')}) was successful.`);
  if (failed.length > 0) {
    out('Deletion of some consumer groups failed:');
    for (const [g, code] of failed) out(`* Group '${g}' could not be deleted due to: ${errorName(code)}`);
    throw new CommandError(`${failed.length} group(s) could not be deleted`);
  }
}

/** Parses Kafka's --to-datetime format; no zone means local time, as in Kafka. */
export function parseDateTime(s: string): number {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,3})?(Z|[+-]\d{2}:?\d{2})?$/.exec(s.trim());
  if (m === null) throw new UsageError(`Error parsing timestamp '${s}': expected yyyy-MM-ddTHH:mm:SS.sss`);
  const t = Date.parse(`${m[1]}${m[2] ?? '.000'}${m[3] ?? ''}`);
  if (!Number.isFinite(t)) throw new UsageError(`Error parsing timestamp '${s}'`);
  return t;
}

async function resetOffsets(client: KafkaClient, opts: Options, group: string, out: Output, warn: Output): Promise<void> {
  const g = await describeGroup(client, group);
  if (g.groupState !== 'Empty' && g.groupState !== 'Dead') {
    throw new CommandError(`Assignments can only be reset if the group '${group}' is inactive, but the current state is ${g.groupState}.`);
  }
  const committed = await committedOffsets(client, group);
  const targets: { topic: string; partition: number }[] = [];
  if (opts.flags.has('all-topics')) {
    for (const [t, ps] of committed) for (const p of ps.keys()) targets.push({ topic: t, partition: p });
  } else {
    for (const t of opts.topics) {
      const partitions = t.partitions ?? (await client.topicMetadata(t.topic, { refresh: true })).partitions.map((p) => p.partition);
      for (const p of partitions) targets.push({ topic: t.topic, partition: p });
    }
  }
  targets.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  const plan: { topic: string; partition: number; offset: number }[] = [];
  for (const { topic, partition } of targets) {
    const earliest = (await listOffsets(client, topic, partition, EARLIEST_TIMESTAMP)).offset;
    const latest = (await listOffsets(client, topic, partition, LATEST_TIMESTAMP)).offset;
    const current = committed.get(topic)?.get(partition) ?? latest;
    let offset: number;
    if (opts.flags.has('to-earliest')) offset = earliest;
    else if (opts.flags.has('to-latest')) offset = latest;
    else if (opts.flags.has('to-current')) offset = current;
    else if (opts.flags.has('to-offset')) offset = parseInteger(opts.values.get('to-offset')!, 'to-offset');
    else if (opts.flags.has('shift-by')) offset = current + parseInteger(opts.values.get('shift-by')!, 'shift-by');
    else {
      const found = (await listOffsets(client, topic, partition, parseDateTime(opts.values.get('to-datetime')!))).offset;
      offset = found < 0 ? latest : found;
    }
    // Kafka clamps into [earliest, latest].
    plan.push({ topic, partition, offset: Math.min(Math.max(offset, earliest), latest) });
  }
  if (!opts.flags.has('execute') && !opts.flags.has('dry-run')) {
    warn('WARN: No action will be performed as the --execute option is missing. You should add the --dry-run option explicitly if you are scripting this command and want to keep the current default behavior without prompting.');
  }
  if (opts.flags.has('execute')) {
    await commitOffsets(client, group, plan.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.offset })));
  }
  out('');
  for (const l of table(['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'], plan.map((p) => [group, p.topic, String(p.partition), String(p.offset)]))) out(l);
}

async function deleteOffsets(client: KafkaClient, opts: Options, out: Output): Promise<void> {
  const group = opts.groups[0]!;
  const nodeId = await coordinatorFor(client, group);
  const topics = [];
  for (const t of opts.topics) {
    const partitions = t.partitions ?? (await client.topicMetadata(t.topic, { refresh: true })).partitions.map((p) => p.partition);
    topics.push({ name: t.topic, partitions: partitions.map((partitionIndex) => ({ partitionIndex })) });
  }
  const res = await client.request(OffsetDelete, { groupId: group, topics }, { nodeId });
  if (res.errorCode !== ErrorCode.NONE) throw new CommandError(`Encountered some unknown error: ${errorName(res.errorCode)}`);
  const rows = res.topics.flatMap((t) => t.partitions.map((p) => [t.name, String(p.partitionIndex), p.errorCode === 0 ? 'Successful' : `Error: ${errorName(p.errorCode)}`]));
  const failed = rows.some((r) => r[2] !== 'Successful');
  out(failed ? 'Request succeed for deleting offsets with topic and partitions in group (some failed).' : 'Request succeed for deleting offsets with topic and partitions in group.');
  out('');
  for (const l of table(['TOPIC', 'PARTITION', 'STATUS'], rows)) out(l);
  if (failed) throw new CommandError('some offsets could not be deleted');
}

export async function main(argv: string[], out: Output = stdout, err: Output = stderr): Promise<number> {
  return runCommand('consumer-groups', HELP, out, err, async () => {
    const opts = parseArgs(argv);
    const clientOptions = adminClientOptions(opts.values.get('command-config') ?? null, 'sherwood-consumer-groups');
    const timeout = opts.values.get('timeout');
    if (timeout !== undefined) clientOptions.requestTimeoutMs = parseInteger(timeout, 'timeout');
    await withClient(opts.bootstrap, clientOptions, (client) => run(client, opts, out, err));
  });
}

async function run(client: KafkaClient, opts: Options, out: Output, err: Output): Promise<void> {
  const groups = opts.flags.has('all-groups') ? await allGroups(client) : opts.groups;
  switch (opts.action) {
    case 'list':
      for (const g of await allGroups(client)) out(g);
      break;
    case 'describe':
      for (const g of groups) {
        if (opts.flags.has('members')) await describeMembers(client, g, opts.flags.has('verbose'), out, err);
        else if (opts.flags.has('state')) await describeState(client, g, out, err);
        else await describeOffsets(client, g, out, err);
      }
      break;
    case 'delete':
      await deleteGroups(client, groups, out);
      break;
    case 'reset-offsets':
      for (const g of groups) await resetOffsets(client, opts, g, out, err);
      break;
    case 'delete-offsets':
      await deleteOffsets(client, opts, out);
      break;
  }
}
