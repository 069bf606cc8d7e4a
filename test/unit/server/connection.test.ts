/**
 * Framing, pipelining, ordering, limits and bad input on a SocketServer with test handlers.
 * Storage is not involved: the Broker gets placeholder logs/topics.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Broker } from '../../../src/server/broker.js';
import { BrokerConfig } from '../../../src/server/config.js';
import { RequestRouter } from '../../../src/server/request-router.js';
import { SocketServer } from '../../../src/server/server.js';
import { setRawFrameHandler } from '../../../src/server/connection.js';
import { defineHandler, type Handler } from '../../../src/server/handler.js';
import apiVersionsHandler from '../../../src/server/handlers/api-versions.js';
import { api, f, message } from '../../../src/protocol/schema.js';
import { ApiVersions } from '../../../src/protocol/messages/api-versions.js';
import { systemClock } from '../../../src/base/clock.js';
import { systemRandom } from '../../../src/base/random.js';
import { createLogger } from '../../../src/base/logger.js';
import { RawClient, rawFrame, requestFrame, responseReader } from './raw-client.js';
import { settled, sleep, until } from '../../helpers/wait.js';

/** A test-only API (key 1000): the handler waits delayMs, then answers seq and payloadBytes of payload. */
const Echo = api<{ seq: number; delayMs: number; payloadBytes: number; mode: number; blob: Buffer }, { seq: number; payload: Buffer }>(
  message(1000, 'Echo', 'request', '0-1', '1+', [f('seq', 'int32', '0+'), f('delayMs', 'int32', '0+'), f('payloadBytes', 'int32', '0+'), f('mode', 'int8', '0+'), f('blob', 'bytes', '0+')]),
  message(1000, 'Echo', 'response', '0-1', '1+', [f('seq', 'int32', '0+'), f('payload', 'bytes', '0+')]),
);
const MODE_NORMAL = 0, MODE_NULL = 1, MODE_THROW = 2, MODE_SYNC = 3, MODE_RAW = 4;

let handled = 0;
let running = 0;
let maxRunning = 0;
const echoHandler = defineHandler({
  api: Echo,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, req) {
    handled++;
    if (req.mode === MODE_RAW) {
      setRawFrameHandler(ctx.connection, async (frame) => {
        setRawFrameHandler(ctx.connection, null);
        return Buffer.concat([Buffer.from('raw:'), frame]);
      });
      return { seq: req.seq, payload: Buffer.alloc(0) };
    }
    if (req.mode === MODE_THROW) throw new Error('handler bug (expected by the test)');
    if (req.mode === MODE_SYNC) return { seq: req.seq, payload: req.blob.length > 0 ? req.blob : Buffer.alloc(req.payloadBytes) };
    running++;
    maxRunning = Math.max(maxRunning, running);
    return new Promise((resolve) => setTimeout(() => {
      running--;
      resolve(req.mode === MODE_NULL ? null : { seq: req.seq, payload: Buffer.alloc(req.payloadBytes, 7) });
    }, req.delayMs));
  },
});

const handlers = new Map<number, Handler>([[18, apiVersionsHandler], [1000, echoHandler]]);

interface TestServer {
  port: number;
  server: SocketServer;
}
const servers: SocketServer[] = [];

async function startServer(options: { maxRequestBytes?: number; maxQueuedRequests?: number; maxConcurrentRequests?: number; idleTimeoutMs?: number } = {}): Promise<TestServer> {
  const logger = createLogger('silent');
  const broker = new Broker({
    config: BrokerConfig.defaults(), nodeId: 1, clusterId: 'test-cluster-id-000000', clock: systemClock, random: systemRandom, logger,
    fs: {} as never, logs: {} as never, topics: { image: { offset: 0 } } as never, replicaManager: {} as never, handlers,
  });
  const server = new SocketServer(new RequestRouter(broker), logger, options);
  const [bound] = await server.listen([{ name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: '127.0.0.1', port: 0 }]);
  servers.push(server);
  return { port: bound!.boundPort, server };
}

let main: TestServer;
before(async () => {
  main = await startServer({ maxRequestBytes: 4096, maxConcurrentRequests: 8 });
});
after(async () => {
  for (const s of servers) await s.close();
});

function echo(seq: number, opts: { delayMs?: number; payloadBytes?: number; mode?: number; blob?: Buffer } = {}, version = 1): Buffer {
  return requestFrame(Echo, version, seq, { seq, delayMs: opts.delayMs ?? 0, payloadBytes: opts.payloadBytes ?? 0, mode: opts.mode ?? MODE_NORMAL, blob: opts.blob ?? Buffer.alloc(0) });
}

