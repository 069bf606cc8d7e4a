/**
 * Command-line plumbing shared by every `sherwood` command: Kafka's `--name value` /
 * `--name=value` option syntax with its error messages (joptsimple's, as kafka-topics.sh
 * prints them), the one-action rule, and the one style of errors and exit codes:
 *
 * - `--help` prints the command's help on stdout and exits 0;
 * - anything that fails prints ONE line on stderr, `sherwood <command>: <what failed and why>`,
 *   and exits 1 (a bad command line adds "(see --help)");
 * - a stack trace follows only with `--debug` (or SHERWOOD_DEBUG=1).
 *
 * Not a command itself (the leading `_`).
 */
import { BrokerError, KafkaClient, type KafkaClientOptions } from '../client/index.js';

export type Output = (line: string) => void;

export const stdout: Output = (line) => process.stdout.write(line + '\n');
export const stderr: Output = (line) => process.stderr.write(line + '\n');

/** A bad command line: one line and exit code 1 ('' means --help: the help on stdout, exit 0). */
export class UsageError extends Error {}
/** A failed operation, reported the way the Kafka tool reports it. */
export class CommandError extends Error {}

export interface OptionSpec {
  /** Options that take a value: `--name value` or `--name=value`; each may repeat. */
  withValue: ReadonlySet<string>;
  /** Options without a value (`--help` among them). */
  boolean: ReadonlySet<string>;
  /** An error text for an option refused outright (checked before the name is looked up), else null. */
  refuse?: (name: string) => string | null;
  /** Called in command-line order for each value, e.g. to parse it early (may throw UsageError). */
  onValue?: (name: string, value: string) => void;
}

export interface ParsedOptions {
  /** Every value of each option with a value, in command-line order. */
  values: Map<string, string[]>;
  /** The boolean options given. */
  flags: Set<string>;
}

/** Splits argv into options. Throws UsageError for anything unknown, and UsageError('') for --help. */
export function parseOptions(argv: readonly string[], spec: OptionSpec): ParsedOptions {
  const values = new Map<string, string[]>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new UsageError(`Unexpected argument: ${arg}`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const refused = spec.refuse?.(name) ?? null;
    if (refused !== null) throw new UsageError(refused);
    if (spec.withValue.has(name)) {
      const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new UsageError(`Option ${name} requires an argument`);
      values.set(name, [...(values.get(name) ?? []), value]);
      spec.onValue?.(name, value);
    } else if (spec.boolean.has(name)) {
      flags.add(name);
    } else {
      throw new UsageError(`${name} is not a recognized option`);
    }
  }
  if (flags.has('help')) throw new UsageError('');
  return { values, flags };
}

/** The one value of option `name`, null when absent; UsageError when it is given twice. */
export function singleValue(values: ReadonlyMap<string, readonly string[]>, name: string): string | null {
  const v = values.get(name);
  if (v !== undefined && v.length > 1) throw new UsageError(`Option ${name} can only be given once`);
  return v?.[0] ?? null;
}

/** The single action among `flags`, or UsageError(message) when there are none or several. */
export function exactlyOneAction<A extends string>(flags: ReadonlySet<string>, actions: readonly A[], message: string): A {
  const given = actions.filter((a) => flags.has(a));
  if (given.length !== 1) throw new UsageError(message);
  return given[0]!;
}

/** An option's value as an integer (leading '-' allowed), or UsageError naming the option. */
export function parseInteger(value: string, name: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw new UsageError(`Option ${name}: '${value}' is not an integer`);
  return Number(value);
}

let debug = process.env.SHERWOOD_DEBUG === '1';

/** `--debug` (taken off the command line by main.ts): print stack traces with errors. */
export function setDebug(on: boolean): void {
  debug = on;
}

export function debugEnabled(): boolean {
  return debug;
}

/** The one-line message for a failure (first line only: messages never span lines). */
function oneLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  const line = text.split('\n').find((l) => l.trim() !== '') ?? (e instanceof Error ? e.name : 'failed');
  return line.trim();
}

/**
 * Prints a failure the one way every command does and returns the exit code: help for an
 * empty UsageError (--help, exit 0), otherwise `sherwood <command>: <message>` (exit 1).
 */
export function reportFailure(command: string, e: unknown, help: string, out: Output, err: Output): number {
  const who = command === '' ? 'sherwood' : `sherwood ${command}`;
  if (e instanceof UsageError && e.message === '') {
    out(help);
    return 0;
  }
  if (e instanceof UsageError) {
    err(`${who}: ${oneLine(e)} (see --help)`);
    return 1;
  }
  // Our own errors (and the Kafka errors the client throws) are expected: their message is the
  // whole story. Anything else is a bug: say how to see where it came from.
  const expected = e instanceof CommandError || e instanceof BrokerError;
  err(`${who}: ${oneLine(e)}${expected || debug ? '' : ' (run with --debug for details)'}`);
  if (debug && e instanceof Error && e.stack !== undefined) err(e.stack);
  return 1;
}

/** Runs a command's body with the shared error handling; the body returns the exit code (default 0). */
export async function runCommand(command: string, help: string, out: Output, err: Output, body: () => Promise<number | void>): Promise<number> {
  try {
    return (await body()) ?? 0;
  } catch (e) {
    return reportFailure(command, e, help, out, err);
  }
}

/** Connects to `bootstrap`, runs `fn` and always closes the client. */
export async function withClient<T>(bootstrap: string, options: KafkaClientOptions, fn: (client: KafkaClient) => Promise<T>): Promise<T> {
  let client: KafkaClient | undefined;
  try {
    client = await KafkaClient.connect(bootstrap, options);
    return await fn(client);
  } finally {
    await client?.close();
  }
}
