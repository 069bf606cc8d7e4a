/**
 * Regression (chaos campaign, seed 20261205, 2026-12-05 17:19 run, finding 9): a KafkaJS
 * read_committed consumer returned a record of an aborted transaction. The transaction had
 * started (offset 14831) before another one that was aborted first, so the Fetch response's
 * abortedTransactions — the transaction index's order, the order of the abort markers, as
 * Kafka returns them — listed the later-started transaction first. KafkaJS 2.2.4 assumes the
 * list is sorted by first offset (it looks only at its head), so it never started skipping the
 * earlier transaction. The Java client and librdkafka sort the list themselves; Sherwood now
 * answers it sorted by first offset, which every client reads correctly.
 *
 * Two transactions on one partition: A starts first, B second; B aborts, then A. KafkaJS and
 * kcat (librdkafka) at read_committed see only the record written after both.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { startTestBroker } from '../helpers/broker.js';
import { kcat } from '../helpers/clients.js';
import { untilValue } from '../helpers/wait.js';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { Fetch } from '../../src/protocol/messages/fetch.js';
import { ZERO_UUID } from '../../src/protocol/primitives.js';

test('issue: aborted transactions listed by first offset; KafkaJS and librdkafka read_committed skip both', { timeout: 120_000 }, async () => {
  const b = await startTestBroker({ overrides: { 'transaction.state.log.num.partitions': '3', 'offsets.topic.num.partitions': '3', 'group.initial.rebalance.delay.ms': '0' } });
  const kafka = new Kafka({ clientId: 'abort-order', brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 50 } });
  const c = await KafkaClient.connect(b.bootstrap, { clientId: 'abort-order-check' });
  const topic = 'abort-order';
  try {
    await b.broker.topics.create({ name: topic, numPartitions: 1, replicationFactor: 1, configs: {} });
    const [pa, pb] = ['txn-a', 'txn-b'].map((id) => kafka.producer({ transactionalId: id, idempotent: true, maxInFlightRequests: 1 }));
    const plain = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    for (const p of [pa!, pb!, plain]) await p.connect();
    try {
      const ta = await pa!.transaction();
      await ta.send({ topic, messages: [{ value: 'A0', partition: 0 }, { value: 'A1', partition: 0 }] }); // offsets 0-1
      const tb = await pb!.transaction();
      await tb.send({ topic, messages: [{ value: 'B0', partition: 0 }] }); // offset 2
      await tb.abort(); // marker at 3
      await ta.abort(); // marker at 4
      await plain.send({ topic, messages: [{ value: 'C0', partition: 0 }] }); // offset 5
    } finally {
      for (const p of [pa!, pb!, plain]) await p.disconnect();
    }

    // On the wire: both listed, by first offset (the markers were written B, then A).
    const res = await c.request(Fetch, {
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 1, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic, topicId: ZERO_UUID, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20, replicaDirectoryId: ZERO_UUID }] }],
      forgottenTopicsData: [], rackId: '',
    }, { version: 11 });
    const p = res.responses[0]!.partitions[0]!;
    assert.equal(p.lastStableOffset, 6);
    assert.deepEqual(p.abortedTransactions?.map((t) => t.firstOffset), [0, 2]);

    // KafkaJS, read_committed.
    const consumer = kafka.consumer({ groupId: 'abort-order-reader', maxWaitTimeInMs: 100, sessionTimeout: 10_000, heartbeatInterval: 500 });
    const got: string[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ autoCommit: false, eachMessage: async ({ message }) => { got.push(message.value!.toString()); } });
      await untilValue('KafkaJS to reach C0', async () => got.includes('C0'), (x) => x);
    } finally {
      await consumer.disconnect();
    }
    assert.deepEqual(got, ['C0']);

    // librdkafka (kcat), read_committed.
    const r = await kcat(['-C', '-b', b.bootstrap, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-X', 'isolation.level=read_committed', '-f', '%s\n']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['C0']);
  } finally {
    await c.close();
    await b.close();
  }
});
