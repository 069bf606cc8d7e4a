/**
 * kafka-python 2.0.2 group consumers against Sherwood:
 * - a group consumer reads part of a topic and commits; the broker restarts on the same data
 *   directory; a new consumer of the group resumes exactly at the committed offsets;
 * - a member killed without leaving (SIGKILL) is evicted after session.timeout.ms and its
 *   partitions move to the surviving member.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startTestBroker, tempDir } from '../helpers/broker.js';
import { PYTHON, runPython, lastJson } from '../helpers/clients.js';
import { until } from '../helpers/wait.js';
import { fetchOffsets } from '../../src/coordinator/group/offsets.js';
import type { GroupRuntime } from '../../src/server/group-runtime.js';

const OVERRIDES = {
  'group.initial.rebalance.delay.ms': '0',
  'group.min.session.timeout.ms': '1000',
  'offsets.topic.num.partitions': '5',
};

const PRODUCE = `
import sys, json
from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic
topic, partitions, count = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
admin = KafkaAdminClient(bootstrap_servers=[sys.argv[1]])
admin.create_topics([NewTopic(topic, partitions, 1)])
admin.close()
p = KafkaProducer(bootstrap_servers=[sys.argv[1]])
for i in range(count):
    p.send(topic, value=('v%d' % i).encode(), partition=i % partitions)
p.flush()
p.close()
print(json.dumps({'sent': count}))
`;

/**
 * Consumes argv[4] records in group argv[3] (consumer_timeout_ms only bounds a client that gets
 * fewer), commits synchronously, prints what it saw.
 */
const CONSUME_AND_COMMIT = `
import sys, json, time
from kafka import KafkaConsumer, TopicPartition
topic, group, limit = sys.argv[2], sys.argv[3], int(sys.argv[4])
c = KafkaConsumer(topic, bootstrap_servers=[sys.argv[1]], group_id=group, auto_offset_reset='earliest',
                  enable_auto_commit=False, session_timeout_ms=6000, heartbeat_interval_ms=500, consumer_timeout_ms=20000)
seen = []
for msg in c:
    seen.append([msg.partition, msg.offset, msg.value.decode()])
    if len(seen) >= limit:
        break
c.commit()
committed = {str(p): c.committed(TopicPartition(topic, p)) for p in sorted(c.partitions_for_topic(topic))}
c.close()
print(json.dumps({'seen': seen, 'committed': committed}))
`;

test('kafka-python: committed offsets survive a broker restart and a new consumer resumes there', { timeout: 120_000 }, async () => {
  const dir = tempDir('sherwood-groups-kp-');
  try {
    let b = await startTestBroker({ dataDir: dir.path, overrides: OVERRIDES });
    let second: { seen: [number, number, string][] };
    let first: { seen: [number, number, string][]; committed: Record<string, number> };
    try {
      assert.equal(lastJson(await runPython(PRODUCE, [b.bootstrap, 'resume', '2', '10'], 60_000)).sent, 10);
      first = lastJson(await runPython(CONSUME_AND_COMMIT, [b.bootstrap, 'resume', 'g-resume', '4'], 60_000));
      assert.equal(first.seen.length, 4);
    } finally {
      await b.close();
    }
    b = await startTestBroker({ dataDir: dir.path, overrides: OVERRIDES });
    try {
      // The existing __consumer_offsets is replayed at start-up, before any group request.
      const rt = b.broker.groups;
      assert.equal(await rt.awaitReady(), true);
      assert.deepEqual(fetchOffsets(rt.service.shardFor('g-resume')!, 'g-resume', [{ name: 'resume', partitionIndexes: [0, 1] }])[0]!.partitions.map((p) => p.committedOffset),
        [first.committed['0'] ?? -1, first.committed['1'] ?? -1]);
      // The 6 records left; any other record among them (one the first consumer committed, or
      // one twice) fails the per-partition offset checks below.
      second = lastJson(await runPython(CONSUME_AND_COMMIT, [b.bootstrap, 'resume', 'g-resume', '6'], 60_000));
    } finally {
      await b.close();
    }
    // The first consumer committed 4 of 10 records; per partition, the second consumer starts
    // exactly where the first one committed and reads only the rest.
    assert.deepEqual(Object.values(first.committed).reduce((a, c) => a + (c ?? 0), 0), 4);
    assert.equal(second.seen.length, 6);
    for (const [p, committed] of Object.entries(first.committed)) {
      const firstOffsetSeen = second.seen.filter((s) => s[0] === Number(p)).map((s) => s[1]).sort((x, y) => x - y)[0];
      if (committed === 5) assert.equal(firstOffsetSeen, undefined);
      else assert.equal(firstOffsetSeen, committed ?? 0, `partition ${p}`);
    }
    const all = [...first.seen, ...second.seen].map((s) => s[2]).sort();
    assert.deepEqual(all, Array.from({ length: 10 }, (_, i) => `v${i}`).sort());
  } finally {
    dir.remove();
  }
});

