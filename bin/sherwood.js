#!/usr/bin/env node
// The `sherwood` command: runs the compiled CLI in dist/ (built by `npm install` through the
// `prepare` script, or by `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const main = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write(`sherwood: ${main} is missing: run npm install (or npm run build) in ${fileURLToPath(new URL('..', import.meta.url))}\n`);
  process.exit(1);
}
const { run } = await import(pathToFileURL(main).href);
await run(process.argv.slice(2));
