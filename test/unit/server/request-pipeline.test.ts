// The request pipeline's stages run in order around the handler: authentication (may close
// the connection), authorization of a handler's cluster operation (answered with the
// handler's error response), quota (throttle time in the response), metrics (also failures).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Broker } from '../../../src/server/broker.js';
import { BrokerConfig } from '../../../src/server/config.js';
import { RequestRouter } from '../../../src/server/request-router.js';
import { defineHandler, type ConnectionInfo, type Handler } from '../../../src/server/handler.js';
import { api, f, message } from '../../../src/protocol/schema.js';
import { ManualClock } from '../../../src/base/clock.js';
import { systemRandom } from '../../../src/base/random.js';
import { createLogger } from '../../../src/base/logger.js';
import { ProtocolError } from '../../../src/base/errors.js';
import { ErrorCode } from '../../../src/protocol/error-codes.js';
import { Reader } from '../../../src/protocol/primitives.js';
import type { AuthorizationRequest } from '../../../src/server/pipeline/authorization.js';
import { requestFrame } from './raw-client.js';

type Req = { value: number };
type Res = { throttleTimeMs: number; errorCode: number; value: number };
const Echo = api<Req, Res>(
  message(1002, 'Echo', 'request', '0', 'none', [f('value', 'int32', '0+')]),
  message(1002, 'Echo', 'response', '0', 'none', [f('throttleTimeMs', 'int32', '0+'), f('errorCode', 'int16', '0+'), f('value', 'int32', '0+')]),
);

const seen: { principal: string; value: number }[] = [];
const echo = defineHandler<Req, Res>({
  api: Echo, minVersion: 0, maxVersion: 0,
  clusterOperation: 'CLUSTER_ACTION',
  errorResponse: (_req, errorCode) => ({ throttleTimeMs: 0, errorCode, value: -1 }),
  handle(ctx, req) {
    if (req.value < 0) throw new Error('handler failure');
    seen.push({ principal: ctx.principal, value: req.value });
    return { throttleTimeMs: 0, errorCode: 0, value: req.value * 2 };
  },
});

const connection: ConnectionInfo = { id: 1, remoteAddress: '10.0.0.1', remotePort: 5, listenerName: 'PLAINTEXT', principal: 'User:ANONYMOUS' };

function decode(frame: Buffer | Buffer[] | null): Res {
  const buf = Buffer.isBuffer(frame) ? frame : Buffer.concat(frame!);
  const r = new Reader(buf.subarray(4 + 4)); // size prefix, correlation id (header v0)
  return Echo.response.read(r, 0);
}

test('authenticate → authorize → quota → handler → metrics', async () => {
  const authorized: AuthorizationRequest[] = [];
  let allow = true;
  let closeReason: string | undefined;
  const broker = new Broker({
    config: BrokerConfig.defaults(), nodeId: 1, clusterId: 'test-cluster-id-000000', clock: new ManualClock(), random: systemRandom,
    logger: createLogger('silent'), fs: {} as never, logs: {} as never, topics: {} as never, replicaManager: {} as never,
    handlers: new Map<number, Handler>([[1002, echo]]),
    authenticator: { authenticate: (c) => (closeReason !== undefined ? { closeReason } : { principal: `User:${c.remoteAddress}` }) },
    authorizer: { authorize: (r) => { authorized.push(r); return allow; } },
  });
  const router = new RequestRouter(broker);
  const route = (value: number) => router.route(requestFrame(Echo, 0, 9, { value }).subarray(4), connection);

  // Allowed: the handler runs under the authenticated principal.
  const ok = decode(await route(21));
  assert.deepEqual(ok, { throttleTimeMs: 0, errorCode: 0, value: 42 });
  assert.deepEqual(seen, [{ principal: 'User:10.0.0.1', value: 21 }]);
  assert.deepEqual(authorized, [{ principal: 'User:10.0.0.1', host: '10.0.0.1', operation: 'CLUSTER_ACTION', resourceType: 'CLUSTER', resourceName: 'kafka-cluster' }]);

  // Denied: the handler does not run; its error response carries CLUSTER_AUTHORIZATION_FAILED.
  allow = false;
  const denied = decode(await route(1));
  assert.equal(denied.errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
  assert.equal(seen.length, 1);

  // A refused authentication closes the connection before anything else runs.
  closeReason = 'not authenticated';
  assert.throws(() => route(1), ProtocolError);
  closeReason = undefined;
  allow = true;

  // A handler failure is counted and closes the connection (the error propagates).
  await assert.rejects(async () => route(-1), /handler failure/);

  const metrics = broker.requestMetrics.snapshot();
  assert.equal(metrics.length, 1);
  assert.equal(metrics[0]!.apiKey, 1002);
  assert.equal(metrics[0]!.requests, 3, 'allowed, denied and failed requests (not the unauthenticated one)');
  assert.equal(metrics[0]!.failures, 1);
});

test('the quota stage puts its throttle time in responses that have the field', async () => {
  const broker = new Broker({
    config: BrokerConfig.defaults(), nodeId: 1, clusterId: 'test-cluster-id-000000', clock: new ManualClock(), random: systemRandom,
    logger: createLogger('silent'), fs: {} as never, logs: {} as never, topics: {} as never, replicaManager: {} as never,
    handlers: new Map<number, Handler>([[1002, echo]]),
    quotas: { recordRequest: () => 250 },
  });
  const router = new RequestRouter(broker);
  const res = decode(await router.route(requestFrame(Echo, 0, 9, { value: 2 }).subarray(4), connection));
  assert.equal(res.throttleTimeMs, 250);
  assert.equal(res.value, 4);
});
