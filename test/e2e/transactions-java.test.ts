/**
 * Transactions with Apache Kafka's Java client (kafka-clients 4.4, test/java), which runs
 * Transaction V2 (KIP-890 part 2) when the broker finalizes transaction.version 2 (the default)
 * and Transaction V1 below:
 * - transactions committed, aborted, committed: a read_committed Java consumer sees exactly the
 *   committed records, in order; read_uncommitted sees every one;
 * - with V2 the client sends no AddPartitionsToTxn / AddOffsetsToTxn: Produce v12 and
 *   TxnOffsetCommit v5 add their partitions, EndTxn v5 bumps the epoch on every transaction
 *   end (the coordinator's state and the markers in the log show it), and
 *   sendOffsetsToTransaction's offsets become the group's committed offsets only when the
 *   transaction commits;
 * - with transaction.version=1 the same client stays on V1 (AddPartitionsToTxn, EndTxn v4, one
 *   epoch for every transaction).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { javaShell, javaSkip } from '../helpers/java.js';
import { VersionRecorder } from '../helpers/version-recorder.js';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { OffsetFetch } from '../../src/protocol/messages/offset-fetch.js';
import { partitionBatches } from './transactions-helpers.js';
import type { RunningBroker } from '../../src/index.js';

const OVERRIDES = { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '1', 'transaction.state.log.num.partitions': '1' };

async function committedOffset(b: RunningBroker, group: string, topic: string, partition: number): Promise<number> {
  const c = await KafkaClient.connect(b.bootstrap);
  try {
    const res = await c.request(OffsetFetch, { groupId: group, topics: [{ name: topic, partitionIndexes: [partition] }], groups: [], requireStable: false }, { version: 5 });
    return res.topics[0]!.partitions[0]!.committedOffset;
  } finally {
    await c.close();
  }
}

for (const level of [2, 1] as const) {
  test(`Java client, transaction.version=${level}: commit, abort, commit with sendOffsetsToTransaction; read_committed sees exactly the committed records`,
    { skip: javaSkip, timeout: 180_000 }, async () => {
      await withBroker(async (b) => {
        const recorder = VersionRecorder.attach(b);
        const java = await javaShell(b.bootstrap);
        try {
          await java.admin('create-topics', { topic: ['jtx', 'jin'], partitions: 2, replicationFactor: 1 });
          const produced = await java.produce({
            topic: 'jtx', count: 6, key: 'k{i}', value: 'v{i}', transaction: ['commit', 'abort', 'commit'],
            offsets: ['jin:1:42'], offsetsGroup: 'jg', props: { 'transactional.id': `java-tx-${level}` },
          });
          assert.deepEqual(produced.transactions, [{ n: 0, outcome: 'commit' }, { n: 1, outcome: 'abort' }, { n: 2, outcome: 'commit' }]);
          assert.equal(produced.summary.acked, 18, JSON.stringify(produced.summary.errors));

          const committed = await java.consume({ topic: 'jtx', max: 12, fromBeginning: true, idleMs: 3000, props: { 'group.id': 'rc', 'isolation.level': 'read_committed' } });
          const expected = [...Array.from({ length: 6 }, (_, i) => i), ...Array.from({ length: 6 }, (_, i) => 12 + i)].map((i) => `v${i}`);
          assert.deepEqual(committed.records.map((r) => r.value).sort(), expected.sort(), 'exactly the committed transactions');
          for (const p of [0, 1]) {
            const values = committed.records.filter((r) => r.partition === p).map((r) => Number(r.value!.slice(1)));
            assert.deepEqual(values, [...values].sort((x, y) => x - y), `partition ${p} in send order`);
          }
          const all = await java.consume({ topic: 'jtx', max: 18, fromBeginning: true, idleMs: 3000, props: { 'group.id': 'ru' } });
          assert.equal(all.records.length, 18, 'read_uncommitted sees the aborted transaction too');
          assert.equal(await committedOffset(b, 'jg', 'jin', 1), 42, 'the committed transactions\' offsets are the group\'s');

          const m = b.broker.transactions.serviceIfStarted!.shardFor(`java-tx-${level}`)!.transactions.get(`java-tx-${level}`)!;
          const sent = recorder.take().versions;
          if (level === 2) {
            assert.deepEqual([m.state, m.producerEpoch, m.clientTransactionVersion], ['CompleteCommit', 3, 2], 'one epoch bump per transaction end');
            assert.equal(sent.get('AddPartitionsToTxn'), undefined, 'no AddPartitionsToTxn from a V2 client');
            assert.equal(sent.get('AddOffsetsToTxn'), undefined, 'no AddOffsetsToTxn from a V2 client');
            assert.deepEqual([...sent.get('EndTxn')!], [5]);
            assert.deepEqual([...sent.get('TxnOffsetCommit')!], [5]);
            assert.ok(sent.get('Produce')!.has(12));
            // Each transaction's markers carry the epoch it ended with: 1 (commit), 2 (abort), 3 (commit).
            const c = await KafkaClient.connect(b.bootstrap);
            try {
              const ends = (await Promise.all([0, 1].map((p) => partitionBatches(c, 'jtx', p))))
                .flat().filter((x) => x.control !== null).map((x) => `${x.producerEpoch}:${x.control}`);
              assert.deepEqual([...new Set(ends)].sort(), ['1:COMMIT', '2:ABORT', '3:COMMIT']);
            } finally {
              await c.close();
            }
          } else {
            assert.deepEqual([m.state, m.producerEpoch, m.clientTransactionVersion], ['CompleteCommit', 0, 0], 'V1: one epoch for every transaction');
            assert.ok(sent.get('AddPartitionsToTxn') !== undefined && sent.get('AddOffsetsToTxn') !== undefined);
            assert.deepEqual([...sent.get('EndTxn')!], [4]);
            assert.ok(!sent.get('Produce')!.has(12));
          }
        } finally {
          await java.close();
        }
      }, { overrides: { ...OVERRIDES, 'transaction.version': String(level) } });
    });
}
