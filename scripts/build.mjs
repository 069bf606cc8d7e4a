#!/usr/bin/env node
// Builds dist/ from src/ with tsc (tsconfig.build.json), or does nothing when dist/ is up to date.
//
//   node scripts/build.mjs              build (incremental), then remove outputs of deleted sources
//   node scripts/build.mjs --if-stale   build only when something under src/, a tsconfig*.json or
//                                       package.json changed since the last build (npm start)
//   node scripts/build.mjs --prepare    as --if-stale, for npm's `prepare` (npm install from git
//                                       or a path): without TypeScript, an existing dist/ is kept
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

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const args = new Set(process.argv.slice(2));
  const reason = args.has('--if-stale') || args.has('--prepare') ? staleReason() : 'asked to';
  if (reason === null) process.exit(0);
  if (args.has('--if-stale') || args.has('--prepare')) process.stderr.write(`sherwood: building dist/ (${reason})\n`);
  const status = build();
  if (status === null) {
    if (args.has('--prepare') && existsSync(join(ROOT, 'dist', 'src', 'index.js'))) {
      process.stderr.write('sherwood: TypeScript is not installed; keeping the existing dist/\n');
      process.exit(0);
    }
    process.stderr.write('sherwood: cannot build dist/: TypeScript is not installed (run npm install in the sherwood checkout)\n');
    process.exit(1);
  }
  process.exit(status);
}
