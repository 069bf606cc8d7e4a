import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { murmur2, partitionForKey, toPositive } from '../../../src/client/partitioner.js';

test('murmur2 matches the Java client (vectors from Kafka UtilsTest)', () => {
  const vectors: [string, number][] = [
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ];
  for (const [s, h] of vectors) assert.equal(murmur2(Buffer.from(s)), h, s);
});

test('murmur2 agrees with KafkaJS default partitioner hash on random keys', () => {
  const require = createRequire(import.meta.url);
  const theirs = require('kafkajs/src/producer/partitioners/default/murmur2') as (k: Buffer) => number;
  for (let len = 0; len < 40; len++) {
    const key = Buffer.from(Array.from({ length: len }, (_, i) => (i * 37 + len * 11) & 0xff));
    assert.equal(murmur2(key), theirs(key), `length ${len}`);
  }
});

test('partitionForKey uses toPositive, not abs', () => {
  assert.equal(toPositive(-1), 0x7fffffff);
  assert.equal(toPositive(-2147483648), 0);
  const p = partitionForKey(Buffer.from('foobar'), 7);
  assert.equal(p, (-790332482 & 0x7fffffff) % 7);
});
