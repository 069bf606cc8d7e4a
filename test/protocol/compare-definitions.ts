/**
 * Compares one of our message definitions with Kafka's JSON definition of the same message,
 * version by version over our validVersions: which fields exist and in what order (names are
 * Kafka's in camelCase), their types (struct names, arrays, commonStructs resolved), whether
 * they are nullable or tagged (and with which tag), numeric/boolean defaults, flexibleVersions,
 * apiKey, and that our validVersions lie within Kafka's. Returns a list of problems (empty when
 * the definitions agree).
 */
import { inRange, parseVersions, type FieldDef, type MessageDef } from '../../src/protocol/schema.js';

export interface KafkaField {
  name: string;
  type: string;
  versions: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  default?: string | number | boolean;
  fields?: KafkaField[];
}

export interface KafkaMessage {
  apiKey: number;
  type: string;
  name: string;
  validVersions: string;
  flexibleVersions: string;
  fields: KafkaField[];
  commonStructs?: { name: string; versions?: string; fields: KafkaField[] }[];
}

/** Kafka's JSON files start with a licence in `//` comments. */
export function parseKafkaJson(text: string): KafkaMessage {
  return JSON.parse(text.replace(/^\s*\/\/.*$/gm, '')) as KafkaMessage;
}

export function camel(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

const at = (spec: string | undefined, v: number): boolean => spec !== undefined && inRange(parseVersions(spec), v);

const NUMERIC = new Set(['int8', 'int16', 'uint16', 'int32', 'int64', 'float64']);

function kafkaDefault(f: KafkaField): unknown {
  const d = f.default;
  if (f.type === 'bool') return d === undefined ? false : d === true || d === 'true';
  if (NUMERIC.has(f.type)) return d === undefined || d === '' ? 0 : Number(d);
  return undefined;
}

function ourDefault(f: FieldDef): unknown {
  if (f.options.default !== undefined) return f.options.default;
  if (f.type === 'bool') return false;
  if (NUMERIC.has(f.type)) return 0;
  return undefined;
}

class Comparator {
  readonly problems: string[] = [];
  private readonly seen = new Set<string>();
  constructor(private readonly theirs: KafkaMessage) {}

  report(path: string, what: string, v: number): void {
    const key = `${path}: ${what}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.problems.push(`${key} (first at v${v})`);
  }

  structFields(f: KafkaField): KafkaField[] | undefined {
    if (f.fields !== undefined) return f.fields;
    const base = f.type.startsWith('[]') ? f.type.slice(2) : f.type;
    return this.theirs.commonStructs?.find((s) => s.name === base)?.fields;
  }

  fields(path: string, ours: FieldDef[], theirs: KafkaField[], v: number, flexible: boolean): void {
    const o = ours.filter((f) => at(f.versions, v));
    const t = theirs.filter((f) => at(f.versions, v));
    const inline = (f: { tagged?: boolean }) => !f.tagged;
    const oNames = o.map((f) => ({ name: f.name, tagged: flexible && at(f.options.tagged, v) }));
    const tNames = t.map((f) => ({ name: camel(f.name), tagged: flexible && at(f.taggedVersions, v) }));
    const oInline = oNames.filter(inline).map((f) => f.name).join(',');
    const tInline = tNames.filter(inline).map((f) => f.name).join(',');
    if (oInline !== tInline) this.report(path, `fields [${oInline}] but Kafka has [${tInline}]`, v);
    const oTagged = oNames.filter((f) => f.tagged).map((f) => f.name).sort().join(',');
    const tTagged = tNames.filter((f) => f.tagged).map((f) => f.name).sort().join(',');
    if (oTagged !== tTagged) this.report(path, `tagged fields [${oTagged}] but Kafka has [${tTagged}]`, v);
    for (const of of o) {
      const tf = t.find((x) => camel(x.name) === of.name);
      if (tf !== undefined) this.field(`${path}.${of.name}`, of, tf, v, flexible);
    }
  }

  field(path: string, of: FieldDef, tf: KafkaField, v: number, flexible: boolean): void {
    if (of.type !== tf.type) this.report(path, `type ${of.type} but Kafka has ${tf.type}`, v);
    const on = at(of.options.nullable, v);
    const tn = at(tf.nullableVersions, v);
    if (on !== tn) this.report(path, `nullable=${on} but Kafka has nullable=${tn}`, v);
    const ot = flexible && at(of.options.tagged, v);
    const tt = flexible && at(tf.taggedVersions, v);
    if (ot !== tt) this.report(path, `tagged=${ot} but Kafka has tagged=${tt}`, v);
    if (ot && tt && of.options.tag !== tf.tag) this.report(path, `tag ${of.options.tag} but Kafka has ${tf.tag}`, v);
    const od = ourDefault(of);
    const td = kafkaDefault(tf);
    if (td !== undefined && od !== td) this.report(path, `default ${String(od)} but Kafka has ${String(td)}`, v);
    const sub = this.structFields(tf);
    if (sub !== undefined || of.fields !== undefined) {
      if (sub === undefined) this.report(path, 'struct in ours but Kafka has no fields for it', v);
      else if (of.fields === undefined) this.report(path, 'Kafka has a struct but ours has no fields', v);
      else this.fields(path + (of.type.startsWith('[]') ? '[]' : ''), of.fields, sub, v, flexible);
    }
  }
}

export function compareDefinition(ours: MessageDef, theirs: KafkaMessage): string[] {
  const c = new Comparator(theirs);
  const where = `${ours.name} ${ours.kind}`;
  if (ours.apiKey !== theirs.apiKey) c.problems.push(`${where}: apiKey ${ours.apiKey} but Kafka has ${theirs.apiKey}`);
  if (theirs.type !== ours.kind) c.problems.push(`${where}: kind ${ours.kind} but Kafka file is a ${theirs.type}`);
  const expectedName = ours.name + (ours.kind === 'request' ? 'Request' : 'Response');
  if (theirs.name !== expectedName) c.problems.push(`${where}: Kafka's message is named ${theirs.name}, expected ${expectedName}`);
  const ov = parseVersions(ours.validVersions);
  const tv = parseVersions(theirs.validVersions);
  if (ov.min > ov.max) c.problems.push(`${where}: empty validVersions ${ours.validVersions}`);
  if (ov.min < tv.min || ov.max > tv.max) c.problems.push(`${where}: validVersions ${ours.validVersions} not within Kafka's ${theirs.validVersions}`);
  for (let v = ov.min; v <= ov.max; v++) {
    const of = at(ours.flexibleVersions, v);
    const tf = at(theirs.flexibleVersions, v);
    if (of !== tf) c.report(where, `flexible=${of} but Kafka has flexible=${tf}`, v);
    c.fields(where, ours.fields, theirs.fields, v, tf);
  }
  return c.problems;
}
