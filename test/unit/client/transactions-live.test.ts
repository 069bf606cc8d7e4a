/**
 * Sherwood's producer and consumers against a real in-process broker: consume-transform-produce
 * with a read_committed GroupConsumer and a transactional Producer (sendOffsetsToTransaction
 * with the member's generation), a second producer with the same transactional.id fencing the
 * first (its open transaction aborted, the old one fatal), and an idempotent producer's retries
 * after a lost answer answered with the original offsets (no duplicate).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { freePort, startTestBroker, withBroker } from '../../helpers/broker.js';
import {
  FatalProducerError, GroupConsumer, KafkaClient, Producer, SimpleConsumer, describeProducers, describeTransaction, type ConsumedRecord,
} from '../../../src/client/index.js';
import { ErrorCode } from '../../../src/protocol/error-codes.js';
import type { RunningBroker } from '../../../src/index.js';

const OVERRIDES = { overrides: { 'offsets.topic.num.partitions': '2', 'transaction.state.log.num.partitions': '2', 'group.initial.rebalance.delay.ms': '0' } };

async function readAll(client: KafkaClient, topic: string, isolationLevel: number): Promise<string[]> {
  const c = await SimpleConsumer.create(client, { topic, startOffset: 'earliest', isolationLevel, maxWaitMs: 50 });
  const out: string[] = [];
  for (let idle = 0; idle < 3;) {
    const got = await c.poll();
    if (got.length === 0) idle++;
    out.push(...got.map((r) => r.value!.toString()));
  }
  return out;
}

async function withClient(b: RunningBroker, fn: (c: KafkaClient) => Promise<void>): Promise<void> {
  const c = await KafkaClient.connect(b.bootstrap, { clientId: 'txn-live' });
  try {
    await fn(c);
  } finally {
    await c.close();
  }
}

test('consume-transform-produce: read_committed group member + transactional producer; outputs and offsets commit together', { timeout: 60_000 }, async () => {
  await withBroker(async (b) => withClient(b, async (c) => {
    await b.broker.topics.create({ name: 'ctp-in', numPartitions: 2, replicationFactor: 1, configs: {} });
    await b.broker.topics.create({ name: 'ctp-out', numPartitions: 1, replicationFactor: 1, configs: {} });
    for (let p = 0; p < 2; p++) await c.produce('ctp-in', p, Array.from({ length: 25 }, (_, i) => ({ key: null, value: `in-${p}-${i}` })));
    const consumerClient = await KafkaClient.connect(b.bootstrap, { clientId: 'ctp-consumer' });
    const consumer = new GroupConsumer(consumerClient, {
      groupId: 'ctp-g', topics: ['ctp-in'], autoOffsetReset: 'earliest', enableAutoCommit: false, maxPollRecords: 7, fetch: { isolationLevel: 1 },
    });
    const producer = await Producer.create(c, { transactionalId: 'ctp-tx' });
    await producer.initTransactions();
    try {
      let seen = 0;
      let aborted = false;
      for (let rounds = 0; seen < 50 && rounds < 200; rounds++) {
        const records: ConsumedRecord[] = await consumer.poll(100);
        if (records.length === 0) continue;
        producer.beginTransaction();
        await Promise.all(records.map((r) => producer.send('ctp-out', 0, [{ key: null, value: r.value!.toString().replace('in', 'out') }])));
        const offsets = new Map<number, number>();
        for (const r of records) offsets.set(r.partition, r.offset + 1);
        await producer.sendOffsetsToTransaction([...offsets].map(([partition, offset]) => ({ topic: 'ctp-in', partition, offset })), consumer.groupMetadata());
        if (!aborted) {
          // The first round is aborted: its outputs vanish and the consumer goes back to the committed offsets.
          aborted = true;
          await producer.abortTransaction();
          for (const partition of offsets.keys()) {
            const committed = (await c.fetchCommittedOffsets('ctp-g', 'ctp-in', [partition])).get(partition)!;
            consumer.seek('ctp-in', partition, Math.max(0, committed));
          }
          continue;
        }
        await producer.commitTransaction();
        seen += records.length;
      }
      assert.equal(seen, 50);
      const out = (await readAll(c, 'ctp-out', 1)).sort();
      const expected = [0, 1].flatMap((p) => Array.from({ length: 25 }, (_, i) => `out-${p}-${i}`)).sort();
      assert.deepEqual([...new Set(out)].sort(), expected, 'every input transformed and committed');
      // The aborted first round's outputs are in the log too; read_committed hides them.
      assert.deepEqual(out, expected, 'each output exactly once');
      const committed = await c.fetchCommittedOffsets('ctp-g', 'ctp-in', [0, 1], { requireStable: true });
      assert.deepEqual([...committed.values()], [25, 25], 'the group\'s offsets equal the input end offsets');
      assert.equal((await describeTransaction(c, 'ctp-tx')).state, 'CompleteCommit');
    } finally {
      await consumer.close();
      await consumerClient.close();
    }
  }), OVERRIDES);
});

test('a second producer with the same transactional.id fences the first: its open transaction is aborted, it is fatal', { timeout: 60_000 }, async () => {
  await withBroker(async (b) => withClient(b, async (c) => {
    await b.broker.topics.create({ name: 'fence', numPartitions: 1, replicationFactor: 1, configs: {} });
    const first = await Producer.create(c, { transactionalId: 'fence-tx' });
    await first.initTransactions();
    first.beginTransaction();
    await first.send('fence', 0, [{ key: null, value: 'zombie' }]);
    const c2 = await KafkaClient.connect(b.bootstrap, { clientId: 'fence-2' });
    try {
      const second = await Producer.create(c2, { transactionalId: 'fence-tx' });
      await second.initTransactions();
      // At transaction.version 2 (the default) Kafka's coordinator aborts with Transaction V2:
      // fenced at epoch+1, the abort bumps to epoch+2, the new producer gets epoch+3.
      assert.deepEqual(second.producerIdAndEpoch, { producerId: first.producerIdAndEpoch.producerId, producerEpoch: first.producerIdAndEpoch.producerEpoch + 3 },
        'the coordinator fenced the open transaction at epoch+1, aborted it at epoch+2, then gave the new producer epoch+3');
      second.beginTransaction();
      await second.send('fence', 0, [{ key: null, value: 'live' }]);
      await second.commitTransaction();

      const err = await first.send('fence', 0, [{ key: null, value: 'zombie-2' }]).then(() => null, (e: unknown) => e);
      assert.ok(err instanceof FatalProducerError, String(err));
      assert.ok(err.errorCode === ErrorCode.INVALID_PRODUCER_EPOCH || err.errorCode === ErrorCode.PRODUCER_FENCED, err.message);
      assert.equal(first.state, 'FATAL_ERROR');
      await assert.rejects(first.commitTransaction(), (e) => e === err);
      const uncommitted = await readAll(c, 'fence', 0);
      assert.deepEqual(uncommitted, ['zombie', 'live'], 'the fenced batch never reached the log');
    } finally {
      await c2.close();
    }
  }), OVERRIDES);
});

/**
 * A proxy that forwards Kafka frames both ways but swallows the answers to the first `drop`
 * Produce requests: the broker wrote those batches, the client never hears so, and resends.
 */
