/**
 * Deleting a topic also deletes every group's committed offsets of it, as Kafka does
 * (GroupCoordinator.onPartitionsDeleted): confluent-kafka consumers commit offsets of two
 * topics, kafka-python's admin client deletes one, and neither kafka-python's
 * list_consumer_group_offsets (OffsetFetch) nor `sherwood consumer-groups --describe` shows its
 * offsets any more, also after a restart (the tombstones are in `__consumer_offsets`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBroker, tempDir } from '../helpers/broker.js';
import { lastJson, runPython } from '../helpers/clients.js';
import { main as consumerGroups } from '../../src/cli/consumer-groups.js';

const OVERRIDES = { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '3' };

/** Creates doomed (2 partitions) and kept (1), produces 6 records to each, and has two groups consume and commit. */
const COMMIT = `
import sys, json, time
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic
b = sys.argv[1]
admin = AdminClient({'bootstrap.servers': b})
for f in admin.create_topics([NewTopic('doomed', 2, 1), NewTopic('kept', 1, 1)]).values():
    f.result()
p = Producer({'bootstrap.servers': b})
for t, n in [('doomed', 2), ('kept', 1)]:
    for i in range(6):
        p.produce(t, value=b'v%d' % i, partition=i % n)
p.flush()
seen = {}
for group, topics in [('g-del', ['doomed', 'kept']), ('g-only', ['doomed'])]:
    c = Consumer({'bootstrap.servers': b, 'group.id': group, 'auto.offset.reset': 'earliest', 'enable.auto.commit': False,
                  'session.timeout.ms': 6000})
    c.subscribe(topics)
    n, deadline = 0, time.time() + 30
    while n < 6 * len(topics) and time.time() < deadline:
        m = c.poll(0.5)
        if m is not None and not m.error():
            n += 1
    c.commit(asynchronous=False)
    c.close()
    seen[group] = n
print(json.dumps(seen))
`;

/** Every committed offset of each group, as kafka-python's admin client reads them (OffsetFetch). */
const LIST = `
import sys, json
from kafka.admin import KafkaAdminClient
a = KafkaAdminClient(bootstrap_servers=[sys.argv[1]])
out = {}
for g in ['g-del', 'g-only']:
    out[g] = sorted([tp.topic, tp.partition, om.offset] for tp, om in a.list_consumer_group_offsets(g).items())
a.close()
print(json.dumps(out))
`;

const DELETE = `
import sys, json
from kafka.admin import KafkaAdminClient
a = KafkaAdminClient(bootstrap_servers=[sys.argv[1]])
a.delete_topics(['doomed'], timeout_ms=10000)
a.close()
print(json.dumps({'deleted': True}))
`;

async function describe(bootstrap: string, group: string): Promise<string[][]> {
  const out: string[] = [];
  const err: string[] = [];
  assert.equal(await consumerGroups(['--bootstrap-server', bootstrap, '--describe', '--group', group], (l) => out.push(l), (l) => err.push(l)), 0, err.join('\n'));
  return out.filter((l) => l.startsWith(group)).map((l) => l.trim().split(/\s+/).slice(0, 4));
}

test('deleting a topic deletes its committed group offsets, also after a restart', { timeout: 120_000 }, async () => {
  const dir = tempDir('sherwood-delete-topic-offsets-');
  try {
    let b = await startTestBroker({ dataDir: dir.path, overrides: OVERRIDES });
    try {
      assert.deepEqual(lastJson(await runPython(COMMIT, [b.bootstrap], 90_000)), { 'g-del': 12, 'g-only': 6 });
      assert.deepEqual(lastJson(await runPython(LIST, [b.bootstrap])), {
        'g-del': [['doomed', 0, 3], ['doomed', 1, 3], ['kept', 0, 6]],
        'g-only': [['doomed', 0, 3], ['doomed', 1, 3]],
      });
      assert.deepEqual(await describe(b.bootstrap, 'g-del'), [['g-del', 'doomed', '0', '3'], ['g-del', 'doomed', '1', '3'], ['g-del', 'kept', '0', '6']]);

      assert.deepEqual(lastJson(await runPython(DELETE, [b.bootstrap])), { deleted: true });
      const after = { 'g-del': [['kept', 0, 6]], 'g-only': [] };
      assert.deepEqual(lastJson(await runPython(LIST, [b.bootstrap])), after);
      assert.deepEqual(await describe(b.bootstrap, 'g-del'), [['g-del', 'kept', '0', '6']]);
      assert.deepEqual(await describe(b.bootstrap, 'g-only'), []);
    } finally {
      await b.close();
    }
    b = await startTestBroker({ dataDir: dir.path, overrides: OVERRIDES });
    try {
      assert.deepEqual(lastJson(await runPython(LIST, [b.bootstrap])), { 'g-del': [['kept', 0, 6]], 'g-only': [] }, 'still gone after a restart');
      assert.deepEqual(await describe(b.bootstrap, 'g-del'), [['g-del', 'kept', '0', '6']]);
    } finally {
      await b.close();
    }
  } finally {
    dir.remove();
  }
});
