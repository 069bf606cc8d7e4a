import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadHandlers, randomClusterId, startBroker } from '../../../src/server/start.js';
import { createLogger } from '../../../src/base/logger.js';
import { SeededRandom } from '../../../src/base/random.js';
import { MemoryFileSystem } from '../../../src/base/file-system.js';
import { ConfigError } from '../../../src/base/errors.js';

function tmp(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'sherwood-start-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

test('cluster ids look like Kafka Uuid strings', () => {
  const r = new SeededRandom(7);
  for (let i = 0; i < 200; i++) {
    const id = randomClusterId(r);
    assert.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  }
});

test('in-memory broker on port 0 advertises its real port and closes idempotently', async () => {
  const b = await startBroker({ host: '127.0.0.1', port: 0, inMemory: true, logLevel: 'silent' });
  try {
    assert.notEqual(b.port, 0);
    assert.equal(b.bootstrap, `127.0.0.1:${b.port}`);
    assert.deepEqual(b.broker.endpoints(), [{ nodeId: 1, host: '127.0.0.1', port: b.port, rack: null }]);
    assert.equal(b.broker.controllerId, 1);
    assert.equal(b.broker.clusterId.length, 22);
    assert.ok(b.broker.handlers.has(18), 'ApiVersions is discovered');
    assert.ok(b.broker.fs instanceof MemoryFileSystem);
  } finally {
    await Promise.all([b.close(), b.close()]);
  }
});

test('meta.properties: written on first start, reused on restart, node.id mismatch refused', async () => {
  const dir = tmp();
  try {
    const b1 = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent', nodeId: 5 });
    const id = b1.broker.clusterId;
    await b1.close();
    assert.equal(await b1.broker.groups.availability(), 15, 'services are closed (COORDINATOR_NOT_AVAILABLE after close)');
    const meta = readFileSync(join(dir.path, 'meta.properties'), 'utf8');
    assert.match(meta, new RegExp(`^cluster\\.id=${id}$`, 'm'));
    assert.match(meta, /^node\.id=5$/m);
    assert.match(meta, /^version=1$/m);
    assert.match(meta, /^directory\.id=\S{22}$/m);

    const b2 = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent', nodeId: 5 });
    assert.equal(b2.broker.clusterId, id);
    await b2.close();

    await assert.rejects(startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent', nodeId: 6 }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /^node\.id: configured 6 does not match node\.id 5/);
      return true;
    });
  } finally {
    dir.remove();
  }
});

test('every log dir gets meta.properties with the same cluster id', async () => {
  const a = tmp();
  const c = tmp();
  try {
    const b = await startBroker({ port: 0, logLevel: 'silent', overrides: { 'log.dirs': `${a.path},${c.path}` } });
    await b.close();
    const id = (p: string) => /^cluster\.id=(.+)$/m.exec(readFileSync(join(p, 'meta.properties'), 'utf8'))![1];
    assert.equal(id(a.path), b.broker.clusterId);
    assert.equal(id(c.path), b.broker.clusterId);
  } finally {
    a.remove();
    c.remove();
  }
});

test('port in use is a ConfigError naming listeners, and storage is closed again', async () => {
  const b1 = await startBroker({ host: '127.0.0.1', port: 0, inMemory: true, logLevel: 'silent' });
  try {
    await assert.rejects(startBroker({ host: '127.0.0.1', port: b1.port, inMemory: true, logLevel: 'silent' }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /^listeners: .*address already in use/);
      return true;
    });
  } finally {
    await b1.close();
  }
});

