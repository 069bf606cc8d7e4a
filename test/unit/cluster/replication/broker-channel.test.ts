/**
 * BrokerChannel's response framing: frames split anywhere across reads (even inside the size
 * prefix), several frames in one read, a frame too large for maxResponseBytes, and large frames
 * read straight into a pooled buffer that sendHolding's release() gives back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { ManualClock } from '../../../../src/base/clock.js';
import type { OnRead, Transport, TransportSocket } from '../../../../src/base/transport.js';
import { ioBufferPool } from '../../../../src/base/buffer-pool.js';
import { Reader, Writer } from '../../../../src/protocol/primitives.js';
import { readRequestHeader, writeResponseHeader } from '../../../../src/protocol/headers.js';
import { ApiVersions, type ApiVersionsResponse } from '../../../../src/protocol/messages/api-versions.js';
import { BrokerChannel, ChannelError } from '../../../../src/cluster/replication/broker-channel.js';

const VERSION = 3;
const ASK = { clientSoftwareName: 't', clientSoftwareVersion: '1' };

/**
 * A socket that records what the channel writes; `deliver` hands it bytes as the kernel would
 * through net.connect's onread: into the buffers the channel provides, as much as each holds.
 */
class FakeSocket extends EventEmitter {
  readonly writes: Buffer[] = [];
  onread: OnRead | undefined;
  /** The buffers read into, one per read. */
  readonly targets: Uint8Array[] = [];
  deliver(chunk: Buffer): void {
    for (let at = 0; at < chunk.length;) {
      const target = this.onread!.buffer();
      const n = Math.min(target.length, chunk.length - at);
      chunk.copy(target, 0, at, at + n);
      at += n;
      this.targets.push(target);
      this.onread!.callback(n, target);
    }
  }
  destroyed = false;
  writableLength = 0;
  write(data: Uint8Array): boolean {
    this.writes.push(Buffer.from(data));
    return true;
  }
  cork(): void {}
  uncork(): void {}
  pause(): this { return this; }
  resume(): this { return this; }
  end(): this { return this; }
  destroy(): this {
    this.destroyed = true;
    this.emit('close');
    return this;
  }
  setNoDelay(): this { return this; }
  setTimeout(): this { return this; }
}

function channelWithSocket(maxResponseBytes = 1 << 20): { channel: BrokerChannel; socket: FakeSocket } {
  const socket = new FakeSocket();
  const transport: Transport = {
    listen: () => { throw new Error('not used'); },
    connect: async (_host, _port, options) => {
      socket.onread = options?.onread;
      return socket as unknown as TransportSocket;
    },
  };
  const channel = new BrokerChannel(2, {
    transport, clock: new ManualClock(), endpoint: () => ({ host: '127.0.0.1', port: 9 }), clientId: 'test', requestTimeoutMs: 30_000, maxResponseBytes,
  });
  return { channel, socket };
}

/** The correlation id of the request the channel wrote as `index`-th frame. */
function correlationIdOf(socket: FakeSocket, index: number): number {
  const frame = socket.writes[index]!;
  const r = new Reader(frame.subarray(4));
  return readRequestHeader(r, true).correlationId;
}

function responseFrame(correlationId: number, body: ApiVersionsResponse): Buffer {
  const w = new Writer(256);
  const sizeAt = w.reserve(4);
  writeResponseHeader(w, correlationId, false); // ApiVersions responses keep header v0
  ApiVersions.response.write(w, body, VERSION);
  const frame = w.toBuffer();
  frame.writeInt32BE(frame.length - 4, sizeAt);
  return frame;
}

const body = (n: number): ApiVersionsResponse => ({
  errorCode: 0,
  apiKeys: Array.from({ length: n }, (_, i) => ({ apiKey: i, minVersion: 0, maxVersion: i })),
  throttleTimeMs: 0,
  supportedFeatures: [],
  finalizedFeaturesEpoch: -1,
  finalizedFeatures: [],
  zkMigrationReady: false,
});

async function waitForWrites(socket: FakeSocket, n: number): Promise<void> {
  for (let i = 0; i < 100 && socket.writes.length < n; i++) await new Promise((r) => setImmediate(r));
  assert.equal(socket.writes.length, n);
}

test('a response split inside its size prefix and then byte by byte decodes once whole', async () => {
  const { channel, socket } = channelWithSocket();
  const pending = channel.send(ApiVersions, VERSION, ASK);
  await waitForWrites(socket, 1);
  const frame = responseFrame(correlationIdOf(socket, 0), body(40));
  let settled = false;
  void pending.finally(() => { settled = true; });
  socket.deliver(frame.subarray(0, 2));
  socket.deliver(frame.subarray(2, 3));
  for (let i = 3; i < frame.length - 1; i++) socket.deliver(frame.subarray(i, i + 1));
  await new Promise((r) => setImmediate(r));
  assert.equal(settled, false, 'answered before its last byte arrived');
  socket.deliver(frame.subarray(frame.length - 1));
  const res = await pending;
  assert.equal(res.apiKeys.length, 40);
  assert.equal(res.apiKeys[39]!.maxVersion, 39);
  channel.close();
});

