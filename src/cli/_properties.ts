/**
 * Client properties given to the tools (`--consumer-property`, `--producer-property`,
 * `--command-config FILE`, `--producer-props`, `--property` for the formatter or line reader):
 * Java .properties files, `key=value` lists, and the rule that every key is either honoured or
 * refused by name — never silently ignored. Each tool declares what it honours as a
 * `PropertyRules` table (key → value check); a key missing from it is refused with a reason
 * (`refusalReason`: TLS/SASL, transactions, ... are named as missing features).
 */
import { readFileSync } from 'node:fs';
import { UsageError } from './_args.js';

/** Returns an error text for a bad value, or null when the value is accepted. */
export type ValueCheck = (value: string) => string | null;

/** What a tool honours: key → check of its value. */
export type PropertyRules = ReadonlyMap<string, ValueCheck>;

export const anyValue: ValueCheck = () => null;

export const oneOf = (...allowed: string[]): ValueCheck => (v) =>
  allowed.includes(v.trim().toLowerCase()) ? null : `must be one of ${allowed.join(', ')}`;

export const boolValue: ValueCheck = oneOf('true', 'false');

/** A non-negative integer (Kafka's int and long configs as these tools use them). */
export const intValue = (min = 0): ValueCheck => (v) =>
  /^-?\d+$/.test(v.trim()) && Number(v) >= min ? null : `must be an integer >= ${min}`;

/** PLAINTEXT is what Sherwood speaks; the others need TLS/SASL. */
export const plaintextOnly: ValueCheck = (v) =>
  v.trim().toUpperCase() === 'PLAINTEXT' ? null : 'only PLAINTEXT is supported: TLS and SASL are not implemented yet';

/** Why a key no tool honours is refused, when it is a feature Sherwood lacks. */
export function refusalReason(key: string): string | null {
  if (key.startsWith('ssl.') || key.startsWith('sasl.')) return 'TLS and SASL are not implemented yet';
  if (key === 'transactional.id' || key === 'transaction.timeout.ms') {
    return 'this tool does not run transactions (kafka-console-producer.sh cannot either: it never calls initTransactions(), so every send fails); sherwood perf produce --transactional-id does';
  }
  return null;
}

/** Parses `key=value` items (values may contain '='); `what` names the option in errors. */
export function parseKeyValues(items: readonly string[], what: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`${what} ${item}: expected key=value`);
    out.set(item.slice(0, eq).trim(), item.slice(eq + 1));
  }
  return out;
}

/**
 * A Java .properties file: `key=value`, `key: value` or `key value`, `#`/`!` comments, blank
 * lines, and lines continued with a trailing backslash. Escapes other than `\\` + newline are
 * kept as written (the tools' values are plain).
 */
export function parsePropertiesText(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length) line = line.slice(0, -1) + lines[++i]!.replace(/^\s+/, '');
    const m = /^((?:[^=:\s\\]|\\.)+)\s*[=:\s]\s*(.*)$/.exec(line);
    if (m === null) out.set(line.trim(), '');
    else out.set(m[1]!.replace(/\\(.)/g, '$1'), m[2]!.trimEnd());
  }
  return out;
}

/** Reads a properties file; a missing or unreadable file is a one-line UsageError naming it. */
export function loadPropertiesFile(path: string, what: string): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`${what} ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parsePropertiesText(text);
}

/**
 * Checks every key against `rules`: an unknown key, or a bad value, is a UsageError naming
 * the key and where it came from (`what`, e.g. "--consumer-property").
 */
export function checkProperties(props: ReadonlyMap<string, string>, rules: PropertyRules, what: string, kind: string): void {
  for (const [key, value] of props) {
    const check = rules.get(key);
    if (check === undefined) {
      const reason = refusalReason(key);
      throw new UsageError(reason !== null
        ? `${what}: ${key} is not supported: ${reason}`
        : `${what}: unknown or unsupported ${kind} property '${key}' (honoured: ${[...rules.keys()].sort().join(', ')})`);
    }
    const bad = check(value);
    if (bad !== null) throw new UsageError(`${what}: ${key}=${value}: ${bad}`);
  }
}

/** Integer value of an already-checked property, or `dflt`. */
export function intProperty(props: ReadonlyMap<string, string>, key: string, dflt: number): number {
  const v = props.get(key);
  return v === undefined ? dflt : Number(v.trim());
}

/** Boolean value of an already-checked property, or `dflt`. */
export function boolProperty(props: ReadonlyMap<string, string>, key: string, dflt: boolean): boolean {
  const v = props.get(key);
  return v === undefined ? dflt : v.trim().toLowerCase() === 'true';
}

/** Settings every tool's client honours from --command-config / client properties. */
export const COMMON_CLIENT_RULES: [string, ValueCheck][] = [
  ['bootstrap.servers', anyValue],
  ['client.id', anyValue],
  ['request.timeout.ms', intValue(1)],
  ['security.protocol', plaintextOnly],
];

/**
 * The client options of an admin tool (topics, consumer-groups, configs) from its
 * `--command-config FILE`: client.id and request.timeout.ms are honoured, every other key is
 * refused by name.
 */
export function adminClientOptions(commandConfig: string | null, defaultClientId: string): { clientId: string; requestTimeoutMs?: number } {
  if (commandConfig === null) return { clientId: defaultClientId };
  const props = loadPropertiesFile(commandConfig, '--command-config');
  checkProperties(props, new Map(COMMON_CLIENT_RULES), `--command-config ${commandConfig}`, 'admin client');
  const timeout = props.get('request.timeout.ms');
  return { clientId: props.get('client.id') ?? defaultClientId, ...(timeout === undefined ? {} : { requestTimeoutMs: Number(timeout) }) };
}