function decodeEcho(frame: Buffer): { correlationId: number; seq: number; payloadBytes: number } {
  const { correlationId, r } = responseReader(frame, true);
  const body = Echo.response.read(r, 1);
  assert.equal(r.error, null);
  return { correlationId, seq: body.seq, payloadBytes: body.payload.length };
}

/** The broker still answers ApiVersions on a fresh connection. */
async function assertServing(port: number): Promise<void> {
  const c = await RawClient.connect(port);
  try {
    c.send(requestFrame(ApiVersions, 0, 77, {}));
    const [frame] = await c.read(1);
    const { correlationId, r } = responseReader(frame!);
    assert.equal(correlationId, 77);
    assert.equal(ApiVersions.response.read(r, 0).errorCode, 0);
  } finally {
    c.close();
  }
}

async function expectClosed(bytes: Buffer, port = main.port): Promise<void> {
  const c = await RawClient.connect(port);
  c.send(bytes);
  assert.equal(await c.waitClosed(5000), true, 'broker should close the connection');
  assert.equal(c.unread, 0, 'no response expected');
  await assertServing(port);
}

test('ApiVersions v0-v4 list exactly the registered handlers; header is v0 even for v3+', async () => {
  const c = await RawClient.connect(main.port);
  try {
    for (let v = 0; v <= 4; v++) {
      c.send(requestFrame(ApiVersions, v, 100 + v, { clientSoftwareName: 'sherwood-test', clientSoftwareVersion: '1.0.0' }));
      const [frame] = await c.read(1);
      const { correlationId, r } = responseReader(frame!, false);
      assert.equal(correlationId, 100 + v);
      const body = ApiVersions.response.read(r, v);
      assert.equal(r.error, null);
      assert.equal(r.remaining, 0, `v${v} body fully consumed`);
      assert.equal(body.errorCode, 0);
      assert.deepEqual(body.apiKeys, [{ apiKey: 18, minVersion: 0, maxVersion: 4 }, { apiKey: 1000, minVersion: 0, maxVersion: 1 }]);
      if (v >= 3) {
        // transaction.version is the one feature; finalized at the broker's level (default 2).
        assert.deepEqual(body.supportedFeatures, [{ name: 'transaction.version', minVersion: 0, maxVersion: 2 }]);
        assert.deepEqual(body.finalizedFeatures, [{ name: 'transaction.version', maxVersionLevel: 2, minVersionLevel: 2 }]);
        assert.equal(body.finalizedFeaturesEpoch, 0, 'the metadata image offset');
      }
    }
  } finally {
    c.close();
  }
});

test('ApiVersions at an unsupported version: error 35 in the v0 format with our ranges, connection stays usable', async () => {
  const c = await RawClient.connect(main.port);
  try {
    c.send(rawFrame(18, 9, 5, Buffer.from([0, 0, 0, 0, 0])));
    const [frame] = await c.read(1);
    const { correlationId, r } = responseReader(frame!, false);
    assert.equal(correlationId, 5);
    const body = ApiVersions.response.read(r, 0);
    assert.equal(r.error, null);
    assert.equal(r.remaining, 0);
    assert.equal(body.errorCode, 35);
    assert.deepEqual(body.apiKeys.find((k) => k.apiKey === 18), { apiKey: 18, minVersion: 0, maxVersion: 4 });
    c.send(requestFrame(ApiVersions, 3, 6, { clientSoftwareName: 'x', clientSoftwareVersion: '1' }));
    const [again] = await c.read(1);
    assert.equal(responseReader(again!).correlationId, 6);
  } finally {
    c.close();
  }
});

test('ApiVersions v3 with an invalid client software name answers INVALID_REQUEST (42)', async () => {
  const c = await RawClient.connect(main.port);
  try {
    c.send(requestFrame(ApiVersions, 3, 8, { clientSoftwareName: '-bad name-', clientSoftwareVersion: '1.0' }));
    const [frame] = await c.read(1);
    const { r } = responseReader(frame!);
    const body = ApiVersions.response.read(r, 3);
    assert.equal(body.errorCode, 42);
    assert.deepEqual(body.apiKeys, []);
  } finally {
    c.close();
  }
});

test('unknown API key closes the connection; the broker keeps serving', async () => {
  await expectClosed(rawFrame(31000, 0, 1));
});

