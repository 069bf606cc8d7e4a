/**
 * The cluster controller in one process: a TopicManager (journal on a memory file system),
 * brokers in a MemoryMembershipGroup, the controller acting only while it holds the role.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryFileSystem } from '../../../../src/base/file-system.js';
import { ManualClock } from '../../../../src/base/clock.js';
import { SeededRandom } from '../../../../src/base/random.js';
import { silentLogger } from '../../../../src/base/logger.js';
import { BrokerConfig } from '../../../../src/server/config.js';
import { TopicManager } from '../../../../src/cluster/topic-manager.js';
import { FileMetadataStore } from '../../../../src/cluster/metadata/file-metadata-store.js';
import { ClusterController } from '../../../../src/cluster/controller/cluster-controller.js';
import { MemoryMembershipGroup } from '../../../../src/cluster/membership/memory-broker-membership.js';
import { ErrorCode } from '../../../../src/protocol/error-codes.js';
import { brokerInfo } from '../../../helpers/membership-contract.js';

const SESSION_MS = 10_000;

async function setup(options: { live?: number[] } = {}) {
  const fs = new MemoryFileSystem();
  await fs.mkdirp('/data');
  const group = new MemoryMembershipGroup();
  const membership = group.member();
  const others = [group.member(), group.member()];
  const store = new FileMetadataStore({ fs, logDir: '/data', logger: silentLogger, nodeId: 1 });
  const topics = await TopicManager.open({
    store, config: BrokerConfig.fromProperties({ 'log.dirs': '/data' }), random: new SeededRandom(3), logger: silentLogger, nodeId: 1,
    liveBrokers: () => membership.liveBrokers(),
  });
  // The other brokers' registrations, as their own TopicManagers would write them.
  await topics.applyChange(() => ({ results: [], records: [2, 3].map((brokerId) => ({ type: 'RegisterBrokerRecord' as const, brokerId, rack: null })) }));
  const live = options.live ?? [1, 2, 3];
  await membership.register(brokerInfo(1));
  if (live.includes(2)) await others[0]!.register(brokerInfo(2));
  if (live.includes(3)) await others[1]!.register(brokerInfo(3));
  const clock = new ManualClock();
  const controller = new ClusterController({ membership, topics, clock, logger: silentLogger, sessionTimeoutMs: SESSION_MS });
  controller.start();
  return { group, topics, controller, membership, clock, others };
}

/** Resolves once the topic's partitions satisfy `pred` (the controller writes asynchronously). */
async function until(topics: TopicManager, pred: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !pred(); i++) await new Promise((r) => setImmediate(r));
  assert.ok(pred(), 'condition never held');
}

test('replication factor 3 places every partition on the three live brokers, leaders spread', async () => {
  const { topics } = await setup();
  const r = await topics.create({ name: 'spread', numPartitions: 3, replicationFactor: 3 });
  assert.equal(r.errorCode, ErrorCode.NONE);
  const parts = topics.get('spread')!.partitions;
  for (const p of parts) assert.deepEqual([...p.replicas].sort(), [1, 2, 3]);
  assert.deepEqual(parts.map((p) => p.leader).sort(), [1, 2, 3]);
});

test('a broker\'s session ends: the controller elects new leaders from the ISR with epoch + 1; it returns and rejoins leadership of leaderless ones', async () => {
  const { group, topics, controller } = await setup();
  await topics.create({ name: 't', numPartitions: 3, replicationFactor: 3 });
  const before = topics.get('t')!.partitions;
  const victim = before.find((p) => p.leader !== 1)!.leader;
  group.expire(victim, { rejoin: false });
  await until(topics, () => topics.get('t')!.partitions.every((p) => p.leader !== victim && !p.isr.includes(victim)));
  topics.get('t')!.partitions.forEach((p, i) => {
    const was = before[i]!;
    assert.equal(p.leaderEpoch, was.leader === victim ? was.leaderEpoch + 1 : was.leaderEpoch);
    assert.deepEqual(p.isr, was.isr.filter((b) => b !== victim));
  });
  assert.ok(controller.elections >= 1);
});

test('only the controller writes: a broker that is not controller changes nothing', async () => {
  const { group, topics, membership } = await setup();
  await topics.create({ name: 't', numPartitions: 3, replicationFactor: 3 });
  // Broker 1 (this one) loses the controller role; broker 2 takes it, but nobody runs its controller here.
  group.expire(1);
  assert.equal(membership.isController(), false);
  const offset = topics.image.offset;
  group.expire(3, { rejoin: false });
  for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
  assert.equal(topics.image.offset, offset);
});

test('a cold start: a broker never seen alive gets one session timeout to register before its leaderships move', async () => {
  const { topics, clock, others } = await setup({ live: [1] });
  // Leaders on 2 and 3, as a previous run of the cluster left them.
  await topics.applyChange((image) => ({ results: [], records: [
    { type: 'TopicRecord', name: 'old', topicId: Buffer.alloc(16, 7) },
    { type: 'PartitionRecord', topicId: Buffer.alloc(16, 7), partitionId: 0, replicas: [2, 1], isr: [2, 1], leader: 2, leaderEpoch: 5, partitionEpoch: 5 },
    { type: 'PartitionRecord', topicId: Buffer.alloc(16, 7), partitionId: 1, replicas: [3, 1], isr: [3, 1], leader: 3, leaderEpoch: 5, partitionEpoch: 5 },
  ] }));
  for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
  assert.deepEqual(topics.get('old')!.partitions.map((p) => p.leader), [2, 3], 'nothing moves within the grace');
  await others[0]!.register(brokerInfo(2));
  clock.advance(SESSION_MS);
  await until(topics, () => topics.get('old')!.partitions[1]!.leader === 1);
  const [p0, p1] = topics.get('old')!.partitions;
  assert.deepEqual([p0!.leader, p0!.leaderEpoch, p0!.isr], [2, 5, [2, 1]], 'broker 2 registered in time and keeps leading');
  assert.deepEqual([p1!.leader, p1!.leaderEpoch, p1!.isr], [1, 6, [1]], 'broker 3 never came: its leadership moved after the grace');
});
