/**
 * Shared helpers for the protocol conformance tests: the list of every API we define, a
 * generator of sample values driven by a definition, and an independent reference encoder
 * written straight from Kafka's protocol guide (not from src/protocol/schema.ts), so the
 * codec's bytes are checked against a second implementation.
 */
import { isDeepStrictEqual } from 'node:util';
import * as Messages from '../../src/protocol/messages/index.js';
import { Writer } from '../../src/protocol/primitives.js';
import { inRange, parseVersions, type ApiDef, type FieldDef, type MessageCodec, type MessageDef } from '../../src/protocol/schema.js';

export const ALL_APIS: ApiDef[] = (Object.values(Messages) as unknown[])
  .filter((v): v is ApiDef => typeof v === 'object' && v !== null && 'apiKey' in v && 'request' in v && 'response' in v)
  .sort((a, b) => a.apiKey - b.apiKey);

export function versionsOf(codec: MessageCodec): number[] {
  const out: number[] = [];
  for (let v = codec.versions.min; v <= codec.versions.max; v++) out.push(v);
  return out;
}

/** Every (api, kind, version) triple, for table-driven tests. */
export function allCases(): { api: ApiDef; kind: 'request' | 'response'; codec: MessageCodec; version: number }[] {
  const out: { api: ApiDef; kind: 'request' | 'response'; codec: MessageCodec; version: number }[] = [];
  for (const api of ALL_APIS) {
    for (const kind of ['request', 'response'] as const) {
      const codec = api[kind];
      for (const version of versionsOf(codec)) out.push({ api, kind, codec, version });
    }
  }
  return out;
}

export const has = (spec: string | undefined, v: number): boolean => spec !== undefined && inRange(parseVersions(spec), v);
export const present = (f: FieldDef, v: number): boolean => has(f.versions, v);
export const nullableAt = (f: FieldDef, v: number): boolean => has(f.options.nullable, v);
export const taggedAt = (f: FieldDef, v: number, flexible: boolean): boolean => flexible && has(f.options.tagged, v);

function baseType(f: FieldDef): string {
  return f.type.startsWith('[]') ? f.type.slice(2) : f.type;
}

const SCALARS = new Set(['int8', 'int16', 'uint16', 'int32', 'int64', 'float64', 'bool', 'string', 'bytes', 'uuid', 'records']);

export function isStructType(f: FieldDef): boolean {
  return !SCALARS.has(baseType(f));
}

/**
 * The value a decoded object holds for a field the version does not carry (or a tagged field
 * that was not sent): the definition's `default`, else 0 / '' / false / [] / zero uuid, and
 * null for nullable strings, bytes, records, arrays and structs. Independent of schema.ts.
 */
export function defaultValue(f: FieldDef, v: number): unknown {
  if (f.options.default !== undefined) return f.options.default;
  const nullable = nullableAt(f, v);
  if (f.type.startsWith('[]')) return nullable ? null : [];
  switch (f.type) {
    case 'bool': return false;
    case 'string': return nullable ? null : '';
    case 'bytes': return nullable ? null : Buffer.alloc(0);
    case 'records': return null;
    case 'uuid': return Buffer.alloc(16);
    case 'int8': case 'int16': case 'uint16': case 'int32': case 'int64': case 'float64': return 0;
    default: return nullable ? null : defaultStruct(f.fields!, v);
  }
}

export function defaultStruct(fields: FieldDef[], v: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const f of fields) o[f.name] = defaultValue(f, v);
  return o;
}

/**
 * Builds values with non-default data in every field the version carries. `nulls` makes every
 * nullable field null; otherwise they hold data. Arrays hold two elements.
 */
export class SampleBuilder {
  private n = 0;
  constructor(private readonly nulls: boolean) {}

  struct(fields: FieldDef[], v: number, flexible: boolean): Record<string, unknown> {
    const o: Record<string, unknown> = {};
    for (const f of fields) {
      o[f.name] = present(f, v) ? this.field(f, v, flexible) : defaultValue(f, v);
    }
    return o;
  }

  private field(f: FieldDef, v: number, flexible: boolean): unknown {
    if (this.nulls && nullableAt(f, v)) {
      // A tagged field whose default is not null is written when null; one whose default is null
      // is simply absent. Both decode back to null.
      return null;
    }
    if (f.type.startsWith('[]')) {
      const elem = baseType(f);
      return [0, 1].map(() => (SCALARS.has(elem) ? this.scalar(elem, f, v) : this.struct(f.fields!, v, flexible)));
    }
    if (SCALARS.has(f.type)) return this.scalar(f.type, f, v);
    return this.struct(f.fields!, v, flexible);
  }

