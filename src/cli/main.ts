/**
 * `sherwood <command> [args]`: dispatches to ./<command>.js, which exports
 * `main(argv: string[]): Promise<number>` (the exit code). Commands are imported lazily so
 * `sherwood topics` never loads the broker and a missing command file only breaks itself.
 *
 * Global options, anywhere on the line: `--debug` (stack traces with errors; also
 * SHERWOOD_DEBUG=1). `sherwood --version` prints the package version; `sherwood --help` and
 * `sherwood <command> --help` print help on stdout and exit 0. Every failure is one line on
 * stderr, `sherwood <command>: <what failed and why>`, with exit code 1 (see ./_args.ts).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { reportFailure, setDebug } from './_args.js';

export const COMMANDS: Record<string, string> = {
  server: 'Run a broker: sherwood server [server.properties] [--override key=value ...]',
  topics: 'Create, list, describe, alter and delete topics (like kafka-topics.sh)',
  configs: 'Describe and alter topic and broker configs (like kafka-configs.sh)',
  'console-producer': 'Write lines from stdin to a topic (like kafka-console-producer.sh)',
  'console-consumer': 'Print records of a topic to stdout (like kafka-console-consumer.sh)',
  'consumer-groups': 'List, describe, reset and delete consumer groups (like kafka-consumer-groups.sh)',
  transactions: 'List and describe transactions and producers, find and abort hanging ones (like kafka-transactions.sh)',
  'leader-election': 'Elect preferred or unclean partition leaders (like kafka-leader-election.sh)',
  'reassign-partitions': 'Move partition replicas between brokers, change replication factors (like kafka-reassign-partitions.sh)',
  perf: 'Produce/consume throughput and latency test (like kafka-producer-perf-test.sh)',
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, text]) => `  ${name.padEnd(width)}  ${text}`);
  return [
    'Usage: sherwood <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Global options:',
    '  --version   Print the version and exit',
    '  --debug     Print stack traces with errors',
    '',
    'Run `sherwood <command> --help` for the options of one command.',
  ].join('\n');
}

/** The version in the package.json next to src/ or dist/ (found by walking up from this file). */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'sherwood' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not here: look one level up
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

interface CommandModule {
  main(argv: string[]): Promise<number>;
}

const out = (line: string): void => void process.stdout.write(line + '\n');
const err = (line: string): void => void process.stderr.write(line + '\n');

export async function main(argv: string[]): Promise<number> {
  const args = argv.filter((a) => a !== '--debug');
  if (args.length !== argv.length) setDebug(true);
  const [command, ...rest] = args;
  if (command === '--version' || command === '-V' || command === 'version') {
    out(`sherwood ${packageVersion()}`);
    return 0;
  }
  if (command === '--help' || command === '-h' || command === 'help') {
    out(usage());
    return 0;
  }
  if (command === undefined) {
    err('sherwood: no command given (see sherwood --help)');
    return 1;
  }
  if (!Object.hasOwn(COMMANDS, command)) {
    err(`sherwood: unknown command '${command}' (see sherwood --help)`);
    return 1;
  }
  const mod = (await import(`./${command}.js`)) as CommandModule;
  return mod.main(rest);
}

/** Runs main when this file is the process entry point (node dist/src/cli/main.js, tsx src/cli/main.ts). */
export async function run(argv: string[]): Promise<void> {
  let code: number;
  try {
    code = await main(argv);
  } catch (e) {
    const command = argv.find((a) => !a.startsWith('-')) ?? '';
    code = reportFailure(command === '' ? '' : command, e, '', out, err);
  }
  // Let stdout/stderr drain (pipes may be asynchronous) before exiting.
  process.exitCode = code;
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  process.exit(code);
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) void run(process.argv.slice(2));
