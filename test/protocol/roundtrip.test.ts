/**
 * Round trip for every API × version × direction: a value with non-default data in every field
 * the version carries (nullable fields once null and once non-null, tagged fields set) must
 * encode to exactly the bytes an independent reference encoder produces, decode back to the
 * same value, and re-encode to identical bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_APIS, allCases, defaultStruct, has, refEncode, sample } from './support.js';
import { Reader } from '../../src/protocol/primitives.js';
import { ApiVersions } from '../../src/protocol/messages/api-versions.js';
import { Metadata } from '../../src/protocol/messages/metadata.js';
import { Fetch } from '../../src/protocol/messages/fetch.js';

/** The APIs and version ranges Sherwood defines (docs: API-MATRIX "Rec." column). */
const RANGES: Record<string, string> = {
  ApiVersions: '0-4', Metadata: '0-12', Produce: '0-12', Fetch: '4-17', ListOffsets: '1-10', FindCoordinator: '0-6',
  JoinGroup: '0-9', SyncGroup: '0-5', Heartbeat: '0-4', LeaveGroup: '0-5', OffsetCommit: '2-9', OffsetFetch: '1-9',
  DescribeGroups: '0-5', ListGroups: '0-5', DeleteGroups: '0-2', OffsetDelete: '0-0', OffsetForLeaderEpoch: '2-4',
  InitProducerId: '0-5', AddPartitionsToTxn: '0-5', AddOffsetsToTxn: '0-4', EndTxn: '0-5', TxnOffsetCommit: '0-5',
  WriteTxnMarkers: '1-1', SaslHandshake: '0-1', SaslAuthenticate: '0-2', DescribeAcls: '1-3', CreateAcls: '1-3',
  DeleteAcls: '1-3', DescribeUserScramCredentials: '0-0', AlterUserScramCredentials: '0-0', CreateTopics: '2-7',
  DeleteTopics: '1-6', CreatePartitions: '0-3', DeleteRecords: '0-2', DescribeConfigs: '1-4', AlterConfigs: '0-2',
  IncrementalAlterConfigs: '0-1', DescribeCluster: '0-1', DescribeTopicPartitions: '0-0', DescribeProducers: '0-0',
  DescribeTransactions: '0-0', ListTransactions: '0-1', ElectLeaders: '0-2', DescribeLogDirs: '1-4',
  AlterPartitionReassignments: '0-0', ListPartitionReassignments: '0-0',
};

test('every API is defined with exactly the planned version range', () => {
  const defined = Object.fromEntries(ALL_APIS.map((a) => [a.name, `${a.request.versions.min}-${a.request.versions.max}`]));
  assert.deepEqual(defined, RANGES);
  for (const a of ALL_APIS) {
    assert.deepEqual(a.response.versions, a.request.versions, `${a.name}: request and response ranges agree`);
    assert.equal(a.response.def.flexibleVersions, a.request.def.flexibleVersions, `${a.name}: same flexible versions`);
    assert.equal(a.response.def.apiKey, a.apiKey);
  }
  assert.equal(new Set(ALL_APIS.map((a) => a.apiKey)).size, ALL_APIS.length, 'API keys are unique');
});

for (const { api, kind, codec, version } of allCases()) {
  test(`${api.name} ${kind} v${version} round trip`, () => {
    const def = codec.def;
    assert.deepStrictEqual(codec.empty(version), defaultStruct(def.fields, version), 'empty() gives every field its default');
    for (const nulls of [false, true]) {
      const label = nulls ? 'nullable fields null' : 'nullable fields set';
      const value = sample(def, version, nulls);
      const bytes = Buffer.from(codec.encode(value, version));
      const reference = refEncode(def, value, version);
      assert.ok(bytes.equals(reference), `${label}: codec bytes equal the reference encoding\n codec ${bytes.toString('hex')}\n   ref ${reference.toString('hex')}`);
      const decoded = codec.decode(bytes, version);
      assert.deepStrictEqual(decoded, value, `${label}: decode(encode(x)) equals x`);
      const again = codec.encode(decoded, version);
      assert.ok(again.equals(bytes), `${label}: re-encoding gives identical bytes`);
      // Trailing bytes are not consumed by the body codec: the reader stops at the body's end.
      const r = new Reader(Buffer.concat([bytes, Buffer.from([0xde, 0xad])]));
      codec.read(r, version);
      assert.equal(r.error, null);
      assert.equal(r.pos, bytes.length, `${label}: reader consumes exactly the body`);
    }
  });
}

