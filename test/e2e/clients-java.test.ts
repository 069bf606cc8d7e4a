/**
 * Apache Kafka's Java client (kafka-clients 4.x, test/java) against the broker:
 * - the AdminClient creates and describes a 3-partition topic and describes the cluster (node
 *   id, cluster id, topic id as the broker knows them);
 * - the producer sends 10,000 keyed records with acks=all; a consumer in a group reads every
 *   one back exactly (count, per-partition order = send order, key, value and header at the
 *   offset its delivery report gave) and commits; a second consumer in the same group then gets
 *   nothing and starts at the committed offsets;
 * - lz4 and zstd batches round-trip and the broker stores them compressed (read back from the
 *   partition log with our own decoder);
 * - kafka-clients 4.4 knows every version we serve, so it sends our highest version of every API
 *   it uses: each of those is checked against the reference client here, as are incremental
 *   fetch sessions (KIP-227);
 * - the harness itself: one-shot and shell runs, bad arguments rejected, client failures
 *   reported as data or as errors that carry the client's log.
 *
 * Idempotence: the Java producer's defaults (enable.idempotence=true, acks=all) are used as they
 * are: InitProducerId gives it a producer id and the partitions check its sequences.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { JavaError, javaClients, javaShell, javaSkip, kafkaClientsVersion, type DeliveryReport, type JavaRecord } from '../helpers/java.js';
import { VersionRecorder, advertisedApis, formatVersionSet } from '../helpers/version-recorder.js';
import { decodeBatches } from '../../src/protocol/records.js';
import { Compression, compressionOf } from '../../src/protocol/record-batch.js';
import type { RunningBroker } from '../../src/index.js';

/** Quick group joins: no initial rebalance delay, one offsets partition. */
const OVERRIDES = { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '1' };


test('Java client with its default settings (idempotent, acks=all): AdminClient, 10,000 records through a 3-partition topic, a consumer group that commits', { skip: javaSkip, timeout: 180_000 }, async (t) => {
  await withBroker(async (b) => {
    const recorder = VersionRecorder.attach(b);
    const java = await javaShell(b.bootstrap);
    try {
      const topic = 'java-10k';
      const created = await java.admin('create-topics', { topic, partitions: 3, replicationFactor: 1 });
      const topicId = b.broker.topics.get(topic)!.topicId.toString('base64url');
      assert.deepEqual(created, { [topic]: { topicId, partitions: 3, replicationFactor: 1 } });
      const described = await java.admin('describe-topics', { topic });
      const node = b.broker.nodeId;
      assert.deepEqual(described, {
        [topic]: { topicId, internal: false, partitions: [0, 1, 2].map((partition) => ({ partition, leader: node, replicas: [node], isr: [node] })) },
      });
      const cluster = await java.admin('describe-cluster');
      assert.deepEqual(cluster, { clusterId: b.broker.clusterId, controller: node, nodes: [{ id: node, host: b.host, port: b.port, rack: null }] });

      const N = 10_000;
      const produced = await java.produce({
        topic, count: N, key: 'key-{i}', value: 'value-{i}', header: { index: '{i}' },
        props: { 'linger.ms': 5 },
      });
      assert.deepEqual({ ...produced.summary, ms: 0 }, { topic, count: N, sent: N, acked: N, failed: 0, errors: [], ms: 0 });
      assert.equal(produced.reports.length, N);
      // Where each record went, by its delivery report; per partition, send order = offset order, with no gap.
      const at = new Map<string, number>();
      const byPartition = new Map<number, DeliveryReport[]>();
      for (const r of [...produced.reports].sort((x, y) => x.i - y.i)) {
        assert.equal(r.error, undefined);
        at.set(`${r.partition}:${r.offset}`, r.i);
        byPartition.set(r.partition!, [...(byPartition.get(r.partition!) ?? []), r]);
      }
      assert.deepEqual([...byPartition.keys()].sort(), [0, 1, 2], 'the default partitioner used every partition');
      for (const [p, reports] of byPartition) {
        assert.deepEqual(reports.map((r) => r.offset), reports.map((_, k) => k), `partition ${p}: offsets in send order, from 0, no gap`);
        assert.equal(b.broker.partitionLog(topic, p)!.highWatermark, reports.length);
      }

      const consumed = await java.consume({
        topic, max: N, fromBeginning: true, commit: 'sync', timeoutMs: 90_000,
        props: { 'group.id': 'java-group', 'enable.auto.commit': false },
      });
      assert.equal(consumed.summary.timedOut, false);
      assert.equal(consumed.records.length, N);
      const ends = Object.fromEntries([...byPartition].map(([p, reports]) => [`${topic}-${p}`, reports.length]));
      const seenIndexes = new Set<number>();
      const lastOffset = new Map<number, number>();
      for (const r of consumed.records as JavaRecord[]) {
        const i = at.get(`${r.partition}:${r.offset}`);
        assert.ok(i !== undefined, `record at ${r.partition}:${r.offset} was never acknowledged there`);
        assert.deepEqual([r.key, r.value, r.headers], [`key-${i}`, `value-${i}`, [['index', String(i)]]]);
        assert.ok(r.offset > (lastOffset.get(r.partition) ?? -1), `partition ${r.partition}: offsets increase`);
        lastOffset.set(r.partition, r.offset);
        seenIndexes.add(i);
      }
      assert.equal(seenIndexes.size, N, 'every record exactly once');
      assert.deepEqual(consumed.summary.committed, ends, 'committed the end of every partition');
      assert.deepEqual(consumed.summary.positions, ends);
      assert.deepEqual(consumed.rebalances.map((e) => e.type), ['assigned', 'revoked'], 'joined once, left on close');
      assert.deepEqual(await java.admin('list-group-offsets', { group: 'java-group' }), ends);

      const again = await java.consume({ topic, idleMs: 2000, timeoutMs: 60_000, props: { 'group.id': 'java-group', 'enable.auto.commit': false } });
      assert.equal(again.summary.timedOut, false);
      assert.equal(again.records.length, 0, 'nothing new for the group');
      assert.deepEqual(again.summary.positions, ends, 'the second consumer starts at the committed offsets');
      assert.deepEqual(again.rebalances[0], { type: 'assigned', partitions: [0, 1, 2].map((p) => `${topic}-${p}`) });

      const groups = await java.admin('list-groups');
      assert.deepEqual(groups, [{ groupId: 'java-group', type: 'CLASSIC', protocol: 'consumer', state: 'EMPTY' }]);
    } finally {
      await java.close();
    }
    // The client picks min(its maximum, ours) per API; it knows every version we serve.
    const { versions, fetchSessions } = recorder.take();
    // KIP-227: the Java consumer opens a fetch session and continues it incrementally (the idle
    // second consumer fetches several times), the first real client here to do so.
    assert.ok(fetchSessions.has('new session') && fetchSessions.has('incremental'), `fetch sessions: ${[...fetchSessions]}`);
    const ours = new Map(advertisedApis(b).map((a) => [a.name, a.maxVersion]));
    t.diagnostic(`Java client used: ${[...versions].map(([api, vs]) => `${api} ${formatVersionSet(vs)}`).join(', ')}`);
    for (const api of ['ApiVersions', 'Metadata', 'CreateTopics', 'DescribeCluster', 'Produce', 'Fetch', 'ListOffsets', 'FindCoordinator', 'JoinGroup', 'SyncGroup',
      'OffsetCommit', 'OffsetFetch', 'OffsetForLeaderEpoch', 'LeaveGroup', 'ListGroups']) {
      assert.deepEqual([...(versions.get(api) ?? [])], [ours.get(api)], `${api}: the Java client sends our highest version`);
    }
  }, { overrides: OVERRIDES });
});

