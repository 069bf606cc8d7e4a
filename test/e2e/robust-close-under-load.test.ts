/**
 * Broker close() in the middle of heavy traffic: producers (acks=1 and -1) and long-polling
 * consumers on several connections. close() completes promptly, nothing rejects unhandled,
 * and after a restart on the same directory every acknowledged record is there, once, at its
 * acknowledged offset, with no index rebuilt (the shutdown was clean).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBroker, tempDir } from '../helpers/broker.js';
import { until } from '../helpers/wait.js';
import { Fetch } from '../../src/protocol/messages/fetch.js';
import { Produce } from '../../src/protocol/messages/produce.js';
import { encodeBatch } from '../../src/protocol/records.js';
import { KafkaClient, fetch } from '../../src/client/index.js';
import { createLogger } from '../../src/base/logger.js';
import { RawClient, requestFrame, responseReader } from '../unit/server/raw-client.js';

const ZERO = Buffer.alloc(16);

test('close() under produce and long-poll load: prompt, no unhandled rejection, acknowledged data survives', { timeout: 60_000 }, async () => {
  const rejections: unknown[] = [];
  const onRejection = (err: unknown): void => { rejections.push(err); };
  process.on('unhandledRejection', onRejection);
  const dir = tempDir('sherwood-close-load-');
  const lines: string[] = [];
  const logger = createLogger('warn', (l) => lines.push(l));
  try {
    let b = await startTestBroker({ dataDir: dir.path, logger, overrides: { 'log.cleaner.backoff.ms': '20', 'log.retention.check.interval.ms': '20' } });
    for (const [name, configs] of [['close-a', { 'segment.bytes': '8192' }], ['close-c', { 'segment.bytes': '8192', 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0.01' }]] as const) {
      await b.broker.topics.create({ name, numPartitions: 2, replicationFactor: 1, configs: { ...configs } });
    }
    const acked: { topic: string; partition: number; offset: number; value: string }[] = [];
    let stop = false;
    const producer = async (id: number): Promise<void> => {
      const c = await RawClient.connect(b.port, b.host);
      try {
        for (let n = 0; !stop && !c.closed; n++) {
          const topic = n % 2 === 0 ? 'close-a' : 'close-c';
          const partition = id % 2;
          const values = [0, 1, 2].map((i) => `p${id}-${n}-${i}`);
          const batch = encodeBatch({ records: values.map((v, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(v) })) });
          c.send(requestFrame(Produce, 9, n, { acks: id % 2 === 0 ? 1 : -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }] }));
          let frame: Buffer;
          try {
            [frame] = (await c.read(1, 5000)) as [Buffer];
          } catch {
            return; // the broker closed
          }
          const { r } = responseReader(frame, true);
          const p = Produce.response.read(r, 9).responses[0]!.partitionResponses[0]!;
          if (p.errorCode === 0) values.forEach((value, i) => acked.push({ topic, partition, offset: p.baseOffset + i, value }));
        }
      } finally {
        c.close();
      }
    };
    const poller = async (id: number): Promise<void> => {
      const c = await RawClient.connect(b.port, b.host);
      c.send(requestFrame(Fetch, 12, id, {
        replicaId: -1, maxWaitMs: 30_000, minBytes: 1 << 30, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic: 'close-a', topicId: ZERO, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20, replicaDirectoryId: ZERO }] }],
        forgottenTopicsData: [], rackId: '',
      }));
      await c.waitClosed(20_000);
      c.close();
    };
    const traffic = [...Array.from({ length: 6 }, (_, i) => producer(i)), ...Array.from({ length: 20 }, (_, i) => poller(i))];
    // Close under load: 1500 acknowledged records and all 20 long polls parked in the purgatory.
    await until('1500 acknowledged records and 20 parked long polls', () => acked.length >= 1500 && b.broker.fetchPurgatory.size === 20,
      { timeoutMs: 30_000, detail: () => `${acked.length} acknowledged, ${b.broker.fetchPurgatory.size} parked` });
    const t0 = Date.now();
    await b.close();
    const took = Date.now() - t0;
    stop = true;
    await Promise.all(traffic);
    assert.ok(took < 5000, `close took ${took} ms`);

    b = await startTestBroker({ dataDir: dir.path, logger });
    const client = await KafkaClient.connect(b.bootstrap);
    try {
      for (const topic of ['close-a', 'close-c']) {
        for (const partition of [0, 1]) {
          const mine = new Map(acked.filter((a) => a.topic === topic && a.partition === partition).map((a) => [a.offset, a.value]));
          const seen = new Map<number, string>();
          let offset = 0;
          const end = b.broker.partitionLog(topic, partition)!.logEndOffset;
          while (offset < end) {
            const f = await fetch(client, topic, partition, offset, { maxWaitMs: 0 });
            for (const r of f.records) {
              assert.equal(seen.has(r.offset), false, `offset ${r.offset} twice`);
              seen.set(r.offset, r.value!.toString());
            }
            offset = f.nextOffset;
          }
          const compacted = topic === 'close-c';
          for (const [o, v] of mine) {
            if (compacted && !seen.has(o)) continue; // compaction may have removed an older value of the key
            assert.equal(seen.get(o), v, `${topic}-${partition} offset ${o}`);
          }
          assert.ok(Math.max(-1, ...mine.keys()) < end, `${topic}-${partition}: last acknowledged offset kept`);
        }
      }
    } finally {
      await client.close();
      await b.close();
    }
    assert.deepEqual(rejections, []);
    // Requests cut off by the shutdown may log their failed append; nothing else is an error, and
    // a clean shutdown leaves nothing to recover or rebuild.
    assert.deepEqual(lines.filter((l) => / ERROR /.test(l) && !/append to \S+ failed: log \S+ is closed/.test(l)), []);
    assert.deepEqual(lines.filter((l) => /rebuilding|truncated|recover/i.test(l)), []);
  } finally {
    process.off('unhandledRejection', onRejection);
    dir.remove();
  }
});
