/**
 * `sherwood reassign-partitions` against a standalone in-process broker (one broker: every
 * replica list is [its id]): --generate's proposal, --execute and --verify of an assignment that
 * is already in place, --list with nothing running, and the usage errors of
 * kafka-reassign-partitions.sh's JSON file; the raw APIs' per-partition errors. Moving data between brokers is tested in
 * cluster-reassign-partitions.test.ts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestBroker } from '../helpers/broker.js';
import { main as topics } from '../../src/cli/topics.js';
import { main } from '../../src/cli/reassign-partitions.js';
import type { RunningBroker } from '../../src/index.js';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { AlterPartitionReassignments } from '../../src/protocol/messages/alter-partition-reassignments.js';
import { ListPartitionReassignments } from '../../src/protocol/messages/list-partition-reassignments.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';

let b: RunningBroker;
let dir: string;
before(async () => {
  b = await startTestBroker();
  dir = mkdtempSync(join(tmpdir(), 'sherwood-reassign-cli-'));
  assert.equal(await topics(['--bootstrap-server', b.bootstrap, '--create', '--topic', 'r', '--partitions', '2'], () => {}, () => {}), 0);
});
after(async () => {
  await b?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function reassign(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['--bootstrap-server', b.bootstrap, ...args], (l) => out.push(l), (l) => err.push(l));
  return { code, out, err };
}

function file(name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}

test('--generate proposes the topics over --broker-list; --execute and --verify an assignment already in place', async () => {
  const id = b.broker.nodeId;
  const gen = await reassign('--generate', '--topics-to-move-json-file', file('move.json', { version: 1, topics: [{ topic: 'r' }] }), '--broker-list', String(id));
  const current = `{"version":1,"partitions":[{"topic":"r","partition":0,"replicas":[${id}],"log_dirs":["any"]},{"topic":"r","partition":1,"replicas":[${id}],"log_dirs":["any"]}]}`;
  assert.deepEqual(gen, { code: 0, out: ['Current partition replica assignment', current, '', 'Proposed partition reassignment configuration', current], err: [] });
  const plan = file('plan.json', JSON.parse(current));
  const exec = await reassign('--execute', '--reassignment-json-file', plan);
  assert.deepEqual(exec, { code: 0, err: [], out: ['Current partition replica assignment', '', current, '', 'Save this to use as the --reassignment-json-file option during rollback', 'Successfully started partition reassignments for r-0,r-1'] });
  assert.deepEqual(await reassign('--verify', '--reassignment-json-file', plan),
    { code: 0, err: [], out: ['Status of partition reassignment:', 'Reassignment of partition r-0 is completed.', 'Reassignment of partition r-1 is completed.'] });
  assert.deepEqual(await reassign('--list'), { code: 0, out: ['No partition reassignments found.'], err: [] });
  assert.deepEqual(await reassign('--cancel', '--reassignment-json-file', plan), { code: 0, out: ['None of the specified partition reassignments are active.'], err: [] });
});

test('errors: an unregistered broker, a missing partition, bad files, --throttle, no action', async () => {
  const bad = await reassign('--execute', '--reassignment-json-file', file('bad.json', { version: 1, partitions: [{ topic: 'r', partition: 0, replicas: [b.broker.nodeId + 7] }] }));
  assert.equal(bad.code, 1);
  assert.match(bad.err.join('\n'), /Error reassigning partition\(s\): r-0: The manual partition assignment includes broker \d+, but no such broker is registered\./);
  const missing = await reassign('--execute', '--reassignment-json-file', file('missing.json', { version: 1, partitions: [{ topic: 'r', partition: 5, replicas: [b.broker.nodeId] }] }));
  assert.deepEqual([missing.code, missing.err], [1, ['sherwood reassign-partitions: Topic or partition not found: r-5']]);
  const cases: [unknown, RegExp][] = [
    ['{not json', /is not valid JSON/],
    [{ version: 1 }, /expected \{"version":1,"partitions"/],
    [{ partitions: [{ topic: 'r', partition: 0, replicas: [1] }, { topic: 'r', partition: 0, replicas: [1] }] }, /duplicate topic partitions: r-0/],
    [{ partitions: [{ topic: 'r', partition: 0, replicas: [1, 1] }] }, /may not contain duplicate entries: r-0 contains 1,1/],
    [{ partitions: [{ topic: 'r', partition: 0, replicas: [1], log_dirs: ['/data'] }] }, /log_dirs other than "any" are not supported/],
  ];
  for (const [content, message] of cases) {
    const r = await reassign('--verify', '--reassignment-json-file', file('case.json', content));
    assert.equal(r.code, 1, JSON.stringify(content));
    assert.match(r.err.join('\n'), message);
  }
  const throttle = await reassign('--execute', '--reassignment-json-file', file('t.json', { partitions: [{ topic: 'r', partition: 0, replicas: [1] }] }), '--throttle', '1000');
  assert.match(throttle.err.join('\n'), /--throttle is not supported/);
  assert.match((await reassign()).err.join('\n'), /exactly one action/);
});

test('the raw APIs: cancel without a reassignment, a partition named twice, unknown topics, listing', async () => {
  const client = await KafkaClient.connect(b.bootstrap);
  try {
    const alter = (topics: { name: string; partitions: { partitionIndex: number; replicas: number[] | null }[] }[]) =>
      client.request(AlterPartitionReassignments, { timeoutMs: 10_000, topics });
    const r = await alter([
      { name: 'r', partitions: [{ partitionIndex: 0, replicas: null }, { partitionIndex: 1, replicas: [b.broker.nodeId] }, { partitionIndex: 1, replicas: null }] },
      { name: 'nope', partitions: [{ partitionIndex: 0, replicas: [b.broker.nodeId] }] },
    ]);
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.deepEqual(r.responses.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.errorCode])]), [
      ['r', [[0, ErrorCode.NO_REASSIGNMENT_IN_PROGRESS], [1, ErrorCode.INVALID_REQUEST], [1, ErrorCode.INVALID_REQUEST]]],
      ['nope', [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
    ]);
    const all = await client.request(ListPartitionReassignments, { timeoutMs: 10_000, topics: null });
    assert.deepEqual([all.errorCode, all.topics], [ErrorCode.NONE, []]);
    const some = await client.request(ListPartitionReassignments, { timeoutMs: 10_000, topics: [{ name: 'r', partitionIndexes: [0, 9] }, { name: 'nope', partitionIndexes: [0] }] });
    assert.deepEqual([some.errorCode, some.topics], [ErrorCode.NONE, []], 'unknown or idle partitions are left out, as Kafka does');
  } finally {
    await client.close();
  }
});
