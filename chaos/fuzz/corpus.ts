/**
 * The fuzzer's seed frames: valid requests for every API × version the broker advertises,
 * built from the codec in src/protocol (three bodies per version: sample data in every field,
 * sample data with every nullable field null, and a "grounded" body whose topic names,
 * partitions, records, acks and timeouts point at a real topic with a valid record batch, so
 * mutations reach past the first lookup), plus the request frames captured from real clients
 * under test/protocol/fixtures. Each seed is a frame without its size prefix.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { apiByKey } from '../../src/protocol/api-keys.js';
import { writeRequestHeader } from '../../src/protocol/headers.js';
import { Writer } from '../../src/protocol/primitives.js';
import { encodeBatch } from '../../src/protocol/records.js';
import { sample } from '../../test/protocol/support.js';
import { ROOT } from '../broker-node.js';

export interface SeedFrame {
  apiKey: number;
  apiVersion: number;
  label: string;
  /** Header + body, no size prefix. */
  frame: Buffer;
}

export interface AdvertisedRange {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

const FUZZ_TOPIC = 'fuzz';

function ground(value: unknown, key: string, batch: Buffer): unknown {
  if (Array.isArray(value)) return value.map((v) => ground(v, key, batch));
  if (Buffer.isBuffer(value)) return key === 'records' ? batch : value;
  if (value !== null && typeof value === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) o[k] = ground(v, k, batch);
    return o;
  }
  if (typeof value === 'string' && /^(name|topic|topicName)$/.test(key)) return FUZZ_TOPIC;
  if (typeof value === 'string' && /^(groupId|group)$/.test(key)) return 'fuzz-group';
  if (typeof value === 'number') {
    if (/^(partition|partitionIndex|partitionId)$/.test(key)) return 0;
    if (key === 'acks') return 1;
    if (/^(timeoutMs|maxWaitMs|sessionTimeoutMs|rebalanceTimeoutMs)$/.test(key)) return 100;
    if (/^(numPartitions|replicationFactor|count)$/.test(key)) return 1;
    if (/^(fetchOffset|timestamp|logStartOffset)$/.test(key)) return 0;
    if (/^(maxBytes|partitionMaxBytes)$/.test(key)) return 65536;
  }
  return value;
}

function frameOf(apiKey: number, apiVersion: number, body: Buffer, correlationId: number, flexible: boolean): Buffer {
  const w = new Writer(64 + body.length);
  writeRequestHeader(w, { apiKey, apiVersion, correlationId, clientId: 'sherwood-fuzz' }, flexible);
  w.raw(body);
  return w.toBuffer();
}

export function buildCorpus(advertised: AdvertisedRange[]): SeedFrame[] {
  const out: SeedFrame[] = [];
  const batch = encodeBatch({ records: [{ key: 'k', value: 'fuzz value' }, { key: null, value: 'v2', headers: [{ key: 'h', value: 'x' }] }], timestamp: 1_700_000_000_000 });
  const served = new Set<string>();
  for (const r of advertised) {
    const a = apiByKey(r.apiKey);
    if (a === undefined) continue;
    for (let v = r.minVersion; v <= r.maxVersion; v++) {
      if (v < a.request.versions.min || v > a.request.versions.max) continue;
      served.add(`${r.apiKey}/${v}`);
      const flexible = a.request.isFlexible(v);
      const bodies: [string, unknown][] = [
        ['sample', sample(a.request.def, v, false)],
        ['sample-nulls', sample(a.request.def, v, true)],
        ['grounded', ground(sample(a.request.def, v, false), '', batch)],
        ['empty', a.request.empty(v)],
      ];
      for (const [label, value] of bodies) {
        let body: Buffer;
        try {
          body = a.request.encode(value as never, v);
        } catch {
          continue; // a grounded value the version cannot carry
        }
        out.push({ apiKey: r.apiKey, apiVersion: v, label: `${a.name} v${v} ${label}`, frame: frameOf(r.apiKey, v, body, 1000 + out.length, flexible) });
      }
    }
  }
  const fixtures = join(ROOT, 'test/protocol/fixtures');
  for (const file of readdirSync(fixtures).filter((f) => f.endsWith('.json'))) {
    const doc = JSON.parse(readFileSync(join(fixtures, file), 'utf8')) as { client: string; frames: { api: string; apiKey: number; apiVersion: number; hex: string }[] };
    for (const fr of doc.frames) {
      if (!served.has(`${fr.apiKey}/${fr.apiVersion}`)) continue;
      out.push({ apiKey: fr.apiKey, apiVersion: fr.apiVersion, label: `${fr.api} v${fr.apiVersion} golden ${doc.client}`, frame: Buffer.from(fr.hex, 'hex').subarray(4) });
    }
  }
  return out;
}
