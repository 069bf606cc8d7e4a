import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryFileSystem } from '../../../src/base/file-system.js';
import { SeededRandom } from '../../../src/base/random.js';
import { silentLogger } from '../../../src/base/logger.js';
import { BrokerConfig } from '../../../src/server/config.js';
import { ErrorCode } from '../../../src/protocol/error-codes.js';
import { TopicManager, uuidToString } from '../../../src/cluster/topic-manager.js';
import { FileMetadataStore, METADATA_DIR_NAME } from '../../../src/cluster/metadata/file-metadata-store.js';
import { ReplicaManager } from '../../../src/cluster/replica-manager.js';
import { resolveTopicSettings } from '../../../src/cluster/topic-settings.js';
import { LogManager } from '../../../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG } from '../../../src/storage/log-config.js';
import { ManualClock } from '../../../src/base/clock.js';

/**
 * A TopicManager on a journal in /data with the partition layer following it, wired as
 * start.ts does (real LogManager and ReplicaManager on the given file system).
 */
const openLogs = new WeakMap<MemoryFileSystem, LogManager>();

async function open(fs = new MemoryFileSystem(), props: Record<string, string> = {}, nodeId = 1) {
  const config = BrokerConfig.fromProperties({ 'log.dirs': '/data', ...props });
  await fs.mkdirp('/data');
  const clock = new ManualClock();
  // A reopen of the same file system stands for a restart: the previous broker is gone.
  await openLogs.get(fs)?.abandon();
  const logs = await LogManager.open({ fs, dirs: ['/data'], clock, logger: silentLogger });
  openLogs.set(fs, logs);
  const store = new FileMetadataStore({ fs, logDir: '/data', logger: silentLogger, nodeId });
  const topics = await TopicManager.open({
    store, config, random: new SeededRandom(7), logger: silentLogger, nodeId, rack: config.get<string | null>('broker.rack'),
    adoptOnFirstStart: () => logs.all().map((l) => ({ topic: l.topic, partition: l.partition })),
  });
  const replicas = new ReplicaManager({
    localBrokerId: nodeId, logs, fs, clock, logger: silentLogger,
    topicSettings: (t) => resolveTopicSettings(topics, 30_000, t), highWatermarkCheckpointIntervalMs: 60_000,
  });
  topics.addListener(replicas);
  await replicas.startup(topics.image);
  return { fs, logs, topics, config, store, replicas };
}

/** Partition logs by `topic-partition`. */
const logNames = (logs: LogManager): string[] => logs.all().map((l) => `${l.topic}-${l.partition}`).sort();

test('create, persist and reopen', async () => {
  const { fs, logs, topics } = await open();
  const r = await topics.create({ name: 'orders', numPartitions: 3, replicationFactor: 1, configs: { 'retention.ms': '1000', 'cleanup.policy': 'compact' } });
  assert.equal(r.errorCode, ErrorCode.NONE);
  assert.equal(logs.all().length, 3);
  assert.equal(logs.get('orders', 2)!.config.retentionMs, 1000);
  assert.deepEqual(logs.get('orders', 0)!.config.cleanupPolicy, { delete: false, compact: true });
  const info = topics.get('orders')!;
  assert.equal(uuidToString(info.topicId).length, 22);
  assert.equal(topics.getById(info.topicId)?.name, 'orders');
  assert.ok(await fs.exists(`/data/${METADATA_DIR_NAME}/00000000000000000000.journal`));

  // Reopen after partition 1's log was lost and a stray log appeared: the partition is
  // recreated with its config, the stray removed.
  await fs.rmrf('/data/orders-1');
  await logs.create('ghost', 0, DEFAULT_LOG_CONFIG);
  const { topics: again, logs: logs2 } = await open(fs);
  const info2 = again.get('orders')!;
  assert.ok(info2.topicId.equals(info.topicId));
  assert.deepEqual(info2.configs, { 'retention.ms': '1000', 'cleanup.policy': 'compact' });
  assert.deepEqual(logNames(logs2), ['orders-0', 'orders-1', 'orders-2'], 'partition 1 recreated, stray log removed');
  assert.equal(logs2.get('ghost', 0), undefined);
  assert.equal(logs2.get('orders', 1)!.config.retentionMs, 1000);
});

