/**
 * Our message definitions against Kafka's JSON definitions (../shared/kafka-protocol/messages,
 * present in CI, maybe not in a user's clone: then the comparison is skipped). The comparator
 * itself is exercised on a synthetic Kafka definition and on mutated copies, so this test can fail.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALL_APIS } from './support.js';
import { compareDefinition, parseKafkaJson, type KafkaMessage } from './compare-definitions.js';
import { f, message, type FieldDef, type MessageDef } from '../../src/protocol/schema.js';
import { Metadata } from '../../src/protocol/messages/metadata.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const kafkaDir = join(repoRoot, '..', 'shared', 'kafka-protocol', 'messages');
const haveKafka = existsSync(kafkaDir);
// CI has the definitions: there a missing folder fails the tests (loadKafka throws) instead of skipping them.
const skip = haveKafka || process.env.CI !== undefined ? false : `Kafka's JSON definitions not found at ${kafkaDir}`;

function loadKafka(name: string): KafkaMessage {
  return parseKafkaJson(readFileSync(join(kafkaDir, `${name}.json`), 'utf8'));
}

/**
 * Versions Kafka 4.0 added after the reference definitions were taken, each the same as the one
 * before it on the wire (Transaction V2, KIP-890 part 2: "Version 12 is the same as version 11"
 * for Produce, "Version 5 is the same as version 4" for TxnOffsetCommit; only the broker's
 * handling differs). The comparison extends Kafka's range to them, so every field is checked at
 * those versions with Kafka's "N+" ranges, i.e. exactly as at the version before.
 */
const KAFKA_4_SAME_AS_PREVIOUS: Record<string, number> = { Produce: 12, TxnOffsetCommit: 5 };

function loadKafkaFor(apiName: string, fileName: string): KafkaMessage {
  const theirs = loadKafka(fileName);
  const extra = KAFKA_4_SAME_AS_PREVIOUS[apiName];
  if (extra === undefined) return theirs;
  const [min, max] = theirs.validVersions.split('-').map(Number) as [number, number];
  assert.equal(max, extra - 1, `${fileName}: the reference now has ${theirs.validVersions}; drop ${apiName} from KAFKA_4_SAME_AS_PREVIOUS`);
  return { ...theirs, validVersions: `${min}-${extra}` };
}

for (const api of ALL_APIS) {
  for (const kind of ['request', 'response'] as const) {
    const fileName = `${api.name}${kind === 'request' ? 'Request' : 'Response'}`;
    test(`${fileName} matches Kafka's definition`, { skip }, () => {
      const problems = compareDefinition(api[kind].def, loadKafkaFor(api.name, fileName));
      assert.deepEqual(problems, [], problems.join('\n'));
    });
  }
}

// ---- The comparator must be able to fail ----

const syntheticKafka: KafkaMessage = parseKafkaJson(`// licence comment
// another comment line
{
  "apiKey": 99, "type": "request", "name": "ExampleRequest",
  "validVersions": "0-3", "flexibleVersions": "2+",
  "fields": [
    { "name": "GroupId", "type": "string", "versions": "0+" },
    { "name": "TimeoutMs", "type": "int32", "versions": "1+", "default": "-1" },
    { "name": "Topics", "type": "[]Topic", "versions": "0+", "nullableVersions": "1+", "fields": [
      { "name": "Name", "type": "string", "versions": "0+" },
      { "name": "Leader", "type": "LeaderIdAndEpoch", "versions": "2+", "taggedVersions": "2+", "tag": 0 }
    ]},
    { "name": "RackId", "type": "string", "versions": "3+", "nullableVersions": "3+", "taggedVersions": "3+", "tag": 1, "default": "null" }
  ],
  "commonStructs": [
    { "name": "LeaderIdAndEpoch", "versions": "0+", "fields": [
      { "name": "LeaderId", "type": "int32", "versions": "0+", "default": "-1" },
      { "name": "LeaderEpoch", "type": "int32", "versions": "0+" }
    ]}
  ]
}`);

function syntheticOurs(): MessageDef {
  return message(99, 'Example', 'request', '0-3', '2+', [
    f('groupId', 'string', '0+'),
    f('timeoutMs', 'int32', '1+', { default: -1 }),
    f('topics', '[]Topic', '0+', { nullable: '1+' }, [
      f('name', 'string', '0+'),
      f('leader', 'LeaderIdAndEpoch', '2+', { tagged: '2+', tag: 0 }, [
        f('leaderId', 'int32', '0+', { default: -1 }),
        f('leaderEpoch', 'int32', '0+'),
      ]),
    ]),
    f('rackId', 'string', '3+', { nullable: '3+', tagged: '3+', tag: 1, default: null }),
  ]);
}

