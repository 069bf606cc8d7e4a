/**
 * kill -9 can leave a torn tail in a `__consumer_offsets` segment (half of the last batch
 * written, a zero-filled region, a batch whose CRC does not match). After the restart the
 * group coordinator must still load (no COORDINATOR_LOAD_IN_PROGRESS or NOT_AVAILABLE
 * forever), every acknowledged commit before the tail must be there, and new commits must be
 * accepted and themselves survive the next kill -9.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnBroker, tempDir, type BrokerProcess } from '../helpers/broker.js';
import { KafkaClient } from '../../src/client/index.js';

const OVERRIDES = { 'offsets.topic.num.partitions': '3' };
const GROUP = 'g-torn-tail';
const TOPIC = 'torn-tail';

/** The one non-empty `__consumer_offsets` segment (the group's partition). */
function offsetsSegment(dataDir: string): string {
  const found: string[] = [];
  for (const d of readdirSync(dataDir)) {
    if (!d.startsWith('__consumer_offsets-')) continue;
    for (const f of readdirSync(join(dataDir, d))) {
      const path = join(dataDir, d, f);
      if (f.endsWith('.log') && statSync(path).size > 0) found.push(path);
    }
  }
  assert.equal(found.length, 1, `one non-empty __consumer_offsets segment: ${found.join(', ')}`);
  return found[0]!;
}

/** The last complete batch in a segment file (v2 batches: baseOffset int64, batchLength int32). */
function lastBatch(file: Buffer): Buffer {
  let pos = 0;
  let last: Buffer | undefined;
  while (pos + 12 <= file.length) {
    const size = 12 + file.readInt32BE(pos + 8);
    if (pos + size > file.length) break;
    last = file.subarray(pos, pos + size);
    pos += size;
  }
  assert.ok(last !== undefined, 'the segment holds a batch');
  return Buffer.from(last);
}

const TAILS: Record<string, (last: Buffer) => Buffer> = {
  'half of a batch': (last) => last.subarray(0, Math.floor(last.length / 2)),
  'a zero-filled region': () => Buffer.alloc(4096),
  'a whole batch with a bad CRC': (last) => {
    const copy = Buffer.from(last);
    copy[copy.length - 1] ^= 0xff;
    return copy;
  },
  'only the first bytes of a batch header': (last) => last.subarray(0, 7),
};

async function committed(bootstrap: string): Promise<number> {
  const client = await KafkaClient.connect(bootstrap);
  try {
    return (await client.fetchCommittedOffsets(GROUP, TOPIC, [0])).get(0) ?? -1;
  } finally {
    await client.close();
  }
}

async function commit(bootstrap: string, offset: number): Promise<void> {
  const client = await KafkaClient.connect(bootstrap);
  try {
    await client.commitOffsets(GROUP, [{ topic: TOPIC, partition: 0, offset }]);
  } finally {
    await client.close();
  }
}

test('a torn tail in __consumer_offsets after kill -9 keeps the acknowledged commits and the coordinator serving', { timeout: 90_000 }, async () => {
  const dir = tempDir('sherwood-offsets-torn-');
  let broker: BrokerProcess | undefined = await spawnBroker(dir.path, undefined, OVERRIDES);
  try {
    const setup = await KafkaClient.connect(broker.bootstrap);
    try {
      await setup.metadata([TOPIC], { allowAutoTopicCreation: true });
    } finally {
      await setup.close();
    }
    let expected = 3;
    await commit(broker.bootstrap, 1);
    await commit(broker.bootstrap, expected);
    for (const [name, tail] of Object.entries(TAILS)) {
      await broker.kill9();
      const segment = offsetsSegment(dir.path);
      appendFileSync(segment, tail(lastBatch(readFileSync(segment))));
      broker = await spawnBroker(dir.path, broker.port, OVERRIDES);
      assert.equal(await committed(broker.bootstrap), expected, `after ${name}: the acknowledged commit is back`);
      expected += 2;
      await commit(broker.bootstrap, expected);
      assert.equal(await committed(broker.bootstrap), expected, `after ${name}: a new commit is accepted`);
    }
    await broker.kill9();
    broker = await spawnBroker(dir.path, broker.port, OVERRIDES);
    assert.equal(await committed(broker.bootstrap), expected, 'the commits made after the torn tails survive kill -9 too');
  } finally {
    if (broker.child.exitCode === null && broker.child.signalCode === null) await broker.kill9();
    dir.remove();
  }
});
