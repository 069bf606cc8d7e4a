/**
 * `sherwood console-consumer`: prints records of a topic, like kafka-console-consumer.sh
 * (options and properties in ./_consumer-options.ts).
 *
 * Three modes, as in Kafka:
 * - `--group G` (or group.id in the properties): joins the group with Sherwood's GroupConsumer
 *   (JoinGroup/SyncGroup, range or roundrobin, heartbeats, auto-commit every
 *   auto.commit.interval.ms and at exit, LeaveGroup at exit), so consumers of one group split
 *   the partitions and `consumer-groups --describe` lists them while they run.
 * - `--partition N [--offset ...]`: reads that partition from the given offset, no group.
 * - neither: reads every partition, no group. (Kafka joins a throwaway group
 *   "console-consumer-NNNNN" with auto-commit off; the records printed are the same.)
 *
 * Output follows Kafka's DefaultMessageFormatter: timestamp ("CreateTime:ms"), "Partition:n",
 * "Offset:n", "Delivery:NONE", headers ("k:v,k2:v2" or "NO_HEADERS"), key, value, separated by
 * key.separator, each record ended by line.separator. "Processed a total of N messages" goes
 * to stderr at exit, as Kafka's tool prints it. With --max-messages, records fetched but not
 * printed are not committed: the next run of the group starts with them. SIGINT/SIGTERM stop
 * the loop; the consumer then commits and leaves the group before the process exits.
 */
import {
  GroupConsumer, KafkaClient, SimpleConsumer, WakeupError, type ConsumedRecord,
} from '../client/index.js';
import { runCommand, type Output } from './_args.js';
import { consumerUsage, parseConsumerArgs, type ConsumerSettings, type MessageFormat } from './_consumer-options.js';
import type { ConsoleIO } from './console-producer.js';

export { messageFormat, type MessageFormat } from './_consumer-options.js';

const DEFAULT_IO: ConsoleIO = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };

/** One record as Kafka's DefaultMessageFormatter writes it (line separator included). */
export function formatRecord(r: ConsumedRecord, f: MessageFormat): string {
  const cols: string[] = [];
  if (f.printTimestamp) cols.push(r.timestamp < 0 ? 'NO_TIMESTAMP' : `${r.logAppendTime === true ? 'LogAppendTime' : 'CreateTime'}:${r.timestamp}`);
  if (f.printPartition) cols.push(`Partition:${r.partition}`);
  if (f.printOffset) cols.push(`Offset:${r.offset}`);
  // Delivery counts exist only for share groups (KIP-932); a classic consumer prints NONE.
  if (f.printDelivery) cols.push('Delivery:NONE');
  if (f.printHeaders) {
    cols.push(r.headers.length === 0
      ? 'NO_HEADERS'
      : r.headers.map((h) => `${h.key}:${h.value === null ? f.nullLiteral : h.value.toString('utf8')}`).join(f.headersSeparator));
  }
  if (f.printKey) cols.push(r.key === null ? f.nullLiteral : r.key.toString('utf8'));
  if (f.printValue) cols.push(r.value === null ? f.nullLiteral : r.value.toString('utf8'));
  // Each column is followed by key.separator, the last one by line.separator; nothing at all
  // is written when every print.* is false (as Kafka's formatter).
  return cols.length === 0 ? '' : cols.join(f.keySeparator) + f.lineSeparator;
}

/** What the print loop needs from either consumer. */
interface RecordSource {
  poll(maxWaitMs: number): Promise<ConsumedRecord[]>;
  /** Moves a partition back to its first record not printed (so it is not committed). */
  seek(topic: string, partition: number, offset: number): void;
  wakeup(): void;
  close(): Promise<void>;
}

