/**
 * `sherwood topics`: kafka-topics.sh over the wire with Sherwood's own client.
 *
 *   --bootstrap-server host:port (required)
 *   exactly one of --create, --list, --describe, --alter, --delete
 *   --topic NAME (a regex for list/describe/alter/delete, as in Kafka), --topic-id ID, --partitions N,
 *   --replication-factor N, --config k=v (repeatable), --replica-assignment 1:2,1:2,
 *   --if-not-exists, --if-exists, --exclude-internal, --topics-with-overrides,
 *   --under-replicated-partitions, --unavailable-partitions, --at-min-isr-partitions,
 *   --under-min-isr-partitions, --command-config FILE (client.id, request.timeout.ms).
 *
 * Output follows kafka-topics.sh: "Created topic x.", one name per line for --list, and for
 * --describe a topic line (Topic, TopicId, PartitionCount, ReplicationFactor, Configs with
 * every non-default config) followed by one tab-indented line per partition. Failures print
 * one line on stderr, "sherwood topics: <Kafka's message>", and exit 1 (kafka-topics.sh
 * prints "Error while executing topic command : <message>" on stdout). ZooKeeper is gone:
 * --zookeeper is refused with a pointer to --bootstrap-server.
 */
import {
  CreateTopics, DeleteTopics, CreatePartitions, DescribeConfigs, ErrorCode, ListPartitionReassignments, errorName,
  type DescribeConfigsResponseDescribeConfigsResult, type KafkaClient, type TopicMetadata,
} from '../client/index.js';
import {
  CommandError, UsageError, exactlyOneAction, parseInteger, parseOptions, runCommand, stderr, stdout, withClient, type Output,
} from './_args.js';
import { adminClientOptions } from './_properties.js';
import { reassignmentsInProgress } from './reassign-partitions.js';

const ACTIONS = ['create', 'list', 'describe', 'alter', 'delete'] as const;
type Action = (typeof ACTIONS)[number];

const FLAGS_WITH_VALUE = new Set(['bootstrap-server', 'topic', 'partitions', 'replication-factor', 'config', 'replica-assignment',
  'command-config', 'topic-id']);
const BOOLEAN_FLAGS = new Set([...ACTIONS, 'if-not-exists', 'if-exists', 'exclude-internal', 'topics-with-overrides',
  'under-replicated-partitions', 'unavailable-partitions', 'at-min-isr-partitions', 'under-min-isr-partitions', 'help']);

/** DescribeConfigs ConfigSource.DEFAULT_CONFIG and resource type TOPIC. */
const DEFAULT_CONFIG = 5;
const RESOURCE_TOPIC = 2;

export interface TopicsOptions {
  action: Action;
  bootstrap: string;
  topic: string | null;
  /** --topic-id: select by Kafka's base64 topic id (describe). */
  topicId: string | null;
  partitions: number | null;
  replicationFactor: number | null;
  configs: [string, string][];
  replicaAssignment: number[][] | null;
  commandConfig: string | null;
  flags: Set<string>;
}

export const HELP = `Usage: sherwood topics --bootstrap-server HOST:PORT <action> [options]

Actions (exactly one):
  --create        Create a topic (--topic, [--partitions N], [--replication-factor N], [--config k=v]...)
  --list          List topic names
  --describe      Describe topics: partitions, leaders, replicas, ISR and non-default configs
  --alter         Increase the partition count (--topic, --partitions N)
  --delete        Delete topics

Options:
  --topic NAME              Topic name; a regular expression for list/describe/alter/delete
  --topic-id ID             With --describe: the topic with this id
  --partitions N            Partition count (create: defaults to num.partitions)
  --replication-factor N    Replication factor (defaults to default.replication.factor)
  --replica-assignment L    Manual assignment: partitions separated by ',', replicas by ':' (e.g. 1,1,1)
  --config k=v              Topic config override (repeatable)
  --if-not-exists           With --create: do nothing if the topic exists
  --if-exists               With --alter/--delete/--describe: do nothing if the topic is missing
  --exclude-internal        Leave out internal topics (__consumer_offsets, ...)
  --topics-with-overrides   With --describe: only topics that have config overrides
  --under-replicated-partitions, --unavailable-partitions, --at-min-isr-partitions,
  --under-min-isr-partitions  With --describe: only partitions in that state
  --command-config FILE     Client properties: client.id, request.timeout.ms (others are refused)`;

