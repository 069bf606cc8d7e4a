/**
 * Helpers for bench/run.mjs: running load tools as child processes (each figure keeps the
 * exact command that produced it), spawning the broker, reading its memory, and formatting.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const PYTHON = '/usr/bin/python3';

/** Quotes an argument for the printed command line (copy-paste into a shell from ROOT). */
function shellQuote(a) {
  const s = a.startsWith(ROOT + '/') ? relative(ROOT, a) : a;
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function commandLine(cmd, args) {
  const c = cmd === process.execPath ? 'node' : cmd;
  return [c, ...args].map(shellQuote).join(' ');
}

/**
 * Runs a command to completion (killed after timeoutMs). Resolves to its exit code, output and
 * the JSON object printed on its last JSON-looking stdout line (or null).
 */
export function runTool(cmd, args, { timeoutMs = 180000, env } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const json = stdout.trim().split('\n').reverse().find((l) => l.startsWith('{'));
      let parsed = null;
      try { parsed = json === undefined ? null : JSON.parse(json); } catch { parsed = null; }
      resolve({ code, signal, stdout, stderr, json: parsed, command: commandLine(cmd, args) });
    });
  });
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = srv.address().port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** VmRSS and VmHWM of a process in MB (from /proc/<pid>/status), or null if it is gone. */
export function memoryOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMB: round(kb('VmRSS') / 1024, 1), hwmMB: round(kb('VmHWM') / 1024, 1) };
  } catch {
    return null;
  }
}

/** Samples a process's RSS every intervalMs until stop() is called; returns the maximum. */
export function sampleRss(pid, intervalMs = 100) {
  let max = 0;
  const tick = () => {
    const m = memoryOf(pid);
    if (m !== null && m.rssMB > max) max = m.rssMB;
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  return { stop() { clearInterval(timer); tick(); return max; } };
}

export function round(v, digits = 0) {
  if (v === null || v === undefined || !Number.isFinite(v)) return null;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** A plain-text table; columns are the keys of the first row. */
export function table(rows, columns) {
  const cols = columns ?? Object.keys(rows[0] ?? {});
  const cell = (v) => (v === null || v === undefined ? '-' : String(v));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals) => vals.map((v, i) => (typeof v === 'number' || /^[\d.]+x?$/.test(v) ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join('  ');
  return [line(cols), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join('\n');
}
