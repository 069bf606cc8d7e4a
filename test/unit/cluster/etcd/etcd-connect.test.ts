import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatEndpoint, parseEtcdConnect } from '../../../../src/cluster/etcd/etcd-connect.js';
import { ConfigError } from '../../../../src/base/errors.js';

test('etcd.connect: endpoints and an optional chroot-style prefix', () => {
  assert.deepEqual(parseEtcdConnect('127.0.0.1:2379'), { endpoints: [{ host: '127.0.0.1', port: 2379 }], prefix: '' });
  assert.deepEqual(parseEtcdConnect('a:1,b:2/sherwood/c1'), { endpoints: [{ host: 'a', port: 1 }, { host: 'b', port: 2 }], prefix: '/sherwood/c1' });
  assert.deepEqual(parseEtcdConnect('h:2379/'), { endpoints: [{ host: 'h', port: 2379 }], prefix: '' });
  assert.deepEqual(parseEtcdConnect('h:2379/p/'), { endpoints: [{ host: 'h', port: 2379 }], prefix: '/p' });
  assert.deepEqual(parseEtcdConnect('[::1]:2379').endpoints, [{ host: '::1', port: 2379 }]);
  assert.equal(formatEndpoint({ host: '::1', port: 2379 }), '[::1]:2379');
  assert.equal(formatEndpoint({ host: 'h', port: 1 }), 'h:1');
});

test('etcd.connect: bad values are ConfigErrors naming the key', () => {
  for (const bad of ['', 'h', 'h:0', 'h:70000', 'h:1,/p', 'h:1//p', 'h:1/a b', ':1']) {
    assert.throws(() => parseEtcdConnect(bad), (e: unknown) => e instanceof ConfigError && /etcd\.connect/.test(e.message), bad);
  }
});
