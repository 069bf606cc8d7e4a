/**
 * `npm run cluster` (scripts/cluster.mjs): one command starts etcd and three brokers; a
 * confluent-kafka client bootstrapped at one of them creates a replicated topic, produces
 * (acks=1), and sees the three brokers and a controller; SIGINT (Ctrl-C) stops every process
 * (brokers first, then etcd) and removes the temp dir.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, freePort } from '../helpers/broker.js';
import { lastJson, runPython } from '../helpers/clients.js';
import { etcdAvailable } from '../helpers/etcd.js';
import { until } from '../helpers/wait.js';

const skip = etcdAvailable() ? false : 'etcd is not installed';

const CONFLUENT = `
import sys, json, time
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
bootstrap = sys.argv[1]
admin = AdminClient({'bootstrap.servers': bootstrap})
admin.create_topics([NewTopic('demo', 3, 3)])['demo'].result(30)
# acks=1: replication between brokers is another branch's work (docs/cluster.md).
p = Producer({'bootstrap.servers': bootstrap, 'acks': 1})
# Consuming is not checked: with three replicas the high watermark waits for followers, which
# do not fetch yet (the replication branch), so a fetch returns nothing above it.
errors, got = [], []
def delivered(e, m):
    if e: errors.append(str(e))
    else: got.append(m.value().decode())
for i in range(6):
    p.produce('demo', value=b'v%d' % i, partition=i % 3, on_delivery=delivered)
left = p.flush(60)
assert left == 0 and not errors, (left, errors)
md = admin.list_topics(timeout=10)
print(json.dumps({'brokers': sorted((b.id, b.port) for b in md.brokers.values()), 'controller': md.controller_id, 'got': sorted(got),
    'replicas': sorted(len(p.replicas) for p in md.topics['demo'].partitions.values())}))
`;

/** A base port with the next two free as well (three brokers on consecutive ports). */
async function threeFreePorts(): Promise<number> {
  for (;;) {
    const p = await freePort();
    if (p > 65000) continue;
    const net = await import('node:net');
    const free = (port: number) => new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if ((await free(p + 1)) && (await free(p + 2))) return p;
  }
}

test('npm run cluster -- --brokers 3: etcd and three brokers from one command; a real client uses them; SIGINT stops all of it', { skip, timeout: 240_000 }, async () => {
  const base = await threeFreePorts();
  let etcdPort = await freePort();
  while (etcdPort >= base - 1 && etcdPort <= base + 2) etcdPort = await freePort();
  const child = spawn(process.execPath, [join(ROOT, 'scripts', 'cluster.mjs'), '--brokers', '3', '--base-port', String(base), '--etcd-port', String(etcdPort), '--from-source'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await until('the cluster to be ready', () => {
      if (child.exitCode !== null) throw new Error(`cluster.mjs exited: ${out}`);
      return out.includes('cluster: ready');
    }, { timeoutMs: 150_000, intervalMs: 100, detail: () => out });
    const dataDir = /data in (\S+);/.exec(out)![1]!;
    assert.ok(existsSync(dataDir));
    const pids = [...out.matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
    assert.equal(pids.length, 4, 'etcd and three brokers');
    const r = await runPython(CONFLUENT, [`127.0.0.1:${base + 1}`], 120_000);
    assert.equal(r.code, 0, r.stderr + out);
    const seen = lastJson<{ brokers: [number, number][]; controller: number; got: string[]; replicas: number[] }>(r);
    assert.deepEqual(seen.brokers, [[1, base], [2, base + 1], [3, base + 2]]);
    assert.ok([1, 2, 3].includes(seen.controller));
    assert.deepEqual(seen.replicas, [3, 3, 3]);
    assert.deepEqual(seen.got, ['v0', 'v1', 'v2', 'v3', 'v4', 'v5']);

    child.kill('SIGINT');
    assert.equal(await exited, 0, out);
    assert.match(out, /cluster: stopped/);
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/, `process ${pid} still running`);
    assert.ok(!existsSync(dataDir), 'the temp dir is removed');
  } finally {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  }
});
