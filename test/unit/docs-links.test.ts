/**
 * Every relative link in README.md and docs/*.md points inside the repository, at a file that
 * exists (and, for #anchors into our markdown, at a heading that exists); no doc mentions a
 * path outside the repository such as ../shared or /work.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ROOT } from '../helpers/broker.js';

const docs = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  for (const m of markdown.matchAll(/^#{1,6} (.+)$/gm)) {
    out.add(m[1]!.trim().toLowerCase().replace(/[`*_]/g, '').replace(/[^\p{L}\p{N} -]/gu, '').replace(/ /g, '-'));
  }
  return out;
}

test('doc links stay inside the repository and resolve', () => {
  const problems: string[] = [];
  for (const doc of docs) {
    const text = readFileSync(join(ROOT, doc), 'utf8');
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1]!;
      if (/^[a-z]+:/i.test(target)) continue; // http:, https:, mailto:
      const [path, anchor] = target.split('#') as [string, string | undefined];
      const file = path === '' ? join(ROOT, doc) : resolve(dirname(join(ROOT, doc)), path);
      if (relative(ROOT, file).startsWith('..')) { problems.push(`${doc}: ${target} is outside the repository`); continue; }
      if (!existsSync(file)) { problems.push(`${doc}: ${target} does not exist`); continue; }
      if (anchor !== undefined && file.endsWith('.md') && !anchors(readFileSync(file, 'utf8')).has(anchor)) {
        problems.push(`${doc}: ${target}: no heading #${anchor}`);
      }
    }
    for (const m of text.matchAll(/(?:\]\(|`)((?:\.\.\/)+[^`)\s]*|\/work\/[^`)\s]*)/g)) {
      // A mention (not a link) of ../shared is allowed only where the README says which tests need it.
      if (doc === 'README.md' && m[1]!.startsWith('../shared/')) continue;
      problems.push(`${doc}: mentions ${m[1]} (outside the repository)`);
    }
  }
  assert.deepEqual(problems, []);
});
