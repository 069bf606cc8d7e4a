/**
 * Running real Kafka clients from tests: Debian's /usr/bin/python3 (kafka-python,
 * confluent-kafka) and kcat. Scripts get the bootstrap address as argv[1] and print JSON on
 * their last stdout line.
 */
import { spawn } from 'node:child_process';

export const PYTHON = '/usr/bin/python3';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], options: { input?: string | Buffer; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Runs a Python script with Debian's interpreter; throws with its output unless it exits 0. */
export async function runPython(script: string, args: string[] = [], timeoutMs = 60000): Promise<RunResult> {
  const r = await run(PYTHON, ['-c', script, ...args], { timeoutMs });
  if (r.code !== 0) throw new Error(`python exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return r;
}

/** The JSON printed on the last non-empty stdout line. */
export function lastJson<T = any>(r: RunResult): T {
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as T;
}

export async function kcat(args: string[], input?: string | Buffer, timeoutMs = 60000): Promise<RunResult> {
  return run('kcat', args, { input, timeoutMs });
}
