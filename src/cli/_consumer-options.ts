/**
 * The command line of `sherwood console-consumer`, checked as Kafka's ConsoleConsumerOptions
 * checks it, and the consumer and formatter properties it honours (every other key is refused
 * by name; see ./_properties.ts).
 */
import type { AssignorName, GroupConsumerOptions, OffsetSpec } from '../client/index.js';
import { UsageError, parseOptions } from './_args.js';
import {
  COMMON_CLIENT_RULES, anyValue, boolProperty, boolValue, checkProperties, intProperty, intValue, loadPropertiesFile, oneOf,
  parseKeyValues, type ValueCheck,
} from './_properties.js';

export interface MessageFormat {
  printKey: boolean;
  printValue: boolean;
  printHeaders: boolean;
  printTimestamp: boolean;
  printOffset: boolean;
  printPartition: boolean;
  printDelivery: boolean;
  keySeparator: string;
  lineSeparator: string;
  headersSeparator: string;
  nullLiteral: string;
}

/** The command line, checked. */
export interface ConsumerSettings {
  bootstrap: string;
  topic: string;
  clientId: string;
  /** --partition: read this partition only, without a group (assign mode). */
  partition: number | undefined;
  /** --offset (assign mode); default latest, earliest with --from-beginning. */
  startOffset: OffsetSpec;
  /** The group (--group or group.id): join it, as kafka-console-consumer.sh does. */
  group: string | undefined;
  /** --isolation-level, else isolation.level: 1 = read_committed, 0 = read_uncommitted (default). */
  isolationLevel: 0 | 1;
  /** Group-consumer settings from the properties. */
  groupOptions: Omit<GroupConsumerOptions, 'groupId' | 'topics' | 'onWarning'>;
  autoOffsetReset: 'earliest' | 'latest' | 'none';
  allowAutoCreateTopics: boolean;
  requestTimeoutMs: number | undefined;
  maxMessages: number;
  timeoutMs: number;
  format: MessageFormat;
}

export const CONSUMER_USAGE = `Usage: sherwood console-consumer --bootstrap-server HOST:PORT --topic NAME [options]

Prints records of a topic to stdout (like kafka-console-consumer.sh).

Options:
  --from-beginning              Start at the earliest offset when the group has no committed offset
  --group ID                    Join this consumer group (the members split the partitions) and commit
  --partition N                 Read only this partition, without a group
  --offset earliest|latest|N    Where to start (requires --partition; default latest)
  --max-messages N              Exit after N messages
  --timeout-ms N                Exit when no message arrives for N ms
  --consumer-property k=v       A consumer property (repeatable; also --command-property)
  --consumer.config FILE        Consumer properties file (also --command-config)
  --property k=v                A formatter property (repeatable; also --formatter-property,
                                --formatter-config FILE): print.key print.value print.timestamp
                                print.partition print.offset print.headers print.delivery
                                key.separator line.separator headers.separator null.literal
  --isolation-level LEVEL       read_committed (skip aborted transactions, stop at open ones) or
                                read_uncommitted (default; wins over isolation.level)
  --skip-message-on-error       Accepted (no message can fail to format)

Consumer properties honoured: ${'${CONSUMER_PROPS}'}. Any other key is refused.`;

const ASSIGNOR_CLASSES: Record<string, AssignorName> = {
  range: 'range',
  'org.apache.kafka.clients.consumer.RangeAssignor': 'range',
  roundrobin: 'roundrobin',
  'org.apache.kafka.clients.consumer.RoundRobinAssignor': 'roundrobin',
};

const assignorList: ValueCheck = (v) => {
  for (const name of v.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    if (!(name in ASSIGNOR_CLASSES)) return `${name} is not supported: only RangeAssignor (range) and RoundRobinAssignor (roundrobin) are implemented`;
  }
  return null;
};

const isolationLevel: ValueCheck = oneOf('read_uncommitted', 'read_committed');

/** 1 for read_committed, 0 for read_uncommitted (an already-checked value). */
function isolationLevelOf(v: string | undefined): 0 | 1 {
  return v?.trim().toLowerCase() === 'read_committed' ? 1 : 0;
}

