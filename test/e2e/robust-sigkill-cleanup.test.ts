/**
 * SIGKILL while retention deletes segments and while the cleaner compacts them (tiny segments,
 * 50 ms check intervals, file.delete.delay.ms=0, so both run all the time), several times in a
 * row, restarting on the same directory each time. Afterwards the log is readable end to end,
 * no offset appears twice, every acknowledged record still retained has its acknowledged
 * value, retention kept at least retention.bytes, and compaction kept each key's latest write.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnBroker, tempDir, type BrokerProcess } from '../helpers/broker.js';
import { KafkaClient, KafkaError, produce, fetch, listOffsets, EARLIEST_TIMESTAMP, LATEST_TIMESTAMP } from '../../src/client/index.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { CreateTopics } from '../../src/protocol/messages/create-topics.js';
import { encodeBatch } from '../../src/protocol/records.js';

const BROKER_OVERRIDES = {
  'log.retention.check.interval.ms': '50',
  'log.cleaner.backoff.ms': '50',
  'auto.create.topics.enable': 'false',
  'log.level': 'warn',
};
const RECORDS_PER_BATCH = 5;
const KEYS = 30;

interface Acked { key: string; value: string }

function batchRecords(seq: number): { key: Buffer; value: Buffer }[] {
  return Array.from({ length: RECORDS_PER_BATCH }, (_, i) => {
    const n = seq * RECORDS_PER_BATCH + i;
    return { key: Buffer.from(`k${n % KEYS}`), value: Buffer.from(`v${n}-${'x'.repeat(90)}`) };
  });
}

/** Produces batches (acks=-1, no retries) until the broker dies; records every acknowledged offset. */
async function produceUntilKilled(broker: BrokerProcess, topic: string, acked: Map<number, Acked>, seq: { n: number }, killAfterMs: number): Promise<void> {
  const client = await KafkaClient.connect(broker.bootstrap);
  const killing = new Promise<void>((resolve) => setTimeout(() => { void broker.kill9().then(resolve); }, killAfterMs));
  try {
    for (;;) {
      const records = batchRecords(seq.n++);
      let base: number;
      try {
        base = (await produce(client, topic, 0, records, { acks: -1, retries: 0, timeoutMs: 5000 })).baseOffset;
      } catch {
        break; // the broker is gone
      }
      records.forEach((r, i) => acked.set(base + i, { key: r.key.toString(), value: r.value.toString() }));
    }
  } finally {
    await killing;
    await client.close().catch(() => undefined);
  }
}

async function readAll(client: KafkaClient, topic: string): Promise<{ logStartOffset: number; logEndOffset: number; records: { offset: number; key: string; value: string }[] }> {
  let logStartOffset = (await listOffsets(client, topic, 0, EARLIEST_TIMESTAMP)).offset;
  const logEndOffset = (await listOffsets(client, topic, 0, LATEST_TIMESTAMP)).offset;
  let records: { offset: number; key: string; value: string }[] = [];
  let offset = logStartOffset;
  while (offset < logEndOffset) {
    let f;
    try {
      f = await fetch(client, topic, 0, offset, { maxWaitMs: 0, partitionMaxBytes: 1 << 20 });
    } catch (err) {
      // The restarted broker's retention may move the log start while we read: continue from
      // the new start, as a consumer with auto.offset.reset=earliest would.
      if (!(err instanceof KafkaError) || err.errorCode !== ErrorCode.OFFSET_OUT_OF_RANGE) throw err;
      logStartOffset = (await listOffsets(client, topic, 0, EARLIEST_TIMESTAMP)).offset;
      assert.ok(logStartOffset > offset, `OFFSET_OUT_OF_RANGE at ${offset} but the log starts at ${logStartOffset}`);
      records = records.filter((r) => r.offset >= logStartOffset);
      offset = logStartOffset;
      continue;
    }
    assert.ok(f.nextOffset > offset, `no progress reading at ${offset}`);
    for (const r of f.records) records.push({ offset: r.offset, key: r.key!.toString(), value: r.value!.toString() });
    offset = f.nextOffset;
  }
  return { logStartOffset, logEndOffset, records };
}

