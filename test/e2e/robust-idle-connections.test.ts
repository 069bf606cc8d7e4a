/**
 * Many connections and connections.max.idle.ms: 2,000 idle connections do not stop normal
 * clients, and a connection that sends part of a frame and stalls is closed by the idle
 * timeout (Kafka's connections.max.idle.ms, default 600000).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { withBroker } from '../helpers/broker.js';
import { sleep } from '../helpers/wait.js';
import { BrokerConfig } from '../../src/server/config.js';
import { Metadata } from '../../src/protocol/messages/metadata.js';
import { KafkaClient, produce, fetch } from '../../src/client/index.js';
import { RawClient, requestFrame, responseReader } from '../unit/server/raw-client.js';

function openSocket(port: number, host: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, host);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

test('connections.max.idle.ms exists with Kafka\'s default 600000', () => {
  const config = BrokerConfig.fromProperties({});
  assert.equal(config.getLong('connections.max.idle.ms'), 600000);
  assert.equal(BrokerConfig.fromProperties({ 'connections.max.idle.ms': '1500' }).getLong('connections.max.idle.ms'), 1500);
});

test('2,000 concurrent idle connections, then normal clients still produce and fetch', async () => {
  await withBroker(async (b) => {
    const idle: net.Socket[] = [];
    try {
      for (let i = 0; i < 2000; i += 100) {
        idle.push(...(await Promise.all(Array.from({ length: 100 }, () => openSocket(b.port, b.host)))));
      }
      for (const s of idle) s.on('error', () => {});
      // Half of them have pipelined nothing, the other half sent a complete Metadata request
      // they never read the answer to.
      idle.forEach((s, i) => { if (i % 2 === 0) s.write(requestFrame(Metadata, 1, i, { topics: [] })); });
      const client = await KafkaClient.connect(b.bootstrap);
      try {
        await b.broker.topics.create({ name: 'idle-ok', numPartitions: 1, replicationFactor: 1, configs: {} });
        const r = await produce(client, 'idle-ok', 0, [{ key: null, value: Buffer.from('v') }], { acks: -1 });
        assert.equal(r.baseOffset, 0);
        const f = await fetch(client, 'idle-ok', 0, 0, { maxWaitMs: 100 });
        assert.equal(f.records[0]!.value!.toString(), 'v');
      } finally {
        await client.close();
      }
      assert.ok(idle.every((s) => !s.destroyed), 'idle connections are kept below connections.max.idle.ms');
    } finally {
      for (const s of idle) s.destroy();
    }
  });
});

test('a connection that sends a partial frame and stalls is closed after connections.max.idle.ms', async () => {
  await withBroker(async (b) => {
    const stalled = await RawClient.connect(b.port, b.host);
    const headerOnly = await RawClient.connect(b.port, b.host);
    const t0 = Date.now();
    const frame = requestFrame(Metadata, 1, 1, { topics: [] });
    stalled.send(frame.subarray(0, frame.length - 3)); // size says more is coming
    headerOnly.send(frame.subarray(0, 2)); // half a size prefix
    // A connection that keeps talking (every 200 ms: pacing) is not idle: it talks until both
    // stalled ones are closed, so it has outlived the idle timeout too.
    const busy = await RawClient.connect(b.port, b.host);
    for (let i = 0; !(stalled.closed && headerOnly.closed); i++) {
      assert.ok(i < 25, `the stalled connections were not closed within 5 s (partial frame ${stalled.closed}, half a size prefix ${headerOnly.closed})`);
      busy.send(requestFrame(Metadata, 1, 100 + i, { topics: [] }));
      assert.equal(responseReader((await busy.read(1))[0]!).correlationId, 100 + i);
      await sleep(200);
    }
    // Measured when each closed (checking after the busy loop could never fail).
    for (const [c, what] of [[stalled, 'partial frame'], [headerOnly, 'half a size prefix']] as const) {
      const took = c.closedAt! - t0;
      assert.ok(took >= 700, `${what}: closed after ${took} ms, not before the idle timeout (800 ms)`);
    }
    assert.equal(stalled.unread, 0);
    busy.send(requestFrame(Metadata, 1, 99, { topics: [] }));
    assert.equal(responseReader((await busy.read(1))[0]!).correlationId, 99, 'an active connection stays open');
    busy.close();
  }, { overrides: { 'connections.max.idle.ms': '800' } });
});
