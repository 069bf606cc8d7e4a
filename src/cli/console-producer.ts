/**
 * `sherwood console-producer`: writes stdin lines to a topic, like kafka-console-producer.sh.
 *
 *   --bootstrap-server host:port   (required; --broker-list is accepted as an alias)
 *   --topic name                   (required)
 *   --compression-codec [codec]    none|gzip|snappy|lz4|zstd; the flag alone means gzip
 *   --request-required-acks n      0, 1 or -1/all (default -1)
 *   --request-timeout-ms n         (default 1500, as Kafka's tool)
 *   --message-send-max-retries n   retries of a failed send (default 3)
 *   --sync                         send each line on its own and wait for its acknowledgement
 *   --timeout ms                   linger: how long a read line waits for more to send with
 *                                  (default 0: sent at once; Kafka's tool waits up to 1000 ms)
 *   --partition n                  (Sherwood extension) send every record to this partition
 *   --batch-size n                 records per produce request at most (default 500)
 *   --property key=value           line reader: parse.key, key.separator (TAB), parse.headers,
 *                                  headers.delimiter (TAB), headers.separator (,),
 *                                  headers.key.separator (:), null.marker, ignore.error
 *   --producer-property k=v, --producer.config FILE: the producer properties of PRODUCER_RULES;
 *                                  any other key is refused by name
 *
 * The producer is Sherwood's (../client/producer.ts) with the Java producer's defaults, as
 * Kafka's tool has them: idempotent unless acks is not all or retries is 0 (or
 * enable.idempotence=false), so a retried send is never written twice. transactional.id is
 * refused: Kafka's console producer never calls initTransactions(), so with it every send fails.
 *
 * Keyed records go to murmur2(key) % partitions as with Kafka's default partitioner; keyless
 * records rotate over partitions per request. Lines read together are sent together, in order.
 * Unlike Kafka's tool (which logs send errors and exits 0), a failed send makes the exit code 1.
 */
import { createInterface } from 'node:readline';
import { KafkaClient, Producer, partitionForKey, compressionFromName, resolveIdempotence, Compression, type RecordInput } from '../client/index.js';
import { UsageError, parseOptions, runCommand, type Output } from './_args.js';
import {
  COMMON_CLIENT_RULES, boolValue, checkProperties, intProperty, intValue, loadPropertiesFile, parseKeyValues, anyValue, type ValueCheck,
} from './_properties.js';

export interface ConsoleIO {
  stdin: NodeJS.ReadableStream;
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

const DEFAULT_IO: ConsoleIO = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };

const acksValue: ValueCheck = (v) => ['0', '1', '-1', 'all'].includes(v.trim().toLowerCase()) ? null : 'must be 0, 1, -1 or all';
const compressionValue: ValueCheck = (v) => compressionFromName(v.trim()) !== undefined ? null : 'must be none, gzip, snappy, lz4 or zstd';

/** Producer properties the console producer honours. */
export const PRODUCER_RULES: ReadonlyMap<string, ValueCheck> = new Map<string, ValueCheck>([
  ...COMMON_CLIENT_RULES,
  ['acks', acksValue],
  ['compression.type', compressionValue],
  ['linger.ms', intValue(0)],
  ['batch.size', intValue(1)],
  ['retries', intValue(0)],
  ['enable.idempotence', boolValue],
]);

/** Line-reader properties (Kafka's LineMessageReader). */
export const READER_RULES: ReadonlyMap<string, ValueCheck> = new Map<string, ValueCheck>(
  ['parse.key', 'key.separator', 'parse.headers', 'headers.delimiter', 'headers.separator', 'headers.key.separator', 'null.marker', 'ignore.error']
    .map((k): [string, ValueCheck] => [k, anyValue]),
);

