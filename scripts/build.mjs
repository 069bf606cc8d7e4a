#!/usr/bin/env node
// Builds dist/ from src/ with tsc (tsconfig.build.json), or does nothing when dist/ is up to date.
//
//   node scripts/build.mjs              build (incremental), then remove outputs of deleted sources
//   node scripts/build.mjs --if-stale   build only when something under src/, a tsconfig*.json or
//                                       package.json changed since the last build (npm start)
//   node scripts/build.mjs --prepare    as --if-stale, for npm's `prepare` (npm install in a
//                                       checkout, from git, or from a path)
//
// `npm install <path>` links the folder and runs its `prepare` without installing its
// dependencies (npm does so only for folders inside the project). So when a checkout has no
// node_modules at all, --prepare first installs its dependencies there (`npm install
// --omit=dev`: TypeScript and @types/node are dependencies for this reason), then builds. From
// git, npm installs the dependencies itself before `prepare`.
//
// "Up to date" is decided by mtimes against dist/.build-stamp, written after each successful
// build. Directories count too: adding or deleting a file changes its directory's mtime, and a
// deleted source must not leave its compiled handler behind (handlers are discovered from the
// files in dist/src/server/handlers/).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const INPUT_FILES = ['package.json', 'tsconfig.json', 'tsconfig.build.json'];

function newestMtime(path) {
  const st = statSync(path);
  let newest = st.mtimeMs;
  if (st.isDirectory()) {
    for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  }
  return newest;
}

/** Why dist/ must be rebuilt, or null when it is up to date. */
export function staleReason(root = ROOT) {
  const stamp = join(root, 'dist', '.build-stamp');
  if (!existsSync(stamp)) return 'dist/ has not been built';
  const built = statSync(stamp).mtimeMs;
  if (newestMtime(join(root, 'src')) > built) return 'src/ changed';
  for (const f of INPUT_FILES) {
    if (existsSync(join(root, f)) && statSync(join(root, f)).mtimeMs > built) return `${f} changed`;
  }
  return null;
}

/** The TypeScript compiler's entry point, or null when TypeScript is not installed. */
function tscPath(root) {
  try {
    return createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  } catch {
    return null;
  }
}

/** dist/src files whose source under src/ no longer exists. */
function orphans(dir, root) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      out.push(...orphans(p, root));
      continue;
    }
    const base = name.replace(/\.(d\.ts\.map|d\.ts|js\.map|js)$/, '');
    if (base === name) continue;
    const source = join(root, 'src', relative(join(root, 'dist', 'src'), dir), `${base}.ts`);
    if (!existsSync(source)) out.push(p);
  }
  return out;
}

/**
 * Runs tsc; returns its exit status (0 on success), or null when TypeScript is missing. The
 * stamp gets the time the build started, so a source saved during the build is still newer.
 */
export function build(root = ROOT, { quiet = false } = {}) {
  const tsc = tscPath(root);
  if (tsc === null) return null;
  const started = new Date();
  const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: quiet ? 'pipe' : 'inherit' });
  if (r.status !== 0) {
    if (quiet) process.stderr.write(r.stdout?.toString() ?? '');
    return r.status ?? 1;
  }
  for (const f of orphans(join(root, 'dist', 'src'), root)) rmSync(f, { force: true });
  const stamp = join(root, 'dist', '.build-stamp');
  writeFileSync(stamp, `built from sources as of ${started.toISOString()}\n`);
  utimesSync(stamp, started, started);
  return 0;
}

/** Installs a checkout's own dependencies (for `npm install <path>`, which links it without them). */
function installDependencies(root) {
  process.stderr.write(`sherwood: installing the dependencies of ${root} (npm install <path> links the folder without them)\n`);
  const npmCli = process.env.npm_execpath;
  const [cmd, args] = npmCli !== undefined && npmCli.endsWith('.js') ? [process.execPath, [npmCli]] : ['npm', []];
  const r = spawnSync(cmd, [...args, 'install', '--omit=dev', '--no-audit', '--no-fund', '--prefix', root], {
    cwd: root, stdio: 'inherit', env: { ...process.env, SHERWOOD_PREPARE_NESTED: '1' },
  });
  return r.status === 0;
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const args = new Set(process.argv.slice(2));
  const reason = args.has('--if-stale') || args.has('--prepare') ? staleReason() : 'asked to';
  if (reason === null) process.exit(0);
  if (args.has('--prepare') && !existsSync(join(ROOT, 'node_modules')) && process.env.SHERWOOD_PREPARE_NESTED !== '1') {
    // The nested install runs this prepare again, which builds.
    if (!installDependencies(ROOT)) process.exit(1);
    if (staleReason() === null) process.exit(0);
  }
  if (args.has('--if-stale') || args.has('--prepare')) process.stderr.write(`sherwood: building dist/ (${reason})\n`);
  const status = build();
  if (status === null) {
    process.stderr.write('sherwood: cannot build dist/: TypeScript is not installed (run npm install in the sherwood checkout)\n');
    process.exit(1);
  }
  process.exit(status);
}