/** Consumer properties the console consumer honours, with their checks. */
export const CONSUMER_RULES: ReadonlyMap<string, ValueCheck> = new Map<string, ValueCheck>([
  ...COMMON_CLIENT_RULES,
  ['group.id', anyValue],
  ['group.instance.id', anyValue],
  ['group.protocol', (v) => v.trim().toLowerCase() === 'classic' ? null : 'only classic is supported: the KIP-848 consumer protocol is not implemented yet'],
  ['auto.offset.reset', oneOf('earliest', 'latest', 'none')],
  ['enable.auto.commit', boolValue],
  ['auto.commit.interval.ms', intValue(0)],
  ['session.timeout.ms', intValue(1)],
  ['heartbeat.interval.ms', intValue(1)],
  ['max.poll.interval.ms', intValue(1)],
  ['max.poll.records', intValue(1)],
  ['partition.assignment.strategy', assignorList],
  ['fetch.min.bytes', intValue(0)],
  ['fetch.max.wait.ms', intValue(0)],
  ['fetch.max.bytes', intValue(0)],
  ['max.partition.fetch.bytes', intValue(0)],
  ['retry.backoff.ms', intValue(0)],
  ['allow.auto.create.topics', boolValue],
  ['isolation.level', isolationLevel],
]);

const STRING_DESERIALIZER: ValueCheck = (v) =>
  v.trim() === 'org.apache.kafka.common.serialization.StringDeserializer' ? null
    : 'only org.apache.kafka.common.serialization.StringDeserializer is supported (records print as UTF-8)';

const FORMATTER_BOOLEANS = ['print.key', 'print.value', 'print.timestamp', 'print.partition', 'print.offset', 'print.headers', 'print.delivery'];

/** Formatter properties (DefaultMessageFormatter's), with their checks. */
export const FORMATTER_RULES: ReadonlyMap<string, ValueCheck> = new Map<string, ValueCheck>([
  // Kafka reads these with equalsIgnoreCase("true"): anything else is false, not an error.
  ...FORMATTER_BOOLEANS.map((k): [string, ValueCheck] => [k, anyValue]),
  ['key.separator', anyValue],
  ['line.separator', anyValue],
  ['headers.separator', anyValue],
  ['null.literal', anyValue],
  ['key.deserializer', STRING_DESERIALIZER],
  ['value.deserializer', STRING_DESERIALIZER],
  ['headers.deserializer', STRING_DESERIALIZER],
]);

const DEFAULT_FORMATTERS = new Set(['kafka.tools.DefaultMessageFormatter', 'org.apache.kafka.tools.consumer.DefaultMessageFormatter']);

/** Undoes shell-escaped separators such as `\t` the way users type them. */
export function unescape(s: string): string {
  return s.replace(/\\t/g, '\t').replace(/\\n/g, '\n').replace(/\\r/g, '\r');
}

export function messageFormat(props: ReadonlyMap<string, string>): MessageFormat {
  const flag = (name: string, dflt: boolean): boolean => {
    const v = props.get(name);
    return v === undefined ? dflt : v.trim().toLowerCase() === 'true';
  };
  return {
    printKey: flag('print.key', false),
    printValue: flag('print.value', true),
    printHeaders: flag('print.headers', false),
    printTimestamp: flag('print.timestamp', false),
    printOffset: flag('print.offset', false),
    printPartition: flag('print.partition', false),
    printDelivery: flag('print.delivery', false),
    keySeparator: unescape(props.get('key.separator') ?? '\t'),
    lineSeparator: unescape(props.get('line.separator') ?? '\n'),
    headersSeparator: unescape(props.get('headers.separator') ?? ','),
    nullLiteral: props.get('null.literal') ?? 'null',
  };
}

const WITH_VALUE = new Set(['bootstrap-server', 'topic', 'partition', 'offset', 'group', 'max-messages', 'timeout-ms', 'isolation-level',
  'property', 'formatter-property', 'formatter-config', 'formatter', 'consumer-property', 'command-property', 'consumer.config', 'command-config',
  'key-deserializer', 'value-deserializer']);
const BOOLEAN = new Set(['from-beginning', 'skip-message-on-error', 'help']);

function refuseOption(name: string): string | null {
  if (name === 'include' || name === 'whitelist') return `--${name} is not supported: regex subscriptions are not implemented yet; use --topic`;
  if (name === 'enable-systest-events') return '--enable-systest-events is not supported';
  return null;
}

