/**
 * The one exception to Kafka's one-request-at-a-time connections: a Produce that has appended
 * and only waits for followers (it called `ctx.awaitingReplication`) lets the next *Produce*
 * start; nothing else starts until it is answered, and answers keep the request order.
 * A stand-in handler registered at Produce's API key (0) records when each request starts
 * and is released by the test, so every ordering below is decided by the test, not by timing.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Broker } from '../../../src/server/broker.js';
import { BrokerConfig } from '../../../src/server/config.js';
import { RequestRouter } from '../../../src/server/request-router.js';
import { SocketServer } from '../../../src/server/server.js';
import { defineHandler, type Handler } from '../../../src/server/handler.js';
import { api, f, message } from '../../../src/protocol/schema.js';
import { systemClock } from '../../../src/base/clock.js';
import { systemRandom } from '../../../src/base/random.js';
import { createLogger } from '../../../src/base/logger.js';
import { RawClient, requestFrame, responseReader } from './raw-client.js';
import { until } from '../../helpers/wait.js';

type Req = { seq: number; park: boolean };
const FakeProduce = api<Req, { seq: number }>(
  message(0, 'FakeProduce', 'request', '0', 'none', [f('seq', 'int32', '0+'), f('park', 'bool', '0+')]),
  message(0, 'FakeProduce', 'response', '0', 'none', [f('seq', 'int32', '0+')]),
);
const Other = api<Req, { seq: number }>(
  message(1001, 'Other', 'request', '0', 'none', [f('seq', 'int32', '0+'), f('park', 'bool', '0+')]),
  message(1001, 'Other', 'response', '0', 'none', [f('seq', 'int32', '0+')]),
);

const started: string[] = [];
const release = new Map<string, () => void>();

function controlled(name: string): Handler {
  return defineHandler({
    api: name === 'P' ? FakeProduce : Other,
    minVersion: 0,
    maxVersion: 0,
    handle(ctx, req: Req) {
      const id = `${name}${req.seq}`;
      started.push(id);
      // "Appended": from here on the request only waits, as an acks=all Produce does.
      if (req.park) ctx.awaitingReplication?.();
      return new Promise((resolve) => release.set(id, () => resolve({ seq: req.seq })));
    },
  });
}

const servers: SocketServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

async function connect(): Promise<RawClient> {
  const logger = createLogger('silent');
  const handlers = new Map<number, Handler>([[0, controlled('P')], [1001, controlled('O')]]);
  const broker = new Broker({
    config: BrokerConfig.defaults(), nodeId: 1, clusterId: 'test-cluster-id-000000', clock: systemClock, random: systemRandom, logger,
    fs: {} as never, logs: {} as never, topics: { image: { offset: 0 } } as never, replicaManager: {} as never, handlers,
  });
  const server = new SocketServer(new RequestRouter(broker), logger, {});
  const [bound] = await server.listen([{ name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: '127.0.0.1', port: 0 }]);
  servers.push(server);
  started.length = 0;
  release.clear();
  return RawClient.connect(bound!.boundPort);
}

const produce = (seq: number, park: boolean): Buffer => requestFrame(FakeProduce, 0, seq, { seq, park });
const other = (seq: number): Buffer => requestFrame(Other, 0, 100 + seq, { seq, park: false });

function seqOf(frame: Buffer): number {
  const { correlationId, r } = responseReader(frame, false);
  const body = FakeProduce.response.read(r, 0);
  assert.equal(r.error, null);
  return correlationId < 100 ? body.seq : 100 + body.seq;
}

test('a Produce waiting for replication lets the next Produces start; answers stay in order', async () => {
  const c = await connect();
  try {
    c.send(Buffer.concat([produce(1, true), produce(2, true), produce(3, false)]));
    await until('P1, P2 and P3 started', () => started.length === 3);
    assert.deepEqual(started, ['P1', 'P2', 'P3']);
    // P3 did not park: nothing after it may start (checked with O below). Finish out of order.
    release.get('P3')!();
    release.get('P2')!();
    assert.equal(c.unread, 0, 'nothing is answered before P1');
    release.get('P1')!();
    assert.deepEqual((await c.read(3)).map(seqOf), [1, 2, 3]);
  } finally {
    c.close();
  }
});

test('only Produces overtake a waiting Produce: another request waits until every earlier one is answered', async () => {
  const c = await connect();
  try {
    c.send(Buffer.concat([produce(1, true), other(1), produce(2, true)]));
    await until('P1 started', () => started.length === 1);
    // O1 is next in line and is not a Produce: it waits, and P2 behind it waits too (order).
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(started, ['P1']);
    release.get('P1')!();
    await until('O1 started', () => started.length === 2);
    assert.deepEqual(started, ['P1', 'O1']);
    release.get('O1')!();
    await until('P2 started', () => started.length === 3);
    release.get('P2')!();
    assert.deepEqual((await c.read(3)).map(seqOf), [1, 101, 2]);
  } finally {
    c.close();
  }
});

test('a Produce that does not park keeps Kafka\'s muting: the next Produce starts only after its answer', async () => {
  const c = await connect();
  try {
    c.send(Buffer.concat([produce(1, false), produce(2, false)]));
    await until('P1 started', () => started.length === 1);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(started, ['P1']);
    release.get('P1')!();
    await until('P2 started', () => started.length === 2);
    release.get('P2')!();
    assert.deepEqual((await c.read(2)).map(seqOf), [1, 2]);
  } finally {
    c.close();
  }
});
