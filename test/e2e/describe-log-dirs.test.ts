/**
 * DescribeLogDirs against a broker with a real log dir: Apache Kafka's Java AdminClient
 * (describeLogDirs) and Kafka's own kafka-log-dirs.sh (LogDirsCommand, kafka-tools) list the
 * dir with each partition's size on disk — what the segments hold — and an offset lag of 0;
 * v1-v4 on the wire, a topic filter, and partitions that are not there left out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { DescribeLogDirs } from '../../src/protocol/messages/describe-log-dirs.js';
import { encodeBatch } from '../../src/protocol/records.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { startTestBroker, tempDir } from '../helpers/broker.js';
import { run } from '../helpers/clients.js';
import { javaClients, javaHarness, javaSkip } from '../helpers/java.js';

/** The bytes of a partition's segment files, as the broker should report them. */
function segmentBytes(dir: string, topic: string, partition: number): number {
  const d = join(dir, `${topic}-${partition}`);
  return readdirSync(d).filter((n) => n.endsWith('.log')).reduce((n, f) => n + statSync(join(d, f)).size, 0);
}

test('DescribeLogDirs: Java AdminClient and kafka-log-dirs.sh see the log dir and its partitions\' sizes', { skip: javaSkip, timeout: 120_000 }, async () => {
  const dir = tempDir();
  const b = await startTestBroker({ dataDir: dir.path });
  try {
    for (const t of ['dirs-a', 'dirs-b']) assert.equal((await b.broker.topics.create({ name: t, numPartitions: 2, replicationFactor: 1 })).errorCode, ErrorCode.NONE);
    for (let i = 0; i < 5; i++) {
      const r = await b.broker.replicaManager.appendRecords('dirs-a', 0, encodeBatch({ records: [{ key: null, value: Buffer.alloc(1000, i) }], timestamp: Date.now() }), { acks: 1, timeoutMs: 1000, origin: 'client' });
      assert.equal(r.errorCode, ErrorCode.NONE);
    }
    const expected = segmentBytes(dir.path, 'dirs-a', 0);
    assert.ok(expected > 5000);

    const java = javaClients(b.bootstrap);
    const described = await java.admin('describe-log-dirs', { broker: 1 });
    assert.deepEqual(Object.keys(described), [dir.path]);
    const replicas = described[dir.path].replicas;
    assert.deepEqual(replicas['dirs-a-0'], { size: expected, offsetLag: 0, future: false });
    assert.deepEqual(replicas['dirs-a-1'], { size: 0, offsetLag: 0, future: false });
    assert.ok('dirs-b-1' in replicas);
    assert.equal(described[dir.path].error, undefined);

    const tool = await run('java', ['-cp', await javaHarness(), 'org.apache.kafka.tools.LogDirsCommand', '--bootstrap-server', b.bootstrap, '--describe', '--topic-list', 'dirs-a'], { timeoutMs: 60_000 });
    assert.equal(tool.code, 0, tool.stderr);
    const json = JSON.parse(tool.stdout.trim().split('\n').pop()!) as { brokers: { broker: number; logDirs: { logDir: string; error: string | null; partitions: { partition: string; size: number; offsetLag: number; isFuture: boolean }[] }[] }[] };
    assert.deepEqual(json.brokers.map((x) => x.broker), [1]);
    const logDir = json.brokers[0]!.logDirs[0]!;
    assert.equal(logDir.logDir, dir.path);
    assert.deepEqual(logDir.partitions.map((p) => [p.partition, p.size, p.offsetLag, p.isFuture]).sort(), [['dirs-a-0', expected, 0, false], ['dirs-a-1', 0, 0, false]]);

    // Every version; a filter naming partitions that do not exist lists none of them.
    const c = await KafkaClient.connect(b.bootstrap);
    try {
      for (const version of [1, 2, 3, 4]) {
        const r = await c.request(DescribeLogDirs, { topics: [{ topic: 'dirs-b', partitions: [0, 9] }, { topic: 'nope', partitions: [0] }] }, { version });
        assert.equal(r.errorCode, ErrorCode.NONE);
        assert.deepEqual(r.results.map((x) => [x.errorCode, x.logDir, x.topics.map((t) => [t.name, t.partitions.map((p) => p.partitionIndex)])]), [[ErrorCode.NONE, dir.path, [['dirs-b', [0]]]]], `v${version}`);
        if (version >= 4) assert.deepEqual([r.results[0]!.totalBytes, r.results[0]!.usableBytes], [-1, -1]);
      }
    } finally {
      await c.close();
    }
  } finally {
    await b.close();
    dir.remove();
  }
});