export const PRODUCER_USAGE = `Usage: sherwood console-producer --bootstrap-server HOST:PORT --topic NAME [options]

Writes lines from stdin to a topic (like kafka-console-producer.sh).

Options:
  --compression-codec [codec]   none, gzip, snappy, lz4 or zstd (alone: gzip)
  --request-required-acks N     0, 1 or -1/all (default -1)
  --request-timeout-ms N        Produce timeout (default 1500)
  --message-send-max-retries N  Retries of a failed send (default 3)
  --sync                        Send each line on its own, waiting for its acknowledgement
  --timeout MS                  How long a line waits for more to send with (default 0)
  --partition N                 Send every record to this partition (Sherwood extension)
  --batch-size N                Records per produce request at most (default 500)
  --property k=v                Line reader: parse.key key.separator parse.headers headers.delimiter
                                headers.separator headers.key.separator null.marker ignore.error
  --producer-property k=v       A producer property (repeatable; also --command-property)
  --producer.config FILE        Producer properties file (also --command-config)

Producer properties honoured: ${[...PRODUCER_RULES.keys()].sort().join(', ')}. Any other key is refused.`;

/** Undoes shell-escaped separators such as `\t` the way users type them. */
export function unescape(s: string): string {
  return s.replace(/\\t/g, '\t').replace(/\\n/g, '\n').replace(/\\r/g, '\r');
}

export interface LineFormat {
  parseKey: boolean;
  keySeparator: string;
  parseHeaders: boolean;
  headersDelimiter: string;
  headersSeparator: string;
  headersKeySeparator: string;
  nullMarker: string | undefined;
  ignoreError: boolean;
}

export function lineFormat(props: Map<string, string>): LineFormat {
  return {
    parseKey: props.get('parse.key')?.toLowerCase() === 'true',
    keySeparator: unescape(props.get('key.separator') ?? '\t'),
    parseHeaders: props.get('parse.headers')?.toLowerCase() === 'true',
    headersDelimiter: unescape(props.get('headers.delimiter') ?? '\t'),
    headersSeparator: unescape(props.get('headers.separator') ?? ','),
    headersKeySeparator: unescape(props.get('headers.key.separator') ?? ':'),
    nullMarker: props.get('null.marker'),
    ignoreError: props.get('ignore.error')?.toLowerCase() === 'true',
  };
}

/** Parses one input line as LineMessageReader does; throws on a missing separator. */
export function parseLine(line: string, lineNumber: number, f: LineFormat): RecordInput {
  let rest = line;
  const headers: { key: string; value: string | null }[] = [];
  const nullable = (s: string): string | null => (f.nullMarker !== undefined && s === f.nullMarker ? null : s);
  if (f.parseHeaders) {
    const at = rest.indexOf(f.headersDelimiter);
    if (at < 0) {
      if (!f.ignoreError) throw new Error(`No headers delimiter found on line number ${lineNumber}: '${line}'`);
    } else {
      const text = rest.slice(0, at);
      rest = rest.slice(at + f.headersDelimiter.length);
      if (text !== '' && text !== f.nullMarker) {
        for (const h of text.split(f.headersSeparator)) {
          const ks = h.indexOf(f.headersKeySeparator);
          if (ks < 0) headers.push({ key: h, value: null });
          else headers.push({ key: h.slice(0, ks), value: nullable(h.slice(ks + f.headersKeySeparator.length)) });
        }
      }
    }
  }
  let key: string | null = null;
  if (f.parseKey) {
    const at = rest.indexOf(f.keySeparator);
    if (at < 0) {
      if (!f.ignoreError) throw new Error(`No key separator found on line number ${lineNumber}: '${line}'`);
    } else {
      key = nullable(rest.slice(0, at));
      rest = rest.slice(at + f.keySeparator.length);
    }
  }
  return { key, value: nullable(rest), headers };
}

function normalizeArgv(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    out.push(a);
    if (a === '--compression-codec' && (i + 1 >= argv.length || argv[i + 1]!.startsWith('--'))) out.push('gzip');
  }
  return out;
}

const WITH_VALUE = new Set(['bootstrap-server', 'broker-list', 'topic', 'compression-codec', 'request-required-acks', 'request-timeout-ms',
  'message-send-max-retries', 'timeout', 'partition', 'batch-size', 'property', 'reader-property', 'producer-property', 'producer.config',
  'command-property', 'command-config']);
const BOOLEAN = new Set(['sync', 'help']);

