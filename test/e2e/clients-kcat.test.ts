/**
 * kcat (librdkafka): 1000 keyed records with headers into a 3-partition topic, produced with
 * `kcat -P -K: -H ... -p N`, consumed back with `kcat -C -e -J`: same keys, values and headers,
 * per-partition order, contiguous offsets from 0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { kcat } from '../helpers/clients.js';
import { recordApiVersions, formatVersions } from './clients-versions.js';

const TOPIC = 'kcat-roundtrip';
const PER_PARTITION = [334, 333, 333];

test('kcat produces 1000 keyed records with headers and consumes exactly them back', { timeout: 90_000 }, async (t) => {
  await withBroker(async (b) => {
    const seen = recordApiVersions(b);
    const created = await b.broker.topics.create({ name: TOPIC, numPartitions: 3, replicationFactor: 1, configs: {} });
    assert.equal(created.errorCode, 0);
    const expected: { key: string; value: string }[][] = [];
    for (let p = 0; p < 3; p++) {
      const rows = Array.from({ length: PER_PARTITION[p]! }, (_, i) => ({ key: `key-${p}-${i}`, value: `value ${p} ${i} ${'x'.repeat(i % 50)}` }));
      expected.push(rows);
      const input = rows.map((r) => `${r.key}:${r.value}`).join('\n') + '\n';
      const r = await kcat(['-b', b.bootstrap, '-P', '-t', TOPIC, '-p', String(p), '-K:', '-H', 'hdr=val', '-H', `part=${p}`, '-X', 'linger.ms=5'], input, 60_000);
      assert.equal(r.code, 0, r.stderr);
    }
    for (let p = 0; p < 3; p++) assert.equal(b.broker.partitionLog(TOPIC, p)?.highWatermark, PER_PARTITION[p]);

    const r = await kcat(['-b', b.bootstrap, '-C', '-t', TOPIC, '-e', '-J', '-o', 'beginning', '-q'], undefined, 60_000);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 1000);
    for (let p = 0; p < 3; p++) {
      const got = lines.filter((m) => m.partition === p);
      assert.deepEqual(got.map((m) => m.offset), got.map((_, i) => i), `partition ${p} offsets are contiguous`);
      assert.deepEqual(got.map((m) => ({ key: m.key, value: m.payload })), expected[p]);
      for (const m of got) assert.deepEqual(m.headers, ['hdr', 'val', 'part', String(p)]);
    }
    t.diagnostic(`kcat (librdkafka 2.0.2) used: ${formatVersions(seen)}`);
  });
});
