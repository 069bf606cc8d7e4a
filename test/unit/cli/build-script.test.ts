/** scripts/build.mjs decides when dist/ is stale (npm start and prepare build only then). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers/broker.js';
// @ts-expect-error: a plain .mjs script without types
import { staleReason } from '../../../scripts/build.mjs';

test('staleReason: missing stamp, newer source, new or deleted file, newer package.json; else null', () => {
  const dir = tempDir('sherwood-build-');
  try {
    const root = dir.path;
    const at = (path: string, secondsAgo: number) => {
      const t = new Date(Date.now() - secondsAgo * 1000);
      utimesSync(join(root, path), t, t);
    };
    mkdirSync(join(root, 'src', 'cli'), { recursive: true });
    mkdirSync(join(root, 'dist'));
    for (const f of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'src/cli/a.ts']) writeFileSync(join(root, f), '{}');
    for (const p of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'src/cli/a.ts', 'src/cli', 'src']) at(p, 100);
    assert.equal(staleReason(root), 'dist/ has not been built');
    writeFileSync(join(root, 'dist', '.build-stamp'), '');
    at('dist/.build-stamp', 50);
    assert.equal(staleReason(root), null);
    at('src/cli/a.ts', 10);
    assert.equal(staleReason(root), 'src/ changed');
    at('src/cli/a.ts', 100);
    rmSync(join(root, 'src', 'cli', 'a.ts')); // a deletion changes the directory's mtime
    assert.equal(staleReason(root), 'src/ changed');
    at('src/cli', 100);
    assert.equal(staleReason(root), null);
    at('package.json', 10);
    assert.equal(staleReason(root), 'package.json changed');
  } finally {
    dir.remove();
  }
});
