/**
 * The chaos campaign's smoke version: one fixed seed, kill -9 and SIGSTOP against one broker
 * process for 45 s with the full real-client workload (chaos/campaign.ts), then the checker.
 * Zero anomalies, and the workload really did each kind of operation across the faults.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCampaign } from '../../chaos/campaign.js';
import { formatResults } from '../../chaos/checker/checker.js';

test('chaos smoke: 45 s of kill and pause on one broker, no anomalies', { timeout: 240_000 }, async () => {
  const outDir = mkdtempSync(join(tmpdir(), 'sherwood-chaos-smoke-'));
  const lines: string[] = [];
  const r = await runCampaign({
    brokers: 1, durationMs: 45_000, faults: ['kill', 'pause'], seed: 20261204, partitions: 4, livenessMs: 30_000,
    outDir, keep: false, log: (l) => lines.push(l),
  });
  const report = `${lines.join('\n')}\ncounts ${JSON.stringify(r.counts)}\n(out: ${outDir})`;
  assert.equal(r.failed, false, report);
  assert.ok(r.faultsInjected >= 3, report);
  assert.ok(r.results.every((p) => p.verdict === 'ok'), formatResults(r.results));
  for (const kind of ['send:ok', 'txn:ok', 'poll:ok', 'commit:ok', 'committed:ok', 'hwm:ok']) {
    assert.ok((r.counts[kind] ?? 0) > 0, `no ${kind} in the history\n${report}`);
  }
  rmSync(outDir, { recursive: true, force: true });
});