  private scalar(type: string, f: FieldDef, v: number): unknown {
    const n = ++this.n;
    const d = f.type === type ? defaultValue(f, v) : undefined;
    const differ = (x: number): number => (x === d ? x + 1 : x);
    switch (type) {
      case 'int8': return differ(n % 2 === 0 ? -((n % 100) + 2) : (n % 100) + 2);
      case 'int16': return differ(n % 2 === 0 ? 1000 + n : -(1000 + n));
      case 'uint16': return differ(40000 + n);
      case 'int32': return differ(n % 2 === 0 ? 2147483000 + (n % 600) : -(2147483000 + (n % 600)));
      case 'int64': return differ(n % 2 === 0 ? 2 ** 52 + n : -(2 ** 40 + n));
      case 'float64': return n + 0.25;
      case 'bool': return d !== true;
      case 'string': return n % 7 === 3 ? `long-${'x'.repeat(150)}-${n}` : `s${n}-é✓`;
      case 'bytes': return Buffer.from([n & 0xff, 0, 255, (n * 7) & 0xff]);
      case 'records': return Buffer.from(`records-${n}`);
      case 'uuid': return Buffer.from(Array.from({ length: 16 }, (_, i) => (n * 31 + i * 7) & 0xff));
      default: throw new Error(`unknown scalar ${type}`);
    }
  }
}

export function sample(def: MessageDef, version: number, nulls: boolean): Record<string, unknown> {
  const flexible = has(def.flexibleVersions, version);
  return new SampleBuilder(nulls).struct(def.fields, version, flexible);
}

// ---- Reference encoder (Kafka protocol guide: https://kafka.apache.org/protocol) ----

function refScalar(w: Writer, type: string, value: any, nullable: boolean, flexible: boolean): void {
  switch (type) {
    case 'int8': w.int8(value); return;
    case 'int16': w.int16(value); return;
    case 'uint16': w.uint16(value); return;
    case 'int32': w.int32(value); return;
    case 'int64': w.int64(value); return;
    case 'float64': w.float64(value); return;
    case 'bool': w.int8(value ? 1 : 0); return;
    case 'uuid': w.raw(value); return;
    case 'string': {
      if (value === null) {
        if (!nullable) throw new Error('null in non-nullable string');
        if (flexible) w.unsignedVarint(0); else w.int16(-1);
        return;
      }
      const b = Buffer.from(value as string, 'utf8');
      if (flexible) w.unsignedVarint(b.length + 1); else w.int16(b.length);
      w.raw(b);
      return;
    }
    case 'bytes':
    case 'records': {
      if (value === null) {
        if (flexible) w.unsignedVarint(0); else w.int32(-1);
        return;
      }
      if (flexible) w.unsignedVarint(value.length + 1); else w.int32(value.length);
      w.raw(value);
      return;
    }
    default: throw new Error(`unknown scalar ${type}`);
  }
}

function refField(w: Writer, f: FieldDef, value: any, v: number, flexible: boolean): void {
  const nullable = nullableAt(f, v);
  if (f.type.startsWith('[]')) {
    if (value === null) {
      if (flexible) w.unsignedVarint(0); else w.int32(-1);
      return;
    }
    if (flexible) w.unsignedVarint(value.length + 1); else w.int32(value.length);
    const elem = baseType(f);
    for (const e of value) {
      if (SCALARS.has(elem)) refScalar(w, elem, e, false, flexible);
      else refStruct(w, f.fields!, e, v, flexible);
    }
    return;
  }
  if (SCALARS.has(f.type)) {
    refScalar(w, f.type, value, nullable, flexible);
    return;
  }
  if (nullable) {
    if (value === null) {
      w.int8(-1);
      return;
    }
    w.int8(1);
  }
  refStruct(w, f.fields!, value, v, flexible);
}

export function refStruct(w: Writer, fields: FieldDef[], o: Record<string, any>, v: number, flexible: boolean): void {
  const tagged: FieldDef[] = [];
  for (const f of fields) {
    if (!present(f, v)) continue;
    if (taggedAt(f, v, flexible)) {
      if (!isDeepStrictEqual(o[f.name], defaultValue(f, v))) tagged.push(f);
      continue;
    }
    refField(w, f, o[f.name], v, flexible);
  }
  if (!flexible) return;
  tagged.sort((a, b) => a.options.tag! - b.options.tag!);
  w.unsignedVarint(tagged.length);
  for (const f of tagged) {
    const inner = new Writer(64);
    refField(inner, f, o[f.name], v, true);
    const bytes = inner.toBuffer();
    w.unsignedVarint(f.options.tag!);
    w.unsignedVarint(bytes.length);
    w.raw(bytes);
  }
}

export function refEncode(def: MessageDef, value: Record<string, unknown>, version: number): Buffer {
  const w = new Writer(256);
  refStruct(w, def.fields, value, version, has(def.flexibleVersions, version));
  return Buffer.from(w.toBuffer());
}

/** Deterministic PRNG (mulberry32) so failures reproduce from a printed seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Fills every field a partial value leaves out with its default, recursively (array elements
 * and nested structs too), so hand-written responses can name only what matters.
 */
export function complete(fields: FieldDef[], version: number, partial: Record<string, any>): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const f of fields) {
    const v = partial[f.name];
    if (v === undefined) o[f.name] = defaultValue(f, version);
    else if (v !== null && isStructType(f) && f.type.startsWith('[]')) o[f.name] = (v as Record<string, any>[]).map((e) => complete(f.fields!, version, e));
    else if (v !== null && isStructType(f)) o[f.name] = complete(f.fields!, version, v);
    else o[f.name] = v;
  }
  return o;
}
