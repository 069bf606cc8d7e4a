/**
 * Three in-process brokers sharing one real etcd (`etcd.connect` in their overrides): changes
 * made through different brokers at the same moment are serialized by the compare-and-set on
 * the metadata log (one CreateTopics of a name wins, the other gets TOPIC_ALREADY_EXISTS), every
 * broker ends with the same image, and a broker closed cleanly leaves the live set at once and
 * its leaderships move without waiting for the session timeout.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { RunningBroker } from '../../src/index.js';
import { startTestBroker } from '../helpers/broker.js';
import { etcdAvailable, startEtcd, type TestEtcd } from '../helpers/etcd.js';

const skip = etcdAvailable() ? false : 'etcd is not installed';
/** Long on purpose: nothing here may wait for a session to expire. */
const SESSION_MS = 60000;
let etcd: TestEtcd;
const brokers = new Map<number, RunningBroker>();

before(async () => {
  if (skip !== false) return;
  etcd = await startEtcd();
  for (const id of [1, 2, 3]) {
    brokers.set(id, await startTestBroker({ nodeId: id, overrides: { 'etcd.connect': `${etcd.endpoint}/inproc`, 'etcd.session.timeout.ms': String(SESSION_MS) } }));
  }
});
after(async () => {
  for (const b of brokers.values()) await b.close();
  await etcd?.close();
});

/** Resolves once `pred` holds (re-checked on every metadata change of `b`). */
function until(b: RunningBroker, pred: () => boolean): Promise<void> {
  if (pred()) return Promise.resolve();
  return new Promise((resolve) => {
    let done = false;
    const check = () => { if (!done && pred()) { done = true; resolve(); } };
    b.broker.topics.addListener({ async onMetadataUpdate() { check(); } });
    b.broker.membership!.addListener({ brokersChanged: check, controllerChanged: check });
  });
}

test('every broker lists all three and the same controller; the cluster id is shared', { skip }, async () => {
  const [b1, b2, b3] = [1, 2, 3].map((id) => brokers.get(id)!);
  // Each broker learns the controller from its own watch of the controller key, so one may
  // still be waiting for the event when another already has it.
  for (const b of [b1!, b2!, b3!]) await until(b, () => b.broker.controllerId !== -1);
  for (const b of [b1!, b2!, b3!]) {
    await until(b, () => b.broker.endpoints().length === 3);
    assert.deepEqual(b.broker.endpoints().map((e) => [e.nodeId, e.port]), [1, 2, 3].map((id) => [id, brokers.get(id)!.port]));
    assert.equal(b.broker.controllerId, b1!.broker.controllerId);
    assert.equal(b.broker.clusterId, b1!.broker.clusterId);
  }
});

test('the same topic created through two brokers at once: one wins, the other gets TOPIC_ALREADY_EXISTS', { skip }, async () => {
  const [b1, b2, b3] = [1, 2, 3].map((id) => brokers.get(id)!);
  const results = await Promise.all([b1!, b2!].map((b) => b.broker.topics.create({ name: 'race', numPartitions: 2, replicationFactor: 3 })));
  assert.deepEqual(results.map((r) => r.errorCode).sort((a, b) => a - b), [ErrorCode.NONE, ErrorCode.TOPIC_ALREADY_EXISTS].sort((a, b) => a - b));
  // Different topics through all three at once: all created.
  const more = await Promise.all([b1!, b2!, b3!].map((b, i) => b.broker.topics.create({ name: `own-${i}`, numPartitions: 1, replicationFactor: 2 })));
  assert.deepEqual(more.map((r) => r.errorCode), [0, 0, 0]);
  const offset = Math.max(...[b1!, b2!, b3!].map((b) => b.broker.topics.image.offset));
  for (const b of [b1!, b2!, b3!]) await until(b, () => b.broker.topics.image.offset === offset);
  const view = (b: RunningBroker) => JSON.stringify(b.broker.topics.list().map((t) => [t.name, t.topicId.toString('hex'), t.partitions]).sort());
  assert.equal(view(b2!), view(b1!));
  assert.equal(view(b3!), view(b1!));
  // Each broker hosts a log for every replica placed on it, and leads what the image says.
  for (const b of [b1!, b2!, b3!]) {
    b.broker.topics.get('race')!.partitions.forEach((p, i) => {
      assert.ok(p.replicas.includes(b.broker.nodeId));
      assert.ok(b.broker.partitionLog('race', i) !== undefined, `broker ${b.broker.nodeId} hosts race-${i}`);
    });
  }
});

test('a broker closed cleanly leaves at once; the controller moves its leaderships to live ISR members', { skip }, async () => {
  const survivorIds = [1, 2, 3].filter((id) => id !== 3);
  const leaving = brokers.get(3)!;
  const ledBefore = leaving.broker.topics.get('race')!.partitions.map((p, i) => [i, p] as const).filter(([, p]) => p.leader === 3);
  const started = Date.now();
  await leaving.close();
  brokers.delete(3);
  for (const id of survivorIds) {
    const b = brokers.get(id)!;
    await until(b, () => b.broker.endpoints().length === 2 && b.broker.topics.get('race')!.partitions.every((p) => p.leader !== 3 && !p.isr.includes(3)));
    for (const [i, was] of ledBefore) assert.equal(b.broker.topics.get('race')!.partitions[i]!.leaderEpoch, was.leaderEpoch + 1);
  }
  assert.ok(Date.now() - started < SESSION_MS / 2, 'no session timeout was waited for');
});