test('two pipelined responses in one chunk, the second one\'s tail in the next', async () => {
  const { channel, socket } = channelWithSocket();
  const a = channel.send(ApiVersions, VERSION, ASK);
  const b = channel.send(ApiVersions, VERSION, ASK);
  await waitForWrites(socket, 2);
  const both = Buffer.concat([responseFrame(correlationIdOf(socket, 0), body(3)), responseFrame(correlationIdOf(socket, 1), body(5))]);
  socket.deliver(both.subarray(0, both.length - 7));
  assert.equal((await a).apiKeys.length, 3);
  socket.deliver(both.subarray(both.length - 7));
  assert.equal((await b).apiKeys.length, 5);
  channel.close();
});

test('a size prefix above maxResponseBytes fails the request with ChannelError and closes the connection', async () => {
  const { channel, socket } = channelWithSocket(1000);
  const pending = channel.send(ApiVersions, VERSION, ASK);
  await waitForWrites(socket, 1);
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(5000);
  socket.deliver(prefix.subarray(0, 1));
  socket.deliver(prefix.subarray(1));
  await assert.rejects(pending, (err: unknown) => err instanceof ChannelError && /bad response frame size 5000/.test((err as Error).message));
  assert.equal(socket.destroyed, true);
  channel.close();
});

test('a large response is read straight into one pooled buffer, which release() gives back', async () => {
  const { channel, socket } = channelWithSocket(4 << 20);
  const pending = channel.sendHolding(ApiVersions, VERSION, ASK);
  await waitForWrites(socket, 1);
  const frame = responseFrame(correlationIdOf(socket, 0), body(20000)); // ~140 KB
  assert.ok(frame.length > 128 * 1024);
  // The prefix and a little in the first read, then the rest as one delivery.
  socket.deliver(frame.subarray(0, 100));
  const before = socket.targets.length;
  socket.deliver(frame.subarray(100));
  // After the first read, the body went into the frame's own buffer: one read, no scratch.
  assert.equal(socket.targets.length, before + 1);
  assert.equal(socket.targets[before]!.length, frame.length - 100);
  const { response, release } = await pending;
  assert.equal(response.apiKeys.length, 20000);
  assert.equal(response.apiKeys[19999]!.maxVersion, 19999);
  const idleBefore = ioBufferPool.idleBytes;
  release();
  const idleAfter = ioBufferPool.idleBytes;
  assert.ok(idleAfter >= idleBefore + frame.length - 4, 'the frame went back to the pool');
  release(); // twice is harmless
  assert.equal(ioBufferPool.idleBytes, idleAfter);
  channel.close();
});

test('a reset in the middle of a large frame gives the partial frame back to the pool; reads of the old socket are ignored', async () => {
  const { channel, socket } = channelWithSocket(4 << 20);
  const first = channel.send(ApiVersions, VERSION, ASK);
  await waitForWrites(socket, 1);
  const frame = responseFrame(correlationIdOf(socket, 0), body(20000));
  const staleOnread = socket.onread!;
  socket.deliver(frame.subarray(0, 70000));
  const idleBefore = ioBufferPool.idleBytes;
  socket.destroy();
  await assert.rejects(first, (err: unknown) => err instanceof ChannelError);
  assert.ok(ioBufferPool.idleBytes >= idleBefore + frame.length - 4, 'the partial frame went back to the pool');
  // The old connection's reads (what was still in flight) land nowhere.
  const stale = staleOnread.buffer();
  Buffer.from(frame.subarray(70000, 70100)).copy(stale);
  staleOnread.callback(100, stale);
  socket.destroyed = false;
  const second = channel.send(ApiVersions, VERSION, ASK);
  await waitForWrites(socket, 2);
  socket.deliver(responseFrame(correlationIdOf(socket, 1), body(7)));
  assert.equal((await second).apiKeys.length, 7);
  channel.close();
});

test('size prefixes below 4 and answers nobody asked for fail the request and close the connection', async () => {
  for (const size of [0, 3, -1]) {
    const { channel, socket } = channelWithSocket();
    const pending = channel.send(ApiVersions, VERSION, ASK);
    await waitForWrites(socket, 1);
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(size);
    socket.deliver(prefix);
    await assert.rejects(pending, (err: unknown) => err instanceof ChannelError && new RegExp(`bad response frame size ${size}`).test((err as Error).message));
    assert.equal(socket.destroyed, true);
    channel.close();
  }
  const { channel, socket } = channelWithSocket(4 << 20);
  const pending = channel.send(ApiVersions, VERSION, ASK);
  await waitForWrites(socket, 1);
  socket.deliver(responseFrame(correlationIdOf(socket, 0) + 1000, body(20000))); // large: pooled, then dropped
  await assert.rejects(pending, (err: unknown) => err instanceof ChannelError && /unknown correlation id/.test((err as Error).message));
  assert.equal(socket.destroyed, true);
  channel.close();
});
