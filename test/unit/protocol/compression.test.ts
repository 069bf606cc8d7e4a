import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  Compression,
  CompressionError,
  UnsupportedCompressionError,
  XERIAL_MAGIC,
  compress,
  compressionFromName,
  compressionName,
  decompress,
  isXerialFramed,
  snappyXerialEncode,
} from '../../../src/protocol/compression.js';

const CODECS = [Compression.None, Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd];

function sample(size: number): Buffer {
  // Half random, half repetitive: exercises both literal and match paths.
  const rnd = randomBytes(Math.floor(size / 2));
  const rep = Buffer.alloc(size - rnd.length, 'abcabcabc-kafka-');
  return Buffer.concat([rnd, rep]);
}

for (const codec of CODECS) {
  const name = compressionName(codec);
  test(`${name}: round trip of empty, small and multi-block inputs`, () => {
    for (const size of [0, 1, 100, 32 * 1024, 32 * 1024 + 1, 200_000]) {
      const data = sample(size);
      const packed = compress(codec, data);
      assert.deepEqual(decompress(codec, packed), data, `${name} size ${size}`);
    }
  });
  test(`${name}: name parsing`, () => {
    assert.equal(compressionFromName(name), codec);
    assert.equal(compressionFromName(name.toUpperCase()), codec);
  });
}

test('repetitive data actually shrinks with every codec', () => {
  const data = Buffer.alloc(100_000, 'the quick brown fox ');
  for (const codec of CODECS.slice(1)) {
    assert.ok(compress(codec, data).length < data.length / 5, compressionName(codec));
  }
});

test('snappy: we write xerial framing as Kafka Java does', () => {
  const data = Buffer.alloc(70_000, 'x');
  const packed = compress(Compression.Snappy, data);
  assert.ok(isXerialFramed(packed));
  assert.deepEqual(packed.subarray(0, 8), XERIAL_MAGIC);
  assert.equal(packed.readInt32BE(8), 1);
  assert.equal(packed.readInt32BE(12), 1);
  // 70000 bytes in 32 KiB blocks -> 3 blocks
  let pos = 16;
  let blocks = 0;
  while (pos < packed.length) {
    pos += 4 + packed.readInt32BE(pos);
    blocks++;
  }
  assert.equal(pos, packed.length);
  assert.equal(blocks, 3);
});

test('snappy: decodes a known xerial vector and a known raw vector', () => {
  // raw snappy of "hello": uncompressed length 5, one literal tag (len-1)<<2 = 0x10
  const raw = Buffer.from('051068656c6c6f', 'hex');
  const xerial = Buffer.concat([XERIAL_MAGIC, Buffer.from('0000000100000001', 'hex'), Buffer.from('00000007', 'hex'), raw]);
  assert.equal(decompress(Compression.Snappy, raw).toString(), 'hello');
  assert.equal(decompress(Compression.Snappy, xerial).toString(), 'hello');
  // two blocks concatenate
  const two = Buffer.concat([xerial, Buffer.from('00000007', 'hex'), raw]);
  assert.equal(decompress(Compression.Snappy, two).toString(), 'hellohello');
});

test('lz4: decodes a frame written by the lz4 CLI (content checksum on)', () => {
  const frame = Buffer.from('04224d186440a70500008068656c6c6f00000000f97700fb', 'hex');
  assert.equal(decompress(Compression.Lz4, frame).toString(), 'hello');
  assert.deepEqual(compress(Compression.Lz4, Buffer.from('x')).subarray(0, 4), Buffer.from('04224d18', 'hex'));
});

test('zstd: decodes frames with and without a content size (zstd CLI)', () => {
  const noSize = Buffer.from('28b52ffd045829000068656c6c6fa36d9f88', 'hex');
  const withSize = Buffer.from('28b52ffd24176500003068656c6c6f200100994b11175eae0d', 'hex');
  assert.equal(decompress(Compression.Zstd, noSize).toString(), 'hello');
  assert.equal(decompress(Compression.Zstd, withSize).toString(), 'hello hello hello hello');
});

test('gzip: decodes a gzip CLI vector', () => {
  const gz = Buffer.from('1f8b0800000000000003cb48cdc9c9070086a6103605000000', 'hex');
  assert.equal(decompress(Compression.Gzip, gz).toString(), 'hello');
});

test('garbage input raises CompressionError for every codec', () => {
  const junk = Buffer.from('this is not compressed data at all, not even close');
  for (const codec of CODECS.slice(1)) {
    assert.throws(() => decompress(codec, junk), CompressionError, compressionName(codec));
  }
  const badXerial = Buffer.concat([XERIAL_MAGIC, Buffer.from('0000000100000001', 'hex'), Buffer.from('7fffffff', 'hex')]);
  assert.throws(() => decompress(Compression.Snappy, badXerial), CompressionError);
});

test('decompressed size limit is enforced', () => {
  const data = Buffer.alloc(1_000_000);
  for (const codec of CODECS.slice(1)) {
    assert.throws(() => decompress(codec, compress(codec, data), 1000), CompressionError, compressionName(codec));
  }
  const framed = snappyXerialEncode(data);
  assert.throws(() => decompress(Compression.Snappy, framed, 40_000), CompressionError);
});

test('unknown codec ids are rejected', () => {
  assert.throws(() => compress(5 as Compression, Buffer.from('a')), UnsupportedCompressionError);
  assert.throws(() => decompress(7 as Compression, Buffer.from('a')), UnsupportedCompressionError);
  assert.equal(compressionFromName('brotli'), undefined);
});

test('lying size headers are rejected before allocation (snappy preamble, zstd content size)', () => {
  // raw snappy claiming 2^32-1 bytes
  const snappyBomb = Buffer.from('ffffffff0f1068656c6c6f', 'hex');
  assert.throws(() => decompress(Compression.Snappy, snappyBomb), /declares/);
  // zstd frame (single segment, 8-byte content size) declaring 2^40 bytes with one tiny raw block
  const fhd = 0xe0; // FCS flag 3 (8 bytes), single segment
  const header = Buffer.concat([Buffer.from('28b52ffd', 'hex'), Buffer.from([fhd]), Buffer.from('0000000000010000', 'hex').reverse()]);
  const block = Buffer.from([0x29, 0x00, 0x00]); // last block, raw, size 5
  const zstdBomb = Buffer.concat([header, block, Buffer.from('hello')]);
  assert.throws(() => decompress(Compression.Zstd, zstdBomb), CompressionError);
  // truncated zstd
  const ok = compress(Compression.Zstd, Buffer.alloc(5000, 'a'));
  assert.throws(() => decompress(Compression.Zstd, ok.subarray(0, ok.length - 3)), CompressionError);
  // two concatenated zstd frames decode to the concatenation
  const two = Buffer.concat([compress(Compression.Zstd, Buffer.from('ab')), compress(Compression.Zstd, Buffer.from('cd'))]);
  assert.equal(decompress(Compression.Zstd, two).toString(), 'abcd');
});
