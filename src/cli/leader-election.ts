/**
 * `sherwood leader-election`: like kafka-leader-election.sh (Kafka's LeaderElectionCommand).
 *
 *   --bootstrap-server host:port (required), --admin.config FILE
 *   --election-type PREFERRED|UNCLEAN (required, any case)
 *   exactly one of: --topic T --partition P, --all-topic-partitions, --path-to-json-file F
 *     (F: {"partitions": [{"topic": "t", "partition": 0}, ...]}, Kafka's format)
 *
 * Output as Kafka's: "Successfully completed leader election (TYPE) for partitions t-0, t-1",
 * "Valid replica already elected for partitions ...", and for each failure "Error completing
 * leader election (TYPE) for partition: t-0: <exception>"; then exit 1 with "N replica(s)
 * could not be elected".
 */
import { readFileSync } from 'node:fs';
import { ElectLeaders, ErrorCode, errorName } from '../client/index.js';
import { CommandError, UsageError, parseInteger, parseOptions, runCommand, stderr, stdout, singleValue, withClient, type Output } from './_args.js';
import { adminClientOptions } from './_properties.js';

const WITH_VALUE = new Set(['bootstrap-server', 'admin.config', 'election-type', 'topic', 'partition', 'path-to-json-file']);
const BOOLEAN = new Set(['all-topic-partitions', 'help', 'version']);
const TYPES: Record<string, number> = { PREFERRED: 0, UNCLEAN: 1 };

export const HELP = `Usage: sherwood leader-election --bootstrap-server HOST:PORT --election-type PREFERRED|UNCLEAN
         (--topic NAME --partition N | --all-topic-partitions | --path-to-json-file FILE)

Elects partition leaders (like kafka-leader-election.sh): PREFERRED gives each partition to its
first replica when it is live and in sync; UNCLEAN elects a leader for partitions without one,
from out-of-sync replicas if need be (their missing records are lost).

Options:
  --bootstrap-server HOST:PORT   A broker to connect to (required)
  --admin.config FILE            Client properties: client.id, request.timeout.ms
  --election-type TYPE           PREFERRED or UNCLEAN (required)
  --topic NAME                   The topic of the one partition to elect (with --partition)
  --partition N                  Its partition (required with --topic)
  --all-topic-partitions         Every partition of every topic
  --path-to-json-file FILE       {"partitions": [{"topic": "t", "partition": 0}, ...]}
  --help                         This help`;

/** The Java exception Kafka's tool prints for an election error. */
const EXCEPTIONS: Record<number, string> = {
  [ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE]: 'org.apache.kafka.common.errors.PreferredLeaderNotAvailableException',
  [ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE]: 'org.apache.kafka.common.errors.EligibleLeadersNotAvailableException',
  [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]: 'org.apache.kafka.common.errors.UnknownTopicOrPartitionException',
  [ErrorCode.CLUSTER_AUTHORIZATION_FAILED]: 'org.apache.kafka.common.errors.ClusterAuthorizationException',
  [ErrorCode.INVALID_REQUEST]: 'org.apache.kafka.common.errors.InvalidRequestException',
};

interface Args {
  bootstrap: string;
  adminConfig: string | null;
  type: string;
  partitions: { topic: string; partitions: number[] }[] | null;
}

/** {"partitions": [{"topic", "partition"}]} → partitions by topic. */
function readJsonFile(path: string): { topic: string; partitions: number[] }[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`Cannot read ${path}: ${(e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError(`${path} is not valid JSON`);
  }
  const list = (parsed as { partitions?: unknown }).partitions;
  if (!Array.isArray(list)) throw new UsageError(`${path}: expected {"partitions": [{"topic": ..., "partition": ...}, ...]}`);
  const byTopic = new Map<string, number[]>();
  for (const e of list as { topic?: unknown; partition?: unknown }[]) {
    if (typeof e?.topic !== 'string' || !Number.isInteger(e.partition)) throw new UsageError(`${path}: every entry needs a string "topic" and an integer "partition"`);
    const ps = byTopic.get(e.topic) ?? [];
    if (ps.includes(e.partition as number)) throw new UsageError(`Duplicate partition ${e.topic}-${e.partition as number} in ${path}`);
    ps.push(e.partition as number);
    byTopic.set(e.topic, ps);
  }
  if (byTopic.size === 0) throw new UsageError(`${path} lists no partitions`);
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
}

function parseArgs(argv: readonly string[]): Args {
  const { values, flags } = parseOptions(argv, { withValue: WITH_VALUE, boolean: BOOLEAN });
  const one = (name: string): string | null => singleValue(values, name);
  const bootstrap = one('bootstrap-server');
  if (bootstrap === null) throw new UsageError('Missing required option(s): bootstrap-server');
  const typeText = one('election-type');
  if (typeText === null) throw new UsageError('Missing required option(s): election-type');
  const type = typeText.toUpperCase();
  if (!(type in TYPES)) throw new UsageError(`Unknown election type: ${typeText} (PREFERRED or UNCLEAN)`);
  const topic = one('topic');
  const partition = one('partition');
  const json = one('path-to-json-file');
  const all = flags.has('all-topic-partitions');
  const sources = [topic !== null, all, json !== null].filter(Boolean).length;
  if (sources !== 1) throw new UsageError('One and only one of the following options is required: all-topic-partitions, topic, path-to-json-file');
  if (partition !== null && topic === null) throw new UsageError('Missing required option(s): topic');
  if (topic !== null && partition === null) throw new UsageError('Missing required option(s): partition');
  let partitions: Args['partitions'] = null;
  if (json !== null) partitions = readJsonFile(json);
  else if (topic !== null) partitions = [{ topic, partitions: [parseInteger(partition!, 'partition')] }];
  return { bootstrap, adminConfig: one('admin.config'), type, partitions };
}

export async function main(argv: string[], out: Output = stdout, err: Output = stderr): Promise<number> {
  return runCommand('leader-election', HELP, out, err, async () => {
    const a = parseArgs(argv);
    return withClient(a.bootstrap, adminClientOptions(a.adminConfig, 'sherwood-leader-election'), async (client) => {
      const res = await client.request(ElectLeaders, { electionType: TYPES[a.type]!, topicPartitions: a.partitions, timeoutMs: 30_000 });
      if (res.errorCode !== ErrorCode.NONE) throw new CommandError(`${EXCEPTIONS[res.errorCode] ?? errorName(res.errorCode)}: leader election failed`);
      const succeeded: string[] = [];
      const noop: string[] = [];
      const failed: string[] = [];
      for (const t of res.replicaElectionResults) {
        for (const p of t.partitionResult) {
          const name = `${t.topic}-${p.partitionId}`;
          if (p.errorCode === ErrorCode.NONE) succeeded.push(name);
          else if (p.errorCode === ErrorCode.ELECTION_NOT_NEEDED) noop.push(name);
          else failed.push(`Error completing leader election (${a.type}) for partition: ${name}: ${EXCEPTIONS[p.errorCode] ?? errorName(p.errorCode)}${p.errorMessage === null ? '' : `: ${p.errorMessage}`}`);
        }
      }
      if (succeeded.length > 0) out(`Successfully completed leader election (${a.type}) for partitions ${succeeded.join(', ')}`);
      if (noop.length > 0) out(`Valid replica already elected for partitions ${noop.join(', ')}`);
      for (const f of failed) out(f);
      if (failed.length > 0) throw new CommandError(`${failed.length} replica(s) could not be elected`);
      return 0;
    });
  });
}