/** Parses and checks the command line; throws UsageError (one line) for anything wrong. */
export function parseConsumerArgs(argv: string[]): ConsumerSettings {
  const { values, flags } = parseOptions(argv, { withValue: WITH_VALUE, boolean: BOOLEAN, refuse: refuseOption });
  const one = (name: string): string | undefined => {
    const v = values.get(name);
    if (v !== undefined && v.length > 1) throw new UsageError(`Option ${name} given more than once`);
    return v?.[0];
  };
  const all = (name: string): string[] => values.get(name) ?? [];
  const topic = one('topic');
  if (topic === undefined) throw new UsageError('Exactly one of the following arguments is required: [topic], [include]');
  const partitionText = one('partition');
  const offsetText = one('offset');
  const fromBeginning = flags.has('from-beginning');
  if (partitionText !== undefined) {
    if (fromBeginning && offsetText !== undefined) throw new UsageError('Options from-beginning and offset cannot be specified together.');
  } else if (offsetText !== undefined) {
    throw new UsageError('The partition is required when offset is specified.');
  }
  const bootstrap = one('bootstrap-server');
  if (bootstrap === undefined) throw new UsageError('Missing required argument "[bootstrap-server]"');
  if (values.has('consumer-property') && values.has('command-property')) throw new UsageError('Options --consumer-property and --command-property cannot be specified together.');
  if (values.has('consumer.config') && values.has('command-config')) throw new UsageError('Options --consumer.config and --command-config cannot be specified together.');
  if (values.has('property') && values.has('formatter-property')) throw new UsageError('Options --property and --formatter-property cannot be specified together.');

  // Consumer properties: the file, then --consumer-property on top (Kafka's precedence).
  const configFile = one('consumer.config') ?? one('command-config');
  const configOption = values.has('consumer.config') ? '--consumer.config' : '--command-config';
  const fileProps = configFile === undefined ? new Map<string, string>() : loadPropertiesFile(configFile, configOption);
  checkProperties(fileProps, CONSUMER_RULES, `${configOption} ${configFile}`, 'consumer');
  const propOption = values.has('command-property') ? '--command-property' : '--consumer-property';
  const extraProps = parseKeyValues([...all('consumer-property'), ...all('command-property')], propOption);
  checkProperties(extraProps, CONSUMER_RULES, propOption, 'consumer');
  const props = new Map([...fileProps, ...extraProps]);

  const groups = new Set<string>();
  if (one('group') !== undefined) groups.add(one('group')!);
  if (fileProps.has('group.id')) groups.add(fileProps.get('group.id')!);
  if (extraProps.has('group.id')) groups.add(extraProps.get('group.id')!);
  if (groups.size > 1) {
    throw new UsageError(`The group ids provided in different places (directly using '--group', via '--consumer-property', or via '--consumer.config') do not match. Detected group ids: ${[...groups].map((g) => `'${g}'`).join(', ')}`);
  }
  if (groups.size > 0 && partitionText !== undefined) throw new UsageError('Options group and partition cannot be specified together.');

  const reset = props.get('auto.offset.reset')?.trim().toLowerCase();
  if (reset !== undefined && fromBeginning && reset !== 'earliest') {
    throw new UsageError(`Can't simultaneously specify --from-beginning and 'auto.offset.reset=${reset}', please remove one option`);
  }
  const autoOffsetReset = (reset ?? (fromBeginning ? 'earliest' : 'latest')) as 'earliest' | 'latest' | 'none';
  // As Kafka's tool: --isolation-level, when given, wins over isolation.level in the properties.
  const isolation = one('isolation-level');
  if (isolation !== undefined) {
    const bad = isolationLevel(isolation);
    if (bad !== null) throw new UsageError(`--isolation-level ${isolation}: ${bad}`);
  }
  const level = isolationLevelOf(isolation ?? props.get('isolation.level'));

  let partition: number | undefined;
  if (partitionText !== undefined) {
    if (!/^\d+$/.test(partitionText.trim())) throw new UsageError(`Invalid partition: ${partitionText}`);
    partition = Number(partitionText);
  }
  let startOffset: OffsetSpec = fromBeginning ? 'earliest' : 'latest';
  if (offsetText !== undefined) {
    const o = offsetText.trim().toLowerCase();
    if (o === 'earliest' || o === 'latest') startOffset = o;
    else if (/^\d+$/.test(o)) startOffset = Number(o);
    else throw new UsageError(`The provided offset value '${offsetText}' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long.`);
  }
  const intOption = (name: string): number | undefined => {
    const v = one(name);
    if (v === undefined) return undefined;
    if (!/^-?\d+$/.test(v.trim())) throw new UsageError(`Option ${name}: '${v}' is not an integer`);
    return Number(v);
  };
  const maxMessages = intOption('max-messages');
  const timeoutMs = intOption('timeout-ms');

  const formatter = one('formatter');
  if (formatter !== undefined && !DEFAULT_FORMATTERS.has(formatter)) {
    throw new UsageError(`--formatter ${formatter} is not supported: only the DefaultMessageFormatter (its properties) is implemented`);
  }
  const formatterFile = one('formatter-config');
  const formatterFileProps = formatterFile === undefined ? new Map<string, string>() : loadPropertiesFile(formatterFile, '--formatter-config');
  checkProperties(formatterFileProps, FORMATTER_RULES, `--formatter-config ${formatterFile}`, 'formatter');
  const deserializers = new Map<string, string>();
  if (one('key-deserializer') !== undefined) deserializers.set('key.deserializer', one('key-deserializer')!);
  if (one('value-deserializer') !== undefined) deserializers.set('value.deserializer', one('value-deserializer')!);
  checkProperties(deserializers, FORMATTER_RULES, '--key-deserializer/--value-deserializer', 'formatter');
  const formatterOption = values.has('formatter-property') ? '--formatter-property' : '--property';
  const formatterProps = parseKeyValues([...all('property'), ...all('formatter-property')], formatterOption);
  checkProperties(formatterProps, FORMATTER_RULES, formatterOption, 'formatter');

  return {
    bootstrap, topic, partition, startOffset, autoOffsetReset,
    clientId: props.get('client.id') ?? 'console-consumer',
    group: groups.size > 0 ? [...groups][0] : undefined,
    isolationLevel: level,
    groupOptions: groupOptions(props, autoOffsetReset, level),
    allowAutoCreateTopics: boolProperty(props, 'allow.auto.create.topics', true),
    requestTimeoutMs: props.has('request.timeout.ms') ? intProperty(props, 'request.timeout.ms', 30_000) : undefined,
    maxMessages: maxMessages === undefined || maxMessages < 0 ? Infinity : maxMessages,
    timeoutMs: timeoutMs === undefined || timeoutMs < 0 ? Infinity : timeoutMs,
    format: messageFormat(new Map([...formatterFileProps, ...formatterProps])),
  };
}