function simpleSource(c: SimpleConsumer): RecordSource {
  let woken: (() => void) | null = null;
  const fetchMaxWaitMs = c.options.maxWaitMs ?? 500;
  return {
    poll: (maxWaitMs) => new Promise((resolve, reject) => {
      c.options.maxWaitMs = Math.min(maxWaitMs, fetchMaxWaitMs);
      woken = () => reject(new WakeupError());
      c.poll().then(resolve, reject).finally(() => { woken = null; });
    }),
    seek: (_topic, partition, offset) => c.seek(partition, offset),
    wakeup: () => woken?.(),
    close: async () => undefined,
  };
}

async function openSource(client: KafkaClient, s: ConsumerSettings, warn: Output): Promise<RecordSource> {
  // The topic must exist (or be auto-created when the broker allows it and allow.auto.create.topics is on).
  await client.topicMetadata(s.topic, { refresh: true, allowAutoTopicCreation: s.allowAutoCreateTopics });
  if (s.group !== undefined) {
    return new GroupConsumer(client, { ...s.groupOptions, groupId: s.group, topics: [s.topic], onWarning: (m) => warn(`warning: ${m}`) });
  }
  const f = s.groupOptions.fetch!;
  return simpleSource(await SimpleConsumer.create(client, {
    topic: s.topic,
    partitions: s.partition === undefined ? undefined : [s.partition],
    startOffset: s.partition === undefined ? undefined : s.startOffset,
    autoOffsetReset: s.autoOffsetReset,
    maxWaitMs: f.maxWaitMs, minBytes: f.minBytes, maxBytes: f.maxBytes, partitionMaxBytes: f.partitionMaxBytes, isolationLevel: s.isolationLevel,
  }));
}

export async function main(argv: string[], io: ConsoleIO = DEFAULT_IO): Promise<number> {
  const out: Output = (l) => void io.stdout.write(l + '\n');
  const err: Output = (l) => void io.stderr.write(l + '\n');
  return runCommand('console-consumer', consumerUsage(), out, err, async () => {
    const settings = parseConsumerArgs(argv);
    const client = await KafkaClient.connect(settings.bootstrap, { clientId: settings.clientId, requestTimeoutMs: settings.requestTimeoutMs });
    const progress = { processed: 0, stopped: false };
    let source: RecordSource | undefined;
    const onSignal = (): void => {
      progress.stopped = true;
      source?.wakeup();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      source = await openSource(client, settings, (l) => err(`sherwood console-consumer: ${l}`));
      await printRecords(source, settings, io, progress, err);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      try {
        await source?.close();
      } finally {
        // Once consuming started, as Kafka's tool does (also after an error or a signal).
        if (source !== undefined) io.stderr.write(`Processed a total of ${progress.processed} messages\n`);
        await client.close();
      }
    }
  });
}

/** Prints records until maxMessages, timeoutMs without a record, or a signal (progress.stopped). */
async function printRecords(source: RecordSource, s: ConsumerSettings, io: ConsoleIO, progress: { processed: number; stopped: boolean }, err: Output): Promise<void> {
  let lastMessageAt = Date.now();
  while (!progress.stopped && progress.processed < s.maxMessages) {
    const remaining = s.timeoutMs - (Date.now() - lastMessageAt);
    if (remaining <= 0) {
      err(`sherwood console-consumer: no message for ${s.timeoutMs} ms (--timeout-ms), stopping`);
      return;
    }
    let records: ConsumedRecord[];
    try {
      records = await source.poll(Math.max(1, Math.min(500, remaining)));
    } catch (e) {
      if (e instanceof WakeupError) return;
      throw e;
    }
    if (records.length > 0) lastMessageAt = Date.now();
    const unprinted = new Map<string, { topic: string; partition: number; offset: number }>();
    for (const r of records) {
      if (progress.processed >= s.maxMessages) {
        // Not printed: the group's next run must start here.
        const k = `${r.topic}\0${r.partition}`;
        if (!unprinted.has(k)) unprinted.set(k, { topic: r.topic, partition: r.partition, offset: r.offset });
        continue;
      }
      io.stdout.write(formatRecord(r, s.format));
      progress.processed++;
    }
    for (const u of unprinted.values()) source.seek(u.topic, u.partition, u.offset);
  }
}
