/**
 * `sherwood console-consumer`: prints records of a topic, like kafka-console-consumer.sh.
 *
 *   --bootstrap-server host:port   (required)
 *   --topic name                   (required)
 *   --from-beginning               start at the earliest offset when nothing is committed
 *   --partition n                  read only this partition
 *   --offset earliest|latest|N     start here (requires --partition, as in Kafka)
 *   --group id                     resume from the group's committed offsets and commit as we go
 *                                  (a standalone commit with generation -1; no group membership)
 *   --max-messages n               exit after n records
 *   --timeout-ms n                 exit when no record arrives for n ms
 *   --isolation-level read_committed|read_uncommitted
 *   --property print.key=true print.value=true print.headers=true print.timestamp=true
 *              print.offset=true print.partition=true key.separator=<TAB> line.separator=\n
 *              headers.separator=, headers.key.separator=: null.literal=null
 *
 * Output follows Kafka's DefaultMessageFormatter: timestamp ("CreateTime:ms"), "Partition:n",
 * "Offset:n", headers ("k:v,k2:v2" or "NO_HEADERS"), key, value, separated by key.separator.
 * "Processed a total of N messages" goes to stderr at exit, as Kafka's tool prints it.
 */
import { parseArgs } from 'node:util';
import { KafkaClient, SimpleConsumer, type ConsumedRecord, type OffsetSpec } from '../client/index.js';
import { parseProperties, unescape, type ConsoleIO } from './console-producer.js';

const DEFAULT_IO: ConsoleIO = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };

export const CONSUMER_USAGE = `Usage: sherwood console-consumer --bootstrap-server host:port --topic name [options]
  --from-beginning              start at the earliest offset
  --partition n                 consume only this partition
  --offset earliest|latest|N    start offset (requires --partition)
  --group id                    resume from and commit to this group
  --max-messages n              exit after n messages
  --timeout-ms n                exit if no message arrives for n ms
  --property key=value          print.key print.value print.headers print.timestamp print.offset
                                print.partition key.separator line.separator null.literal
`;

export interface MessageFormat {
  printKey: boolean;
  printValue: boolean;
  printHeaders: boolean;
  printTimestamp: boolean;
  printOffset: boolean;
  printPartition: boolean;
  keySeparator: string;
  lineSeparator: string;
  headersSeparator: string;
  headersKeySeparator: string;
  nullLiteral: string;
}

function flag(props: Map<string, string>, name: string, dflt: boolean): boolean {
  const v = props.get(name);
  return v === undefined ? dflt : v.trim().toLowerCase() === 'true';
}

export function messageFormat(props: Map<string, string>): MessageFormat {
  return {
    printKey: flag(props, 'print.key', false),
    printValue: flag(props, 'print.value', true),
    printHeaders: flag(props, 'print.headers', false),
    printTimestamp: flag(props, 'print.timestamp', false),
    printOffset: flag(props, 'print.offset', false),
    printPartition: flag(props, 'print.partition', false),
    keySeparator: unescape(props.get('key.separator') ?? '\t'),
    lineSeparator: unescape(props.get('line.separator') ?? '\n'),
    headersSeparator: unescape(props.get('headers.separator') ?? ','),
    headersKeySeparator: unescape(props.get('headers.key.separator') ?? ':'),
    nullLiteral: props.get('null.literal') ?? 'null',
  };
}

/** One record as Kafka's DefaultMessageFormatter writes it (line separator included). */
export function formatRecord(r: ConsumedRecord, f: MessageFormat): string {
  const cols: string[] = [];
  if (f.printTimestamp) cols.push(r.timestamp < 0 ? 'NO_TIMESTAMP' : `${r.logAppendTime === true ? 'LogAppendTime' : 'CreateTime'}:${r.timestamp}`);
  if (f.printPartition) cols.push(`Partition:${r.partition}`);
  if (f.printOffset) cols.push(`Offset:${r.offset}`);
  if (f.printHeaders) {
    cols.push(r.headers.length === 0
      ? 'NO_HEADERS'
      : r.headers.map((h) => `${h.key}${f.headersKeySeparator}${h.value === null ? f.nullLiteral : h.value.toString('utf8')}`).join(f.headersSeparator));
  }
  if (f.printKey) cols.push(r.key === null ? f.nullLiteral : r.key.toString('utf8'));
  if (f.printValue) cols.push(r.value === null ? f.nullLiteral : r.value.toString('utf8'));
  // Kafka ends the line after the last printed column (value, or whichever came last).
  return cols.join(f.keySeparator) + f.lineSeparator;
}

