/**
 * `sherwood server [server.properties] [--override key=value ...]`
 *
 * Reads a Kafka-style properties file (optional), applies each --override on top, starts the
 * broker and prints one line, `Sherwood broker <nodeId> listening on host:port`, to stdout
 * when it accepts connections. SIGTERM or SIGINT closes it cleanly (logs flushed, clean-shutdown
 * marker written) and the command returns 0; the same signal again within a second is ignored
 * (a terminal's Ctrl-C under npm arrives twice), a later one exits at once with 1. A bad
 * configuration (unknown key, bad value, port in use) prints one line naming the key to stderr
 * and returns 1, with no stack trace.
 */
import { readFile } from 'node:fs/promises';
// The public entry point, not ../server/*: the CLI sees the broker only through its API.
import { parseServerProperties, startBroker } from '../index.js';
import { CommandError, UsageError, runCommand, stderr, stdout, type Output } from './_args.js';

const USAGE = `Usage: sherwood server [server.properties] [--override key=value ...]

Starts a Sherwood broker. Properties use Kafka's names (see docs/configuration.md);
--override values win over the file. Defaults: listeners=PLAINTEXT://127.0.0.1:9092, log.dirs=./data.`;

/** Signals closer together than this are one request to stop (see serveUntilSignal). */
const REPEATED_SIGNAL_MS = 1000;

export interface ServerArgs {
  propertiesFile: string | null;
  overrides: Record<string, string>;
}

/** Parses the command line; throws UsageError with a one-line message on bad usage. */
export function parseServerArgs(argv: string[]): ServerArgs | 'help' {
  let propertiesFile: string | null = null;
  const overrides: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return 'help';
    let kv: string | undefined;
    if (arg === '--override') {
      kv = argv[++i];
      if (kv === undefined) throw new UsageError('--override needs key=value');
    } else if (arg.startsWith('--override=')) {
      kv = arg.slice('--override='.length);
    } else if (arg.startsWith('-')) {
      throw new UsageError(`unknown option ${arg}`);
    } else if (propertiesFile === null) {
      propertiesFile = arg;
      continue;
    } else {
      throw new UsageError(`unexpected argument ${arg}`);
    }
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new UsageError(`--override ${kv}: expected key=value`);
    overrides[kv.slice(0, eq).trim()] = kv.slice(eq + 1);
  }
  return { propertiesFile, overrides };
}

/** The properties file's entries with the overrides on top. */
export async function loadServerProperties(args: ServerArgs): Promise<Record<string, string>> {
  let props: Record<string, string> = {};
  if (args.propertiesFile !== null) {
    let text: string;
    try {
      text = await readFile(args.propertiesFile, 'utf8');
    } catch (err) {
      throw new CommandError(`cannot read ${args.propertiesFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    props = parseServerProperties(text);
  }
  return { ...props, ...args.overrides };
}

export async function main(argv: string[], out: Output = stdout, err: Output = stderr): Promise<number> {
  return runCommand('server', USAGE, out, err, async () => {
    const args = parseServerArgs(argv);
    if (args === 'help') throw new UsageError('');
    // A bad configuration (BrokerError) or a port in use is reported as one line by runCommand.
    const running = await startBroker({
      profile: 'server', overrides: await loadServerProperties(args),
      // Kafka halts (no clean shutdown: the disk may not take the checkpoints) when its log dirs failed.
      onLogDirFailure: (dir) => {
        process.stderr.write(`sherwood server: log dir ${dir} failed; halting\n`);
        process.exit(1);
      },
    });
    await serveUntilSignal(running, out);
  });
}

/** Prints the ready line, then serves until SIGTERM/SIGINT and closes the broker cleanly. */
async function serveUntilSignal(running: Awaited<ReturnType<typeof startBroker>>, out: Output): Promise<void> {
  out(`Sherwood broker ${running.broker.nodeId} listening on ${running.bootstrap}`);

  await new Promise<void>((resolve) => {
    let stoppingSinceMs: number | null = null;
    const stop = (signal: string) => {
      if (stoppingSinceMs !== null) {
        // Ctrl-C under npm arrives twice (from the terminal and forwarded by npm): a repeat
        // within a second is the same request. Later, a second signal means "stop now".
        if (Date.now() - stoppingSinceMs < REPEATED_SIGNAL_MS) return;
        process.stderr.write(`sherwood server: ${signal} again, exiting without a clean shutdown\n`);
        process.exit(1);
      }
      stoppingSinceMs = Date.now();
      running.broker.logger.info(`${signal} received, shutting down`);
      running.close().then(resolve, (err: unknown) => {
        process.stderr.write(`sherwood server: shutdown failed: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
      });
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}
