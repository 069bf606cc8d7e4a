/**
 * Imports flow one way (docs/STYLE): base ← protocol ← storage ← cluster ← server; coordinator
 * and client see only protocol and base; cli sees only client; nothing imports server. This
 * test parses every import under src/ so a wrong direction cannot come back unnoticed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkEdges, formatViolation, importsOf, importsOfTree, layerOf, sourceFiles, SRC_DIR } from '../helpers/layering.js';

test('no file under src/ imports against the layering', () => {
  const files = sourceFiles(SRC_DIR);
  assert.ok(files.length > 50, `expected the whole tree, found ${files.length} files`);
  const edges = importsOfTree(SRC_DIR);
  assert.ok(edges.length > 200, `expected many imports, found ${edges.length}`);
  const violations = checkEdges(edges);
  assert.deepEqual(violations.map(formatViolation), []);
});

test('handlers never import storage nor reach a partition\'s log', () => {
  const handlers = sourceFiles(SRC_DIR).filter((f) => f.startsWith('server/handlers/'));
  assert.ok(handlers.length > 20);
  const offenders = handlers.filter((f) => /\.partitionLog\(|\.logs\.get\(|\.log\.(read|append|truncate)/.test(readFileSync(join(SRC_DIR, f), 'utf8')));
  assert.deepEqual(offenders, []);
  const planted = checkEdges(importsOf('server/handlers/fetch.ts', "import type { PartitionLog } from '../../storage/partition-log.js';\n"));
  assert.equal(planted.length, 1);
  assert.match(formatViolation(planted[0]!), /server\/handlers must not import storage/);
});

test('layerOf names the first folder under src/', () => {
  assert.equal(layerOf('cluster/replica-manager.ts'), 'cluster');
  assert.equal(layerOf('server/handlers/fetch.ts'), 'server');
  assert.equal(layerOf('index.ts'), 'index');
});

test('importsOf finds multi-line, type-only, re-export and dynamic imports', () => {
  const text = [
    "import {",
    "  a,",
    "  b,",
    "} from '../protocol/records.js';",
    "import type { Broker } from '../server/broker.js';",
    "export { c } from './log-validator.js';",
    "import net from 'node:net';",
    "const m = await import('../storage/partition-log.js');",
    "// import { x } from '../server/commented.js';",
  ].join('\n');
  const edges = importsOf('cluster/replica-manager.ts', text);
  assert.deepEqual(
    edges.map((e) => [e.to, e.line]),
    [
      ['protocol/records.ts', 4],
      ['server/broker.ts', 5],
      ['cluster/log-validator.ts', 6],
      ['storage/partition-log.ts', 8],
    ],
  );
});

test('a planted violation is reported: cluster importing the server', () => {
  const edges = importsOf('cluster/replica-manager.ts', "import type { Broker } from '../server/broker.js';\n");
  const violations = checkEdges(edges);
  assert.equal(violations.length, 1);
  assert.equal(violations[0]!.fromLayer, 'cluster');
  assert.equal(violations[0]!.toLayer, 'server');
  assert.match(formatViolation(violations[0]!), /src\/cluster\/replica-manager\.ts:1: cluster must not import server/);
});

test('each rule of the table is enforced in both directions', () => {
  const verdict = (from: string, spec: string): boolean => checkEdges(importsOf(from, `import x from '${spec}';`), new Map()).length === 0;
  // allowed
  assert.ok(verdict('storage/log-segment.ts', '../protocol/record-batch.js'));
  assert.ok(verdict('server/handlers/produce.ts', '../../cluster/replica-manager.js'));
  assert.ok(verdict('coordinator/group/classic-group.ts', '../../protocol/error-codes.js'));
  assert.ok(verdict('cli/topics.ts', '../client/index.js'));
  assert.ok(verdict('index.ts', './server/start.js'));
  // forbidden
  assert.ok(!verdict('base/clock.ts', '../protocol/primitives.js'), 'base sees nothing');
  assert.ok(!verdict('protocol/records.ts', '../storage/log-segment.js'), 'protocol below storage');
  assert.ok(!verdict('storage/log-segment.ts', '../cluster/topic-manager.js'), 'storage below cluster');
  assert.ok(!verdict('coordinator/group/classic-group.ts', '../../storage/partition-log.js'), 'coordinator never sees storage');
  assert.ok(!verdict('client/operations.ts', '../server/broker.js'), 'client never sees server');
  assert.ok(!verdict('cli/topics.ts', '../protocol/error-codes.js'), 'cli sees only client');
  assert.ok(!verdict('cli/topics.ts', '../base/errors.js'), 'cli sees only client');
  assert.ok(!verdict('cli/topics.ts', '../index.js'), 'only cli/server.ts may use the entry point');
  assert.ok(!verdict('cluster/topic-manager.ts', '../coordinator/group/records.js'), 'cluster does not see coordinator');
  assert.ok(!verdict('cluster/topic-manager.ts', '../../test/helpers/broker.js'), 'nothing outside src/');
});

test('the exception list lets exactly its own edge through', () => {
  const exceptions = new Map([['cli/server.ts -> index.ts', 'starts a broker']]);
  assert.equal(checkEdges(importsOf('cli/server.ts', "import { startBroker } from '../index.js';"), exceptions).length, 0);
  assert.equal(checkEdges(importsOf('cli/topics.ts', "import { startBroker } from '../index.js';"), exceptions).length, 1);
});
