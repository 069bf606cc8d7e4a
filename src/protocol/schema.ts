/**
 * The declarative notation our message definitions are written in, and the codec that
 * interprets it.
 *
 * A definition lists fields as `f(name, type, versions, options?, fields?)`:
 * - `type` is a primitive (`int8 int16 uint16 int32 int64 float64 bool string bytes uuid
 *   records`), `[]` + primitive for an array of it, `[]Name` for an array of structs, or `Name`
 *   for a single struct; structs carry their fields as the fifth argument.
 * - `versions`, `nullable` and `tagged` are Kafka version ranges: `3+`, `0-4`, `5`, `none`.
 * - `tag` places a field among the tagged fields of flexible versions.
 *
 * Decoding yields an object with every field of the definition: fields absent from the
 * decoded version get their default (0, '', false, [], null for nullable, or `default`),
 * so handlers never test versions to read a field. Encoding skips fields absent from the
 * version; a field the value leaves `undefined` is encoded as its default. Flexible versions
 * (from `flexible`) use compact strings/arrays/bytes and tagged fields on every struct.
 */
import { Reader, Writer, ZERO_UUID } from './primitives.js';

export interface VersionRange {
  min: number;
  max: number;
}

export function parseVersions(spec: string): VersionRange {
  if (spec === 'none' || spec === '') return { min: 1, max: 0 };
  if (spec.endsWith('+')) return { min: Number(spec.slice(0, -1)), max: Number.MAX_SAFE_INTEGER };
  const dash = spec.indexOf('-');
  if (dash >= 0) return { min: Number(spec.slice(0, dash)), max: Number(spec.slice(dash + 1)) };
  const v = Number(spec);
  return { min: v, max: v };
}

export function inRange(r: VersionRange, v: number): boolean {
  return v >= r.min && v <= r.max;
}

export interface FieldOptions {
  nullable?: string;
  tag?: number;
  tagged?: string;
  default?: unknown;
  /** Marks the field Kafka uses as a map key (documentation only). */
  mapKey?: boolean;
  ignorable?: boolean;
}

export interface FieldDef {
  name: string;
  type: string;
  versions: string;
  options: FieldOptions;
  fields: FieldDef[] | undefined;
}

export function f(name: string, type: string, versions: string, options: FieldOptions = {}, fields?: FieldDef[]): FieldDef {
  return { name, type, versions, options, fields };
}

export interface MessageDef {
  apiKey: number;
  name: string;
  kind: 'request' | 'response';
  validVersions: string;
  flexibleVersions: string;
  fields: FieldDef[];
}

export interface ApiDef<Req = any, Res = any> {
  apiKey: number;
  name: string;
  request: MessageCodec<Req>;
  response: MessageCodec<Res>;
}

type Kind = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12;
const K_INT8 = 0, K_INT16 = 1, K_UINT16 = 2, K_INT32 = 3, K_INT64 = 4, K_FLOAT64 = 5, K_BOOL = 6,
  K_STRING = 7, K_BYTES = 8, K_UUID = 9, K_RECORDS = 10, K_STRUCT = 11, K_ARRAY = 12;

const PRIMITIVE_KIND: Record<string, Kind> = {
  int8: K_INT8, int16: K_INT16, uint16: K_UINT16, int32: K_INT32, int64: K_INT64, float64: K_FLOAT64,
  bool: K_BOOL, string: K_STRING, bytes: K_BYTES, uuid: K_UUID, records: K_RECORDS,
};

/** A field compiled for fast interpretation. */
interface Compiled {
  name: string;
  kind: Kind;
  /** For arrays: the element kind (K_STRUCT for struct arrays). */
  elem: Kind;
  versions: VersionRange;
  nullable: VersionRange;
  tagged: VersionRange;
  tag: number;
  defaultValue: unknown;
  struct: CompiledStruct | undefined;
}

interface CompiledStruct {
  fields: Compiled[];
}

function compileField(def: FieldDef): Compiled {
  const isArray = def.type.startsWith('[]');
  const base = isArray ? def.type.slice(2) : def.type;
  const prim = PRIMITIVE_KIND[base];
  const elem: Kind = prim ?? K_STRUCT;
  const kind: Kind = isArray ? K_ARRAY : elem;
  if (prim === undefined && def.fields === undefined) throw new Error(`field ${def.name}: struct type ${base} without fields`);
  const struct = prim === undefined ? { fields: def.fields!.map(compileField) } : undefined;
  const c: Compiled = {
    name: def.name,
    kind,
    elem,
    versions: parseVersions(def.versions),
    nullable: parseVersions(def.options.nullable ?? 'none'),
    tagged: parseVersions(def.options.tagged ?? 'none'),
    tag: def.options.tag ?? -1,
    defaultValue: undefined,
    struct,
  };
  c.defaultValue = def.options.default;
  return c;
}

