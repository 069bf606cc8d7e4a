/**
 * Responses written as chunks (records by reference): the frame arrives whole and in order, and
 * a pooled read buffer among the chunks goes back to the pool only after the socket has taken
 * it, never while it still waits in the socket's queue for a client that does not read.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Broker } from '../../../src/server/broker.js';
import { BrokerConfig } from '../../../src/server/config.js';
import { RequestRouter } from '../../../src/server/request-router.js';
import { SocketServer } from '../../../src/server/server.js';
import { defineHandler, type Handler } from '../../../src/server/handler.js';
import { api, f, message } from '../../../src/protocol/schema.js';
import { systemClock } from '../../../src/base/clock.js';
import { systemRandom } from '../../../src/base/random.js';
import { createLogger } from '../../../src/base/logger.js';
import { ioBufferPool } from '../../../src/base/buffer-pool.js';
import { requestFrame } from './raw-client.js';
import { sleep, until } from '../../helpers/wait.js';

const BIG = 24 * 1024 * 1024;
/** A test-only API (key 1001) answering `count` records fields of `bytes` pooled bytes each. */
const Blob = api<{ count: number; bytes: number }, { parts: { records: Buffer | null }[] }>(
  message(1001, 'Blob', 'request', '0', 'none', [f('count', 'int32', '0+'), f('bytes', 'int32', '0+')]),
  message(1001, 'Blob', 'response', '0', 'none', [f('parts', '[]Part', '0+', {}, [f('records', 'records', '0+', { nullable: '0+' })])]),
);

const handed: Buffer[] = [];
const blobHandler = defineHandler({
  api: Blob, minVersion: 0, maxVersion: 0,
  handle(_ctx, req) {
    const parts = [];
    for (let i = 0; i < req.count; i++) {
      const b = ioBufferPool.acquire(req.bytes);
      for (let k = 0; k < b.length; k += 4096) b[k] = (k / 4096 + i) & 0xff;
      handed.push(b);
      parts.push({ records: b });
    }
    return { parts };
  },
});

const servers: SocketServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

test('a pooled records buffer is released only once written, and the frame is intact', { timeout: 30_000 }, async () => {
  const logger = createLogger('silent');
  const broker = new Broker({
    config: BrokerConfig.defaults(), nodeId: 1, clusterId: 'test-cluster-id-000000', clock: systemClock, random: systemRandom, logger,
    fs: {} as never, logs: {} as never, topics: {} as never, replicaManager: {} as never, handlers: new Map<number, Handler>([[1001, blobHandler]]),
  });
  const server = new SocketServer(new RequestRouter(broker), logger, {});
  servers.push(server);
  const [bound] = await server.listen([{ name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: '127.0.0.1', port: 0 }]);
  const socket = net.connect(bound!.boundPort, '127.0.0.1');
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const chunks: Buffer[] = [];
  let received = 0;
  socket.on('data', (d: Buffer) => {
    chunks.push(d);
    received += d.length;
  });
  socket.pause();
  try {
    const idleBefore = ioBufferPool.idleBytes;
    socket.write(requestFrame(Blob, 0, 7, { count: 2, bytes: BIG }));
    await until('the handler to run', () => handed.length === 2, 5000);
    // The response is written right after the handler; a release on write() instead of on
    // the socket's callback would be back in the pool by now. The client reads nothing, so
    // most of 48 MB stays queued on the broker's side: nothing may come back meanwhile
    // (a does-not-happen check, hence the fixed wait).
    await sleep(100);
    assert.equal(ioBufferPool.idleBytes, idleBefore, 'nothing released while unsent');
    const probe = ioBufferPool.acquire(BIG);
    assert.ok(!handed.some((h) => h.buffer === probe.buffer), 'a queued buffer is not handed out again');
    ioBufferPool.release(probe);

    socket.resume();
    const expected = 4 + 4 + 4 + 2 * (4 + BIG);
    await until('the whole frame', () => received >= expected, { detail: () => `received ${received} of ${expected}` });
    const frame = Buffer.concat(chunks, received);
    assert.equal(received, expected);
    assert.equal(frame.readInt32BE(0), expected - 4);
    assert.equal(frame.readInt32BE(4), 7, 'correlation id');
    assert.equal(frame.readInt32BE(8), 2, 'two parts');
    for (let i = 0; i < 2; i++) {
      const at = 12 + i * (4 + BIG);
      assert.equal(frame.readInt32BE(at), BIG);
      for (let k = 0; k < BIG; k += 4096 * 97) assert.equal(frame[at + 4 + k], (k / 4096 + i) & 0xff, `part ${i} byte ${k}`);
    }
    await until('the written buffers to go back to the pool', () => ioBufferPool.idleBytes >= idleBefore + BIG, 5000);
  } finally {
    socket.destroy();
  }
});