test('create errors', async () => {
  const { topics } = await open();
  await topics.create({ name: 'a.b', numPartitions: 1, replicationFactor: 1 });
  const cases: [Parameters<TopicManager['create']>[0], number, RegExp][] = [
    [{ name: 'a.b', numPartitions: 1, replicationFactor: 1 }, ErrorCode.TOPIC_ALREADY_EXISTS, /Topic 'a.b' already exists./],
    [{ name: 'a_b', numPartitions: 1, replicationFactor: 1 }, ErrorCode.INVALID_TOPIC_EXCEPTION, /collides with existing topic: a.b/],
    [{ name: 'bad name', numPartitions: 1, replicationFactor: 1 }, ErrorCode.INVALID_TOPIC_EXCEPTION, /illegal/],
    [{ name: 'x', numPartitions: 0, replicationFactor: 1 }, ErrorCode.INVALID_PARTITIONS, /non-positive/],
    [{ name: 'x', numPartitions: 1, replicationFactor: 3 }, ErrorCode.INVALID_REPLICATION_FACTOR, /^Replication factor: 3 larger than available brokers: 1.$/],
    [{ name: 'x', numPartitions: 1, replicationFactor: 0 }, ErrorCode.INVALID_REPLICATION_FACTOR, /larger than 0/],
    [{ name: 'x', numPartitions: 1, replicationFactor: 1, configs: { 'retention.ms': 'soon' } }, ErrorCode.INVALID_CONFIG, /Not a number of type LONG/],
    [{ name: 'x', numPartitions: -1, replicationFactor: -1, assignments: [[1], [2]] }, ErrorCode.INVALID_REPLICA_ASSIGNMENT, /broker 2/],
    [{ name: 'x', numPartitions: -1, replicationFactor: -1, assignments: [[1], [1, 1]] }, ErrorCode.INVALID_REPLICA_ASSIGNMENT, /more than once/],
    [{ name: 'x', numPartitions: 2, replicationFactor: -1, assignments: [[1]] }, ErrorCode.INVALID_REQUEST, /manual partition assignment/],
    [{ name: '__cluster_metadata', numPartitions: 1, replicationFactor: 1 }, ErrorCode.INVALID_REQUEST, /prohibited/],
  ];
  for (const [spec, code, msg] of cases) {
    const r = await topics.create(spec);
    assert.equal(r.errorCode, code, `${spec.name}: ${r.errorMessage}`);
    assert.match(r.errorMessage ?? '', msg);
  }
  assert.equal(topics.get('x'), undefined);
  const ok = await topics.create({ name: 'x', numPartitions: -1, replicationFactor: -1, assignments: [[1], [1]] });
  assert.equal(ok.errorCode, ErrorCode.NONE);
  assert.equal(topics.get('x')!.numPartitions, 2);
});

test('validateOnly creates nothing; defaults come from the broker', async () => {
  const { topics, logs } = await open(undefined, { 'num.partitions': '4' });
  const r = await topics.create({ name: 'v', numPartitions: -1, replicationFactor: -1, validateOnly: true });
  assert.deepEqual([r.errorCode, r.numPartitions, r.replicationFactor], [0, 4, 1]);
  assert.equal(topics.get('v'), undefined);
  assert.equal(logs.all().length, 0);
});

