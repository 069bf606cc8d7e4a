import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasCollisionChars, isInternalTopic, unifyCollisionChars, validateTopicName } from '../../../src/cluster/topic-name.js';

test('legal names pass', () => {
  for (const n of ['a', 'my-topic', 'A.b_c-9', 'x'.repeat(249), '__consumer_offsets', '...']) {
    assert.equal(validateTopicName(n), null, n);
  }
});

test('illegal names get Kafka\'s messages', () => {
  assert.equal(validateTopicName(''), "Topic name is illegal, it can't be empty");
  assert.equal(validateTopicName('.'), 'Topic name cannot be "." or ".."');
  assert.equal(validateTopicName('..'), 'Topic name cannot be "." or ".."');
  assert.match(validateTopicName('x'.repeat(250))!, /can't be longer than 249 characters/);
  for (const n of ['a b', 'a/b', 'tópico', 'a:b', 'a*', 'a\u0000']) {
    assert.match(validateTopicName(n)!, /contains a character other than ASCII alphanumerics, '\.', '_' and '-'/, n);
  }
});

test('internal topics and collisions', () => {
  assert.equal(isInternalTopic('__consumer_offsets'), true);
  assert.equal(isInternalTopic('__transaction_state'), true);
  assert.equal(isInternalTopic('__other'), false);
  assert.equal(hasCollisionChars('a.b'), true);
  assert.equal(hasCollisionChars('ab'), false);
  assert.equal(unifyCollisionChars('a.b_c'), 'a_b_c');
});