async function crashLoop(topic: string, topicConfigs: Record<string, string>, check: (all: Awaited<ReturnType<typeof readAll>>, acked: Map<number, Acked>) => void): Promise<void> {
  const dir = tempDir('sherwood-robust-kill-');
  let keep = false;
  let broker = await spawnBroker(dir.path, undefined, BROKER_OVERRIDES);
  try {
    const admin = await KafkaClient.connect(broker.bootstrap);
    const created = await admin.request(CreateTopics, {
      topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: Object.entries(topicConfigs).map(([name, value]) => ({ name, value })) }],
      timeoutMs: 5000,
    }, { version: 5 });
    await admin.close();
    assert.equal(created.topics[0]!.errorCode, 0);
    const acked = new Map<number, Acked>();
    const seq = { n: 0 };
    const history: string[] = [];
    for (let round = 0; round < 3; round++) {
      await produceUntilKilled(broker, topic, acked, seq, 1200 + Math.floor(Math.random() * 600));
      history.push(`round ${round}: ${acked.size} acked, max offset ${Math.max(-1, ...acked.keys())}; broker output:\n${broker.output()}`);
      broker = await spawnBroker(dir.path, broker.port, BROKER_OVERRIDES);
    }
    assert.ok(acked.size > 200, `only ${acked.size} records acknowledged`);
    const client = await KafkaClient.connect(broker.bootstrap);
    try {
      const all = await readAll(client, topic);
      const offsets = all.records.map((r) => r.offset);
      for (let i = 1; i < offsets.length; i++) assert.ok(offsets[i]! > offsets[i - 1]!, `offset ${offsets[i]} after ${offsets[i - 1]}`);
      for (const r of all.records) {
        const a = acked.get(r.offset);
        if (a !== undefined) assert.deepEqual({ key: r.key, value: r.value }, a, `offset ${r.offset} holds what was acknowledged`);
      }
      try {
        check(all, acked);
      } catch (err) {
        if (process.env.SHERWOOD_KEEP_DIR !== undefined) keep = true;
        throw new Error(`${(err as Error).message}\n${history.join('\n')}\nlast broker output:\n${broker.output()}${keep ? `\ndata kept in ${dir.path}` : ''}`);
      }
    } finally {
      await client.close();
    }
  } finally {
    await broker.stop().catch(() => undefined);
    if (!keep) dir.remove();
  }
}

test('SIGKILL during retention deletion: retained acknowledged records intact, retention.bytes kept', { timeout: 120_000 }, async () => {
  const retentionBytes = 16384;
  const batchBytes = encodeBatch({ records: batchRecords(0) }).length;
  await crashLoop('robust-retention', { 'segment.bytes': '2048', 'retention.bytes': String(retentionBytes), 'file.delete.delay.ms': '0' }, (all, acked) => {
    const present = new Set(all.records.map((r) => r.offset));
    // Retention only removes whole segments and keeps >= retention.bytes: everything from the
    // log start offset on is there (no gaps on a non-compacted topic).
    const lost = [...acked.keys()].filter((o) => o >= all.logStartOffset && o < all.logEndOffset && !present.has(o)).sort((a, b) => a - b);
    assert.deepEqual(lost.slice(0, 20), [], `acknowledged offsets lost (${lost.length}); log [${all.logStartOffset}, ${all.logEndOffset}), ${all.records.length} records`);
    assert.equal(all.records.length, all.logEndOffset - all.logStartOffset, 'no gaps');
    const keptBatches = all.records.length / RECORDS_PER_BATCH;
    assert.ok(keptBatches * batchBytes >= retentionBytes - batchBytes, `kept ${keptBatches} batches of ${batchBytes} bytes < retention.bytes ${retentionBytes}`);
    assert.ok(all.logStartOffset > 0, 'retention did delete segments');
    const maxAcked = Math.max(...acked.keys());
    assert.ok(all.logEndOffset > maxAcked, 'the newest acknowledged record is there');
  });
});

test('SIGKILL during compaction: each key keeps its latest acknowledged write, no duplicates', { timeout: 120_000 }, async () => {
  await crashLoop('robust-compact', { 'cleanup.policy': 'compact', 'segment.bytes': '2048', 'min.cleanable.dirty.ratio': '0.01', 'file.delete.delay.ms': '0' }, (all, acked) => {
    const latestAcked = new Map<string, number>();
    for (const [offset, a] of acked) latestAcked.set(a.key, Math.max(latestAcked.get(a.key) ?? -1, offset));
    const latestInLog = new Map<string, number>();
    for (const r of all.records) latestInLog.set(r.key, Math.max(latestInLog.get(r.key) ?? -1, r.offset));
    for (const [key, offset] of latestAcked) {
      assert.ok((latestInLog.get(key) ?? -1) >= offset, `key ${key}: latest acknowledged write at ${offset} lost (log has ${latestInLog.get(key)})`);
    }
    const values = all.records.map((r) => r.value);
    assert.equal(new Set(values).size, values.length, 'no record twice');
    assert.ok(all.records.length < all.logEndOffset - all.logStartOffset, 'compaction did remove records');
  });
});
