/**
 * unhandledRejection / uncaughtException audit: a real broker process started with
 * `node --unhandled-rejections=strict` (any unhandled rejection kills it) is put under the
 * misbehaving-client load of the other robust-* tests at once: long polls dropped mid-wait,
 * Produce requests abandoned before their response, absurd counts, garbage and truncated
 * frames, partial frames left to the idle timeout, a reader that stops reading, and topics
 * deleted and re-created under fetchers. It must never die, still serve afterwards, and stop
 * cleanly (exit 0) on SIGTERM.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import net from 'node:net';
import { ROOT, freePort, tempDir } from '../helpers/broker.js';
import { sleep, until } from '../helpers/wait.js';
import { Fetch } from '../../src/protocol/messages/fetch.js';
import { Produce } from '../../src/protocol/messages/produce.js';
import { Metadata } from '../../src/protocol/messages/metadata.js';
import { CreateTopics } from '../../src/protocol/messages/create-topics.js';
import { DeleteTopics } from '../../src/protocol/messages/delete-topics.js';
import { encodeBatch } from '../../src/protocol/records.js';
import { Writer } from '../../src/protocol/primitives.js';
import { KafkaClient, produce } from '../../src/client/index.js';
import { RawClient, rawFrame, requestFrame, responseReader } from '../unit/server/raw-client.js';

const ZERO = Buffer.alloc(16);

function fetchFrame(topic: string, correlationId: number, maxWaitMs: number, maxBytes = 1 << 20): Buffer {
  return requestFrame(Fetch, 12, correlationId, {
    replicaId: -1, maxWaitMs, minBytes: 1, maxBytes, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, topicId: ZERO, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: maxBytes, replicaDirectoryId: ZERO }] }],
    forgottenTopicsData: [], rackId: '',
  });
}

function produceFrame(topic: string, correlationId: number, acks: number): Buffer {
  const batch = encodeBatch({ records: [{ key: Buffer.from('k'), value: Buffer.alloc(2000, correlationId % 256) }] });
  return requestFrame(Produce, 9, correlationId, { acks, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] });
}

async function connect(port: number): Promise<RawClient> {
  return RawClient.connect(port, '127.0.0.1');
}

async function misbehave(port: number, bootstrap: string): Promise<void> {
  const admin = await KafkaClient.connect(bootstrap);
  try {
    await admin.request(CreateTopics, { topics: ['strict-a', 'strict-b'].map((name) => ({ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] })), timeoutMs: 5000 }, { version: 5 });
    await produce(admin, 'strict-a', 0, [{ key: null, value: Buffer.alloc(200_000, 1) }], { acks: 1 });

    const tasks: Promise<unknown>[] = [];
    // Long polls dropped mid-wait, some with a half-close, some with a reset.
    tasks.push((async () => {
      const cs = await Promise.all(Array.from({ length: 100 }, () => connect(port)));
      cs.forEach((c, i) => c.send(fetchFrame('strict-b', i, 30_000)));
      // Pacing: most of them are parked by now (the broker is another process: its purgatory
      // cannot be watched), and a drop before parking is a case worth having too.
      await sleep(200);
      cs.forEach((c, i) => (i % 2 === 0 ? c.socket.end() : c.socket.resetAndDestroy()));
    })());
    // Produce requests (acks 1 and -1) abandoned before the response.
    tasks.push((async () => {
      for (let i = 0; i < 60; i++) {
        const c = await connect(port);
        c.send(Buffer.concat([produceFrame('strict-b', i, i % 2 === 0 ? 1 : -1), produceFrame('strict-b', i + 1000, 0)]));
        if (i % 3 === 0) c.socket.resetAndDestroy(); else c.close();
      }
    })());
    // Absurd counts and broken frames.
    tasks.push((async () => {
      const frames = [
        requestFrame(Produce, 9, 1, { acks: 1, timeoutMs: 100, topicData: Array.from({ length: 20_000 }, (_, i) => ({ name: `t${i}`, partitionData: [] })) }),
        requestFrame(Metadata, 12, 2, { topics: Array.from({ length: 20_000 }, (_, i) => ({ topicId: ZERO, name: `bad name ${i}` })), allowAutoTopicCreation: true }),
        rawFrame(3, 1, 3, new Writer(8).int32(0x7fffffff).raw(Buffer.from([0, 1, 0x61])).toBuffer()),
        rawFrame(0, 9, 4, Buffer.from([0, 0xff, 0xff, 0xff, 0xff, 0x0f])),
        rawFrame(1, 12, 5, Buffer.alloc(40, 0xff)),
        rawFrame(9999, 0, 6),
        rawFrame(3, 99, 7),
        Buffer.from([0x7f, 0xff, 0xff, 0xff, 1, 2, 3]),
        Buffer.from([0, 0, 0, 2, 0, 3]),
        produceFrame('no-such-topic', 8, 0), // acks=0 with an error: Kafka closes the connection
      ];
      for (let round = 0; round < 3; round++) {
        await Promise.all(frames.map(async (f) => {
          const c = await connect(port);
          c.send(f);
          await c.waitClosed(300);
          c.close();
        }));
      }
      for (let i = 0; i < 200; i++) {
        const c = await connect(port);
        const junk = Buffer.alloc(8 + Math.floor(Math.random() * 200));
        for (let k = 0; k < junk.length; k++) junk[k] = Math.floor(Math.random() * 256);
        junk.writeInt32BE(junk.length - 4, 0);
        c.send(junk);
        c.close();
      }
    })());
    // Partial frames left to the idle timeout; a reader that stops reading, then vanishes.
    tasks.push((async () => {
      const partial = await Promise.all(Array.from({ length: 50 }, () => connect(port)));
      partial.forEach((c) => c.send(Buffer.from([0, 0, 1, 0, 0, 3])));
      const slow = await new Promise<net.Socket>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => resolve(s));
        s.on('error', () => {});
      });
      slow.pause();
      for (let i = 0; i < 40; i++) slow.write(fetchFrame('strict-a', i, 0, 50 << 20));
      await sleep(1500); // pacing: the reader sits there past the 1 s idle timeout of the partial frames, then vanishes
      slow.resetAndDestroy();
      for (const c of partial) assert.equal(await c.waitClosed(3000), true, 'idle partial frame closed');
    })());
    // Delete and re-create topics under long polls and producers.
    tasks.push((async () => {
      for (let i = 0; i < 5; i++) {
        const poller = await connect(port);
        poller.send(fetchFrame('strict-b', 1, 10_000));
        const producer = await connect(port);
        producer.send(produceFrame('strict-b', 2, -1));
        await admin.request(DeleteTopics, { topicNames: ['strict-b'], timeoutMs: 5000 }, { version: 4 });
        await admin.request(CreateTopics, { topics: [{ name: 'strict-b', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000 }, { version: 5 });
        await poller.read(1, 5000).catch(() => undefined);
        poller.close();
        producer.close();
      }
    })());
    const results = await Promise.allSettled(tasks);
    for (const r of results) if (r.status === 'rejected') throw r.reason;
  } finally {
    await admin.close().catch(() => undefined);
  }
}

test('a broker running with --unhandled-rejections=strict survives misbehaving clients', { timeout: 120_000 }, async () => {
  const dir = tempDir('sherwood-strict-');
  const port = await freePort();
  const child = spawn(process.execPath, ['--unhandled-rejections=strict', '--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'server',
    '--override', `listeners=PLAINTEXT://127.0.0.1:${port}`, '--override', `log.dirs=${dir.path}`,
    '--override', 'connections.max.idle.ms=1000', '--override', 'log.level=warn'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await until('the broker to listen', () => out.includes('listening on') || child.exitCode !== null, { detail: () => out });
    assert.equal(child.exitCode, null, `broker exited at start: ${out}`);
    await misbehave(port, `127.0.0.1:${port}`);
    // Does not happen: a rejection left behind by the last requests would kill the broker
    // within moments (strict mode); give it that moment before checking it is alive.
    await sleep(300);
    assert.equal(child.exitCode, null, `broker died: ${out}`);
    assert.doesNotMatch(out, /unhandled|uncaught|TypeError|RangeError|ReferenceError/i);
    // Still serving.
    const c = await connect(port);
    c.send(requestFrame(Metadata, 1, 77, { topics: [] }));
    assert.equal(responseReader((await c.read(1))[0]!).correlationId, 77);
    c.close();
    child.kill('SIGTERM');
    assert.equal(await exited, 0, `clean stop: ${out}`);
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    dir.remove();
  }
});
