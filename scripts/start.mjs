#!/usr/bin/env node
// `npm start [-- ARGS]`: `sherwood server ARGS`, built first only if the sources changed.
//
// The broker runs in this process (no extra child), so a signal that reaches this process
// reaches the broker. Two ways npm can leave us without the signal, both handled:
// - npm runs scripts through `sh -c`. dash (Debian's /bin/sh) does not exec the command, so
//   npm's forwarded SIGTERM/SIGINT kills the shell and never reaches us: we notice the shell's
//   death (our parent process changes) and shut down as on SIGTERM.
// - With a shell that does exec (bash), Ctrl-C reaches us twice, from the terminal and from
//   npm: `sherwood server` treats a repeat within a second as the same request.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, build, staleReason } from './build.mjs';

// Taken first: if the shell dies while we build, the change must still be seen.
const parent = process.ppid;

const reason = staleReason();
if (reason !== null) {
  process.stderr.write(`sherwood: building dist/ (${reason})\n`);
  const status = build();
  if (status !== 0) {
    process.stderr.write(status === null
      ? 'sherwood: cannot build dist/: TypeScript is not installed (run npm install)\n'
      : 'sherwood: the build failed; not starting\n');
    process.exit(1);
  }
}
const main = join(ROOT, 'dist', 'src', 'cli', 'main.js');
if (!existsSync(main)) {
  process.stderr.write(`sherwood: ${main} is missing; run npm run build\n`);
  process.exit(1);
}

// Parent watch: once the shell npm started us with is gone, stop as if we had been sent SIGTERM.
let signalled = false;
for (const s of ['SIGINT', 'SIGTERM']) {
  process.once(s, () => {
    signalled = true;
    // Before the broker is up nobody else listens: exit as the default action would have.
    if (process.listenerCount(s) === 0) process.exit(128 + (s === 'SIGINT' ? 2 : 15));
  });
}
const watch = setInterval(() => {
  if (process.ppid === parent || signalled) return;
  clearInterval(watch);
  process.kill(process.pid, 'SIGTERM');
}, 200);
watch.unref();

const { run } = await import(pathToFileURL(main).href);
await run(['server', ...process.argv.slice(2)]);
