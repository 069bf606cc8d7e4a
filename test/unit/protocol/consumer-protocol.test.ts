/**
 * The embedded consumer protocol (subscriptions and assignments inside JoinGroup/SyncGroup):
 * round trips at every version, bytes as Kafka's Java client writes them, tolerant decoding
 * of newer versions, and (when ../shared/kafka-protocol is present) field-by-field agreement
 * with Kafka's ConsumerProtocolSubscription/Assignment JSON.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ConsumerProtocolAssignmentCodec, ConsumerProtocolSubscriptionCodec, decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription,
} from '../../../src/protocol/consumer-protocol.js';
import { compareDefinition, parseKafkaJson } from '../../protocol/compare-definitions.js';

const kafkaDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'shared', 'kafka-protocol', 'messages');
const skip = existsSync(kafkaDir) || process.env.CI !== undefined ? false : `Kafka's JSON definitions not found at ${kafkaDir}`;

test('subscription round-trips at every version', () => {
  for (let v = 0; v <= 3; v++) {
    const bytes = encodeSubscription({ topics: ['a', 'b'], ownedPartitions: [{ topic: 'a', partitions: [0, 2] }], generationId: 7, rackId: 'r1' }, v);
    assert.equal(bytes.readInt16BE(0), v);
    const back = decodeSubscription(bytes)!;
    assert.deepEqual(back.topics, ['a', 'b']);
    assert.deepEqual(back.ownedPartitions, v >= 1 ? [{ topic: 'a', partitions: [0, 2] }] : []);
    assert.equal(back.generationId, v >= 2 ? 7 : -1);
    assert.equal(back.rackId, v >= 3 ? 'r1' : null);
  }
});

test('subscription v0 bytes are what the Java client writes', () => {
  // version 0, topics ["t"], userData null
  const expected = Buffer.from([0, 0, 0, 0, 0, 1, 0, 1, 0x74, 0xff, 0xff, 0xff, 0xff]);
  assert.deepEqual(encodeSubscription({ topics: ['t'] }, 0), expected);
  assert.deepEqual(decodeSubscription(expected)?.topics, ['t']);
});

test('assignment round-trips; empty bytes are an empty assignment; garbage is null', () => {
  const bytes = encodeAssignment({ assignedPartitions: [{ topic: 't', partitions: [0, 1] }, { topic: 'u', partitions: [3] }] });
  assert.deepEqual(decodeAssignment(bytes)?.assignedPartitions, [{ topic: 't', partitions: [0, 1] }, { topic: 'u', partitions: [3] }]);
  assert.deepEqual(decodeAssignment(Buffer.alloc(0)), { assignedPartitions: [], userData: null });
  assert.equal(decodeAssignment(Buffer.from([0, 0, 0, 0, 0, 9])), null);
  assert.equal(decodeSubscription(Buffer.from([0xff, 0xff])), null);
});

test('a newer version (4) is read as version 3: appended fields are ignored', () => {
  const v3 = encodeSubscription({ topics: ['x'], rackId: 'rack' }, 3);
  const v4 = Buffer.concat([Buffer.from([0, 4]), v3.subarray(2), Buffer.from([1, 2, 3])]);
  const back = decodeSubscription(v4)!;
  assert.deepEqual([back.topics, back.rackId], [['x'], 'rack']);
});

for (const [codec, name] of [[ConsumerProtocolSubscriptionCodec, 'ConsumerProtocolSubscription'], [ConsumerProtocolAssignmentCodec, 'ConsumerProtocolAssignment']] as const) {
  test(`${name} matches Kafka's definition`, { skip }, () => {
    const kafka = parseKafkaJson(readFileSync(join(kafkaDir, `${name}.json`), 'utf8'));
    // Kafka's file is a "data" struct; compare it as if it were a request of our apiKey -1.
    const problems = compareDefinition(codec.def, { ...kafka, apiKey: -1, type: 'request', name: `${name}Request` });
    assert.deepEqual(problems, [], problems.join('\n'));
  });
}
