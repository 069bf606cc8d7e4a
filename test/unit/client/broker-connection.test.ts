import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BrokerConnection, ConnectionError, RequestTimeoutError } from '../../../src/client/broker-connection.js';
import { Metadata, type MetadataResponse } from '../../../src/protocol/messages/metadata.js';
import { ApiVersions } from '../../../src/protocol/messages/api-versions.js';
import { Produce } from '../../../src/protocol/messages/produce.js';
import { startFakeBroker, apiVersionsBody } from './fake-broker.js';

function metadataAnswer(clusterId: string): Partial<MetadataResponse> {
  return { brokers: [{ nodeId: 1, host: 'h', port: 9, rack: null }], clusterId, controllerId: 1, topics: [] };
}

test('pipelined requests are matched by correlation id even when answered out of order', { timeout: 10_000 }, async () => {
  const held: (() => void)[] = [];
  const fake = await startFakeBroker((req, socket) => {
    const body = req.body as { topics: { name: string }[] };
    const name = body.topics[0]!.name;
    // Hold the first two answers and release them in reverse once the third arrives.
    return new Promise((resolve) => {
      held.push(() => resolve(metadataAnswer(name)));
      if (held.length === 3) for (const h of held.reverse()) h();
      void socket;
    });
  });
  const conn = await BrokerConnection.connect('127.0.0.1', fake.port, { clientId: 'pipeline-test' });
  try {
    const ask = (name: string) => conn.send(Metadata, 12, { ...Metadata.request.empty(12), topics: [{ name, topicId: Buffer.alloc(16) }] });
    const [a, b, c] = await Promise.all([ask('a'), ask('b'), ask('c')]);
    assert.deepEqual([a.clusterId, b.clusterId, c.clusterId], ['a', 'b', 'c']);
    assert.deepEqual(fake.requests.map((r) => r.clientId), ['pipeline-test', 'pipeline-test', 'pipeline-test']);
    const ids = fake.requests.map((r) => r.correlationId);
    assert.equal(new Set(ids).size, 3);
  } finally {
    await conn.close();
    await fake.close();
  }
});

test('header rules: flexible and non-flexible requests, ApiVersions v3 response with a v0 header', { timeout: 10_000 }, async () => {
  const fake = await startFakeBroker((req) => {
    if (req.apiKey === 18) return apiVersionsBody();
    return metadataAnswer(`v${req.apiVersion}`);
  });
  const conn = await BrokerConnection.connect('127.0.0.1', fake.port);
  try {
    const av = await conn.send(ApiVersions, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' });
    assert.equal(av.errorCode, 0);
    assert.ok(av.apiKeys.length > 3);
    for (const v of [2, 8, 9, 12]) {
      const md = await conn.send(Metadata, v, Metadata.request.empty(v));
      assert.equal(md.clusterId, `v${v}`);
    }
    // Every request decoded cleanly on the server side (bad request headers would break the body).
    assert.ok(fake.requests.every((r) => r.body !== null));
    assert.deepEqual(fake.requests.map((r) => r.apiVersion), [3, 2, 8, 9, 12]);
  } finally {
    await conn.close();
    await fake.close();
  }
});

test('a request without an answer times out and the connection stays usable', { timeout: 10_000 }, async () => {
  let first = true;
  const fake = await startFakeBroker(() => {
    if (first) {
      first = false;
      return null;
    }
    return metadataAnswer('late');
  });
  const conn = await BrokerConnection.connect('127.0.0.1', fake.port, { requestTimeoutMs: 150 });
  try {
    await assert.rejects(conn.send(Metadata, 12, Metadata.request.empty(12)), RequestTimeoutError);
    assert.equal(conn.inFlight, 0);
    const md = await conn.send(Metadata, 12, Metadata.request.empty(12));
    assert.equal(md.clusterId, 'late');
  } finally {
    await conn.close();
    await fake.close();
  }
});

test('the peer closing the socket rejects pending requests with ConnectionError', { timeout: 10_000 }, async () => {
  const fake = await startFakeBroker(() => 'close');
  const conn = await BrokerConnection.connect('127.0.0.1', fake.port);
  let closedWith: Error | null | undefined;
  conn.onClose((e) => { closedWith = e; });
  try {
    await assert.rejects(conn.send(Metadata, 12, Metadata.request.empty(12)), ConnectionError);
    assert.ok(conn.closed);
    assert.ok(closedWith instanceof ConnectionError);
    await assert.rejects(conn.send(Metadata, 12, Metadata.request.empty(12)), ConnectionError);
  } finally {
    await conn.close();
    await fake.close();
  }
});

test('a response with an unknown correlation id closes the connection', { timeout: 10_000 }, async () => {
  const fake = await startFakeBroker((req, socket) => {
    const frame = Buffer.alloc(8);
    frame.writeInt32BE(4, 0);
    frame.writeInt32BE(req.correlationId + 1000, 4);
    socket.write(frame);
    return null;
  });
  const conn = await BrokerConnection.connect('127.0.0.1', fake.port);
  try {
    await assert.rejects(conn.send(Metadata, 12, Metadata.request.empty(12)), /unknown correlation id/);
    assert.ok(conn.closed);
  } finally {
    await conn.close();
    await fake.close();
  }
});

test('produce with acks=0 resolves without a response; maxInFlight bounds outstanding requests', { timeout: 10_000 }, async () => {
  let maxSeen = 0;
  let outstanding = 0;
  const fake = await startFakeBroker(async (req) => {
    if (req.apiKey === 0) return null;
    outstanding++;
    maxSeen = Math.max(maxSeen, outstanding);
    await new Promise((r) => setTimeout(r, 20)); // a slow broker (pacing): requests pile up behind it
    outstanding--;
    return metadataAnswer('x');
  });
  const conn = await BrokerConnection.connect('127.0.0.1', fake.port, { maxInFlight: 2 });
  try {
    const res = await conn.send(Produce, 9, { ...Produce.request.empty(9), acks: 0 }, { expectResponse: false });
    assert.equal(res, null);
    await Promise.all(Array.from({ length: 6 }, () => conn.send(Metadata, 12, Metadata.request.empty(12))));
    assert.equal(maxSeen, 2, `saw ${maxSeen} outstanding: pipelined up to maxInFlight, never beyond`);
    assert.equal(fake.requests.length, 7);
  } finally {
    await conn.close();
    await fake.close();
  }
});

test('connecting to a closed port fails with ConnectionError', { timeout: 10_000 }, async () => {
  const fake = await startFakeBroker(() => null);
  const port = fake.port;
  await fake.close();
  await assert.rejects(BrokerConnection.connect('127.0.0.1', port), ConnectionError);
});
