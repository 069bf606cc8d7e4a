/**
 * Golden bytes from real clients. test/protocol/fixtures/<client>.json hold the request frames
 * kafka-python, kcat (librdkafka), KafkaJS and @platformatic/kafka sent to a capture server
 * during bootstrap, one produce and a short group consume (scripts/capture-requests.mjs
 * recaptures them). Each frame must decode with our codec (header + body, nothing left over),
 * carry the values the client was asked to send, and re-encode to byte-identical bytes.
 * The live variant runs whichever clients are installed against a fresh capture server.
 * Set GOLDEN_LIVE=0 to skip it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Reader, Writer } from '../../src/protocol/primitives.js';
import { readRequestHeader, writeRequestHeader, type RequestHeader } from '../../src/protocol/headers.js';
import { ALL_APIS } from './support.js';
import { startCaptureServer } from './capture-server.js';
import { DRIVERS, TOPIC, type ClientDriver } from './capture-clients.js';
import type { ApiDef } from '../../src/protocol/schema.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const apiByKey = new Map<number, ApiDef>(ALL_APIS.map((a) => [a.apiKey, a]));
const GROUP = 'golden-group';

interface Fixture {
  client: string;
  clientVersion: string;
  clientId: string;
  frames: { api: string; apiKey: number; apiVersion: number; hex: string }[];
}

/** The (API, version) pairs each client is known to send in this scenario. */
const EXPECTED: Record<string, string[]> = {
  'kafka-python': ['ApiVersions v0', 'Metadata v1', 'Produce v7', 'CreateTopics v3', 'FindCoordinator v0', 'JoinGroup v2', 'SyncGroup v1', 'OffsetFetch v1', 'ListOffsets v1', 'Fetch v4', 'OffsetCommit v2'],
  kcat: ['ApiVersions v3', 'Metadata v4', 'Produce v7', 'FindCoordinator v2', 'JoinGroup v5', 'SyncGroup v3', 'ListOffsets v2', 'Fetch v11'],
  kafkajs: ['ApiVersions v2', 'Metadata v6', 'Produce v7', 'FindCoordinator v2', 'JoinGroup v5', 'SyncGroup v3', 'OffsetFetch v4', 'ListOffsets v3', 'Fetch v11'],
  'platformatic-kafka': ['ApiVersions v3', 'Metadata v12', 'Produce v11', 'FindCoordinator v6', 'JoinGroup v9', 'SyncGroup v5', 'ListOffsets v9', 'Fetch v17'],
};

interface Decoded {
  api: ApiDef;
  header: RequestHeader;
  body: any;
}

/** Decodes a whole frame (size prefix, header, body) and checks that re-encoding reproduces it. */
function decodeFrame(frame: Buffer): Decoded {
  assert.ok(frame.length >= 4 + 8, 'frame holds a size and a header');
  assert.equal(frame.readInt32BE(0), frame.length - 4, 'size prefix matches the frame');
  const apiKey = frame.readInt16BE(4);
  const apiVersion = frame.readInt16BE(6);
  const api = apiByKey.get(apiKey);
  assert.ok(api, `API key ${apiKey} is defined`);
  assert.ok(apiVersion >= api.request.versions.min && apiVersion <= api.request.versions.max, `${api.name} v${apiVersion} is within our range`);
  const flexible = api.request.isFlexible(apiVersion);
  const r = new Reader(frame, 4);
  const header = readRequestHeader(r, flexible);
  const body = api.request.read(r, apiVersion);
  assert.equal(r.error, null, `${api.name} v${apiVersion} decodes: ${r.error}`);
  assert.equal(r.pos, frame.length, `${api.name} v${apiVersion}: no bytes left over`);
  const w = new Writer(frame.length);
  const at = w.reserve(4);
  writeRequestHeader(w, header, flexible);
  api.request.write(w, body, apiVersion);
  w.buf.writeInt32BE(w.pos - at - 4, at);
  const again = w.toBuffer();
  assert.ok(again.equals(frame), `${api.name} v${apiVersion} re-encodes byte for byte\n got ${again.toString('hex')}\nwant ${frame.toString('hex')}`);
  return { api, header, body };
}

function checkRecords(records: Buffer | null, what: string): void {
  assert.ok(records !== null && records.length > 61, `${what}: a record batch`);
  assert.equal(records[16], 2, `${what}: magic 2`);
  assert.equal(records.readInt32BE(8), records.length - 12, `${what}: one whole batch`);
  if ((records.readInt16BE(21) & 7) === 0) {
    assert.ok(records.includes('value-1'), `${what}: uncompressed batch carries the value`);
    assert.ok(records.includes('key-1'), `${what}: and the key`);
  }
}

