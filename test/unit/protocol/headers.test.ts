/**
 * Request headers v1/v2 and response headers v0/v1, including the ApiVersions exception: its
 * response header is always v0 so a client can parse it before knowing our versions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader, Writer } from '../../../src/protocol/primitives.js';
import {
  API_VERSIONS_KEY, readRequestHeader, readRequestHeaderPrefix, readResponseHeader, responseHeaderIsFlexible,
  skipTaggedFields, writeRequestHeader, writeResponseHeader,
} from '../../../src/protocol/headers.js';

const enc = (fn: (w: Writer) => void): Buffer => {
  const w = new Writer(8);
  fn(w);
  return Buffer.from(w.toBuffer());
};

test('request header v1: key, version, correlation id, nullable int16 client id', () => {
  const b = enc((w) => writeRequestHeader(w, { apiKey: 3, apiVersion: 1, correlationId: 7, clientId: 'ab' }, false));
  assert.equal(b.toString('hex'), '0003' + '0001' + '00000007' + '0002' + '6162');
  const r = new Reader(b);
  assert.deepEqual(readRequestHeader(r, false), { apiKey: 3, apiVersion: 1, correlationId: 7, clientId: 'ab' });
  assert.equal(r.remaining, 0);
  const nullId = enc((w) => writeRequestHeader(w, { apiKey: 3, apiVersion: 1, correlationId: -1, clientId: null }, false));
  assert.equal(nullId.toString('hex'), '00030001ffffffffffff');
  assert.equal(readRequestHeader(new Reader(nullId), false).clientId, null);
});

test('request header v2: client id stays a classic string, then tagged fields', () => {
  const b = enc((w) => writeRequestHeader(w, { apiKey: 18, apiVersion: 3, correlationId: 1, clientId: 'rdkafka' }, true));
  assert.equal(b.toString('hex'), '0012' + '0003' + '00000001' + '0007' + Buffer.from('rdkafka').toString('hex') + '00');
  const withTags = Buffer.concat([b.subarray(0, b.length - 1), Buffer.from([2, 0, 1, 0xaa, 5, 2, 0xbb, 0xcc]), Buffer.from([0x42])]);
  const r = new Reader(withTags);
  assert.deepEqual(readRequestHeader(r, true), { apiKey: 18, apiVersion: 3, correlationId: 1, clientId: 'rdkafka' });
  assert.equal(r.error, null);
  assert.equal(r.uint8(), 0x42, 'unknown header tagged fields are skipped exactly');
  const prefix = readRequestHeaderPrefix(new Reader(b));
  assert.deepEqual(prefix, { apiKey: 18, apiVersion: 3, correlationId: 1 });
});

test('truncated request headers are clean reader errors', () => {
  const b = enc((w) => writeRequestHeader(w, { apiKey: 0, apiVersion: 9, correlationId: 5, clientId: 'client' }, true));
  for (let cut = 0; cut < b.length; cut++) {
    const r = new Reader(b.subarray(0, cut));
    readRequestHeader(r, true);
    assert.notEqual(r.error, null, `cut at ${cut}`);
  }
  const badTags = new Reader(Buffer.from([5, 1, 200]));
  skipTaggedFields(badTags);
  assert.notEqual(badTags.error, null);
});

test('response header v0 is the correlation id; v1 adds tagged fields', () => {
  assert.equal(enc((w) => writeResponseHeader(w, 258, false)).toString('hex'), '00000102');
  const v1 = enc((w) => writeResponseHeader(w, 258, true));
  assert.equal(v1.toString('hex'), '0000010200');
  assert.equal(readResponseHeader(new Reader(v1), true), 258);
  const r = new Reader(Buffer.from('0000000901000178ff', 'hex'));
  assert.equal(readResponseHeader(r, true), 9);
  assert.equal(r.uint8(), 0xff, 'tagged fields skipped');
});

test('ApiVersions responses always use header v0; other flexible responses use v1', () => {
  assert.equal(API_VERSIONS_KEY, 18);
  assert.equal(responseHeaderIsFlexible(18, true), false);
  assert.equal(responseHeaderIsFlexible(18, false), false);
  assert.equal(responseHeaderIsFlexible(3, true), true);
  assert.equal(responseHeaderIsFlexible(3, false), false);
});
