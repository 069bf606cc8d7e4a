/**
 * Drives each real client through a short bootstrap + produce against a capture server
 * (./capture-server.ts). Used by scripts/capture-requests.mjs to (re)write the golden fixtures
 * and by the live variant of golden.test.ts. Every driver is bounded in time and swallows the
 * client's own errors: only the frames it sent matter.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PYTHON, run } from '../helpers/clients.js';
import { until } from '../helpers/wait.js';

export const TOPIC = 'golden-topic';
export const TIMESTAMP_MS = 1700000000000;

export interface ClientDriver {
  /** Fixture name, e.g. 'kafka-python'. */
  name: string;
  clientId: string;
  /** The installed client's version, or null when the client is not available. */
  version(): string | null;
  /** sent(apiKey): how many requests of that API the capture server has received so far. */
  run(bootstrap: string, sent: (apiKey: number) => number): Promise<void>;
}

const FETCH_KEY = 1;

/**
 * Until the consumer has fetched twice (it is in its fetch loop: the scenario is complete), at
 * most ms; a client that never gets there is reported by the frames it did send, not here.
 */
async function fetchedTwice(sent: (apiKey: number) => number, ms: number): Promise<void> {
  await until('two Fetch requests', () => sent(FETCH_KEY) >= 2, ms).catch(() => undefined);
}

const require = createRequire(import.meta.url);
const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.catch(() => undefined),
    new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), ms); }),
  ]).finally(() => clearTimeout(timer));
}

