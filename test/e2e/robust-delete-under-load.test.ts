/**
 * Deleting a topic (on a real disk) while many connections fetch and produce to it as fast as
 * they can: every request gets an answer with an error code — nothing makes the broker close a
 * connection because a handler threw — and the broker logs no ERROR (a handler failure or an
 * unexpected exception) in the process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBroker, tempDir } from '../helpers/broker.js';
import { until } from '../helpers/wait.js';
import { createLogger } from '../../src/base/logger.js';
import { Fetch } from '../../src/protocol/messages/fetch.js';
import { Produce } from '../../src/protocol/messages/produce.js';
import { encodeBatch } from '../../src/protocol/records.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { RawClient, requestFrame, responseReader } from '../unit/server/raw-client.js';

const ZERO = Buffer.alloc(16);

function fetchFrame(topic: string, correlationId: number, fetchOffset: number, maxWaitMs: number): Buffer {
  return requestFrame(Fetch, 12, correlationId, {
    replicaId: -1, maxWaitMs, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, topicId: ZERO, partitions: [0, 1].map((partition) => ({ partition, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20, replicaDirectoryId: ZERO })) }],
    forgottenTopicsData: [], rackId: '',
  });
}

function produceFrame(topic: string, correlationId: number): Buffer {
  const batch = encodeBatch({ records: Array.from({ length: 20 }, (_, i) => ({ key: null, value: Buffer.alloc(500, i) })) });
  return requestFrame(Produce, 9, correlationId, { acks: correlationId % 2 === 0 ? 1 : -1, timeoutMs: 2000, topicData: [{ name: topic, partitionData: [0, 1].map((index) => ({ index, records: batch })) }] });
}

test('delete and re-create a topic on disk under a storm of fetches and produces: every request answered, no ERROR logged', { timeout: 60_000 }, async () => {
  const dir = tempDir('sherwood-delete-load-');
  const lines: string[] = [];
  const logger = createLogger('warn', (l) => lines.push(l));
  const b = await startTestBroker({ dataDir: dir.path, logger, overrides: { 'auto.create.topics.enable': 'false' } });
  try {
    const topic = 'storm';
    await b.broker.topics.create({ name: topic, numPartitions: 2, replicationFactor: 1, configs: { 'segment.bytes': '16384' } });
    let stop = false;
    let answered = 0;
    const seen = new Map<number, number>();
    const worker = async (kind: 'fetch' | 'produce', id: number): Promise<number> => {
      const c = await RawClient.connect(b.port, b.host);
      let n = 0;
      try {
        while (!stop) {
          const frame = kind === 'fetch' ? fetchFrame(topic, n, n % 7, n % 3 === 0 ? 200 : 0) : produceFrame(topic, n);
          c.send(frame);
          const [resp] = await c.read(1, 10_000).catch((err: Error) => {
            throw new Error(`${kind} worker ${id}: request ${n} not answered (${c.closed ? 'connection closed' : err.message})`);
          });
          const { correlationId, r } = responseReader(resp!, true);
          assert.equal(correlationId, n);
          const codes = kind === 'fetch'
            ? Fetch.response.read(r, 12).responses.flatMap((t) => t.partitions.map((p) => p.errorCode))
            : Produce.response.read(r, 9).responses.flatMap((t) => t.partitionResponses.map((p) => p.errorCode));
          assert.equal(r.error, null);
          for (const code of codes) seen.set(code, (seen.get(code) ?? 0) + 1);
          n++;
          answered++;
        }
      } finally {
        c.close();
      }
      return n;
    };
    const workers = [
      ...Array.from({ length: 6 }, (_, i) => worker('fetch', i)),
      ...Array.from({ length: 4 }, (_, i) => worker('produce', i)),
    ];
    // The storm hits both states of every round: each waits for the workers to get more
    // answers (with the topic there, then without it), however fast the machine is.
    const moreAnswers = (n: number, state: string) => {
      const from = answered;
      return until(`${n} more answers ${state}`, () => answered >= from + n, { detail: () => `${answered - from} so far` });
    };
    for (let round = 0; round < 8; round++) {
      await moreAnswers(100, 'while the topic exists');
      assert.equal((await b.broker.topics.delete(topic)).errorCode, ErrorCode.NONE);
      await moreAnswers(30, 'while it is deleted');
      assert.equal((await b.broker.topics.create({ name: topic, numPartitions: 2, replicationFactor: 1, configs: { 'segment.bytes': '16384' } })).errorCode, ErrorCode.NONE);
    }
    stop = true;
    const counts = await Promise.all(workers);
    assert.ok(counts.every((n) => n > 0));
    const allowed = new Set<number>([ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.OFFSET_OUT_OF_RANGE, ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.KAFKA_STORAGE_ERROR]);
    for (const code of seen.keys()) assert.ok(allowed.has(code), `unexpected error code ${code}: ${JSON.stringify([...seen])}`);
    const errors = lines.filter((l) => l.includes(' ERROR '));
    assert.deepEqual(errors, []);
  } finally {
    await b.close();
    dir.remove();
  }
});
