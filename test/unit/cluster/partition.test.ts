// The partition layer: leadership moves leader → follower → leader with epochs only growing,
// the high watermark follows the ISR's fetch positions, acks=all waits for the ISR, and the
// checkpointed high watermark survives a restart (it is not reset to the log end on open).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/base/clock.js';
import { MemoryFileSystem } from '../../../src/base/file-system.js';
import { createLogger } from '../../../src/base/logger.js';
import { AssertionError } from '../../../src/base/assert.js';
import { ErrorCode } from '../../../src/protocol/error-codes.js';
import { encodeBatch } from '../../../src/protocol/records.js';
import { setBaseOffset, setPartitionLeaderEpoch } from '../../../src/protocol/record-batch.js';
import { LogManager } from '../../../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG } from '../../../src/storage/log-config.js';
import { ReplicaManager, HIGH_WATERMARK_CHECKPOINT, type MetadataView, type TopicView } from '../../../src/cluster/replica-manager.js';
import type { PartitionFetchRequest, PartitionState } from '../../../src/cluster/partition.js';
import { until } from '../../helpers/wait.js';

const LOCAL = 1;
const FOLLOWER = 2;
const TOPIC_ID = Buffer.alloc(16, 7);

function image(state: PartitionState): MetadataView & { t: TopicView } {
  const t: TopicView = { name: 't', topicId: TOPIC_ID, partitions: [state] };
  return { t, topic: (name) => (name === 't' ? t : undefined), topics: () => [t] };
}

function state(leader: number, leaderEpoch: number, isr = [LOCAL, FOLLOWER], partitionEpoch = leaderEpoch): PartitionState {
  return { replicas: [LOCAL, FOLLOWER], isr, leader, leaderEpoch, partitionEpoch };
}

const settings = {
  logConfig: DEFAULT_LOG_CONFIG,
  partition: {
    validation: { maxMessageBytes: 1048588, segmentBytes: 1 << 30, compacted: false, timestampType: 'CreateTime' as const, timestampBeforeMaxMs: Number.MAX_SAFE_INTEGER, timestampAfterMaxMs: Number.MAX_SAFE_INTEGER, compressionType: 'producer' as const },
    minInsyncReplicas: 1,
    isInternal: false,
    replicaLagTimeMaxMs: 30_000,
  },
};

async function open(fs: MemoryFileSystem, clock: ManualClock) {
  const logger = createLogger('error');
  const logs = await LogManager.open({ fs, dirs: ['/data'], clock, logger });
  const rm = new ReplicaManager({ localBrokerId: LOCAL, logs, fs, clock, logger, topicSettings: () => settings, highWatermarkCheckpointIntervalMs: 5000 });
  return { logs, rm };
}

function batch(n: number): Buffer {
  return encodeBatch({ records: Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `v${i}` })), timestamp: 1_700_000_000_000 });
}

function followerFetch(fetchOffset: number, lastFetchedEpoch = -1): PartitionFetchRequest {
  return { fetchOffset, maxBytes: 1 << 20, currentLeaderEpoch: -1, isolationLevel: 0, minOneMessage: true, replicaId: FOLLOWER, lastFetchedEpoch, followerLogStartOffset: 0 };
}

const consumerFetch = (fetchOffset: number, currentLeaderEpoch = -1): PartitionFetchRequest =>
  ({ fetchOffset, maxBytes: 1 << 20, currentLeaderEpoch, isolationLevel: 0, minOneMessage: true, replicaId: -1, lastFetchedEpoch: -1, followerLogStartOffset: -1 });

