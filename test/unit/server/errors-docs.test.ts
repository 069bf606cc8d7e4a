/** Every BrokerError code has a section in docs/errors.md (fastify's errors test does the same). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BROKER_ERROR_CODES } from '../../../src/base/errors.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

test('docs/errors.md documents every BrokerError code', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8');
  for (const code of BROKER_ERROR_CODES) {
    assert.match(doc, new RegExp(`^### \`${code}\`$`, 'm'), `${code} has a section in docs/errors.md`);
  }
});

test('docs/errors.md documents no code that does not exist', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8');
  const documented = [...doc.matchAll(/^### `(SHERWOOD_[A-Z_]+)`$/gm)].map((m) => m[1]);
  assert.deepEqual([...documented].sort(), [...BROKER_ERROR_CODES].sort());
});

test('source code only uses codes from BROKER_ERROR_CODES', () => {
  const known = new Set<string>(BROKER_ERROR_CODES);
  const walk = (dir: string): string[] => readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
  for (const file of walk(join(ROOT, 'src'))) {
    for (const m of readFileSync(file, 'utf8').matchAll(/'(SHERWOOD_[A-Z_]+)'/g)) {
      assert.ok(known.has(m[1]!), `${file} uses ${m[1]}, which is not in BROKER_ERROR_CODES`);
    }
  }
});
