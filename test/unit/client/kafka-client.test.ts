import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KafkaClient, KafkaError, parseBootstrap } from '../../../src/client/index.js';
import { ApiVersions } from '../../../src/protocol/messages/api-versions.js';
import { Metadata, type MetadataResponse } from '../../../src/protocol/messages/metadata.js';
import { Produce, type ProduceRequest } from '../../../src/protocol/messages/produce.js';
import { FindCoordinator } from '../../../src/protocol/messages/find-coordinator.js';
import { ErrorCode } from '../../../src/protocol/error-codes.js';
import { Compression } from '../../../src/protocol/record-batch.js';
import { decodeBatch } from '../../../src/protocol/records.js';
import { apiVersionsBody, defaultRanges, startFakeBroker, type FakeRequest } from './fake-broker.js';

const TOPIC_ID = Buffer.from('00112233445566778899aabbccddeeff', 'hex');

function metadataFor(port: number, topicError = 0, leaderId = 1): Partial<MetadataResponse> {
  return {
    brokers: [{ nodeId: 1, host: '127.0.0.1', port, rack: null }],
    clusterId: 'fake-cluster',
    controllerId: 1,
    topics: [{
      errorCode: topicError, name: 't', topicId: TOPIC_ID, isInternal: false, topicAuthorizedOperations: 0,
      partitions: topicError !== 0 ? [] : [{ errorCode: 0, partitionIndex: 0, leaderId, leaderEpoch: 0, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] }],
    }],
  };
}

test('parseBootstrap accepts lists, listener prefixes and IPv6, and rejects junk', () => {
  assert.deepEqual(parseBootstrap('a:1, PLAINTEXT://b:2,[::1]:3'), [{ host: 'a', port: 1 }, { host: 'b', port: 2 }, { host: '::1', port: 3 }]);
  assert.throws(() => parseBootstrap('nohost'), /host:port/);
  assert.throws(() => parseBootstrap('h:0'), /bad port/);
  assert.throws(() => parseBootstrap(' , '), /no bootstrap/);
});

test('connect negotiates ApiVersions v3 and picks the highest common version per API', { timeout: 10_000 }, async () => {
  const fake = await startFakeBroker((req) => (req.apiKey === 18 ? apiVersionsBody([[18, 0, 3], [3, 0, 7], [0, 3, 20]]) : metadataFor(0)));
  const client = await KafkaClient.connect(fake.bootstrap, { clientId: 'neg-test' });
  try {
    assert.equal(fake.requests[0]!.apiKey, 18);
    assert.equal(fake.requests[0]!.apiVersion, 3);
    assert.equal((fake.requests[0]!.body as { clientSoftwareName: string }).clientSoftwareName, 'sherwood-client');
    assert.equal(await client.versionFor(Metadata), 7);
    assert.equal(await client.versionFor(Produce), Produce.request.versions.max);
    await assert.rejects(client.versionFor(FindCoordinator), /supports no version/);
    const md = await client.metadata(['t']);
    assert.equal(fake.requests.at(-1)!.apiVersion, 7);
    assert.equal(md.clusterId, 'fake-cluster');
    // An explicit version is used as given.
    await client.request(Metadata, { topics: null }, { version: 4 });
    assert.equal(fake.requests.at(-1)!.apiVersion, 4);
  } finally {
    await client.close();
    await fake.close();
  }
});

test('ApiVersions UNSUPPORTED_VERSION falls back to the version the broker advertises', { timeout: 10_000 }, async () => {
  const fake = await startFakeBroker((req) => {
    if (req.apiKey !== 18) return null;
    if (req.apiVersion > 1) {
      // Kafka answers in v0 with error 35 and its own ApiVersions range.
      return ApiVersions.response.encode({ ...ApiVersions.response.empty(0), errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 1 }] }, 0);
    }
    return apiVersionsBody(defaultRanges());
  });
  const client = await KafkaClient.connect(fake.bootstrap);
  try {
    assert.deepEqual(fake.requests.map((r) => r.apiVersion), [3, 1]);
    assert.equal(client.apiVersions.get(3)!.maxVersion, 12);
  } finally {
    await client.close();
    await fake.close();
  }
});

test('connect tries each bootstrap server in turn', { timeout: 10_000 }, async () => {
  const dead = await startFakeBroker(() => null);
  const deadPort = dead.port;
  await dead.close();
  const fake = await startFakeBroker((req) => (req.apiKey === 18 ? apiVersionsBody() : null));
  const client = await KafkaClient.connect(`127.0.0.1:${deadPort},${fake.bootstrap}`);
  await client.close();
  await fake.close();
  await assert.rejects(KafkaClient.connect(`127.0.0.1:${deadPort}`), /cannot connect/);
});