/** The command line, checked; throws UsageError (one line). */
export function parseProducerArgs(argv: string[]): ProduceSettings & { bootstrap: string; topic: string; clientId: string } {
  const { values, flags } = parseOptions(normalizeArgv(argv), { withValue: WITH_VALUE, boolean: BOOLEAN });
  const one = (name: string): string | undefined => values.get(name)?.at(-1);
  const int = (name: string, dflt: number, min: number): number => {
    const v = one(name);
    if (v === undefined) return dflt;
    if (!/^-?\d+$/.test(v.trim()) || Number(v) < min) throw new UsageError(`Invalid value for --${name}: ${v}`);
    return Number(v);
  };
  const bootstrap = one('bootstrap-server') ?? one('broker-list');
  if (bootstrap === undefined) throw new UsageError('Missing required argument "[bootstrap-server]"');
  const topic = one('topic');
  if (topic === undefined) throw new UsageError('Missing required argument "[topic]"');

  // Kafka 4.2 renamed --producer-property/--producer.config to --command-property/--command-config.
  const configOption = values.has('command-config') ? '--command-config' : '--producer.config';
  const configFile = one('producer.config') ?? one('command-config');
  const fileProps = configFile === undefined ? new Map<string, string>() : loadPropertiesFile(configFile, configOption);
  checkProperties(fileProps, PRODUCER_RULES, `${configOption} ${configFile}`, 'producer');
  const propOption = values.has('command-property') ? '--command-property' : '--producer-property';
  const extraProps = parseKeyValues([...(values.get('producer-property') ?? []), ...(values.get('command-property') ?? [])], propOption);
  checkProperties(extraProps, PRODUCER_RULES, propOption, 'producer');
  const props = new Map([...fileProps, ...extraProps]);

  // As Kafka's tool: an explicit option wins over the same setting in the properties.
  const codecName = one('compression-codec') ?? props.get('compression.type') ?? 'none';
  const compression = compressionFromName(codecName.trim());
  if (compression === undefined) throw new UsageError(`Unknown compression codec '${codecName}'`);
  const acksText = (one('request-required-acks') ?? props.get('acks') ?? '-1').trim().toLowerCase();
  const acks = acksText === 'all' ? -1 : Number(acksText);
  if (![0, 1, -1].includes(acks)) throw new UsageError(`Invalid value for --request-required-acks: ${acksText}`);
  const partitionText = one('partition');
  if (partitionText !== undefined && !/^\d+$/.test(partitionText.trim())) throw new UsageError(`Invalid partition: ${partitionText}`);
  const readerProps = parseKeyValues([...(values.get('property') ?? []), ...(values.get('reader-property') ?? [])], '--property');
  checkProperties(readerProps, READER_RULES, '--property', 'line reader');
  const retries = values.has('message-send-max-retries') ? int('message-send-max-retries', 3, 0) : intProperty(props, 'retries', 3);
  const idempotenceText = props.get('enable.idempotence')?.trim().toLowerCase();
  let idempotent: boolean;
  try {
    idempotent = resolveIdempotence({ acks, retries, idempotent: idempotenceText === undefined ? undefined : idempotenceText === 'true' });
  } catch (err) {
    throw new UsageError(`enable.idempotence=true: ${(err as Error).message}`);
  }
  return {
    bootstrap, topic, compression, acks, idempotent,
    clientId: props.get('client.id') ?? 'console-producer',
    fixedPartition: partitionText === undefined ? undefined : Number(partitionText),
    batchSize: int('batch-size', 500, 1),
    batchBytes: intProperty(props, 'batch.size', Infinity),
    lingerMs: values.has('timeout') ? int('timeout', 0, 0) : intProperty(props, 'linger.ms', 0),
    sync: flags.has('sync'),
    requestTimeoutMs: values.has('request-timeout-ms') ? int('request-timeout-ms', 1500, 1) : intProperty(props, 'request.timeout.ms', 1500),
    retries,
    format: lineFormat(readerProps),
  };
}

export async function main(argv: string[], io: ConsoleIO = DEFAULT_IO): Promise<number> {
  const out: Output = (l) => void io.stdout.write(l + '\n');
  const err: Output = (l) => void io.stderr.write(l + '\n');
  return runCommand('console-producer', PRODUCER_USAGE, out, err, async () => {
    const s = parseProducerArgs(argv);
    const client = await KafkaClient.connect(s.bootstrap, { clientId: s.clientId, requestTimeoutMs: s.requestTimeoutMs + 5_000 });
    try {
      return await produceLines(client, s.topic, io, s);
    } finally {
      await client.close();
    }
  });
}

