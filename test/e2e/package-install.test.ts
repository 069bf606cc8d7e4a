/**
 * SLOW (about 40 s, most of it compiling zstd-napi): `npm install <path of a clean clone>` in
 * a fresh project gives a working package. npm links the folder and runs its `prepare`
 * without installing its dependencies; our prepare (scripts/build.mjs --prepare) installs
 * them in the clone, then builds dist/. Afterwards `import { startBroker } from 'sherwood'`
 * starts a broker and the `sherwood` bin answers --version.
 *
 * The "clean clone" is this working tree's tracked and untracked-but-not-ignored files (so the
 * test sees uncommitted changes), without node_modules or dist. Packages come from the npm
 * cache (--prefer-offline) or the registry.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT, tempDir } from '../helpers/broker.js';
import { run } from '../helpers/clients.js';

function cleanCopy(to: string): void {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0').filter((f) => f !== '' && f !== 'node_modules' && existsSync(join(ROOT, f)));
  for (const f of files) {
    mkdirSync(dirname(join(to, f)), { recursive: true });
    copyFileSync(join(ROOT, f), join(to, f));
  }
}

/** As .ci/run: build native addons against the installed Node headers (no header download). */
function nativeBuildEnv(): Record<string, string> {
  const prefix = dirname(dirname(process.execPath));
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) && process.env.npm_config_nodedir === undefined ? { npm_config_nodedir: prefix } : {};
}

test('SLOW: npm install <path of a clean clone> builds on install; import { startBroker } from "sherwood" starts a broker', { timeout: 300_000 }, async (t) => {
  const dir = tempDir('sherwood-install-');
  try {
    const clone = join(dir.path, 'clone');
    const project = join(dir.path, 'project');
    cleanCopy(clone);
    assert.ok(!existsSync(join(clone, 'node_modules')) && !existsSync(join(clone, 'dist')));
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));

    const started = Date.now();
    const install = await run('npm', ['install', '--prefix', project, '--no-audit', '--no-fund', '--prefer-offline', '--foreground-scripts', clone],
      { timeoutMs: 280_000, env: nativeBuildEnv() });
    t.diagnostic(`npm install took ${Math.round((Date.now() - started) / 1000)} s`);
    assert.equal(install.code, 0, `${install.stdout}\n${install.stderr}`);
    assert.ok(existsSync(join(clone, 'dist', 'src', 'index.js')), 'prepare built dist/');

    writeFileSync(join(project, 'start.mjs'), `
import { startBroker } from 'sherwood';
const b = await startBroker({ port: 0, inMemory: true, logLevel: 'warn' });
console.log(JSON.stringify({ bootstrap: b.bootstrap }));
await b.close();
`);
    const started2 = await run(process.execPath, [join(project, 'start.mjs')], { timeoutMs: 30_000 });
    assert.equal(started2.code, 0, started2.stderr);
    assert.match(JSON.parse(started2.stdout.trim()).bootstrap, /^127\.0\.0\.1:\d+$/);

    const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;
    const bin = await run(join(project, 'node_modules', '.bin', 'sherwood'), ['--version'], { timeoutMs: 30_000 });
    assert.deepEqual([bin.code, bin.stdout], [0, `sherwood ${version}\n`]);
  } finally {
    dir.remove();
  }
});
