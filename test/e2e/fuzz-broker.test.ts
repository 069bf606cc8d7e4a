/**
 * The protocol fuzzer's short run: 20,000 mutated frames of every advertised API × version
 * against a broker process (chaos/fuzz/fuzzer.ts). The broker must not exit or log an
 * unhandled rejection, must keep answering new connections, stay under 1 GiB RSS, and serve
 * KafkaJS normally at the end. The frames are a pure function of the seed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runFuzz, frameAt } from '../../chaos/fuzz/fuzzer.js';
import { buildCorpus } from '../../chaos/fuzz/corpus.js';

test('the fuzzer builds every frame from (seed, index) alone', () => {
  const corpus = buildCorpus([{ apiKey: 3, minVersion: 0, maxVersion: 12 }, { apiKey: 0, minVersion: 3, maxVersion: 11 }]);
  assert.ok(corpus.length >= 9 * 4, `seed frames for every version, got ${corpus.length}`);
  assert.ok(corpus.some((c) => c.label.includes('golden')), 'golden frames are included');
  for (const i of [0, 1, 777, 19_999]) assert.deepEqual(frameAt(corpus, 5, i), frameAt(corpus, 5, i));
  assert.notDeepEqual(frameAt(corpus, 5, 3).bytes, frameAt(corpus, 6, 3).bytes);
});

test('fuzz: 20,000 mutated frames, the broker survives and still serves a normal client', { timeout: 300_000 }, async () => {
  const lines: string[] = [];
  const r = await runFuzz({ frames: 20_000, seed: 20261204, connections: 8, frameTimeoutMs: 300, maxRssMb: 1024, checkEvery: 2000, log: (l) => lines.push(l) });
  const report = `${lines.join('\n')}\n${JSON.stringify({ ...r, failures: undefined })}\n${r.failures.join('\n')}`;
  assert.equal(r.frames, 20_000, report);
  assert.deepEqual(r.failures, [], report);
  assert.ok(r.apiVersions >= 150, `every advertised API × version fuzzed: ${r.apiVersions}`);
  assert.ok(r.outcomes.answered! > 1000 && r.outcomes.closed! > 1000, report);
});