export interface ProduceSettings {
  compression: Compression;
  acks: number;
  /** enable.idempotence, resolved with the Java producer's rules (see resolveIdempotence). */
  idempotent: boolean;
  fixedPartition: number | undefined;
  /** Records per produce request at most (--batch-size). */
  batchSize: number;
  /** Bytes per produce request at most, roughly (batch.size); Infinity when not set. */
  batchBytes: number;
  /** How long read lines wait to be sent with the next ones (--timeout / linger.ms). */
  lingerMs: number;
  /** --sync: one line per request, each acknowledged before the next is sent. */
  sync: boolean;
  requestTimeoutMs: number;
  retries: number;
  format: LineFormat;
}

/** Splits records into requests of at most `count` records and (roughly) `bytes` bytes. */
export function chunkRecords(records: RecordInput[], count: number, bytes: number): RecordInput[][] {
  const size = (r: RecordInput): number => 16 + sizeOf(r.key) + sizeOf(r.value) + (r.headers ?? []).reduce((n, h) => n + h.key.length + sizeOf(h.value), 0);
  const out: RecordInput[][] = [];
  let current: RecordInput[] = [];
  let currentBytes = 0;
  for (const r of records) {
    const b = size(r);
    if (current.length > 0 && (current.length >= count || currentBytes + b > bytes)) {
      out.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(r);
    currentBytes += b;
  }
  if (current.length > 0) out.push(current);
  return out;
}

function sizeOf(v: string | Buffer | null | undefined): number {
  return v === null || v === undefined ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length;
}

async function produceLines(client: KafkaClient, topic: string, io: ConsoleIO, s: ProduceSettings): Promise<number> {
  const fail = (message: string): void => {
    failed = true;
    io.stderr.write(`sherwood console-producer: ${message}\n`);
  };
  const meta = await client.topicMetadata(topic, { allowAutoTopicCreation: true });
  const numPartitions = meta.partitions.length;
  const producer = await Producer.create(client, {
    acks: s.acks, compression: s.compression, idempotent: s.idempotent, requestTimeoutMs: s.requestTimeoutMs, retries: s.retries,
  });
  let roundRobin = 0;
  let failed = false;
  let pending: RecordInput[] = [];
  let chain: Promise<void> = Promise.resolve();

  const send = async (records: RecordInput[]): Promise<void> => {
    const byPartition = new Map<number, RecordInput[]>();
    const keyless = s.fixedPartition ?? roundRobin++ % numPartitions;
    for (const r of records) {
      const p = s.fixedPartition ?? (r.key === null ? keyless : partitionForKey(Buffer.from(r.key as string, 'utf8'), numPartitions));
      byPartition.set(p, [...(byPartition.get(p) ?? []), r]);
    }
    for (const [partition, list] of byPartition) {
      for (const chunk of chunkRecords(list, s.batchSize, s.batchBytes)) {
        try {
          await producer.send(topic, partition, chunk);
        } catch (err) {
          fail(`error when sending ${chunk.length} record(s) to ${topic}-${partition}: ${(err as Error).message}`);
        }
      }
    }
  };
  const flush = (): void => {
    if (pending.length === 0) return;
    const records = pending;
    pending = [];
    chain = chain.then(() => send(records));
  };

  const rl = createInterface({ input: io.stdin, crlfDelay: Infinity, terminal: false });
  let lineNumber = 0;
  let timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  const schedule = (): void => {
    if (timer !== null) return;
    // Lines that arrive together are sent together; after that, a line waits at most lingerMs.
    const fire = (): void => {
      timer = null;
      flush();
    };
    timer = s.lingerMs > 0 ? setTimeout(fire, s.lingerMs) : setImmediate(fire);
  };
  try {
    for await (const line of rl) {
      lineNumber++;
      let record: RecordInput;
      try {
        record = parseLine(line, lineNumber, s.format);
      } catch (err) {
        fail((err as Error).message);
        break;
      }
      if (s.sync) {
        await send([record]);
        continue;
      }
      pending.push(record);
      if (pending.length >= s.batchSize) flush();
      else schedule();
    }
  } finally {
    rl.close();
    if (timer !== null) {
      clearTimeout(timer as NodeJS.Timeout);
      clearImmediate(timer as NodeJS.Immediate);
    }
  }
  flush();
  await chain;
  await producer.close();
  return failed ? 1 : 0;
}