/** The values each request must carry in the capture scenario (see capture-clients.ts). */
function checkBody(name: string, v: number, b: any): void {
  const what = `${name} v${v}`;
  switch (name) {
    case 'ApiVersions':
      if (v >= 3) {
        assert.ok(b.clientSoftwareName.length > 0, `${what}: clientSoftwareName`);
        assert.ok(b.clientSoftwareVersion.length > 0, `${what}: clientSoftwareVersion`);
      }
      return;
    case 'Metadata':
      for (const t of b.topics ?? []) assert.ok([TOPIC, 'golden-new'].includes(t.name), `${what}: topic ${t.name}`);
      return;
    case 'Produce':
      assert.equal(b.topicData.length, 1, what);
      assert.equal(b.topicData[0].name, TOPIC, what);
      assert.equal(b.topicData[0].partitionData[0].index, 0, what);
      assert.ok(b.acks === 1 || b.acks === -1, `${what}: acks ${b.acks}`);
      checkRecords(b.topicData[0].partitionData[0].records, what);
      return;
    case 'CreateTopics':
      assert.deepEqual(b.topics.map((t: any) => [t.name, t.numPartitions, t.replicationFactor]), [['golden-new', 2, 1]], what);
      return;
    case 'FindCoordinator':
      assert.ok(v >= 4 ? b.coordinatorKeys.includes(GROUP) : b.key === GROUP, `${what}: group key`);
      return;
    case 'JoinGroup':
      assert.equal(b.groupId, GROUP, what);
      assert.equal(b.protocolType, 'consumer', what);
      assert.ok(b.protocols.length > 0 && b.protocols[0].name.length > 0, `${what}: protocols`);
      assert.ok(b.sessionTimeoutMs > 0, `${what}: session timeout`);
      return;
    case 'SyncGroup':
    case 'Heartbeat':
      assert.equal(b.groupId, GROUP, what);
      assert.equal(b.generationId, 1, what);
      assert.equal(b.memberId, 'golden-member-1', what);
      return;
    case 'OffsetFetch':
      assert.equal(v >= 8 ? b.groups[0].groupId : b.groupId, GROUP, what);
      return;
    case 'ListOffsets':
      assert.equal(b.topics[0].name, TOPIC, what);
      assert.equal(b.topics[0].partitions[0].partitionIndex, 0, what);
      return;
    case 'Fetch':
      if (v >= 13) assert.deepEqual(b.topics[0].topicId, Buffer.alloc(16, 1), `${what}: topic id from Metadata`);
      else assert.equal(b.topics[0].topic, TOPIC, what);
      assert.equal(b.topics[0].partitions[0].partition, 0, what);
      assert.equal(b.topics[0].partitions[0].fetchOffset, 0, what);
      return;
    case 'OffsetCommit':
      assert.equal(b.groupId, GROUP, what);
      assert.equal(b.topics[0].name, TOPIC, what);
      return;
    case 'LeaveGroup':
      assert.equal(b.groupId, GROUP, what);
      return;
    default:
      return;
  }
}

function checkCapture(client: string, clientId: string, frames: Buffer[]): void {
  const seen = new Set<string>();
  for (const frame of frames) {
    const { api, header, body } = decodeFrame(frame);
    seen.add(`${api.name} v${header.apiVersion}`);
    assert.equal(header.clientId, clientId, `${api.name} v${header.apiVersion}: client id`);
    checkBody(api.name, header.apiVersion, body);
  }
  for (const pair of EXPECTED[client] ?? []) assert.ok(seen.has(pair), `${client} sent ${pair} (saw ${[...seen].join(', ')})`);
}

const fixtures: Fixture[] = readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).sort()
  .map((f) => JSON.parse(readFileSync(join(FIXTURES, f), 'utf8')) as Fixture);

test('fixtures exist for every client', () => {
  assert.deepEqual(fixtures.map((f) => f.client).sort(), Object.keys(EXPECTED).sort());
});

for (const fx of fixtures) {
  test(`golden frames from ${fx.client} ${fx.clientVersion}`, () => {
    assert.ok(fx.frames.length > 0);
    for (const f of fx.frames) {
      assert.equal(apiByKey.get(f.apiKey)?.name, f.api, 'fixture labels match the frame');
      assert.equal(Buffer.from(f.hex, 'hex').readInt16BE(6), f.apiVersion);
    }
    checkCapture(fx.client, fx.clientId, fx.frames.map((f) => Buffer.from(f.hex, 'hex')));
  });
}

test('a corrupted golden frame is caught (the checks can fail)', () => {
  const fx = fixtures.find((f) => f.client === 'kcat')!;
  const produce = Buffer.from(fx.frames.find((f) => f.api === 'Produce')!.hex, 'hex');
  const extra = Buffer.concat([produce, Buffer.from([0])]);
  extra.writeInt32BE(extra.length - 4, 0);
  assert.throws(() => decodeFrame(extra), /no bytes left over/);
  const wrongClient = Buffer.from(produce);
  assert.throws(() => checkCapture('kcat', 'someone-else', [wrongClient]), /client id/);
  assert.throws(() => checkCapture('kcat', 'golden-kcat', [wrongClient]), /kcat sent ApiVersions v3/);
});

const live = process.env.GOLDEN_LIVE !== '0';

async function captureLive(driver: ClientDriver): Promise<Buffer[]> {
  const server = await startCaptureServer();
  try {
    await driver.run(server.bootstrap, (apiKey) => server.frames.filter((f) => f.apiKey === apiKey).length);
  } finally {
    await server.close();
  }
  return server.frames.map((f) => f.frame);
}

test('live: installed clients against the capture server', { skip: live ? false : 'GOLDEN_LIVE=0', timeout: 30000 }, async (t) => {
  const installed = DRIVERS.filter((d) => d.version() !== null);
  // CI always has every client: a missing one there is a broken environment, not a skip.
  if (process.env.CI !== undefined) assert.deepEqual(DRIVERS.filter((d) => !installed.includes(d)).map((d) => d.name), [], 'clients missing in CI');
  if (installed.length === 0) {
    t.skip('no client installed');
    return;
  }
  const captures = await Promise.all(installed.map(async (d) => ({ d, frames: await captureLive(d) })));
  for (const { d, frames } of captures) {
    t.diagnostic(`${d.name} ${d.version()}: ${frames.length} frames`);
    checkCapture(d.name, d.clientId, frames);
  }
  for (const d of DRIVERS.filter((x) => !installed.includes(x))) t.diagnostic(`${d.name} not installed, skipped`);
});