const LONG_CONSUMER = `
import sys, json, time
from kafka import KafkaConsumer
topic, group, seconds = sys.argv[2], sys.argv[3], float(sys.argv[4])
# With argv[5] == 'until-all': stop once it has owned all 4 partitions after first sharing them.
until_all = len(sys.argv) > 5 and sys.argv[5] == 'until-all'
c = KafkaConsumer(topic, bootstrap_servers=[sys.argv[1]], group_id=group, auto_offset_reset='earliest',
                  enable_auto_commit=False, session_timeout_ms=2000, heartbeat_interval_ms=300, max_poll_interval_ms=10000)
deadline = time.time() + seconds
shared = False
while time.time() < deadline:
    c.poll(timeout_ms=200)
    a = sorted(tp.partition for tp in c.assignment())
    print(json.dumps({'assignment': a}), flush=True)
    shared = shared or 0 < len(a) < 4
    if until_all and shared and a == [0, 1, 2, 3]:
        break
c.close()
`;

test('kafka-python: a SIGKILLed member is evicted after its session timeout and its partitions move', { timeout: 120_000 }, async () => {
  const b = await startTestBroker({ overrides: OVERRIDES });
  try {
    assert.equal(lastJson(await runPython(PRODUCE, [b.bootstrap, 'evict', '4', '4'], 60_000)).sent, 4);
    const victim = spawn(PYTHON, ['-c', LONG_CONSUMER, b.bootstrap, 'evict', 'g-evict', '60'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let victimOut = '';
    victim.stdout.on('data', (d) => { victimOut += d; });
    const victimExited = new Promise<void>((resolve) => victim.once('exit', () => resolve()));
    try {
      // Wait until the victim owns all four partitions.
      await until('the victim to own all four partitions', () => victimOut.includes('"assignment": [0, 1, 2, 3]'), { timeoutMs: 30_000, detail: () => victimOut });
      const survivor = runPython(LONG_CONSUMER, [b.bootstrap, 'evict', 'g-evict', '45', 'until-all'], 60_000);
      // Let the survivor join (the victim rejoins too), then kill the victim without LeaveGroup.
      const group = () => b.broker.groups.serviceIfStarted?.shardFor('g-evict')?.groups.get('g-evict');
      await until('the survivor to join (a Stable group of two)', () => (group()?.members.size ?? 0) >= 2 && group()?.state === 'Stable', 30_000);
      victim.kill('SIGKILL');
      await victimExited;
      const killedAt = Date.now();
      // The victim is removed within its 2 s session timeout (plus the rebalance), not before it.
      await until('the victim to be evicted', () => (group()?.members.size ?? 0) <= 1, 15_000);
      assert.ok(Date.now() - killedAt >= 1000, 'evicted only after the session timeout');
      const out = await survivor;
      const lines = out.stdout.trim().split('\n').map((l) => JSON.parse(l) as { assignment: number[] });
      assert.deepEqual(lines[lines.length - 1]!.assignment, [0, 1, 2, 3], 'the survivor owns every partition at the end');
      assert.ok(lines.some((l) => l.assignment.length > 0 && l.assignment.length < 4), 'the survivor first shared the partitions');
    } finally {
      if (victim.exitCode === null) victim.kill('SIGKILL');
    }
  } finally {
    await b.close();
  }
});
