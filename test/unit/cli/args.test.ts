/** The option parsing and the one error style shared by every `sherwood` command. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommandError, UsageError, exactlyOneAction, parseInteger, parseOptions, runCommand, setDebug } from '../../../src/cli/_args.js';
import { BrokerError } from '../../../src/client/index.js';

const spec = { withValue: new Set(['topic', 'bootstrap-server']), boolean: new Set(['list', 'help']) };

test('parseOptions takes --name value and --name=value, keeps repeats in order', () => {
  const seen: string[] = [];
  const r = parseOptions(['--topic', 'a', '--list', '--topic=b=c', '--bootstrap-server', 'h:1'], { ...spec, onValue: (n, v) => seen.push(`${n}:${v}`) });
  assert.deepEqual(r.values.get('topic'), ['a', 'b=c']);
  assert.deepEqual(r.values.get('bootstrap-server'), ['h:1']);
  assert.deepEqual([...r.flags], ['list']);
  assert.deepEqual(seen, ['topic:a', 'topic:b=c', 'bootstrap-server:h:1']);
});

test('parseOptions rejects with the Kafka tool messages', () => {
  const msg = (argv: string[], extra = {}) => {
    try {
      parseOptions(argv, { ...spec, ...extra });
    } catch (e) {
      assert.ok(e instanceof UsageError);
      return e.message;
    }
    return 'no error';
  };
  assert.equal(msg(['list']), 'Unexpected argument: list');
  assert.equal(msg(['--topic']), 'Option topic requires an argument');
  assert.equal(msg(['--nope']), 'nope is not a recognized option');
  assert.equal(msg(['--list', '--help']), '', '--help is an empty UsageError');
  assert.equal(msg(['--zk', 'x'], { refuse: (n: string) => (n === 'zk' ? 'no zk' : null) }), 'no zk');
});

test('exactlyOneAction, parseInteger', () => {
  assert.equal(exactlyOneAction(new Set(['list', 'x']), ['list', 'describe'], 'one'), 'list');
  assert.throws(() => exactlyOneAction(new Set(['list', 'describe']), ['list', 'describe'], 'one'), { message: 'one' });
  assert.throws(() => exactlyOneAction(new Set(), ['list'], 'one'), UsageError);
  assert.equal(parseInteger(' -12 ', 'n'), -12);
  assert.throws(() => parseInteger('1.5', 'partitions'), { message: "Option partitions: '1.5' is not an integer" });
});

test('runCommand: help on stdout with 0; every failure one line on stderr with 1; stacks only with --debug', async () => {
  const run = async (body: () => Promise<number | void>) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCommand('demo', 'HELP', (l) => out.push(l), (l) => err.push(l), body);
    return { code, out, err };
  };
  assert.deepEqual(await run(async () => undefined), { code: 0, out: [], err: [] });
  assert.deepEqual(await run(async () => 3), { code: 3, out: [], err: [] });
  assert.deepEqual(await run(async () => { throw new UsageError(''); }), { code: 0, out: ['HELP'], err: [] });
  assert.deepEqual(await run(async () => { throw new UsageError('bad option'); }), { code: 1, out: [], err: ['sherwood demo: bad option (see --help)'] });
  assert.deepEqual(await run(async () => { throw new CommandError("Topic 'x' already exists."); }), { code: 1, out: [], err: ["sherwood demo: Topic 'x' already exists."] });
  // A client error is expected (no hint); a multi-line message keeps its first line.
  assert.deepEqual(await run(async () => { throw new BrokerError('SHERWOOD_NETWORK', 'cannot connect to h:1: ECONNREFUSED\nmore'); }),
    { code: 1, out: [], err: ['sherwood demo: cannot connect to h:1: ECONNREFUSED'] });
  // Anything else is a bug: one line with a hint, and the stack only with --debug.
  assert.deepEqual(await run(async () => { throw new TypeError('x is undefined'); }),
    { code: 1, out: [], err: ['sherwood demo: x is undefined (run with --debug for details)'] });
  setDebug(true);
  try {
    const r = await run(async () => { throw new TypeError('x is undefined'); });
    assert.equal(r.code, 1);
    assert.equal(r.err[0], 'sherwood demo: x is undefined');
    assert.match(r.err[1]!, /^TypeError: x is undefined\n\s+at /);
  } finally {
    setDebug(false);
  }
});