const CONSUMER_OPTIONS = {
  'bootstrap-server': { type: 'string' },
  topic: { type: 'string' },
  'from-beginning': { type: 'boolean' },
  partition: { type: 'string' },
  offset: { type: 'string' },
  group: { type: 'string' },
  'max-messages': { type: 'string' },
  'timeout-ms': { type: 'string' },
  'isolation-level': { type: 'string' },
  property: { type: 'string', multiple: true },
  'formatter-property': { type: 'string', multiple: true },
  'consumer-property': { type: 'string', multiple: true },
  'consumer.config': { type: 'string' },
  'skip-message-on-error': { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

/** The command line, checked as Kafka's ConsoleConsumer checks it. */
export interface ConsumerSettings {
  bootstrap: string;
  topic: string;
  partition: number | undefined;
  startOffset: OffsetSpec | undefined;
  fromBeginning: boolean;
  group: string | undefined;
  maxMessages: number;
  timeoutMs: number;
  /** 0 = read_uncommitted, 1 = read_committed. */
  isolationLevel: number;
  format: MessageFormat;
}

/** The settings, or the exit code after printing the usage (--help) or what is wrong. */
function parseConsumerArgs(argv: string[], io: ConsoleIO): ConsumerSettings | number {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: CONSUMER_OPTIONS, strict: true }));
  } catch (err) {
    io.stderr.write(`${(err as Error).message}\n${CONSUMER_USAGE}`);
    return 1;
  }
  if (values.help) {
    io.stdout.write(CONSUMER_USAGE);
    return 0;
  }
  const fail = (msg: string): number => {
    io.stderr.write(`${msg}\n`);
    return 1;
  };
  const bootstrap = values['bootstrap-server'];
  const topic = values.topic;
  if (bootstrap === undefined) return fail(`Missing required argument "--bootstrap-server"\n${CONSUMER_USAGE}`);
  if (topic === undefined) return fail(`Missing required argument "--topic"\n${CONSUMER_USAGE}`);
  // Kafka's ConsoleConsumer option checks.
  if (values.offset !== undefined && values.partition === undefined) return fail('The partition is required when offset is specified.');
  if (values.offset !== undefined && values['from-beginning']) return fail('Options from-beginning and offset cannot be specified together.');
  if (values.group !== undefined && values.partition !== undefined) return fail('Options group and partition cannot be specified together.');
  const partition = values.partition === undefined ? undefined : Number(values.partition);
  if (partition !== undefined && !(Number.isInteger(partition) && partition >= 0)) return fail(`Invalid partition: ${values.partition}`);
  let startOffset: OffsetSpec | undefined;
  if (values.offset !== undefined) {
    const o = values.offset.toLowerCase();
    if (o === 'earliest' || o === 'latest') startOffset = o;
    else if (/^-?\d+$/.test(o)) startOffset = Number(o);
    else return fail(`The provided offset value '${values.offset}' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long.`);
  }
  const maxMessages = values['max-messages'] === undefined ? Infinity : Number(values['max-messages']);
  const timeoutMs = values['timeout-ms'] === undefined ? Infinity : Number(values['timeout-ms']);
  if (Number.isNaN(maxMessages) || Number.isNaN(timeoutMs)) return fail('Invalid --max-messages or --timeout-ms');
  const iso = values['isolation-level'] ?? 'read_uncommitted';
  if (iso !== 'read_committed' && iso !== 'read_uncommitted') return fail(`Invalid --isolation-level ${iso}`);
  let format: MessageFormat;
  try {
    format = messageFormat(parseProperties([...(values.property ?? []), ...(values['formatter-property'] ?? [])]));
  } catch (err) {
    return fail((err as Error).message);
  }
  return {
    bootstrap, topic, partition, startOffset, fromBeginning: values['from-beginning'] === true, group: values.group,
    maxMessages, timeoutMs, isolationLevel: iso === 'read_committed' ? 1 : 0, format,
  };
}

export async function main(argv: string[], io: ConsoleIO = DEFAULT_IO): Promise<number> {
  const settings = parseConsumerArgs(argv, io);
  if (typeof settings === 'number') return settings;
  let client: KafkaClient;
  try {
    client = await KafkaClient.connect(settings.bootstrap, { clientId: 'console-consumer' });
  } catch (err) {
    io.stderr.write(`[ERROR] ${(err as Error).message}\n`);
    return 1;
  }
  const progress = { processed: 0, stopped: false };
  let code = 0;
  const onSignal = (): void => { progress.stopped = true; };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await consume(client, settings, io, progress);
  } catch (err) {
    io.stderr.write(`[ERROR] Error processing message, terminating consumer process: ${(err as Error).message}\n`);
    code = 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    io.stderr.write(`Processed a total of ${progress.processed} messages\n`);
    await client.close();
  }
  return code;
}

/** Prints records until maxMessages, timeoutMs without a record, or a signal (progress.stopped). */
async function consume(client: KafkaClient, s: ConsumerSettings, io: ConsoleIO, progress: { processed: number; stopped: boolean }): Promise<void> {
  const consumer = await SimpleConsumer.create(client, {
    topic: s.topic,
    partitions: s.partition === undefined ? undefined : [s.partition],
    startOffset: s.startOffset,
    autoOffsetReset: s.fromBeginning ? 'earliest' : 'latest',
    groupId: s.group,
    isolationLevel: s.isolationLevel,
  });
  let lastMessageAt = Date.now();
  while (!progress.stopped && progress.processed < s.maxMessages) {
    const remaining = s.timeoutMs - (Date.now() - lastMessageAt);
    if (remaining <= 0) {
      io.stderr.write('[ERROR] Error processing message, terminating consumer process: org.apache.kafka.common.errors.TimeoutException\n');
      break;
    }
    consumer.options.maxWaitMs = Math.max(1, Math.min(500, remaining));
    const records = await consumer.poll();
    if (records.length > 0) lastMessageAt = Date.now();
    const resumeAt = new Map<number, number>();
    for (const r of records) {
      if (progress.processed >= s.maxMessages) {
        // Not printed: a later run with the group must start here.
        if (!resumeAt.has(r.partition)) resumeAt.set(r.partition, r.offset);
        continue;
      }
      io.stdout.write(formatRecord(r, s.format));
      progress.processed++;
      resumeAt.set(r.partition, r.offset + 1);
    }
    if (progress.processed >= s.maxMessages) for (const [p, next] of resumeAt) consumer.seek(p, next);
    if (s.group !== undefined && records.length > 0) await consumer.commit();
  }
}
