/** Shared by the connection-memory-bound-* regression tests (one scenario per process, so RSS means something). */
import assert from 'node:assert/strict';
import net from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Fetch } from '../../src/protocol/messages/fetch.js';
import { Metadata } from '../../src/protocol/messages/metadata.js';
import { KafkaClient, produce } from '../../src/client/index.js';
import type { RunningBroker } from '../../src/index.js';
import { RawClient, requestFrame, responseReader } from '../unit/server/raw-client.js';

export const MB = 1024 * 1024;
const ZERO = Buffer.alloc(16);
export const POOL = Number(process.env['SHERWOOD_POOL_BYTES'] ?? 64 * MB);
export const BOUNDED = POOL > 0;

export function fetchFrame(topic: string, correlationId: number, maxBytes: number): Buffer {
  return requestFrame(Fetch, 12, correlationId, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, topicId: ZERO, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: maxBytes, replicaDirectoryId: ZERO }] }],
    forgottenTopicsData: [], rackId: '',
  });
}

export function connect(b: RunningBroker): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(b.port, b.host);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

// A full GC before each RSS reading, so that garbage of earlier steps does not hide growth.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

export function rss(): number {
  gc();
  return process.memoryUsage().rss;
}

/** A client with small requests on its own connection: Metadata and a small Produce, promptly. */
export async function normalClientWorks(b: RunningBroker, topic: string): Promise<void> {
  const c = await RawClient.connect(b.port, b.host);
  try {
    const t0 = Date.now();
    c.send(requestFrame(Metadata, 1, 5, { topics: [] }));
    assert.equal(responseReader((await c.read(1, 5000))[0]!).correlationId, 5);
    assert.ok(Date.now() - t0 < 3000, 'Metadata answered promptly');
  } finally {
    c.close();
  }
  const client = await KafkaClient.connect(b.bootstrap);
  try {
    const r = await produce(client, topic, 0, [{ key: null, value: Buffer.from('small') }], { acks: 1 });
    assert.ok(r.baseOffset >= 0);
  } finally {
    await client.close();
  }
}

