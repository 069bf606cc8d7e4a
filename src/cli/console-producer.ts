/**
 * `sherwood console-producer`: writes stdin lines to a topic, like kafka-console-producer.sh.
 *
 *   --bootstrap-server host:port   (required; --broker-list is accepted as an alias)
 *   --topic name                   (required)
 *   --compression-codec [codec]    none|gzip|snappy|lz4|zstd; the flag alone means gzip
 *   --request-required-acks n      0, 1 or -1/all (default -1)
 *   --partition n                  (Sherwood extension) send every record to this partition
 *   --batch-size n                 records per produce request at most (default 500)
 *   --property key=value           parse.key, key.separator (default TAB), parse.headers,
 *                                  headers.delimiter (TAB), headers.separator (,),
 *                                  headers.key.separator (:), null.marker, ignore.error
 *   --producer-property / --producer.config / --sync / --timeout: accepted, mostly ignored
 *
 * Keyed records go to murmur2(key) % partitions as with Kafka's default partitioner; keyless
 * records rotate over partitions per request. Lines read together are sent together, in order.
 * Unlike Kafka's tool (which logs send errors and exits 0), a failed send makes the exit code 1.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { KafkaClient, partitionForKey, compressionFromName, Compression, type RecordInput } from '../client/index.js';

export interface ConsoleIO {
  stdin: NodeJS.ReadableStream;
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

const DEFAULT_IO: ConsoleIO = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };

export const PRODUCER_USAGE = `Usage: sherwood console-producer --bootstrap-server host:port --topic name [options]
  --compression-codec [codec]   none, gzip, snappy, lz4 or zstd (alone: gzip)
  --request-required-acks n     0, 1 or -1 (default -1)
  --partition n                 send every record to this partition
  --property key=value          parse.key=true key.separator=<TAB> parse.headers=true null.marker=...
`;

/** Turns `key=value` strings into an object; values may contain '='. */
export function parseProperties(list: string[] | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of list ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new Error(`bad property '${item}': expected key=value`);
    out.set(item.slice(0, eq), item.slice(eq + 1));
  }
  return out;
}

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

export async function main(argv: string[], io: ConsoleIO = DEFAULT_IO): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: normalizeArgv(argv),
      options: {
        'bootstrap-server': { type: 'string' },
        'broker-list': { type: 'string' },
        topic: { type: 'string' },
        'compression-codec': { type: 'string' },
        'request-required-acks': { type: 'string' },
        partition: { type: 'string' },
        'batch-size': { type: 'string' },
        property: { type: 'string', multiple: true },
        'reader-property': { type: 'string', multiple: true },
        'producer-property': { type: 'string', multiple: true },
        'producer.config': { type: 'string' },
        sync: { type: 'boolean' },
        timeout: { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (err) {
    io.stderr.write(`${(err as Error).message}\n${PRODUCER_USAGE}`);
    return 1;
  }
  if (values.help) {
    io.stdout.write(PRODUCER_USAGE);
    return 0;
  }
  const bootstrap = values['bootstrap-server'] ?? values['broker-list'];
  const topic = values.topic;
  if (bootstrap === undefined || topic === undefined) {
    io.stderr.write(`Missing required argument "${bootstrap === undefined ? '--bootstrap-server' : '--topic'}"\n${PRODUCER_USAGE}`);
    return 1;
  }
  const compression = values['compression-codec'] === undefined ? Compression.None : compressionFromName(values['compression-codec']);
  if (compression === undefined) {
    io.stderr.write(`Unknown compression codec '${values['compression-codec']}'\n`);
    return 1;
  }
  const acksText = values['request-required-acks'] ?? '-1';
  const acks = acksText === 'all' ? -1 : Number(acksText);
  if (![0, 1, -1].includes(acks)) {
    io.stderr.write(`Invalid value for --request-required-acks: ${acksText}\n`);
    return 1;
  }
  const fixedPartition = values.partition === undefined ? undefined : Number(values.partition);
  if (fixedPartition !== undefined && !(Number.isInteger(fixedPartition) && fixedPartition >= 0)) {
    io.stderr.write(`Invalid partition: ${values.partition}\n`);
    return 1;
  }
  const batchSize = Math.max(1, Number(values['batch-size'] ?? 500) || 500);
  let format: LineFormat;
  try {
    format = lineFormat(parseProperties([...(values.property ?? []), ...(values['reader-property'] ?? [])]));
  } catch (err) {
    io.stderr.write(`${(err as Error).message}\n`);
    return 1;
  }

  let client: KafkaClient | undefined;
  try {
    client = await KafkaClient.connect(bootstrap, { clientId: 'console-producer' });
    return await produceLines(client, topic, io, { compression, acks, fixedPartition, batchSize, format });
  } catch (err) {
    io.stderr.write(`[ERROR] ${(err as Error).message}\n`);
    return 1;
  } finally {
    await client?.close();
  }
}

interface ProduceSettings {
  compression: Compression;
  acks: number;
  fixedPartition: number | undefined;
  batchSize: number;
  format: LineFormat;
}

async function produceLines(client: KafkaClient, topic: string, io: ConsoleIO, s: ProduceSettings): Promise<number> {
  const meta = await client.topicMetadata(topic, { allowAutoTopicCreation: true });
  const numPartitions = meta.partitions.length;
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
      for (let i = 0; i < list.length; i += s.batchSize) {
        try {
          await client.produce(topic, partition, list.slice(i, i + s.batchSize), { acks: s.acks, compression: s.compression });
        } catch (err) {
          failed = true;
          io.stderr.write(`Error when sending message to topic ${topic} with ${list.length - i} record(s): ${(err as Error).message}\n`);
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
  let scheduled = false;
  try {
    for await (const line of rl) {
      lineNumber++;
      try {
        pending.push(parseLine(line, lineNumber, s.format));
      } catch (err) {
        io.stderr.write(`${(err as Error).message}\n`);
        failed = true;
        break;
      }
      if (pending.length >= s.batchSize) flush();
      else if (!scheduled) {
        // Lines that arrive together are sent together; an interactive line goes out at once.
        scheduled = true;
        setImmediate(() => {
          scheduled = false;
          flush();
        });
      }
    }
  } finally {
    rl.close();
  }
  flush();
  await chain;
  return failed ? 1 : 0;
}
