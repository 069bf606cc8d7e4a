/**
 * Keeps the benchmark tooling from rotting: a tiny `sherwood perf produce` + `perf consume`
 * against an in-process broker, and the loopback baseline with a few MB. Asserts counts and
 * output shape, never speed (benchmarks are not tests).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { withBroker, ROOT } from '../helpers/broker.js';
import { run } from '../helpers/clients.js';
import { main as perf, LatencyHistogram } from '../../src/cli/perf.js';

async function perfLines(argv: string[]): Promise<{ code: number; lines: string[]; errors: string[] }> {
  const lines: string[] = [];
  const errors: string[] = [];
  const code = await perf(argv, (l) => lines.push(l), (l) => errors.push(l));
  return { code, lines, errors };
}

test('perf produce then perf consume move every record through a broker', { timeout: 60000 }, async () => {
  await withBroker(async (b) => {
    const produced = await perfLines(['produce', '--topic', 'bench-smoke', '--num-records', '2000', '--record-size', '100',
      '--throughput', '-1', '--bootstrap-server', b.bootstrap, '--producer-props', 'linger.ms=1', 'batch.size=16384', 'acks=all', '--json']);
    assert.equal(produced.code, 0, produced.errors.join('\n') + produced.lines.join('\n'));
    // Kafka's final line, then our JSON summary.
    assert.match(produced.lines.at(-2)!, /^2000 records sent, [\d.]+ records\/sec \([\d.]+ MB\/sec\), [\d.]+ ms avg latency, [\d.]+ ms max latency, \d+ ms 50th, \d+ ms 95th, \d+ ms 99th, \d+ ms 99\.9th\.$/);
    const p = JSON.parse(produced.lines.at(-1)!);
    assert.equal(p.records, 2000);
    assert.equal(p.errors, 0);
    assert.ok(p.lat_ms_p50 <= p.lat_ms_p99 && p.lat_ms_p99 <= p.lat_ms_max);

    // A throttled run exercises the paced path (records due at t0 + i/R).
    const paced = await perfLines(['produce', '--topic', 'bench-smoke', '--num-records', '200', '--record-size', '10',
      '--throughput', '1000', '--bootstrap-server', b.bootstrap, '--producer-props', 'linger.ms=0', '--json']);
    assert.equal(paced.code, 0, paced.errors.join('\n'));
    assert.equal(JSON.parse(paced.lines.at(-1)!).records, 200);

    const consumed = await perfLines(['consume', '--topic', 'bench-smoke', '--messages', '2200', '--bootstrap-server', b.bootstrap,
      '--timeout', '10000', '--json']);
    assert.equal(consumed.code, 0, consumed.errors.join('\n'));
    assert.equal(consumed.lines.at(-3), 'start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec');
    assert.match(consumed.lines.at(-2)!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\d{3}, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\d{3}, [\d.]+, [\d.]+, 2200, /);
    const c = JSON.parse(consumed.lines.at(-1)!);
    assert.equal(c.records, 2200);
    assert.equal(c.bytes, 2000 * 100 + 200 * 10);

    // Asking for more than the topic holds ends with exit code 1 after --timeout.
    const short = await perfLines(['consume', '--topic', 'bench-smoke', '--messages', '5000', '--bootstrap-server', b.bootstrap, '--timeout', '300']);
    assert.equal(short.code, 1);
    assert.match(short.errors.join('\n'), /Exiting before consuming the expected number of messages/);
  });
});

test('perf rejects bad usage with one line and exit code 1, refuses unknown props by name, and answers --help with 0', async () => {
  const help = await perfLines(['produce', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.lines.join('\n'), /sherwood perf produce --topic/);
  const refused = async (argv: string[], re: RegExp) => {
    const r = await perfLines(argv);
    assert.equal(r.code, 1, argv.join(' '));
    assert.equal(r.errors.length, 1, r.errors.join('\n'));
    assert.match(r.errors[0]!, re);
  };
  await refused(['produce', '--topic', 't', '--bootstrap-server', '127.0.0.1:1'], /^sherwood perf produce: --num-records is required \(see --help\)$/);
  await refused(['nonsense'], /^sherwood perf: unknown subcommand 'nonsense'/);
  await refused(['produce', '--topic', 't', '--num-records', '1', '--record-size', '1', '--throughput', '-1',
    '--bootstrap-server', '127.0.0.1:1', '--acks', '2'], /acks must be 0, 1, all or -1/);
  await refused(['produce', '--topic', 't', '--num-records', '1', '--record-size', '1', '--throughput', '-1',
    '--bootstrap-server', '127.0.0.1:1', '--acks', '1', '--producer-props', 'enable.idempotence=true'], /Must set acks to all in order to use the idempotent producer/);
  await refused(['produce', '--topic', 't', '--num-records', '1', '--record-size', '1', '--throughput', '-1',
    '--bootstrap-server', '127.0.0.1:1', '--transaction-duration-ms', '0'], /--transaction-duration-ms should be greater than zero/);
  await refused(['consume', '--topic', 't', '--messages', '1', '--bootstrap-server', '127.0.0.1:1', '--consumer-props', 'group.id=g'],
    /--consumer-props: unknown or unsupported consumer property 'group.id'/);
  await refused(['consume', '--topic', 't', '--messages', '1', '--bootstrap-server', '127.0.0.1:1', '--bogus', '1'], /bogus is not a recognized option/);
});

test('latency histogram percentiles stay within 0.2% of the recorded values', () => {
  const h = new LatencyHistogram();
  for (let v = 1; v <= 100000; v++) h.record(v);
  assert.equal(h.count, 100000);
  for (const p of [50, 99, 99.9]) {
    const exact = (p / 100) * 100000;
    assert.ok(Math.abs(h.percentile(p) - exact) / exact < 0.002, `p${p}: ${h.percentile(p)} vs ${exact}`);
  }
  assert.equal(h.maxMicros, 100000);
  assert.equal(h.percentile(100), 100000);
});

test('loopback baseline reports the bytes it sent', { timeout: 30000 }, async () => {
  const r = await run(process.execPath, [join(ROOT, 'bench/loopback.mjs'), '--bytes', '4000000', '--chunk', '1024'], { timeoutMs: 20000 });
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout.trim());
  assert.ok(j.bytes >= 4000000);
  assert.ok(j.MB_per_s > 0);
});
