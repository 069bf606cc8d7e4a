/**
 * A request that holds a partition's log while the topic is deleted under it meets a closed
 * log. That is not a disk failure: Kafka answers UNKNOWN_TOPIC_OR_PARTITION (the metadata no
 * longer names the partition; NOT_LEADER_OR_FOLLOWER while it still does, e.g. at shutdown)
 * and logs nothing at ERROR. Before the fix the append answered KAFKA_STORAGE_ERROR with an
 * ERROR log line, and Fetch / ListOffsets reads answered KAFKA_STORAGE_ERROR.
 *
 * The races are made deterministic: the append waits behind a gate in the log's operation
 * queue while the delete's close is already queued; the reads wait inside a gated (thread-pool)
 * file read while the delete closes the files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBroker } from '../helpers/broker.js';
import { until } from '../helpers/wait.js';
import { createLogger } from '../../src/base/logger.js';
import { MemoryFileSystem, type FileHandle, type OpenMode } from '../../src/base/file-system.js';
import type { Partition } from '../../src/cluster/partition.js';
import { encodeBatch } from '../../src/protocol/records.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { Fetch } from '../../src/protocol/messages/fetch.js';
import { ListOffsets } from '../../src/protocol/messages/list-offsets.js';
import { RawClient, requestFrame, responseReader } from '../unit/server/raw-client.js';

const ZERO = Buffer.alloc(16);

/** An append through a partition obtained earlier (as a handler holds it across awaits), with the acks=all wait. */
async function appendVia(partition: Partition, records: Buffer, acks: number, timeoutMs: number) {
  const r = await partition.appendRecordsToLeader(records, 'client', acks);
  if (r.errorCode !== ErrorCode.NONE || acks !== -1) return r;
  return { ...r, errorCode: await partition.waitForAcks(r.lastOffset + 1, timeoutMs) };
}

/** A MemoryFileSystem whose next read of a file matching `suffix` waits until released. */
class GatedFileSystem extends MemoryFileSystem {
  private gate: { suffix: string; entered: () => void; released: Promise<void> } | null = null;

  /** Arms the gate; resolves `entered` once a read is parked in it; call `release` to let it go. */
  arm(suffix: string): { entered: Promise<void>; release: () => void } {
    let entered!: () => void;
    let release!: () => void;
    const enteredP = new Promise<void>((r) => (entered = r));
    const released = new Promise<void>((r) => (release = r));
    this.gate = { suffix, entered, released };
    return { entered: enteredP, release };
  }

  override async open(path: string, mode: OpenMode): Promise<FileHandle> {
    const fh = await super.open(path, mode);
    return {
      ...fh,
      // No synchronous reads: a read of recent bytes would not wait anywhere (the race needs
      // a read that yields, as one of older bytes on the real disk does).
      readSync: undefined,
      read: async (buf, bufOffset, length, position) => {
        const g = this.gate;
        if (g !== null && path.endsWith(g.suffix)) {
          this.gate = null;
          g.entered();
          await g.released;
        }
        return fh.read(buf, bufOffset, length, position);
      },
    };
  }
}

async function setup() {
  const fs = new GatedFileSystem({ trackDurability: false });
  const lines: string[] = [];
  const b = await startTestBroker({ fs, logger: createLogger('warn', (l) => lines.push(l)), overrides: { 'auto.create.topics.enable': 'false' } });
  const topic = 'doomed';
  assert.equal((await b.broker.topics.create({ name: topic, numPartitions: 1, replicationFactor: 1 })).errorCode, ErrorCode.NONE);
  const partition = b.broker.replicaManager.getPartition(topic, 0)!;
  const log = partition.log;
  const batch = () => encodeBatch({ records: [{ key: null, value: Buffer.from('v'), timestamp: Date.now() }] });
  assert.equal((await appendVia(partition, batch(), 1, 1000)).errorCode, ErrorCode.NONE);
  const errors = () => lines.filter((l) => l.includes(' ERROR ') || l.includes('"level":"error"'));
  return { fs, b, topic, partition, log, batch, errors };
}

