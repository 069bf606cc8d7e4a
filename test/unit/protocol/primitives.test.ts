/**
 * Kafka's primitive types: fixed-width ints, (zig-zag) varints, int64 as JS numbers, classic and
 * compact strings/bytes, uuids, array lengths, and the Reader's sticky first error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader, Writer, unsignedVarintSize } from '../../../src/protocol/primitives.js';

const hex = (b: Buffer): string => b.toString('hex');
const bytesOf = (fn: (w: Writer) => void): Buffer => {
  const w = new Writer(1);
  fn(w);
  return Buffer.from(w.toBuffer());
};

test('unsigned varint: known encodings, sizes and round trip up to 2^32', () => {
  const cases: [number, string][] = [
    [0, '00'], [1, '01'], [127, '7f'], [128, '8001'], [300, 'ac02'], [16383, 'ff7f'], [16384, '808001'],
    [2 ** 31 - 1, 'ffffffff07'], [2 ** 31, '8080808008'], [2 ** 32 - 1, 'ffffffff0f'],
  ];
  for (const [v, h] of cases) {
    const b = bytesOf((w) => w.unsignedVarint(v));
    assert.equal(hex(b), h, `uvarint ${v}`);
    assert.equal(unsignedVarintSize(v), b.length);
    const r = new Reader(b);
    assert.equal(r.unsignedVarint(), v);
    assert.equal(r.error, null);
    assert.equal(r.remaining, 0);
  }
});

test('unsigned varint longer than 5 bytes is rejected', () => {
  const r = new Reader(Buffer.from('ffffffffff01', 'hex'));
  assert.equal(r.unsignedVarint(), 0);
  assert.match(r.error ?? '', /longer than 5 bytes/);
  const truncated = new Reader(Buffer.from('ff', 'hex'));
  assert.equal(truncated.unsignedVarint(), 0);
  assert.match(truncated.error ?? '', /need 1 bytes/);
});

test('large unsigned varints are written whole even when the buffer is nearly full', () => {
  // Regression: the writer reserved only 5 bytes, so a longer varint was silently cut short.
  for (const v of [2 ** 35, 2 ** 42 + 5, 2 ** 49 + 1, 2 ** 53 - 1]) {
    const w = new Writer(5);
    w.unsignedVarint(v);
    const b = w.toBuffer();
    assert.equal(b.length, unsignedVarintSize(v), `uvarint ${v} length`);
    let decoded = 0;
    for (let i = 0; i < b.length; i++) decoded += (b[i]! & 0x7f) * 2 ** (7 * i);
    assert.equal(decoded, v);
    assert.equal(b[b.length - 1]! & 0x80, 0, 'last byte has no continuation bit');
  }
});

test('varint (zig-zag int32): negative values and the int32 extremes', () => {
  const cases: [number, string][] = [
    [0, '00'], [-1, '01'], [1, '02'], [-64, '7f'], [64, '8001'], [300, 'd804'],
    [2147483647, 'feffffff0f'], [-2147483648, 'ffffffff0f'],
  ];
  for (const [v, h] of cases) {
    const b = bytesOf((w) => w.varint(v));
    assert.equal(hex(b), h, `varint ${v}`);
    assert.equal(new Reader(b).varint(), v);
  }
});

test('varlong (zig-zag int64): values beyond 2^31 and up to 2^53', () => {
  for (const v of [0, -1, 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 32 + 7, -(2 ** 40), 1_700_000_000_000, 2 ** 53 - 1, -(2 ** 53 - 1)]) {
    const b = bytesOf((w) => w.varlong(v));
    const r = new Reader(b);
    assert.equal(r.varlong(), v, `varlong ${v}`);
    assert.equal(r.remaining, 0);
  }
  assert.equal(hex(bytesOf((w) => w.varlong(2 ** 32))), '8080808020');
  assert.equal(hex(bytesOf((w) => w.varlong(-(2 ** 32)))), 'ffffffff1f');
  // Long.MIN_VALUE as Kafka writes it (10 bytes) decodes to -2^63 (magnitude kept).
  const min = new Reader(Buffer.from('ffffffffffffffffff01', 'hex'));
  assert.equal(min.varlong(), -(2 ** 63));
  assert.equal(min.error, null);
  assert.equal(hex(bytesOf((w) => w.varlong(-(2 ** 63)))), 'ffffffffffffffffff01');
  assert.equal(hex(bytesOf((w) => w.varlong(2 ** 63))), 'feffffffffffffffff01', 'clamped to Long.MAX_VALUE');
  const max = new Reader(Buffer.from('feffffffffffffffff01', 'hex'));
  assert.equal(max.varlong(), 2 ** 63);
  // Just past the exact-double range: the sign must survive (regression: -(2^53 - 1) decoded positive).
  for (const v of [2 ** 52, -(2 ** 52), -(2 ** 52) - 1, 2 ** 60, -(2 ** 60)]) {
    assert.equal(new Reader(bytesOf((w) => w.varlong(v))).varlong(), v, `varlong ${v}`);
  }
  const tooLong = new Reader(Buffer.from('ffffffffffffffffffff01', 'hex'));
  tooLong.varlong();
  assert.match(tooLong.error ?? '', /longer than 10 bytes/);
});

test('int64: exact up to 2^53, clamped to the int64 range beyond', () => {
  for (const v of [0, -1, 1, 2 ** 32, -(2 ** 32), 2 ** 53 - 1, -(2 ** 53 - 1), 1_700_000_000_123]) {
    const b = bytesOf((w) => w.int64(v));
    assert.equal(b.length, 8);
    assert.equal(b.readBigInt64BE(0), BigInt(v));
    assert.equal(new Reader(b).int64(), v);
  }
  // Sentinels beyond 2^53: Long.MAX_VALUE / MIN_VALUE stay the extremes.
  assert.equal(hex(bytesOf((w) => w.int64(Number.MAX_VALUE))), '7fffffffffffffff');
  assert.equal(hex(bytesOf((w) => w.int64(2 ** 63))), '7fffffffffffffff');
  assert.equal(hex(bytesOf((w) => w.int64(Infinity))), '7fffffffffffffff');
  assert.equal(hex(bytesOf((w) => w.int64(-(2 ** 64)))), '8000000000000000');
  assert.equal(hex(bytesOf((w) => w.int64(-Infinity))), '8000000000000000');
  assert.equal(bytesOf((w) => w.int64(2 ** 60)).readBigInt64BE(0), 2n ** 60n);
  assert.equal(bytesOf((w) => w.int64(-(2 ** 60))).readBigInt64BE(0), -(2n ** 60n));
  assert.equal(hex(bytesOf((w) => w.int64(NaN))), '0000000000000000', 'NaN does not throw mid-encode');
  const max = new Reader(Buffer.from('7fffffffffffffff', 'hex')).int64();
  assert.equal(max, 2 ** 63, 'Long.MAX_VALUE reads as its magnitude');
  assert.equal(new Reader(Buffer.from('8000000000000000', 'hex')).int64(), -(2 ** 63));
  const beyond = Buffer.alloc(8);
  beyond.writeBigInt64BE(2n ** 53n + 1n);
  assert.equal(new Reader(beyond).int64(), 2 ** 53, 'the magnitude survives, not the last digit');
});

test('fixed-width ints, bool, float64 and uuid', () => {
  const b = bytesOf((w) => w.int8(-2).uint8(250).int16(-300).uint16(65535).int32(-5).uint32(4294967295).bool(true).bool(false).float64(-1.5).uuid(Buffer.alloc(16, 7)).uuid(null));
  const r = new Reader(b);
  assert.equal(r.int8(), -2);
  assert.equal(r.uint8(), 250);
  assert.equal(r.int16(), -300);
  assert.equal(r.uint16(), 65535);
  assert.equal(r.int32(), -5);
  assert.equal(r.uint32(), 4294967295);
  assert.equal(r.bool(), true);
  assert.equal(r.bool(), false);
  assert.equal(r.float64(), -1.5);
  assert.deepEqual(r.uuid(), Buffer.alloc(16, 7));
  assert.deepEqual(r.uuid(), Buffer.alloc(16));
  assert.equal(r.remaining, 0);
  assert.equal(r.error, null);
  // Any non-zero byte is true, as in Kafka.
  assert.equal(new Reader(Buffer.from([0x80])).bool(), true);
});

test('classic strings: int16 length, -1 for null, UTF-8 byte length', () => {
  assert.equal(hex(bytesOf((w) => w.string('é'))), '0002c3a9');
  assert.equal(hex(bytesOf((w) => w.nullableString(null))), 'ffff');
  assert.equal(hex(bytesOf((w) => w.string(''))), '0000');
  const b = bytesOf((w) => w.string('héllo').nullableString(null).nullableString('x'));
  const r = new Reader(b);
  assert.equal(r.string(), 'héllo');
  assert.equal(r.nullableString(), null);
  assert.equal(r.nullableString(), 'x');
  assert.equal(r.error, null);
  const nullWhereRequired = new Reader(Buffer.from('ffff', 'hex'));
  assert.equal(nullWhereRequired.string(), '');
  assert.match(nullWhereRequired.error ?? '', /null string/);
  const short = new Reader(Buffer.from('0005616263', 'hex'));
  assert.equal(short.string(), '');
  assert.match(short.error ?? '', /need 5 bytes, 3 left/);
});

test('compact strings: uvarint(len + 1), 0 for null', () => {
  assert.equal(hex(bytesOf((w) => w.compactString('ab'))), '036162');
  assert.equal(hex(bytesOf((w) => w.compactString(''))), '01');
  assert.equal(hex(bytesOf((w) => w.compactNullableString(null))), '00');
  const long = 'y'.repeat(200);
  const lb = bytesOf((w) => w.compactString(long));
  assert.equal(hex(lb.subarray(0, 2)), 'c901');
  assert.equal(new Reader(lb).compactString(), long);
  const r = new Reader(Buffer.from('00', 'hex'));
  assert.equal(r.compactString(), '');
  assert.match(r.error ?? '', /null compact string/);
  assert.equal(new Reader(Buffer.from('00', 'hex')).compactNullableString(), null);
  assert.equal(new Reader(Buffer.from('01', 'hex')).compactNullableString(), '');
});

test('bytes: classic int32 length and compact uvarint(len + 1), null forms', () => {
  assert.equal(hex(bytesOf((w) => w.bytes(Buffer.from([1, 2])))), '000000020102');
  assert.equal(hex(bytesOf((w) => w.nullableBytes(null))), 'ffffffff');
  assert.equal(hex(bytesOf((w) => w.compactBytes(Buffer.from([1, 2])))), '030102');
  assert.equal(hex(bytesOf((w) => w.compactNullableBytes(null))), '00');
  assert.deepEqual(new Reader(Buffer.from('000000020102', 'hex')).bytes(), Buffer.from([1, 2]));
  assert.equal(new Reader(Buffer.from('ffffffff', 'hex')).nullableBytes(), null);
  assert.deepEqual(new Reader(Buffer.from('030102', 'hex')).compactBytes(), Buffer.from([1, 2]));
  assert.equal(new Reader(Buffer.from('00', 'hex')).compactNullableBytes(), null);
  const nullBytes = new Reader(Buffer.from('ffffffff', 'hex'));
  nullBytes.bytes();
  assert.match(nullBytes.error ?? '', /null bytes/);
  const nullCompact = new Reader(Buffer.from('00', 'hex'));
  nullCompact.compactBytes();
  assert.match(nullCompact.error ?? '', /null compact bytes/);
  const huge = new Reader(Buffer.from('7fffffff01', 'hex'));
  assert.equal(huge.bytes().length, 0);
  assert.match(huge.error ?? '', /need 2147483647 bytes/);
});

test('array lengths beyond the remaining bytes are rejected before allocating', () => {
  const r = new Reader(Buffer.from('7fffffff0000', 'hex'));
  assert.equal(r.arrayLength(false), 0);
  assert.match(r.error ?? '', /exceeds remaining/);
  const c = new Reader(Buffer.from('ffffffff0f', 'hex'));
  assert.equal(c.arrayLength(true), 0);
  assert.match(c.error ?? '', /exceeds remaining/);
  assert.equal(new Reader(Buffer.from('ffffffff', 'hex')).arrayLength(false), -1, 'null array');
  assert.equal(new Reader(Buffer.from('00', 'hex')).arrayLength(true), -1, 'null compact array');
  assert.equal(new Reader(Buffer.from('0000000200000000', 'hex')).arrayLength(false), 2);
});

test('the first error sticks and later reads return zero values', () => {
  const r = new Reader(Buffer.from('0001', 'hex'));
  assert.equal(r.int32(), 0);
  const first = r.error;
  assert.match(first ?? '', /need 4 bytes, 2 left at byte 0/);
  assert.equal(r.int8(), 0);
  assert.equal(r.string(), '');
  assert.equal(r.int64(), 0);
  assert.equal(r.uuid().length, 16);
  assert.equal(r.error, first, 'later failures do not overwrite the first');
  assert.equal(r.remaining, 0);
});

test('reader honours start and end bounds', () => {
  const buf = Buffer.from('ff0001ff', 'hex');
  const r = new Reader(buf, 1, 3);
  assert.equal(r.int16(), 1);
  r.int8();
  assert.notEqual(r.error, null, 'cannot read past end even though the buffer continues');
});

test('writer grows and reserve() leaves patchable room', () => {
  const w = new Writer(2);
  const at = w.reserve(4);
  for (let i = 0; i < 1000; i++) w.int32(i);
  w.buf.writeInt32BE(w.pos - at - 4, at);
  const b = w.toBuffer();
  assert.equal(b.length, 4004);
  assert.equal(b.readInt32BE(0), 4000);
  assert.equal(b.readInt32BE(4 + 999 * 4), 999);
});
