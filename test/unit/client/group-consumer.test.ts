/**
 * GroupConsumer against a real in-process broker: two members split a topic, a member joining
 * later takes partitions over without losing or repeating records, close() leaves the group,
 * auto.offset.reset=none fails by name, and wakeup() interrupts a poll.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../../helpers/broker.js';
import { DescribeGroups, GroupConsumer, KafkaClient, WakeupError, type ConsumedRecord } from '../../../src/client/index.js';
import type { RunningBroker } from '../../../src/index.js';

const FAST = { overrides: { 'group.initial.rebalance.delay.ms': '0' } };

async function produceSpread(client: KafkaClient, topic: string, partitions: number, perPartition: number, tag: string): Promise<string[]> {
  const values: string[] = [];
  for (let p = 0; p < partitions; p++) {
    const batch = Array.from({ length: perPartition }, (_, i) => `${tag}-${p}-${i}`);
    values.push(...batch);
    await client.produce(topic, p, batch.map((v) => ({ key: null, value: v })));
  }
  return values;
}

/**
 * Polls each consumer in its own loop (as separate processes would: a member blocked in
 * JoinGroup must not stop the others from polling) until `want` records arrived in total
 * and `also()` holds.
 */
async function pollUntil(consumers: GroupConsumer[], got: Map<GroupConsumer, ConsumedRecord[]>, want: number, timeoutMs = 30_000,
  also: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const total = () => [...got.values()].reduce((n, l) => n + l.length, 0);
  await Promise.all(consumers.map(async (c) => {
    while (total() < want || !also()) {
      assert.ok(Date.now() < deadline, `only ${total()} of ${want} records arrived`);
      const records = await c.poll(100);
      got.set(c, [...(got.get(c) ?? []), ...records]);
    }
  }));
}

async function describe(b: RunningBroker, client: KafkaClient, group: string) {
  const res = await client.request(DescribeGroups, { groups: [group], includeAuthorizedOperations: false });
  void b;
  return res.groups[0]!;
}

test('two members split a 3-partition topic (range: 2 + 1), commit, and leave on close', { timeout: 60_000 }, async () => {
  await withBroker(async (b) => {
    await b.broker.topics.create({ name: 'gc-split', numPartitions: 3, replicationFactor: 1, configs: {} });
    const client = await KafkaClient.connect(b.bootstrap, { clientId: 'gc-test' });
    const c1 = await KafkaClient.connect(b.bootstrap, { clientId: 'member-1' });
    const c2 = await KafkaClient.connect(b.bootstrap, { clientId: 'member-2' });
    const opts = { groupId: 'gc-split-g', topics: ['gc-split'], autoOffsetReset: 'earliest' as const, heartbeatIntervalMs: 200 };
    const a = new GroupConsumer(c1, opts);
    const bb = new GroupConsumer(c2, opts);
    try {
      // Both join before any record exists, so each must end up reading its own partitions.
      await Promise.all([a.poll(100), bb.poll(100)]);
      for (const deadline = Date.now() + 20_000; ;) {
        const g = await describe(b, client, 'gc-split-g');
        const owned = a.assignment().flatMap((t) => t.partitions).length + bb.assignment().flatMap((t) => t.partitions).length;
        if (g.groupState === 'Stable' && g.members.length === 2 && owned === 3) break;
        assert.ok(Date.now() < deadline, `group never settled: ${g.groupState} with ${g.members.length} members`);
        await Promise.all([a.poll(100), bb.poll(100)]);
      }
      assert.deepEqual([a.assignment(), bb.assignment()].map((x) => x.flatMap((t) => t.partitions).length).sort(), [1, 2]);
      assert.equal(a.protocolName, 'range');

      const values = await produceSpread(client, 'gc-split', 3, 10, 'v');
      const got = new Map<GroupConsumer, ConsumedRecord[]>();
      await pollUntil([a, bb], got, 30);
      const va = got.get(a)!.map((r) => r.value!.toString());
      const vb = got.get(bb)!.map((r) => r.value!.toString());
      assert.equal(va.filter((v) => vb.includes(v)).length, 0, 'disjoint');
      assert.deepEqual([...va, ...vb].sort(), values.sort());
      assert.ok(va.length > 0 && vb.length > 0);
    } finally {
      await a.close();
      await bb.close();
      await c1.close();
      await c2.close();
    }
    // close() committed and left: the group is empty and its offsets are at the end.
    const g = await describe(b, client, 'gc-split-g');
    assert.equal(g.groupState, 'Empty');
    const committed = await client.fetchCommittedOffsets('gc-split-g', 'gc-split', [0, 1, 2]);
    assert.deepEqual([...committed.values()], [10, 10, 10]);
    await client.close();
  }, FAST);
});

