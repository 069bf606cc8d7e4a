// Child process for crash.test.ts: appends deterministic batches to a real-disk log and prints
// "ack <firstOffset>" after each append resolves, until killed.
// Usage: node --import tsx test/storage/_crash-writer.ts <dir> <flushMessages>
import { systemClock } from '../../src/base/clock.js';
import { silentLogger } from '../../src/base/logger.js';
import { nodeFileSystem } from '../../src/base/file-system.js';
import { LogManager } from '../../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG } from '../../src/storage/log-config.js';
import { crashBatch } from './_crash-batches.js';

const [dir, flushArg] = process.argv.slice(2);
const logs = await LogManager.open({ fs: nodeFileSystem, dirs: [dir!], clock: systemClock, logger: silentLogger });
const log = await logs.create('crash', 0, {
  ...DEFAULT_LOG_CONFIG,
  segmentBytes: 64 * 1024,
  indexIntervalBytes: 1024,
  flushMessages: Number(flushArg),
});
process.stdout.write('ready\n');
for (let i = 0; ; i++) {
  const r = await log.appendAsLeader(crashBatch(i), 0);
  process.stdout.write(`ack ${i} ${r.firstOffset}\n`);
}