/** Sends one request; `answer` resolves with the decoded response (a wrapper, so it is not awaited early). */
async function send<T>(port: number, host: string, frame: Buffer, read: (r: ReturnType<typeof responseReader>['r']) => T): Promise<{ answer: Promise<T> }> {
  const c = await RawClient.connect(port, host);
  c.send(frame);
  const answer = (async () => {
    try {
      const [resp] = await c.read(1, 10_000);
      return read(responseReader(resp!, true).r);
    } finally {
      c.close();
    }
  })();
  return { answer };
}

test('an append that meets its topic deleted answers UNKNOWN_TOPIC_OR_PARTITION, no ERROR log', { timeout: 20_000 }, async () => {
  const { b, topic, partition, log, batch, errors } = await setup();
  try {
    // Hold the log's operation queue, start the delete (its close queues behind the gate),
    // then append with the log obtained before the delete: the append runs after the close.
    let release!: () => void;
    const held = log.enqueue(() => new Promise<void>((r) => (release = r)));
    const deleting = b.broker.topics.delete(topic);
    await until('the delete to take the log out of the manager', () => b.broker.logs.get(topic, 0) === undefined, { timeoutMs: 10_000, intervalMs: 0 });
    const acks1 = appendVia(partition, batch(), 1, 1000);
    const acksAll = appendVia(partition, batch(), -1, 60_000);
    release();
    await held;
    assert.equal((await deleting).errorCode, ErrorCode.NONE);
    const [r1, rAll] = await Promise.all([acks1, acksAll]);
    assert.equal(r1.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, JSON.stringify(r1));
    assert.equal(rAll.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, JSON.stringify(rAll));
    assert.equal(r1.baseOffset, -1);
    assert.ok(log.isClosed);
    assert.ok(partition.isStopped);
    assert.deepEqual(errors(), []);
  } finally {
    await b.close();
  }
});

test('a partition stopped while its topic still exists (shutdown) is NOT_LEADER_OR_FOLLOWER', { timeout: 20_000 }, async () => {
  const { b, topic, partition, batch, errors } = await setup();
  try {
    partition.stop('shutdown');
    const r = await appendVia(partition, batch(), 1, 1000);
    assert.equal(b.broker.topics.get(topic)?.name, topic);
    assert.equal(r.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    assert.deepEqual(errors(), []);
  } finally {
    await b.close();
  }
});

test('Fetch reading a log that is deleted mid-read answers UNKNOWN_TOPIC_OR_PARTITION', { timeout: 20_000 }, async () => {
  const { fs, b, topic, errors } = await setup();
  try {
    const gate = fs.arm('.log');
    const frame = requestFrame(Fetch, 12, 7, {
      replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic, topicId: ZERO, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20, replicaDirectoryId: ZERO }] }],
      forgottenTopicsData: [], rackId: '',
    });
    const { answer } = await send(b.port, b.host, frame, (r) => Fetch.response.read(r, 12));
    await gate.entered; // the fetch is inside the segment read
    assert.equal((await b.broker.topics.delete(topic)).errorCode, ErrorCode.NONE);
    gate.release();
    const body = await answer;
    const p = body.responses[0]!.partitions[0]!;
    assert.equal(p.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.equal(p.records?.length ?? 0, 0);
    assert.deepEqual(errors(), []);
  } finally {
    await b.close();
  }
});

test('ListOffsets by timestamp on a log deleted mid-read answers UNKNOWN_TOPIC_OR_PARTITION', { timeout: 20_000 }, async () => {
  const { fs, b, topic, errors } = await setup();
  try {
    const gate = fs.arm('.log');
    const frame = requestFrame(ListOffsets, 7, 9, {
      replicaId: -1, isolationLevel: 0,
      topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: 0, maxNumOffsets: 1 }] }],
    });
    const { answer } = await send(b.port, b.host, frame, (r) => ListOffsets.response.read(r, 7));
    await gate.entered; // the lookup is reading the segment
    assert.equal((await b.broker.topics.delete(topic)).errorCode, ErrorCode.NONE);
    gate.release();
    const body = await answer;
    assert.equal(body.topics[0]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.deepEqual(errors(), []);
  } finally {
    await b.close();
  }
});