function defaultFor(c: Compiled, version: number): unknown {
  if (c.defaultValue !== undefined) {
    return c.defaultValue;
  }
  if (inRange(c.nullable, version) && (c.kind === K_ARRAY || c.kind === K_STRUCT)) return null;
  switch (c.kind) {
    case K_BOOL: return false;
    case K_STRING: return inRange(c.nullable, version) ? null : '';
    case K_BYTES: return inRange(c.nullable, version) ? null : Buffer.alloc(0);
    case K_RECORDS: return null;
    case K_UUID: return ZERO_UUID;
    case K_ARRAY: return [];
    case K_STRUCT: return defaultStruct(c.struct!, version);
    default: return 0;
  }
}

function defaultStruct(s: CompiledStruct, version: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const c of s.fields) o[c.name] = defaultFor(c, version);
  return o;
}

function readValue(r: Reader, kind: Kind, c: Compiled, version: number, flexible: boolean, nullable: boolean): unknown {
  switch (kind) {
    case K_INT8: return r.int8();
    case K_INT16: return r.int16();
    case K_UINT16: return r.uint16();
    case K_INT32: return r.int32();
    case K_INT64: return r.int64();
    case K_FLOAT64: return r.float64();
    case K_BOOL: return r.bool();
    case K_UUID: return r.uuid();
    case K_STRING:
      if (flexible) return nullable ? r.compactNullableString() : r.compactString();
      return nullable ? r.nullableString() : r.string();
    case K_BYTES:
      if (flexible) return nullable ? r.compactNullableBytes() : r.compactBytes();
      return nullable ? r.nullableBytes() : r.bytes();
    case K_RECORDS:
      return flexible ? r.compactNullableBytes() : r.nullableBytes();
    case K_STRUCT:
      if (nullable) {
        if (r.int8() < 0) return null;
      }
      return readStruct(r, c.struct!, version, flexible);
    case K_ARRAY: {
      const n = r.arrayLength(flexible);
      if (n < 0) {
        if (!nullable) r.fail(`null array ${c.name} where non-null expected`);
        return nullable ? null : [];
      }
      const out = new Array(n);
      for (let i = 0; i < n; i++) out[i] = readValue(r, c.elem, c, version, flexible, false);
      return out;
    }
  }
}

function readStruct(r: Reader, s: CompiledStruct, version: number, flexible: boolean): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  let hasTagged = false;
  for (const c of s.fields) {
    if (!inRange(c.versions, version)) {
      o[c.name] = defaultFor(c, version);
    } else if (flexible && inRange(c.tagged, version)) {
      o[c.name] = defaultFor(c, version);
      hasTagged = true;
    } else {
      o[c.name] = readValue(r, c.kind, c, version, flexible, inRange(c.nullable, version));
    }
  }
  if (flexible) readTaggedFields(r, s, o, version, hasTagged);
  return o;
}

function readTaggedFields(r: Reader, s: CompiledStruct, o: Record<string, unknown>, version: number, known: boolean): void {
  const count = r.unsignedVarint();
  for (let i = 0; i < count && r.error === null; i++) {
    const tag = r.unsignedVarint();
    const size = r.unsignedVarint();
    const field = known ? s.fields.find((c) => c.tag === tag && inRange(c.tagged, version) && inRange(c.versions, version)) : undefined;
    if (field === undefined) {
      r.raw(size);
      continue;
    }
    const end = r.pos + size;
    o[field.name] = readValue(r, field.kind, field, version, true, inRange(field.nullable, version));
    if (r.pos !== end && r.error === null) r.fail(`tagged field ${field.name} size mismatch`);
  }
}

function writeValue(w: Writer, kind: Kind, c: Compiled, v: any, version: number, flexible: boolean, nullable: boolean): void {
  switch (kind) {
    case K_INT8: w.int8(v ?? 0); return;
    case K_INT16: w.int16(v ?? 0); return;
    case K_UINT16: w.uint16(v ?? 0); return;
    case K_INT32: w.int32(v ?? 0); return;
    case K_INT64: w.int64(v ?? 0); return;
    case K_FLOAT64: w.float64(v ?? 0); return;
    case K_BOOL: w.bool(v === true); return;
    case K_UUID: w.uuid(v ?? null); return;
    case K_STRING:
      if (v === null || v === undefined) {
        if (!nullable) throw new Error(`field ${c.name} is not nullable in version ${version}`);
        if (flexible) w.compactNullableString(null); else w.nullableString(null);
        return;
      }
      if (flexible) w.compactString(v); else w.string(v);
      return;
    case K_BYTES:
    case K_RECORDS:
      if (v === null || v === undefined) {
        if (!nullable && kind === K_BYTES) throw new Error(`field ${c.name} is not nullable in version ${version}`);
        if (flexible) w.compactNullableBytes(null); else w.nullableBytes(null);
        return;
      }
      if (kind === K_RECORDS) {
        // Record batches (Fetch responses) may be large: a chunked writer keeps them by reference.
        if (flexible) w.unsignedVarint(v.length + 1); else w.int32(v.length);
        w.refBytes(v);
        return;
      }
      if (flexible) w.compactBytes(v); else w.bytes(v);
      return;
    case K_STRUCT:
      if (nullable) {
        if (v === null || v === undefined) {
          w.int8(-1);
          return;
        }
        w.int8(1);
      }
      writeStruct(w, c.struct!, v ?? {}, version, flexible);
      return;
    case K_ARRAY: {
      if (v === null || v === undefined) {
        if (!nullable && v === null) throw new Error(`array ${c.name} is not nullable in version ${version}`);
        if (v === null) {
          if (flexible) w.unsignedVarint(0); else w.int32(-1);
          return;
        }
        v = [];
      }
      const n = v.length;
      if (flexible) w.unsignedVarint(n + 1); else w.int32(n);
      for (let i = 0; i < n; i++) writeValue(w, c.elem, c, v[i], version, flexible, false);
      return;
    }
  }
}

