/**
 * `npm run fuzz -- --frames N [--seed S] [--connections 4] [--frame-timeout-ms 300]
 *  [--max-rss-mb 1024] [--check-every 5000]`: protocol fuzzing against a broker child
 * process (chaos/fuzz/fuzzer.ts). Exit 0 when clean, 1 on a finding, 2 on bad usage.
 */
import { runFuzz } from './fuzzer.js';

const USAGE = `Usage: npm run fuzz -- --frames N [--seed S] [--connections 4] [--frame-timeout-ms 300]
                       [--max-rss-mb 1024] [--check-every 5000]

Starts a broker process, builds valid requests for every advertised API × version (codec
samples, grounded samples, golden frames from test/protocol/fixtures), sends N mutated frames,
each followed by an ApiVersions probe, and checks: the broker never exits, its log has no
unhandled rejection / uncaught exception / assertion, new connections are answered, RSS stays
under --max-rss-mb, and KafkaJS can create, produce and consume at the end.`;

async function main(argv: string[]): Promise<number> {
  const o = { frames: 20_000, seed: (Date.now() ^ (process.pid << 8)) >>> 0, connections: 4, frameTimeoutMs: 300, maxRssMb: 1024, checkEvery: 5000 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') { console.log(USAGE); return 0; }
    const v = Number(argv[++i]);
    if (!Number.isFinite(v) || v < 0) { console.error(`${a} needs a number\n\n${USAGE}`); return 2; }
    switch (a) {
      case '--frames': o.frames = Math.floor(v); break;
      case '--seed': o.seed = Math.floor(v) >>> 0; break;
      case '--connections': o.connections = Math.max(1, Math.min(64, Math.floor(v))); break;
      case '--frame-timeout-ms': o.frameTimeoutMs = Math.max(10, v); break;
      case '--max-rss-mb': o.maxRssMb = v; break;
      case '--check-every': o.checkEvery = Math.max(1, Math.floor(v)); break;
      default: console.error(`unknown option ${a}\n\n${USAGE}`); return 2;
    }
  }
  let unhandled = 0;
  process.on('unhandledRejection', (err) => { unhandled++; console.error(`fuzzer: unhandled rejection ${String(err)}`); });
  const r = await runFuzz({ ...o, log: (l) => console.log(l) });
  console.log(`${r.frames} frames in ${r.seconds.toFixed(0)} s (${(r.frames / r.seconds).toFixed(0)}/s) across ${r.apiVersions} API × version pairs (${r.seeds} seed frames): ${JSON.stringify(r.outcomes)}; broker RSS ${r.rss.start} → max ${r.rss.max} → end ${r.rss.end} MB; ${r.topics} topics and ${r.groups} groups at the end`);
  for (const f of r.failures) console.log(`FAIL ${f}`);
  if (unhandled > 0) console.log(`FAIL ${unhandled} unhandled rejections in the fuzzer itself`);
  if (r.logPath) console.log(`broker log kept: ${r.logPath}`);
  const ok = r.ok && unhandled === 0;
  console.log(ok ? `clean (seed ${o.seed})` : `FINDINGS (replay with --seed ${o.seed} --frames ${o.frames})`);
  return ok ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