function refuseZookeeper(name: string): string | null {
  return name === 'zookeeper'
    ? '--zookeeper is not supported: ZooKeeper is gone (as in Kafka 4.0). Use --bootstrap-server HOST:PORT to talk to the broker.'
    : null;
}

export function parseTopicsArgs(argv: string[]): TopicsOptions {
  const { values, flags } = parseOptions(argv, { withValue: FLAGS_WITH_VALUE, boolean: BOOLEAN_FLAGS, refuse: refuseZookeeper });
  const action = exactlyOneAction(flags, ACTIONS, 'Command must include exactly one action: --list, --describe, --create, --alter or --delete');
  const one = (name: string): string | null => {
    const v = values.get(name);
    if (v === undefined) return null;
    if (v.length > 1) throw new UsageError(`Option ${name} given more than once`);
    return v[0]!;
  };
  const bootstrap = one('bootstrap-server');
  if (bootstrap === null) throw new UsageError('Missing required argument "[bootstrap-server]"');
  const int = (name: string): number | null => {
    const v = one(name);
    return v === null ? null : parseInteger(v, name);
  };
  const configs: [string, string][] = [];
  for (const c of values.get('config') ?? []) {
    const eq = c.indexOf('=');
    if (eq <= 0) throw new UsageError('Invalid topic config: all configs to be added must be in the format "key=val".');
    configs.push([c.slice(0, eq).trim(), c.slice(eq + 1).trim()]);
  }
  const ra = one('replica-assignment');
  const replicaAssignment = ra === null ? null : ra.split(',').map((p) => p.split(':').map((b) => {
    if (!/^\d+$/.test(b.trim())) throw new UsageError(`Invalid replica assignment: ${ra}`);
    return Number(b);
  }));
  const opts: TopicsOptions = {
    action, bootstrap, topic: one('topic'), topicId: one('topic-id'), partitions: int('partitions'), replicationFactor: int('replication-factor'),
    configs, replicaAssignment, commandConfig: one('command-config'), flags,
  };
  if ((action === 'create' || action === 'alter' || action === 'delete') && opts.topic === null) {
    throw new UsageError(`Missing required argument "[topic]"`);
  }
  if (action === 'alter' && configs.length > 0) {
    throw new UsageError('Option "[config]" can\'t be used with option "[alter]"; use `sherwood configs --alter --entity-type topics --entity-name NAME --add-config k=v` to change topic configs');
  }
  if (action === 'alter' && opts.partitions === null) throw new UsageError('Missing required argument "[partitions]"');
  if (flags.has('if-not-exists') && action !== 'create') throw new UsageError('Option "[if-not-exists]" can only be used with option "[create]"');
  if (replicaAssignment !== null && (opts.partitions !== null || opts.replicationFactor !== null) && action === 'create') {
    throw new UsageError('Option "[replica-assignment]" can\'t be used with option "[partitions]" or "[replication-factor]"');
  }
  return opts;
}

/** Kafka's Uuid.toString. */
function uuidString(id: Buffer): string {
  return id.toString('base64url');
}

function fail(code: number, message: string | null): never {
  throw new CommandError(message ?? errorName(code));
}