function npmVersion(pkg: string): string | null {
  try {
    return (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return null;
  }
}

const KAFKA_PYTHON_SCRIPT = `
import sys
from kafka import KafkaProducer, KafkaAdminClient
from kafka.admin import NewTopic
b = sys.argv[1]
p = KafkaProducer(bootstrap_servers=b, client_id='golden-kafka-python', acks=1, retries=0,
                  request_timeout_ms=3000, api_version_auto_timeout_ms=3000, max_block_ms=3000)
p.send('${TOPIC}', key=b'key-1', value=b'value-1', headers=[('h1', b'v1')], timestamp_ms=${TIMESTAMP_MS}).get(timeout=5)
p.close(timeout=2)
a = KafkaAdminClient(bootstrap_servers=b, client_id='golden-kafka-python', request_timeout_ms=3000)
try:
    a.create_topics([NewTopic('golden-new', 2, 1)], timeout_ms=2000)
except Exception as e:
    print('create_topics:', e)
a.close()
from kafka import KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata
c = KafkaConsumer('${TOPIC}', bootstrap_servers=b, client_id='golden-kafka-python', group_id='golden-group',
                  auto_offset_reset='earliest', enable_auto_commit=False, consumer_timeout_ms=1500, fetch_max_wait_ms=100)
for m in c:
    pass
try:
    c.commit({TopicPartition('${TOPIC}', 0): OffsetAndMetadata(0, 'golden')})
except Exception as e:
    print('commit:', e)
c.close()
`;

export const kafkaPython: ClientDriver = {
  name: 'kafka-python',
  clientId: 'golden-kafka-python',
  version() {
    if (!existsSync(PYTHON)) return null;
    const r = spawnSync(PYTHON, ['-c', 'import kafka; print(kafka.__version__)'], { encoding: 'utf8', timeout: 10000 });
    return r.status === 0 ? r.stdout.trim() : null;
  },
  async run(bootstrap) {
    await run(PYTHON, ['-c', KAFKA_PYTHON_SCRIPT, bootstrap], { timeoutMs: 15000 });
  },
};

export const kcat: ClientDriver = {
  name: 'kcat',
  clientId: 'golden-kcat',
  version() {
    const r = spawnSync('kcat', ['-V'], { encoding: 'utf8', timeout: 5000 });
    if (r.status !== 0 || r.error) return null;
    const kcatVersion = /^Version ([\w.-]+)/m.exec(r.stdout)?.[1] ?? 'unknown';
    const rd = /librdkafka ([\w.-]+)/.exec(r.stdout)?.[1] ?? 'unknown';
    return `${kcatVersion} (librdkafka ${rd})`;
  },
  async run(bootstrap) {
    const common = ['-b', bootstrap, '-X', 'client.id=golden-kcat', '-X', 'socket.timeout.ms=3000'];
    await run('kcat', ['-L', ...common, '-m', '3'], { timeoutMs: 10000 });
    await run('kcat', ['-P', ...common, '-t', TOPIC, '-p', '0', '-K', ':', '-X', 'linger.ms=0', '-X', 'message.timeout.ms=3000'], { input: 'key-1:value-1\n', timeoutMs: 10000 });
    await run('kcat', ['-C', ...common, '-G', 'golden-group', '-o', 'beginning', '-e', '-X', 'fetch.wait.max.ms=100', TOPIC], { timeoutMs: 6000 });
  },
};

export const kafkajs: ClientDriver = {
  name: 'kafkajs',
  clientId: 'golden-kafkajs',
  version: () => npmVersion('kafkajs'),
  async run(bootstrap, sent) {
    const { Kafka, logLevel } = require('kafkajs') as typeof import('kafkajs');
    const kafka = new Kafka({ clientId: 'golden-kafkajs', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 3000, requestTimeout: 3000 });
    const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
    await withTimeout((async () => {
      await producer.connect();
      await producer.send({ topic: TOPIC, acks: 1, messages: [{ key: 'key-1', value: 'value-1', headers: { h1: 'v1' }, timestamp: String(TIMESTAMP_MS) }] });
    })(), 8000);
    await withTimeout(producer.disconnect(), 3000);
    const consumer = kafka.consumer({ groupId: 'golden-group', maxWaitTimeInMs: 100, retry: { retries: 0 } });
    await withTimeout((async () => {
      await consumer.connect();
      await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
      await consumer.run({ eachMessage: async () => {} });
      await fetchedTwice(sent, 5000);
    })(), 6000);
    await withTimeout(consumer.disconnect(), 3000);
  },
};

export const platformatic: ClientDriver = {
  name: 'platformatic-kafka',
  clientId: 'golden-platformatic',
  version: () => npmVersion('@platformatic/kafka'),
  async run(bootstrap, sent) {
    const { Producer, stringSerializers } = await import('@platformatic/kafka');
    const producer = new Producer({ clientId: 'golden-platformatic', bootstrapBrokers: [bootstrap], serializers: stringSerializers, retries: 0, timeout: 3000 } as never);
    await withTimeout((producer as any).send({
      messages: [{ topic: TOPIC, key: 'key-1', value: 'value-1', headers: { h1: 'v1' }, timestamp: BigInt(TIMESTAMP_MS) }],
      acks: 1,
    }), 8000);
    await withTimeout((producer as any).close(true), 3000);
    const { Consumer, stringDeserializers } = await import('@platformatic/kafka');
    const consumer = new Consumer({ groupId: 'golden-group', clientId: 'golden-platformatic', bootstrapBrokers: [bootstrap], deserializers: stringDeserializers, maxWaitTime: 100, retries: 0, timeout: 3000 } as never);
    await withTimeout((async () => {
      const stream = await (consumer as any).consume({ topics: [TOPIC], mode: 'earliest', autocommit: false });
      stream.on('data', () => {});
      await fetchedTwice(sent, 5000);
      await (consumer as any).commit({ offsets: [{ topic: TOPIC, partition: 0, offset: 0n, leaderEpoch: 0 }] }).catch(() => undefined);
      await stream.close();
    })(), 6000);
    await withTimeout((consumer as any).close(true), 3000);
  },
};

export const DRIVERS: ClientDriver[] = [kafkaPython, kcat, kafkajs, platformatic];