test('unsupported version of a known API (not ApiVersions) closes the connection', async () => {
  await expectClosed(rawFrame(1000, 7, 1, Buffer.alloc(16)));
});

test('garbage header (frame shorter than a header) closes the connection', async () => {
  await expectClosed(Buffer.from([0, 0, 0, 3, 0xde, 0xad, 0xbe]));
});

test('size larger than socket.request.max.bytes closes the connection without waiting for the body', async () => {
  const b = Buffer.alloc(8);
  b.writeInt32BE(4097, 0);
  await expectClosed(b);
});

test('negative size closes the connection', async () => {
  await expectClosed(Buffer.from([0xff, 0xff, 0xff, 0xf0]));
});

test('truncated body (valid header, body shorter than its fields) closes the connection', async () => {
  const full = echo(1);
  const cut = Buffer.from(full.subarray(0, full.length - 6));
  cut.writeInt32BE(cut.length - 4, 0);
  await expectClosed(cut);
});

test('a frame cut short by the client half-closing gets no response and the connection ends', async () => {
  const full = echo(1);
  const c = await RawClient.connect(main.port);
  c.socket.end(full.subarray(0, full.length - 3));
  assert.equal(await c.waitClosed(5000), true);
  assert.equal(c.unread, 0);
});

test('a handler that throws closes its connection; others keep working', async () => {
  await expectClosed(echo(1, { mode: MODE_THROW }));
});

test('50 pipelined requests in one write are answered in order although handlers finish out of order', async () => {
  const c = await RawClient.connect(main.port);
  try {
    const frames: Buffer[] = [];
    for (let i = 0; i < 50; i++) frames.push(echo(i, { delayMs: (50 - i) % 7 * 3 }));
    c.send(Buffer.concat(frames));
    const responses = (await c.read(50)).map(decodeEcho);
    assert.deepEqual(responses.map((x) => x.correlationId), [...Array(50).keys()]);
    assert.deepEqual(responses.map((x) => x.seq), [...Array(50).keys()]);
  } finally {
    c.close();
  }
});

test('default (Kafka) semantics: one request at a time per connection, still pipelined', async () => {
  const serial = await startServer();
  const c = await RawClient.connect(serial.port);
  try {
    maxRunning = 0;
    const frames: Buffer[] = [];
    for (let i = 0; i < 20; i++) frames.push(echo(i, { delayMs: 2 }));
    c.send(Buffer.concat(frames));
    const responses = (await c.read(20)).map(decodeEcho);
    assert.deepEqual(responses.map((x) => x.seq), [...Array(20).keys()]);
    assert.equal(maxRunning, 1);
  } finally {
    c.close();
  }
});

test('a null response (acks=0) sends nothing and later responses keep their order', async () => {
  const c = await RawClient.connect(main.port);
  try {
    // A last answered request closes the check without a sleep: responses come in request
    // order, so one sent for 2 or 4 would arrive before 6's.
    c.send(Buffer.concat([echo(1, { delayMs: 20 }), echo(2, { mode: MODE_NULL }), echo(3), echo(4, { mode: MODE_NULL, delayMs: 5 }), echo(5, { mode: MODE_SYNC }), echo(6, { mode: MODE_SYNC })]));
    const responses = (await c.read(4)).map(decodeEcho);
    assert.deepEqual(responses.map((x) => x.seq), [1, 3, 5, 6]);
    assert.equal(c.unread, 0);
  } finally {
    c.close();
  }
});

test('frames split into 1-byte chunks and many frames per chunk both decode', async () => {
  const c = await RawClient.connect(main.port);
  try {
    const bytes = Buffer.concat([echo(1), echo(2, { mode: MODE_SYNC }), requestFrame(ApiVersions, 3, 3, { clientSoftwareName: 'a', clientSoftwareVersion: 'b' })]);
    for (let i = 0; i < bytes.length; i++) {
      c.send(bytes.subarray(i, i + 1));
      if (i % 16 === 0) await new Promise((r) => setImmediate(r));
    }
    const frames = await c.read(3);
    assert.deepEqual(frames.map((fr) => fr.readInt32BE(0)), [1, 2, 3]);
  } finally {
    c.close();
  }
});

test('in-flight limit: the socket is paused at maxQueuedRequests and resumed; all requests answered in order', async () => {
  const limited = await startServer({ maxQueuedRequests: 3, maxConcurrentRequests: 100 });
  const c = await RawClient.connect(limited.port);
  try {
    maxRunning = 0;
    const frames: Buffer[] = [];
    for (let i = 0; i < 60; i++) frames.push(echo(i, { delayMs: 1 }));
    c.send(Buffer.concat(frames));
    const responses = (await c.read(60, 10000)).map(decodeEcho);
    assert.deepEqual(responses.map((x) => x.seq), [...Array(60).keys()]);
    assert.ok(maxRunning <= 3, `at most 3 requests queued or running at once, saw ${maxRunning}`);
  } finally {
    c.close();
  }
});

