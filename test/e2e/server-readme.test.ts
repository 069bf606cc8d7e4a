/** The kafka-python snippet in README.md works as printed (against an in-process broker). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, withBroker } from '../helpers/broker.js';
import { runPython } from '../helpers/clients.js';

test('README Python quick-start snippet produces and consumes three messages', { timeout: 90000 }, async () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const snippet = /```python\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(snippet !== undefined, 'README has a python block');
  await withBroker(async (b) => {
    const script = snippet.replaceAll('localhost:9092', b.bootstrap);
    const r = await runPython(script, [], 80000);
    const lines = r.stdout.trim().split('\n');
    assert.deepEqual(lines, ["0 b'k0' b'hello 0'", "1 b'k1' b'hello 1'", "2 b'k2' b'hello 2'"]);
  });
});