async function answerDroppingProxy(listenPort: number, targetPort: number, drop: number) {
  let dropped = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    const produceIds = new Set<number>();
    const framer = (onFrame: (frame: Buffer) => void) => {
      let buf = Buffer.alloc(0);
      return (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
          const n = 4 + buf.readInt32BE(0);
          onFrame(buf.subarray(0, n));
          buf = buf.subarray(n);
        }
      };
    };
    client.on('data', framer((f) => {
      if (f.readInt16BE(4) === 0 && dropped < drop) produceIds.add(f.readInt32BE(8));
      upstream.write(f);
    }));
    upstream.on('data', framer((f) => {
      const id = f.readInt32BE(4);
      if (produceIds.delete(id) && dropped < drop) {
        dropped++;
        return;
      }
      client.write(f);
    }));
    const end = () => { client.destroy(); upstream.destroy(); };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(listenPort, '127.0.0.1', () => resolve()));
  return {
    dropped: () => dropped,
    close: () => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  };
}

test('an idempotent producer whose answers are lost: retries keep the sequence and get the original offsets, nothing is written twice', { timeout: 60_000 }, async () => {
  const [brokerPort, proxyPort] = [await freePort(), await freePort()];
  const b = await startTestBroker({ port: brokerPort, overrides: { 'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxyPort}` } });
  const proxy = await answerDroppingProxy(proxyPort, brokerPort, 3);
  try {
    await b.broker.topics.create({ name: 'idem', numPartitions: 1, replicationFactor: 1, configs: {} });
    const c = await KafkaClient.connect(`127.0.0.1:${proxyPort}`, { clientId: 'lossy' });
    try {
      const p = await Producer.create(c, { requestTimeoutMs: 200, retryBackoffMs: 10 });
      const offsets: number[] = [];
      for (let i = 0; i < 10; i++) offsets.push((await p.send('idem', 0, [{ key: null, value: `r${i}` }])).baseOffset);
      assert.equal(proxy.dropped(), 3, 'three answers were lost, so three batches were sent again');
      assert.deepEqual(offsets, Array.from({ length: 10 }, (_, i) => i), 'each retry was answered with its original offset');
      assert.deepEqual(await readAll(c, 'idem', 0), Array.from({ length: 10 }, (_, i) => `r${i}`));
      const [state] = await describeProducers(c, 'idem', 0);
      assert.equal(state!.lastSequence, 9);
    } finally {
      await c.close();
    }
  } finally {
    await proxy.close();
    await b.close();
  }
});
