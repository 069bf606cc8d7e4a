/**
 * The seed snippet, verbatim except for the broker address (the test broker listens on a
 * random port) and a flush(): kafka-python 2.0.2 produces to `my-topic` (auto-created by its
 * Metadata request), then a KafkaConsumer without a group reads key b'key', value b'value' back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { runPython, lastJson } from '../helpers/clients.js';
import { recordApiVersions, formatVersions } from './clients-versions.js';

const PRODUCE = `
import sys
from kafka import KafkaProducer
producer = KafkaProducer(bootstrap_servers=[sys.argv[1]])
producer.send('my-topic', key=b'key', value=b'value')
producer.flush()
print('{"sent": true}')
`;

const CONSUME = `
import sys, json
from kafka import KafkaConsumer, TopicPartition
consumer = KafkaConsumer(bootstrap_servers=[sys.argv[1]], auto_offset_reset='earliest', consumer_timeout_ms=5000, enable_auto_commit=False)
tp = TopicPartition('my-topic', 0)
consumer.assign([tp])
consumer.seek_to_beginning(tp)
out = []
for msg in consumer:
    out.append({'offset': msg.offset, 'key': msg.key.decode(), 'value': msg.value.decode()})
    break
consumer.close()
print(json.dumps(out))
`;

test('kafka-python seed snippet: produce to my-topic and read it back', { timeout: 60_000 }, async (t) => {
  await withBroker(async (b) => {
    const seen = recordApiVersions(b);
    const sent = lastJson(await runPython(PRODUCE, [b.bootstrap], 30_000));
    assert.equal(sent.sent, true);
    const topic = b.broker.topics.get('my-topic');
    assert.ok(topic, 'my-topic was auto-created');
    assert.equal(b.broker.partitionLog('my-topic', 0)?.highWatermark, 1);
    const got = lastJson(await runPython(CONSUME, [b.bootstrap], 30_000));
    assert.deepEqual(got, [{ offset: 0, key: 'key', value: 'value' }]);
    t.diagnostic(`kafka-python 2.0.2 used: ${formatVersions(seen)}`);
  });
});
