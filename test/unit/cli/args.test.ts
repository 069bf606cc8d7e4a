/** The option parsing shared by `sherwood topics` and `sherwood consumer-groups`. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError, exactlyOneAction, parseInteger, parseOptions, parseOrUsage } from '../../../src/cli/_args.js';

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

test('parseOrUsage: options, or 0 after help, or 1 after a message and the help', () => {
  const lines: string[] = [];
  const err = (l: string) => lines.push(l);
  assert.deepEqual(parseOrUsage(() => ({ ok: true }), 'HELP', err), { ok: true });
  assert.equal(parseOrUsage(() => { throw new UsageError(''); }, 'HELP', err), 0);
  assert.equal(parseOrUsage(() => { throw new UsageError('bad'); }, 'HELP', err), 1);
  assert.deepEqual(lines, ['HELP', 'bad', 'HELP']);
  assert.throws(() => parseOrUsage(() => { throw new TypeError('bug'); }, 'HELP', err), TypeError);
});
