/** Java .properties parsing and the honoured-or-refused rule for client properties. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../../src/cli/_args.js';
import { checkProperties, intValue, oneOf, parseKeyValues, parsePropertiesText, plaintextOnly } from '../../../src/cli/_properties.js';
import { chunkRecords } from '../../../src/cli/console-producer.js';

test('parsePropertiesText: separators, comments, blanks, continuations', () => {
  const text = [
    '# comment', '! also a comment', '', '  bootstrap.servers = localhost:9092', 'client.id:me', 'group.id team-a',
    'list = a,\\', '       b', 'empty=', 'key\\=with\\:escapes = v',
  ].join('\n');
  assert.deepEqual(Object.fromEntries(parsePropertiesText(text)), {
    'bootstrap.servers': 'localhost:9092', 'client.id': 'me', 'group.id': 'team-a', list: 'a,b', empty: '', 'key=with:escapes': 'v',
  });
});

test('parseKeyValues keeps = in values and names the option on a bad item', () => {
  assert.deepEqual(Object.fromEntries(parseKeyValues(['a=1', 'b=x=y'], '--consumer-property')), { a: '1', b: 'x=y' });
  assert.throws(() => parseKeyValues(['novalue'], '--consumer-property'), /--consumer-property novalue: expected key=value/);
});

test('checkProperties: unknown keys and bad values are refused by name, with the reason for missing features', () => {
  const rules = new Map([['acks', oneOf('0', '1', 'all')], ['linger.ms', intValue(0)], ['security.protocol', plaintextOnly]]);
  checkProperties(new Map([['acks', 'all'], ['linger.ms', '5'], ['security.protocol', 'plaintext']]), rules, '--producer-property', 'producer');
  const refused = (props: Record<string, string>) => {
    try {
      checkProperties(new Map(Object.entries(props)), rules, '--producer-property', 'producer');
    } catch (e) {
      assert.ok(e instanceof UsageError);
      return e.message;
    }
    return 'accepted';
  };
  assert.equal(refused({ 'buffer.memory': '1' }), "--producer-property: unknown or unsupported producer property 'buffer.memory' (honoured: acks, linger.ms, security.protocol)");
  assert.equal(refused({ 'sasl.mechanism': 'PLAIN' }), '--producer-property: sasl.mechanism is not supported: TLS and SASL are not implemented yet');
  assert.match(refused({ 'transactional.id': 't' }), /^--producer-property: transactional.id is not supported: this tool does not run transactions .*sherwood perf produce --transactional-id does$/);
  assert.equal(refused({ acks: '2' }), '--producer-property: acks=2: must be one of 0, 1, all');
  assert.equal(refused({ 'linger.ms': '-1' }), '--producer-property: linger.ms=-1: must be an integer >= 0');
  assert.equal(refused({ 'security.protocol': 'SSL' }), '--producer-property: security.protocol=SSL: only PLAINTEXT is supported: TLS and SASL are not implemented yet');
});

test('chunkRecords: at most `count` records and about `bytes` bytes a request, never empty', () => {
  const r = (v: string) => ({ key: null, value: v });
  assert.deepEqual(chunkRecords([r('a'), r('b'), r('c')], 2, Infinity).map((c) => c.length), [2, 1]);
  assert.deepEqual(chunkRecords([r('x'.repeat(100)), r('y'.repeat(100)), r('z')], 10, 150).map((c) => c.length), [1, 2]);
  // A record larger than the byte limit still goes, alone.
  assert.deepEqual(chunkRecords([r('x'.repeat(500))], 10, 100).map((c) => c.length), [1]);
});
