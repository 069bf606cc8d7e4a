/**
 * Bad bytes against a real in-process broker (all discovered handlers): each case gets the
 * right error or a closed connection, and the broker keeps serving a fresh connection.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBroker } from '../helpers/broker.js';
import { ApiVersions } from '../../src/protocol/messages/api-versions.js';
import { Metadata } from '../../src/protocol/messages/metadata.js';
import { RawClient, rawFrame, requestFrame, responseReader } from '../unit/server/raw-client.js';
import type { RunningBroker } from '../../src/index.js';

let b: RunningBroker;
before(async () => {
  b = await startTestBroker({ overrides: { 'socket.request.max.bytes': '65536' } });
});
after(async () => {
  await b?.close();
});

async function metadataWorks(): Promise<void> {
  const c = await RawClient.connect(b.port, b.host);
  try {
    c.send(requestFrame(Metadata, 1, 42, { topics: [] }));
    const [frame] = await c.read(1);
    const { correlationId, r } = responseReader(frame!);
    assert.equal(correlationId, 42);
    const md = Metadata.response.read(r, 1);
    assert.equal(r.error, null);
    assert.deepEqual(md.brokers.map((x) => [x.nodeId, x.host, x.port]), [[b.broker.nodeId, b.host, b.port]]);
  } finally {
    c.close();
  }
}

async function expectClosed(bytes: Buffer): Promise<void> {
  const c = await RawClient.connect(b.port, b.host);
  c.send(bytes);
  assert.equal(await c.waitClosed(5000), true, 'broker closes the connection');
  assert.equal(c.unread, 0, 'and sends nothing');
  await metadataWorks();
}

test('the broker advertises the real port and answers Metadata', async () => {
  assert.notEqual(b.port, 0);
  assert.equal(b.bootstrap, `${b.host}:${b.port}`);
  await metadataWorks();
});

test('ApiVersions advertises exactly the discovered handlers', async () => {
  const c = await RawClient.connect(b.port, b.host);
  try {
    c.send(requestFrame(ApiVersions, 3, 1, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' }));
    const { r } = responseReader((await c.read(1))[0]!);
    const body = ApiVersions.response.read(r, 3);
    assert.equal(body.errorCode, 0);
    const expected = [...b.broker.handlers.values()].map((h) => [h.api.apiKey, h.minVersion, h.maxVersion]).sort((x, y) => x[0]! - y[0]!);
    assert.deepEqual(body.apiKeys.map((k) => [k.apiKey, k.minVersion, k.maxVersion]), expected);
    assert.ok(body.apiKeys.some((k) => k.apiKey === 18 && k.minVersion === 0 && k.maxVersion === 4));
  } finally {
    c.close();
  }
});

test('garbage header closes the connection', async () => {
  await expectClosed(Buffer.from([0, 0, 0, 5, 1, 2, 3, 4, 5]));
});

test('size above socket.request.max.bytes closes the connection', async () => {
  const buf = Buffer.alloc(4);
  buf.writeInt32BE(65537, 0);
  await expectClosed(buf);
});

test('negative size closes the connection', async () => {
  await expectClosed(Buffer.from([0x80, 0, 0, 0]));
});

test('unknown API key closes the connection', async () => {
  await expectClosed(rawFrame(9999, 0, 3));
});

test('unsupported Metadata version closes the connection', async () => {
  await expectClosed(rawFrame(3, 99, 3, Buffer.alloc(8)));
});

test('unsupported ApiVersions version: error 35, v0 format, our ranges', async () => {
  const c = await RawClient.connect(b.port, b.host);
  try {
    c.send(rawFrame(18, 127, 11, Buffer.from([0, 0, 0])));
    const { correlationId, r } = responseReader((await c.read(1))[0]!);
    assert.equal(correlationId, 11);
    const body = ApiVersions.response.read(r, 0);
    assert.equal(r.remaining, 0);
    assert.equal(body.errorCode, 35);
    assert.equal(body.apiKeys.length, b.broker.handlers.size);
    assert.deepEqual(body.apiKeys.find((k) => k.apiKey === 18), { apiKey: 18, minVersion: 0, maxVersion: 4 });
  } finally {
    c.close();
  }
  await metadataWorks();
});

test('truncated Metadata body closes the connection', async () => {
  const full = requestFrame(Metadata, 1, 9, { topics: [{ topicId: Buffer.alloc(16), name: 'some-topic-name' }] });
  const cut = Buffer.from(full.subarray(0, full.length - 5));
  cut.writeInt32BE(cut.length - 4, 0);
  await expectClosed(cut);
});

test('50 pipelined requests in one write come back in order', async () => {
  const c = await RawClient.connect(b.port, b.host);
  try {
    const frames: Buffer[] = [];
    for (let i = 0; i < 50; i++) frames.push(i % 2 === 0 ? requestFrame(Metadata, 1, 1000 + i, { topics: [] }) : requestFrame(ApiVersions, i % 4 === 1 ? 0 : 3, 1000 + i, { clientSoftwareName: 'a', clientSoftwareVersion: 'b' }));
    c.send(Buffer.concat(frames));
    const responses = await c.read(50, 10000);
    assert.deepEqual(responses.map((fr) => fr.readInt32BE(0)), frames.map((_, i) => 1000 + i));
  } finally {
    c.close();
  }
});
