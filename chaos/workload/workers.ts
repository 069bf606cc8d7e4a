/**
 * Spawning the workload's client processes and collecting their history events. Each worker
 * prints one JSON event per stdout line; lines that do not parse go to the worker's log (a
 * client library printing to stdout must not corrupt the history).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT } from '../broker-node.js';
import type { HistoryEvent } from '../checker/history.js';

export const PYTHON = '/usr/bin/python3';

export interface Worker {
  name: string;
  child: ChildProcess;
  done: Promise<number | null>;
  /** SIGTERM now, SIGKILL after graceMs; resolves when it exited. */
  stop(graceMs: number): Promise<void>;
}

export function spawnWorker(name: string, cmd: string, args: string[], logDir: string, sink: (e: HistoryEvent) => void): Worker {
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(join(logDir, `worker-${name}.log`));
  child.stderr!.pipe(log, { end: false });
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    try {
      const e = JSON.parse(line) as HistoryEvent;
      if (typeof e.time === 'number' && typeof e.f === 'string') { sink(e); return; }
    } catch { /* not an event */ }
    log.write(`stdout: ${line}\n`);
  });
  const done = new Promise<number | null>((resolve) => child.once('close', (code) => { log.end(); resolve(code); }));
  return {
    name, child, done,
    async stop(graceMs) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await done;
      clearTimeout(timer);
    },
  };
}

export interface WorkloadConfig {
  bootstrap: string;
  topic: string;
  partitions: number;
  until: number;
  seed: number;
  group: string;
}

export function confluentWorker(c: WorkloadConfig, roles: { role: string; name: string; isolation?: string }[], logDir: string, sink: (e: HistoryEvent) => void, name = 'confluent', python = PYTHON): Worker {
  const conf = JSON.stringify({ ...c, roles });
  return spawnWorker(name, python, [join(ROOT, 'chaos/workload/confluent_worker.py'), conf], logDir, sink);
}

export function kafkajsWorker(c: WorkloadConfig, roles: { role: string; name: string }[], logDir: string, sink: (e: HistoryEvent) => void): Worker {
  const conf = JSON.stringify({ ...c, roles });
  return spawnWorker('kafkajs', process.execPath, ['--import', 'tsx', join(ROOT, 'chaos/workload/kafkajs-worker.ts'), conf], logDir, sink);
}