function isDefault(c: Compiled, v: unknown, version: number): boolean {
  const d = defaultFor(c, version);
  if (v === d || v === undefined) return true;
  if (Array.isArray(v) && Array.isArray(d)) return v.length === 0 && d.length === 0;
  if (Buffer.isBuffer(v) && Buffer.isBuffer(d)) return v.equals(d);
  if (c.kind === K_STRUCT && v !== null && d !== null && typeof v === 'object') {
    return c.struct!.fields.every((sub) => isDefault(sub, (v as Record<string, unknown>)[sub.name], version));
  }
  return false;
}

function writeStruct(w: Writer, s: CompiledStruct, o: Record<string, unknown>, version: number, flexible: boolean): void {
  let tagged: Compiled[] | null = null;
  for (const c of s.fields) {
    if (!inRange(c.versions, version)) continue;
    if (flexible && inRange(c.tagged, version)) {
      if (!isDefault(c, o[c.name], version)) (tagged ??= []).push(c);
      continue;
    }
    // A field the caller left out holds its default, as in Kafka's generated message classes.
    const v = o[c.name];
    writeValue(w, c.kind, c, v === undefined ? defaultFor(c, version) : v, version, flexible, inRange(c.nullable, version));
  }
  if (!flexible) return;
  if (tagged === null) {
    w.unsignedVarint(0);
    return;
  }
  tagged.sort((a, b) => a.tag - b.tag);
  w.unsignedVarint(tagged.length);
  for (const c of tagged) {
    w.unsignedVarint(c.tag);
    const inner = new Writer(64);
    writeValue(inner, c.kind, c, o[c.name], version, true, inRange(c.nullable, version));
    const bytes = inner.toBuffer();
    w.unsignedVarint(bytes.length);
    w.raw(bytes);
  }
}

export class MessageCodec<T = any> {
  readonly def: MessageDef;
  readonly versions: VersionRange;
  readonly flexible: VersionRange;
  private readonly root: CompiledStruct;

  constructor(def: MessageDef) {
    this.def = def;
    this.versions = parseVersions(def.validVersions);
    this.flexible = parseVersions(def.flexibleVersions);
    this.root = { fields: def.fields.map(compileField) };
  }

  isFlexible(version: number): boolean {
    return inRange(this.flexible, version);
  }

  /** Decodes a body; the caller checks `reader.error` afterwards. */
  read(r: Reader, version: number): T {
    return readStruct(r, this.root, version, this.isFlexible(version)) as T;
  }

  write(w: Writer, value: T, version: number): void {
    writeStruct(w, this.root, value as Record<string, unknown>, version, this.isFlexible(version));
  }

  encode(value: T, version: number): Buffer {
    const w = new Writer(256);
    this.write(w, value, version);
    return w.toBuffer();
  }

  decode(buf: Buffer, version: number): T {
    const r = new Reader(buf);
    const v = this.read(r, version);
    if (r.error !== null) throw new Error(`${this.def.name} v${version}: ${r.error}`);
    return v;
  }

  /** A value with every field at its default for this version, to be filled in by a handler. */
  empty(version: number): T {
    return defaultStruct(this.root, version) as T;
  }
}

export function api<Req = any, Res = any>(request: MessageDef, response: MessageDef): ApiDef<Req, Res> {
  return { apiKey: request.apiKey, name: request.name, request: new MessageCodec<Req>(request), response: new MessageCodec<Res>(response) };
}

export function message(apiKey: number, name: string, kind: 'request' | 'response', validVersions: string, flexibleVersions: string, fields: FieldDef[]): MessageDef {
  return { apiKey, name, kind, validVersions, flexibleVersions, fields };
}
