/**
 * KafkaJS 2.2.4 consumer groups: two members on a 4-partition topic get disjoint assignments
 * that cover every partition; the admin client's describeGroups / listGroups / fetchOffsets
 * report the group, its members and the committed offsets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { startTestBroker } from '../helpers/broker.js';
import { until } from '../helpers/wait.js';

test('kafkajs: two members split a 4-partition topic; admin APIs report the group', { timeout: 90_000 }, async () => {
  const b = await startTestBroker({ overrides: { 'group.initial.rebalance.delay.ms': '300', 'offsets.topic.num.partitions': '3' } });
  const kafka = new Kafka({ brokers: [b.bootstrap], clientId: 'groups-kafkajs', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const consumers: Consumer[] = [];
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'kjs', numPartitions: 4 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'kjs', messages: Array.from({ length: 40 }, (_, i) => ({ partition: i % 4, value: `v${i}` })) });
    await producer.disconnect();

    const assignments = new Map<string, number[]>();
    const consumed: string[] = [];
    for (let i = 0; i < 2; i++) {
      // KafkaJS heartbeats (and so learns of a rebalance) and stops only between fetches: short
      // long polls, or every rebalance and disconnect waits out its default 5 s maxWaitTime.
      const c = kafka.consumer({ groupId: 'g-kjs', sessionTimeout: 10000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
      consumers.push(c);
      c.on(c.events.GROUP_JOIN, (e) => {
        assignments.set(e.payload.memberId, (e.payload.memberAssignment['kjs'] ?? []).slice().sort());
      });
      await c.connect();
      await c.subscribe({ topic: 'kjs', fromBeginning: true });
      await c.run({ eachMessage: async ({ message }) => { consumed.push(message.value!.toString()); } });
    }
    let g: unknown;
    await until('the group to settle with two members and every record consumed', async () => {
      const d = (await admin.describeGroups(['g-kjs'])).groups[0]!;
      g = d;
      const owned = [...assignments.values()].flat().sort();
      return d.state === 'Stable' && d.members.length === 2 && assignments.size >= 2 && consumed.length >= 40 &&
        owned.length === 4 && [...assignments.values()].every((a) => a.length === 2);
    }, { timeoutMs: 40_000, intervalMs: 100, detail: () => JSON.stringify({ g, assignments: [...assignments], consumed: consumed.length }) });
    const d = (await admin.describeGroups(['g-kjs'])).groups[0]!;
    assert.equal(d.protocolType, 'consumer');
    assert.equal(d.protocol, 'RoundRobinAssigner');
    const memberIds = d.members.map((m) => m.memberId).sort();
    const current = memberIds.map((id) => assignments.get(id));
    assert.ok(current.every((a) => a !== undefined), 'describeGroups lists the members that joined');
    assert.deepEqual(current.flat().sort(), [0, 1, 2, 3], 'disjoint and covering');
    for (const m of d.members) {
      assert.equal(m.clientId, 'groups-kafkajs');
      assert.ok(m.memberAssignment.length > 0, 'assignment bytes are reported when Stable');
    }
    assert.deepEqual(consumed.slice().sort(), Array.from({ length: 40 }, (_, i) => `v${i}`).sort());

    const listed = await admin.listGroups();
    assert.deepEqual(listed.groups.filter((g) => g.groupId === 'g-kjs'), [{ groupId: 'g-kjs', protocolType: 'consumer' }]);

    // KafkaJS commits on its own schedule; stop the consumers (which commit) and check.
    for (const c of consumers.splice(0)) await c.disconnect();
    const offsets = await admin.fetchOffsets({ groupId: 'g-kjs', topics: ['kjs'] });
    assert.deepEqual(offsets[0]!.partitions.map((p) => [p.partition, p.offset]).sort(), [[0, '10'], [1, '10'], [2, '10'], [3, '10']]);
    const after = (await admin.describeGroups(['g-kjs'])).groups[0]!;
    assert.equal(after.state, 'Empty', 'members left with LeaveGroup');
    await admin.deleteGroups(['g-kjs']);
    assert.equal((await admin.describeGroups(['g-kjs'])).groups[0]!.state, 'Dead');
  } finally {
    for (const c of consumers) await c.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await b.close();
  }
});