test('flexible versions use compact strings, arrays and tagged-field sections', () => {
  // ApiVersions v3 request: two compact strings then an empty tagged-field section.
  const v3 = ApiVersions.request.encode({ clientSoftwareName: 'abc', clientSoftwareVersion: 'x'.repeat(200) }, 3);
  assert.equal(v3[0], 4, 'compact string length is uvarint(len + 1)');
  assert.equal(v3.subarray(1, 4).toString(), 'abc');
  assert.deepEqual([...v3.subarray(4, 6)], [0xc9, 0x01], '201 as a two-byte uvarint');
  assert.equal(v3.length, 1 + 3 + 2 + 200 + 1);
  assert.equal(v3[v3.length - 1], 0, 'no tagged fields');
  assert.ok(has(ApiVersions.request.def.flexibleVersions, 3));

  // Metadata v9 (flexible) vs v8 (classic): null topics array is uvarint 0 vs int32 -1.
  const base = Metadata.request.empty(9);
  const flex = Metadata.request.encode({ ...base, topics: null }, 9);
  assert.equal(flex[0], 0, 'compact null array is uvarint 0');
  const classic = Metadata.request.encode({ ...Metadata.request.empty(8), topics: null }, 8);
  assert.deepEqual([...classic.subarray(0, 4)], [0xff, 0xff, 0xff, 0xff], 'classic null array is int32 -1');
  const one = Metadata.request.encode({ ...base, topics: [{ topicId: Buffer.alloc(16), name: 't' }] }, 9);
  assert.equal(one[0], 2, 'compact array length is uvarint(n + 1)');

  // Fetch v12 request: clusterId is a tagged field (tag 0) only written when set.
  const fetch = Fetch.request.empty(12);
  const withoutTag = Fetch.request.encode(fetch, 12);
  const withTag = Fetch.request.encode({ ...fetch, clusterId: 'c1' }, 12);
  assert.equal(withTag.length - withoutTag.length, 1 /* tag */ + 1 /* size */ + 1 /* len */ + 2);
  assert.equal(withoutTag[withoutTag.length - 1], 0);
  assert.deepEqual([...withTag.subarray(withTag.length - 6)], [1, 0, 3, 3, 0x63, 0x31], 'count, tag, size, compact string');
  assert.equal(Fetch.request.decode(withTag, 12).clusterId, 'c1');
});

test('unknown tagged fields are skipped on decode', () => {
  const bytes = ApiVersions.request.encode({ clientSoftwareName: 'a', clientSoftwareVersion: 'b' }, 3);
  // Replace the empty tagged section with one unknown tag (99) carrying 3 bytes.
  const withUnknown = Buffer.concat([bytes.subarray(0, bytes.length - 1), Buffer.from([1, 99, 3, 7, 7, 7])]);
  assert.deepEqual(ApiVersions.request.decode(withUnknown, 3), { clientSoftwareName: 'a', clientSoftwareVersion: 'b' });
  // A tagged field whose size runs past the end is a clean decode error.
  const truncated = Buffer.concat([bytes.subarray(0, bytes.length - 1), Buffer.from([1, 99, 30, 7])]);
  assert.throws(() => ApiVersions.request.decode(truncated, 3), /ApiVersions v3/);
});