/** Java-style full-match include list (what kafka-topics.sh does with --topic). */
function topicMatcher(pattern: string | null): (name: string) => boolean {
  if (pattern === null) return () => true;
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${pattern.trim()})$`);
  } catch {
    return (name) => name === pattern;
  }
  return (name) => name === pattern || re.test(name);
}

async function selectTopics(client: KafkaClient, opts: TopicsOptions): Promise<TopicMetadata[]> {
  const md = await client.metadata(null);
  const match = topicMatcher(opts.topic);
  return md.topics
    .filter((t) => t.errorCode === ErrorCode.NONE && match(t.name) && !(opts.flags.has('exclude-internal') && t.isInternal))
    .filter((t) => opts.topicId === null || uuidString(t.topicId) === opts.topicId)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function ensureTopicsExist(topics: TopicMetadata[], opts: TopicsOptions): boolean {
  if (topics.length > 0) return true;
  if (opts.flags.has('if-exists')) return false;
  if (opts.topic !== null) throw new CommandError(`Topic '${opts.topic}' does not exist as expected`);
  if (opts.topicId !== null) throw new CommandError(`TopicId '${opts.topicId}' does not exist as expected`);
  return false;
}

async function create(client: KafkaClient, opts: TopicsOptions, out: Output): Promise<void> {
  const name = opts.topic!;
  if (name.includes('.') || name.includes('_')) {
    out("WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. To avoid issues it is best to use either, but not both.");
  }
  const res = await client.request(CreateTopics, {
    topics: [{
      name,
      numPartitions: opts.replicaAssignment === null ? opts.partitions ?? -1 : -1,
      replicationFactor: opts.replicaAssignment === null ? opts.replicationFactor ?? -1 : -1,
      assignments: (opts.replicaAssignment ?? []).map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds })),
      configs: opts.configs.map(([k, v]) => ({ name: k, value: v })),
    }],
    timeoutMs: 30000,
    validateOnly: false,
  });
  const r = res.topics[0];
  if (r === undefined) throw new CommandError('The broker returned no result');
  if (r.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS && opts.flags.has('if-not-exists')) return;
  if (r.errorCode !== ErrorCode.NONE) fail(r.errorCode, r.errorMessage);
  out(`Created topic ${name}.`);
}

async function list(client: KafkaClient, opts: TopicsOptions, out: Output): Promise<void> {
  for (const t of await selectTopics(client, opts)) out(t.name);
}

async function describeConfigs(client: KafkaClient, names: string[]): Promise<Map<string, DescribeConfigsResponseDescribeConfigsResult>> {
  const out = new Map<string, DescribeConfigsResponseDescribeConfigsResult>();
  if (names.length === 0) return out;
  const res = await client.request(DescribeConfigs, {
    resources: names.map((n) => ({ resourceType: RESOURCE_TOPIC, resourceName: n, configurationKeys: null })),
    includeSynonyms: false,
    includeDocumentation: false,
  });
  for (const r of res.results) out.set(r.resourceName, r);
  return out;
}

async function describe(client: KafkaClient, opts: TopicsOptions, out: Output): Promise<void> {
  const topics = await selectTopics(client, opts);
  if (!ensureTopicsExist(topics, opts)) return;
  const configs = await describeConfigs(client, topics.map((t) => t.name));
  // As kafka-topics.sh: reassignments in progress show; a broker without the API, or a
  // principal not allowed to list them, just shows none.
  const moving = client.apiVersions.has(ListPartitionReassignments.apiKey)
    ? await reassignmentsInProgress(client).catch(() => new Map<string, { removing: number[]; adding: number[] }>())
    : new Map<string, { removing: number[]; adding: number[] }>();
  const partitionFilter = ['under-replicated-partitions', 'unavailable-partitions', 'at-min-isr-partitions', 'under-min-isr-partitions']
    .find((f) => opts.flags.has(f));
  for (const t of topics) {
    const c = configs.get(t.name);
    const overrides = (c?.configs ?? []).filter((e) => e.configSource !== DEFAULT_CONFIG && e.value !== null);
    if (opts.flags.has('topics-with-overrides') && !overrides.some((e) => e.configSource === 1)) continue;
    const minIsr = Number(c?.configs.find((e) => e.name === 'min.insync.replicas')?.value ?? '1');
    const first = t.partitions[0];
    const rf = (first?.replicas.length ?? 0) - (first === undefined ? 0 : moving.get(`${t.name}-${first.partition}`)?.removing.length ?? 0);
    const parts = t.partitions.filter((p) => {
      switch (partitionFilter) {
        case 'under-replicated-partitions': return p.isr.length < p.replicas.length;
        case 'unavailable-partitions': return p.leaderId < 0;
        case 'at-min-isr-partitions': return p.isr.length === minIsr;
        case 'under-min-isr-partitions': return p.isr.length < minIsr;
        default: return true;
      }
    });
    if (partitionFilter === undefined) {
      out(`Topic: ${t.name}\tTopicId: ${uuidString(t.topicId)}\tPartitionCount: ${t.partitions.length}\tReplicationFactor: ${rf}\tConfigs: ${overrides.map((e) => `${e.name}=${e.value}`).join(',')}`);
    }
    for (const p of parts) {
      const leader = p.leaderId < 0 ? 'none' : String(p.leaderId);
      const r = moving.get(`${t.name}-${p.partition}`);
      const reassigning = r === undefined ? '' : `\tAdding Replicas: ${r.adding.join(',')}\tRemoving Replicas: ${r.removing.join(',')}`;
      out(`\tTopic: ${t.name}\tPartition: ${p.partition}\tLeader: ${leader}\tReplicas: ${p.replicas.join(',')}\tIsr: ${p.isr.join(',')}${reassigning}`);
    }
  }
}

async function alter(client: KafkaClient, opts: TopicsOptions): Promise<void> {
  const topics = await selectTopics(client, opts);
  if (!ensureTopicsExist(topics, opts)) return;
  for (const t of topics) {
    if (t.isInternal) throw new CommandError(`The number of partitions for the internal topic ${t.name} cannot be changed.`);
  }
  const res = await client.request(CreatePartitions, {
    topics: topics.map((t) => ({
      name: t.name,
      count: opts.partitions!,
      assignments: opts.replicaAssignment === null ? null : opts.replicaAssignment.slice(t.partitions.length).map((brokerIds) => ({ brokerIds })),
    })),
    timeoutMs: 30000,
    validateOnly: false,
  });
  for (const r of res.results) if (r.errorCode !== ErrorCode.NONE) fail(r.errorCode, r.errorMessage);
}

async function remove(client: KafkaClient, opts: TopicsOptions): Promise<void> {
  const topics = await selectTopics(client, opts);
  if (!ensureTopicsExist(topics, opts)) return;
  for (const t of topics) {
    if (t.isInternal) throw new CommandError(`Topic ${t.name} is a kafka internal topic and is not allowed to be marked for deletion.`);
  }
  const res = await client.request(DeleteTopics, {
    topicNames: topics.map((t) => t.name),
    topics: topics.map((t) => ({ name: t.name, topicId: Buffer.alloc(16) })),
    timeoutMs: 30000,
  });
  for (const r of res.responses) if (r.errorCode !== ErrorCode.NONE) fail(r.errorCode, r.errorMessage);
}

/** Entry point: argv is what follows `sherwood topics`. Resolves to the exit code. */
export async function main(argv: string[], out: Output = stdout, err: Output = stderr): Promise<number> {
  return runCommand('topics', HELP, out, err, async () => {
    const opts = parseTopicsArgs(argv);
    const clientOptions = adminClientOptions(opts.commandConfig, 'sherwood-topics');
    await withClient(opts.bootstrap, clientOptions, async (client) => {
      switch (opts.action) {
        case 'create': await create(client, opts, out); break;
        case 'list': await list(client, opts, out); break;
        case 'describe': await describe(client, opts, out); break;
        case 'alter': await alter(client, opts); break;
        case 'delete': await remove(client, opts); break;
      }
    });
  });
}
