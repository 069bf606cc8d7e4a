/**
 * `sherwood server` as a real process: it prints its ready line, answers Metadata, keeps its
 * cluster id across a clean restart (SIGTERM), and fails with one line for bad configuration.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, freePort, spawnBroker, tempDir } from '../helpers/broker.js';
import { run } from '../helpers/clients.js';
import { Metadata } from '../../src/protocol/messages/metadata.js';
import { RawClient, requestFrame, responseReader } from '../unit/server/raw-client.js';

const CLI = ['--import', 'tsx', join(ROOT, 'src/cli/main.ts')];

async function metadata(port: number): Promise<{ clusterId: string | null; brokers: number[][] }> {
  const c = await RawClient.connect(port);
  try {
    c.send(requestFrame(Metadata, 2, 1, { topics: [] }));
    const { r } = responseReader((await c.read(1))[0]!);
    const md = Metadata.response.read(r, 2);
    return { clusterId: md.clusterId, brokers: md.brokers.map((x) => [x.nodeId, x.port]) };
  } finally {
    c.close();
  }
}

test('sherwood server starts, answers Metadata, and keeps its cluster id across a clean restart', { timeout: 90000 }, async () => {
  const dir = tempDir('sherwood-cli-');
  try {
    const p1 = await spawnBroker(dir.path, undefined, { 'node.id': '3' });
    let md1;
    try {
      md1 = await metadata(p1.port);
      assert.deepEqual(md1.brokers, [[3, p1.port]]);
    } finally {
      await p1.stop();
    }
    assert.equal(p1.child.exitCode, 0, p1.output());
    assert.match(p1.output(), new RegExp(`^Sherwood broker 3 listening on 127\\.0\\.0\\.1:${p1.port}$`, 'm'));
    const meta = readFileSync(join(dir.path, 'meta.properties'), 'utf8');
    assert.match(meta, /^version=1$/m);
    assert.match(meta, /^node\.id=3$/m);
    const clusterId = /^cluster\.id=(.+)$/m.exec(meta)?.[1];
    assert.equal(clusterId?.length, 22);
    assert.equal(md1.clusterId, clusterId);

    const p2 = await spawnBroker(dir.path, undefined, { 'node.id': '3' });
    const exited = new Promise<number | null>((resolve) => p2.child.once('exit', (code) => resolve(code)));
    try {
      assert.equal((await metadata(p2.port)).clusterId, clusterId);
    } finally {
      p2.child.kill('SIGINT');
    }
    assert.equal(await exited, 0, `SIGINT is a clean shutdown too: ${p2.output()}`);
    assert.ok(existsSync(join(dir.path, '.kafka_cleanshutdown')), 'clean-shutdown marker written');
  } finally {
    dir.remove();
  }
});

async function expectOneLineFailure(args: string[], key: RegExp): Promise<void> {
  const r = await run(process.execPath, [...CLI, 'server', ...args], { timeoutMs: 30000 });
  assert.equal(r.code, 1, `exit code 1, got ${r.code}: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n').filter((l) => !l.includes(' INFO ') && !l.includes(' WARN '));
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0]!, key);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

test('unknown key: exit 1 with one line naming it', { timeout: 30000 }, async () => {
  await expectOneLineFailure(['--override', 'no.such.setting=1'], /no\.such\.setting/);
});

test('bad value: exit 1 with one line naming the key', { timeout: 30000 }, async () => {
  await expectOneLineFailure(['--override', 'num.partitions=many'], /num\.partitions/);
});

test('missing properties file: exit 1 with one line', { timeout: 30000 }, async () => {
  await expectOneLineFailure(['/nonexistent/server.properties'], /server\.properties/);
});

test('port in use: exit 1 with one line naming listeners', { timeout: 30000 }, async () => {
  const dir = tempDir('sherwood-cli-');
  const port = await freePort();
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
  try {
    await expectOneLineFailure(['--override', `listeners=PLAINTEXT://127.0.0.1:${port}`, '--override', `log.dirs=${dir.path}`, '--override', 'log.level=error'], /listeners.*in use/);
  } finally {
    blocker.close();
    dir.remove();
  }
});

test('sherwood --help lists the commands; an unknown command fails', { timeout: 30000 }, async () => {
  const help = await run(process.execPath, [...CLI, '--help'], { timeoutMs: 20000 });
  assert.equal(help.code, 0);
  for (const cmd of ['server', 'topics', 'console-producer', 'console-consumer', 'consumer-groups', 'perf']) assert.match(help.stdout, new RegExp(`\\b${cmd}\\b`));
  const bad = await run(process.execPath, [...CLI, 'frobnicate'], { timeoutMs: 20000 });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /unknown command 'frobnicate'/);
});

test('every command listed by main.ts has a module exporting main(argv)', async () => {
  const { COMMANDS } = await import('../../src/cli/main.js');
  for (const name of Object.keys(COMMANDS)) {
    const mod = (await import(`../../src/cli/${name}.js`)) as { main?: unknown };
    assert.equal(typeof mod.main, 'function', `src/cli/${name}.ts exports main`);
  }
});
