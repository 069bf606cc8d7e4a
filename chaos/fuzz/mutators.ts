/**
 * Mutations of a request frame (header + body, no size prefix). The header's first 4 bytes
 * (API key and version) are usually kept, so most mutants reach the API's decoder; some
 * mutators change them on purpose.
 */
import type { SeededRandom } from '../../src/base/random.js';

export type Mutator = (frame: Buffer, rnd: SeededRandom) => Buffer;

const HEADER_KEEP = 4;
const pick = <T>(rnd: SeededRandom, xs: readonly T[]): T => xs[rnd.int(xs.length)]!;
/** A position in the body part (after key and version) when there is one. */
const bodyPos = (b: Buffer, rnd: SeededRandom): number => (b.length > HEADER_KEEP ? HEADER_KEEP + rnd.int(b.length - HEADER_KEEP) : rnd.int(Math.max(1, b.length)));

export const MUTATORS: readonly [string, Mutator][] = [
  ['none', (b) => b],
  ['truncate', (b, rnd) => b.subarray(0, HEADER_KEEP + rnd.int(Math.max(1, b.length - HEADER_KEEP)))],
  ['flip bit', (b, rnd) => { const c = Buffer.from(b); if (c.length) { const i = bodyPos(c, rnd); c[i]! ^= 1 << rnd.int(8); } return c; }],
  ['set byte', (b, rnd) => { const c = Buffer.from(b); if (c.length) c[bodyPos(c, rnd)] = pick(rnd, [0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe]); return c; }],
  ['huge int32', (b, rnd) => { const c = Buffer.from(b); if (c.length >= HEADER_KEEP + 4) c.writeInt32BE(pick(rnd, [0x7fffffff, -2, -1, 0x10000000, 65536]), HEADER_KEEP + rnd.int(c.length - HEADER_KEEP - 3)); return c; }],
  ['int16 edge', (b, rnd) => { const c = Buffer.from(b); if (c.length >= HEADER_KEEP + 2) c.writeInt16BE(pick(rnd, [0x7fff, -1, -2, 0, 0x4000]), HEADER_KEEP + rnd.int(c.length - HEADER_KEEP - 1)); return c; }],
  ['long varint', (b, rnd) => { const at = bodyPos(b, rnd); return Buffer.concat([b.subarray(0, at), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), b.subarray(at)]); }],
  ['insert random', (b, rnd) => { const at = bodyPos(b, rnd); return Buffer.concat([b.subarray(0, at), rnd.bytes(1 + rnd.int(16)), b.subarray(at)]); }],
  ['delete range', (b, rnd) => { const at = bodyPos(b, rnd); return Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + rnd.int(8))]); }],
  ['duplicate range', (b, rnd) => { const at = bodyPos(b, rnd); const len = 1 + rnd.int(32); return Buffer.concat([b.subarray(0, at + len), b.subarray(at, at + len), b.subarray(at + len)]); }],
  ['append junk', (b, rnd) => Buffer.concat([b, rnd.bytes(1 + rnd.int(64))])],
  ['random body', (b, rnd) => Buffer.concat([b.subarray(0, Math.min(b.length, 8)), rnd.bytes(rnd.int(Math.max(1, b.length)))])],
  ['other version', (b, rnd) => { const c = Buffer.from(b); if (c.length >= 4) c.writeInt16BE(pick(rnd, [-1, 0, 1, 3, 9, 13, 17, 99, 0x7fff]), 2); return c; }],
  ['other api', (b, rnd) => { const c = Buffer.from(b); if (c.length >= 2) c.writeInt16BE(pick(rnd, [-1, 0, 1, 3, 8, 18, 22, 36, 50, 67, 1000, 0x7fff]), 0); return c; }],
];
