/**
 * The follower side on a real follower partition whose log holds epoch 0 at offsets 0-4 and
 * epoch 2 at offsets 5-9: where it truncates (Kafka's getOffsetTruncationState), and the
 * fetcher's rounds against a scripted leader.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../../src/base/clock.js';
import { MemoryFileSystem } from '../../../../src/base/file-system.js';
import { createLogger } from '../../../../src/base/logger.js';
import { encodeBatch } from '../../../../src/protocol/records.js';
import { setBaseOffset, setPartitionLeaderEpoch } from '../../../../src/protocol/record-batch.js';
import { LogManager } from '../../../../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG } from '../../../../src/storage/log-config.js';
import { Partition } from '../../../../src/cluster/partition.js';
import { ReplicaFetcher, truncationOffset } from '../../../../src/cluster/replication/replica-fetcher.js';
import type { BrokerChannel } from '../../../../src/cluster/replication/broker-channel.js';
import { ErrorCode } from '../../../../src/protocol/error-codes.js';

function replicated(baseOffset: number, epoch: number, n: number): Buffer {
  const b = encodeBatch({ records: Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `v${i}` })), timestamp: 1_700_000_000_000 });
  setBaseOffset(b, 0, baseOffset);
  setPartitionLeaderEpoch(b, 0, epoch);
  return b;
}

async function follower(index = 0): Promise<Partition> {
  const clock = new ManualClock();
  const logger = createLogger('error');
  const logs = await LogManager.open({ fs: new MemoryFileSystem({ trackDurability: false }), dirs: ['/data'], clock, logger });
  const log = await logs.create('t', index, DEFAULT_LOG_CONFIG);
  const p = new Partition({
    topic: 't', partition: index, topicId: Buffer.alloc(16, 1), log, localBrokerId: 2, clock, logger,
    config: { validation: {} as never, minInsyncReplicas: 1, isInternal: false, replicaLagTimeMaxMs: 30_000 },
  });
  p.makeFollower({ replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 3, partitionEpoch: 3 });
  await p.appendRecordsAsFollower(replicated(0, 0, 5));
  await p.appendRecordsAsFollower(replicated(5, 2, 5));
  p.updateFollowerHighWatermark(3);
  return p;
}

test('the follower keeps what it shares with the leader, epoch by epoch', async () => {
  const p = await follower();
  assert.equal(p.logEndOffset, 10);
  // The leader has our last epoch 2 up to offset 7: keep 0-6.
  assert.equal(truncationOffset(p, 2, 7), 7);
  // The leader's epoch 2 goes further than ours: nothing to drop.
  assert.equal(truncationOffset(p, 2, 12), 10);
  // The leader never had epoch 2; its latest below is 1, ending at 8. We have no epoch 1: our
  // largest below it (0) ends at 5, so keep 0-4 (and compare again next round).
  assert.equal(truncationOffset(p, 1, 8), 5);
  // The leader's epoch 0 ended at 3, ours at 5: keep 0-2.
  assert.equal(truncationOffset(p, 0, 3), 3);
  // An unknown epoch keeps the high watermark.
  assert.equal(truncationOffset(p, -1, -1), 3);
  await p.truncateTo(truncationOffset(p, 1, 8));
  assert.equal(p.logEndOffset, 5);
  assert.equal(p.log.latestEpoch, 0);
});

test('a follower append under an old epoch, or after becoming leader, writes nothing', async () => {
  const p = await follower();
  assert.equal(await p.appendRecordsAsFollower(replicated(10, 3, 1), 2), null);
  assert.equal(p.logEndOffset, 10);
  assert.deepEqual(await p.appendRecordsAsFollower(replicated(10, 3, 1), 3), { firstOffset: 10, lastOffset: 10 });
});

/** A leader stand-in: answers each request with the next scripted answer (by API name). */
class ScriptedChannel {
  readonly sent: { api: string; body: any }[] = [];
  private readonly waiting: ((v: unknown) => void)[] = [];
  private readonly answers: { api: string; answer: (body: any) => unknown }[] = [];
  closed = false;
  readonly requestTimeoutMs = 30_000;

  script(api: string, answer: (body: any) => unknown): void {
    this.answers.push({ api, answer });
    this.waiting.shift()?.(undefined);
  }

  async send(api: { name: string }, _version: number, body: unknown): Promise<unknown> {
    this.sent.push({ api: api.name, body });
    while (this.answers.length === 0) {
      if (this.closed) throw new Error('closed');
      await new Promise((resolve) => this.waiting.push(resolve));
    }
    const next = this.answers.shift()!;
    assert.equal(api.name, next.api, 'the fetcher sent what the script expected');
    return next.answer(body);
  }

