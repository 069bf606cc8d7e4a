/**
 * The cluster chaos campaign's smoke version: 3 brokers on a 3-member etcd, each broker in its
 * own network namespace (chaos/cluster/), one fixed seed, every fault kind (kill -9, SIGSTOP,
 * network partitions, an etcd member killed, a full disk) for 45 s with the real-client
 * workload, then the checker. Zero anomalies, and writes, reads, transactions and group
 * commits happened across the faults. Skipped (with the reason) when
 * etcd or network namespaces (root, iproute2) are unavailable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCampaign, validate } from '../../chaos/campaign.js';
import { formatResults } from '../../chaos/checker/checker.js';

const faults = ['kill', 'pause', 'partition', 'etcd', 'disk'];
const refusal = validate({ brokers: 3, faults });

test('chaos cluster smoke: 45 s of every fault kind on 3 brokers, no anomalies', { timeout: 240_000, skip: refusal ?? false }, async () => {
  const outDir = mkdtempSync(join(tmpdir(), 'sherwood-chaos-cluster-smoke-'));
  const lines: string[] = [];
  const r = await runCampaign({
    brokers: 3, durationMs: 45_000, faults, seed: 11, partitions: 4, livenessMs: 30_000,
    outDir, keep: false, log: (l) => lines.push(l),
  });
  const report = `${lines.join('\n')}\ncounts ${JSON.stringify(r.counts)}\n(out: ${outDir})`;
  assert.equal(r.failed, false, report);
  assert.ok(r.faultsInjected >= 3, report);
  assert.ok(r.results.every((p) => p.verdict === 'ok'), formatResults(r.results));
  for (const kind of ['send:ok', 'poll:ok', 'commit:ok', 'committed:ok', 'hwm:ok', 'txn:ok']) {
    assert.ok((r.counts[kind] ?? 0) > 0, `no ${kind} in the history\n${report}`);
  }
  rmSync(outDir, { recursive: true, force: true });
});