test('produce routes to the leader by node id, sends a valid batch and returns the base offset', { timeout: 10_000 }, async () => {
  let produced: ProduceRequest | undefined;
  // The leader is a second fake broker, reached through the metadata's broker list.
  const leader = await startFakeBroker((req: FakeRequest) => {
    if (req.apiKey === 18) return apiVersionsBody();
    if (req.apiKey === 0) {
      produced = req.body as ProduceRequest;
      return { responses: [{ name: 't', partitionResponses: [{ index: 0, errorCode: 0, baseOffset: 41, logAppendTimeMs: -1, logStartOffset: 0, recordErrors: [], errorMessage: null }] }] };
    }
    return null;
  });
  const boot = await startFakeBroker((req) => {
    if (req.apiKey === 18) return apiVersionsBody();
    if (req.apiKey === 3) return { ...metadataFor(leader.port), brokers: [{ nodeId: 1, host: '127.0.0.1', port: leader.port, rack: null }] };
    return null;
  });
  const client = await KafkaClient.connect(boot.bootstrap);
  try {
    const res = await client.produce('t', 0, [{ key: 'k', value: 'v', headers: [{ key: 'h', value: null }] }], { compression: Compression.Lz4, acks: 1 });
    assert.equal(res.baseOffset, 41);
    assert.ok(produced !== undefined);
    assert.equal(produced.acks, 1);
    const batch = decodeBatch(produced.topicData[0]!.partitionData[0]!.records!);
    assert.equal(batch.header.attributes & 7, Compression.Lz4);
    assert.deepEqual(batch.records.map((r) => [r.key!.toString(), r.value!.toString(), r.headers]), [['k', 'v', [{ key: 'h', value: null }]]]);
    assert.ok(Math.abs(batch.records[0]!.timestamp - Date.now()) < 60_000);
  } finally {
    await client.close();
    await boot.close();
    await leader.close();
  }
});

test('produce errors: non-retriable codes throw KafkaError at once, retriable ones are retried', { timeout: 10_000 }, async () => {
  let produceCalls = 0;
  let answer: number = ErrorCode.MESSAGE_TOO_LARGE;
  let selfPort = 0;
  const fake = await startFakeBroker((req) => {
    if (req.apiKey === 18) return apiVersionsBody();
    if (req.apiKey === 3) return metadataFor(selfPort);
    if (req.apiKey === 0) {
      produceCalls++;
      const code = answer === ErrorCode.NOT_LEADER_OR_FOLLOWER && produceCalls > 2 ? 0 : answer;
      return { responses: [{ name: 't', partitionResponses: [{ index: 0, errorCode: code, baseOffset: code === 0 ? 7 : -1, logAppendTimeMs: -1, logStartOffset: -1, recordErrors: [], errorMessage: code === 0 ? null : 'nope' }] }] };
    }
    return null;
  });
  selfPort = fake.port;
  const client = await KafkaClient.connect(fake.bootstrap);
  try {
    await assert.rejects(client.produce('t', 0, [{ key: null, value: 'x' }]), (e: unknown) => e instanceof KafkaError && e.errorCode === ErrorCode.MESSAGE_TOO_LARGE && /nope/.test(e.message));
    assert.equal(produceCalls, 1);
    answer = ErrorCode.NOT_LEADER_OR_FOLLOWER;
    produceCalls = 0;
    const res = await client.produce('t', 0, [{ key: null, value: 'x' }]);
    assert.equal(res.baseOffset, 7);
    assert.equal(produceCalls, 3);
  } finally {
    await client.close();
    await fake.close();
  }
});

test('topic metadata errors surface as KafkaError', { timeout: 10_000 }, async () => {
  const fake = await startFakeBroker((req) => {
    if (req.apiKey === 18) return apiVersionsBody();
    if (req.apiKey === 3) return metadataFor(0, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    return null;
  });
  const client = await KafkaClient.connect(fake.bootstrap);
  try {
    await assert.rejects(client.topicMetadata('t'), (e: unknown) => e instanceof KafkaError && e.errorCode === ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  } finally {
    await client.close();
    await fake.close();
  }
});

test('findCoordinator handles v4+ coordinator lists and registers the node', { timeout: 10_000 }, async () => {
  let calls = 0;
  const fake = await startFakeBroker((req) => {
    if (req.apiKey === 18) return apiVersionsBody();
    if (req.apiKey === 10) {
      calls++;
      const code = calls === 1 ? ErrorCode.COORDINATOR_NOT_AVAILABLE : 0;
      return { coordinators: [{ key: 'g', nodeId: 5, host: '127.0.0.1', port: 1234, errorCode: code, errorMessage: null }] };
    }
    return null;
  });
  const client = await KafkaClient.connect(fake.bootstrap);
  try {
    const c = await client.findCoordinator('g');
    assert.deepEqual(c, { nodeId: 5, host: '127.0.0.1', port: 1234, rack: null });
    assert.equal(calls, 2);
    assert.equal(fake.requests.at(-1)!.apiVersion, 4);
    assert.deepEqual((fake.requests.at(-1)!.body as { coordinatorKeys: string[] }).coordinatorKeys, ['g']);
  } finally {
    await client.close();
    await fake.close();
  }
});
