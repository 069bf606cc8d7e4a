/**
 * initial.broker.registration.timeout.ms: a broker started before etcd keeps trying to reach it
 * (as a Kafka broker waits for its controller quorum) and joins once etcd is up; with no etcd
 * at all it gives up after the timeout with EtcdUnavailableError, instead of at the first
 * request timeout.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { KafkaClient } from '../../src/client/index.js';
import { EtcdUnavailableError } from '../../src/cluster/etcd/etcd-errors.js';
import { DEFAULT_ETCD_REQUEST_TIMEOUT_MS } from '../../src/cluster/etcd/etcd-client.js';
import { tempDir } from '../helpers/broker.js';
import { etcdAvailable, startEtcd, type TestEtcd } from '../helpers/etcd.js';

const skip = etcdAvailable() || process.env['CI'] !== undefined ? false : 'etcd is not installed';
const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function stoppedEtcd(): Promise<TestEtcd> {
  const etcd = await startEtcd();
  cleanups.push(() => etcd.close());
  await etcd.stop();
  return etcd;
}

function start(etcd: TestEtcd, timeoutMs: number): Promise<RunningBroker> {
  const dir = tempDir();
  cleanups.push(() => dir.remove());
  return startBroker({
    host: '127.0.0.1', port: 0, nodeId: 1, dataDir: dir.path, logLevel: 'error',
    cluster: { etcd: [etcd.endpoint], prefix: 'early', sessionTimeoutMs: 10_000 },
    overrides: { 'initial.broker.registration.timeout.ms': String(timeoutMs) },
  });
}

test('a broker started before etcd joins once etcd comes up', { skip, timeout: 90_000 }, async () => {
  const etcd = await stoppedEtcd();
  let startedAt = 0;
  const starting = start(etcd, 60_000).then((b) => {
    startedAt = Date.now();
    return b;
  });
  // Longer than one etcd request may take (the client's own retries end there): only the
  // start-up wait keeps the broker trying.
  await new Promise((r) => setTimeout(r, DEFAULT_ETCD_REQUEST_TIMEOUT_MS + 2000));
  assert.equal(startedAt, 0, 'the broker did not start without etcd');
  const etcdUpAt = Date.now();
  await etcd.restart();
  const broker = await starting;
  cleanups.push(() => broker.close());
  assert.ok(startedAt >= etcdUpAt, 'it started after etcd came up');
  const client = await KafkaClient.connect(`127.0.0.1:${broker.port}`);
  try {
    const md = await client.metadata([]);
    assert.deepEqual(md.brokers.map((b) => b.nodeId), [1], 'registered in etcd and listed');
  } finally {
    await client.close();
  }
});

test('with no etcd at all it gives up after initial.broker.registration.timeout.ms', { skip, timeout: 60_000 }, async () => {
  const etcd = await stoppedEtcd();
  const waitMs = DEFAULT_ETCD_REQUEST_TIMEOUT_MS + 3000;
  const t0 = Date.now();
  await assert.rejects(start(etcd, waitMs), (err: unknown) => err instanceof EtcdUnavailableError);
  const took = Date.now() - t0;
  // At least the timeout (more than one request's deadline); at most it plus one more attempt.
  assert.ok(took >= waitMs, `gave up after ${took} ms`);
  assert.ok(took < waitMs + DEFAULT_ETCD_REQUEST_TIMEOUT_MS + 5000, `gave up after ${took} ms`);
});
