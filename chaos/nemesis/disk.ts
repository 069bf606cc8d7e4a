/**
 * A full disk: every broker's log dir is its own small tmpfs (cluster.ts), and this fault fills
 * one to the last byte with a ballast file. The broker's next log write fails with ENOSPC, and
 * the broker halts (exit status 1) as Kafka does when its log dirs failed, so its leaderships
 * move as after a crash. Healed: the ballast goes and the broker, if it halted, is started on
 * its data again. Writes that are not log appends (checkpoints) may fail meanwhile too; they
 * must not corrupt anything (they are written to a temporary file and renamed).
 */
import { closeSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { NemesisKind } from './nemesis.js';
import { pickBroker } from './target.js';

const BALLAST = 'chaos-ballast';

/** Fills the file system of `dir` (bounded: fallocate, then 4 KiB writes until ENOSPC). */
export function fillDisk(dir: string): void {
  const path = join(dir, BALLAST);
  const s = statfsSync(dir);
  const free = s.bavail * s.bsize;
  if (free > 0) {
    try { execFileSync('fallocate', ['-l', String(free), path], { stdio: 'ignore' }); } catch { /* the writes below fill it */ }
  }
  const fd = openSync(path, 'a');
  try {
    const chunk = Buffer.alloc(4096);
    for (let i = 0; i < 1_000_000; i++) writeSync(fd, chunk);
  } catch {
    // ENOSPC: full.
  } finally {
    closeSync(fd);
  }
}

export function emptyDisk(dir: string): void {
  rmSync(join(dir, BALLAST), { force: true });
}

export const diskKind: NemesisKind = {
  name: 'disk',
  description: 'fill a broker\'s log dir (its own tmpfs); the broker halts on its next write (Kafka\'s failed log dir); healed: space freed, broker restarted',
  needsCluster: true,
  async start(cluster, scheduled, variant) {
    const { index, role } = await pickBroker(cluster, scheduled, variant);
    const b = cluster.brokers[index]!;
    b.exitExpected = true;
    fillDisk(b.dataDir);
    return { kind: 'disk', target: `broker ${b.id}${role === 'random' ? '' : ` (${role})`}`, brokerIndex: index };
  },
  async stop(cluster, fault) {
    const b = cluster.brokers[fault.brokerIndex]!;
    emptyDisk(b.dataDir);
    if (b.running) b.exitExpected = false;
    else await b.start();
  },
};
