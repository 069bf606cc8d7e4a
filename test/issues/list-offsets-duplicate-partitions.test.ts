/**
 * Regression: ListOffsets answered every occurrence of a topic-partition named twice in one
 * request. Kafka answers INVALID_REQUEST for each occurrence (ListOffsetsRequest
 * .duplicatePartitions), before looking the partition up, and answers the other partitions
 * normally.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { KafkaClient } from '../../src/client/index.js';
import { ListOffsets } from '../../src/protocol/messages/list-offsets.js';
import { Produce } from '../../src/protocol/messages/produce.js';
import { encodeBatch } from '../../src/protocol/records.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';

const LATEST = -1;
const partition = (partitionIndex: number) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp: LATEST, maxNumOffsets: 1 });

test('issue: ListOffsets with a duplicated topic-partition answers INVALID_REQUEST for it, the rest normally', { timeout: 30_000 }, async () => {
  await withBroker(async (b) => {
    assert.equal((await b.broker.topics.create({ name: 'dup-lo', numPartitions: 3, replicationFactor: 1, configs: {} })).errorCode, 0);
    const client = await KafkaClient.connect(b.bootstrap);
    try {
      await client.request(Produce, {
        transactionalId: null, acks: -1, timeoutMs: 5000,
        topicData: [{ name: 'dup-lo', partitionData: [{ index: 1, records: encodeBatch({ records: [{ key: 'k', value: 'v' }], timestamp: Date.now() }) }] }],
      });
      for (const version of [1, 4, 10]) {
        const res = await client.request(ListOffsets, {
          replicaId: -1, isolationLevel: 0, timeoutMs: 5000,
          topics: [
            { name: 'dup-lo', partitions: [partition(0), partition(1), partition(0)] },
            { name: 'dup-lo', partitions: [partition(2)] },
            { name: 'dup-lo', partitions: [partition(2)] },
            { name: 'no-such-topic', partitions: [partition(0), partition(0)] },
          ],
        }, { version });
        const answers = res.topics.flatMap((t) => t.partitions.map((p) => `${t.name}/${p.partitionIndex}:${p.errorCode}`));
        assert.deepEqual(answers, [
          `dup-lo/0:${ErrorCode.INVALID_REQUEST}`, `dup-lo/1:${ErrorCode.NONE}`, `dup-lo/0:${ErrorCode.INVALID_REQUEST}`,
          `dup-lo/2:${ErrorCode.INVALID_REQUEST}`, `dup-lo/2:${ErrorCode.INVALID_REQUEST}`,
          `no-such-topic/0:${ErrorCode.INVALID_REQUEST}`, `no-such-topic/0:${ErrorCode.INVALID_REQUEST}`,
        ], `v${version}`);
        assert.equal(res.topics[0]!.partitions[1]!.offset, 1, `v${version}: the non-duplicate partition is answered`);
        assert.equal(res.topics[0]!.partitions[0]!.offset, -1);
      }
      // Without duplicates the same partitions are answered normally (the broker keeps serving).
      const plain = await client.request(ListOffsets, {
        replicaId: -1, isolationLevel: 0, timeoutMs: 5000,
        topics: [{ name: 'dup-lo', partitions: [partition(0), partition(1), partition(2)] }],
      });
      assert.deepEqual(plain.topics[0]!.partitions.map((p) => [p.errorCode, p.offset]), [[0, 0], [0, 1], [0, 0]]);
    } finally {
      await client.close();
    }
  });
});
