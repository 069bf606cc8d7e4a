/**
 * `sherwood <command> [args]`: dispatches to ./<command>.js, which exports
 * `main(argv: string[]): Promise<number>` (the exit code). Commands are imported lazily so
 * `sherwood topics` never loads the broker and a missing command file only breaks itself.
 */
import { pathToFileURL } from 'node:url';

export const COMMANDS: Record<string, string> = {
  server: 'Run a broker: sherwood server [server.properties] [--override key=value ...]',
  topics: 'Create, list, describe, alter and delete topics (like kafka-topics.sh)',
  'console-producer': 'Write lines from stdin to a topic (like kafka-console-producer.sh)',
  'console-consumer': 'Print records of a topic to stdout (like kafka-console-consumer.sh)',
  'consumer-groups': 'List, describe, reset and delete consumer groups (like kafka-consumer-groups.sh)',
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
    'Run `sherwood <command> --help` for the options of one command.',
  ].join('\n');
}

interface CommandModule {
  main(argv: string[]): Promise<number>;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(usage() + '\n');
    return command === undefined ? 1 : 0;
  }
  if (!Object.hasOwn(COMMANDS, command)) {
    process.stderr.write(`sherwood: unknown command '${command}'\n\n${usage()}\n`);
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
  } catch (err) {
    process.stderr.write(`sherwood: ${err instanceof Error ? err.message : String(err)}\n`);
    code = 1;
  }
  process.exit(code);
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) void run(process.argv.slice(2));
