/**
 * Command-line plumbing shared by the Kafka-tool look-alikes (`sherwood topics`,
 * `sherwood consumer-groups`): Kafka's `--name value` / `--name=value` option syntax with its
 * error messages (joptsimple's, as kafka-topics.sh prints them), the one-action rule, and the
 * usage/exit-code convention of `main`. Not a command itself (the leading `_`).
 */
import { KafkaClient } from '../client/index.js';

export type Output = (line: string) => void;

export const stdout: Output = (line) => process.stdout.write(line + '\n');
export const stderr: Output = (line) => process.stderr.write(line + '\n');

/** A bad command line: printed as-is followed by the usage text, exit code 1 ('' means --help: exit 0). */
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

/**
 * Runs a command line parser: the options, or the exit code after printing the usage text
 * (0 for --help, 1 with the message first for a bad command line).
 */
export function parseOrUsage<T>(parse: () => T, help: string, err: Output): T | number {
  try {
    return parse();
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    if (e.message !== '') err(e.message);
    err(help);
    return e.message === '' ? 0 : 1;
  }
}

/** Connects to `bootstrap`, runs `fn` and always closes the client. */
export async function withClient<T>(bootstrap: string, clientId: string, fn: (client: KafkaClient) => Promise<T>): Promise<T> {
  let client: KafkaClient | undefined;
  try {
    client = await KafkaClient.connect(bootstrap, { clientId });
    return await fn(client);
  } finally {
    await client?.close();
  }
}
