/**
 * The import-direction rules of docs/STYLE ("Imports flow one way"), as a checker.
 *
 *   base ← protocol ← storage ← cluster ← server
 *   coordinator sees only protocol and base; client sees only protocol and base;
 *   cli sees only client (and src/index.ts, for `sherwood server`); nothing imports server
 *   except src/index.ts, the package's public entry point.
 *
 * A file's layer is its first folder under src/ ('index' for src/index.ts). Only relative
 * specifiers are checked (packages and node: built-ins are not layers). Imports are found with
 * TypeScript's own pre-processor, so multi-line imports, `import type`, `export ... from` and
 * `import('...')` with a literal all count.
 *
 * Run it alone: node --import tsx test/helpers/layering.ts   (prints violations, exit 1 if any)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

/** Which layers each layer may import (itself included). */
export const ALLOWED_IMPORTS: Readonly<Record<string, readonly string[]>> = {
  base: ['base'],
  protocol: ['base', 'protocol'],
  storage: ['base', 'protocol', 'storage'],
  cluster: ['base', 'protocol', 'storage', 'cluster'],
  coordinator: ['base', 'protocol', 'coordinator'],
  server: ['base', 'protocol', 'storage', 'cluster', 'coordinator', 'server'],
  client: ['base', 'protocol', 'client'],
  cli: ['client', 'cli'],
  index: ['base', 'protocol', 'storage', 'cluster', 'coordinator', 'server', 'client', 'index'],
};

/**
 * Stricter rules for folders inside a layer: files under `prefix` must not import `layers`.
 * Handlers get partitions (or an error) from the ReplicaManager and never touch storage.
 */
export const FOLDER_RULES: readonly { prefix: string; layers: readonly string[]; why: string }[] = [
  { prefix: 'server/handlers/', layers: ['storage'], why: 'handlers reach partitions through the ReplicaManager, never logs' },
];

/**
 * Single imports allowed against the table above: `from -> to`, both relative to src/.
 * Keep this list short and say why each entry is there.
 */
export const EXCEPTIONS: ReadonlyMap<string, string> = new Map([
  // `sherwood server` starts a broker: the one CLI that needs the public entry point.
  ['cli/server.ts -> index.ts', 'sherwood server starts a broker through the public API'],
  // Owned by the benchmark engineer at the time of the clean-up; should import
  // compressionFromName from '../client/index.js' like the other CLIs.
  ['cli/perf.ts -> protocol/compression.ts', 'pending: import from ../client/index.js'],
]);

export interface ImportEdge {
  /** Importing file, relative to src/ with '/' separators, e.g. 'cluster/replica-manager.ts'. */
  from: string;
  /** Imported file, relative to src/, with a .js specifier mapped back to .ts. */
  to: string;
  specifier: string;
  line: number;
}

export interface Violation extends ImportEdge {
  fromLayer: string;
  toLayer: string;
}

/** 'cli/topics.ts' -> 'cli'; 'index.ts' -> 'index'. */
export function layerOf(pathUnderSrc: string): string {
  const slash = pathUnderSrc.indexOf('/');
  if (slash < 0) return pathUnderSrc.replace(/\.[cm]?[jt]s$/, '');
  return pathUnderSrc.slice(0, slash);
}

function lineAt(text: string, pos: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < pos; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** The relative imports of one source text (from = its path under src/). */
export function importsOf(from: string, text: string): ImportEdge[] {
  const info = ts.preProcessFile(text, true, true);
  const edges: ImportEdge[] = [];
  for (const ref of info.importedFiles) {
    const specifier = ref.fileName;
    if (!specifier.startsWith('.')) continue;
    const joined = normalize(join(dirname(from), specifier)).split(sep).join('/');
    const to = joined.replace(/\.js$/, '.ts');
    edges.push({ from, to, specifier, line: lineAt(text, ref.pos) });
  }
  return edges;
}

/** The edges that break ALLOWED_IMPORTS and are not in `exceptions`. */
export function checkEdges(edges: readonly ImportEdge[], exceptions: ReadonlyMap<string, string> = EXCEPTIONS): Violation[] {
  const out: Violation[] = [];
  for (const edge of edges) {
    const fromLayer = layerOf(edge.from);
    const toLayer = edge.to.startsWith('../') ? 'outside-src' : layerOf(edge.to);
    const allowed = ALLOWED_IMPORTS[fromLayer];
    if (allowed === undefined) {
      out.push({ ...edge, fromLayer, toLayer });
      continue;
    }
    const folderRule = FOLDER_RULES.find((r) => edge.from.startsWith(r.prefix) && r.layers.includes(toLayer));
    if (allowed.includes(toLayer) && folderRule === undefined) continue;
    if (exceptions.has(`${edge.from} -> ${edge.to}`)) continue;
    out.push({ ...edge, fromLayer: folderRule === undefined ? fromLayer : folderRule.prefix.replace(/\/$/, ''), toLayer });
  }
  return out;
}

/** Every .ts file under `srcDir`, as paths relative to it with '/' separators. */
export function sourceFiles(srcDir: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(relative(srcDir, p).split(sep).join('/'));
    }
  };
  walk(srcDir);
  return out;
}

/** All import edges of the tree at `srcDir`. */
export function importsOfTree(srcDir: string): ImportEdge[] {
  return sourceFiles(srcDir).flatMap((file) => importsOf(file, readFileSync(join(srcDir, file), 'utf8')));
}

export function formatViolation(v: Violation): string {
  return `src/${v.from}:${v.line}: ${v.fromLayer} must not import ${v.toLayer} ('${v.specifier}')`;
}

export const SRC_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(resolve(entry)).href) {
  const violations = checkEdges(importsOfTree(SRC_DIR));
  for (const v of violations) console.log(formatViolation(v));
  console.log(violations.length === 0 ? 'layering: ok' : `layering: ${violations.length} violation(s)`);
  process.exitCode = violations.length === 0 ? 0 : 1;
}
