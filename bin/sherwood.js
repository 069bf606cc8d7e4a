#!/usr/bin/env node
// The `sherwood` command: runs the compiled CLI (npm run build produces dist/).
import { run } from '../dist/src/cli/main.js';

await run(process.argv.slice(2));