test('leader → follower → leader: epochs grow, the ISR moves the high watermark, and it survives a restart', async () => {
  const fs = new MemoryFileSystem({ trackDurability: false });
  await fs.mkdirp('/data');
  const clock = new ManualClock();
  const { logs, rm } = await open(fs, clock);
  const events: string[] = [];
  rm.addLeadershipListener('t', { onElection: (p, e) => events.push(`elected ${p}@${e}`), onResignation: (p, e) => events.push(`resigned ${p}@${e}`) });

  await rm.startup(image(state(LOCAL, 1)));
  const p = rm.getPartition('t', 0)!;
  assert.equal(p.isLeader, true);
  assert.equal(p.leaderEpoch, 1);
  assert.deepEqual(events, ['elected 0@1']);

  // acks=1: written, but the high watermark waits for follower 2 (in the ISR, not yet fetched).
  for (let i = 0; i < 3; i++) {
    const r = await rm.appendRecords('t', 0, batch(5), { acks: 1, timeoutMs: 1000, origin: 'client' });
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.equal(r.baseOffset, i * 5);
  }
  assert.equal(p.logEndOffset, 15);
  assert.equal(p.highWatermark, 0);
  const invisible = await rm.fetchPartition('t', 0, consumerFetch(0));
  assert.equal(invisible.records.length, 0, 'consumers see nothing above the high watermark');

  // The follower's fetches report its position; the high watermark follows the ISR's minimum.
  const f0 = await rm.fetchPartition('t', 0, followerFetch(0));
  assert.equal(f0.errorCode, ErrorCode.NONE);
  assert.ok(f0.records.length > 0, 'a follower reads up to the log end');
  assert.equal(p.highWatermark, 0);
  await rm.fetchPartition('t', 0, followerFetch(10));
  assert.equal(p.highWatermark, 10);

  // acks=all waits for the ISR and is released by the follower's fetch, not by a timer.
  let acked: number | undefined;
  const pending = rm.appendRecords('t', 0, batch(5), { acks: -1, timeoutMs: 30_000, origin: 'client' }).then((r) => { acked = r.errorCode; return r; });
  // Written (checked, so the next line cannot pass merely because the append has not run yet), and still waiting.
  await until('the acks=all batch to be written', () => p.logEndOffset === 20, { timeoutMs: 5000, intervalMs: 0 });
  await new Promise((r) => setImmediate(r));
  assert.equal(acked, undefined);
  await rm.fetchPartition('t', 0, followerFetch(20));
  assert.equal((await pending).errorCode, ErrorCode.NONE);
  assert.equal(p.highWatermark, 20);

  // A fetch from a broker that is not a replica.
  const stranger = await rm.fetchPartition('t', 0, { ...followerFetch(0), replicaId: 9 });
  assert.equal(stranger.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);

  // Leader → follower at epoch 2: appends and consumer reads refused, old epoch fenced.
  await rm.onMetadataUpdate({ deletedTopics: [], changedPartitions: [{ topic: image(state(FOLLOWER, 2)).t, partition: 0, after: state(FOLLOWER, 2) }], changedTopicConfigs: [], brokerConfigsChanged: false }, image(state(FOLLOWER, 2)));
  assert.equal(p.isLeader, false);
  assert.equal(p.leaderEpoch, 2);
  assert.deepEqual(events, ['elected 0@1', 'resigned 0@1']);
  assert.equal((await rm.appendRecords('t', 0, batch(1), { acks: 1, timeoutMs: 1000, origin: 'client' })).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  assert.equal((await rm.fetchPartition('t', 0, consumerFetch(0))).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  assert.equal((await rm.fetchPartition('t', 0, consumerFetch(0, 1))).errorCode, ErrorCode.FENCED_LEADER_EPOCH);
  assert.equal((await rm.fetchPartition('t', 0, consumerFetch(0, 3))).errorCode, ErrorCode.UNKNOWN_LEADER_EPOCH);

  // As a follower it appends the leader's batches with their offsets and epochs.
  const replicated = batch(5);
  setBaseOffset(replicated, 0, 20);
  setPartitionLeaderEpoch(replicated, 0, 2);
  await p.appendRecordsAsFollower(replicated);
  assert.equal(p.logEndOffset, 25);
  p.updateFollowerHighWatermark(23);
  assert.equal(p.highWatermark, 23);

  // Follower → leader at epoch 3: the epoch starts at the log end.
  const s3 = state(LOCAL, 3);
  await rm.onMetadataUpdate({ deletedTopics: [], changedPartitions: [{ topic: image(s3).t, partition: 0, after: s3 }], changedTopicConfigs: [], brokerConfigsChanged: false }, image(s3));
  assert.equal(p.isLeader, true);
  assert.equal(p.leaderEpoch, 3);
  assert.deepEqual(events, ['elected 0@1', 'resigned 0@1', 'elected 0@3']);
  assert.deepEqual(p.lastOffsetForLeaderEpoch(-1, 2, true), { errorCode: ErrorCode.NONE, leaderEpoch: 2, endOffset: 25 });
  assert.deepEqual(p.lastOffsetForLeaderEpoch(3, 3, true), { errorCode: ErrorCode.NONE, leaderEpoch: 3, endOffset: 25 });
  // A follower whose last fetched epoch ended earlier on our log is told where to truncate.
  const diverged = await rm.fetchPartition('t', 0, followerFetch(22, 1));
  assert.deepEqual(diverged.divergingEpoch, { epoch: 1, endOffset: 20 });
  assert.equal(diverged.records.length, 0);
  assert.equal(p.highWatermark, 23, 'a diverging fetch does not move the high watermark');

  // An epoch going backwards is a bug upstream, not a client error.
  await assert.rejects(() => p.makeLeader(state(LOCAL, 2)), AssertionError);

  // Restart: the high watermark comes back from replication-offset-checkpoint (23), not the
  // log end (25): follower 2 is in the ISR and has not fetched in the new epoch.
  await rm.shutdown();
  assert.deepEqual(events.at(-1), 'resigned 0@3');
  await logs.close();
  const text = (await fs.readFile(`/data/${HIGH_WATERMARK_CHECKPOINT}`)).toString();
  assert.equal(text, '0\n1\nt 0 23\n');
  const again = await open(fs, clock);
  await again.rm.startup(image(state(LOCAL, 4)));
  const q = again.rm.getPartition('t', 0)!;
  assert.equal(q.logEndOffset, 25);
  assert.equal(q.highWatermark, 23);
  assert.equal(q.leaderEpoch, 4);
  await again.rm.shutdown();
  await again.logs.close();
});

test('getPartitionOrError tells a partition the metadata does not name from one this broker does not host', async () => {
  const fs = new MemoryFileSystem({ trackDurability: false });
  await fs.mkdirp('/data');
  const clock = new ManualClock();
  const { logs, rm } = await open(fs, clock);
  const other: PartitionState = { replicas: [FOLLOWER], isr: [FOLLOWER], leader: FOLLOWER, leaderEpoch: 0, partitionEpoch: 0 };
  await rm.startup(image(other));
  assert.equal(rm.getPartitionOrError('t', 0), ErrorCode.NOT_LEADER_OR_FOLLOWER);
  assert.equal(rm.getPartitionOrError('t', 1), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assert.equal(rm.getPartitionOrError('nope', 0), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assert.equal(logs.all().length, 0, 'no log for a partition hosted elsewhere');
  await rm.shutdown();
  await logs.close();
});

test('min.insync.replicas: NOT_ENOUGH_REPLICAS before the append, and acks=all answers the ISR shrinking meanwhile', async () => {
  const fs = new MemoryFileSystem({ trackDurability: false });
  await fs.mkdirp('/data');
  const clock = new ManualClock();
  const { logs, rm } = await open(fs, clock);
  await rm.startup(image(state(LOCAL, 1, [LOCAL])));
  const p = rm.getPartition('t', 0)!;
  p.config = { ...p.config, minInsyncReplicas: 2 };
  const refused = await rm.appendRecords('t', 0, batch(1), { acks: -1, timeoutMs: 1000, origin: 'client' });
  assert.equal(refused.errorCode, ErrorCode.NOT_ENOUGH_REPLICAS);
  assert.equal(p.logEndOffset, 0, 'nothing written');
  const acks1 = await rm.appendRecords('t', 0, batch(1), { acks: 1, timeoutMs: 1000, origin: 'client' });
  assert.equal(acks1.errorCode, ErrorCode.NONE, 'acks=1 ignores min.insync.replicas');
  // acks=all times out on the injected clock when the ISR never catches up.
  await rm.onMetadataUpdate({ deletedTopics: [], changedPartitions: [{ topic: image(state(LOCAL, 1)).t, partition: 0, after: state(LOCAL, 1, [LOCAL, FOLLOWER], 2) }], changedTopicConfigs: [], brokerConfigsChanged: false }, image(state(LOCAL, 1)));
  const waiting = rm.appendRecords('t', 0, batch(1), { acks: -1, timeoutMs: 500, origin: 'client' });
  await new Promise((r) => setImmediate(r));
  clock.advance(500);
  assert.equal((await waiting).errorCode, ErrorCode.REQUEST_TIMED_OUT);
  await rm.shutdown();
  await logs.close();
});

test('a change of the last stable offset wakes partition listeners (read_committed long polls)', async () => {
  const fs = new MemoryFileSystem({ trackDurability: false });
  await fs.mkdirp('/data');
  const clock = new ManualClock();
  const { logs, rm } = await open(fs, clock);
  await rm.startup(image(state(LOCAL, 1, [LOCAL])));
  const p = rm.getPartition('t', 0)!;
  await rm.appendRecords('t', 0, batch(5), { acks: 1, timeoutMs: 1000, origin: 'client' });
  assert.equal(p.highWatermark, 5);
  let events = 0;
  p.onStateChange(() => { events++; });
  p.log.setFirstUnstableOffset(2);
  assert.equal(p.lastStableOffset, 2);
  assert.equal(events, 1, 'the last stable offset moved down');
  p.log.setFirstUnstableOffset(2);
  assert.equal(events, 1, 'no event without a change');
  p.log.setFirstUnstableOffset(undefined);
  assert.equal(p.lastStableOffset, 5);
  assert.equal(events, 2, 'a transaction ending raises the last stable offset and wakes waiters');
  await rm.shutdown();
  await logs.close();
});

test('a new leader whose high watermark lags the start of its epoch answers a client\'s LATEST with OFFSET_NOT_AVAILABLE until it catches up', async () => {
  const fs = new MemoryFileSystem({ trackDurability: false });
  await fs.mkdirp('/data');
  const clock = new ManualClock();
  const { logs, rm } = await open(fs, clock);
  await rm.startup(image(state(FOLLOWER, 1)));
  const p = rm.getPartition('t', 0)!;
  // As a follower: 10 records, of which the leader's high watermark covered 6 when we last fetched.
  const replicated = batch(10);
  setPartitionLeaderEpoch(replicated, 0, 1);
  await p.appendRecordsAsFollower(replicated);
  p.updateFollowerHighWatermark(6);
  // Elected at epoch 2: the epoch starts at 10, above our high watermark (6), which a client
  // may already have seen at 10 on the old leader.
  const s2 = state(LOCAL, 2);
  await rm.onMetadataUpdate({ deletedTopics: [], changedPartitions: [{ topic: image(s2).t, partition: 0, after: s2 }], changedTopicConfigs: [], brokerConfigsChanged: false }, image(s2));
  assert.equal(p.highWatermark, 6);
  const LATEST = -1;
  assert.equal((await p.fetchOffsetForTimestamp(LATEST, 0, -1, true)).errorCode, ErrorCode.OFFSET_NOT_AVAILABLE);
  assert.equal((await p.fetchOffsetForTimestamp(LATEST, 1, 2, true)).errorCode, ErrorCode.OFFSET_NOT_AVAILABLE);
  // A timestamp beyond what is visible: no answer yet either; one below the high watermark is answered.
  assert.equal((await p.fetchOffsetForTimestamp(1_800_000_000_000, 0, -1, true)).errorCode, ErrorCode.OFFSET_NOT_AVAILABLE);
  const early = await p.fetchOffsetForTimestamp(1_000_000_000_000, 0, -1, true);
  assert.deepEqual([early.errorCode, early.offset], [ErrorCode.NONE, 0]);
  // EARLIEST and the debugging replica (not a client) are answered.
  assert.equal((await p.fetchOffsetForTimestamp(-2, 0, -1, true)).errorCode, ErrorCode.NONE);
  const debug = await p.fetchOffsetForTimestamp(LATEST, 0, -1, false);
  assert.deepEqual([debug.errorCode, debug.offset], [ErrorCode.NONE, 6]);
  // The follower reaches the log end: the high watermark passes the epoch start, LATEST is answered.
  await rm.fetchPartition('t', 0, followerFetch(10, 1));
  assert.equal(p.highWatermark, 10);
  const latest = await p.fetchOffsetForTimestamp(LATEST, 0, -1, true);
  assert.deepEqual([latest.errorCode, latest.offset], [ErrorCode.NONE, 10]);
  await rm.shutdown();
  await logs.close();
});