test('handler discovery: skips _helpers, index and .d.ts; accepts arrays; logs and skips broken modules', async () => {
  const dir = tmp();
  const msgs = (name: string) => pathToFileURL(join(process.cwd(), 'src/protocol/messages', name)).href;
  try {
    const h = (api: string, file: string, min: number, max: number) =>
      `{ api: (await import(${JSON.stringify(msgs(file))})).${api}, minVersion: ${min}, maxVersion: ${max}, handle() { return null; } }`;
    writeFileSync(join(dir.path, 'heartbeat.mjs'), `export default ${h('Heartbeat', 'heartbeat.ts', 0, 4)};\n`);
    writeFileSync(join(dir.path, 'pair.mjs'), `export default [${h('SyncGroup', 'sync-group.ts', 0, 5)}, ${h('LeaveGroup', 'leave-group.ts', 0, 5)}];\n`);
    writeFileSync(join(dir.path, '_helper.mjs'), `throw new Error('helpers must not be imported');\n`);
    writeFileSync(join(dir.path, 'index.mjs'), `throw new Error('index must not be imported');\n`);
    writeFileSync(join(dir.path, 'types.d.ts'), `export {};\n`);
    writeFileSync(join(dir.path, 'broken.mjs'), `import './does-not-exist.mjs';\n`);
    writeFileSync(join(dir.path, 'not-a-handler.mjs'), `export default 42;\n`);
    writeFileSync(join(dir.path, 'too-new.mjs'), `export default ${h('ListGroups', 'list-groups.ts', 0, 99)};\n`);
    const lines: string[] = [];
    const handlers = await loadHandlers(createLogger('debug', (l) => lines.push(l)), dir.path);
    assert.deepEqual([...handlers.keys()].sort((x, y) => x - y), [12, 13, 14]);
    assert.ok(lines.some((l) => l.includes('broken.mjs failed to load')), lines.join('\n'));
    assert.ok(lines.some((l) => l.includes('not-a-handler.mjs does not export default a handler')));
    assert.ok(lines.some((l) => l.includes('ListGroups') && l.includes('outside the message definition')));
    assert.ok(!lines.some((l) => l.includes('_helper') || l.includes('index.mjs')));
  } finally {
    dir.remove();
  }
});

test('clean shutdown leaves the storage clean-shutdown marker', async () => {
  const dir = tmp();
  try {
    const b = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent' });
    await b.close();
    assert.ok(existsSync(join(dir.path, '.kafka_cleanshutdown')), 'LogManager.close() writes the marker');
  } finally {
    dir.remove();
  }
});

test('embedding defaults: no initial rebalance delay, warn logs, an in-memory log dir that is not on disk; explicit settings win', async () => {
  const cwd = process.cwd();
  const dir = tmp();
  process.chdir(dir.path);
  try {
    const lines: string[] = [];
    const b = await startBroker({ port: 0, inMemory: true, logger: createLogger('debug', (l) => lines.push(l)) });
    try {
      assert.equal(b.broker.config.getInt('group.initial.rebalance.delay.ms'), 0);
      assert.equal(b.broker.config.logLevel(), 'warn');
      assert.ok(!existsSync(join(dir.path, 'data')), 'an in-memory broker creates no ./data');
      assert.deepEqual(b.broker.logs.dirs, ['/in-memory/sherwood-data']);
      assert.ok(!existsSync('/in-memory'), 'its log dir exists only in its MemoryFileSystem');
      assert.ok(lines.some((l) => l.includes('broker started') && l.includes('(in memory)')), lines.join('\n'));
    } finally {
      await b.close();
    }
    const explicit = await startBroker({ port: 0, inMemory: true, logLevel: 'error', overrides: { 'group.initial.rebalance.delay.ms': '250' } });
    try {
      assert.equal(explicit.broker.config.getInt('group.initial.rebalance.delay.ms'), 250);
      assert.equal(explicit.broker.config.logLevel(), 'error');
    } finally {
      await explicit.close();
    }
    // `sherwood server` keeps Kafka's defaults.
    const server = await startBroker({ profile: 'server', port: 0, inMemory: true, logLevel: 'silent' });
    try {
      assert.equal(server.broker.config.getInt('group.initial.rebalance.delay.ms'), 3000);
    } finally {
      await server.close();
    }
  } finally {
    process.chdir(cwd);
    dir.remove();
  }
});
