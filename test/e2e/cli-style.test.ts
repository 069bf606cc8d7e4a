/**
 * One style for every `sherwood` command, as real processes: `--help` on stdout with exit 0
 * (every command and perf subcommand), `sherwood --version` from package.json, and every
 * failure one line on stderr, `sherwood <command>: ...`, exit 1, with a stack trace only
 * under --debug.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/broker.js';
import { run } from '../helpers/clients.js';
import { COMMANDS } from '../../src/cli/main.js';

const sherwood = (...args: string[]) => run(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args], { timeoutMs: 60_000 });

const COMMAND_LINES = [...Object.keys(COMMANDS).filter((c) => c !== 'perf'), 'perf produce', 'perf consume'].map((c) => c.split(' '));

test('--version and --help (every command) go to stdout with exit 0', { timeout: 120_000 }, async () => {
  const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;
  const v = await sherwood('--version');
  assert.deepEqual([v.code, v.stdout, v.stderr], [0, `sherwood ${version}\n`, '']);
  const top = await sherwood('--help');
  assert.deepEqual([top.code, top.stderr], [0, '']);
  for (const name of Object.keys(COMMANDS)) assert.match(top.stdout, new RegExp(`^  ${name} `, 'm'));
  await Promise.all(COMMAND_LINES.map(async (argv) => {
    const r = await sherwood(...argv, '--help');
    assert.deepEqual([r.code, r.stderr], [0, ''], argv.join(' '));
    assert.match(r.stdout, /^Usage: sherwood /, argv.join(' '));
  }));
});

test('a bad command line is one stderr line naming the command, exit 1, no stack', { timeout: 120_000 }, async () => {
  const cases: [string[], RegExp][] = [
    [['frobnicate'], /^sherwood: unknown command 'frobnicate' \(see sherwood --help\)$/],
    [[], /^sherwood: no command given/],
    ...COMMAND_LINES.map((argv): [string[], RegExp] => [[...argv, '--frobnicate'], new RegExp(`^sherwood ${argv.join(' ')}: .*frobnicate`)]),
  ];
  await Promise.all(cases.map(async ([argv, re]) => {
    const r = await sherwood(...argv);
    assert.equal(r.code, 1, argv.join(' '));
    assert.equal(r.stdout, '', argv.join(' '));
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `${argv.join(' ')}:\n${r.stderr}`);
    assert.match(lines[0]!, re);
  }));
});

test('an operation failure is one line; --debug adds the stack trace', { timeout: 60_000 }, async () => {
  const plain = await sherwood('topics', '--bootstrap-server', '127.0.0.1:1', '--list');
  assert.deepEqual([plain.code, plain.stdout, plain.stderr], [1, '', 'sherwood topics: cannot connect to 127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1\n']);
  const debug = await sherwood('--debug', 'topics', '--bootstrap-server', '127.0.0.1:1', '--list');
  assert.equal(debug.code, 1);
  const [first, ...rest] = debug.stderr.split('\n');
  assert.equal(first, 'sherwood topics: cannot connect to 127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1');
  assert.match(rest.join('\n'), /ConnectionError: cannot connect[^\n]*\n\s+at /);
});
