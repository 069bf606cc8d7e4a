/**
 * A failed write to a log dir (disk full, I/O error) used to take only that partition's log
 * offline: a leader kept its leadership and answered KAFKA_STORAGE_ERROR for ever, so in a
 * cluster the partition stayed unavailable until someone restarted the broker (found while
 * building the chaos campaign's full-disk fault). Kafka halts a broker whose log dirs have all
 * failed, so its leaderships move; Sherwood does the same for any failed dir: the produce that
 * hit the failure is answered KAFKA_STORAGE_ERROR, `onLogDirFailure` is called once per dir
 * (`sherwood server` exits with status 1 there), and an embedded broker closes itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { MemoryFileSystem } from '../../src/base/file-system.js';
import { createLogger } from '../../src/base/logger.js';
import { encodeBatch } from '../../src/protocol/records.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { startTestBroker } from '../helpers/broker.js';
import type { RunningBroker } from '../../src/index.js';
import { until } from '../helpers/wait.js';

const batch = () => encodeBatch({ records: [{ key: null, value: Buffer.from('v'), timestamp: Date.now() }] });

/** The first segment of `topic`-0, where the next append writes. */
function segment(b: RunningBroker, topic: string): string {
  return `${b.broker.replicaManager.getPartition(topic, 0)!.log.dir}/00000000000000000000.log`;
}

function refuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => { s.destroy(); resolve(false); });
    s.once('error', () => resolve(true));
  });
}

test('a failed log write: KAFKA_STORAGE_ERROR, onLogDirFailure once for the dir', { timeout: 30_000 }, async () => {
  const fs = new MemoryFileSystem({ trackDurability: false });
  const failures: string[] = [];
  const b = await startTestBroker({ fs, logger: createLogger('silent'), onLogDirFailure: (dir) => failures.push(dir) });
  try {
    for (const t of ['a', 'b']) assert.equal((await b.broker.topics.create({ name: t, numPartitions: 1, replicationFactor: 1 })).errorCode, ErrorCode.NONE);
    const rm = b.broker.replicaManager;
    assert.equal((await rm.appendRecords('a', 0, batch(), { acks: 1, timeoutMs: 1000, origin: 'client' })).errorCode, ErrorCode.NONE);
    assert.deepEqual(failures, []);
    fs.tearNextWrite(segment(b, 'a'));
    assert.equal((await rm.appendRecords('a', 0, batch(), { acks: 1, timeoutMs: 1000, origin: 'client' })).errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    assert.equal(failures.length, 1);
    // Another log of the same dir failing does not report the dir again.
    fs.tearNextWrite(segment(b, 'b'));
    assert.equal((await rm.appendRecords('b', 0, batch(), { acks: 1, timeoutMs: 1000, origin: 'client' })).errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    assert.equal(failures.length, 1);
    assert.match(failures[0]!, /data$/);
  } finally {
    await b.close();
  }
});

test('embedded, by default, a broker whose log dir failed closes itself (its port stops accepting)', { timeout: 30_000 }, async () => {
  const fs = new MemoryFileSystem({ trackDurability: false });
  const b = await startTestBroker({ fs, logger: createLogger('silent') });
  try {
    assert.equal((await b.broker.topics.create({ name: 'a', numPartitions: 1, replicationFactor: 1 })).errorCode, ErrorCode.NONE);
    assert.equal(await refuses(b.port), false);
    fs.tearNextWrite(segment(b, 'a'));
    const r = await b.broker.replicaManager.appendRecords('a', 0, batch(), { acks: 1, timeoutMs: 1000, origin: 'client' });
    assert.equal(r.errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    await until('the broker closed its listener', () => refuses(b.port), { timeoutMs: 10_000 });
  } finally {
    await b.close();
  }
});