  /**
   * As BrokerChannel.sendHolding: the answer's records are copies standing for the frame, and
   * release() overwrites them as the pool's next user would, so a follower that still read
   * them after releasing would store garbage. Counts the releases (each answer released once).
   */
  async sendHolding(api: { name: string }, version: number, body: unknown): Promise<{ response: unknown; release: () => void }> {
    const response = (await this.send(api, version, body)) as { responses?: { partitions: { records: Buffer | null }[] }[] };
    const frame: Buffer[] = [];
    for (const t of response.responses ?? []) {
      for (const d of t.partitions) {
        if (d.records === null) continue;
        d.records = Buffer.from(d.records);
        frame.push(d.records);
      }
    }
    this.held++;
    let released = false;
    return {
      response,
      release: () => {
        if (released) return;
        released = true;
        this.released++;
        for (const b of frame) b.fill(0xee);
      },
    };
  }

  held = 0;
  released = 0;

  close(): void {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w(undefined);
  }
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

function partitionData(partitionIndex: number, errorCode: number, extra: Record<string, unknown> = {}) {
  return {
    partitionIndex, errorCode, highWatermark: 12, lastStableOffset: 12, logStartOffset: 0,
    divergingEpoch: { epoch: -1, endOffset: -1 }, currentLeader: { leaderId: -1, leaderEpoch: -1 }, snapshotId: { endOffset: -1, epoch: -1 },
    abortedTransactions: null, preferredReadReplica: -1, records: Buffer.alloc(0), ...extra,
  };
}

function fetchAnswer(errorCode: number, extra: Record<string, unknown> = {}) {
  return (body: any) => ({
    throttleTimeMs: 0, errorCode: 0, sessionId: 0, nodeEndpoints: [],
    responses: [{
      topic: 't', topicId: Buffer.alloc(16), partitions: [{
        partitionIndex: body.topics[0].partitions[0].partition, errorCode, highWatermark: 12, lastStableOffset: 12, logStartOffset: 0,
        divergingEpoch: { epoch: -1, endOffset: -1 }, currentLeader: { leaderId: -1, leaderEpoch: -1 }, snapshotId: { endOffset: -1, epoch: -1 },
        abortedTransactions: null, preferredReadReplica: -1, records: Buffer.alloc(0), ...extra,
      }],
    }],
  });
}

test('the fetcher truncates first, fetches as a replica, backs off on a fenced epoch, and appends what the leader sends', async () => {
  const p = await follower();
  const clock = new ManualClock();
  const channel = new ScriptedChannel();
  const config = { maxBytes: 1000, responseMaxBytes: 5000, waitMaxMs: 100, minBytes: 1, backoffMs: 1000 };
  const fetcher = new ReplicaFetcher(1, 2, channel as unknown as BrokerChannel, () => config, clock, createLogger('error'));
  fetcher.add(p);
  // Truncation: OffsetForLeaderEpoch for our latest epoch (2) at the current leader epoch (3).
  channel.script('OffsetForLeaderEpoch', (body) => {
    assert.equal(body.replicaId, 2);
    assert.deepEqual(body.topics[0].partitions, [{ partition: 0, currentLeaderEpoch: 3, leaderEpoch: 2 }]);
    return { throttleTimeMs: 0, topics: [{ topic: 't', partitions: [{ errorCode: 0, partition: 0, leaderEpoch: 2, endOffset: 8 }] }] };
  });
  // The leader says FENCED_LEADER_EPOCH: no new Fetch until replica.fetch.backoff.ms passed.
  channel.script('Fetch', fetchAnswer(ErrorCode.FENCED_LEADER_EPOCH));
  for (let i = 0; i < 5; i++) await flush();
  assert.equal(p.logEndOffset, 8, 'truncated to where epoch 2 ended on the leader');
  const fetch = channel.sent.find((s) => s.api === 'Fetch')!.body;
  assert.equal(fetch.replicaId, 2);
  assert.deepEqual({ ...fetch.topics[0].partitions[0], replicaDirectoryId: undefined }, {
    partition: 0, currentLeaderEpoch: 3, fetchOffset: 8, lastFetchedEpoch: 2, logStartOffset: 0, partitionMaxBytes: 1000, replicaDirectoryId: undefined,
  });
  assert.deepEqual([fetch.maxWaitMs, fetch.minBytes, fetch.maxBytes], [100, 1, 5000]);
  const sentBefore = channel.sent.length;
  clock.advance(999);
  for (let i = 0; i < 5; i++) await flush();
  assert.equal(channel.sent.length, sentBefore, 'still backing off');
  // After the backoff it fetches again and appends the leader's batch with its offsets.
  channel.script('Fetch', fetchAnswer(ErrorCode.NONE, { records: replicated(8, 3, 4) }));
  clock.advance(1);
  for (let i = 0; i < 10 && p.logEndOffset < 12; i++) await flush();
  assert.equal(p.logEndOffset, 12);
  assert.equal(p.log.latestEpoch, 3);
  assert.equal(p.highWatermark, 12);
  channel.close();
  await fetcher.close();
  assert.ok(channel.held > 0);
  assert.equal(channel.released, channel.held, 'every fetch response frame was released');
});

test('a batch from the leader that starts below our log end replaces our part of it', async () => {
  // As after a log start moved inside a batch (DeleteRecords): the leader answers the whole
  // batch holding the fetch offset, and appending it as is would put offsets below our end.
  const p = await follower();
  await p.truncateTo(7);
  const clock = new ManualClock();
  const channel = new ScriptedChannel();
  const config = { maxBytes: 1000, responseMaxBytes: 5000, waitMaxMs: 100, minBytes: 1, backoffMs: 1000 };
  const fetcher = new ReplicaFetcher(1, 2, channel as unknown as BrokerChannel, () => config, clock, createLogger('error'));
  fetcher.add(p);
  channel.script('OffsetForLeaderEpoch', () => ({ throttleTimeMs: 0, topics: [{ topic: 't', partitions: [{ errorCode: 0, partition: 0, leaderEpoch: 2, endOffset: 10 }] }] }));
  const leaderBatch = replicated(5, 2, 5);
  channel.script('Fetch', (body) => {
    assert.equal(body.topics[0].partitions[0].fetchOffset, 7);
    return fetchAnswer(ErrorCode.NONE, { records: leaderBatch })(body);
  });
  for (let i = 0; i < 20 && p.logEndOffset !== 10; i++) await flush();
  assert.equal(p.logEndOffset, 10);
  const { records } = await p.log.read(5, 1 << 20, 10, true);
  assert.ok(records.equals(leaderBatch), 'offsets 5-9 are the leader\'s batch, whole');
  channel.close();
  await fetcher.close();
  assert.ok(channel.held > 0);
  assert.equal(channel.released, channel.held, 'every fetch response frame was released');
});

test('a partition whose answer cannot be applied backs off alone; the others keep replicating', async () => {
  const bad = await follower(0);
  const good = await follower(1);
  const clock = new ManualClock();
  const channel = new ScriptedChannel();
  const config = { maxBytes: 1000, responseMaxBytes: 5000, waitMaxMs: 100, minBytes: 1, backoffMs: 1000 };
  const fetcher = new ReplicaFetcher(1, 2, channel as unknown as BrokerChannel, () => config, clock, createLogger('error'));
  fetcher.add(bad);
  fetcher.add(good);
  channel.script('OffsetForLeaderEpoch', () => ({
    throttleTimeMs: 0, topics: [{ topic: 't', partitions: [0, 1].map((partition) => ({ errorCode: 0, partition, leaderEpoch: 2, endOffset: 10 })) }],
  }));
  // Partition 0 gets bytes that are not whole batches (the append throws); partition 1 a batch.
  const torn = replicated(10, 3, 2).subarray(0, 70);
  channel.script('Fetch', () => ({
    throttleTimeMs: 0, errorCode: 0, sessionId: 0, nodeEndpoints: [],
    responses: [{ topic: 't', topicId: Buffer.alloc(16), partitions: [partitionData(0, 0, { records: torn }), partitionData(1, 0, { records: replicated(10, 3, 2) })] }],
  }));
  channel.script('Fetch', (body) => {
    assert.deepEqual(body.topics[0].partitions.map((x: { partition: number }) => x.partition), [1], 'partition 0 is backing off');
    return { throttleTimeMs: 0, errorCode: 0, sessionId: 0, nodeEndpoints: [], responses: [{ topic: 't', topicId: Buffer.alloc(16), partitions: [partitionData(1, 0)] }] };
  });
  for (let i = 0; i < 30 && channel.sent.filter((x) => x.api === 'Fetch').length < 2; i++) await flush();
  assert.equal(good.logEndOffset, 12);
  assert.equal(bad.logEndOffset, 10);
  const later = channel.sent.filter((x) => x.api === 'Fetch').slice(1);
  assert.ok(later.every((x) => x.body.topics[0].partitions.every((q: { partition: number }) => q.partition === 1)), 'partition 0 waits out its backoff');
  channel.close();
  await fetcher.close();
  assert.ok(channel.held > 0);
  assert.equal(channel.released, channel.held, 'every fetch response frame was released');
});
