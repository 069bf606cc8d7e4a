/**
 * The compatibility matrix, guarded (docs/compatibility.md, scripts/compat-matrix.mjs):
 * - every version a real client was measured to send is still advertised, and the ranges that
 *   clients depend on for more than "it parses" keep their shape (Produce min 0 keeps
 *   librdkafka's compression on, FindCoordinator keeps its LZ4 on);
 * - a fast live subset (kcat, kafka-python, @platformatic/kafka) sends what we expect:
 *   librdkafka compresses, kafka-python infers broker 2.4 and uses record batches,
 *   platformatic uses Metadata ≥ 9, Fetch ≥ 12, FindCoordinator ≥ 4;
 * - every handler file is served (a module that fails to import silently drops its API), and
 *   every advertised API is exercised by at least one test against a broker.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startTestBroker, withBroker, ROOT } from '../helpers/broker.js';
import { countingTransport } from '../helpers/broker-events.js';
import {
  VersionRecorder, advertisedApis, measure, WORKLOAD_OVERRIDES, kcatWorkload, kafkaPython, platformaticWorkload,
  type AdvertisedApi, type ClientWorkload, type Observed,
} from '../helpers/version-recorder.js';
import type { Handler } from '../../src/server/handler.js';

/**
 * Measured 2026-11-26 (node --import tsx scripts/compat-matrix.mjs): API → client → versions
 * sent. Clients pin their versions, so a narrower advertised range breaks them.
 */
const MEASURED: Record<string, Record<string, number[]>> = {
  'kafka-python 2.0.2': {
    Produce: [7], Fetch: [4], ListOffsets: [1], Metadata: [0, 1, 5], OffsetCommit: [2], OffsetFetch: [1, 3], FindCoordinator: [0],
    JoinGroup: [2], Heartbeat: [1], LeaveGroup: [1], SyncGroup: [1], DescribeGroups: [3], ListGroups: [1], ApiVersions: [0],
    CreateTopics: [3], DeleteTopics: [3], DescribeConfigs: [2], AlterConfigs: [1], CreatePartitions: [1], DeleteGroups: [1],
  },
  'librdkafka 2.0.2 (kcat, confluent-kafka)': {
    Produce: [7], Fetch: [11], ListOffsets: [2], Metadata: [4], OffsetCommit: [7], OffsetFetch: [7], FindCoordinator: [2],
    JoinGroup: [5], Heartbeat: [3], LeaveGroup: [1], SyncGroup: [3], DescribeGroups: [0], ListGroups: [0], ApiVersions: [3],
    CreateTopics: [4], DeleteTopics: [1], DescribeConfigs: [1], AlterConfigs: [0], CreatePartitions: [0],
    InitProducerId: [4], AddPartitionsToTxn: [0], EndTxn: [1],
  },
  'KafkaJS 2.2.4': {
    Produce: [7], Fetch: [11], ListOffsets: [3], Metadata: [6], OffsetCommit: [5], OffsetFetch: [4], FindCoordinator: [2],
    JoinGroup: [5], Heartbeat: [3], LeaveGroup: [3], SyncGroup: [3], DescribeGroups: [2], ListGroups: [2], ApiVersions: [2],
    CreateTopics: [3], DeleteTopics: [1], DeleteRecords: [1], DescribeConfigs: [2], CreatePartitions: [1], DeleteGroups: [1],
    InitProducerId: [1], AddPartitionsToTxn: [1], AddOffsetsToTxn: [1], EndTxn: [1], TxnOffsetCommit: [1],
  },
  '@platformatic/kafka 1.35': {
    Produce: [11], Fetch: [17], ListOffsets: [9], Metadata: [12], OffsetCommit: [9], OffsetFetch: [9], FindCoordinator: [6],
    JoinGroup: [9], Heartbeat: [4], LeaveGroup: [5], SyncGroup: [5], DescribeGroups: [5], ListGroups: [5], ApiVersions: [3],
    CreateTopics: [7], DeleteTopics: [6], DescribeConfigs: [4], CreatePartitions: [3], DeleteGroups: [2],
    IncrementalAlterConfigs: [1], OffsetDelete: [0], InitProducerId: [5],
  },
  // Idempotence and transaction rows measured 2026-12-04 (transactional confluent-kafka and KafkaJS, idempotent platformatic and Java).
  // Measured 2026-12-04; kafka-clients 4.4 sends our highest version of each (clients-java.test.ts).
  'Java kafka-clients 4.4.0': {
    Produce: [11], Fetch: [17], ListOffsets: [10], Metadata: [12], OffsetCommit: [9], OffsetFetch: [9], FindCoordinator: [6],
    JoinGroup: [9], Heartbeat: [4], LeaveGroup: [5], SyncGroup: [5], DescribeGroups: [5], ListGroups: [5], ApiVersions: [4],
    CreateTopics: [7], DeleteTopics: [6], DeleteRecords: [2], OffsetForLeaderEpoch: [4], DescribeConfigs: [4], CreatePartitions: [3],
    DeleteGroups: [2], IncrementalAlterConfigs: [1], DescribeCluster: [1], InitProducerId: [5],
  },
};

