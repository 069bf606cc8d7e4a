// A read_committed fetch through the partition layer (Kafka's Partition.fetchRecords with
// FetchIsolation.TXN_COMMITTED): it stops at the last stable offset and reports the aborted
// transactions overlapping the records it returns, never the committed ones; read_uncommitted
// and follower fetches report none (null).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/base/clock.js';
import { MemoryFileSystem } from '../../../src/base/file-system.js';
import { createLogger } from '../../../src/base/logger.js';
import { ErrorCode } from '../../../src/protocol/error-codes.js';
import { ControlRecordType, decodeBatches, encodeBatch } from '../../../src/protocol/records.js';
import { LogManager } from '../../../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG } from '../../../src/storage/log-config.js';
import { ReplicaManager, type MetadataView, type TopicView } from '../../../src/cluster/replica-manager.js';
import type { Partition, PartitionFetchRequest, PartitionState } from '../../../src/cluster/partition.js';

const LOCAL = 1;
const FOLLOWER = 2;
const TS = 1_700_000_000_000;

function image(state: PartitionState): MetadataView {
  const t: TopicView = { name: 't', topicId: Buffer.alloc(16, 9), partitions: [state] };
  return { topic: (name) => (name === 't' ? t : undefined), topics: () => [t] };
}

const settings = {
  logConfig: { ...DEFAULT_LOG_CONFIG, segmentBytes: 400 },
  partition: {
    validation: { maxMessageBytes: 1048588, segmentBytes: 400, compacted: false, timestampType: 'CreateTime' as const, timestampBeforeMaxMs: Number.MAX_SAFE_INTEGER, timestampAfterMaxMs: Number.MAX_SAFE_INTEGER, compressionType: 'producer' as const },
    minInsyncReplicas: 1,
    isInternal: false,
    replicaLagTimeMaxMs: 30_000,
  },
};

async function leader() {
  const fs = new MemoryFileSystem({ trackDurability: false });
  await fs.mkdirp('/data');
  const clock = new ManualClock(TS + 1000);
  const logger = createLogger('error');
  const logs = await LogManager.open({ fs, dirs: ['/data'], clock, logger });
  const rm = new ReplicaManager({ localBrokerId: LOCAL, logs, fs, clock, logger, topicSettings: () => settings, highWatermarkCheckpointIntervalMs: 5000 });
  await rm.startup(image({ replicas: [LOCAL, FOLLOWER], isr: [LOCAL], leader: LOCAL, leaderEpoch: 1, partitionEpoch: 1 }));
  return { logs, rm, p: rm.getPartition('t', 0)! };
}

async function data(p: Partition, producerId: number, seq: number, values: string[]): Promise<number> {
  const r = await p.appendRecordsToLeader(encodeBatch({
    records: values.map((v) => ({ key: null, value: `${v}-${'x'.repeat(100)}`, timestamp: TS })),
    producerId, producerEpoch: 0, baseSequence: seq, transactional: true,
  }), 'client', 1);
  assert.equal(r.errorCode, ErrorCode.NONE);
  return r.baseOffset;
}

async function end(p: Partition, producerId: number, commit: boolean): Promise<void> {
  const r = await p.appendRecordsToLeader(encodeBatch({
    records: [{ key: null, value: null, timestamp: TS }],
    control: { type: commit ? ControlRecordType.Commit : ControlRecordType.Abort, coordinatorEpoch: 0 },
    producerId, producerEpoch: 0, transactional: true,
  }), 'coordinator', 1);
  assert.equal(r.errorCode, ErrorCode.NONE);
}

const fetch = (fetchOffset: number, isolationLevel: number, maxBytes = 1 << 20, replicaId = -1): PartitionFetchRequest =>
  ({ fetchOffset, maxBytes, currentLeaderEpoch: -1, isolationLevel, minOneMessage: true, replicaId, lastFetchedEpoch: -1, followerLogStartOffset: 0 });

test('read_committed reports the aborted transactions overlapping what it returns, and not the committed ones', async () => {
  const { logs, rm, p } = await leader();
  const a = await data(p, 10, 0, ['A0', 'A1']); // committed
  await end(p, 10, true);
  const b = await data(p, 11, 0, ['B0', 'B1']); // aborted, interleaved with a committed one
  const c = await data(p, 12, 0, ['C0']);
  await data(p, 11, 2, ['B2']);
  await end(p, 11, false);
  await end(p, 12, true);
  const d = await data(p, 13, 0, ['D0']); // still open
  assert.equal(p.lastStableOffset, d, 'the open transaction holds the LSO at its first offset');

  // A consumer's fetches up to the LSO (each returns one segment's batches): those that return
  // producer 11's records report its abort; the one returning only A and its commit reports nothing.
  let offset = 0;
  const fetched: { offsets: number[]; producers: number[]; aborted: unknown }[] = [];
  while (offset < p.lastStableOffset) {
    const r = await p.fetchRecords(fetch(offset, 1));
    assert.equal(r.errorCode, ErrorCode.NONE);
    const batches = decodeBatches(r.records);
    assert.ok(batches.length > 0);
    fetched.push({ offsets: batches.map((x) => x.header.baseOffset), producers: batches.map((x) => x.header.producerId), aborted: r.abortedTransactions });
    const last = batches[batches.length - 1]!;
    offset = last.header.baseOffset + last.header.lastOffsetDelta + 1;
  }
  assert.equal(offset, d, 'read_committed stops at the LSO');
  assert.ok(fetched.length >= 3, `several segments: ${JSON.stringify(fetched)}`);
  for (const f of fetched) {
    const expected = f.producers.includes(11) ? [{ producerId: 11, firstOffset: b }] : [];
    assert.deepEqual(f.aborted, expected, JSON.stringify(f));
  }
  assert.deepEqual(fetched[0]!.offsets.slice(0, 1), [a]);
  assert.deepEqual(fetched[0]!.aborted, [], 'the committed transaction is never reported');
  // From inside the aborted transaction, in a later segment than its first records.
  const fromC = await p.fetchRecords(fetch(c, 1));
  assert.deepEqual(fromC.abortedTransactions, [{ producerId: 11, firstOffset: b }]);
  // At the LSO: nothing to return, nothing to report.
  const atLso = await p.fetchRecords(fetch(d, 1));
  assert.deepEqual([atLso.records.length, atLso.abortedTransactions], [0, []]);
  // Once the open transaction aborts too, both are reported from the start of the aborted one.
  await end(p, 13, false);
  const after = await p.fetchRecords(fetch(d, 1));
  assert.deepEqual(after.abortedTransactions, [{ producerId: 13, firstOffset: d }]);

  // read_uncommitted and followers get null, and read up to the high watermark / log end.
  const uncommitted = await p.fetchRecords(fetch(0, 0));
  assert.equal(uncommitted.abortedTransactions, null);
  assert.ok(uncommitted.records.length > 0);
  const follower = await p.fetchRecords(fetch(0, 1, 1 << 20, FOLLOWER));
  assert.equal(follower.abortedTransactions, null);
  await rm.shutdown();
  await logs.close();
});
