#!/usr/bin/env node
/**
 * Raw Node loopback TCP throughput: the ceiling any Node broker on this machine can reach.
 *
 * One process (this one) writes to a node:net sink server running in a child process on
 * 127.0.0.1 — two processes, like a client and a broker. Two shapes are measured:
 *   - "1k":    1 KiB writes (one record-sized chunk per write, honouring backpressure)
 *   - "large": 1 MiB writes
 * The sink counts bytes from the first to the last byte received and reports MB/s.
 *
 * Usage: node bench/loopback.mjs [--bytes N] [--chunk S]   prints one JSON line
 *        node bench/loopback.mjs --sink                     (internal: the child process)
 */
import net from 'node:net';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};

const isMain = process.argv[1] === fileURLToPath(import.meta.url);

if (isMain && args.includes('--sink')) {
  const server = net.createServer((socket) => {
    let bytes = 0;
    let first = 0n;
    let last = 0n;
    socket.on('data', (d) => {
      if (bytes === 0) first = process.hrtime.bigint();
      bytes += d.length;
      last = process.hrtime.bigint();
    });
    socket.on('end', () => {
      socket.end(JSON.stringify({ bytes, ns: Number(last - first) }));
    });
  });
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`PORT=${server.address().port}\n`);
  });
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
} else if (isMain) {
  const result = await measure(opt('--bytes', 1 << 30), opt('--chunk', 1024));
  console.log(JSON.stringify(result));
}

/** Sends totalBytes in chunkSize writes to a fresh sink process; returns the sink's view. */
export async function measure(totalBytes, chunkSize) {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--sink'], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const port = await new Promise((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const m = /PORT=(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`sink exited ${code}`)));
    });
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
    const chunk = Buffer.alloc(chunkSize, 7);
    const reply = new Promise((resolve, reject) => {
      let text = '';
      socket.on('data', (d) => { text += d; });
      socket.on('end', () => resolve(JSON.parse(text)));
      socket.on('error', reject);
    });
    let sent = 0;
    while (sent < totalBytes) {
      let ok = true;
      while (ok && sent < totalBytes) {
        ok = socket.write(chunk);
        sent += chunk.length;
      }
      if (!ok) await new Promise((resolve) => socket.once('drain', resolve));
    }
    socket.end();
    const { bytes, ns } = await reply;
    return { tool: 'bench/loopback.mjs', chunk_bytes: chunkSize, bytes, seconds: ns / 1e9, MB_per_s: Math.round(bytes / (ns / 1e9) / 1e6 * 10) / 10 };
  } finally {
    child.stdin.end();
  }
}