test('Java client: every API we advertise is one it implements, in versions it accepts', { skip: javaSkip, timeout: 60_000 }, async (t) => {
  await withBroker(async (b) => {
    const client = new Map((await javaClients(b.bootstrap).apiKeys()).map((a) => [a.apiKey, a]));
    const behind: string[] = [];
    for (const ours of advertisedApis(b)) {
      const java = client.get(ours.apiKey);
      assert.ok(java !== undefined, `${ours.name} (key ${ours.apiKey}) is a broker API the Java client implements`);
      assert.equal(java.name, ours.name);
      // Kafka 4 clients dropped versions older than Kafka 2.1 (KIP-896): a common version must remain.
      assert.ok(Math.max(ours.minVersion, java.oldest) <= Math.min(ours.maxVersion, java.latest),
        `${ours.name}: ours v${ours.minVersion}–${ours.maxVersion}, the Java client's v${java.oldest}–${java.latest}`);
      if (java.latest > ours.maxVersion) behind.push(`${ours.name} v${ours.maxVersion} < v${java.latest}`);
    }
    const advertised = new Set(advertisedApis(b).map((a) => a.apiKey));
    t.diagnostic(`newer versions the Java client knows: ${behind.join(', ') || 'none'}`);
    t.diagnostic(`broker APIs it implements that we do not serve: ${[...client.values()].filter((a) => !advertised.has(a.apiKey)).map((a) => a.name).join(', ')}`);
  });
});

/** Codec and records of every batch stored in partition 0, through the broker's own read. */
async function storedBatches(b: RunningBroker, topic: string): Promise<{ codec: number; keys: string[]; values: string[] }[]> {
  const log = b.broker.partitionLog(topic, 0)!;
  const { records } = await log.read(0, 1 << 30, log.highWatermark);
  return decodeBatches(records, { verifyCrc: true }).map(({ header, records: rs }) => ({
    codec: compressionOf(header.attributes),
    keys: rs.map((r) => r.key!.toString()),
    values: rs.map((r) => r.value!.toString()),
  }));
}