async function advertised(): Promise<AdvertisedApi[]> {
  return withBroker(async (b) => advertisedApis(b));
}

function range(apis: AdvertisedApi[], name: string): AdvertisedApi {
  const a = apis.find((x) => x.name === name);
  assert.ok(a !== undefined, `${name} is advertised`);
  return a;
}

test('every measured client version is still advertised; the ranges clients depend on keep their shape', async () => {
  const apis = await advertised();
  for (const [client, byApi] of Object.entries(MEASURED)) {
    for (const [api, versions] of Object.entries(byApi)) {
      const a = range(apis, api);
      for (const v of versions) assert.ok(v >= a.minVersion && v <= a.maxVersion, `${client} sends ${api} v${v}; we advertise ${a.minVersion}-${a.maxVersion}`);
    }
  }
  // librdkafka ≤ 2.11 turns off gzip/snappy/lz4 (its MsgVer2 / compression features) unless Produce's minimum is 0.
  assert.equal(range(apis, 'Produce').minVersion, 0);
  // librdkafka 2.0.2's LZ4 feature flag requires FindCoordinator in ApiVersions.
  range(apis, 'FindCoordinator');
  // kafka-python 2.0.2 infers the broker version from ApiVersions: Produce v8 ⇒ 2.4, Fetch v11 ⇒ 2.3, ... MetadataRequest v4 ⇒ 0.11 (record batches).
  const produce = range(apis, 'Produce');
  assert.ok(produce.minVersion <= 8 && produce.maxVersion >= 8, 'Produce v8 advertised: kafka-python infers broker 2.4');
  // ApiVersions v0 is what kafka-python sends first, v3 what librdkafka and platformatic send.
  assert.ok(range(apis, 'ApiVersions').minVersion === 0 && range(apis, 'ApiVersions').maxVersion >= 3);
});

const LIVE: ClientWorkload[] = [kcatWorkload, kafkaPython, platformaticWorkload];

