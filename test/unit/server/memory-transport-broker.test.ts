// A whole broker on the in-memory transport: listeners, connections, framing, the pipeline and
// the handlers run unchanged, and no TCP port is opened — the seam a deterministic multi-broker
// simulation needs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startBroker } from '../../../src/server/start.js';
import { MemoryTransport } from '../../../src/base/transport.js';
import { ApiVersions } from '../../../src/protocol/messages/api-versions.js';
import { CreateTopics } from '../../../src/protocol/messages/create-topics.js';
import { Produce } from '../../../src/protocol/messages/produce.js';
import { Fetch } from '../../../src/protocol/messages/fetch.js';
import { encodeBatch, decodeBatches } from '../../../src/protocol/records.js';
import { RawClient, requestFrame, responseReader } from './raw-client.js';

test('a broker served over MemoryTransport: ApiVersions, CreateTopics, Produce, Fetch; nothing listens on TCP', async () => {
  const transport = new MemoryTransport();
  const b = await startBroker({ host: '127.0.0.1', port: 19092, inMemory: true, logLevel: 'silent', transport });
  try {
    assert.equal(b.port, 19092);
    const tcp = await new Promise<boolean>((resolve) => {
      const s = net.connect(19092, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    assert.equal(tcp, false, 'no TCP listener');
    const c = await RawClient.over(transport, 19092);
    c.send(requestFrame(ApiVersions, 3, 1, { clientSoftwareName: 'sim', clientSoftwareVersion: '1' }));
    const versions = ApiVersions.response.read(responseReader((await c.read(1))[0]!).r, 3);
    assert.equal(versions.errorCode, 0);
    assert.ok(versions.apiKeys.some((k) => k.apiKey === 0));

    c.send(requestFrame(CreateTopics, 7, 2, { topics: [{ name: 'sim', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false }));
    const created = CreateTopics.response.read(responseReader((await c.read(1))[0]!, true).r, 7);
    assert.equal(created.topics[0]!.errorCode, 0);

    const records = encodeBatch({ records: [{ key: null, value: Buffer.from('over memory') }], timestamp: Date.now() });
    c.send(requestFrame(Produce, 9, 3, { acks: -1, timeoutMs: 5000, transactionalId: null, topicData: [{ name: 'sim', partitionData: [{ index: 0, records }] }] }));
    const produced = Produce.response.read(responseReader((await c.read(1))[0]!, true).r, 9);
    assert.deepEqual([produced.responses[0]!.partitionResponses[0]!.errorCode, produced.responses[0]!.partitionResponses[0]!.baseOffset], [0, 0]);

    c.send(requestFrame(Fetch, 12, 4, {
      replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: 'sim', topicId: Buffer.alloc(16), partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20, replicaDirectoryId: Buffer.alloc(16) }] }],
      forgottenTopicsData: [], rackId: '',
    }));
    const fetched = Fetch.response.read(responseReader((await c.read(1))[0]!, true).r, 12);
    const batches = decodeBatches(fetched.responses[0]!.partitions[0]!.records!);
    assert.equal(batches[0]!.records[0]!.value!.toString(), 'over memory');
    c.close();
  } finally {
    await b.close();
  }
});
