#!/usr/bin/env node
// Captures the request frames real clients send during bootstrap + one produce, against a tiny
// fake broker (test/protocol/capture-server.ts), and writes them as hex fixtures to
// test/protocol/fixtures/<client>.json for test/protocol/golden.test.ts.
// Usage: node --import tsx scripts/capture-requests.mjs [client-name ...]
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const { startCaptureServer } = await import('../test/protocol/capture-server.ts');
const { DRIVERS } = await import('../test/protocol/capture-clients.ts');
const { API_BY_KEY } = await import('../src/protocol/api-keys.ts');

const wanted = process.argv.slice(2);
for (const driver of DRIVERS) {
  if (wanted.length > 0 && !wanted.includes(driver.name)) continue;
  const version = driver.version();
  if (version === null) {
    console.error(`${driver.name}: not installed, skipped`);
    continue;
  }
  const server = await startCaptureServer();
  try {
    await driver.run(server.bootstrap, (apiKey) => server.frames.filter((f) => f.apiKey === apiKey).length);
  } finally {
    await server.close();
  }
  const fixture = {
    client: driver.name,
    clientVersion: version,
    clientId: driver.clientId,
    capturedBy: 'scripts/capture-requests.mjs',
    capturedAt: new Date().toISOString().slice(0, 10),
    // At most two frames per API and version: consumers repeat Fetch/Heartbeat frames.
    frames: server.frames.filter((f, i, all) => all.slice(0, i).filter((g) => g.apiKey === f.apiKey && g.apiVersion === f.apiVersion).length < 2).map((f) => ({ api: API_BY_KEY.get(f.apiKey)?.name ?? `key ${f.apiKey}`, apiKey: f.apiKey, apiVersion: f.apiVersion, hex: f.frame.toString('hex') })),
  };
  const path = join('test', 'protocol', 'fixtures', `${driver.name}.json`);
  writeFileSync(path, JSON.stringify(fixture, null, 2) + '\n');
  console.log(`${driver.name} ${version}: ${fixture.frames.length} frames -> ${path}: ${fixture.frames.map((f) => `${f.api} v${f.apiVersion}`).join(', ')}`);
}
process.exit(0);