test('Java client: lz4 and zstd batches round-trip and are stored compressed', { skip: javaSkip, timeout: 120_000 }, async () => {
  await withBroker(async (b) => {
    const java = await javaShell(b.bootstrap);
    try {
      for (const [codec, id] of [['lz4', Compression.Lz4], ['zstd', Compression.Zstd]] as const) {
        const topic = `java-${codec}`;
        const N = 2000;
        assert.ok(!('error' in (await java.admin('create-topics', { topic, partitions: 1 }))[topic]));
        // Compressible values, several batches (batch.size 16 KiB by default).
        const produced = await java.produce({
          topic, count: N, key: 'k{i}', value: `${codec} value {i} `, valueSize: 200,
          props: { 'compression.type': codec, 'linger.ms': 20 },
        });
        assert.equal(produced.summary.acked, N, JSON.stringify(produced.summary.errors));
        const stored = await storedBatches(b, topic);
        assert.ok(stored.length > 1, `several batches (${stored.length})`);
        assert.deepEqual([...new Set(stored.map((s) => s.codec))], [id], `${codec}: every stored batch is compressed with it`);
        const keys = stored.flatMap((s) => s.keys);
        assert.deepEqual(keys, Array.from({ length: N }, (_, i) => `k${i}`));
        assert.ok(stored.flatMap((s) => s.values).every((v, i) => v === `${codec} value ${i} `.padEnd(200, '.')));

        const consumed = await java.consume({ assign: topic, max: N, fromBeginning: true, timeoutMs: 60_000 });
        assert.equal(consumed.records.length, N);
        assert.ok(consumed.records.every((r, i) => r.offset === i && r.key === `k${i}` && r.value === `${codec} value ${i} `.padEnd(200, '.')), `${codec}: consumed in order, intact`);
      }
    } finally {
      await java.close();
    }
  });
});

test('Java harness: one JVM per call or a shell; bad arguments and client failures come back with the client log', { skip: javaSkip, timeout: 120_000 }, async () => {
  await withBroker(async (b) => {
    assert.equal((await javaClients(b.bootstrap).version()).kafkaClients, kafkaClientsVersion());
    const java = await javaShell(b.bootstrap);
    try {
      await assert.rejects(java.admin('list-topics', { frob: 1 } as never), (err: JavaError) => /unknown option --frob/.test(err.message));
      await java.admin('create-topics', { topic: 'java-harness', partitions: 1 });
      assert.deepEqual(await java.admin('list-topics'), ['java-harness'], 'the shell keeps serving after a failed command');

      // A delivery failure is data, with Kafka's exception class: a record larger than the
      // topic's max.message.bytes (the client's defaults are otherwise served as they are).
      await java.admin('alter-configs', { topic: 'java-harness', set: { 'max.message.bytes': '1000' } });
      const p = await java.produce({ topic: 'java-harness', count: 1, valueSize: 5000 });
      assert.equal(p.summary.acked, 0);
      assert.equal(p.summary.failed, 1);
      const flat = JSON.stringify(p.summary.errors);
      assert.ok(flat.includes('RecordTooLargeException'), flat);
      assert.equal(b.broker.partitionLog('java-harness', 0)!.highWatermark, 0);

      // The KIP-848 consumer protocol is not served: poll() throws, and the error carries the
      // exception and the client's own log lines (stderr).
      await assert.rejects(
        java.consume({ topic: 'java-harness', idleMs: 500, timeoutMs: 20_000, props: { 'group.id': 'java-848', 'group.protocol': 'consumer' } }),
        (err: JavaError) => err.message.includes('UnsupportedVersionException') && err.stderr.includes('CONSUMER_GROUP_HEARTBEAT'));

      // A command that overruns its call's timeout kills the JVM: a hang becomes a failure.
      await assert.rejects(java.consume({ assign: 'java-harness', idleMs: 30_000 }, { timeoutMs: 1500 }), /timed out after 1500 ms \(shell killed\)/);
      await assert.rejects(java.admin('list-topics'), /java shell already killed after consume --assign=java-harness timed out/);
    } finally {
      await java.close();
    }
  });
});

test('Java harness: --rate paces a producer and lines stream while the command runs', { skip: javaSkip, timeout: 60_000 }, async () => {
  await withBroker(async (b) => {
    const java = javaClients(b.bootstrap);
    await java.admin('create-topics', { topic: 'java-paced', partitions: 1 });
    const arrivals: number[] = [];
    const p = await java.produce({ topic: 'java-paced', count: 100, rate: 200, props: { 'linger.ms': 0 } }, {
      onLine: (line) => { if (line.type === 'delivery') arrivals.push(Date.now()); },
    });
    const ended = Date.now();
    assert.equal(p.summary.acked, 100);
    assert.equal(arrivals.length, 100);
    assert.ok(p.summary.ms >= 450, `100 records at 200/s take about 0.5 s (took ${p.summary.ms} ms)`);
    // The reports were handed over as they came (flushed every 10 ms), not all at the end.
    assert.ok(ended - arrivals[0]! >= 200, `first report ${ended - arrivals[0]!} ms before the end`);
  });
});