function groupOptions(props: ReadonlyMap<string, string>, autoOffsetReset: 'earliest' | 'latest' | 'none', isolation: 0 | 1): ConsumerSettings['groupOptions'] {
  const strategies = props.get('partition.assignment.strategy');
  return {
    groupInstanceId: props.get('group.instance.id') ?? null,
    sessionTimeoutMs: intProperty(props, 'session.timeout.ms', 45_000),
    heartbeatIntervalMs: intProperty(props, 'heartbeat.interval.ms', 3_000),
    rebalanceTimeoutMs: intProperty(props, 'max.poll.interval.ms', 300_000),
    assignors: strategies === undefined ? ['range']
      : [...new Set(strategies.split(',').map((s) => s.trim()).filter((s) => s !== '').map((s) => ASSIGNOR_CLASSES[s]!))],
    autoOffsetReset,
    enableAutoCommit: boolProperty(props, 'enable.auto.commit', true),
    autoCommitIntervalMs: intProperty(props, 'auto.commit.interval.ms', 5_000),
    maxPollRecords: intProperty(props, 'max.poll.records', 500),
    retryBackoffMs: intProperty(props, 'retry.backoff.ms', 100),
    fetch: {
      minBytes: intProperty(props, 'fetch.min.bytes', 1),
      maxWaitMs: intProperty(props, 'fetch.max.wait.ms', 500),
      maxBytes: intProperty(props, 'fetch.max.bytes', 50 * 1024 * 1024),
      partitionMaxBytes: intProperty(props, 'max.partition.fetch.bytes', 1024 * 1024),
      isolationLevel: isolation,
    },
  };
}

/** The help text, with the honoured consumer properties listed. */
export function consumerUsage(): string {
  return CONSUMER_USAGE.replace('${CONSUMER_PROPS}', [...CONSUMER_RULES.keys()].sort().join(', '));
}