test('a member joining later takes partitions over with nothing lost or repeated', { timeout: 60_000 }, async () => {
  await withBroker(async (b) => {
    await b.broker.topics.create({ name: 'gc-late', numPartitions: 4, replicationFactor: 1, configs: {} });
    const client = await KafkaClient.connect(b.bootstrap);
    const c1 = await KafkaClient.connect(b.bootstrap);
    const c2 = await KafkaClient.connect(b.bootstrap);
    const opts = { groupId: 'gc-late-g', topics: ['gc-late'], autoOffsetReset: 'earliest' as const, heartbeatIntervalMs: 100, maxPollRecords: 7, assignors: ['roundrobin' as const] };
    const a = new GroupConsumer(c1, opts);
    const late = new GroupConsumer(c2, opts);
    try {
      const first = await produceSpread(client, 'gc-late', 4, 25, 'first');
      const got = new Map<GroupConsumer, ConsumedRecord[]>();
      // a alone owns all four partitions and returns part of the data (7 records a poll).
      await pollUntil([a], got, 20);
      assert.equal(a.assignment()[0]!.partitions.length, 4);
      // The newcomer joins; a notices by heartbeat, commits what it returned, and rejoins.
      const settled = () => a.generationId === late.generationId && a.assignment().length > 0 && late.assignment().length > 0;
      await pollUntil([a, late], got, 100, 30_000, settled);
      const second = await produceSpread(client, 'gc-late', 4, 25, 'second');
      await pollUntil([a, late], got, 200);
      const all = [...got.get(a)!, ...(got.get(late) ?? [])].map((r) => r.value!.toString());
      assert.equal(new Set(all).size, all.length, 'no record returned twice');
      assert.deepEqual(all.sort(), [...first, ...second].sort());
      assert.equal(a.protocolName, 'roundrobin');
      assert.deepEqual([a.assignment(), late.assignment()].map((x) => x[0]?.partitions.length), [2, 2]);
      assert.ok(got.get(late)!.some((r) => r.value!.toString().startsWith('second')));
    } finally {
      await a.close();
      await late.close();
      await Promise.all([c1.close(), c2.close(), client.close()]);
    }
  }, FAST);
});

test('auto.offset.reset=none without committed offsets fails, naming the partitions', { timeout: 30_000 }, async () => {
  await withBroker(async (b) => {
    await b.broker.topics.create({ name: 'gc-none', numPartitions: 1, replicationFactor: 1, configs: {} });
    const client = await KafkaClient.connect(b.bootstrap);
    const c = new GroupConsumer(client, { groupId: 'gc-none-g', topics: ['gc-none'], autoOffsetReset: 'none' });
    try {
      await assert.rejects(c.poll(100), /Undefined offset with no reset policy for partitions: \[gc-none-0\]/);
    } finally {
      await c.close();
      await client.close();
    }
  }, FAST);
});

test('wakeup() interrupts a poll waiting for records', { timeout: 30_000 }, async () => {
  await withBroker(async (b) => {
    await b.broker.topics.create({ name: 'gc-wake', numPartitions: 1, replicationFactor: 1, configs: {} });
    const client = await KafkaClient.connect(b.bootstrap);
    const c = new GroupConsumer(client, { groupId: 'gc-wake-g', topics: ['gc-wake'], fetch: { maxWaitMs: 10_000 } });
    try {
      await c.poll(10);
      const started = Date.now();
      const pending = c.poll(10_000);
      setTimeout(() => c.wakeup(), 100);
      await assert.rejects(pending, WakeupError);
      assert.ok(Date.now() - started < 5_000);
    } finally {
      await c.close();
      await client.close();
    }
  }, FAST);
});