function findField(fields: FieldDef[], path: string[]): FieldDef {
  let list = fields;
  let found: FieldDef | undefined;
  for (const name of path) {
    found = list.find((x) => x.name === name);
    assert.ok(found, `field ${name}`);
    list = found.fields ?? [];
  }
  return found!;
}

test('comparator accepts an equal definition (synthetic, commonStructs resolved)', () => {
  assert.deepEqual(compareDefinition(syntheticOurs(), syntheticKafka), []);
});

const mutations: { what: string; mutate: (d: MessageDef) => void; expect: RegExp }[] = [
  { what: 'renamed field', mutate: (d) => { findField(d.fields, ['groupId']).name = 'group'; }, expect: /fields \[group,/ },
  { what: 'field order', mutate: (d) => { d.fields.splice(0, 2, d.fields[1]!, d.fields[0]!); }, expect: /fields \[timeoutMs,groupId/ },
  { what: 'version range', mutate: (d) => { findField(d.fields, ['timeoutMs']).versions = '2+'; }, expect: /fields \[groupId,topics\] but Kafka has \[groupId,timeoutMs,topics\]/ },
  { what: 'type', mutate: (d) => { findField(d.fields, ['timeoutMs']).type = 'int64'; }, expect: /timeoutMs: type int64 but Kafka has int32/ },
  { what: 'struct type name', mutate: (d) => { findField(d.fields, ['topics']).type = '[]TopicX'; }, expect: /topics: type \[\]TopicX/ },
  { what: 'nullableVersions', mutate: (d) => { findField(d.fields, ['topics']).options.nullable = '2+'; }, expect: /topics: nullable=false but Kafka has nullable=true \(first at v1\)/ },
  { what: 'taggedVersions', mutate: (d) => { delete findField(d.fields, ['rackId']).options.tagged; }, expect: /rackId: tagged=false but Kafka has tagged=true/ },
  { what: 'tag', mutate: (d) => { findField(d.fields, ['topics', 'leader']).options.tag = 5; }, expect: /topics\[\]\.leader: tag 5 but Kafka has 0/ },
  { what: 'default', mutate: (d) => { findField(d.fields, ['topics', 'leader', 'leaderId']).options.default = 0; }, expect: /leaderId: default 0 but Kafka has -1/ },
  { what: 'nested field in commonStruct', mutate: (d) => { findField(d.fields, ['topics', 'leader']).fields!.pop(); }, expect: /topics\[\]\.leader: fields \[leaderId\] but Kafka has \[leaderId,leaderEpoch\]/ },
  { what: 'flexibleVersions', mutate: (d) => { d.flexibleVersions = '3+'; }, expect: /flexible=false but Kafka has flexible=true \(first at v2\)/ },
  { what: 'apiKey', mutate: (d) => { d.apiKey = 98; }, expect: /apiKey 98 but Kafka has 99/ },
  { what: 'validVersions beyond Kafka', mutate: (d) => { d.validVersions = '0-4'; }, expect: /validVersions 0-4 not within Kafka's 0-3/ },
  { what: 'extra field', mutate: (d) => { d.fields.push(f('extra', 'int8', '0+')); }, expect: /extra\] but Kafka has \[groupId,topics\]/ },
];

for (const m of mutations) {
  test(`comparator reports a mutated ${m.what}`, () => {
    const d = syntheticOurs();
    m.mutate(d);
    const problems = compareDefinition(d, syntheticKafka);
    assert.ok(problems.some((p) => m.expect.test(p)), `expected a problem matching ${m.expect}, got:\n${problems.join('\n')}`);
  });
}

test('comparator reports a mutated copy of a real definition', { skip }, () => {
  const copy = structuredClone(Metadata.response.def);
  assert.deepEqual(compareDefinition(copy, loadKafka('MetadataResponse')), [], 'an unmodified copy agrees');
  findField(copy.fields, ['topics', 'partitions', 'leaderEpoch']).versions = '8+';
  findField(copy.fields, ['brokers', 'rack']).options.nullable = 'none';
  const problems = compareDefinition(copy, loadKafka('MetadataResponse'));
  assert.ok(problems.some((p) => /partitions\[\]: fields .* but Kafka has .*leaderEpoch/.test(p) && /first at v7/.test(p)), problems.join('\n'));
  assert.ok(problems.some((p) => /brokers\[\]\.rack: nullable=false but Kafka has nullable=true/.test(p)), problems.join('\n'));
});