test('write backpressure: a client that stops reading stops the broker from starting more requests', async () => {
  const big = await startServer({ maxRequestBytes: 1 << 20, maxConcurrentRequests: 1 });
  const c = await RawClient.connect(big.port);
  try {
    c.socket.pause();
    const before = handled;
    const n = 40;
    const frames: Buffer[] = [];
    for (let i = 0; i < n; i++) frames.push(echo(i, { mode: MODE_SYNC, payloadBytes: 4 << 20 }));
    c.send(Buffer.concat(frames));
    // Wait until the broker has stopped starting requests (the count holds still), then check
    // it stopped early; a broker ignoring backpressure runs all 40 (4 MB each, synchronously).
    await until('the broker to start answering', () => handled > before, 5000);
    await settled('the requests the broker started', () => handled, 200);
    const startedWhilePaused = handled - before;
    assert.ok(startedWhilePaused < n, `broker must stop while the client does not read (ran ${startedWhilePaused} of ${n})`);
    c.socket.resume();
    const responses = (await c.read(n, 20000)).map(decodeEcho);
    assert.deepEqual(responses.map((x) => x.seq), [...Array(n).keys()]);
    assert.ok(responses.every((x) => x.payloadBytes === 4 << 20));
  } finally {
    c.close();
  }
});

test('raw frames (legacy SASL framing): a handler switches the next frame to a raw handler, then back', async () => {
  const c = await RawClient.connect(main.port);
  try {
    const token = Buffer.from('\0user\0secret');
    const rawToken = Buffer.alloc(4 + token.length);
    rawToken.writeInt32BE(token.length, 0);
    token.copy(rawToken, 4);
    c.send(Buffer.concat([echo(1, { mode: MODE_RAW }), rawToken, echo(2)]));
    const [first, raw, last] = await c.read(3);
    assert.equal(decodeEcho(first!).seq, 1);
    assert.equal(raw!.toString('latin1'), 'raw:\0user\0secret');
    assert.equal(decodeEcho(last!).seq, 2);
  } finally {
    c.close();
  }
});

test('a 3 MB request trickled in 1000-byte writes is reassembled byte for byte', async () => {
  const big = await startServer({ maxRequestBytes: 4 << 20 });
  const c = await RawClient.connect(big.port);
  try {
    const blob = Buffer.alloc(3 << 20);
    for (let i = 0; i < blob.length; i++) blob[i] = (i * 31) & 0xff;
    const frame = Buffer.concat([echo(1, { mode: MODE_SYNC, blob }), echo(2, { mode: MODE_SYNC })]);
    for (let i = 0; i < frame.length; i += 1000) c.send(frame.subarray(i, i + 1000));
    const [first, second] = await c.read(2, 20000);
    const { r } = responseReader(first!, true);
    const body = Echo.response.read(r, 1);
    assert.equal(body.seq, 1);
    assert.ok(body.payload.equals(blob));
    assert.equal(decodeEcho(second!).seq, 2);
  } finally {
    c.close();
  }
});

test('connections.max.idle.ms: an idle connection is closed, an active one is not', async () => {
  // 10x the busy connection's 100 ms gaps, so a loaded machine's late timers cannot make it look idle.
  const idle = await startServer({ idleTimeoutMs: 1000 });
  const quiet = await RawClient.connect(idle.port);
  const busy = await RawClient.connect(idle.port);
  try {
    // The busy connection talks every 100 ms (pacing) until the quiet one, opened just before
    // it, is closed as idle: the idle timeout has then passed for both, so only its activity
    // can have kept the busy one open. (Checking it before 1 s could never fail.)
    for (let i = 0; !quiet.closed; i++) {
      assert.ok(i < 50, 'the idle connection was never closed');
      busy.send(echo(i, { mode: MODE_SYNC }));
      await busy.read(1);
      await sleep(100);
    }
    busy.send(echo(99, { mode: MODE_SYNC }));
    assert.equal(decodeEcho((await busy.read(1))[0]!).seq, 99, 'requests every 100 ms keep the connection open');
    assert.equal(busy.closed, false);
  } finally {
    quiet.close();
    busy.close();
  }
});