test('live subset: kcat, kafka-python and @platformatic/kafka send the versions that matter', { timeout: 120_000 }, async (t) => {
  const connections = countingTransport();
  const b = await startTestBroker({ overrides: WORKLOAD_OVERRIDES, transport: connections });
  try {
    const rec = VersionRecorder.attach(b);
    const seen = new Map<string, Observed>();
    for (const w of LIVE) {
      if (w.version() === null) {
        // CI always has every client: a missing one there is a broken environment, not a skip.
        assert.ok(process.env.CI === undefined, `${w.client} is not installed (CI must have it)`);
        t.diagnostic(`${w.client} not installed: skipped`);
        continue;
      }
      const m = await measure(b, rec, w, connections);
      seen.set(w.client, m.versions);
      const v = (api: string) => [...(m.versions.get(api) ?? [])].sort((x, y) => x - y);
      if (w === kcatWorkload) {
        // -z lz4 then -z gzip: both batches stored compressed (codec 3 = lz4, 1 = gzip), so compression stayed on.
        assert.deepEqual(m.facts.codecs, [3, 1], 'librdkafka compressed its batches');
        assert.deepEqual(v('Produce'), [7]);
        assert.deepEqual(v('ApiVersions'), [3]);
        assert.deepEqual(v('Fetch'), [11]);
        assert.deepEqual([...m.fetchSessions], ['sessionless']);
      } else if (w === kafkaPython) {
        assert.deepEqual(m.facts.api_version, [2, 4, 0], 'kafka-python inferred broker 2.4 from ApiVersions');
        assert.deepEqual(v('ApiVersions'), [0]);
        assert.ok(v('Produce').length > 0 && v('Produce').every((x) => x >= 3), `record batches (Produce v3+): ${v('Produce')}`);
        assert.deepEqual(v('Fetch'), [4]);
        assert.ok(v('JoinGroup').length > 0 && v('OffsetCommit').length > 0, 'the group consumer joined and committed');
      } else {
        assert.ok(v('Metadata').every((x) => x >= 9) && v('Metadata').length > 0, `Metadata ≥ 9: ${v('Metadata')}`);
        assert.ok(v('Fetch').every((x) => x >= 12) && v('Fetch').length > 0, `Fetch ≥ 12: ${v('Fetch')}`);
        assert.ok(v('FindCoordinator').every((x) => x >= 4) && v('FindCoordinator').length > 0, `FindCoordinator ≥ 4: ${v('FindCoordinator')}`);
        assert.deepEqual(v('Produce'), [11]);
        assert.deepEqual(v('OffsetDelete'), [0]);
        assert.ok(m.fetchSessions.has('new session'), 'platformatic opens a fetch session on every Fetch');
      }
    }
    for (const [client, versions] of seen) {
      t.diagnostic(`${client}: ${[...versions].map(([api, vs]) => `${api} v${[...vs].sort((x, y) => x - y).join('/')}`).join(', ')}`);
    }
  } finally {
    await b.close();
  }
});

const kebab = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? testFiles(p) : name.endsWith('.ts') ? [p] : [];
  });
}

test('every handler file is served, and every advertised API is exercised against a broker by some test', async () => {
  const apis = await advertised();
  const files = readdirSync(join(ROOT, 'src/server/handlers')).filter((f) => f.endsWith('.ts') && !f.startsWith('_') && f !== 'index.ts');
  assert.ok(files.length > 0);
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(ROOT, 'src/server/handlers', f)).href)) as { default: Handler | Handler[] };
    for (const h of [mod.default].flat()) {
      const a = apis.find((x) => x.apiKey === h.api.apiKey);
      assert.deepEqual(a && [a.minVersion, a.maxVersion], [h.minVersion, h.maxVersion], `handlers/${f} (${h.api.name}) is advertised with its own range`);
    }
  }

  // A test exercises an API if it starts a broker and sends that message with our client
  // (imports protocol/messages/<api>.js), or a real client in MEASURED sends it (the clients-*,
  // groups-*, admin-* e2e tests run those clients).
  const sources = testFiles(join(ROOT, 'test'))
    .filter((p) => !p.includes('/test/protocol/') && !p.includes('/test/unit/protocol/'))
    .map((p) => readFileSync(p, 'utf8'))
    .filter((src) => /startTestBroker|withBroker|spawnBroker|startBroker/.test(src));
  const byClients = new Set(Object.values(MEASURED).flatMap((m) => Object.keys(m)));
  const unexercised = apis.filter((a) => !byClients.has(a.name) && !sources.some((src) => src.includes(`messages/${kebab(a.name)}.js`)));
  assert.deepEqual(unexercised.map((a) => a.name), [], 'advertised APIs no test sends to a broker');
});
