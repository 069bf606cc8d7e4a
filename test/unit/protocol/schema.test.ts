/**
 * The declarative codec: version ranges, defaults for absent fields, nullable structs/arrays,
 * tagged fields (order, unknown tags, size checks) and the errors encode/decode raise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageCodec, f, inRange, message, parseVersions } from '../../../src/protocol/schema.js';

test('parseVersions: open, closed, single and empty ranges', () => {
  assert.deepEqual(parseVersions('3+'), { min: 3, max: Number.MAX_SAFE_INTEGER });
  assert.deepEqual(parseVersions('0-4'), { min: 0, max: 4 });
  assert.deepEqual(parseVersions('5'), { min: 5, max: 5 });
  for (const none of ['none', '']) {
    const r = parseVersions(none);
    for (let v = 0; v < 20; v++) assert.equal(inRange(r, v), false);
  }
  assert.equal(inRange(parseVersions('2-3'), 1), false);
  assert.equal(inRange(parseVersions('2-3'), 3), true);
});

const codec = new MessageCodec(message(1000, 'Example', 'request', '0-3', '2+', [
  f('name', 'string', '0+'),
  f('timeoutMs', 'int32', '1+', { default: -1 }),
  f('owner', 'Owner', '1+', { nullable: '1+' }, [
    f('id', 'int64', '1+'),
    f('rack', 'string', '1+', { nullable: '1+', default: null }),
  ]),
  f('items', '[]Item', '0+', { nullable: '3+' }, [
    f('index', 'int32', '0+'),
    f('label', 'string', '2+', { tagged: '2+', tag: 0, default: 'none' }),
  ]),
  f('zeta', 'int16', '2+', { tagged: '2+', tag: 7 }),
  f('alpha', 'uuid', '2+', { tagged: '2+', tag: 1 }),
]));

test('absent fields decode to their defaults; empty() has every field', () => {
  const v0 = codec.decode(Buffer.from('0002' + '6869' + '00000000', 'hex'), 0);
  // owner is absent at v0 and not nullable there, so it decodes to a struct of defaults.
  assert.deepEqual(v0, { name: 'hi', timeoutMs: -1, owner: { id: 0, rack: null }, items: [], zeta: 0, alpha: Buffer.alloc(16) });
  assert.deepEqual(codec.empty(3), { name: '', timeoutMs: -1, owner: null, items: null, zeta: 0, alpha: Buffer.alloc(16) });
  const a = codec.empty(1) as any;
  a.items.push({ index: 1 });
  assert.deepEqual((codec.empty(1) as any).items, [], 'empty() returns fresh arrays');
});

test('nullable struct: int8 -1 for null, 1 then the fields when present', () => {
  const base = { name: '', timeoutMs: 5, items: [] };
  const nul = codec.encode({ ...base, owner: null }, 1);
  assert.equal(nul.toString('hex'), '0000' + '00000005' + 'ff' + '00000000');
  const set = codec.encode({ ...base, owner: { id: 2 ** 40, rack: null } }, 1);
  assert.equal(set.toString('hex'), '0000' + '00000005' + '01' + '0000010000000000' + 'ffff' + '00000000');
  assert.deepEqual(codec.decode(set, 1), { ...base, owner: { id: 2 ** 40, rack: null }, zeta: 0, alpha: Buffer.alloc(16) });
});

test('undefined fields are written as their defaults; null where not nullable throws', () => {
  const bytes = codec.encode({ name: 'x' } as never, 1);
  assert.equal(bytes.toString('hex'), '000178' + 'ffffffff' + 'ff' + '00000000', 'timeoutMs -1, owner null, items []');
  assert.throws(() => codec.encode({ name: null } as never, 1), /field name is not nullable in version 1/);
  assert.throws(() => codec.encode({ name: 'x', items: null } as never, 2), /array items is not nullable in version 2/);
  assert.equal(codec.encode({ name: 'x', items: null } as never, 3).toString('hex').slice(0, 4), '0278', 'nullable from v3');
});

test('a null array where the version does not allow it is a decode error', () => {
  assert.throws(() => codec.decode(Buffer.from('0000' + 'ffffffff', 'hex'), 0), /Example v0: null array items/);
  assert.equal((codec.decode(Buffer.from('01' + '00000000' + 'ff' + '00' + '00', 'hex'), 3) as any).items, null);
});

test('tagged fields: written only when not default, in ascending tag order, read back', () => {
  const value = { name: 'n', timeoutMs: 1, owner: null, items: [{ index: 3, label: 'L' }], zeta: 9, alpha: Buffer.alloc(16, 0xab) };
  const bytes = codec.encode(value, 2);
  const hex = bytes.toString('hex');
  // name, timeoutMs, owner null, items: 1 element {index 3, tagged label}, then root tags 1 (alpha) and 7 (zeta).
  const item = '00000003' + '01' + '00' + '02' + '024c';
  assert.equal(hex, '026e' + '00000001' + 'ff' + '02' + item + '02' + '01' + '10' + 'ab'.repeat(16) + '07' + '02' + '0009');
  assert.deepEqual(codec.decode(bytes, 2), value);
  const defaults = codec.encode({ ...value, items: [{ index: 3, label: 'none' }], zeta: 0, alpha: Buffer.alloc(16) }, 2);
  assert.equal(defaults.toString('hex'), '026e' + '00000001' + 'ff' + '02' + '00000003' + '00' + '00');
});

test('unknown tags are skipped; a known tag whose size disagrees is an error', () => {
  const base = '026e' + '00000001' + 'ff' + '01';
  assert.deepEqual((codec.decode(Buffer.from(base + '01' + '05' + '03' + 'aabbcc', 'hex'), 2) as any).zeta, 0);
  assert.equal((codec.decode(Buffer.from(base + '01' + '07' + '02' + '0102', 'hex'), 2) as any).zeta, 0x0102);
  assert.throws(() => codec.decode(Buffer.from(base + '01' + '07' + '03' + '010203', 'hex'), 2), /tagged field zeta size mismatch/);
  assert.throws(() => codec.decode(Buffer.from(base + '01' + '07' + '05' + '01', 'hex'), 2), /Example v2: need/);
});

test('definitions must give struct fields', () => {
  assert.throws(() => new MessageCodec(message(1, 'Bad', 'request', '0', 'none', [f('x', 'Thing', '0+')])), /struct type Thing without fields/);
});
