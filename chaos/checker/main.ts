/**
 * `npm run chaos:check -- history.jsonl [--liveness-ms N] [--clock-slack-ms 2]`: checks a saved history and prints
 * one verdict line per property. Exit 0 when no property failed, 1 when one did, 2 on bad
 * usage or an unreadable history.
 */
import { readFileSync } from 'node:fs';
import { parseHistory } from './history.js';
import { checkHistory, formatResults, DEFAULT_CHECK_OPTIONS } from './checker.js';

const USAGE = `Usage: npm run chaos:check -- <history.jsonl> [--liveness-ms N] [--clock-slack-ms 2]

Checks a history recorded by \`npm run chaos\` (format: chaos/checker/history.ts) and prints one
verdict per property (lost-write, duplicate, order, offsets, aborted-read, uncommitted-read,
torn-transaction, committed-offsets, beyond-hwm, liveness). Exit 1 if any property failed.`;

function main(argv: string[]): number {
  let file: string | undefined;
  let livenessMs = DEFAULT_CHECK_OPTIONS.livenessMs;
  let clockSlackMs = DEFAULT_CHECK_OPTIONS.clockSlackMs;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') { console.log(USAGE); return 0; }
    if (a === '--liveness-ms') { livenessMs = Number(argv[++i]); continue; }
    if (a === '--clock-slack-ms') { clockSlackMs = Number(argv[++i]); continue; }
    if (a.startsWith('-') || file !== undefined) { console.error(`unexpected argument ${a}\n${USAGE}`); return 2; }
    file = a;
  }
  if (file === undefined || !Number.isFinite(livenessMs) || !Number.isFinite(clockSlackMs)) { console.error(USAGE); return 2; }
  let events;
  try {
    events = parseHistory(readFileSync(file, 'utf8'));
  } catch (err) {
    console.error(`${file}: ${(err as Error).message}`);
    return 2;
  }
  const results = checkHistory(events, { livenessMs, clockSlackMs });
  console.log(`${file}: ${events.length} events`);
  console.log(formatResults(results));
  return results.some((r) => r.verdict === 'FAIL') ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
