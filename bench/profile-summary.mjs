#!/usr/bin/env node
/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): the functions with the most self
 * time and the most total (inclusive) time, as percentages of the sampled time.
 *
 * Usage: node bench/profile-summary.mjs FILE.cpuprofile [--top 25]
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { ROOT } from './lib.mjs';

const file = process.argv[2];
if (!file) {
  console.error('usage: node bench/profile-summary.mjs FILE.cpuprofile [--top N]');
  process.exit(2);
}
const topIndex = process.argv.indexOf('--top');
const top = topIndex > 0 ? Number(process.argv[topIndex + 1]) : 25;
const profile = JSON.parse(readFileSync(file, 'utf8'));

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Sample counts per node id.
const hits = new Map();
for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
const total = profile.samples.length;

const nameOf = (n) => {
  const cf = n.callFrame;
  const url = cf.url.replace(/^file:\/\//, '');
  const where = url === '' ? '' : ` ${url.startsWith(ROOT) ? relative(ROOT, url) : url}:${cf.lineNumber + 1}`;
  return `${cf.functionName || '(anonymous)'}${where}`;
};

const self = new Map();
const inclusive = new Map();
for (const [id, count] of hits) {
  const n = byId.get(id);
  const key = nameOf(n);
  self.set(key, (self.get(key) ?? 0) + count);
  // Inclusive: every distinct function on the stack gets the sample once.
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const k = nameOf(byId.get(cur));
    if (seen.has(k)) continue;
    seen.add(k);
    inclusive.set(k, (inclusive.get(k) ?? 0) + count);
  }
}

const print = (title, map) => {
  console.log(`\n${title} (${total} samples, ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s)`);
  for (const [k, v] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((100 * v) / total).toFixed(1).padStart(6)}%  ${k}`);
  }
};
print('self time', self);
print('total time', inclusive);
