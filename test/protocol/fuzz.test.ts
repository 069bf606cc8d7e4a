/**
 * Decode fuzzer: seeded random mutations and truncations of valid encodings for every API ×
 * version × direction. Decoding must either succeed (and the result re-encode without throwing)
 * or fail with the codec's clean decode error (`<Api> v<n>: ...` from the Reader) — never a
 * RangeError/TypeError, never a hang, never a giant allocation. Set FUZZ_SEED to reproduce a run;
 * FUZZ_MS bounds the run time (default 2000 ms).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allCases, prng, sample } from './support.js';
import { Reader } from '../../src/protocol/primitives.js';
import { readRequestHeader } from '../../src/protocol/headers.js';
import { Metadata } from '../../src/protocol/messages/metadata.js';
import { Produce } from '../../src/protocol/messages/produce.js';

const seed = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : (Date.now() ^ (process.pid << 8)) >>> 0;
const budgetMs = Number(process.env.FUZZ_MS ?? 2000);

type Mutator = (b: Buffer, rnd: () => number) => Buffer;
const int = (rnd: () => number, n: number): number => Math.floor(rnd() * n);

const MUTATORS: [string, Mutator][] = [
  ['truncate', (b, rnd) => b.subarray(0, int(rnd, b.length))],
  ['flip bit', (b, rnd) => { const c = Buffer.from(b); if (c.length) c[int(rnd, c.length)]! ^= 1 << int(rnd, 8); return c; }],
  ['set byte', (b, rnd) => { const c = Buffer.from(b); if (c.length) c[int(rnd, c.length)] = [0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe][int(rnd, 6)]!; return c; }],
  ['huge int32', (b, rnd) => { const c = Buffer.from(b); if (c.length >= 4) c.writeInt32BE([0x7fffffff, -2, 0x10000000, 65536][int(rnd, 4)]!, int(rnd, c.length - 3)); return c; }],
  ['long varint', (b, rnd) => { const at = int(rnd, b.length + 1); return Buffer.concat([b.subarray(0, at), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), b.subarray(at)]); }],
  ['insert random', (b, rnd) => { const at = int(rnd, b.length + 1); const junk = Buffer.from(Array.from({ length: 1 + int(rnd, 8) }, () => int(rnd, 256))); return Buffer.concat([b.subarray(0, at), junk, b.subarray(at)]); }],
  ['delete range', (b, rnd) => { const at = int(rnd, b.length + 1); return Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + int(rnd, 6))]); }],
  ['random bytes', (b, rnd) => Buffer.from(Array.from({ length: int(rnd, Math.max(1, b.length)) }, () => int(rnd, 256)))],
];

test(`decode fuzzer (seed ${seed}, FUZZ_SEED=${seed} to reproduce)`, (t) => {
  t.diagnostic(`seed ${seed}`);
  console.log(`# protocol decode fuzzer seed: ${seed}`);
  const rnd = prng(seed);
  const cases = allCases().flatMap((c) => [false, true].map((nulls) => ({ ...c, valid: Buffer.from(c.codec.encode(sample(c.codec.def, c.version, nulls), c.version)) })));
  const started = performance.now();
  let iterations = 0;
  let clean = 0;
  let slowest = 0;
  const usedBy = new Map<string, number>();
  while (performance.now() - started < budgetMs) {
    for (const c of cases) {
      const [name, mutate] = MUTATORS[int(rnd, MUTATORS.length)]!;
      let input = mutate(c.valid, rnd);
      if (rnd() < 0.3) input = MUTATORS[int(rnd, MUTATORS.length)]![1](input, rnd);
      usedBy.set(name, (usedBy.get(name) ?? 0) + 1);
      const what = `${c.api.name} ${c.kind} v${c.version} after ${name} (seed ${seed}): ${input.toString('hex').slice(0, 400)}`;
      const t0 = performance.now();
      let decoded: unknown;
      try {
        decoded = c.codec.decode(input, c.version);
      } catch (err) {
        assert.ok(err instanceof Error && err.constructor === Error, `only plain decode errors, got ${String(err)} for ${what}`);
        assert.ok(err.message.startsWith(`${c.api.name} v${c.version}: `), `clean decode error, got "${err.message}" for ${what}`);
        clean++;
      }
      const elapsed = performance.now() - t0;
      slowest = Math.max(slowest, elapsed);
      assert.ok(elapsed < 1000, `decode took ${elapsed.toFixed(1)} ms for ${what}`);
      if (decoded !== undefined) {
        assert.doesNotThrow(() => c.codec.encode(decoded, c.version), `re-encoding a decoded value must not throw: ${what}`);
      }
      // The same input as a request frame: header then body, with the straight-line reader.
      if (c.kind === 'request') {
        const r = new Reader(input);
        readRequestHeader(r, c.codec.isFlexible(c.version));
        c.codec.read(r, c.version);
        assert.ok(r.pos <= r.end);
      }
      iterations++;
    }
  }
  t.diagnostic(`${iterations} decodes, ${clean} clean errors, slowest ${slowest.toFixed(2)} ms`);
  assert.ok(iterations >= cases.length, 'every API × version was fuzzed at least once');
  assert.ok(clean > iterations / 10, 'mutations do produce decode errors');
  for (const [name] of MUTATORS) assert.ok((usedBy.get(name) ?? 0) > 0, `mutator ${name} ran`);
});

test('array lengths beyond the remaining bytes are rejected without allocating', () => {
  // Metadata v1 request: topics array with length 0x7fffffff and nothing after it.
  const classic = Buffer.from('7fffffff', 'hex');
  assert.throws(() => Metadata.request.decode(classic, 1), /Metadata v1: array length 2147483647 exceeds remaining bytes/);
  // Metadata v9 (flexible): compact length uvarint(2^32 - 1) followed by a couple of bytes.
  const compact = Buffer.from('ffffffff0f0000', 'hex');
  assert.throws(() => Metadata.request.decode(compact, 9), /Metadata v9: array length \d+ exceeds remaining bytes/);
  // A nested array: outer array of 1 topic whose partitions array claims 2^31-1 entries.
  const produce = Produce.request.empty(3);
  const bytes = Produce.request.encode({ ...produce, topicData: [{ name: 't', partitionData: [] }] } as never, 3);
  const patched = Buffer.from(bytes);
  patched.writeInt32BE(0x7fffffff, patched.length - 4);
  const before = process.memoryUsage().arrayBuffers;
  assert.throws(() => Produce.request.decode(patched, 3), /exceeds remaining bytes/);
  assert.ok(process.memoryUsage().arrayBuffers - before < 64 * 1024 * 1024);
});