test('autoCreate honours auto.create.topics.enable but always creates internal topics', async () => {
  const { topics } = await open(undefined, { 'auto.create.topics.enable': 'false', 'offsets.topic.num.partitions': '3' });
  assert.equal(await topics.autoCreate('t'), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assert.equal(await topics.autoCreate('bad/name'), ErrorCode.INVALID_TOPIC_EXCEPTION);
  assert.equal(await topics.autoCreate('__consumer_offsets'), ErrorCode.NONE);
  const off = topics.get('__consumer_offsets')!;
  assert.equal(off.isInternal, true);
  assert.equal(off.numPartitions, 3);
  assert.equal(off.logConfig.cleanupPolicy.compact, true);
  const { topics: t2 } = await open();
  const codes = await Promise.all([t2.autoCreate('race'), t2.autoCreate('race')]);
  assert.deepEqual(codes, [0, 0]);
  assert.equal(t2.get('race')!.numPartitions, 1);
});

test('delete, createPartitions and alterConfigs', async () => {
  const { fs, topics, logs } = await open();
  await topics.create({ name: 't', numPartitions: 2, replicationFactor: 1 });
  assert.equal((await topics.createPartitions('t', 1)).errorCode, ErrorCode.INVALID_PARTITIONS);
  assert.match((await topics.createPartitions('t', 2)).errorMessage!, /^Topic already has 2 partition\(s\).$/);
  assert.equal((await topics.createPartitions('nope', 5)).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assert.equal((await topics.createPartitions('t', 4, { assignments: [[1]] })).errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  assert.equal((await topics.createPartitions('t', 4, { validateOnly: true })).errorCode, ErrorCode.NONE);
  assert.equal(topics.get('t')!.numPartitions, 2);
  assert.equal((await topics.createPartitions('t', 4)).errorCode, ErrorCode.NONE);
  assert.equal(topics.get('t')!.numPartitions, 4);
  assert.ok(logs.get('t', 3));

  assert.equal((await topics.alterConfigs('t', { 'segment.bytes': 'x' })).errorCode, ErrorCode.INVALID_CONFIG);
  assert.equal((await topics.alterConfigs('t', { 'segment.bytes': '2048' })).errorCode, ErrorCode.NONE);
  assert.equal(logs.get('t', 3)!.config.segmentBytes, 2048);
  assert.equal((await topics.alterConfigs('t', {})).errorCode, ErrorCode.NONE);
  assert.equal(logs.get('t', 3)!.config.segmentBytes, 1073741824);

  assert.equal((await topics.delete('t')).errorCode, ErrorCode.NONE);
  assert.equal(logs.all().length, 0);
  assert.equal((await topics.delete('t')).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const { topics: again } = await open(fs);
  assert.equal(again.get('t'), undefined);
});

test('delete.topic.enable=false', async () => {
  const { topics } = await open(undefined, { 'delete.topic.enable': 'false' });
  await topics.create({ name: 't', numPartitions: 1, replicationFactor: 1 });
  assert.equal((await topics.delete('t')).errorCode, ErrorCode.TOPIC_DELETION_DISABLED);
  assert.ok(topics.get('t'));
});

test('dynamic broker configs change topics without overrides and persist', async () => {
  const { fs, topics, logs, config } = await open();
  await topics.create({ name: 'plain', numPartitions: 1, replicationFactor: 1 });
  await topics.create({ name: 'own', numPartitions: 1, replicationFactor: 1, configs: { 'retention.ms': '5' } });
  await topics.alterBrokerConfigs('default', { 'log.retention.ms': '1234' });
  assert.equal(config.getLong('log.retention.ms'), 1234);
  assert.equal(logs.get('plain', 0)!.config.retentionMs, 1234);
  assert.equal(logs.get('own', 0)!.config.retentionMs, 5);
  assert.equal(topics.configValue('plain', 'retention.ms'), '1234');
  assert.equal(topics.configValue('own', 'retention.ms'), '5');
  assert.equal(topics.configValue('own', 'message.timestamp.type'), 'CreateTime');
  assert.equal(topics.configValue('own', 'no.such'), undefined);
  const { topics: again, config: config2 } = await open(fs);
  assert.equal(again.get('plain')!.logConfig.retentionMs, 1234);
  assert.equal(config2.getLong('log.retention.ms'), 1234);
  await again.alterBrokerConfigs('default', {});
  assert.equal(again.get('plain')!.logConfig.retentionMs, 604800000);
  assert.equal(config2.get('log.retention.ms'), null);
});

test('a corrupt old metadata file refuses to open rather than losing topics', async () => {
  const fs = new MemoryFileSystem();
  await fs.mkdirp('/data');
  await fs.writeFileAtomic('/data/sherwood-metadata.json', Buffer.from('{not json'));
  await assert.rejects(open(fs), /not valid JSON/);
});

test('a failed metadata write changes nothing, and a crash after success keeps the topic', async () => {
  const { fs, topics, logs } = await open();
  await topics.create({ name: 'first', numPartitions: 1, replicationFactor: 1 });
  fs.failNextSync();
  await assert.rejects(topics.create({ name: 'second', numPartitions: 2, replicationFactor: 1 }));
  assert.equal(topics.get('second'), undefined, 'not visible after the failed write');
  assert.equal(logs.get('second', 0), undefined, 'no logs created');
  fs.failNextSync();
  await assert.rejects(topics.delete('first'));
  assert.ok(topics.get('first'), 'still there after a failed delete');
  // The manager keeps working after a failure.
  assert.equal((await topics.create({ name: 'third', numPartitions: 1, replicationFactor: 1 })).errorCode, 0);
  fs.crash();
  const { topics: again } = await open(fs);
  assert.deepEqual(again.list().map((t) => t.name).sort(), ['first', 'third']);
});

test('logs found without any metadata file are adopted as topics', async () => {
  const fs = new MemoryFileSystem();
  await fs.mkdirp('/data');
  const seed = await LogManager.open({ fs, dirs: ['/data'], clock: new ManualClock(), logger: silentLogger });
  for (const p of [0, 1]) await seed.create('legacy', p, DEFAULT_LOG_CONFIG);
  await seed.close();
  const { topics } = await open(fs);
  assert.equal(topics.get('legacy')?.numPartitions, 2);
  assert.deepEqual(topics.get('legacy')!.partitions.map((p) => p.leader), [1, 1]);
  // Adopted for good: a restart keeps the topic and its id.
  const { topics: again } = await open(fs);
  assert.ok(again.get('legacy')!.topicId.equals(topics.get('legacy')!.topicId));
});

test('the broker registers itself once, and again when its rack changes', async () => {
  const fs = new MemoryFileSystem();
  const { topics, store } = await open(fs, {}, 1);
  assert.deepEqual([...topics.image.brokers()], [{ brokerId: 1, rack: null }]);
  const offset = topics.image.offset;
  await store.close();
  const { topics: same, store: s2 } = await open(fs, {}, 1);
  assert.equal(same.image.offset, offset, 'no new record on a plain restart');
  await s2.close();
  const { topics: moved } = await open(fs, { 'broker.rack': 'r2' }, 1);
  assert.deepEqual([...moved.image.brokers()], [{ brokerId: 1, rack: 'r2' }]);
});

test('partition registrations: this broker leads every partition at leader epoch 0; assignments are kept', async () => {
  const { topics } = await open();
  await topics.create({ name: 'p', numPartitions: 2, replicationFactor: 1 });
  await topics.create({ name: 'q', numPartitions: -1, replicationFactor: -1, assignments: [[1], [1], [1]] });
  assert.deepEqual(topics.get('p')!.partitions, [
    { replicas: [1], isr: [1], leader: 1, leaderEpoch: 0, partitionEpoch: 0 },
    { replicas: [1], isr: [1], leader: 1, leaderEpoch: 0, partitionEpoch: 0 },
  ]);
  assert.equal(topics.get('q')!.numPartitions, 3);
  assert.deepEqual(topics.brokerIds(), [1]);
});

test('listeners run in registration order and a change resolves only after all of them', async () => {
  const { topics } = await open();
  const events: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  topics.addListener({ async onMetadataUpdate(changes) { events.push(`first ${changes.createdTopics.map((t) => t.name)}`); await gate; events.push('first done'); } });
  topics.addListener({ async onMetadataUpdate() { events.push('second'); } });
  const created = topics.create({ name: 'l', numPartitions: 1, replicationFactor: 1 }).then(() => events.push('resolved'));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(events, ['first l']);
  assert.ok(topics.get('l'), 'readers see the new image while listeners run');
  release();
  await created;
  assert.deepEqual(events, ['first l', 'first done', 'second', 'resolved']);
  // A failing listener fails the change (after the others ran); the metadata stays changed.
  topics.addListener({ async onMetadataUpdate() { throw new Error('disk full'); } });
  await assert.rejects(topics.create({ name: 'm', numPartitions: 1, replicationFactor: 1 }), /disk full/);
  assert.ok(topics.get('m'));
});

test('DeleteTopics of many names is one metadata append', async () => {
  const { topics, store, logs } = await open();
  for (const n of ['a', 'b', 'c']) await topics.create({ name: n, numPartitions: 2, replicationFactor: 1 });
  const before = store.stats.batches;
  const results = await topics.deleteMany(['a', 'nope', 'c', 'a']);
  assert.deepEqual(results.map((r) => r.errorCode), [0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
  assert.equal(store.stats.batches, before + 1);
  assert.deepEqual(logNames(logs), ['b-0', 'b-1']);
});

test('sherwood.max.broker.partitions bounds creation, auto-creation and CreatePartitions', async () => {
  const { topics } = await open(undefined, { 'sherwood.max.broker.partitions': '5', 'num.partitions': '2' });
  assert.equal((await topics.create({ name: 'a', numPartitions: 4, replicationFactor: 1 })).errorCode, 0);
  const r = await topics.create({ name: 'b', numPartitions: 2, replicationFactor: 1 });
  assert.equal(r.errorCode, ErrorCode.POLICY_VIOLATION);
  assert.match(r.errorMessage!, /would exceed the limit of 5 per broker/);
  assert.deepEqual(await topics.autoCreateMany(['auto']), [ErrorCode.POLICY_VIOLATION]);
  assert.equal((await topics.createPartitions('a', 6)).errorCode, ErrorCode.POLICY_VIOLATION);
  assert.equal((await topics.createPartitions('a', 5)).errorCode, ErrorCode.NONE);
  assert.equal(topics.get('b'), undefined);
});
